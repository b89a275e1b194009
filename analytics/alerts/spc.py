"""Statistical process control for monthly series: u-, p- and XmR charts and Making Data Count's rules.

Limits (NHS England, "Making Data Count"; Montgomery, *Introduction to Statistical Quality Control*, ch. 7):

* **u-chart** (a rate: events over an exposure): centre ū = Σx / Σn over the baseline; limits ū ± 3·√(ū/nᵢ),
  the lower one cut at 0.
* **p-chart** (a share: events out of trials): centre p̄ = Σx / Σn over the baseline; limits p̄ ± 3·√(p̄(1−p̄)/nᵢ),
  cut to [0, 1].
* **XmR chart** (a value with no denominator): centre = the baseline mean, limits mean ± 2.66 × the mean moving
  range of the baseline (2.66 = 3 / d₂, d₂ = 1.128).

Rules, as NHSRplotthedots implements them (``R/ptd_calculate_point_type.R``): a point beyond a limit; a *shift*
of ``shift_run`` (7) consecutive points on one side of the centre (a point on the centre line breaks it); a
*trend* of ``trend_run`` (7) consecutive points each higher (or each lower) than the one before (a tie breaks
it); *two of three* consecutive points beyond two-thirds of the way to a limit (but inside it), all three on the
same side of the centre. A point is flagged when it is part of a run that reached the length; every flag keeps
its direction (+1 above or rising, -1 below or falling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Rule names, in the order a point's label names them (Making Data Count's precedence).
RULES: tuple[str, ...] = ("beyond_limits", "trend", "two_of_three", "shift")
RULE_TEXT = {
    "beyond_limits": "a point beyond the control limits",
    "shift": "a shift: {n} points in a row on one side of the centre line",
    "trend": "a trend: {n} points in a row each {direction} than the one before",
    "two_of_three": "two of three points close to a control limit (beyond two-thirds of the way)",
}
#: The mean moving range's bias constant for n = 2 (3 / 1.128 = 2.66).
D2 = 1.128
CHART_KINDS = ("u", "p", "xmr")


@dataclass(frozen=True)
class Limits:
    """A chart's centre line and limits at every point (arrays as long as the series)."""

    kind: str
    centre: FloatArray
    lower: FloatArray
    upper: FloatArray
    near_lower: FloatArray
    near_upper: FloatArray


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=float)


def u_limits(events: npt.ArrayLike, exposure: npt.ArrayLike, baseline: npt.ArrayLike, sigma: float = 3.0,
             near_fraction: float = 2 / 3) -> Limits:
    """u-chart limits; ``baseline`` is a boolean mask of the points the centre line is computed from."""
    x, n, base = _as_float(events), _as_float(exposure), np.asarray(baseline, dtype=bool)
    centre = float(x[base].sum() / n[base].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(centre / n)
    return _limits("u", centre, se, sigma, near_fraction, lower_bound=0.0, upper_bound=np.inf)


def p_limits(events: npt.ArrayLike, trials: npt.ArrayLike, baseline: npt.ArrayLike, sigma: float = 3.0,
             near_fraction: float = 2 / 3) -> Limits:
    """p-chart limits (shares between 0 and 1)."""
    x, n, base = _as_float(events), _as_float(trials), np.asarray(baseline, dtype=bool)
    centre = float(x[base].sum() / n[base].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(centre * (1 - centre) / n)
    return _limits("p", centre, se, sigma, near_fraction, lower_bound=0.0, upper_bound=1.0)


def xmr_limits(values: npt.ArrayLike, baseline: npt.ArrayLike, sigma: float = 3.0,
               near_fraction: float = 2 / 3) -> Limits:
    """XmR (individuals) chart limits from the baseline's mean and mean moving range."""
    y, base = _as_float(values), np.asarray(baseline, dtype=bool)
    kept = y[base & ~np.isnan(y)]
    centre = float(kept.mean())
    moving_range = float(np.abs(np.diff(kept)).mean()) if len(kept) > 1 else 0.0
    se = np.full(len(y), moving_range / D2)
    return _limits("xmr", centre, se, sigma, near_fraction, lower_bound=-np.inf, upper_bound=np.inf)


def _limits(kind: str, centre: float, se: FloatArray, sigma: float, near_fraction: float, *,
            lower_bound: float, upper_bound: float) -> Limits:
    width = sigma * se
    return Limits(
        kind=kind, centre=np.full(len(se), centre),
        lower=np.clip(centre - width, lower_bound, upper_bound),
        upper=np.clip(centre + width, lower_bound, upper_bound),
        near_lower=centre - near_fraction * width, near_upper=centre + near_fraction * width,
    )


# Rules -------------------------------------------------------------------------------------------------------
def relative_to_centre(values: FloatArray, centre: FloatArray) -> IntArray:
    """+1 above, -1 below, 0 on the centre line (or no value)."""
    with np.errstate(invalid="ignore"):
        out = np.sign(values - centre)
    return np.nan_to_num(out, nan=0.0).astype(np.int64)


def beyond_limits(values: FloatArray, limits: Limits) -> IntArray:
    with np.errstate(invalid="ignore"):
        return np.where(values > limits.upper, 1, np.where(values < limits.lower, -1, 0)).astype(np.int64)


def close_to_limits(values: FloatArray, limits: Limits) -> IntArray:
    """+1/-1 for a point beyond two-thirds of the way to the upper/lower limit but not beyond the limit."""
    outside = beyond_limits(values, limits) != 0
    with np.errstate(invalid="ignore"):
        close = np.where(values > limits.near_upper, 1, np.where(values < limits.near_lower, -1, 0))
    return np.where(outside, 0, close).astype(np.int64)


def run_ends(signs: IntArray, run: int) -> IntArray:
    """At each point, the sign if it and the ``run - 1`` points before share that nonzero sign, else 0
    (NHSRplotthedots ``ptd_seven_point_one_side_mean``)."""
    signs = np.asarray(signs, dtype=np.int64)
    out = np.zeros(len(signs), np.int64)
    for i in range(run - 1, len(signs)):
        window = signs[i - run + 1: i + 1]
        if window[-1] != 0 and np.all(window == window[-1]):
            out[i] = window[-1]
    return out


def part_of_run(ends: IntArray, run: int) -> IntArray:
    """Every point of a run that reached its length, with the run's sign (``ptd_part_of_seven_trend``)."""
    out = np.zeros(len(ends), np.int64)
    for i in np.flatnonzero(ends):
        out[max(0, i - run + 1): i + 1] = ends[i]
    return out


def shift(values: FloatArray, centre: FloatArray, run: int = 7) -> IntArray:
    """Points that are part of ``run`` or more consecutive points on one side of the centre line."""
    return part_of_run(run_ends(relative_to_centre(values, centre), run), run)


def trend_ends(values: FloatArray, run: int = 7) -> IntArray:
    """+1/-1 at a point ending ``run`` points each higher/lower than the one before (``ptd_seven_point_trend``)."""
    values = np.asarray(values, dtype=float)
    if len(values) < run:
        return np.zeros(len(values), np.int64)
    steps = np.concatenate([[0], np.sign(np.diff(values))]).astype(np.int64)
    ends = run_ends(steps, run - 1)
    ends[: run - 1] = 0  # the first point has no step before it
    return ends


def trend(values: FloatArray, run: int = 7) -> IntArray:
    """Points that are part of a trend of ``run`` or more points."""
    return part_of_run(trend_ends(values, run), run)


def two_of_three(close: IntArray, relative: IntArray) -> IntArray:
    """Points close to a limit that sit in a window of three consecutive points with at least two close to the
    limit on the same side and all three on that side of the centre (``ptd_two_in_three`` and
    ``ptd_part_of_two_in_three``); with the side as sign."""
    close, relative = np.asarray(close, np.int64), np.asarray(relative, np.int64)
    out = np.zeros(len(close), np.int64)
    for start in range(len(close) - 2):
        side = relative[start: start + 3]
        if abs(int(side.sum())) != 3:
            continue
        near = close[start: start + 3] == side[0]
        if near.sum() >= 2:
            for offset in np.flatnonzero(near):
                out[start + offset] = side[0]
    return out


@dataclass(frozen=True)
class RuleFlags:
    """Per point, each rule's direction (+1, -1, or 0 when it did not fire)."""

    beyond_limits: IntArray
    trend: IntArray
    two_of_three: IntArray
    shift: IntArray

    def at(self, index: int) -> list[tuple[str, int]]:
        """The rules that fired at one point, in precedence order, with their directions."""
        return [(rule, int(getattr(self, rule)[index])) for rule in RULES if getattr(self, rule)[index]]

    def any(self) -> npt.NDArray[np.bool_]:
        return np.asarray((self.beyond_limits != 0) | (self.trend != 0) | (self.two_of_three != 0)
                          | (self.shift != 0))


def flag_rules(values: npt.ArrayLike, limits: Limits, shift_run: int = 7, trend_run: int = 7) -> RuleFlags:
    """Apply the four rules to a series (points with no value are skipped: they neither extend nor break a run)."""
    y = _as_float(values)
    kept = np.flatnonzero(~np.isnan(y))
    sub = Limits(limits.kind, limits.centre[kept], limits.lower[kept], limits.upper[kept], limits.near_lower[kept],
                 limits.near_upper[kept])
    yk = y[kept]
    relative = relative_to_centre(yk, sub.centre)
    found = {
        "beyond_limits": beyond_limits(yk, sub),
        "trend": trend(yk, trend_run),
        "two_of_three": two_of_three(close_to_limits(yk, sub), relative),
        "shift": part_of_run(run_ends(relative, shift_run), shift_run),
    }
    full = {}
    for name, flags in found.items():
        out = np.zeros(len(y), np.int64)
        out[kept] = flags
        full[name] = out
    return RuleFlags(**full)
