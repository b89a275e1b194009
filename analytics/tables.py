"""The one table engine behind every rate/ratio table (DESIGN.md sections 5 and 6).

Crime records (``analytics.disparity``) and stop and search (``analytics.searches``) build their tables
here, so a table prints, exports and renders the same way whatever it counts:

* ``rate_rows``: per group, events per 1,000 of the group's population per year of the period
  (``analytics.periods``) and the exact conditional rate ratio to the reference group, plus a Not-stated row
  with its share of all events (Wilson).
* ``decision_rows``: per group, the share of a stage's cases that reached the next (Wilson) and the
  ratio of shares to the reference group (Koopman score interval): the "relative rate index".
* ``finish_table``: every comparison's p-value and interval from the ``*_effective`` counts
  (``ratio_interval``), the family adjustment over every comparison of the table and each row's verdict
  (``analytics.verdicts``), the shown (false-coverage-rate adjusted) interval, and only then reliability and
  the withholding of ratios from fewer than 5 events, a display decision that changes no verdict.
* ``RatioTable``: a finished table with everything needed to explain each number in it.

``ratio_lower``/``ratio_upper`` are the shown intervals, at ``interval_level`` (Benjamini–Yekutieli 2005 for
the default Benjamini–Hochberg family), so they exclude 1 exactly when the ``verdict`` is higher or lower;
``ratio_lower_unadjusted``/``ratio_upper_unadjusted`` are at the chosen confidence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics import exports, periods, schema, stats, suppression, verdicts
from analytics.filters import format_confidence

FloatArray = npt.NDArray[np.float64]

#: The command line's and the CSV export's columns, in this order.
COLUMNS: tuple[str, ...] = (
    "split", "group", "events", "denominator", "rate", "rate_lower", "rate_upper", "unit", "ratio",
    "ratio_lower", "ratio_upper", "interval_level", "ratio_lower_unadjusted", "ratio_upper_unadjusted", "p_value",
    "p_adjusted", "verdict", "reliability", "method",
)
ALL_SPLIT = "All"
PER_1000 = periods.RATE_UNIT  # "per 1,000 children per year" (issue 13: rates are annual)
PERCENT = "%"
RATE_MULTIPLIER = 1000
MULTIPLE_COMPARISONS = "Benjamini–Hochberg across every comparison of this table"

#: The counts the inference uses, per row (DESIGN: issue 13): by default the raw counts; an estimated count E with
#: variance V (ethnicity imputed, records clustered in children) is carried as E^2 / V with the denominator scaled
#: by E / V (``effective_counts``).
EFFECTIVE_COLUMNS: tuple[str, ...] = (
    "events_effective", "denominator_effective", "reference_events_effective", "reference_denominator_effective",
)
#: "rate" for population rates, "share" for decision-point shares.
RATIO_KINDS = ("rate", "share")
RATE_KIND, SHARE_KIND = RATIO_KINDS

#: (split value, events by group, population by group): the input of ``rate_rows`` for one split value; an optional
#: fourth item gives each group's estimated events' variance (absent: Poisson, the variance is the count).
RatePart = (tuple[object, Mapping[str, float], Mapping[str, float]]
            | tuple[object, Mapping[str, float], Mapping[str, float], Mapping[str, float]])


def effective_counts(estimate: float, variance: float, denominator: float) -> tuple[float, float]:
    """The Poisson-equivalent (effective) count E^2 / V of an estimate E with variance V, and the denominator
    scaled by the same factor E / V, so their ratio is E / denominator (Kish 1965 section 8.2; Fay & Feuer 1997).
    With no extra variance (V = E) they are E and the denominator; with nothing to scale (E or V zero or not
    finite) the counts are returned unchanged."""
    if not (estimate > 0 and variance > 0 and np.isfinite(variance)):
        return float(estimate), float(denominator)
    factor = estimate / variance
    return estimate * factor, denominator * factor


class TableFilters(Protocol):
    """What a table needs from its filters (``Filters`` or ``SearchFilters``)."""

    reference_group: str
    confidence: float
    ethnicity_source: str

    def describe(self) -> str: ...


# --------------------------------------------------------------------------------------------
# The finished table
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RatioTable:
    """A rate/ratio table (``COLUMNS`` and ``is_reference``) with the facts needed to explain every number:
    the measure, the filters (reference group, confidence), numerator, denominator and its source, the
    split and the notes. ``DisparityTable`` and ``SearchTable`` add their measure's own facts."""

    table: pd.DataFrame
    measure: str
    filters: Any  # a TableFilters value: Filters (crime records) or SearchFilters (stop and search)
    numerator: str
    denominator: str
    denominator_source: str
    split: str | None = None
    notes: tuple[str, ...] = ()
    #: how each child's ethnic group was obtained (and records' clustering allowed for), stated beside the table
    ethnicity_method: str = ""
    #: the concordance the default estimate used (``analytics.ethnicity.Concordance.records()``), else empty
    concordance: tuple[dict[str, Any], ...] = ()
    #: the period a population rate covers (rates are per 1,000 children per year of it); None for shares
    period: periods.Period | None = None

    @property
    def confidence(self) -> float:
        return float(self.filters.confidence)

    @property
    def counting_unit(self) -> str:
        return str(self.filters.counting_unit)

    def measure_metadata(self) -> dict[str, Any]:
        """The measure's own entries of ``metadata()`` (placed after ``split``)."""
        return {}

    def csv_frame(self) -> pd.DataFrame:
        return self.table.loc[:, list(COLUMNS)]

    def metadata(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "denominator_source": self.denominator_source,
            "reference_group": self.filters.reference_group,
            "confidence": self.confidence,
            "counting_unit": self.counting_unit,
            "ethnicity_source": schema.ETHNICITY_SOURCES[self.filters.ethnicity_source],
            "ethnicity_method": self.ethnicity_method or schema.ETHNICITY_SOURCES[self.filters.ethnicity_source],
            "concordance": list(self.concordance),
            "filters": self.filters.describe(),
            "split": self.split or ALL_SPLIT,
            **({"period": self.period.as_dict()} if self.period is not None else {}),
            **self.measure_metadata(),
            "multiple_comparisons": family_description(self.table),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        rows = exports.json_records(self.csv_frame())  # full precision: repr floats, never 2.9e-12 -> 0.0
        return json.dumps({"metadata": self.metadata(), "rows": rows}, indent=2, ensure_ascii=False, default=str)


# --------------------------------------------------------------------------------------------
# Population rates and ratios
# --------------------------------------------------------------------------------------------
def rate_rows(parts: Iterable[RatePart], reference_group: str, confidence: float, *,
              years: float | Mapping[Any, float], unit: str = PER_1000, groups: tuple[str, ...] = schema.ETHNIC_GROUPS,
              not_stated: str = schema.NOT_STATED) -> list[dict[str, Any]]:
    """One row per group and a Not-stated share row for each ``(split value, events by group, population by
    group)``; the intervals of the whole table are computed in one call each (``stats.*_array``: the same
    values as the single-row functions). Rates are per 1,000 per year: the events over ``years`` (the period's
    length, ``analytics.periods``) are divided by the population times ``years`` (person-years); the interval on
    the count scales the same way and the ratios, over the same period for every group, do not change.
    ``years`` may map each split value to its own length (a table split by month). ``groups`` and ``not_stated``
    name the rows (the detailed groups: ``analytics.detailed``)."""
    rows: list[dict[str, Any]] = []
    references: list[tuple[float, float] | None] = []
    multipliers: list[float] = []
    for part in parts:
        split_value, events, population = part[0], part[1], part[2]
        part_years = years[split_value] if isinstance(years, Mapping) else years
        if not part_years > 0:
            raise ValueError(f"a rate's period must be longer than 0 years, got {part_years}")
        multipliers += [RATE_MULTIPLIER / part_years] * len(groups)
        variance: Mapping[str, float] = part[3] if len(part) > 3 else {}
        effective = {g: effective_counts(events.get(g, 0), variance.get(g, events.get(g, 0)), population.get(g, 0))
                     for g in groups}
        for group in groups:
            rows.append({"split": split_value, "group": group, "events": events.get(group, 0),
                         "denominator": population.get(group, 0), "unit": unit,
                         "is_reference": group == reference_group, "ratio_kind": "rate",
                         "events_effective": effective[group][0], "denominator_effective": effective[group][1],
                         "reference_events_effective": effective[reference_group][0],
                         "reference_denominator_effective": effective[reference_group][1],
                         "reference_events": events.get(reference_group, 0),
                         "reference_denominator": population.get(reference_group, 0)})
            references.append((events.get(reference_group, 0), population.get(reference_group, 0)))
        stated = sum(events.get(g, 0) for g in groups)
        unstated = events.get(not_stated, 0)
        rows.append({"split": split_value, "group": not_stated, "events": unstated,
                     "denominator": unstated + stated, "unit": PERCENT, "is_reference": False,
                     "ratio_kind": "share", "events_effective": unstated,
                     "denominator_effective": unstated + stated})
        references.append(None)
    _add_rates(rows, references, confidence, np.array(multipliers, dtype=float))
    _add_not_stated_shares(rows, confidence)
    return rows


def _add_rates(rows: list[dict[str, Any]], references: list[tuple[float, float] | None], conf: float,
               multipliers: FloatArray) -> None:
    """Rates (``multipliers``: each group row's 1,000 / years) and exact rate ratios to the reference group (from
    the effective counts), filled into ``rows`` in place."""
    at = [i for i, reference in enumerate(references) if reference is not None]
    reference_of = {i: reference for i, reference in enumerate(references) if reference is not None}

    def column(name: str, among: list[int]) -> FloatArray:
        return np.array([rows[at[k]][name] for k in among], dtype=float)

    everything = list(range(len(at)))
    population = column("denominator", everything)
    # a rate x / n * m with its interval is the rate of x over n * (1,000 / m) person-years per 1,000
    person_years = column("denominator_effective", everything) * (RATE_MULTIPLIER / multipliers)
    rates = stats.rate_ci_array(column("events_effective", everything), person_years,
                                conf, multiplier=RATE_MULTIPLIER, effective=True)
    compared = [k for k, i in enumerate(at)
                if not rows[i]["is_reference"] and population[k] > 0 and reference_of[i][1] > 0]
    ratios = stats.rate_ratio_exact_array(
        column("events_effective", compared), column("denominator_effective", compared),
        column("reference_events_effective", compared), column("reference_denominator_effective", compared),
        conf, effective=True)
    ratio_of = dict(zip(compared, range(len(compared)), strict=True))
    for k, i in enumerate(at):
        row = rows[i]
        if population[k] > 0:
            row |= {"rate": row["events"] * (multipliers[k] / population[k]), "rate_lower": rates.lower[k],
                    "rate_upper": rates.upper[k]}
            method = rates.method[k]
        else:
            method = "no population denominator: rate not estimable"
        if k in ratio_of:
            j = ratio_of[k]
            reference_events, reference_population = reference_of[i]
            estimate = ((row["events"] / population[k]) / (reference_events / reference_population)
                        if reference_events > 0 else ratios.estimate[j])
            row |= {"ratio": estimate, "ratio_lower": ratios.lower[j], "ratio_upper": ratios.upper[j],
                    "p_value": ratios.p_value[j], "ratio_events": min(row["events"], reference_events)}
            method += f"; ratio {ratios.method[j]}" + (f" ({ratios.note[j]})" if ratios.note[j] else "")
        row["method"] = f"{method}; {format_confidence(conf)} CI"


def _add_not_stated_shares(rows: list[dict[str, Any]], conf: float) -> None:
    """The not-stated count's share of all events (Wilson), never dropped."""
    at = [i for i, row in enumerate(rows) if row["group"] in schema.NOT_STATED_GROUPS and row["denominator"] > 0]
    shares = stats.wilson_ci_array([rows[i]["events_effective"] for i in at],
                                   [rows[i]["denominator_effective"] for i in at], conf, effective=True)
    for k, i in enumerate(at):
        rows[i] |= {"rate": 100 * (rows[i]["events"] / rows[i]["denominator"]), "rate_lower": 100 * shares.lower[k],
                    "rate_upper": 100 * shares.upper[k]}
    for row in rows:
        if row["group"] in schema.NOT_STATED_GROUPS:
            row["method"] = f"share of all events with ethnicity not stated; Wilson score; {format_confidence(conf)} CI"


# --------------------------------------------------------------------------------------------
# Decision points
# --------------------------------------------------------------------------------------------
def share_effective_counts(events: float, denominator: float, share_variance: float | None) -> tuple[float, float]:
    """Effective events and denominator of a share A / D whose estimate has variance ``share_variance`` (None:
    binomial, the counts themselves): the effective denominator is p (1 - p) / Var(p), the sample size whose
    binomial variance equals the estimate's (Kish 1965 section 8.2), and the effective events p times it. A share of
    0 or 1, or no extra variance, keeps the counts."""
    if share_variance is None or denominator <= 0 or not 0 < events < denominator or not share_variance > 0:
        return float(events), float(denominator)
    p = events / denominator
    effective_denominator = min(p * (1 - p) / share_variance, float(denominator))
    return p * effective_denominator, effective_denominator


def decision_rows(split_value: object, events: Mapping[str, float], concluded: Mapping[str, float],
                  reference_group: str,
                  confidence: float, share_variance: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Per group (Not stated included): the share of ``concluded`` cases that are ``events`` (Wilson) and
    the ratio of shares to the reference group (Koopman score interval). ``share_variance``: each group's share's
    variance where it is more than binomial (records clustered in children, imputed ethnicity); the intervals then
    use the effective counts (``share_effective_counts``)."""
    variances = share_variance or {}
    effective = {g: share_effective_counts(events.get(g, 0), concluded.get(g, 0), variances.get(g))
                 for g in schema.ETHNIC_GROUPS_WITH_NOT_STATED}
    ref_events, ref_concluded = events.get(reference_group, 0), concluded.get(reference_group, 0)
    ref_effective = effective.get(reference_group, (0.0, 0.0))
    rows = []
    for group in schema.ETHNIC_GROUPS_WITH_NOT_STATED:
        count, denominator = events.get(group, 0), concluded.get(group, 0)
        row: dict[str, Any] = {"split": split_value, "group": group, "events": count, "denominator": denominator,
                               "unit": PERCENT, "is_reference": group == reference_group, "ratio_kind": "share",
                               "events_effective": effective[group][0], "denominator_effective": effective[group][1],
                               "reference_events_effective": ref_effective[0],
                               "reference_denominator_effective": ref_effective[1],
                               "reference_events": ref_events, "reference_denominator": ref_concluded}
        if denominator > 0:
            share = stats.wilson_ci_array([effective[group][0]], [effective[group][1]], confidence, effective=True)
            row |= {"rate": 100 * (count / denominator), "rate_lower": 100 * float(share.lower[0]),
                    "rate_upper": 100 * float(share.upper[0])}
            method = str(share.method[0])
        else:
            method = "no concluded records: share not estimable"
        comparable = group not in (reference_group, schema.NOT_STATED)
        if comparable and denominator > 0 and ref_concluded > 0:
            ratio = stats.risk_ratio_score_array([effective[group][0]], [effective[group][1]], [ref_effective[0]],
                                                 [ref_effective[1]], confidence, effective=True)
            estimate = (count / denominator) / (ref_events / ref_concluded) if ref_events > 0 else ratio.estimate[0]
            row |= {"ratio": float(estimate), "ratio_lower": float(ratio.lower[0]),
                    "ratio_upper": float(ratio.upper[0]), "p_value": float(ratio.p_value[0])}
            note = str(ratio.note[0])
            method += f"; ratio {ratio.method[0]}" + (f" ({note})" if note else "")
            row["ratio_events"] = min(count, ref_events)
        row["method"] = f"{method}; {format_confidence(confidence)} CI"
        rows.append(row)
    return rows


def ratio_fields(ratio: Any) -> dict[str, Any]:
    """A ratio result's estimate, interval and p-value as table columns."""
    return {"ratio": ratio.estimate, "ratio_lower": ratio.lower, "ratio_upper": ratio.upper,
            "p_value": ratio.p_value}


# --------------------------------------------------------------------------------------------
# Finishing
# --------------------------------------------------------------------------------------------
def finish_table(table: pd.DataFrame, confidence: float, reference_group: str,
                 ethnic_groups: tuple[str, ...] = (), family_method: str = verdicts.DEFAULT_FAMILY_METHOD,
                 ) -> pd.DataFrame:
    """Decide every comparison's verdict, then mark reliability and withhold small ratios for display.

    ``ethnic_groups``: keep only these groups' rows (with the reference group and Not stated); the family is
    every comparison of the rows kept, in every split. Steps: the p-value and the unadjusted interval of each
    comparison from its ``*_effective`` counts (:func:`ratio_interval`); the family adjustment and verdicts
    (:func:`analytics.verdicts.decide`, q = 1 − confidence); the shown interval at the family's level; then
    reliability from the smaller event count behind each ratio, and ratios from fewer than 5 events withheld
    (the ratio and its intervals blanked; the verdict and p-values kept: withholding changes no verdict)."""
    for column in (*COLUMNS, "ratio_events", *EFFECTIVE_COLUMNS, "ratio_kind"):
        if column not in table.columns:
            table[column] = np.nan
    if "is_reference" not in table.columns:
        table["is_reference"] = pd.Series(dtype=bool)
    if ethnic_groups:
        keep = set(ethnic_groups) | {reference_group, schema.NOT_STATED}
        table = table[table["group"].isin(keep)].copy()
    table = table.reset_index(drop=True)
    table["method"] = table["method"].astype(object)  # an empty table has no strings to infer from
    _add_effective_defaults(table)
    comparison = (~table["is_reference"].astype(bool) & ~table["group"].isin(schema.NOT_STATED_GROUPS)).to_numpy()
    table["verdict"] = pd.Series([None] * len(table), index=table.index, dtype=object)
    family = _decide(table, comparison, confidence, family_method)
    basis = table["ratio_events"].fillna(table["events"]).astype(float).round().astype(int)
    table["reliability"] = [suppression.reliability(int(n)) for n in basis]
    withheld = table["reliability"].eq("withheld") & table["ratio"].notna()
    table.loc[withheld, list(WITHHELD_COLUMNS)] = np.nan
    table.loc[withheld, "method"] += "; ratio withheld for display (fewer than 5 events; its verdict stands)"
    table["events"] = table["events"].astype(float).round().astype(int)  # an expected count is shown rounded
    table["denominator"] = _whole_where_whole(table["denominator"])
    finished = table[[*COLUMNS, "is_reference", "ratio_kind", *EFFECTIVE_COLUMNS]].reset_index(drop=True)
    finished.attrs["multiple_comparisons"] = family.description  # a string: attrs must compare with ==
    return finished


def _whole_where_whole(values: pd.Series) -> pd.Series:
    """Denominators as whole numbers: expected counts (the default ethnicity estimate) are shown rounded, as the
    events are; rates, shares and intervals come from the unrounded values."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    if numbers.notna().all():
        return numbers.round().astype(int)
    return numbers.round()


#: The columns blanked when a ratio is withheld for display (fewer than 5 events).
WITHHELD_COLUMNS: tuple[str, ...] = ("ratio", "ratio_lower", "ratio_upper", "ratio_lower_unadjusted",
                                     "ratio_upper_unadjusted")


def _add_effective_defaults(table: pd.DataFrame) -> None:
    """The ``*_effective`` counts default to the raw ones (set only where an estimator has not set them)."""
    if "ratio_kind" not in table.columns:
        table["ratio_kind"] = np.where(table["unit"].eq(PER_1000), RATE_KIND, SHARE_KIND)
    for column in ("reference_events", "reference_denominator"):
        if column not in table.columns:
            table[column] = np.nan
    raw = {"events_effective": "events", "denominator_effective": "denominator",
           "reference_events_effective": "reference_events",
           "reference_denominator_effective": "reference_denominator"}
    for effective, source in raw.items():
        values = pd.to_numeric(table[source], errors="coerce").astype(float)
        table[effective] = table[effective].astype(float).fillna(values) if effective in table.columns else values


def _decide(table: pd.DataFrame, comparison: npt.NDArray[np.bool_], confidence: float,
            family_method: str) -> verdicts.Family:
    """p-values, unadjusted and shown intervals, adjusted p-values and verdicts of the comparisons, in place."""
    at = np.flatnonzero(comparison)
    rows = table.iloc[at]
    lower, upper, p = ratio_intervals(rows, confidence)
    estimable = rows["ratio"].notna().to_numpy() & np.isfinite(p)
    p = np.where(estimable, p, np.nan)
    family, decided = verdicts.decide(rows["ratio"].to_numpy(dtype=float), p, 1.0 - confidence, family_method)
    shown_lower, shown_upper, _ = ratio_intervals(rows, family.interval_level)
    index = table.index[at]
    table.loc[index, "p_value"] = p
    table.loc[index, "p_adjusted"] = family.p_adjusted
    table.loc[index, "ratio_lower_unadjusted"] = np.where(estimable, lower, np.nan)
    table.loc[index, "ratio_upper_unadjusted"] = np.where(estimable, upper, np.nan)
    table.loc[index, "ratio_lower"] = np.where(estimable, shown_lower, np.nan)
    table.loc[index, "ratio_upper"] = np.where(estimable, shown_upper, np.nan)
    table.loc[index, "interval_level"] = np.where(estimable, family.interval_level, np.nan)
    table.loc[index, "verdict"] = pd.Series([str(v) for v in decided], index=index, dtype=object)
    shown = estimable & (family.interval_level != confidence)
    table.loc[index[shown], "method"] += (f"; shown interval at {verdicts.format_level(family.interval_level)} "
                                          f"({FAMILY_INTERVALS[family.method]})")
    return family


#: How each family's shown intervals are named in a row's method.
FAMILY_INTERVALS = {"bh": "Benjamini–Yekutieli false-coverage-rate adjusted",
                    "bonferroni": "Bonferroni simultaneous", "holm": "Holm step-down level"}


def ratio_intervals(rows: pd.DataFrame, level: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                                                                npt.NDArray[np.float64]]:
    """:func:`ratio_interval` for every row at once: (lower, upper, p-value) arrays (``nan`` where the row
    has no comparison)."""
    n = len(rows)
    lower, upper, p = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if not n:
        return lower, upper, p
    counts = [rows[c].to_numpy(dtype=float) for c in EFFECTIVE_COLUMNS]
    a, t1, b, t0 = counts
    ok = np.isfinite(a) & np.isfinite(t1) & np.isfinite(b) & np.isfinite(t0) & (t1 > 0) & (t0 > 0)
    rate = ok & rows["ratio_kind"].eq(RATE_KIND).to_numpy()
    if rate.any():
        result = stats.rate_ratio_exact_array(a[rate], t1[rate], b[rate], t0[rate], level, effective=True)
        lower[rate], upper[rate], p[rate] = result.lower, result.upper, result.p_value
    share = ok & ~rate
    if share.any():
        shares = stats.risk_ratio_score_array(a[share], t1[share], b[share], t0[share], level, effective=True)
        lower[share], upper[share], p[share] = shares.lower, shares.upper, shares.p_value
    return lower, upper, p


def ratio_interval(row: Mapping[Any, Any], level: float) -> tuple[float, float, float]:
    """A comparison's (lower, upper, p-value) at confidence ``level`` from its ``*_effective`` counts: the
    exact conditional (binomial) interval for a rate ratio (``ratio_kind`` "rate") or the Koopman score
    interval for a ratio of shares ("share"). The p-value is the test the interval inverts, so the interval
    at level 1 − alpha excludes 1 exactly when p < alpha."""
    frame = pd.DataFrame([{c: row[c] for c in (*EFFECTIVE_COLUMNS, "ratio_kind")}])
    lower, upper, p = ratio_intervals(frame, level)
    return float(lower[0]), float(upper[0]), float(p[0])


def rate_interval(row: Mapping[Any, Any], level: float, years: float) -> tuple[float, float, float]:
    """A group's own (estimate, lower, upper) at ``level`` from its effective counts: per 1,000 per year over
    ``years`` (exact Poisson below 10 events, Byar's from 10) for ``ratio_kind`` "rate", a percentage (Wilson)
    for "share"."""
    events, denominator = float(row["events_effective"]), float(row["denominator_effective"])
    if not denominator > 0:
        return math.nan, math.nan, math.nan
    if row["ratio_kind"] == RATE_KIND:
        rate = stats.rate_ci_array([events], [denominator], level, multiplier=RATE_MULTIPLIER / years, effective=True)
        return float(rate.estimate[0]), float(rate.lower[0]), float(rate.upper[0])
    share = stats.wilson_ci_array([events], [denominator], level, effective=True)
    return 100 * float(share.estimate[0]), 100 * float(share.lower[0]), 100 * float(share.upper[0])


def family_description(table: pd.DataFrame) -> str:
    """The family adjustment of a finished table, as stated in its metadata and method notes."""
    description = table.attrs.get("multiple_comparisons")
    return description if isinstance(description, str) else MULTIPLE_COMPARISONS


def empty_table() -> pd.DataFrame:
    """A finished table with no rows (the columns only)."""
    return pd.DataFrame(columns=[*COLUMNS, "is_reference", "ratio_kind", *EFFECTIVE_COLUMNS])


# --------------------------------------------------------------------------------------------
# Groups and splits
# --------------------------------------------------------------------------------------------
def split_values(counts: pd.DataFrame, population: pd.DataFrame | None, split: str | None) -> list[Any]:
    """The split values a table has rows for: those in the counts or the population (``[ALL_SPLIT]``
    without a split)."""
    if not split:
        return [ALL_SPLIT]
    values = set(counts[split]) if len(counts) else set()
    if population is not None and split in population.columns:
        values |= set(population[split])
    return sorted(values)


def by_split(frame: pd.DataFrame | None, split: str | None, column: str) -> dict[Any, dict[str, int]]:
    """``{split value: by_group(frame, split, split value, column)}`` in one pass (``None`` -> the
    whole frame when there is no split), instead of filtering the frame once per split value."""
    if frame is None or not len(frame):
        return {}
    if not split or split not in frame.columns:
        return {None: by_group(frame, None, None, column)}
    sums = frame.groupby([split, "ethnic_group"])[column].sum()
    result: dict[Any, dict[str, int]] = {}
    for key, total in sums.items():
        value, group = cast("tuple[Hashable, str]", key)  # a two-level index: (split value, group)
        result.setdefault(value, {})[group] = int(total)
    return result


def by_group(frame: pd.DataFrame | None, split: str | None, split_value: Any, column: str) -> dict[str, int]:
    """``column`` summed by ``ethnic_group`` over the rows of ``split_value`` (all rows without a split)."""
    if frame is None or not len(frame):
        return {}
    part = frame[frame[split] == split_value] if split and split in frame.columns else frame
    return {str(g): int(v) for g, v in part.groupby("ethnic_group")[column].sum().items()}
