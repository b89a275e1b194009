"""Run a load in this process, then search this process's own memory for raw identifiers.

``python tests/raw_memory_probe.py extract|flags SOURCE DATABASE [POPULATION]``: prints one JSON line,
``{"hits": n, "sample": [...]}``, counting the raw values (``PNCREF/nnnnnnn/X``, ``CRIMEREF/nnnnnnn``,
``REF-nnnnnnn`` in partner flags) found in every readable region of ``/proc/self/mem``. The pattern is
assembled at run time so that no whole raw value is written in this file. Used by ``tests/test_load.py``.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

DIGITS = "[0-9]{7}"
PATTERN = re.compile(("PNC" + "REF/" + DIGITS + "/X|CRIME" + "REF/" + DIGITS + "|FLAG" + "REF-" + DIGITS).encode())


def readable_regions() -> list[tuple[int, int]]:
    regions = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        span, permissions = fields[0], fields[1]
        name = fields[5] if len(fields) > 5 else ""
        if permissions.startswith("r") and name not in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
            start, end = (int(x, 16) for x in span.split("-"))
            regions.append((start, end))
    return regions


def raw_values_in_memory() -> list[bytes]:
    found: list[bytes] = []
    with open("/proc/self/mem", "rb", buffering=0) as memory:
        for start, end in readable_regions():
            try:
                memory.seek(start)
                data = memory.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            found.extend(PATTERN.findall(data or b""))
    return found


def main(kind: str, source: str, database: str, population: str | None = None) -> None:
    if kind == "extract":
        from analytics.load import load_extract
        load_extract(source, database, population=population, today=date(2026, 11, 1))
    else:
        from analytics.partners import link_flags
        link_flags(source, database, today=date(2026, 11, 1))
    hits = raw_values_in_memory()
    print(json.dumps({"hits": len(hits), "sample": sorted({h.decode() for h in hits})[:5]}))


if __name__ == "__main__":
    main(*sys.argv[1:])
