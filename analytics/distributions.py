"""The distribution functions ``scipy.stats`` calls, called directly (normal, chi-square, binomial, gamma).

Importing ``scipy.stats`` loads scipy.optimize, scipy.linalg and scipy.sparse (seconds of start-up for a command that
prints one table), and the per-call argument handling is not needed. Each function here returns what the
``scipy.stats`` call it replaces returns, bit for bit, on the arguments :mod:`analytics.stats` uses (the support
edges and NaN handled as scipy's generic ``rv_continuous``/``rv_discrete`` methods do); tests/test_stats_kernels.py
compares them element by element.

The binomial functions wrap scipy's own kernels behind ``scipy.stats.binom`` (Boost's binomial distribution), which
``scipy.special`` exposes only under private names (``scipy.special._ufuncs._binom_cdf`` …): ``betaincc`` is the same
function with a different rounding policy and differs in the last place.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import special

# scipy.stats.binom's own kernels; scipy.special has no public name for them (see the module docstring).
from scipy.special._ufuncs import _binom_cdf as boost_binom_cdf
from scipy.special._ufuncs import _binom_pmf as boost_binom_pmf
from scipy.special._ufuncs import _binom_sf as boost_binom_sf

__all__ = ["binom_cdf", "binom_pmf", "binom_sf", "chi2_sf", "gamma_isf", "gamma_ppf", "norm_isf", "norm_sf"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def norm_sf(x: float) -> float:
    """``scipy.stats.norm.sf(x)``."""
    return float(special.ndtr(-x))


def norm_isf(q: float) -> float:
    """``scipy.stats.norm.isf(q)`` for 0 < q < 1."""
    return float(-special.ndtri(q))


def chi2_sf(x: float, df: float) -> float:
    """``scipy.stats.chi2.sf(x, df)`` for df > 0: 1 at and below 0, 0 at infinity."""
    if math.isnan(x):
        return math.nan
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    return float(special.chdtrc(df, x))


def _binomial_arguments(k: npt.ArrayLike, n: npt.ArrayLike,
                        p: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    k_, n_, p_ = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (k, n, p)))
    valid = (n_ >= 0) & (n_ == np.round(n_)) & (p_ >= 0) & (p_ <= 1)  # scipy.stats.binom's argument check
    return k_, n_, p_, valid


def _binom_finish(out: FloatArray, k: FloatArray, valid: BoolArray, inside: BoolArray,
                  kernel: Callable[..., FloatArray], *args: FloatArray) -> FloatArray:
    out[~valid | np.isnan(k)] = math.nan
    out[inside] = np.clip(kernel(*(a[inside] for a in args)), 0.0, 1.0)
    return out


def binom_cdf(k: npt.ArrayLike, n: npt.ArrayLike, p: npt.ArrayLike) -> FloatArray:
    """``scipy.stats.binom.cdf(k, n, p)`` element-wise (an array): 1 from ``n`` up, 0 below 0."""
    k_, n_, p_, valid = _binomial_arguments(k, n, p)
    out = np.where(k_ >= n_, 1.0, 0.0)
    inside = valid & (k_ >= 0) & (k_ < n_) & np.isfinite(k_)
    return _binom_finish(out, k_, valid, inside, boost_binom_cdf, np.floor(k_), n_, p_)


def binom_sf(k: npt.ArrayLike, n: npt.ArrayLike, p: npt.ArrayLike) -> FloatArray:
    """``scipy.stats.binom.sf(k, n, p)`` element-wise (an array): 1 below 0, 0 from ``n`` up."""
    k_, n_, p_, valid = _binomial_arguments(k, n, p)
    out = np.where(valid & (k_ < 0), 1.0, 0.0)
    inside = valid & (k_ >= 0) & (k_ < n_) & np.isfinite(k_)
    return _binom_finish(out, k_, valid, inside, boost_binom_sf, np.floor(k_), n_, p_)


def binom_pmf(k: npt.ArrayLike, n: npt.ArrayLike, p: npt.ArrayLike) -> FloatArray:
    """``scipy.stats.binom.pmf(k, n, p)`` element-wise (an array): 0 off the whole numbers 0..n."""
    k_, n_, p_, valid = _binomial_arguments(k, n, p)
    out = np.zeros(k_.shape)
    inside = valid & (k_ >= 0) & (k_ <= n_) & (np.floor(k_) == k_)
    return _binom_finish(out, k_, valid, inside, boost_binom_pmf, k_, n_, p_)


def gamma_ppf(q: float, shape: npt.ArrayLike) -> FloatArray:
    """``scipy.stats.gamma.ppf(q, shape)`` for 0 < q < 1 and shape > 0."""
    quantiles: FloatArray = special.gammaincinv(shape, q)
    return quantiles


def gamma_isf(q: float, shape: npt.ArrayLike) -> FloatArray:
    """``scipy.stats.gamma.isf(q, shape)`` for 0 < q < 1 and shape > 0."""
    quantiles: FloatArray = special.gammainccinv(shape, q)
    return quantiles
