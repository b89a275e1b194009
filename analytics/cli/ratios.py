"""``python -m analytics ratios``: a rate/ratio table by ethnic group for any filter combination, CSV or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from analytics import access, disparity, suppression
from analytics.cli.options import database_path, filters_from_args
from analytics.store import Store

FLOAT_FORMAT = "%.6g"


def run(args: argparse.Namespace) -> int:
    filters = filters_from_args(args, roles=(args.role,))
    store = Store(database_path(args))
    if not access.can(args.access_role, access.EXACT_COUNTS):
        store = store.perturbed()  # scrutiny: every count perturbed by the Cell Key Method (issue 14)
    store.check_areas(filters.areas)
    outcomes = tuple(c.strip().upper() for c in args.outcome)
    if args.measure == "rate":
        result = disparity.population_rates(store, filters, split=args.split)
    else:
        result = disparity.decision_ratios(store, filters, outcomes, split=args.split)
    adjusted = (disparity.adjusted_ratios(store, filters, args.measure, tuple(args.adjust_for), outcomes)
                if args.adjust_for else None)
    if not access.can(args.access_role, access.EXACT_COUNTS):  # scrutiny: disclosure-controlled output only
        result = access.controlled_table(result, args.access_role)
        if adjusted is not None:
            adjusted = adjusted[adjusted["group"].isin(access.shown_groups(result))]
    if args.format == "json":
        document = json.loads(result.to_json())
        document["metadata"]["disclosure_control"] = suppression.rules_text(access.audience_for(args.access_role))
        if adjusted is not None:
            document["adjusted"] = json.loads(adjusted.to_json(orient="records"))
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    sys.stdout.write(result.csv_frame().to_csv(index=False, float_format=FLOAT_FORMAT))
    if adjusted is not None:
        print()
        sys.stdout.write(adjusted.to_csv(index=False, float_format=FLOAT_FORMAT))
    return 0
