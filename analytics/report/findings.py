"""The pack's candidate findings, each with the verdict of the table it comes from (:mod:`analytics.verdicts`).

One finding per non-reference stated group in: the county-wide ratio of each role, the Mantel–Haenszel
adjusted outcome-22 ratio, each district's ratio (the district role) and each risk marker's ratio. The
numbers and the verdict come from the raw tables (the family of each is every comparison of its table, as on
the dashboard and in ``ratios``: the pack decides no verdict of its own); whether a finding may be stated, and
its reliability, from the published ones, so a scrutiny sentence never quotes what its table hides.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analytics import schema, suppression, verdicts
from analytics.filters import Filters
from analytics.narrative import Finding
from analytics.report.data import ROLE_PLURAL
from analytics.report.formatting import worst

if TYPE_CHECKING:
    from analytics.report.data import PackData

KIND_ORDER = {"role": 0, "outcome22": 1, "district": 2, "marker": 3}


def pack_findings(data: PackData) -> tuple[Finding, ...]:
    """Every candidate finding of the pack, each carrying its table's verdict."""
    return (*role_findings(data), *outcome22_findings(data), *district_findings(data), *marker_findings(data))


def ordered(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    """By kind (roles, outcome 22, districts, markers), then the largest ratios (either way) first."""
    return sorted(findings, key=lambda f: (KIND_ORDER[f.kind],
                                           -abs(math.log(f.ratio)) if np.isfinite(f.ratio) and f.ratio > 0 else 0))


def scope(filters: Filters) -> str:
    """What the counted crimes are, for the sentences: `` of serious youth violence``, `` of robbery``, or nothing."""
    if filters.serious_youth_violence_only:
        return " of serious youth violence"
    if filters.offence_groups:
        return " of " + " or ".join(g.lower() for g in filters.offence_groups)
    return ""


def _number(value: Any) -> float:
    return float(value) if pd.notna(value) else float("nan")


def _verdict(value: Any) -> str | None:
    parsed = verdicts.parse(value)
    return str(parsed) if parsed is not None else None


def _row_finding(kind: str, key: tuple[str, ...], raw_row: pd.Series, published_row: pd.Series | None,
                 context: dict[str, Any]) -> Finding:
    suppressed = bool(published_row is not None and published_row.get("suppressed", False))
    reliability = published_row["reliability"] if published_row is not None else raw_row["reliability"]
    return Finding(
        kind=kind, key=key, group=str(raw_row["group"]), ratio=_number(raw_row["ratio"]),
        lower=_number(raw_row["ratio_lower"]), upper=_number(raw_row["ratio_upper"]),
        p_value=_number(raw_row["p_value"]), p_adjusted=_number(raw_row["p_adjusted"]),
        verdict=None if suppressed else _verdict(raw_row["verdict"]),
        interval_level=_number(raw_row["interval_level"]),
        lower_unadjusted=_number(raw_row["ratio_lower_unadjusted"]),
        upper_unadjusted=_number(raw_row["ratio_upper_unadjusted"]),
        reliability=str(reliability), suppressed=suppressed, context=context,
    )


def role_findings(data: PackData) -> list[Finding]:
    """The county-wide ratio of each group in each role, with last year's ratio where it may be quoted."""
    period, reference, role_scope = data.period_label, data.reference_group, scope(data.filters)
    findings = []
    for role, ratios in data.roles.items():
        previous = ratios.previous.table.set_index("group")
        previous_published = ratios.previous_published.set_index("group")
        published = ratios.published.set_index("group")
        for _, row in ratios.current.table.iterrows():
            group = row["group"]
            if row["is_reference"] or group == schema.NOT_STATED:
                continue
            last_year = None
            if group in previous.index and pd.notna(previous.loc[group, "ratio"]) and not ratios.published.empty:
                before = previous.loc[group]
                last_year = {"ratio": before["ratio"], "lower": before["ratio_lower_unadjusted"],
                             "upper": before["ratio_upper_unadjusted"]}
            # For scrutiny, last year's ratio is quoted only if its own table would show it.
            if data.suppressing and not (group in previous_published.index
                                         and pd.notna(previous_published.loc[group, "ratio"])):
                last_year = None
            context = {"period": period, "reference": reference, "role_text": ROLE_PLURAL[role] + role_scope,
                       "role": role, "previous": last_year}
            findings.append(_row_finding("role", (role, group), row, published.loc[group], context))
    return findings


def outcome22_findings(data: PackData) -> list[Finding]:
    """The outcome-22 ratio adjusted for offence group and age band, with the crude shares behind it."""
    reference, outcome = data.reference_group, data.outcome22
    crude = outcome.published.set_index("group")
    raw_crude = outcome.crude.table.set_index("group")
    raw_events, crude_rates = raw_crude["events"], crude["rate"]
    role_text = "child " + " or ".join(ROLE_PLURAL[r] for r in outcome.roles)
    findings = []
    for _, row in outcome.adjusted.iterrows():
        group = row["group"]
        crude_row = crude.loc[group] if group in crude.index else None
        suppressed = bool(crude_row is not None and crude_row["suppressed"])
        shares = None
        ref_row = crude.loc[reference] if reference in crude.index else None
        if (crude_row is not None and not suppressed and ref_row is not None and not ref_row["suppressed"]
                and pd.notna(crude_row["rate"]) and pd.notna(ref_row["rate"])):
            shares = (float(crude_rates[group]), float(crude_rates[reference]))
        events = int(raw_events[group]) if group in raw_crude.index else 0
        reliability = worst(suppression.reliability(min(events, int(raw_events[reference]))),
                            crude_row["reliability"] if crude_row is not None else "reliable")
        ratio_ok = reliability != "withheld" and pd.notna(row["adjusted_ratio"]) and np.isfinite(row["adjusted_ratio"])
        findings.append(Finding(
            kind="outcome22", key=("outcome22", group), group=group,
            ratio=float(row["adjusted_ratio"]) if ratio_ok else float("nan"),
            lower=float(row["adjusted_lower"]) if ratio_ok else float("nan"),
            upper=float(row["adjusted_upper"]) if ratio_ok else float("nan"),
            p_value=float(row["p_value"]) if pd.notna(row["p_value"]) else float("nan"),
            p_adjusted=_number(row["p_adjusted"]), verdict=None if suppressed else _verdict(row["verdict"]),
            interval_level=_number(row["interval_level"]),
            lower_unadjusted=float(row["adjusted_lower_unadjusted"]) if ratio_ok else float("nan"),
            upper_unadjusted=float(row["adjusted_upper_unadjusted"]) if ratio_ok else float("nan"),
            reliability=reliability, suppressed=suppressed,
            context={"period": data.period_label, "reference": reference, "role_text": role_text, "shares": shares,
                     "case_scope": schema.DECISION_CASE_SCOPE[outcome.crude.decision_denominator]},
        ))
    return findings


def district_findings(data: PackData) -> list[Finding]:
    """Every stated group in every district, for the district role."""
    districts = data.districts
    role_text = ROLE_PLURAL[districts.role] + scope(data.filters)
    published = districts.published.set_index(["split", "group"])
    findings = []
    for _, row in districts.rates.table.iterrows():
        if row["is_reference"] or row["group"] == schema.NOT_STATED:
            continue
        context = {"period": data.period_label, "reference": data.reference_group, "role_text": role_text,
                   "district": districts.name(row["split"])}
        findings.append(_row_finding("district", (row["split"], row["group"]), row,
                                     published.loc[(row["split"], row["group"])], context))
    return findings


def marker_findings(data: PackData) -> list[Finding]:
    """Knife crime and CCE, for suspects and victims."""
    findings = []
    for role, rates in data.markers.items():
        published = rates.published.set_index(["split", "group"])
        for _, row in rates.rates.table.iterrows():
            key = (row["split"], row["group"])
            if key not in published.index or row["is_reference"] or row["group"] == schema.NOT_STATED:
                continue
            context = {"period": data.period_label, "reference": data.reference_group,
                       "role_text": ROLE_PLURAL[role], "marker": row["split"]}
            findings.append(_row_finding("marker", (role, row["split"], row["group"]), row,
                                         published.loc[(row["split"], row["group"])], context))
    return findings
