"""``python -m analytics load``: validate an extract and publish it as the new database."""

from __future__ import annotations

import argparse

from analytics.cli.options import database_path
from analytics.load import load_extract


def run(args: argparse.Namespace) -> int:
    print(load_extract(args.file, database_path(args), population=args.population).report())
    return 0
