"""Rates and disproportionality ratios by ethnic group (DESIGN.md sections 5 and 6).

* ``population_rates``: events per 1,000 children of the group per year (``analytics.periods``) and the ratio to
  the reference group (Home Office / RDU convention; unrounded rates), exact conditional interval.
* ``decision_ratios``: the share of a role's records that ended in a chosen set of outcomes (outcome 22 by
  default), by group, relative to the reference group (the "relative rate index" practice), Koopman score
  interval. The denominator is named (``schema.DECISION_DENOMINATORS``): by default the concluded records
  whose outcome left diversion a live option (``live``); ``all`` every concluded one (``where.decision_source``).
* ``adjusted_ratios``: the Mantel–Haenszel ratio across strata beside the crude one, with the
  homogeneity test, so a county-wide ratio is not an artefact of where groups live.
* ``missing_ethnicity_bounds``: the range a ratio could take if the not-stated records belonged
  (a) to groups in proportion to the stated ones, (b) all to the group, (c) all to the reference group.

Every row states its events (numerator), denominator, method and confidence. Every comparison carries
the verdict decided once for its table (``analytics.verdicts``: Benjamini–Hochberg over every comparison of
the table, higher / similar / lower / not estimable) and a shown interval that agrees with it (Benjamini–
Yekutieli false-coverage-rate adjusted), beside the unadjusted interval. "Not stated" is always its own row.
The row builders, the finishing step and the table type (``DisparityTable``, a ``RatioTable``) come from
``analytics.tables``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics import ethnicity, periods, schema, stats, verdicts
from analytics.distributions import norm_isf, norm_sf
from analytics.filters import Filters, format_confidence
from analytics.periods import outcome_maturity, rate_period_of, split_years
from analytics.population_sex import count_text, population_sexes, sex_note, sex_outside_population, shown_count
from analytics.store import POPULATION_DIMENSIONS, Store
from analytics.tables import (
    ALL_SPLIT,
    COLUMNS,
    PER_1000,
    PERCENT,
    RATE_MULTIPLIER,
    RatioTable,
    by_group,
    by_split,
    decision_rows,
    finish_table,
    rate_rows,
    split_values,
)

__all__ = [
    "ALL_SPLIT", "COLUMNS", "DECISION_STRATA", "MEASURES", "PERCENT", "PER_1000", "RATE_MULTIPLIER", "RATE_STRATA",
    "DisparityTable", "RoleRates", "adjusted_ratios", "concordance_table", "decision_filters", "decision_ratios",
    "marker_rates", "missing_ethnicity_bounds", "population_rates", "rates_by_role",
]

MEASURES = ("rate", "outcome")
DECISION_STRATA = ("offence_group", "age_band")
RATE_STRATA = ("area", "age_band", "sex")


@dataclass(frozen=True)
class DisparityTable(RatioTable):
    """A crime-record rate/ratio table (``analytics.tables.RatioTable``) and, for decision points, the
    outcome codes counted as the event."""

    filters: Filters
    outcome_codes: tuple[str, ...] = ()
    #: decision points: the name of the denominator (``schema.DECISION_DENOMINATORS``), else empty
    decision_denominator: str = ""
    #: population rates: the children (or records) of sex U or X left out of the numerators (``population_sexes``;
    #: "[c]" for 1 to 4 where the store perturbs)
    sex_not_in_population: int | str | None = None

    def measure_metadata(self) -> dict[str, Any]:
        if self.sex_not_in_population is not None:
            return {"outcome_codes": list(self.outcome_codes), "sex_not_in_population": self.sex_not_in_population}
        if not self.decision_denominator:
            return {"outcome_codes": list(self.outcome_codes)}
        return {"outcome_codes": list(self.outcome_codes), "decision_denominator": self.decision_denominator,
                "denominator_outcome_codes": list(schema.DECISION_DENOMINATORS[self.decision_denominator])}


# --------------------------------------------------------------------------------------------
# Population rates and ratios
# --------------------------------------------------------------------------------------------
def population_rates(store: Store, filters: Filters, split: str | None = None) -> DisparityTable:
    """Events per 1,000 children of each group per year and the exact rate ratio to the reference group. Children of
    sex U or X are left out of the numerators (``population_sexes``) and counted in the notes."""
    _check_split(split)
    dims = (split,) if split else ()
    population_dims = dims if split in POPULATION_DIMENSIONS else ()
    outside = sex_outside_population(store, filters)
    return _population_table(store, filters, split, store.population_counts(filters, population_dims),
                             shown_count(store, int(outside["events"].sum())))


@dataclass(frozen=True)
class RoleRates:
    """``population_rates`` for each role, and the children (or records) in each role, from one query."""

    tables: dict[str, DisparityTable]
    counts: pd.Series  # events by role over the chosen ethnic groups (all groups when none is chosen)


def rates_by_role(store: Store, filters: Filters) -> RoleRates:
    """The tables ``population_rates(store, filters.replace(roles=(role,)))`` for victims, suspects and
    offenders, and the events in each role.

    A child's ethnic group is one per child, so children by role are the sum of children by role and
    group over the chosen groups. Each role's table is its own query (the concordance and the crimes shared by
    its children are by role)."""
    events = store.event_counts(filters.replace(roles=()), ("role",))
    tables = {role: population_rates(store, filters.replace(roles=(role,))) for role in schema.ROLES}
    chosen = events[events["ethnic_group"].isin(filters.ethnic_groups)] if filters.ethnic_groups else events
    counts = chosen.groupby("role")["events"].sum().reindex(list(schema.ROLES), fill_value=0).astype(int)
    return RoleRates(tables, counts)


def _population_table(store: Store, filters: Filters, split: str | None, population: pd.DataFrame,
                      sex_outside: int | str = 0) -> DisparityTable:
    """Events counted with ``population_sexes(filters)`` (estimates with the two-way variance, children and the
    crimes they share: ``analytics.ethnicity``); ``sex_outside`` children (records) recorded with sex U or X
    (``_shown_count``) were left out of them."""
    population_dims = (split,) if split in POPULATION_DIMENSIONS else ()
    population_by = by_split(population, split if population_dims else None, "population")
    dims = (split,) if split else ()
    counted = population_sexes(filters)
    units = store.ethnicity_units(counted, dims)
    concordance = _concordance(store, counted, units if not dims else None)
    method, _ = _ethnicity_method(filters, concordance)
    estimates = ethnicity.rate_estimates(units, dims, filters.ethnicity_source, filters.counting_unit,
                                         filters.reference_group, concordance, store.co_offending(counted, dims))
    parts = [ethnicity.as_rate_part(split_value, estimates.get(split_value if split else None),
                                    population_by.get(split_value if population_dims else None, {}))
             for split_value in split_values(units, population, split)]
    period = rate_period_of(store, filters)
    table = _finish(rate_rows(parts, filters.reference_group, filters.confidence,
                              years=split_years(period, split, [part[0] for part in parts])), filters)
    unit = schema.COUNTING_UNITS[filters.counting_unit].lower()
    return DisparityTable(
        period=period, ethnicity_method=method,
        concordance=tuple(concordance.records()) if concordance is not None else (),
        table=table,
        measure="rate",
        filters=filters,
        split=split,
        numerator=f"{unit} recorded as {_roles_text(filters)} in the period",
        denominator="children of the group in the selected districts, age bands and sexes (Census 2021 based)",
        denominator_source=_population_source(store),
        notes=(
            periods.rate_note(period, split == "month"),
            "Not stated: its share of all events (Wilson interval); it has no population denominator.",
            *sex_note(sex_outside, filters.counting_unit),
        ),
        sex_not_in_population=sex_outside,
    )


def marker_rates(store: Store, filters: Filters) -> DisparityTable:
    """Rates and ratios for records flagged with each risk marker, side by side (split = the marker).

    Benjamini–Hochberg runs across all the markers' rows together (one view, one family).
    """
    population = by_group(store.population_counts(filters), None, None, "population")
    counted = population_sexes(filters)  # girls and boys only: the population's sexes
    outside = shown_count(store, int(sex_outside_population(store, filters)["events"].sum()))
    concordance = _concordance(store, counted)  # the concordance of the whole selection, for every marker
    method, _ = _ethnicity_method(filters, concordance)
    parts: list[Any] = []
    for marker in schema.RISK_MARKERS:
        flagged = counted.replace(**{marker: "only"})
        estimates = ethnicity.rate_estimates(store.ethnicity_units(flagged), (), filters.ethnicity_source,
                                             filters.counting_unit, filters.reference_group, concordance,
                                             store.co_offending(flagged))
        parts.append(ethnicity.as_rate_part(schema.RISK_MARKER_LABELS[marker], estimates.get(None), population))
    period = rate_period_of(store, filters)
    rows = rate_rows(parts, filters.reference_group, filters.confidence, years=period.years)
    unit = schema.COUNTING_UNITS[filters.counting_unit].lower()
    return DisparityTable(
        period=period, ethnicity_method=method,
        concordance=tuple(concordance.records()) if concordance is not None else (),
        table=_finish(rows, filters),
        measure="rate",
        filters=filters,
        split="risk marker",
        numerator=f"{unit} recorded as {_roles_text(filters)} in a crime flagged with the marker",
        denominator="children of the group in the selected districts, age bands and sexes (Census 2021 based)",
        denominator_source=_population_source(store),
        notes=(periods.rate_note(period),
               "A record can carry several markers, so the markers' rows overlap.",
               *sex_note(outside, filters.counting_unit)),
        sex_not_in_population=outside,
    )


# --------------------------------------------------------------------------------------------
# Decision points
# --------------------------------------------------------------------------------------------
def decision_ratios(
    store: Store,
    filters: Filters,
    outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,),
    split: str | None = None,
    denominator: str = schema.DEFAULT_DECISION_DENOMINATOR,
) -> DisparityTable:
    """Share of the records in ``denominator`` (``schema.DECISION_DENOMINATORS``: ``live``, the concluded outcomes
    where diversion was a live option, or ``all`` concluded outcomes) ending in ``outcome_codes``, by group, and
    the ratio to the reference."""
    _check_split(split)
    _check_outcomes(outcome_codes, denominator)
    filters = decision_filters(filters)
    dims = (split,) if split else ()
    # decisions are counted in records: always the estimates (records clustered in children and in the crimes
    # co-defendants share; the concordance)
    codes = schema.DECISION_DENOMINATORS[denominator]
    units = store.ethnicity_units(filters, dims, tuple(outcome_codes), codes)
    concordance = (_concordance(store, filters) if filters.ethnicity_source == ethnicity.SOURCE else None)
    method = ethnicity.method_text(filters.ethnicity_source, "records", concordance, decision=True)
    estimates = ethnicity.share_estimates(units, dims, filters.ethnicity_source, concordance,
                                          store.decision_co_offending(filters, tuple(outcome_codes), dims, codes))
    rows = []
    for split_value in split_values(units, None, split):
        cell = estimates.get(split_value if split else None, ethnicity.CellEstimate())
        rows += decision_rows(split_value, cell.events, cell.denominator, filters.reference_group,
                              filters.confidence, cell.share_variance)
    table = _finish(rows, filters, decision=True)
    if len(table):  # the CSV states the denominator beside every number
        cases = schema.DECISION_DENOMINATOR_SHORT[denominator]
        table["method"] = table["method"].astype(str) + f"; denominator: {cases}"
    # for scrutiny a note's count of 1-4 is shown as [c], as in the tables
    open_cases = count_text(shown_count(store, int(units["open"].sum()) if len(units) else 0))
    outside = count_text(shown_count(store, int(units["outside"].sum()) if len(units) else 0))
    return DisparityTable(
        ethnicity_method=method,
        concordance=tuple(concordance.records()) if concordance is not None else (),
        table=table,
        measure="outcome",
        filters=filters,
        split=split,
        outcome_codes=tuple(outcome_codes),
        decision_denominator=denominator,
        numerator=f"records of {_roles_text(filters)} whose outcome is {', '.join(outcome_codes)}",
        denominator=decision_denominator_text(filters, denominator),
        denominator_source="the records themselves",
        notes=(
            f"{open_cases} records with an open investigation are not in the denominators.",
            *((f"{outside} concluded records whose outcome left no live choice of diversion (evidential "
               "difficulties, no suspect, prosecution prevented and the like) are not in the denominators "
               "(the 'all' denominator counts them).",) if denominator == "live" else ()),
            "The unit is the record: one decision per child per crime.",
            outcome_maturity(store, filters).note,
        ),
    )


def decision_denominator_text(filters: Filters, denominator: str) -> str:
    """The denominator of a decision-point share in words (metadata, captions, the pack)."""
    return f"records of {_roles_text(filters)} with {schema.DECISION_DENOMINATOR_LABELS[denominator]}"


# --------------------------------------------------------------------------------------------
# Mantel–Haenszel adjustment
# --------------------------------------------------------------------------------------------
def adjusted_ratios(
    store: Store,
    filters: Filters,
    measure: str = "rate",
    strata: tuple[str, ...] | None = None,
    outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,),
    crude: DisparityTable | None = None,
    denominator: str = schema.DEFAULT_DECISION_DENOMINATOR,
) -> pd.DataFrame:
    """Crude and Mantel–Haenszel adjusted ratios per group, with the homogeneity test.

    For population rates the strata can be area, age band and sex (the population's dimensions);
    for decision points any of area, offence group, age band, sex. ``crude`` is the unadjusted table
    for the same filters (``population_rates`` or ``decision_ratios``) when the caller has it already. Decision
    strata count the same records as the crude share: those in ``denominator`` (``decision_ratios``).
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r} (expected rate or outcome)")
    strata = tuple(strata if strata is not None else (RATE_STRATA if measure == "rate" else DECISION_STRATA))
    allowed: tuple[str, ...]
    if measure == "rate":
        allowed = POPULATION_DIMENSIONS
    else:
        allowed = ("area", "offence_group", "age_band", "sex")
        filters = decision_filters(filters)
    bad = [s for s in strata if s not in allowed]
    if bad or not strata:
        raise ValueError(f"cannot adjust {measure} for {bad[0] if bad else 'nothing'!r} "
                         f"(expected some of {', '.join(allowed)})")
    if crude is None:
        crude = (population_rates(store, filters) if measure == "rate"
                 else decision_ratios(store, filters, outcome_codes, denominator=denominator))
    elif (crude.measure, crude.filters, crude.split) != (measure, filters, None) or (
            measure == "outcome" and (crude.outcome_codes, crude.decision_denominator)
            != (tuple(outcome_codes), denominator)):
        raise ValueError("the crude table was computed for other filters, measure, outcomes or denominator")
    cells = _strata_cells(store, filters, measure, strata, outcome_codes, denominator)
    rows = []
    pooled_results = []
    crude_rows = crude.table.set_index("group")
    for group in schema.ETHNIC_GROUPS:
        if group == filters.reference_group or group not in crude_rows.index:  # groups left out by the filter
            continue
        crude_row = crude_rows.loc[group]
        pooled = _mantel_haenszel(cells, strata, group, filters, measure)
        pooled_results.append(pooled)
        rows.append({
            "group": group,
            "crude_ratio": crude_row["ratio"], "crude_lower": crude_row["ratio_lower"],
            "crude_upper": crude_row["ratio_upper"], "crude_events": crude_row["events"],
            "crude_verdict": crude_row["verdict"],
            "adjusted_ratio": pooled.estimate, "adjusted_lower_unadjusted": pooled.lower,
            "adjusted_upper_unadjusted": pooled.upper, "p_value": wald_p_value(pooled),
            "homogeneity_chi2": pooled.homogeneity_chi2,
            "homogeneity_df": pooled.homogeneity_df, "homogeneity_p": pooled.homogeneity_p,
            "strata_used": pooled.strata_used, "adjusted_for": ", ".join(strata),
            "method": (f"{pooled.method}; {format_confidence(filters.confidence)} CI; Wald test on the log scale"
                       + (f"; {pooled.note}" if pooled.note else "")),
        })
    table = pd.DataFrame(rows)
    if len(table):
        family, decided = verdicts.decide(table["adjusted_ratio"].to_numpy(dtype=float),
                                          table["p_value"].to_numpy(dtype=float), 1 - filters.confidence)
        shown = [pooled.confidence_interval(family.interval_level) for pooled in pooled_results]
        table["adjusted_lower"] = [low for low, _ in shown]
        table["adjusted_upper"] = [high for _, high in shown]
        table["interval_level"] = family.interval_level
        table["p_adjusted"] = family.p_adjusted
        table["verdict"] = [str(v) for v in decided]
        table.attrs["multiple_comparisons"] = family.description
    return table


def wald_p_value(pooled: stats.MantelHaenszelResult) -> float:
    """The two-sided Wald test of ratio = 1 that the pooled (Greenland–Robins, log-scale) interval inverts:
    z = log(estimate) / SE, SE recovered from the interval, so the interval at 1 − alpha excludes 1 exactly
    when p < alpha (the Mantel–Haenszel score test is not this interval's test, so its p-value is not used
    for the verdict). ``nan`` where the interval is not finite."""
    estimate, lower, upper = pooled.estimate, pooled.lower, pooled.upper
    if not all(math.isfinite(v) and v > 0 for v in (estimate, lower, upper)):
        return math.nan
    se = (math.log(upper) - math.log(lower)) / (2 * float(norm_isf((1 - pooled.conf) / 2)))
    if se <= 0:
        return math.nan
    return float(2 * norm_sf(abs(math.log(estimate)) / se))


def _strata_cells(store, filters, measure, strata, outcome_codes, denominator) -> pd.DataFrame:
    if measure == "rate":
        events = store.event_counts(population_sexes(filters), strata)  # as the crude rates: girls and boys
        population = store.population_counts(filters, strata)
        cells = population.merge(events, on=[*strata, "ethnic_group"], how="left")
        return cells.rename(columns={"population": "denominator"}).fillna({"events": 0})
    return store.decision_counts(filters, outcome_codes, strata, schema.DECISION_DENOMINATORS[denominator])


def _mantel_haenszel(cells: pd.DataFrame, strata, group: str, filters: Filters, measure: str):
    reference = filters.reference_group
    wide = cells[cells["ethnic_group"].isin([group, reference])].pivot_table(
        index=list(strata), columns="ethnic_group", values=["events", "denominator"], aggfunc="sum", fill_value=0
    )

    def column(name: str, of: str) -> np.ndarray:
        return wide[(name, of)].to_numpy(dtype=float) if (name, of) in wide.columns else np.zeros(len(wide))

    # one row per stratum: (a, t1, b, t0), checked and pooled as arrays
    tables = np.column_stack([column("events", group), column("denominator", group),
                              column("events", reference), column("denominator", reference)])
    if measure == "rate":
        return stats.mh_rate_ratio(tables, filters.confidence)
    return stats.mh_risk_ratio(tables, filters.confidence)


# --------------------------------------------------------------------------------------------
# Missing-ethnicity sensitivity
# --------------------------------------------------------------------------------------------
def missing_ethnicity_bounds(result: DisparityTable) -> pd.DataFrame:
    """For each ratio, the range it could take under any allocation of the not-stated records.

    ``if_proportional``: the ratio itself (not-stated shared out in proportion leaves it unchanged).
    ``highest`` / ``lowest``: the true extremes over every allocation (also as ``if_all_to_group`` /
    ``if_all_to_reference``, the allocations that reach them). For rates (population denominators) the not-stated
    events go all to the group or all to the reference group. For shares of concluded records (outcome 22) the
    not-stated records are events *and* non-events, and a share rises with events and falls with non-events: the
    highest ratio gives the group every not-stated event and the reference group every not-stated non-event, the
    lowest the reverse (issue 13: allocating the events alone, with all the records to one side, is not a bound).
    The ratio always lies within its bounds."""
    rows = []
    for split_value, part in result.table.groupby("split", sort=False):
        by_group = part.set_index("group")
        if schema.NOT_STATED not in by_group.index:
            continue
        missing = by_group.loc[schema.NOT_STATED]
        reference = by_group.loc[result.filters.reference_group]
        for group, row in by_group.iterrows():
            if group in (schema.NOT_STATED, result.filters.reference_group) or pd.isna(row.get("ratio")):
                continue
            rows.append({"split": split_value, "group": group, "ratio": row["ratio"],
                         **_bounds(result.measure, row, reference, missing)})
    return pd.DataFrame(rows)


def _ratio_or_inf(numerator: float, denominator: float) -> float:
    if denominator > 0:
        return numerator / denominator
    return math.inf if numerator > 0 else math.nan


def _bounds(measure: str, row, reference, missing) -> dict:
    a, t1, b, t0 = (float(v) for v in (row["events"], row["denominator"], reference["events"],
                                       reference["denominator"]))
    x = float(missing["events"])
    if measure == "rate":
        highest = _ratio_or_inf((a + x) / t1, b / t0)
        lowest = _ratio_or_inf(a / t1, (b + x) / t0)
    else:
        non_events = float(missing["denominator"]) - x
        highest = _ratio_or_inf((a + x) / (t1 + x), b / (t0 + non_events))
        lowest = _ratio_or_inf(a / (t1 + non_events), (b + x) / (t0 + x))
    return {"if_proportional": row["ratio"], "if_all_to_group": highest, "if_all_to_reference": lowest,
            "lowest": lowest, "highest": highest, "not_stated_events": int(x)}


# --------------------------------------------------------------------------------------------
# Checks and wording
# --------------------------------------------------------------------------------------------
def _finish(rows: list[dict[str, Any]], filters: Filters, decision: bool = False) -> pd.DataFrame:
    """The finished table, each row's method stating the ethnicity source and the clustering (children and the
    crimes they share: rates' counts, decision shares' records)."""
    table = finish_table(pd.DataFrame(rows), filters.confidence, filters.reference_group, filters.ethnic_groups)
    suffix = ethnicity.row_method(filters.ethnicity_source, decision or filters.counting_unit == "records",
                                  decision=decision)
    if suffix and len(table):
        table["method"] = table["method"].astype(str) + suffix
    return table


def _concordance(store: Store, filters: Filters, units: pd.DataFrame | None = None) -> ethnicity.Concordance | None:
    """The concordance of the selection (each child once), for the default source only."""
    if filters.ethnicity_source != ethnicity.SOURCE:
        return None
    return ethnicity.concordance(units if units is not None else store.ethnicity_units(filters))


def concordance_table(store: Store, filters: Filters) -> pd.DataFrame:
    """For analysts: the concordance the default estimate uses for ``filters`` (per stratum and officer-defined
    group, the children with both codes and the percentage in each self-defined group)."""
    return ethnicity.concordance(store.ethnicity_units(filters)).table()


def _ethnicity_method(filters: Filters,
                      concordance: ethnicity.Concordance | None) -> tuple[str, ethnicity.Concordance | None]:
    return ethnicity.method_text(filters.ethnicity_source, filters.counting_unit, concordance), concordance


def _check_split(split: str | None) -> None:
    if split is not None and split not in schema.SPLIT_DIMENSIONS:
        raise ValueError(f"unknown split {split!r} (expected one of {', '.join(schema.SPLIT_DIMENSIONS)})")


def check_denominator(denominator: str) -> None:
    """Refuse an unknown decision denominator in one line."""
    if denominator not in schema.DECISION_DENOMINATORS:
        raise ValueError(f"unknown decision denominator {str(denominator)[:40]!r} "
                         f"(expected one of {', '.join(schema.DECISION_DENOMINATORS)})")


def _check_outcomes(outcome_codes: tuple[str, ...], denominator: str = "all") -> None:
    check_denominator(denominator)
    unknown = [c for c in outcome_codes if c not in schema.OUTCOME_CODES]
    if unknown or not outcome_codes:
        raise ValueError(f"unknown outcome code {unknown[0] if unknown else '(none)'!r}")
    outside = [c for c in outcome_codes if c not in schema.DECISION_DENOMINATORS[denominator]]
    if outside:
        raise ValueError(f"outcome {outside[0]} is not in the {denominator!r} denominator (outcomes where diversion "
                         "was a live option); choose the 'all' denominator to count it")


def decision_filters(filters: Filters) -> Filters:
    """The filters a decision-point table is computed with, so its metadata states exactly what was computed:
    suspects unless a role is chosen; the record as the unit (one decision per child per crime, whatever
    counting unit was chosen); no outcome filter (the outcomes counted are the table's ``outcome_codes`` and
    the denominator the records of the role whose outcome is in the table's decision denominator)."""
    filters = filters if filters.roles else filters.replace(roles=("suspect",))
    return filters.replace(counting_unit="records", outcome_codes=())


def _roles_text(filters: Filters) -> str:
    if not filters.roles:
        return "victim, suspect or offender"
    return " or ".join(f"{r}s" for r in filters.roles)


def _population_source(store: Store) -> str:
    return str(store.publication().get("population_source", "population table"))
