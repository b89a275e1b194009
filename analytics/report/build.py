"""The pack's data from the store: every figure computed with the dashboard's own analytics, then controlled.

``build_data(store, month, audience, filters)`` uses the same functions and the same ``Filters`` as the
dashboard, with the date range set to the 12 months to ``month``, and passes every table that shows counts
through disclosure control for the audience (:func:`suppression.apply_to_ratio_table`,
:func:`suppression.suppress_table`) before anything else reads it. Each section is built by its own function
of the store and the pack's filters; none of them changes its arguments.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics import access, change, disparity, geography, periods, quality, schema, searches, suppression, trends
from analytics.config import load_settings
from analytics.filters import Filters
from analytics.report import attention as report_attention
from analytics.report.data import (
    AUDIENCES,
    DEFAULT_AUDIENCE,
    Districts,
    MarkerRates,
    MonthCompleteness,
    MonthOnMonth,
    Outcome22,
    PackData,
    Provenance,
    Quality,
    RatioResult,
    RoleRatios,
    Rolling,
    Searches,
    SearchRatios,
)
from analytics.report.findings import pack_findings
from analytics.report.formatting import count_text, worst
from analytics.report.partners import partner_section
from analytics.store import SearchStore, Store

FOCUS_ROLE = "suspect"
MARKERS = ("knife_crime", "cce")
SEARCH_MEASURES = ("rate", "find")
ALL_ROLES = "All roles"


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def parse_month(text: str) -> date:
    """``YYYY-MM`` -> the first day of that month; ``ValueError`` otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"--month must be a month in YYYY-MM form, e.g. 2026-10 (got {str(text)[:20]!r})")
    return date(int(match.group(1)), int(match.group(2)), 1)


def check_month(store: Store, month: date) -> tuple[date, date]:
    """The data's first and last months; ``ValueError`` if ``month`` is outside them."""
    first, last = store.month_range()
    if first is None or last is None:
        raise ValueError("the database holds no records")
    if not first <= month <= last:
        raise ValueError(f"no data for {month:%B %Y}: the data cover {first:%B %Y} to {last:%B %Y}")
    return first, last


def check_audience(audience: str) -> None:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r} (expected one of {', '.join(AUDIENCES)})")


def force_name(store: Store) -> str:
    """The force the data are for: ``force_name`` in the configuration, else inferred from the districts."""
    configured = load_settings().force_name
    if configured:
        return configured
    codes = set(store.areas()["area_code"])
    if codes and codes <= set(schema.KNOWN_AREA_NAMES):
        return "Norfolk Constabulary"
    return "Police force area"


def pack_filters(filters: Filters, month: date) -> Filters:
    """The dashboard's filters with the date range set to the 12 months to ``month``."""
    (start, end), _ = trends.twelve_month_windows(month)
    return filters.replace(date_from=start, date_to=end)


def roles_shown(filters: Filters) -> tuple[str, ...]:
    return filters.roles or schema.ROLES


def decision_filters(filters: Filters) -> Filters:
    """Outcome 22 is judged on suspects unless the filters name the roles."""
    return filters if filters.roles else filters.replace(roles=(FOCUS_ROLE,))


def district_role(filters: Filters) -> str:
    """The role the districts and trends sections show: suspects where shown, else the first role."""
    roles = roles_shown(filters)
    return FOCUS_ROLE if FOCUS_ROLE in roles else roles[0]


# --------------------------------------------------------------------------------------------
# The pack
# --------------------------------------------------------------------------------------------
def build_data(store: Store, month: date, audience: str = DEFAULT_AUDIENCE, filters: Filters | None = None,
               today: date | None = None, decision_denominator: str | None = None) -> PackData:
    """Every section of the pack for ``month`` (a date in the month) and ``audience``, and its findings.
    ``decision_denominator``: the outcome-22 share's denominator (``schema.DECISION_DENOMINATORS``; default the
    configured one)."""
    check_audience(audience)
    denominator = decision_denominator or load_settings().decision_denominator
    disparity.check_denominator(denominator)
    if suppression.audience_applies_suppression(AUDIENCES[audience]):
        store = store.perturbed()  # the Cell Key Method: every count of the scrutiny pack is perturbed
    month = month.replace(day=1)
    first, _ = check_month(store, month)
    base = (filters or Filters()).replace(date_from=None, date_to=None)
    access.check_edition_source(audience, base.ethnicity_source)  # the scrutiny edition: one source (issue 14)
    store.check_areas(base.areas)
    f12 = pack_filters(base, month)
    control = Control(audience, f12.reference_group)
    roles = role_ratios(store, base, f12, month, control)
    data = PackData(
        month=month, audience=audience, filters=f12, base_filters=base, force=force_name(store), data_from=first,
        produced=today or date.today(), provenance=provenance(store),
        roles=roles,
        outcome22=outcome22(store, f12, control, denominator),
        districts=districts(store, f12, roles, control),
        markers=marker_rates(store, f12, control),
        rolling=rolling(store, base, f12),
        quality=recording_quality(store, base, f12, month, control.suppressing),
        month_on_month=month_on_month(store, base, month, control.suppressing),
        searches=stop_and_search(store, f12, control),
        partners=partner_section(store, f12, audience),
    )
    data = replace(data, what_changed=change.what_changed(store, base, as_of=trends.month_end(month)),
                   maturity=periods.outcome_maturity(store, base))
    return replace(data, findings=pack_findings(data),
                   attention=report_attention.attention(store.path, month, control.suppressing))


class Control:
    """Disclosure control for the pack's audience, keeping the stricter reliability of the two tables."""

    def __init__(self, audience: str, reference_group: str) -> None:
        self.audience = AUDIENCES[audience]
        self.reference_group = reference_group
        self.suppressing = suppression.audience_applies_suppression(self.audience)

    def __call__(self, table: pd.DataFrame, **options: Any) -> pd.DataFrame:
        out = suppression.apply_to_ratio_table(table, self.audience, reference_group=self.reference_group, **options)
        if "reliability" in table.columns:
            out["reliability"] = [worst(a, b) for a, b in zip(table["reliability"], out["reliability"], strict=True)]
        return out


def provenance(store: Store) -> Provenance:
    meta = store.publication()
    return Provenance(
        version=store.data_version(), source_file=str(meta.get("source_file", "")),
        loaded_on=str(meta.get("loaded_at", ""))[:10], loaded=int(meta.get("loaded", 0)),
        rejected=int(meta.get("rejected", 0)), excluded=int(meta.get("excluded", 0)),
        population_source=str(meta.get("population_source", "")),
    )


def role_ratios(store: Store, base: Filters, f12: Filters, month: date, control: Control) -> dict[str, RoleRatios]:
    """Each role's ratios in the 12 months and the 12 months before (the year-on-year comparison)."""
    out = {}
    for role in roles_shown(f12):
        comparison = trends.compare_years(store, base.replace(roles=(role,)), month)
        out[role] = RoleRatios(current=comparison.current, previous=comparison.previous,
                               published=control(comparison.current.table),
                               previous_published=control(comparison.previous.table))
    return out


def outcome22(store: Store, f12: Filters, control: Control,
              denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> Outcome22:
    decision = decision_filters(f12)
    crude = disparity.decision_ratios(store, decision, (schema.OUTCOME_22,), denominator=denominator)
    adjusted = disparity.adjusted_ratios(store, decision, "outcome", disparity.DECISION_STRATA, (schema.OUTCOME_22,),
                                         crude=crude, denominator=denominator)
    return Outcome22(roles=decision.roles, crude=crude, adjusted=adjusted,
                     published=control(crude.table, denominator_is_count=True))


def focus_group(roles: dict[str, RoleRatios], reference_group: str) -> str:
    """The group the district map shows: the focus role's most significant ratio, else Black (or the first group)."""
    table = roles.get(FOCUS_ROLE, next(iter(roles.values()))).current.table
    candidates = table[table["p_value"].notna() & ~table["is_reference"]]
    if len(candidates):
        return str(candidates.sort_values("p_value").iloc[0]["group"])
    others = [g for g in schema.ETHNIC_GROUPS if g != reference_group]
    return "Black" if "Black" in others else others[0]


def districts(store: Store, f12: Filters, roles: dict[str, RoleRatios], control: Control) -> Districts:
    role = district_role(f12)
    filters = f12.replace(roles=(role,))
    rates = disparity.population_rates(store, filters, split="area")
    # Disclosure control over the district x stated-group grid, whose row totals the funnel publishes.
    stated = rates.table[rates.table["group"].isin(schema.ETHNIC_GROUPS)].reset_index(drop=True)
    published = control(stated)
    areas = store.areas()
    return Districts(
        role=role, focus_group=focus_group(roles, f12.reference_group), rates=rates, published=published,
        totals=district_totals(stated, published), funnel=geography.rate_funnel(store, filters, None, table=rates),
        area_names=dict(zip(areas["area_code"], areas["area_name"], strict=True)),
    )


def district_totals(stated: pd.DataFrame, published: pd.DataFrame) -> dict[str, int | str]:
    """Each district's count over the stated groups, as published (``[c]`` where suppressed)."""
    sums = stated.groupby("split")["events"].sum()
    hidden = set(published.attrs.get("suppressed_totals", {}).get("splits", []))
    return {str(code): (suppression.SUPPRESSED if code in hidden else int(total)) for code, total in sums.items()}


def marker_rates(store: Store, f12: Filters, control: Control) -> dict[str, MarkerRates]:
    """Knife crime and CCE for suspects and victims (where the filters show them)."""
    labels = [schema.RISK_MARKER_LABELS[m] for m in MARKERS]
    out: dict[str, MarkerRates] = {}
    for role in [r for r in ("suspect", "victim") if r in roles_shown(f12)]:
        result = disparity.marker_rates(store, f12.replace(roles=(role,)))
        chosen = result.table[result.table["split"].isin(labels)].reset_index(drop=True)
        out[role] = MarkerRates(rates=result, published=control(chosen, across_splits=False))
    return out


def stop_and_search(store: Store, f12: Filters, control: Control) -> Searches:
    """Stop and search of children in the pack's 12 months (data.police.uk files), if any are loaded."""
    search_store = SearchStore(store)
    if not search_store.available():
        return Searches()
    forces = tuple(search_store.options().get("forces", ()))
    filters = searches.SearchFilters(date_from=f12.date_from, date_to=f12.date_to,
                                     reference_group=f12.reference_group, confidence=f12.confidence)
    if int(searches.monthly_counts(search_store, filters)["value"].sum()) == 0:
        return Searches(forces)  # no searches of children in these 12 months: the section says so
    measures = {}
    for measure in SEARCH_MEASURES:
        try:
            result: RatioResult = searches.ratios(search_store, filters, measure)
        except ValueError:  # e.g. no population for the searched force: the section says so
            continue
        measures[measure] = SearchRatios(result, control(result.table, denominator_is_count=measure == "find"))
    return Searches(forces, measures)


def rolling(store: Store, base: Filters, f12: Filters) -> Rolling:
    """Rolling 12-month ratios up to the pack's month; windows with fewer than 5 events are not shown."""
    role = district_role(f12)
    ratios = trends.rolling_ratios(store, base.replace(roles=(role,), date_to=f12.date_to))
    shown = ratios.copy()
    # Ratios from fewer than 5 events are not shown (every audience); a ratio with the population
    # known would reveal a small count.
    basis = np.minimum(shown["events"], shown["reference_events"]) if len(shown) else shown["events"]
    shown = shown[basis >= schema.WITHHOLD_RATIO_BELOW].copy()
    basis = np.minimum(shown["events"], shown["reference_events"])
    shown["reliability"] = [suppression.reliability(int(n)) for n in basis]
    return Rolling(role=role, ratios=ratios, published=shown)


def recording_quality(store: Store, base: Filters, f12: Filters, month: date, suppressing: bool) -> Quality:
    everyone = base.replace(roles=())
    this_month, previous_month = (month_completeness(store, everyone, start, suppressing)
                                  for start in (month, trends.months_back(month, 1)))
    monthly = quality.completeness(
        store, everyone.replace(date_from=trends.months_back(month, 23), date_to=f12.date_to), ("month",))
    return Quality(this_month=this_month, previous_month=previous_month, monthly=monthly,
                   agreement=quality.agreement(store, f12.replace(roles=())))


def month_completeness(store: Store, filters: Filters, month: date, suppressing: bool) -> MonthCompleteness:
    """Records made in ``month`` with self-defined ethnicity stated, by role, exact and as published."""
    within = filters.replace(date_from=month, date_to=trends.month_end(month))
    by_role = quality.completeness(store, within, ("role",))
    overall = quality.completeness(store, within, ())
    share = (float(overall["self_share"].iloc[0]) if len(overall) and overall["records"].iloc[0] else float("nan"))
    grid = pd.DataFrame(index=[*schema.ROLES, ALL_ROLES], columns=["Stated", "Not stated", "Records"], dtype="int64")
    part = by_role.set_index("role").reindex(list(schema.ROLES)).fillna(0)
    grid.loc[list(schema.ROLES), "Stated"] = part["self_stated"].astype(int).to_numpy()
    grid.loc[list(schema.ROLES), "Records"] = part["records"].astype(int).to_numpy()
    grid["Not stated"] = grid["Records"] - grid["Stated"]
    grid.loc[ALL_ROLES] = grid.loc[list(schema.ROLES)].sum()
    grid = grid.astype("int64")
    shown = (suppression.suppress_table(grid, row_total=ALL_ROLES, col_total="Records") if suppressing
             else grid.map(count_text))
    return MonthCompleteness(month=month, share=share, grid=grid, shown=shown)


def month_on_month(store: Store, base: Filters, month: date, suppressing: bool) -> MonthOnMonth:
    counts = trends.month_on_month(store, base, month).set_index("role")[["this_month", "previous_month"]]
    shown = counts.map(count_text)
    if suppressing:
        shown = shown.mask(suppression.primary_mask(counts), suppression.SUPPRESSED)
    return MonthOnMonth(counts=counts, shown=shown)
