"""``python -m analytics info``: what is loaded (version, period, counts by role, rejections, completeness)."""

from __future__ import annotations

import argparse

from analytics import schema
from analytics.cli.options import database_path
from analytics.filters import Filters, format_confidence
from analytics.store import Store


def run(args: argparse.Namespace) -> int:
    print(describe_database(Store(database_path(args))))
    return 0


def describe_database(store: Store) -> str:
    """The ``info`` text: version, period, counts by role, rejections and completeness."""
    meta = store.publication()
    first, last = store.period()
    everything = Filters()
    by_role = store.counts(everything, ("role",)).set_index("role")["events"]
    records = store.counts(everything.replace(counting_unit="records"), ("role",)).set_index("role")["events"]
    months = store.counts(everything.replace(counting_unit="records"), ("month",))
    completeness = store.ethnicity_completeness(everything, ("role",)).set_index("role")
    lines = [
        f"Data version     {meta['version']}",
        f"Loaded at        {meta['loaded_at']} from {meta['source_file']}",
        f"Period covered   {first} to {last} ({len(months)} months with records)",
        f"Rows             read {meta['rows_read']:,} = loaded {meta['loaded']:,} + rejected "
        f"{meta['rejected']:,} + excluded {meta['excluded']:,}",
        f"Population       {meta['population_source']}",
        "",
        f"{'Role':<10}{'children':>10}{'records':>10}{'self-defined stated':>22}{'any ethnicity stated':>22}",
    ]
    for role in schema.ROLES:
        if role not in records.index:
            lines.append(f"{role:<10}{0:>10}{0:>10}")
            continue
        row = completeness.loc[role]
        lines.append(
            f"{role:<10}{int(by_role[role]):>10,}{int(records[role]):>10,}"
            f"{row['self_stated'] / row['records']:>21.1%} {row['either_stated'] / row['records']:>21.1%}"
        )
    summary = store.load_summary()
    problems = summary[(summary["kind"] != "loaded") & (summary["rows"] > 0)]
    lines += ["", "Rejected and excluded rows by reason:" if len(problems) else "No rows rejected or excluded."]
    for _, row in problems.iterrows():
        lines.append(f"  {row['kind']:<9}{int(row['rows']):>8,}  {row['reason']}")
    lines += ["", f"Default confidence {format_confidence(schema.DEFAULT_CONFIDENCE)}; "
              f"serious youth violence: {store.definitions()['serious_youth_violence']}"]
    return "\n".join(lines)
