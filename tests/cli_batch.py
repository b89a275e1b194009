"""Many ``python -m analytics`` runs in one process: the refusal tests' cases without a Python start-up each.

``run(argvs, env)`` starts ``python -m tests.cli_batch`` once with ``env`` over the environment, sends it the
argument lists as JSON, and returns one ``subprocess.CompletedProcess`` per list. The child runs each list as
``python -m analytics`` would (``sys.exit(main(argv))``: ``main``'s return value, argparse's ``SystemExit`` code, an
uncaught exception's traceback and exit status 1), with file descriptors 1 and 2 redirected to files for that
run, so everything written by the command or a process it starts is captured as it would be by
``subprocess.run(capture_output=True)``. One process per environment: a key or role set for one batch is set for
all its runs, as it is for a process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from tests.guards import HANG_GUARD_S

PROJECT = Path(__file__).resolve().parents[1]


def run(argvs: list[list[str]], env: dict[str, str] | None = None) -> list[subprocess.CompletedProcess]:
    """Each of ``argvs`` run as ``python -m analytics *argv``, all in one child process."""
    batch = subprocess.run([sys.executable, "-m", "tests.cli_batch"], input=json.dumps(argvs), capture_output=True,
                           text=True, cwd=PROJECT, env={**os.environ, **(env or {})},
                           timeout=HANG_GUARD_S)  # a hang guard (tests/guards.py)
    assert batch.returncode == 0, batch.stderr
    return [subprocess.CompletedProcess(argv, r["returncode"], r["stdout"], r["stderr"])
            for argv, r in zip(argvs, json.loads(batch.stdout), strict=True)]


def _exit_status(argv: list[str]) -> int:
    """What ``python -m analytics *argv`` exits with (analytics/__main__.py), its output written as it would be."""
    from analytics.cli.main import main

    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors and --help
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # noqa: BLE001 - the interpreter prints the traceback and exits 1
        traceback.print_exc()
        return 1


def _run_captured(argv: list[str]) -> dict[str, object]:
    """One run with file descriptors 1 and 2 sent to files of its own."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved = os.dup(1), os.dup(2)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            code = _exit_status(argv)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        return {"returncode": code, "stdout": out.read().decode(), "stderr": err.read().decode()}


if __name__ == "__main__":
    results = [_run_captured(argv) for argv in json.loads(sys.stdin.read())]
    sys.stdout.write(json.dumps(results))
