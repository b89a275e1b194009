"""Interval estimates and tests for counts, rates, proportions and their ratios.

Pure functions (numpy / scipy only, no UI imports) used to turn police counts of children into
rates and disproportionality ratios with confidence intervals. Every function returns a small
frozen dataclass in the style of :mod:`scipy.stats` results: it keeps its inputs, the point
``estimate``, the interval ``lower``/``upper`` at level ``conf``, a human-readable ``method``
string, a ``note`` explaining any degenerate case ('' normally) and, where a test applies, a
``p_value``. ``result.confidence_interval(level)`` recomputes the interval at another level.

Conventions (all functions):

* An estimate that cannot be computed is ``math.nan`` **only** together with a non-empty
  ``note`` saying why; an unbounded limit is ``math.inf`` with a note.
* Invalid input (negative or non-integer counts, ``x > n``, ``conf`` outside (0, 1), an unknown
  ``method``) raises :class:`ValueError` naming the offending argument. Valid input, however
  sparse (zero counts, zero denominators), never raises.
* ``conf`` is a probability (0.95, 0.998), not a percentage.

Effective counts: the ``*_array`` functions take ``effective=True`` for non-integer counts. An estimate E of a
count with variance V (an imputed count, or a count of records clustered in children) is carried as the
Poisson-equivalent count E^2 / V with its denominator scaled by the same factor E / V, so the rate is unchanged and
the interval has the estimate's own relative variance (Kish 1965, *Survey Sampling*, section 8.2, effective sample
size; Fay & Feuer 1997, *Statistics in Medicine* 16: 791-801, gamma intervals for rates with a variance other than
the Poisson one). The exact kernels are written with the continuous (gamma / beta) forms of the Poisson and
binomial tails, so at whole counts they give exactly the integer results.

Sources: Wilson (1927); Garwood (1936); Breslow & Day (1987) vol. II and APHO Technical
Briefing 3 (2008) for Byar's approximation; Clopper & Pearson (1934) and Lancaster (1961) for
the exact and mid-p conditional intervals; Katz et al. (1978); Koopman (1984); Mantel &
Haenszel (1959); Greenland & Robins (1985); Rothman, Greenland & Lash, *Modern Epidemiology*
3rd ed. (2008) ch. 15; Benjamini & Hochberg (1995); Holm (1979); Spiegelhalter (2005).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt
from scipy import special

from analytics.distributions import binom_cdf, binom_pmf, binom_sf, chi2_sf, norm_isf, norm_sf

__all__ = [
    "CountResult",
    "IntervalArrays",
    "MantelHaenszelResult",
    "ProportionResult",
    "RateRatioResult",
    "RateResult",
    "RatioArrays",
    "RiskRatioResult",
    "adjust_pvalues",
    "byar_ci",
    "exact_poisson_ci",
    "funnel_p_values",
    "funnel_proportion_limits",
    "funnel_rate_limits",
    "mh_rate_ratio",
    "mh_risk_ratio",
    "rate_ci",
    "rate_ci_array",
    "rate_ratio",
    "rate_ratio_exact_array",
    "risk_ratio",
    "risk_ratio_score_array",
    "wilson_ci",
    "wilson_ci_array",
]

NAN = math.nan
INF = math.inf

#: Events below this use the exact (Garwood) interval in :func:`rate_ci`; from it, Byar's.
BYAR_THRESHOLD = 10

RATE_RATIO_METHODS = {
    "exact": "Exact conditional (binomial)",
    "midp": "Mid-p exact conditional (binomial)",
    "katz": "Katz log (Wald)",
    "score": "Score (conditional binomial)",
}
RISK_RATIO_METHODS = {
    "score": "Koopman score",
    "katz": "Katz log (Wald)",
}
PADJUST_METHODS = ("bh", "holm", "bonferroni")

# Notes (kept as constants so callers and tests can match them).
NOTE_NO_DENOMINATOR = "no denominator"
NOTE_NO_EVENTS_EITHER = "no events in either group: ratio not estimable"
NOTE_REF_NO_EVENTS = (
    "reference group has no events: ratio not estimable (infinite); upper limit infinite"
)
NOTE_INDEX_NO_EVENTS = "index group has no events: ratio is 0 and lower limit 0"

# Argument and result types. Counts and denominators are checked at run time (see the module docstring), so the
# types say which kinds of number are accepted, not which values.
#: A count: an int, a numpy integer or an integral float (3.0).
Count = int | float | np.integer[Any]
#: A population, person-time or other non-negative real number.
Real = float | np.integer[Any] | np.floating[Any]
#: The input of an ``*_array`` function: a one-dimensional sequence or array of numbers.
Numbers = Sequence[float] | npt.NDArray[np.number[Any]]
#: Mantel–Haenszel strata: rows ``(a, t1, b, t0)`` of :func:`mh_rate_ratio`, or a k x 4 numeric array.
RateStrata = Iterable[tuple[Count, Real, Count, Real]] | npt.NDArray[np.number[Any]]
#: Mantel–Haenszel strata: rows ``(a, n1, c, n0)`` of :func:`mh_risk_ratio`, or a k x 4 numeric array.
RiskStrata = Iterable[tuple[Count, Count, Count, Count]] | npt.NDArray[np.number[Any]]
#: Strata as validated: a tuple of 4-tuples, or a read-only k x 4 float array when given as one array.
Strata = tuple[tuple[float, float, float, float], ...] | npt.NDArray[np.float64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: Method labels and notes, one string per element.
TextArray = npt.NDArray[np.object_]
#: A numpy scalar or an array, for the kernels shared by the single-value and the array functions.
FloatOrArray = TypeVar("FloatOrArray", np.float64, FloatArray)


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------
def _check_conf(conf: object) -> float:
    if (
        isinstance(conf, bool)
        or not isinstance(conf, numbers.Real)
        or not math.isfinite(float(conf))
        or not 0.0 < float(conf) < 1.0
    ):
        raise ValueError(
            f"conf must be a probability strictly between 0 and 1 (e.g. 0.95 or 0.998), "
            f"got {conf!r}"
        )
    return float(conf)


def _check_count(value: object, name: str) -> int:
    """A non-negative whole number (ints, numpy ints, or integral floats such as 3.0)."""
    if type(value) is int and value >= 0:  # the common case, without the ABC checks below
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a non-negative integer count, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a non-negative integer count, got {value!r}")
    if v != math.floor(v):
        raise ValueError(f"{name} must be an integer count, got non-integer {value!r}")
    return int(v)


def _check_nonneg(value: object, name: str) -> float:
    """A non-negative finite real (population or person-time)."""
    if type(value) is float and 0.0 <= value < INF:  # the common case, without the ABC checks below
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return v


def _check_method(method: object, allowed: Iterable[str], name: str = "method") -> str:
    allowed = tuple(allowed)
    if not isinstance(method, str) or method.lower() not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {method!r}")
    return method.lower()


@functools.lru_cache(maxsize=64)
def _z(conf: float) -> float:
    return norm_isf((1.0 - conf) / 2.0)


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _root_increasing(
    g: Callable[[float], float], theta0: float, lo: float = -700.0, hi: float = 700.0
) -> float:
    """Root of an increasing function g on [lo, hi], searching outward from theta0.

    Returns ``-inf`` if g > 0 on the whole range and ``+inf`` if g < 0 on the whole range.
    """
    g0 = g(theta0)
    if g0 == 0:
        return theta0
    direction = 1.0 if g0 < 0 else -1.0
    step = 1.0
    prev = theta0
    while True:
        cand = prev + direction * step
        cand = min(max(cand, lo), hi)
        gc = g(cand)
        if (gc >= 0) if direction > 0 else (gc <= 0):
            a, b = sorted((prev, cand))
            from scipy.optimize import brentq  # imported here: scipy.optimize takes a second to import

            return float(brentq(g, a, b, xtol=1e-13, rtol=4 * np.finfo(float).eps))
        if cand in (lo, hi):
            return INF if direction > 0 else -INF
        prev = cand
        step *= 2.0


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------
class _IntervalMixin:
    lower: float
    upper: float

    def _recompute(self, conf: float) -> _IntervalMixin:  # pragma: no cover - overridden
        raise NotImplementedError

    def confidence_interval(self, level: float = 0.95) -> tuple[float, float]:
        """``(lower, upper)`` at another confidence level, recomputed from the stored inputs."""
        res = self._recompute(level)
        return (res.lower, res.upper)


@dataclass(frozen=True)
class ProportionResult(_IntervalMixin):
    """A proportion ``x / n`` with its interval (see :func:`wilson_ci`)."""

    x: int
    n: int
    estimate: float
    lower: float
    upper: float
    conf: float
    method: str
    note: str = ""

    def _recompute(self, conf: float) -> ProportionResult:
        return wilson_ci(self.x, self.n, conf)


@dataclass(frozen=True)
class CountResult(_IntervalMixin):
    """A Poisson count ``x`` with its interval (see :func:`exact_poisson_ci`, :func:`byar_ci`)."""

    x: int
    estimate: float
    lower: float
    upper: float
    conf: float
    method: str
    note: str = ""
    method_key: str = "exact"

    def _recompute(self, conf: float) -> CountResult:
        fn = exact_poisson_ci if self.method_key == "exact" else byar_ci
        return fn(self.x, conf)


@dataclass(frozen=True)
class RateResult(_IntervalMixin):
    """A crude rate ``x / n * multiplier`` with its interval (see :func:`rate_ci`)."""

    x: int
    n: float
    multiplier: float
    estimate: float
    lower: float
    upper: float
    conf: float
    method: str
    note: str = ""

    def _recompute(self, conf: float) -> RateResult:
        return rate_ci(self.x, self.n, conf, multiplier=self.multiplier)


@dataclass(frozen=True)
class RateRatioResult(_IntervalMixin):
    """Rate ratio ``(a / t1) / (b / t0)`` (see :func:`rate_ratio`)."""

    a: int
    t1: float
    b: int
    t0: float
    estimate: float
    lower: float
    upper: float
    conf: float
    method: str
    p_value: float
    note: str = ""
    method_key: str = "exact"

    def _recompute(self, conf: float) -> RateRatioResult:
        return rate_ratio(self.a, self.t1, self.b, self.t0, conf, method=self.method_key)


@dataclass(frozen=True)
class RiskRatioResult(_IntervalMixin):
    """Risk ratio ``(a / n1) / (c / n0)`` (see :func:`risk_ratio`)."""

    a: int
    n1: int
    c: int
    n0: int
    estimate: float
    lower: float
    upper: float
    conf: float
    method: str
    p_value: float
    note: str = ""
    method_key: str = "score"

    def _recompute(self, conf: float) -> RiskRatioResult:
        return risk_ratio(self.a, self.n1, self.c, self.n0, conf, method=self.method_key)


@dataclass(frozen=True)
class MantelHaenszelResult(_IntervalMixin):
    """Mantel–Haenszel pooled ratio over strata (see :func:`mh_rate_ratio`, :func:`mh_risk_ratio`).

    ``statistic`` is the 1-df Mantel–Haenszel chi-square behind ``p_value`` (H0: ratio = 1).
    ``homogeneity_*`` is the weighted-squares test of equal stratum ratios around the MH
    estimate; ``homogeneity_strata`` says how many strata entered it.
    """

    measure: str  # "rate ratio" or "risk ratio"
    #: the strata as validated: rows of (a, t1, b, t0) or (a, n1, c, n0); a read-only k x 4 array when given as one
    strata: Strata = field(compare=False)
    estimate: float
    lower: float
    upper: float
    conf: float
    method: str
    p_value: float
    statistic: float
    homogeneity_chi2: float
    homogeneity_df: int
    homogeneity_p: float
    homogeneity_strata: int
    strata_used: int
    strata_skipped: int
    note: str = ""

    def _recompute(self, conf: float) -> MantelHaenszelResult:
        if self.measure == "rate ratio":
            return mh_rate_ratio(self.strata, conf)
        return mh_risk_ratio(self.strata, conf)


# --------------------------------------------------------------------------------------------
# Single proportions, counts and rates
# --------------------------------------------------------------------------------------------
def wilson_ci(x: Count, n: Count, conf: float = 0.95) -> ProportionResult:
    """Wilson score interval for a proportion ``x / n`` (Wilson 1927).

    Uses the closed form of Newcombe (1998) method 3, as in PHEindicatormethods
    ``wilson_lower``/``wilson_upper`` and the APHO Technical Briefing 3. The interval is always
    inside [0, 1]; ``x == 0`` gives lower 0 and ``x == n`` upper 1 (no note needed).

    Zero rule: ``n == 0`` -> estimate, lower and upper ``nan`` with note ``"no denominator"``.
    Raises ``ValueError`` for negative/non-integer ``x`` or ``n``, ``x > n`` or a bad ``conf``.
    """
    x = _check_count(x, "x")
    n = _check_count(n, "n")
    conf = _check_conf(conf)
    if x > n:
        raise ValueError(f"x must not exceed n (got x={x}, n={n})")
    method = "Wilson score"
    if n == 0:
        return ProportionResult(x, n, NAN, NAN, NAN, conf, method, NOTE_NO_DENOMINATOR)
    lower, upper = _wilson_limits(np.float64(x), np.float64(n), _z(conf))
    return ProportionResult(x, n, x / n, float(lower), float(upper), conf, method, "")


def _wilson_limits(x: FloatOrArray, n: FloatOrArray, z: float) -> tuple[FloatOrArray, FloatOrArray]:
    """Newcombe's closed form, element-wise over arrays (or numpy scalars); ``n`` > 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        root = z * np.sqrt(z * z + 4.0 * x * (1.0 - p))
        denom = 2.0 * (n + z * z)
        lower = np.maximum(0.0, (2.0 * x + z * z - root) / denom)
        upper = np.minimum(1.0, (2.0 * x + z * z + root) / denom)
    return lower, upper


def _garwood(x: npt.ArrayLike, conf: float) -> tuple[FloatArray, FloatArray]:
    """Garwood limits chi2(alpha/2; 2x)/2 and chi2(1 - alpha/2; 2x + 2)/2, element-wise.

    Calls the functions behind ``scipy.stats.chi2`` directly (``chi2.ppf(q, 2x) / 2`` is
    ``gammaincinv(x, q)`` and ``chi2.isf(q, df)`` is ``chdtri(df, q)`` in scipy), bit for bit
    the same values without the per-call argument handling."""
    h = (1.0 - conf) / 2.0
    counts = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(counts > 0, special.gammaincinv(np.where(counts > 0, counts, 1.0), h), 0.0)
        upper: FloatArray = special.chdtri(2.0 * counts + 2.0, h) / 2.0
    return lower, upper


def exact_poisson_ci(x: Count, conf: float = 0.95) -> CountResult:
    """Exact (Garwood 1936) interval for a Poisson count ``x``.

    lower = chi2(alpha/2; 2x) / 2, upper = chi2(1 - alpha/2; 2x + 2) / 2 (central interval,
    equivalent to R ``poisson.test`` and epitools ``pois.exact``).

    Zero rule: ``x == 0`` -> estimate 0, lower 0, finite upper (-ln(alpha/2)); note ''.
    """
    x = _check_count(x, "x")
    conf = _check_conf(conf)
    lower, upper = _garwood(x, conf)
    return CountResult(x, float(x), float(lower), float(upper), conf, "Exact (Garwood) Poisson", "", "exact")


NOTE_BYAR_ZERO = "zero count: Byar's lower limit taken as 0"
NOTE_BYAR_NEGATIVE = "Byar's lower limit negative for this small count: set to 0"


def _byar(x: npt.ArrayLike, conf: float) -> tuple[FloatArray, FloatArray, npt.NDArray[np.str_]]:
    """Byar's limits and their note, element-wise over ``x``."""
    z = _z(conf)
    counts = np.asarray(x, dtype=float)
    x1 = counts + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = counts * (1.0 - 1.0 / (9.0 * counts) - z / (3.0 * np.sqrt(counts))) ** 3
        upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    negative = (counts > 0) & (lower < 0)
    note = np.where(counts == 0, NOTE_BYAR_ZERO, np.where(negative, NOTE_BYAR_NEGATIVE, ""))
    return np.where((counts == 0) | negative, 0.0, lower), upper, note


def byar_ci(x: Count, conf: float = 0.95) -> CountResult:
    """Byar's approximation to the exact Poisson interval (Breslow & Day 1987, vol. II, p. 69;
    APHO Technical Briefing 3; PHEindicatormethods ``byars_lower``/``byars_upper``).

    lower = x (1 - 1/(9x) - z/(3 sqrt x))^3, upper = (x+1)(1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3.

    Zero rule: ``x == 0`` -> lower 0 with a note (the lower formula is undefined); a negative
    lower value (tiny ``x`` at high ``conf``) is set to 0 with a note.
    """
    x = _check_count(x, "x")
    conf = _check_conf(conf)
    lower, upper, note = _byar(x, conf)
    return CountResult(x, float(x), float(lower), float(upper), conf, "Byar's approximation", str(note), "byar")


RATE_METHOD_EXACT = "Exact (Garwood) Poisson"
RATE_METHOD_BYAR = "Byar's approximation"
NOTE_RATE_NO_DENOMINATOR = "; ".join(
    (NOTE_NO_DENOMINATOR, "population/person-time is zero, rate not estimable"))


def _rate_limits(x: FloatArray, n: FloatArray, conf: float,
                 multiplier: float) -> tuple[FloatArray, FloatArray, FloatArray, TextArray, TextArray]:
    """Rates, limits, method labels and notes of :func:`rate_ci`, element-wise."""
    exact = x < BYAR_THRESHOLD
    exact_lower, exact_upper = _garwood(x, conf)
    byar_lower, byar_upper, byar_note = _byar(x, conf)
    lower = np.where(exact, exact_lower, byar_lower)
    upper = np.where(exact, exact_upper, byar_upper)
    method = np.where(exact, RATE_METHOD_EXACT, RATE_METHOD_BYAR).astype(object)
    note = np.where(exact, "", byar_note).astype(object)
    no_population = n == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = multiplier / np.where(no_population, 1.0, n)
    estimate = np.where(no_population, NAN, x * scale)
    lower = np.where(no_population, NAN, lower * scale)
    upper = np.where(no_population, NAN, upper * scale)
    note[no_population] = NOTE_RATE_NO_DENOMINATOR
    return estimate, lower, upper, method, note


def rate_ci(x: Count, n: Real, conf: float = 0.95, multiplier: float = 1000) -> RateResult:
    """Crude rate ``x / n * multiplier`` with the UK public-health interval convention.

    Exact (Garwood 1936) Poisson limits on the count below 10 events, Byar's approximation
    from 10 events (APHO Technical Briefing 3; PHEindicatormethods ``phe_rate``); the count
    limits are divided by ``n`` and multiplied by ``multiplier``. ``method`` says which was used.
    ``n`` is a population or person-time and need not be an integer.

    Zero rules: ``x == 0`` -> rate 0, lower 0, finite upper (exact method). ``n == 0`` -> rate,
    lower and upper ``nan`` with note ``"no denominator"``.
    """
    x = _check_count(x, "x")
    n = _check_nonneg(n, "n")
    conf = _check_conf(conf)
    multiplier = _check_multiplier(multiplier)
    estimate, lower, upper, method, note = _rate_limits(np.array([float(x)]), np.array([n]), conf, multiplier)
    return RateResult(x, n, multiplier, float(estimate[0]), float(lower[0]), float(upper[0]), conf,
                      method[0], note[0])


def _check_multiplier(multiplier: object) -> float:
    multiplier = _check_nonneg(multiplier, "multiplier")
    if multiplier == 0:
        raise ValueError("multiplier must be a positive finite number, got 0")
    return multiplier


# --------------------------------------------------------------------------------------------
# Array forms for whole tables
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntervalArrays:
    """Element-wise results of an ``*_array`` function: entry i is what the scalar function gives
    for the i-th inputs (same estimate, limits, method and note; ``p_value`` where it has one)."""

    estimate: FloatArray
    lower: FloatArray
    upper: FloatArray
    method: TextArray
    note: TextArray
    conf: float
    p_value: FloatArray | None = None


@dataclass(frozen=True)
class RatioArrays(IntervalArrays):
    """:class:`IntervalArrays` of a ratio with its test: ``p_value`` is always there."""

    p_value: FloatArray


def _check_counts(values: Numbers, name: str, effective: bool = False) -> FloatArray:
    """Non-negative whole counts, or with ``effective`` non-negative finite real (effective) counts."""
    kind = "counts" if effective else "integer counts"
    array = np.asarray(values)
    if array.dtype.kind not in "iuf" or array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array of non-negative {kind}")
    array = array.astype(float)
    bad = ~np.isfinite(array) | (array < 0)
    if not effective:
        bad |= array != np.floor(array)
    if bad.any():
        raise ValueError(f"{name} must hold non-negative {kind}, got {values[int(np.argmax(bad))]!r}")
    return array


def _check_denominators(values: Numbers, name: str) -> FloatArray:
    array = np.asarray(values)
    if array.dtype.kind not in "iuf" or array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array of non-negative numbers")
    array = array.astype(float)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        raise ValueError(f"{name} must hold non-negative finite numbers, got {values[int(np.argmax(bad))]!r}")
    return array


def _same_length(**arrays: FloatArray) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("arrays must have the same length, got " + ", ".join(f"{k}={v}" for k, v in lengths.items()))


def rate_ci_array(x: Numbers, n: Numbers, conf: float = 0.95, multiplier: float = 1000, *,
                  effective: bool = False) -> IntervalArrays:
    """:func:`rate_ci` for every element of the arrays ``x`` (events) and ``n`` (populations) at
    once: identical values, methods and notes, in one call per table instead of one per row.

    ``effective=True`` accepts non-integer (effective) counts ``x`` (see the module docstring, "Effective
    counts"): Garwood's limits are the gamma quantiles gammaincinv(x, alpha/2) and gammainccinv(x + 1, alpha/2)
    (chi2(alpha/2; 2x)/2 and chi2(1 - alpha/2; 2x + 2)/2 for a real x) and Byar's formula is used as it stands,
    both continuous in x; at whole counts the values are those of :func:`rate_ci`."""
    events, population = _check_counts(x, "x", effective), _check_denominators(n, "n")
    _same_length(x=events, n=population)
    conf = _check_conf(conf)
    estimate, lower, upper, method, note = _rate_limits(events, population, conf, _check_multiplier(multiplier))
    return IntervalArrays(estimate, lower, upper, method, note, conf)


def wilson_ci_array(x: Numbers, n: Numbers, conf: float = 0.95, *, effective: bool = False) -> IntervalArrays:
    """:func:`wilson_ci` for every element of ``x`` and ``n`` at once (identical values and notes).

    ``effective=True`` accepts non-integer (effective) ``x`` and ``n``: Newcombe's closed form of the Wilson
    score interval is a continuous function of real x and n (Kish-style effective sample sizes)."""
    events, totals = _check_counts(x, "x", effective), _check_counts(n, "n", effective)
    _same_length(x=events, n=totals)
    conf = _check_conf(conf)
    if (events > totals).any():
        i = int(np.argmax(events > totals))
        raise ValueError(f"x must not exceed n (got x={events[i]:g}, n={totals[i]:g} at position {i})")
    empty = totals == 0
    lower, upper = _wilson_limits(events, np.where(empty, 1.0, totals), _z(conf))
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(empty, NAN, events / np.where(empty, 1.0, totals))
    note = np.where(empty, NOTE_NO_DENOMINATOR, "").astype(object)
    method = np.full(len(events), "Wilson score", dtype=object)
    return IntervalArrays(estimate, np.where(empty, NAN, lower), np.where(empty, NAN, upper), method, note, conf)


def rate_ratio_exact_array(a: Numbers, t1: Numbers, b: Numbers, t0: Numbers, conf: float = 0.95, *,
                           effective: bool = False) -> RatioArrays:
    """:func:`rate_ratio` with ``method="exact"`` for every element at once: identical estimates,
    limits, p-values and notes (the same scipy functions, applied to whole arrays).

    ``effective=True`` accepts non-integer (effective) counts ``a`` and ``b``: the conditional binomial of ``a``
    given ``a + b`` is extended to real counts through its beta-function form, P(X >= a) = I_pi(a, b + 1) and
    P(X <= a) = I_(1 - pi)(b, a + 1) (Johnson, Kemp & Kotz, *Univariate Discrete Distributions* 3rd ed. (2005)
    eq. 3.34), the same functions whose inverses give the Clopper–Pearson limits, so the interval still excludes 1
    exactly when the p-value is at most 1 - conf. Whole-count elements keep the binomial kernels (bit for bit)."""
    index_events, reference_events = _check_counts(a, "a", effective), _check_counts(b, "b", effective)
    index_time, reference_time = _check_denominators(t1, "t1"), _check_denominators(t0, "t0")
    _same_length(a=index_events, t1=index_time, b=reference_events, t0=reference_time)
    conf = _check_conf(conf)
    estimate, lower, upper, p, note = _exact_rate_ratio(index_events, index_time, reference_events, reference_time,
                                                        conf)
    method = np.full(len(index_events), RATE_RATIO_METHODS["exact"], dtype=object)
    return RatioArrays(estimate, lower, upper, method, note, conf, p)


def _exact_rate_ratio(a: FloatArray, t1: FloatArray, b: FloatArray, t0: FloatArray,
                      conf: float) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, TextArray]:
    """Estimate, exact conditional limits, two-sided p-value and note of :func:`rate_ratio`, element-wise."""
    no_time = (t1 == 0) | (t0 == 0)
    no_events = ~no_time & (a == 0) & (b == 0)
    defined = ~no_time & ~no_events
    safe_t1, safe_t0 = np.where(no_time, 1.0, t1), np.where(no_time, 1.0, t0)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(b == 0, INF, np.where(a == 0, 0.0, (a / safe_t1) / (np.where(b == 0, 1.0, b) / safe_t0)))
    lo_odds, hi_odds = _exact_odds_limits(a, b, 1.0 - conf)
    scale = safe_t0 / safe_t1
    n_tot = np.where(defined, a + b, 1.0)
    pi0 = safe_t1 / (safe_t1 + safe_t0)
    a_, b_ = np.where(defined, a, 0.0), np.where(defined, b, 1.0)
    lower_tail = binom_cdf(a_, n_tot, pi0)
    upper_tail = binom_sf(a_ - 1.0, n_tot, pi0)
    fractional = defined & ((a != np.floor(a)) | (b != np.floor(b)))
    if fractional.any():  # effective counts: the beta-function form of the same tails (continuous in a and b)
        lower_tail[fractional], upper_tail[fractional] = _beta_tails(a_[fractional], b_[fractional], pi0[fractional])
    p = np.minimum(1.0, 2.0 * np.minimum(lower_tail, upper_tail))
    note = np.where(b == 0, NOTE_REF_NO_EVENTS, np.where(a == 0, NOTE_INDEX_NO_EVENTS, "")).astype(object)
    for mask, text in ((no_events, NOTE_NO_EVENTS_EITHER), *_no_time_notes(t1, t0)):
        note[mask] = text
    undefined = ~defined
    return (np.where(undefined, NAN, estimate), np.where(undefined, NAN, lo_odds * scale),
            np.where(undefined, NAN, hi_odds * scale), np.where(undefined, NAN, p), note)


def _beta_tails(a: FloatArray, b: FloatArray, pi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """P(X <= a) and P(X >= a) for X ~ Bin(a + b, pi) written as regularized incomplete beta functions,
    I_(1 - pi)(b, a + 1) and I_pi(a, b + 1), defined for real a, b >= 0 (1 where the beta parameter is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.where(b > 0, special.betainc(np.where(b > 0, b, 1.0), a + 1.0, 1.0 - pi), 1.0)
        above = np.where(a > 0, special.betainc(np.where(a > 0, a, 1.0), b + 1.0, pi), 1.0)
    return below, above


def _no_time_notes(t1: FloatArray, t0: FloatArray) -> Iterator[tuple[BoolArray, str]]:
    both, only_t1, only_t0 = (t1 == 0) & (t0 == 0), (t1 == 0) & (t0 != 0), (t0 == 0) & (t1 != 0)
    for mask, which in ((only_t1, "t1"), (only_t0, "t0"), (both, "t1 and t0")):
        yield mask, (f"{NOTE_NO_DENOMINATOR}: {which} (person-time/population) is zero, "
                     "rate ratio not estimable")


# --------------------------------------------------------------------------------------------
# Rate ratio (two Poisson counts with person-time / population denominators)
# --------------------------------------------------------------------------------------------
def _exact_odds_limits(a: npt.ArrayLike, b: npt.ArrayLike, alpha: float) -> tuple[FloatArray, FloatArray]:
    """Clopper–Pearson limits for the odds pi/(1-pi) of a ~ Bin(a+b, pi), central, level 1-alpha,
    element-wise.

    Written with both tails of the beta quantiles so that (a, b) <-> (b, a) gives exactly
    reciprocal limits and odds near 1/0 keep full precision. ``beta.ppf``/``beta.isf`` are
    scipy's ``betaincinv``/``betainccinv``, called directly (bit for bit the same values).
    """
    h = alpha / 2.0
    a_, b_ = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a_pos, b_pos = np.where(a_ > 0, a_, 1.0), np.where(b_ > 0, b_, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(a_ > 0, special.betaincinv(a_pos, b_ + 1.0, h) / special.betainccinv(b_ + 1.0, a_pos, h), 0.0)
        hi = np.where(b_ > 0, special.betainccinv(a_ + 1.0, b_pos, h) / special.betaincinv(b_pos, a_ + 1.0, h), INF)
    return lo, hi


def _midp_tails(a: int, n_tot: int, pi: float) -> tuple[float, float]:
    """(P(X<a) + P(X=a)/2, P(X>a) + P(X=a)/2) for X ~ Bin(n_tot, pi)."""
    half = 0.5 * float(binom_pmf(a, n_tot, pi))
    below = float(binom_cdf(a - 1, n_tot, pi)) if a > 0 else 0.0
    above = float(binom_sf(a, n_tot, pi))
    return below + half, above + half


def _midp_odds_limits(a: int, b: int, alpha: float) -> tuple[float, float]:
    n_tot = a + b
    h = alpha / 2.0
    if a == 0:
        lo = 0.0
    else:
        # upper mid-p tail P(X>a)+P(X=a)/2 increases with pi: solve = alpha/2 on the logit scale
        def g_lo(theta: float) -> float:
            return _midp_tails(a, n_tot, float(special.expit(theta)))[1] - h

        lo = math.exp(_root_increasing(g_lo, math.log(a / (b + 1.0))))
    if b == 0:
        hi = INF
    else:
        # lower mid-p tail P(X<a)+P(X=a)/2 decreases with pi
        def g_hi(theta: float) -> float:
            return h - _midp_tails(a, n_tot, float(special.expit(theta)))[0]

        hi = math.exp(_root_increasing(g_hi, math.log((a + 1.0) / b)))
    return lo, hi


def _score_rate_limits(a: int, b: int, z: float) -> tuple[float, float]:
    """Limits for g = R t1/t0 inverting the conditional score test |a - b g| / sqrt((a+b) g) = z.

    Closed-form roots of b^2 g^2 - (2ab + z^2 (a+b)) g + a^2 = 0.
    """
    n_tot = a + b
    q = 2.0 * a * b + z * z * n_tot
    disc = math.sqrt(max(q * q - 4.0 * a * a * b * b, 0.0))
    lo = 2.0 * a * a / (q + disc) if a > 0 else 0.0
    hi = (q + disc) / (2.0 * b * b) if b > 0 else INF
    return lo, hi


def rate_ratio(
    a: Count, t1: Real, b: Count, t0: Real, conf: float = 0.95, method: str = "exact"
) -> RateRatioResult:
    """Ratio of two Poisson rates ``(a / t1) / (b / t0)`` (index group over reference group).

    ``t1``, ``t0`` are person-time or populations. Methods:

    * ``"exact"`` (default) - conditional on a + b, a ~ Bin(a+b, pi) with
      pi = R t1 / (R t1 + t0); Clopper–Pearson (1934) central interval for pi mapped to R
      (as R ``poisson.test``, Stata ``ir``/``iri``, OpenEpi "Fisher exact"). ``p_value`` is
      twice the smaller one-sided binomial tail at R = 1, capped at 1, so the interval excludes
      1 exactly when ``p_value < 1 - conf``.
    * ``"midp"`` - the same with Lancaster's mid-p tails (OpenEpi / epitools "mid-p exact").
    * ``"katz"`` - log-Wald interval, SE(log R) = sqrt(1/a + 1/b) (Katz et al. 1978); Wald z test.
    * ``"score"`` - inverts the conditional score test z = (a - b g)/sqrt((a+b) g),
      g = R t1/t0 (as statsmodels ``confint_poisson_2indep(..., method='score',
      compare='ratio')``); ``p_value`` from the same test at R = 1.

    Zero rules: ``t1 == 0`` or ``t0 == 0`` -> everything ``nan`` with a note. ``a == b == 0`` ->
    ``nan`` with note "no events in either group". ``a == 0 < b`` -> estimate 0, lower 0, finite
    upper (exact, midp, score; Katz upper is ``nan`` with a note). ``b == 0 < a`` -> estimate
    ``inf`` ("not estimable"), upper ``inf``, finite lower (exact, midp, score; Katz lower
    ``nan``), with a note. Katz p-value is ``nan`` when a or b is 0.
    """
    a = _check_count(a, "a")
    b = _check_count(b, "b")
    t1 = _check_nonneg(t1, "t1")
    t0 = _check_nonneg(t0, "t0")
    conf = _check_conf(conf)
    key = _check_method(method, RATE_RATIO_METHODS)
    label = RATE_RATIO_METHODS[key]

    def result(est: float, lo: float, hi: float, p: float, note: str = "") -> RateRatioResult:
        return RateRatioResult(a, t1, b, t0, est, lo, hi, conf, label, p, note, key)

    if t1 == 0 or t0 == 0:
        which = " and ".join(n for n, t in (("t1", t1), ("t0", t0)) if t == 0)
        return result(
            NAN, NAN, NAN, NAN,
            f"{NOTE_NO_DENOMINATOR}: {which} (person-time/population) is zero, "
            "rate ratio not estimable",
        )
    if a == 0 and b == 0:
        return result(NAN, NAN, NAN, NAN, NOTE_NO_EVENTS_EITHER)

    alpha = 1.0 - conf
    scale = t0 / t1  # R = odds(pi) * t0 / t1
    if b == 0:
        est, note = INF, NOTE_REF_NO_EVENTS
    elif a == 0:
        est, note = 0.0, NOTE_INDEX_NO_EVENTS
    else:
        est, note = (a / t1) / (b / t0), ""

    n_tot = a + b
    pi0 = t1 / (t1 + t0)
    if key == "exact":  # the array form's kernel, so a table row and a single call agree exactly
        a_, t1_, b_, t0_ = (np.array([v], dtype=float) for v in (a, t1, b, t0))
        _, lows, highs, p_values, _ = _exact_rate_ratio(a_, t1_, b_, t0_, conf)
        return result(est, float(lows[0]), float(highs[0]), float(p_values[0]), note)
    if key == "midp":
        lo, hi = _midp_odds_limits(a, b, alpha)
        p = min(1.0, 2.0 * min(_midp_tails(a, n_tot, pi0)))
        return result(est, lo * scale, hi * scale, p, note)
    z = _z(conf)
    if key == "score":
        lo, hi = _score_rate_limits(a, b, z)
        g0 = t1 / t0
        stat = (a - b * g0) / math.sqrt(n_tot * g0)
        p = float(2.0 * norm_sf(abs(stat)))
        return result(est, lo * scale, hi * scale, p, note)
    # katz
    if a == 0:
        return result(
            est, 0.0, NAN, NAN,
            _join(note, "Katz log interval and Wald test undefined with a zero count; "
                  "upper limit not estimable (use method='exact')"),
        )
    if b == 0:
        return result(
            est, NAN, INF, NAN,
            _join(note, "Katz log interval and Wald test undefined with a zero count; "
                  "lower limit not estimable (use method='exact')"),
        )
    se = math.sqrt(1.0 / a + 1.0 / b)
    log_est = math.log(est)
    p = float(2.0 * norm_sf(abs(log_est) / se))
    return result(est, math.exp(log_est - z * se), math.exp(log_est + z * se), p, note)


# --------------------------------------------------------------------------------------------
# Risk ratio (two binomial proportions)
# --------------------------------------------------------------------------------------------
def _koopman_stat(r: float, a: float, n1: float, c: float, n0: float) -> float:
    """Koopman (1984) score statistic U(r) for H0: p1 = r p0 (no N/(N-1) correction)."""
    if math.isinf(r):
        return 0.0 if c == 0 else INF
    if r == 0:
        return 0.0 if a == 0 else INF
    n_tot = n1 + n0
    # restricted MLE of p0 given p1 = r p0 (Miettinen & Nurminen 1985; Farrington & Manning 1990)
    qa = n_tot * r
    qb = -(n1 * r + a + n0 + c * r)
    qc = a + c
    disc = math.sqrt(max(qb * qb - 4.0 * qa * qc, 0.0))
    p0 = 2.0 * qc / (-qb + disc) if qc > 0 else 0.0
    p1 = min(r * p0, 1.0)
    p0 = min(p0, 1.0)
    num = (a / n1 - r * c / n0) ** 2
    var = p1 * (1.0 - p1) / n1 + r * r * p0 * (1.0 - p0) / n0
    if num == 0:
        return 0.0
    if var <= 0:
        return INF
    return num / var


def _koopman_limits(a: float, n1: float, c: float, n0: float, z: float) -> tuple[float, float]:
    z2 = z * z

    def stat(theta: float) -> float:
        return _koopman_stat(math.exp(theta), a, n1, c, n0)

    if a > 0 and c > 0:
        theta_hat = math.log((a / n1) / (c / n0))
        lo = math.exp(_root_increasing(lambda t: z2 - stat(t), theta_hat))
        hi = math.exp(_root_increasing(lambda t: stat(t) - z2, theta_hat))
    elif a == 0:  # estimate 0: U increases with r
        lo = 0.0
        hi = math.exp(_root_increasing(lambda t: stat(t) - z2, 0.0))
    else:  # c == 0, estimate infinite: U decreases with r
        lo = math.exp(_root_increasing(lambda t: z2 - stat(t), 0.0))
        hi = INF
    return lo, hi


def risk_ratio(
    a: Count, n1: Count, c: Count, n0: Count, conf: float = 0.95, method: str = "score"
) -> RiskRatioResult:
    """Ratio of two proportions ``(a / n1) / (c / n0)`` (index group over reference group).

    Methods:

    * ``"score"`` (default) - Koopman (1984) asymptotic score interval: all R whose score
      statistic (p1 - R p0)^2 / Var~(R) <= z^2, with the variance evaluated at the restricted
      MLE under p1 = R p0. This equals statsmodels ``confint_proportions_2indep(a, n1, c, n0,
      method='score', compare='ratio', correction=False)``; statsmodels' default
      ``correction=True`` is the Miettinen–Nurminen (1985) variant with an extra N/(N-1)
      factor, which is *not* used here. ``p_value`` is the same score test at R = 1 (the
      uncorrected Pearson chi-square), so the interval excludes 1 iff ``p_value < 1 - conf``.
    * ``"katz"`` - log interval, SE(log RR) = sqrt(1/a - 1/n1 + 1/c - 1/n0) (Katz et al. 1978);
      Wald z test.

    Zero rules: ``n1 == 0`` or ``n0 == 0`` -> ``nan`` with note. ``a == c == 0`` -> ``nan`` with
    note "no events in either group". ``a == 0 < c`` -> estimate 0, lower 0, finite upper
    (score; Katz upper ``nan`` with note). ``c == 0 < a`` -> estimate ``inf`` ("not
    estimable"), upper ``inf``, finite lower (score; Katz lower ``nan``), with note.
    """
    a = _check_count(a, "a")
    n1 = _check_count(n1, "n1")
    c = _check_count(c, "c")
    n0 = _check_count(n0, "n0")
    conf = _check_conf(conf)
    key = _check_method(method, RISK_RATIO_METHODS)
    if a > n1:
        raise ValueError(f"a must not exceed n1 (got a={a}, n1={n1})")
    if c > n0:
        raise ValueError(f"c must not exceed n0 (got c={c}, n0={n0})")
    label = RISK_RATIO_METHODS[key]

    def result(est: float, lo: float, hi: float, p: float, note: str = "") -> RiskRatioResult:
        return RiskRatioResult(a, n1, c, n0, est, lo, hi, conf, label, p, note, key)

    if n1 == 0 or n0 == 0:
        which = " and ".join(n for n, v in (("n1", n1), ("n0", n0)) if v == 0)
        return result(
            NAN, NAN, NAN, NAN, f"{NOTE_NO_DENOMINATOR}: {which} is zero, risk ratio not estimable"
        )
    if a == 0 and c == 0:
        return result(NAN, NAN, NAN, NAN, NOTE_NO_EVENTS_EITHER)
    if c == 0:
        est, note = INF, NOTE_REF_NO_EVENTS
    elif a == 0:
        est, note = 0.0, NOTE_INDEX_NO_EVENTS
    else:
        est, note = (a / n1) / (c / n0), ""
    z = _z(conf)
    if key == "score":
        lo, hi = _koopman_limits(a, n1, c, n0, z)
        u1 = _koopman_stat(1.0, a, n1, c, n0)
        p = chi2_sf(u1, 1)
        return result(est, lo, hi, p, note)
    # katz
    if a == 0:
        return result(
            est, 0.0, NAN, NAN,
            _join(note, "Katz log interval and Wald test undefined with a zero count; "
                  "upper limit not estimable (use method='score')"),
        )
    if c == 0:
        return result(
            est, NAN, INF, NAN,
            _join(note, "Katz log interval and Wald test undefined with a zero count; "
                  "lower limit not estimable (use method='score')"),
        )
    var = max(1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n0, 0.0)
    se = math.sqrt(var)
    log_est = math.log(est)
    p = float(2.0 * norm_sf(abs(log_est) / se)) if se > 0 else float(log_est == 0)
    return result(est, math.exp(log_est - z * se), math.exp(log_est + z * se), p, note)


def risk_ratio_score_array(a: Numbers, n1: Numbers, c: Numbers, n0: Numbers, conf: float = 0.95, *,
                           effective: bool = False) -> RatioArrays:
    """:func:`risk_ratio` with ``method="score"`` (Koopman 1984) for every element: identical estimates, limits,
    p-values and notes.

    ``effective=True`` accepts non-integer (effective) counts: Koopman's score statistic and the restricted
    maximum-likelihood estimate behind it are continuous functions of real a, n1, c, n0 (a <= n1, c <= n0), so the
    interval and the score test (whose inversion it is) extend to effective counts unchanged."""
    events, totals = _check_counts(a, "a", effective), _check_counts(n1, "n1", effective)
    ref_events, ref_totals = _check_counts(c, "c", effective), _check_counts(n0, "n0", effective)
    _same_length(a=events, n1=totals, c=ref_events, n0=ref_totals)
    conf = _check_conf(conf)
    for x, n, x_name, n_name in ((events, totals, "a", "n1"), (ref_events, ref_totals, "c", "n0")):
        if (x > n).any():
            i = int(np.argmax(x > n))
            raise ValueError(f"{x_name} must not exceed {n_name} (got {x_name}={x[i]:g}, {n_name}={n[i]:g} "
                             f"at position {i})")
    size = len(events)
    estimate, lower, upper, p_value = (np.full(size, NAN) for _ in range(4))
    note = np.full(size, "", dtype=object)
    z = _z(conf)
    for i in range(size):
        estimate[i], lower[i], upper[i], p_value[i], note[i] = _score_risk_ratio(
            float(events[i]), float(totals[i]), float(ref_events[i]), float(ref_totals[i]), z)
    method = np.full(size, RISK_RATIO_METHODS["score"], dtype=object)
    return RatioArrays(estimate, lower, upper, method, note, conf, p_value)


def _score_risk_ratio(a: float, n1: float, c: float, n0: float, z: float) -> tuple[float, float, float, float, str]:
    """Estimate, Koopman limits, score-test p-value and note of :func:`risk_ratio` (``method="score"``)."""
    if n1 == 0 or n0 == 0:
        which = " and ".join(n for n, v in (("n1", n1), ("n0", n0)) if v == 0)
        return NAN, NAN, NAN, NAN, f"{NOTE_NO_DENOMINATOR}: {which} is zero, risk ratio not estimable"
    if a == 0 and c == 0:
        return NAN, NAN, NAN, NAN, NOTE_NO_EVENTS_EITHER
    if c == 0:
        est, note = INF, NOTE_REF_NO_EVENTS
    elif a == 0:
        est, note = 0.0, NOTE_INDEX_NO_EVENTS
    else:
        est, note = (a / n1) / (c / n0), ""
    lo, hi = _koopman_limits(a, n1, c, n0, z)
    return est, lo, hi, chi2_sf(_koopman_stat(1.0, a, n1, c, n0), 1), note


# --------------------------------------------------------------------------------------------
# Mantel–Haenszel pooled ratios
# --------------------------------------------------------------------------------------------
def _parse_strata(strata: RateStrata | RiskStrata, kind: str) -> Strata:
    if isinstance(strata, np.ndarray) and _valid_strata_array(strata, kind):
        table = strata.astype(float)  # a table's strata at once, checked as arrays and kept as one (a copy)
        table.flags.writeable = False
        return table
    if isinstance(strata, (str, bytes)) or not isinstance(strata, Iterable):
        raise ValueError("strata must be an iterable of 4-tuples")
    rows: list[tuple[float, float, float, float]] = []
    for i, row in enumerate(strata):
        try:
            items = tuple(row)
        except TypeError:
            raise ValueError(f"strata[{i}] must be a 4-tuple, got {row!r}") from None
        if len(items) != 4:
            raise ValueError(f"strata[{i}] must be a 4-tuple, got {len(items)} values")
        plain = _plain_stratum(items, kind)
        if plain is not None:  # valid plain ints/floats: no per-item checks (or their messages)
            rows.append(plain)
            continue
        if kind == "rate":
            a = _check_count(items[0], f"strata[{i}] a")
            t1 = _check_nonneg(items[1], f"strata[{i}] t1")
            b = _check_count(items[2], f"strata[{i}] b")
            t0 = _check_nonneg(items[3], f"strata[{i}] t0")
            rows.append((a, t1, b, t0))
        else:
            a = _check_count(items[0], f"strata[{i}] a")
            n1 = _check_count(items[1], f"strata[{i}] n1")
            c = _check_count(items[2], f"strata[{i}] c")
            n0 = _check_count(items[3], f"strata[{i}] n0")
            if a > n1:
                raise ValueError(f"strata[{i}] a must not exceed n1 (got a={a}, n1={n1})")
            if c > n0:
                raise ValueError(f"strata[{i}] c must not exceed n0 (got c={c}, n0={n0})")
            rows.append((a, n1, c, n0))
    return tuple(rows)


def _valid_strata_array(strata: npt.NDArray[Any], kind: str) -> bool:
    """A k x 4 numeric array whose every stratum is valid (else the row-by-row checks name the first fault)."""
    if strata.ndim != 2 or strata.shape[1] != 4 or strata.dtype.kind not in "iuf":
        return False
    values = strata.astype(float)
    if not np.isfinite(values).all() or (values < 0).any():
        return False
    counts = values[:, [0, 2]] if kind == "rate" else values
    if (counts != np.floor(counts)).any():
        return False
    return kind == "rate" or bool(((values[:, 0] <= values[:, 1]) & (values[:, 2] <= values[:, 3])).all())


def _plain_stratum(items: tuple[object, ...], kind: str) -> tuple[float, float, float, float] | None:
    """The stratum itself if it is made of plain Python numbers that need no conversion (counts are non-negative
    ints, rate denominators non-negative finite floats, and risk events do not exceed the totals), else None."""
    a, d1, b, d0 = items
    if not (type(a) is int and type(b) is int and a >= 0 and b >= 0):
        return None
    if kind == "rate":
        if type(d1) is float and type(d0) is float and 0.0 <= d1 < INF and 0.0 <= d0 < INF:
            return (a, d1, b, d0)
        return None
    if type(d1) is int and type(d0) is int and a <= d1 and b <= d0:
        return (a, d1, b, d0)
    return None


def _strata_columns(rows: Strata) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The four columns of parsed strata as float arrays (empty arrays for no strata)."""
    table = np.array(rows, dtype=float).reshape(-1, 4)
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]


#: The homogeneity test: chi-square, degrees of freedom, p-value, strata entered, note.
Homogeneity = tuple[float, int, float, int, str]


def _homogeneity(logs: FloatArray, variances: FloatArray, log_mh: float) -> Homogeneity:
    k = len(logs)
    if k < 2 or not math.isfinite(log_mh):
        return (
            NAN, max(k - 1, 0), NAN, k,
            "homogeneity test not computed: needs at least 2 strata with events in both "
            "groups and a finite pooled estimate",
        )
    lg = np.asarray(logs)
    w = 1.0 / np.asarray(variances)
    chi2 = float(np.sum(w * (lg - log_mh) ** 2))
    return chi2, k - 1, chi2_sf(chi2, k - 1), k, ""


def _mh_finish(measure: str, rows: Strata, conf: float, num: float, den: float, var_num: float, stat: float,
               p: float, stat_note: str, homog: Homogeneity, used: int, skipped: int,
               extra_notes: list[str]) -> MantelHaenszelResult:
    method = "Mantel–Haenszel (Greenland–Robins variance)"
    chi2h, dfh, ph, kh, hnote = homog
    notes = list(extra_notes)
    z = _z(conf)
    if used == 0:
        return MantelHaenszelResult(
            measure, rows, NAN, NAN, NAN, conf, method, NAN, NAN, NAN, 0, NAN, 0, 0, skipped,
            _join("no informative strata (every stratum has no events or a zero denominator): "
                  f"pooled {measure} not estimable", *notes),
        )
    if num == 0 and den == 0:  # cannot happen with informative strata, kept for safety
        est = lo = hi = NAN
        notes.insert(0, NOTE_NO_EVENTS_EITHER)
    elif den == 0:
        est, lo, hi = INF, NAN, INF
        notes.insert(0, "reference group has no events in any stratum: pooled ratio not "
                        "estimable (infinite); Greenland–Robins interval undefined")
    elif num == 0:
        est, lo, hi = 0.0, 0.0, NAN
        notes.insert(0, "index group has no events in any stratum: pooled ratio is 0; "
                        "Greenland–Robins upper limit undefined")
    else:
        est = num / den
        se = math.sqrt(max(var_num, 0.0) / (num * den))
        lo, hi = est * math.exp(-z * se), est * math.exp(z * se)
    return MantelHaenszelResult(
        measure, rows, est, lo, hi, conf, method, p, stat, chi2h, dfh, ph, kh, used, skipped,
        _join(*notes, stat_note, hnote),
    )


def mh_rate_ratio(strata: RateStrata, conf: float = 0.95) -> MantelHaenszelResult:
    """Mantel–Haenszel pooled rate ratio over strata ``(a, t1, b, t0)``.

    IRR_MH = sum(a t0 / T) / sum(b t1 / T), T = t1 + t0 (Rothman, Greenland & Lash 2008, ch. 15);
    Var(log IRR_MH) = sum(M1 t1 t0 / T^2) / [sum(a t0 / T) sum(b t1 / T)], M1 = a + b
    (Greenland & Robins 1985), log-scale interval. ``p_value``: Mantel–Haenszel (conditional
    score) test of IRR = 1, chi-square = (sum a - sum M1 t1/T)^2 / sum(M1 t1 t0 / T^2) with
    1 df (Rothman, Greenland & Lash 2008, ch. 15; OpenEpi "adjusted z-score"); ``statistic``.

    Homogeneity: weighted-squares chi-square sum w_i (log IRR_i - log IRR_MH)^2 with
    w_i = 1 / (1/a_i + 1/b_i), df = k - 1, over the k strata with events in both groups
    (Rothman, Greenland & Lash 2008, ch. 15; the same statistic as Stata ``ir ..., by()``
    "test of homogeneity (M-H)"); strata with a zero count cannot enter it (log undefined) and
    ``homogeneity_strata`` says how many did.

    Strata with no events in either group or a zero ``t1``/``t0`` carry no information and are
    skipped (``strata_skipped``). Zero rules: no informative strata -> ``nan`` with note; no
    reference events anywhere -> estimate ``inf``, upper ``inf``, lower ``nan`` with note; no
    index events anywhere -> estimate 0, lower 0, upper ``nan`` with note.
    """
    conf = _check_conf(conf)
    rows = _parse_strata(strata, "rate")
    a, t1, b, t0 = _strata_columns(rows)
    informative = (t1 > 0) & (t0 > 0) & (a + b > 0)
    used, skipped = int(informative.sum()), int((~informative).sum())
    a, t1, b, t0 = a[informative], t1[informative], b[informative], t0[informative]
    t, m1 = t1 + t0, a + b
    num, den = float(np.sum(a * t0 / t)), float(np.sum(b * t1 / t))
    var_num = float(np.sum(m1 * t1 * t0 / (t * t)))  # also the null variance of sum(a)
    obs, exp_ = float(np.sum(a)), float(np.sum(m1 * t1 / t))
    both = (a > 0) & (b > 0)
    logs = np.log((a[both] / t1[both]) / (b[both] / t0[both]))
    variances = 1.0 / a[both] + 1.0 / b[both]
    stat = p = NAN
    stat_note = ""
    if used:
        stat = (obs - exp_) ** 2 / var_num
        p = chi2_sf(stat, 1)
    log_mh = math.log(num / den) if num > 0 and den > 0 else NAN
    homog = _homogeneity(logs, variances, log_mh)
    notes = [f"{skipped} uninformative strata skipped"] if skipped else []
    return _mh_finish("rate ratio", rows, conf, num, den, var_num, stat, p, stat_note, homog,
                      used, skipped, notes)


def mh_risk_ratio(strata: RiskStrata, conf: float = 0.95) -> MantelHaenszelResult:
    """Mantel–Haenszel pooled risk ratio over strata ``(a, n1, c, n0)``.

    RR_MH = sum(a n0 / N) / sum(c n1 / N), N = n1 + n0 (Mantel & Haenszel 1959);
    Var(log RR_MH) = sum(M1 n1 n0 / N^2 - a c / N) / [sum(a n0 / N) sum(c n1 / N)],
    M1 = a + c (Greenland & Robins 1985; as epiR ``epi.2by2`` ``RR.mh.wald``), log-scale
    interval. ``p_value``: Cochran–Mantel–Haenszel chi-square without continuity correction
    (as R ``mantelhaen.test(correct=FALSE)``), 1 df.

    Homogeneity: weighted-squares chi-square sum w_i (log RR_i - log RR_MH)^2 with
    w_i = 1 / (1/a_i - 1/n1_i + 1/c_i - 1/n0_i), df = k - 1, over the k strata with events in
    both groups and a positive variance (Rothman, Greenland & Lash 2008, ch. 15). Strata where a
    group's records all have the event (a = n1 or c = n0) are excluded from it and the note says how
    many: their variance estimate is degenerate and one such stratum swamps the others. Note epiR's
    ``wRR.homog`` centres the same sum on the inverse-variance estimate instead.

    Strata with no events in either group or a zero ``n1``/``n0`` are skipped
    (``strata_skipped``). Zero rules as :func:`mh_rate_ratio`.
    """
    conf = _check_conf(conf)
    rows = _parse_strata(strata, "risk")
    a, n1, c, n0 = _strata_columns(rows)
    informative = (n1 > 0) & (n0 > 0) & (a + c > 0)
    used, skipped = int(informative.sum()), int((~informative).sum())
    a, n1, c, n0 = a[informative], n1[informative], c[informative], n0[informative]
    n, m1 = n1 + n0, a + c
    num, den = float(np.sum(a * n0 / n)), float(np.sum(c * n1 / n))
    var_num = float(np.sum(m1 * n1 * n0 / (n * n) - a * c / n))
    obs, exp_ = float(np.sum(a)), float(np.sum(n1 * m1 / n))
    larger = n > 1
    var_a = float(np.sum(n1[larger] * n0[larger] * m1[larger] * (n[larger] - m1[larger])
                         / (n[larger] * n[larger] * (n[larger] - 1))))
    with np.errstate(divide="ignore"):
        v = 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n0
    both = (a > 0) & (c > 0)
    # A stratum where every record of a group (or none) has the event has a degenerate log-risk-ratio variance
    # (a = n1 makes 1/a - 1/n1 vanish): one such stratum with a single record outweighed all the others and the
    # test exploded (issue 13: chi-square 205, p 1e-36, where Breslow-Day gives 0.66). Excluded, and stated.
    degenerate = both & ((a >= n1) | (c >= n0))
    entered = both & ~degenerate & (v > 0)
    logs = np.log((a[entered] / n1[entered]) / (c[entered] / n0[entered]))
    variances = v[entered]
    stat = p = NAN
    stat_note = ""
    if used:
        if var_a > 0:
            stat = (obs - exp_) ** 2 / var_a
            p = chi2_sf(stat, 1)
        else:
            stat_note = "Mantel–Haenszel test undefined (zero variance: every subject has the event)"
    log_mh = math.log(num / den) if num > 0 and den > 0 else NAN
    homog = _homogeneity(logs, variances, log_mh)
    if degenerate.any():
        excluded = int(degenerate.sum())
        homog = (*homog[:4], _join(homog[4], f"homogeneity test excludes {excluded} degenerate "
                                             f"{'stratum' if excluded == 1 else 'strata'} (every or no record of a "
                                             "group with the event)"))
    notes = [f"{skipped} uninformative strata skipped"] if skipped else []
    return _mh_finish("risk ratio", rows, conf, num, den, var_num, stat, p, stat_note, homog,
                      used, skipped, notes)


# --------------------------------------------------------------------------------------------
# Multiple comparisons
# --------------------------------------------------------------------------------------------
def adjust_pvalues(pvalues: npt.ArrayLike, method: str = "bh") -> FloatArray:
    """Adjust p-values for multiple comparisons; returns a float array in the input order.

    ``"bh"``: Benjamini & Hochberg (1995) step-up false discovery rate (as R ``p.adjust(...,
    "BH")``, statsmodels ``multipletests(..., method='fdr_bh')``); ``"holm"``: Holm (1979)
    step-down; ``"bonferroni"``. Adjusted values are capped at 1. ``nan`` entries are passed
    through as ``nan`` and excluded from the number of tests m.
    """
    key = _check_method(method, PADJUST_METHODS)
    try:
        arr = np.asarray(pvalues, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("pvalues must be a sequence of numbers in [0, 1] (or nan)") from None
    shape = arr.shape
    flat = arr.ravel()
    ok = ~np.isnan(flat)
    vals = flat[ok]
    if np.any((vals < 0) | (vals > 1)):
        raise ValueError("pvalues must lie in [0, 1] (nan allowed)")
    out = np.full(flat.shape, np.nan)
    m = vals.size
    if m == 0:
        return out.reshape(shape)
    if key == "bonferroni":
        adj = np.minimum(vals * m, 1.0)
    else:
        order = np.argsort(vals, kind="mergesort")
        sorted_p = vals[order]
        ranks = np.arange(1, m + 1)
        if key == "bh":
            adj_sorted = np.minimum.accumulate((sorted_p * m / ranks)[::-1])[::-1]
        else:  # holm
            adj_sorted = np.maximum.accumulate(sorted_p * (m - ranks + 1))
        adj_sorted = np.minimum(adj_sorted, 1.0)
        adj = np.empty(m)
        adj[order] = adj_sorted
    out[ok] = adj
    return out.reshape(shape)


# --------------------------------------------------------------------------------------------
# Funnel-plot control limits
# --------------------------------------------------------------------------------------------
def _as_out(x: FloatArray) -> float | FloatArray:
    return float(x) if np.ndim(x) == 0 else x


def _interpolated_quantile(p: float, cdf: Callable[[FloatArray], FloatArray], ppf: Callable[[float], FloatArray]
                           ) -> FloatArray:
    """The p-quantile of a discrete count with Spiegelhalter's (2005, appendix A.1) interpolation, applied to the
    mid-p distribution function M(k) = (F(k - 1) + F(k)) / 2: r - alpha, with r the smallest integer with
    M(r) >= p and alpha = (M(r) - p) / (M(r) - M(r - 1)), i.e. the inverse of M joined linearly between
    integers, never below 0. Interpolating F itself puts about 3.5 % of in-control units above a 2.5 % upper
    limit and 1.5 % below the lower one (a count at r_p is flagged although P(X >= r_p) > 2.5 %); the mid-p
    function is symmetric: 2.5 % and 2.4 % in the simulation of tests/test_inference_fixes.py."""
    r0 = np.asarray(ppf(p), dtype=float)  # smallest integer with F(r0) >= p; M(r0 + 1) >= F(r0) >= p

    def mid(k: FloatArray) -> FloatArray:
        return np.asarray((cdf(k - 1.0) + cdf(k)) / 2.0, dtype=float)

    r = np.where(mid(r0) >= p, r0, r0 + 1.0)
    at, below = mid(r), mid(r - 1.0)
    step = at - below
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(step > 0, (at - p) / step, 0.0)
    return np.asarray(np.maximum(r - alpha, 0.0), dtype=float)


def funnel_p_values(observed: Numbers, n: Numbers, centre: float, kind: str) -> FloatArray:
    """The two-sided p-value the interpolated funnel limits invert, per unit: the mid-p value
    min(1, 2 min(M(O), 1 - M(O))), M(O) = P(X < O) + P(X = O) / 2 under the in-control distribution at the
    observed count O: Poisson(E = ``centre`` x n) for ``kind`` "rate" (``centre`` per
    unit of n), Binomial(n, ``centre``) for "proportion". A unit lies outside the limits at level 1 - a exactly
    when its p-value is below a: the interpolated limits are the inverse of M joined linearly between integers,
    which equals M at every integer (``_interpolated_quantile``). ``nan`` where n is 0."""
    from scipy.stats import binom, poisson

    o, size = np.asarray(observed, dtype=float), np.asarray(n, dtype=float)
    safe = np.where(size > 0, size, 1.0)
    if kind == "rate":
        f = np.asarray((poisson.cdf(o, centre * safe) + poisson.cdf(o - 1, centre * safe)) / 2, dtype=float)
    elif kind == "proportion":
        f = np.asarray((binom.cdf(o, np.round(safe), centre) + binom.cdf(o - 1, np.round(safe), centre)) / 2,
                       dtype=float)
    else:
        raise ValueError(f"kind must be 'rate' or 'proportion', got {kind!r}")
    p = np.minimum(1.0, 2.0 * np.minimum(f, 1.0 - f))
    return np.asarray(np.where(size > 0, p, np.nan), dtype=float)


@overload
def funnel_proportion_limits(p0: float, n: float, conf: float) -> tuple[float, float]: ...
@overload
def funnel_proportion_limits(p0: float | Numbers, n: Numbers, conf: float) -> tuple[FloatArray, FloatArray]: ...
def funnel_proportion_limits(p0: float | Numbers, n: float | Numbers,
                             conf: float) -> tuple[float | FloatArray, float | FloatArray]:
    """Funnel-plot control limits for a proportion: exact binomial (mid-p) quantiles of O ~ Bin(n, p0) with
    Spiegelhalter's (2005) interpolation (``_interpolated_quantile``), divided by n; exact for small n, where the
    normal approximation p0 +/- z sqrt(p0 (1 - p0) / n) is not. ``n`` is rounded to whole counts; vectorised
    over ``n`` (and ``p0``): arrays in, arrays out (scalars in, floats out). ``n == 0`` gives (0, 1).
    Raises ``ValueError`` for ``p0`` outside [0, 1], negative ``n`` or a bad ``conf``.
    """
    from scipy.stats import binom  # lazy: the command line's help must not load scipy.stats

    conf = _check_conf(conf)
    p0a = np.asarray(p0, dtype=float)
    na = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(p0a)) or np.any((p0a < 0) | (p0a > 1)):
        raise ValueError(f"p0 must be a proportion in [0, 1], got {p0!r}")
    if np.any(~np.isfinite(na)) or np.any(na < 0):
        raise ValueError("n must be non-negative finite denominators")
    whole = np.round(na)
    safe = np.where(whole > 0, whole, 1.0)
    h = (1.0 - conf) / 2.0
    limits = [_interpolated_quantile(q, lambda k: np.asarray(binom.cdf(k, safe, p0a), dtype=float),
                                     lambda q_: np.asarray(binom.ppf(q_, safe, p0a), dtype=float))
              for q in (h, 1.0 - h)]
    lower = np.where(whole > 0, np.clip(limits[0] / safe, 0.0, 1.0), 0.0)
    upper = np.where(whole > 0, np.clip(limits[1] / safe, 0.0, 1.0), 1.0)
    return _as_out(lower), _as_out(upper)


@overload
def funnel_rate_limits(expected_rate: float, n: float, conf: float,
                       multiplier: float = 1000) -> tuple[float, float]: ...
@overload
def funnel_rate_limits(expected_rate: float | Numbers, n: Numbers, conf: float,
                       multiplier: float = 1000) -> tuple[FloatArray, FloatArray]: ...
def funnel_rate_limits(expected_rate: float | Numbers, n: float | Numbers, conf: float,
                       multiplier: float = 1000) -> tuple[float | FloatArray, float | FloatArray]:
    """Funnel-plot control limits for a crude rate: the in-control count O given E is Poisson(E), E =
    ``expected_rate / multiplier * n``; the limits are its alpha/2 and 1 - alpha/2 (mid-p) quantiles with
    Spiegelhalter's (2005) interpolation (``_interpolated_quantile``), divided by ``n`` and multiplied by
    ``multiplier``. (These are control limits for O given E; the exact Garwood interval, a confidence interval
    for E given O, is not: it put 0.6-1.7 % of in-control districts above a nominal 2.5 % upper limit.)
    Vectorised over ``n`` (and ``expected_rate``).
    ``n == 0`` gives (0, inf): no population, no constraint. ``E == 0`` gives (0, 0).
    """
    from scipy.stats import poisson  # lazy: the command line's help must not load scipy.stats

    conf = _check_conf(conf)
    multiplier = _check_nonneg(multiplier, "multiplier")
    if multiplier == 0:
        raise ValueError("multiplier must be a positive finite number, got 0")
    ra = np.asarray(expected_rate, dtype=float)
    na = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(ra)) or np.any(ra < 0):
        raise ValueError(f"expected_rate must be non-negative and finite, got {expected_rate!r}")
    if np.any(~np.isfinite(na)) or np.any(na < 0):
        raise ValueError("n must be non-negative finite denominators")
    h = (1.0 - conf) / 2.0
    expected = ra / multiplier * na
    lo_count, hi_count = (_interpolated_quantile(q, lambda k: np.asarray(poisson.cdf(k, expected), dtype=float),
                                                 lambda q_: np.asarray(poisson.ppf(q_, expected), dtype=float))
                          for q in (h, 1.0 - h))
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(na > 0, lo_count / na * multiplier, 0.0)
        upper = np.where(na > 0, hi_count / na * multiplier, np.inf)
    return _as_out(lower), _as_out(upper)
