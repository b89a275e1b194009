"""The one table engine behind every rate/ratio table (DESIGN.md sections 5 and 6).

Crime records (``analytics.disparity``) and stop and search (``analytics.searches``) build their tables
here, so a table prints, exports and renders the same way whatever it counts:

* ``rate_rows``: per group, events per 1,000 of the group's population and the exact conditional rate
  ratio to the reference group, plus a Not-stated row with its share of all events (Wilson).
* ``decision_rows``: per group, the share of a stage's cases that reached the next (Wilson) and the
  ratio of shares to the reference group (Koopman score interval): the "relative rate index".
* ``finish_table``: reliability from the smaller event count behind each ratio, ratios from fewer than
  5 events withheld, then Benjamini–Hochberg across the ratios shown and the significance flag.
* ``RatioTable``: a finished table with everything needed to explain each number in it.

Every interval is at the chosen confidence and not adjusted for multiplicity; a row is significant when
its Benjamini–Hochberg adjusted p-value is below 1 − confidence.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics import schema, stats, suppression
from analytics.filters import format_confidence

FloatArray = npt.NDArray[np.float64]

#: The command line's and the CSV export's columns, in this order.
COLUMNS: tuple[str, ...] = (
    "split", "group", "events", "denominator", "rate", "rate_lower", "rate_upper", "unit", "ratio",
    "ratio_lower", "ratio_upper", "p_value", "p_adjusted", "significant", "reliability", "method",
)
ALL_SPLIT = "All"
PER_1000 = "per 1,000"
PERCENT = "%"
RATE_MULTIPLIER = 1000
MULTIPLE_COMPARISONS = "Benjamini–Hochberg across the rows of this table"

#: The counts the inference uses, per row (DESIGN: issue 13): by default the raw counts; an estimated count E with
#: variance V (ethnicity imputed, records clustered in children) is carried as E^2 / V with the denominator scaled
#: by E / V (``effective_counts``).
EFFECTIVE_COLUMNS: tuple[str, ...] = (
    "events_effective", "denominator_effective", "reference_events_effective", "reference_denominator_effective",
)
#: "rate" for population rates, "share" for decision-point shares.
RATIO_KINDS = ("rate", "share")

#: (split value, events by group, population by group): the input of ``rate_rows`` for one split value; an optional
#: fourth item gives each group's estimated events' variance (absent: Poisson, the variance is the count).
RatePart = tuple[object, dict[str, int], dict[str, int]] | tuple[object, dict[str, float], dict[str, int],
                                                                 dict[str, float]]


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
            "filters": self.filters.describe(),
            "split": self.split or ALL_SPLIT,
            **self.measure_metadata(),
            "multiple_comparisons": MULTIPLE_COMPARISONS,
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        rows = json.loads(self.csv_frame().to_json(orient="records", date_format="iso"))
        return json.dumps({"metadata": self.metadata(), "rows": rows}, indent=2, ensure_ascii=False, default=str)


# --------------------------------------------------------------------------------------------
# Population rates and ratios
# --------------------------------------------------------------------------------------------
def rate_rows(parts: Iterable[RatePart], reference_group: str, confidence: float) -> list[dict[str, Any]]:
    """One row per group and a Not-stated share row for each ``(split value, events by group, population by
    group)``; the intervals of the whole table are computed in one call each (``stats.*_array``: the same
    values as the single-row functions)."""
    rows: list[dict[str, Any]] = []
    references: list[tuple[float, float] | None] = []
    for part in parts:
        split_value, events, population = part[0], part[1], part[2]
        variance: dict[str, float] = part[3] if len(part) > 3 else {}
        effective = {g: effective_counts(events.get(g, 0), variance.get(g, events.get(g, 0)), population.get(g, 0))
                     for g in schema.ETHNIC_GROUPS}
        for group in schema.ETHNIC_GROUPS:
            rows.append({"split": split_value, "group": group, "events": events.get(group, 0),
                         "denominator": population.get(group, 0), "unit": PER_1000,
                         "is_reference": group == reference_group, "ratio_kind": "rate",
                         "events_effective": effective[group][0], "denominator_effective": effective[group][1],
                         "reference_events_effective": effective[reference_group][0],
                         "reference_denominator_effective": effective[reference_group][1]})
            references.append((events.get(reference_group, 0), population.get(reference_group, 0)))
        stated = sum(events.get(g, 0) for g in schema.ETHNIC_GROUPS)
        not_stated = events.get(schema.NOT_STATED, 0)
        rows.append({"split": split_value, "group": schema.NOT_STATED, "events": not_stated,
                     "denominator": not_stated + stated, "unit": PERCENT, "is_reference": False,
                     "ratio_kind": "share", "events_effective": not_stated,
                     "denominator_effective": not_stated + stated})
        references.append(None)
    _add_rates(rows, references, confidence)
    _add_not_stated_shares(rows, confidence)
    return rows


def _add_rates(rows: list[dict[str, Any]], references: list[tuple[float, float] | None], conf: float) -> None:
    """Rates per 1,000 and exact rate ratios to the reference group (from the effective counts), filled into
    ``rows`` in place."""
    at = [i for i, reference in enumerate(references) if reference is not None]
    reference_of = {i: reference for i, reference in enumerate(references) if reference is not None}

    def column(name: str, among: list[int]) -> FloatArray:
        return np.array([rows[at[k]][name] for k in among], dtype=float)

    everything = list(range(len(at)))
    population = column("denominator", everything)
    rates = stats.rate_ci_array(column("events_effective", everything), column("denominator_effective", everything),
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
            row |= {"rate": row["events"] * (RATE_MULTIPLIER / population[k]), "rate_lower": rates.lower[k],
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
    at = [i for i, row in enumerate(rows) if row["group"] == schema.NOT_STATED and row["denominator"] > 0]
    shares = stats.wilson_ci_array([rows[i]["events_effective"] for i in at],
                                   [rows[i]["denominator_effective"] for i in at], conf, effective=True)
    for k, i in enumerate(at):
        rows[i] |= {"rate": 100 * (rows[i]["events"] / rows[i]["denominator"]), "rate_lower": 100 * shares.lower[k],
                    "rate_upper": 100 * shares.upper[k]}
    for row in rows:
        if row["group"] == schema.NOT_STATED:
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


def decision_rows(split_value: object, events: dict[str, int], concluded: dict[str, int], reference_group: str,
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
                               "reference_denominator_effective": ref_effective[1]}
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
                 ethnic_groups: tuple[str, ...] = ()) -> pd.DataFrame:
    """Mark reliability, withhold ratios from fewer than 5 events, then adjust the p-values of the
    ratios that are shown (Benjamini–Hochberg across the table's rows) and flag significance.
    ``ethnic_groups``: keep only these groups' rows (with the reference group and Not stated)."""
    for column in (*COLUMNS, "ratio_events", *EFFECTIVE_COLUMNS, "ratio_kind"):
        if column not in table.columns:
            table[column] = np.nan
    if "is_reference" not in table.columns:
        table["is_reference"] = pd.Series(dtype=bool)
    table["method"] = table["method"].astype(object)  # an empty table has no strings to infer from
    basis = table["ratio_events"].fillna(table["events"]).astype(int)
    table["reliability"] = [suppression.reliability(int(n)) for n in basis]
    withheld = table["reliability"].eq("withheld") & table["ratio"].notna()
    table.loc[withheld, ["ratio", "ratio_lower", "ratio_upper", "p_value"]] = np.nan
    table.loc[withheld, "method"] += "; ratio withheld (fewer than 5 events)"
    tested = table["p_value"].notna()
    table["p_adjusted"] = np.nan
    if tested.any():
        table.loc[tested, "p_adjusted"] = stats.adjust_pvalues(table.loc[tested, "p_value"].to_numpy(float), "bh")
    table["significant"] = (table["p_adjusted"] < (1 - confidence)).astype("boolean").where(tested)  # else <NA>
    if ethnic_groups:
        keep = set(ethnic_groups) | {reference_group, schema.NOT_STATED}
        table = table[table["group"].isin(keep)]
    table["events"] = table["events"].astype(int)
    return table[[*COLUMNS, "is_reference", "ratio_kind", *EFFECTIVE_COLUMNS]].reset_index(drop=True)


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
