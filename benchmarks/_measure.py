"""Run a command as a child process and measure its wall time, CPU time and its own peak memory.

The peak is the child's ``VmHWM`` (high-water resident set) read from ``/proc/<pid>/status`` while it runs.
``wait4``'s ``ru_maxrss`` (and ``getrusage(RUSAGE_CHILDREN)``) cannot be used: Linux carries the parent's
high-water mark into the child at ``exec``, so a 10 MB child of an 800 MB parent reports 800 MB (measured:
``python -c pass`` under an 800 MB parent reported 811 MB; ``/usr/bin/time -f %M`` reported 8 MB). ``VmHWM`` is
monotonic, so sampling it every 20 ms misses only growth in the child's last 20 ms.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float  # user + system, all threads
    peak_rss_mb: float
    returncode: int


def run_measured(command: list[str], cwd: Path, stdout=None, stderr=None) -> Measured:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    peak_kb = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak_kb = max(peak_kb, _high_water_kb(process.pid))
        time.sleep(POLL_SECONDS)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(time.perf_counter() - started, usage.ru_utime + usage.ru_stime, peak_kb / 1024,
                    process.returncode)


def _high_water_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0
