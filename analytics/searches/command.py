"""Command line: ``python -m analytics searches {load,ratios}`` (wired in analytics.commands).

Kept here so this branch stays whole while the command line moves to ``analytics/cli/`` (issue 12).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from analytics import schema
from analytics.config import load_settings
from analytics.load import LoadError
from analytics.searches.districts import LOCATION_NOT_PUBLISHED
from analytics.searches.filters import SearchFilters
from analytics.searches.load import load_searches
from analytics.searches.measures import MEASURES, SPLITS, ratios
from analytics.searches.parse import AGE_RANGES, CHILD, NOT_RECORDED, SEARCH_TYPES, UNDER_10, force_slug
from analytics.store import SearchStore, Store


def _age_range(text: str) -> str:
    value = re.sub(r"[\s_-]+", " ", text.strip().lower())
    aliases = {"under 10": UNDER_10, "10 17": CHILD, "18 24": "18-24", "25 34": "25-34", "over 34": "over 34",
               "not recorded": NOT_RECORDED}
    if value not in aliases:
        raise argparse.ArgumentTypeError(f"unknown age range {text!r} (expected one of {', '.join(AGE_RANGES)})")
    return aliases[value]


def add_parser(commands: Any) -> None:
    """Add ``searches load`` and ``searches ratios`` to the ``python -m analytics`` subcommands."""
    from analytics import cli

    searches = commands.add_parser("searches", help="stop and search: load data.police.uk monthly files, print ratios")
    sub = searches.add_subparsers(dest="searches_command", required=True, parser_class=cli.OneLineParser)

    load = sub.add_parser("load", help="validate monthly stop-and-search CSVs and publish them with the database")
    load.add_argument("sources", nargs="+", type=Path, metavar="FILE_OR_FOLDER",
                      help="monthly CSVs as downloaded, or folders holding them (*stop-and-search.csv)")
    load.add_argument("--force", default=None, metavar="NAME",
                      help="police force (default: from the file names, e.g. 2023-01-gwent-stop-and-search.csv)")
    load.add_argument("--population", type=Path, default=None, metavar="FILE",
                      help="children 10-17 by ethnic group for the force area: columns ethnic_group, population "
                           "(optional force, area_code, age_range, source, year), or a main population table "
                           "(age bands 10-13, 14-15, 16-17 are summed). Default: the one already loaded, the "
                           "shipped modelled Gwent table, or (Norfolk) the publication's population table")
    cli.add_database_option(load)

    ratios_parser = sub.add_parser("ratios", help="search rates, weapons shares and find rates by ethnic group")
    ratios_parser.add_argument("--measure", choices=MEASURES, default="rate",
                               help="rate: searches of children per 1,000 children aged 10-17; weapons: share of "
                                    "searches for offensive weapons; find: share with an outcome other than no "
                                    "further action (the outcome test)")
    ratios_parser.add_argument("--linked", action="store_true",
                               help="find: count only outcomes linked to the object of search")
    ratios_parser.add_argument("--age-range", nargs="+", type=_age_range, default=[CHILD], metavar="RANGE",
                               help=f"age ranges (default 10-17; one of {', '.join(AGE_RANGES)})")
    ratios_parser.add_argument("--from", dest="date_from", type=cli.iso_date, help="first search date (YYYY-MM-DD)")
    ratios_parser.add_argument("--to", dest="date_to", type=cli.iso_date, help="last search date (YYYY-MM-DD)")
    ratios_parser.add_argument("--split", choices=SPLITS, default=None)
    ratios_parser.add_argument("--force", nargs="+", default=[], metavar="NAME", help="police force(s) (default all)")
    ratios_parser.add_argument("--object", nargs="+", default=[], metavar="OBJECT",
                               help="object(s) of search, e.g. 'Offensive weapons' ('Not recorded' = blank)")
    ratios_parser.add_argument("--legislation", nargs="+", default=[], metavar="ACT")
    ratios_parser.add_argument("--type", nargs="+", default=[], choices=(*SEARCH_TYPES, NOT_RECORDED))
    ratios_parser.add_argument("--area", nargs="+", default=[], metavar="CODE",
                               help=f"district code(s), or '{LOCATION_NOT_PUBLISHED}'")
    ratios_parser.add_argument("--reference", default=schema.DEFAULT_REFERENCE_GROUP, choices=schema.ETHNIC_GROUPS)
    ratios_parser.add_argument("--confidence", type=cli.confidence_level, default=schema.DEFAULT_CONFIDENCE,
                               help="confidence level, 0.95 (default) or 0.998")
    ratios_parser.add_argument("--ethnicity-source", choices=tuple(schema.ETHNICITY_SOURCES),
                               default=schema.DEFAULT_ETHNICITY_SOURCE)
    ratios_parser.add_argument("--format", choices=("csv", "json"), default="csv")
    cli.add_database_option(ratios_parser)


def run(args: argparse.Namespace) -> int:
    """Handler for ``python -m analytics searches ...``."""
    from analytics import cli

    database = args.db if args.db is not None else load_settings().database
    if args.searches_command == "load":
        result = load_searches(args.sources, database, force=args.force, population=args.population)
        print(result.report())
        return 0
    try:
        filters = SearchFilters(
            date_from=args.date_from, date_to=args.date_to, forces=tuple(force_slug(f) for f in args.force),
            age_ranges=tuple(args.age_range), objects=tuple(args.object), legislations=tuple(args.legislation),
            types=tuple(args.type), areas=tuple(a.strip().upper() if a.strip()[:1].isalnum() and " " not in a.strip()
                                                else a.strip() for a in args.area),
            reference_group=args.reference, confidence=args.confidence, ethnicity_source=args.ethnicity_source,
        )
    except (ValueError, LoadError) as exc:
        raise cli.UsageError(str(exc)) from None
    if args.linked and args.measure != "find":
        raise cli.UsageError("--linked applies to --measure find only")
    sstore = SearchStore(Store(database))
    if not sstore.available():
        raise cli.UsageError("no stop-and-search data loaded yet; run `python -m analytics searches load FOLDER`")
    try:
        result = ratios(sstore, filters, args.measure, args.split, linked=args.linked)
    except ValueError as exc:
        raise cli.UsageError(str(exc)) from None
    if args.format == "json":
        print(result.to_json())
    else:
        sys.stdout.write(result.csv_frame().to_csv(index=False, float_format="%.6g"))
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0
