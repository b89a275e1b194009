"""``python -m analytics ratios``: a rate/ratio table by ethnic group for any filter combination, CSV or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from analytics import access, disparity, exports, schema, suppression
from analytics.cli.options import UsageError, database_path, decision_denominator, filters_from_args
from analytics.store import Store

#: Full precision (Python's shortest round-trip repr): a CSV never rounds a small p-value to 0.
FLOAT_FORMAT = None


def check_applies(args: argparse.Namespace) -> None:
    """Refuse, in one line, an option that does not apply to the measure (never silently ignore it)."""
    if args.measure == "outcome":
        if args.role == "victim":
            raise UsageError("--measure outcome does not apply to --role victim: a victim's record carries the "
                             "outcome of the crime, not a decision about the child")
        if args.count == "persons":
            raise UsageError("--count persons does not apply to --measure outcome: a decision is made per record "
                             "(one per child per crime), so the unit is the record")
        if args.outcome_filter:
            raise UsageError("--outcome-filter does not apply to --measure outcome: the outcomes counted are "
                             "--outcome and the denominator is set by --decision-denominator")
    elif args.outcome is not None:
        raise UsageError("--outcome applies to --measure outcome only")
    elif args.decision_denominator is not None:
        raise UsageError("--decision-denominator applies to --measure outcome only")
    if args.measure != "outcome" and getattr(args, "follow_up_days", None) is not None:
        raise UsageError("--follow-up-days applies to --measure outcome only (population rates have no follow-up)")


def run(args: argparse.Namespace) -> int:
    check_applies(args)
    filters = filters_from_args(args, roles=(args.role,))
    store = Store(database_path(args))
    if not access.can(args.access_role, access.EXACT_COUNTS):
        store = store.perturbed()  # scrutiny: every count perturbed by the Cell Key Method (issue 14)
    store.check_areas(filters.areas)
    outcomes = tuple(c.strip().upper() for c in (args.outcome or [schema.OUTCOME_22]))
    denominator = decision_denominator(args)
    if args.concordance:
        return _concordance(args, store, filters)
    if args.measure == "rate":
        result = disparity.population_rates(store, filters, split=args.split)
    else:
        result = disparity.decision_ratios(store, filters, outcomes, split=args.split, denominator=denominator)
    adjusted = (disparity.adjusted_ratios(store, filters, args.measure, tuple(args.adjust_for), outcomes,
                                          denominator=denominator)
                if args.adjust_for else None)
    if not access.can(args.access_role, access.EXACT_COUNTS):  # scrutiny: disclosure-controlled output only
        result = access.controlled_table(result, args.access_role)
        if adjusted is not None:
            adjusted = adjusted[adjusted["group"].isin(access.shown_groups(result))]
    if args.format == "json":
        document = json.loads(result.to_json())
        document["metadata"]["disclosure_control"] = suppression.rules_text(access.audience_for(args.access_role))
        if adjusted is not None:
            document["adjusted"] = exports.json_records(adjusted)
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    sys.stdout.write(result.csv_frame().to_csv(index=False, float_format=FLOAT_FORMAT))
    if adjusted is not None:
        print()
        sys.stdout.write(adjusted.to_csv(index=False, float_format=FLOAT_FORMAT))
    return 0


def _concordance(args: argparse.Namespace, store: Store, filters: disparity.Filters) -> int:
    """The concordance (children with both codes, by stratum and officer group) for analysts."""
    if not access.can(args.access_role, access.EXACT_COUNTS):
        raise UsageError("--concordance shows exact counts of children: it is for analysts")
    table = disparity.concordance_table(store, filters)
    if args.format == "json":
        print(table.to_json(orient="records", indent=2, double_precision=15))
    else:
        sys.stdout.write(table.to_csv(index=False, float_format=FLOAT_FORMAT))
    return 0
