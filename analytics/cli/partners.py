"""``python -m analytics partners load|convert-dfe|link``: partner data (issue 17)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from analytics.cli.options import database_path
from analytics.partners import convert_dfe, link_flags, load_indicators


def run(args: argparse.Namespace) -> int:
    if args.partners_command == "convert-dfe":
        out = args.out or Path(args.file).with_name(Path(args.file).stem + "-contract.csv")
        print(convert_dfe(args.file, out).report())
        return 0
    database = database_path(args)
    if args.partners_command == "link":
        print(link_flags(args.file, database).report())
        return 0
    if args.layout == "dfe":
        with tempfile.TemporaryDirectory() as folder:
            converted = Path(folder) / Path(args.file).name  # the contract rows under the download's own name
            print(convert_dfe(args.file, converted).report())
            print(load_indicators(converted, database).report())
        return 0
    print(load_indicators(args.file, database).report())
    return 0
