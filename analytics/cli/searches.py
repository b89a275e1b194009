"""``python -m analytics searches load|ratios``: stop and search from the data.police.uk monthly files (issue 8)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics.cli.options import UsageError, database_path
from analytics.searches import SearchFilters, force_slug, load_searches, ratios
from analytics.store import SearchStore, Store


def run(args: argparse.Namespace) -> int:
    database = database_path(args)
    if args.searches_command == "load":
        return run_load(args, database)
    return run_ratios(args, database)


def run_load(args: argparse.Namespace, database: Path) -> int:
    result = load_searches(args.sources, database, force=args.force, population=args.population)
    print(result.report())
    return 0


def run_ratios(args: argparse.Namespace, database: Path) -> int:
    filters = search_filters(args)
    if args.linked and args.measure != "find":
        raise UsageError("--linked applies to --measure find only")
    sstore = SearchStore(Store(database))
    if not sstore.available():
        raise UsageError("no stop-and-search data loaded yet; run `python -m analytics searches load FOLDER`")
    result = ratios(sstore, filters, args.measure, args.split, linked=args.linked)
    if args.format == "json":
        print(result.to_json())
        return 0
    sys.stdout.write(result.csv_frame().to_csv(index=False, float_format=None))  # full precision
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def search_filters(args: argparse.Namespace) -> SearchFilters:
    """The ``searches ratios`` options as ``SearchFilters`` (forces by slug; district codes upper-cased, the
    location labels such as 'Location not published' kept as written)."""
    areas = tuple(a.strip().upper() if a.strip()[:1].isalnum() and " " not in a.strip() else a.strip()
                  for a in args.area)
    return SearchFilters(
        date_from=args.date_from, date_to=args.date_to, forces=tuple(force_slug(f) for f in args.force),
        age_ranges=tuple(args.age_range), objects=tuple(args.object), legislations=tuple(args.legislation),
        types=tuple(args.type), areas=areas, reference_group=args.reference, confidence=args.confidence,
        ethnicity_source=args.ethnicity_source,
    )
