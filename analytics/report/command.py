"""``python -m analytics report``: build the monthly pack and write it (moving to ``analytics.cli`` at merge)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analytics.filters import Filters
from analytics.report.build import parse_month
from analytics.report.output import write_pack
from analytics.report.pack import build_pack
from analytics.store import Store


def run(args: argparse.Namespace, database: Path, filters: Filters) -> int:
    """Build the pack and write it; 0 on success. Bad input raises ``ValueError`` (the CLI exits 2)."""
    month = parse_month(args.month)
    if filters.date_from or filters.date_to:
        raise ValueError("--from/--to cannot be used with report: the period is the 12 months to --month")
    started = time.perf_counter()
    pack = build_pack(Store(database), month, args.audience, filters)
    written = write_pack(pack, args.out, pdf=not args.no_pdf)
    print(f"Wrote {written.html}" + (f" and {written.pdf}" if written.pdf else "")
          + f" ({args.audience}, {pack.period_label}) in {time.perf_counter() - started:.1f} s")
    if written.pdf is None and not args.no_pdf:
        print(written.message)
    return 0
