"""Area comparison (DESIGN.md section 5.4): district boundaries, district values, funnel plots.

Funnel plots follow Spiegelhalter (2005), "Funnel plots for comparing institutional performance" (Stat Med
24:1185): each district's value is plotted against its denominator, around the force average, with 95 % and
99.8 % control limits for the count O given its expectation E (Poisson quantiles for rates, exact binomial for
proportions, interpolated; ``stats.funnel_rate_limits``). Each district also gets a verdict against the force
average (``analytics.verdicts``: Benjamini–Hochberg over the districts on the p-values the limits invert), and the
funnel draws the limits at the family's adjusted level, outside which a district is exactly one whose verdict is
higher or lower.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analytics import disparity, periods, reference, schema, stats, suppression, verdicts
from analytics.filters import Filters
from analytics.store import Store

FUNNEL_LEVELS = (0.95, 0.998)
ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right 2016.")


@lru_cache(maxsize=4)
def load_boundaries(path: str | None = None) -> dict:
    """District boundaries (GeoJSON with ``areacd``/``areanm``; clockwise exterior rings)."""
    return json.loads(Path(path or reference.NORFOLK_DISTRICTS).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Funnel:
    points: pd.DataFrame  # label, area_code, n, events, value, hover, outside_95, outside_998, p_value, verdict
    centre: float
    limits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    unit: str


class FunnelPoint(NamedTuple):
    """One district on a funnel plot: a row of ``Funnel.points``."""

    area_code: str
    label: str
    events: int
    n: float
    value: float
    outside_95: bool
    outside_998: bool
    verdict: str  # against the force average (``analytics.verdicts``), adjusted over the districts


def funnel_points(points: pd.DataFrame) -> list[FunnelPoint]:
    """The rows of a funnel's ``points`` (or of a selection of them), in order."""
    columns = (points[name] for name in FunnelPoint._fields)
    return [FunnelPoint(*values) for values in zip(*columns, strict=True)]


def _grid(points: pd.DataFrame) -> np.ndarray:
    """Denominators to draw the limits at: from half the smallest district's to 10 % past the largest."""
    if points.empty:
        return np.array([1.0])
    low, high = max(1.0, 0.5 * float(points["n"].min())), 1.1 * float(points["n"].max())
    return np.unique(np.concatenate([np.linspace(low, high, 200), np.geomspace(low, high, 200)]))


def rate_funnel(store: Store, filters: Filters, group: str | None = None,
                table: disparity.DisparityTable | None = None) -> Funnel:
    """Each district's rate per 1,000 children (of ``group``, or all children) per year against the force rate.

    ``table``: ``disparity.population_rates(store, filters, split="area")`` if the caller already has it; its
    period gives the years (``analytics.periods``).
    """
    rates = table if table is not None else disparity.population_rates(store, filters, split="area")
    years = rates.period.years if rates.period is not None else periods.rate_period_of(store, filters).years
    multiplier = disparity.RATE_MULTIPLIER / years
    frame = rates.table
    names = store.areas().set_index("area_code")["area_name"]
    if group:
        rows = frame[frame["group"] == group]
        points = pd.DataFrame({"area_code": rows["split"], "events": rows["events"], "n": rows["denominator"]})
    else:
        stated = frame[frame["group"].isin(schema.ETHNIC_GROUPS)]
        points = stated.groupby("split").agg(events=("events", "sum"), n=("denominator", "sum")).reset_index()
        points = points.rename(columns={"split": "area_code"})
    points = points[points["n"] > 0].copy()
    centre = multiplier * points["events"].sum() / points["n"].sum() if points["n"].sum() else 0.0
    grid = _grid(points)
    points["value"] = multiplier * points["events"] / points["n"]

    def limits_at(n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        low, high = stats.funnel_rate_limits(centre, n, level, multiplier=multiplier)
        return np.asarray(low), np.asarray(high)

    return _finish_points(points, names, centre, grid, limits_at, disparity.PER_1000, multiplier, rate=True,
                          confidence=filters.confidence)


def share_funnel(store: Store, filters: Filters, outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,),
                 denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> Funnel:
    """Each district's share of the records in ``denominator`` (``disparity.decision_ratios``) ending in
    ``outcome_codes`` against the force share."""
    table = disparity.decision_ratios(store, filters, outcome_codes, split="area", denominator=denominator).table
    names = store.areas().set_index("area_code")["area_name"]
    points = table.groupby("split").agg(events=("events", "sum"), n=("denominator", "sum")).reset_index()
    points = points.rename(columns={"split": "area_code"})
    points = points[points["n"] > 0].copy()
    centre = points["events"].sum() / points["n"].sum() if points["n"].sum() else 0.0
    grid = _grid(points)
    points["value"] = 100 * points["events"] / points["n"]
    grid = np.unique(np.maximum(np.round(grid), 1.0))  # whole records

    def limits_at(n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        low, high = stats.funnel_proportion_limits(centre, n, level)
        return 100 * np.asarray(low), 100 * np.asarray(high)

    return _finish_points(points, names, 100 * centre, grid, limits_at, "%", 100, rate=False,
                          confidence=filters.confidence)


def _finish_points(points, names, centre, grid, limits_at, unit, multiplier, rate: bool,
                   confidence: float) -> Funnel:
    """Limits on the grid and at each district's own denominator, and each district's verdict against the force
    average: p-values of the test the limits invert (``stats.funnel_p_values``), Benjamini–Hochberg over the
    districts, the adjusted limits drawn at the family's level (outside them exactly when higher or lower)."""
    points["label"] = points["area_code"].map(names).fillna(points["area_code"])
    n = points["n"].to_numpy(dtype=float)
    for key, level in (("outside_95", 0.95), ("outside_998", 0.998)):
        lower, upper = limits_at(n, level)
        points[key] = (points["value"] < lower) | (points["value"] > upper)
    points["p_value"] = stats.funnel_p_values(points["events"].to_numpy(dtype=float), n, centre / multiplier,
                                              "rate" if rate else "proportion")
    relative = points["value"].to_numpy(dtype=float) / centre if centre else np.full(len(points), np.nan)
    family, decided = verdicts.decide(relative, points["p_value"].to_numpy(), 1 - confidence)
    points["p_adjusted"] = family.p_adjusted
    points["verdict"] = [str(v) for v in decided]
    points["interval_level"] = family.interval_level
    limits = {}
    for level in FUNNEL_LEVELS:
        low, high = limits_at(grid, level)
        limits[f"{level * 100:g} %"] = (grid, low, high)
    if len(points) > 1:  # with one district the adjusted limits are the unadjusted ones
        low, high = limits_at(grid, family.interval_level)
        limits[f"{verdicts.format_level(family.interval_level)} (adjusted for {len(points)} districts)"] = (
            grid, low, high)
    noun = "children" if rate else "records in the denominator"
    points["hover"] = [
        f"<b>{r.label}</b><br>{r.value:.2f} {unit} ({int(r.events):,} of {int(r.n):,} {noun})<br>"
        + ("outside the 99.8 % limits" if r.outside_998
           else "outside the 95 % limits" if r.outside_95 else "within the 95 % limits")
        + f"<br>against the force average: {verdicts.label_of(r.verdict).lower()}"
        for r in points.itertuples()
    ]
    return Funnel(points.reset_index(drop=True), float(centre), limits, unit)


def district_values(store: Store, filters: Filters, group: str, value: str = "ratio",
                    table: disparity.DisparityTable | None = None) -> pd.DataFrame:
    """Per district: the group's rate per 1,000 per year or ratio to the reference, with hover text for the map.

    ``table``: ``disparity.population_rates(store, filters, split="area")`` if the caller already has it.
    """
    rates = table if table is not None else disparity.population_rates(store, filters, split="area")
    rows = rates.table[rates.table["group"] == group].copy()
    rows["value"] = rows["ratio"] if value == "ratio" else rows["rate"]
    rows["hover"] = [
        ((f"{group}: count not shown ([c], disclosure control)" if isinstance(r["events"], str) else
          f"{group}: {r['rate']:.2f} {disparity.PER_1000} ({int(r['events']):,} of {int(r['denominator']):,})")
         + (f"<br>ratio to {filters.reference_group} {r['ratio']:.2f} "
            f"(interval {verdicts.format_level(r['interval_level'])}, adjusted: "
            f"{r['ratio_lower']:.2f} to {r['ratio_upper']:.2f})"
            if pd.notna(r["ratio"]) else f"<br>ratio not shown ({r['reliability']})")
         + (f"<br>verdict: {verdicts.label_of(r['verdict']).lower()}" if verdicts.parse(r["verdict"]) else ""))
        for r in rows.to_dict("records")
    ]
    return rows.rename(columns={"split": "area_code"})[["area_code", "value", "hover", "events", "denominator",
                                                        "rate", "ratio", "ratio_lower", "ratio_upper",
                                                        "interval_level", "verdict", "reliability"]]


def controlled_funnel(funnel: Funnel, hidden_areas: set[str] | None = None) -> Funnel | None:
    """A funnel as the scrutiny audience may see it (issue 15, part 4), or None if it cannot be shown.

    A point is its district's count (value x denominator), so a district is left out where its count is hidden:
    ``hidden_areas`` (the districts whose count the page's table shows as ``[c]``), and any whose events or
    denominator ``suppression.suppress_counts`` hides, the force average being taken as published (it is the
    total over the districts, so one hidden district would be the total minus the others). If the force total
    itself would have to be hidden, there is no funnel. The verdicts of the districts shown are unchanged
    (decided over every district, as a withheld ratio keeps its verdict).
    """
    points = funnel.points
    if points.empty:
        return funnel
    shown = suppression.suppress_counts(points, ("events", "n"), totals_published=True)
    if any(shown.attrs["suppressed_totals"].values()):
        return None
    keep = ~shown["suppressed"] & ~points["area_code"].isin(hidden_areas or set())
    if (~keep).sum() == 1:  # one district left out for the table's sake alone: the total would reveal it
        return None
    return Funnel(points[keep].reset_index(drop=True), funnel.centre, funnel.limits, funnel.unit)
