"""``python -m analytics report``: write the monthly pack (HTML and PDF), recorded in the audit log first."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from analytics import access
from analytics.cli.options import UsageError, database_path, decision_denominator, filters_from_args
from analytics.filters import Filters
from analytics.report import build_pack, parse_month, write_pack
from analytics.store import AuditLog, Store

#: Options not recorded in the audit log's copy of the command (the role is recorded in its own column).
UNRECORDED_OPTIONS = ("access_role", "as_role", "command")


def run(args: argparse.Namespace) -> int:
    database = database_path(args)
    filters = filters_from_args(args, roles=tuple(args.role))
    month = parse_month(args.month)  # bad input is refused before anything is recorded
    if filters.date_from or filters.date_to:
        raise UsageError("--from/--to cannot be used with report: the period is the 12 months to --month")
    if args.out.exists() and not args.out.is_dir():  # never overwritten: --out names a folder
        raise UsageError(f"--out {args.out} is a file, not a folder: the pack is written into a folder "
                         "(give a folder, new or existing)")
    record(args, database, filters)  # if the audit log cannot be written, no pack is made
    started = time.perf_counter()
    pack = build_pack(Store(database), month, args.audience, filters, decision_denominator(args))
    try:
        written = write_pack(pack, args.out, pdf=not args.no_pdf)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write the pack there ({exc.strerror or type(exc).__name__})") \
            from None
    print(f"Wrote {written.html}" + (f" and {written.pdf}" if written.pdf else "")
          + f" ({args.audience}, {pack.period_label}) in {time.perf_counter() - started:.1f} s")
    if written.pdf is None and not args.no_pdf:
        print(written.message)
    return 0


def record(args: argparse.Namespace, database: Path, filters: Filters) -> None:
    """The pack in the audit log: who, which role, what, the options as given and the data version."""
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(vars(args).items())
               if k not in UNRECORDED_OPTIONS}
    AuditLog(access.audit_path(database)).append(
        user=access.cli_user(), role=args.access_role, source="cli", action="pack",
        what=f"monthly pack {args.month} ({args.audience}) in {args.out}", kind="html" if args.no_pdf else "html+pdf",
        filters=filters.describe(), query=json.loads(json.dumps(options, default=str)),
        data_version=Store(database).data_version(), page="python -m analytics report")
