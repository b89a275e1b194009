"""``python -m analytics quality``: ethnicity completeness and self/officer-defined agreement."""

from __future__ import annotations

import argparse
import json

from analytics import exports, quality, schema
from analytics.cli.options import database_path, filters_from_args
from analytics.store import Store


def run(args: argparse.Namespace) -> int:
    filters = filters_from_args(args)
    store = Store(database_path(args))
    store.check_areas(filters.areas)
    by = {dim: quality.completeness(store, filters, (dim,)) for dim in ("role", "area", "month")}
    agreement = quality.agreement(store, filters)
    if args.format == "json":
        document: dict = {dim: exports.json_records(frame) for dim, frame in by.items()}  # full precision
        document["agreement"] = {
            "crosstab": json.loads(agreement.crosstab.to_json(orient="index")),
            "both_stated": agreement.both_stated, "agreeing": agreement.agreeing,
            "agreement": exports.json_value(agreement.agreement.estimate), "agreement_lower": agreement.agreement.lower,
            "agreement_upper": agreement.agreement.upper, "kappa": agreement.kappa,
        }
        print(json.dumps(document, indent=2, ensure_ascii=False, default=str))
        return 0
    print(f"Ethnicity recording ({filters.describe()})")
    print(f"Target: self-defined ethnicity stated on {schema.ETHNICITY_COMPLETENESS_TARGET:.0%} of records\n")
    for dim, frame in by.items():
        print(f"{'By ' + dim:<14}{'records':>9}{'self-defined':>14}{'interval':>18}{'any stated':>12}")
        for _, row in frame.iterrows():
            label = row[dim].strftime("%Y-%m") if dim == "month" else str(row[dim])
            print(f"{label:<14}{int(row['records']):>9,}{row['self_share']:>13.1%} "
                  f"{row['self_lower']:>8.1%} to {row['self_upper']:<6.1%}{row['any_share']:>11.1%}")
        print()
    print("Self-defined (rows) by officer-defined (columns), records:")
    print(agreement.crosstab.to_string())
    print()
    print(agreement.describe())
    return 0
