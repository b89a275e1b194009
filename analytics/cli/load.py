"""``python -m analytics load``: validate an extract and publish it as the new database."""

from __future__ import annotations

import argparse

from analytics.cli.options import database_path
from analytics.load import load_extract
from analytics.messages import printable


def run(args: argparse.Namespace) -> int:
    report = load_extract(args.file, database_path(args), population=args.population).report()
    print("\n".join(printable(line) for line in report.splitlines()))  # a file name's control characters escaped
    return 0
