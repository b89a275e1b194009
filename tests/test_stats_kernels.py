"""``analytics.distributions``, the kernels of ``analytics.stats``, against the ``scipy.stats`` calls they replace.

``analytics.stats`` calls the functions behind ``scipy.stats``' distributions directly, so that importing it does not
import ``scipy.stats`` (seconds of start-up for the command line). These tests hold each kernel to the ``scipy.stats``
call it replaced, element by element and to the last bit (signed zeros and NaN included), on the arguments the module
passes and around them: the support edges, zero and infinite values, NaN, and random values over many magnitudes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from analytics import distributions

PROJECT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(20261201)


def assert_same_bits(got, expected) -> None:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    both_nan = np.isnan(got) & np.isnan(expected)
    same = (got == expected) & (np.signbit(got) == np.signbit(expected))
    bad = ~(same | both_nan)
    assert not bad.any(), f"{int(bad.sum())} differ, first: got {got[bad][:3]}, expected {expected[bad][:3]}"


def magnitudes(size: int, low: float, high: float) -> np.ndarray:
    return np.exp(RNG.uniform(np.log(low), np.log(high), size))


def test_importing_stats_does_not_import_scipy_stats_or_optimize():
    code = ("import sys, analytics.stats; "
            "print(sorted(m for m in sys.modules if m.startswith(('scipy.stats', 'scipy.optimize', 'pandas'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_norm_sf():
    x = np.concatenate([[0.0, -0.0, 5e-324, 1e-300, 1e-10, 0.5, 1.0, 1.959963984540054, 5.0, 10.0, 37.5, 38.5,
                         40.0, 1e3, np.inf, np.nan], magnitudes(5000, 1e-8, 50.0)])
    assert_same_bits([distributions.norm_sf(v) for v in x], [float(sps.norm.sf(v)) for v in x])


def test_norm_isf():
    conf = np.concatenate([[0.5, 0.8, 0.9, 0.95, 0.99, 0.998, 0.999999, 1 - 1e-15, 1e-12],
                           RNG.uniform(0.0, 1.0, 3000)])
    q = (1.0 - conf) / 2.0
    assert_same_bits([distributions.norm_isf(v) for v in q], [float(sps.norm.isf(v)) for v in q])


@pytest.mark.parametrize("df", [1, 2, 3, 7, 30, 500])
def test_chi2_sf(df):
    x = np.concatenate([[-1.0, -0.0, 0.0, 5e-324, 1e-300, 1e-6, 1.0, 3.841458820694124, 50.0, 1e4, np.inf, np.nan],
                        magnitudes(2000, 1e-6, 1e4)])
    assert_same_bits([distributions.chi2_sf(v, df) for v in x], [float(sps.chi2.sf(v, df)) for v in x])


def binomial_cases(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = np.floor(magnitudes(size, 1.0, 2e6))
    k = np.floor(RNG.uniform(0.0, 1.0, size) * (n + 1))
    p = RNG.uniform(0.0, 1.0, size)
    p[::5] = 1.0 / (1.0 + np.exp(RNG.normal(0.0, 8.0, len(p[::5]))))  # near 0 and 1
    edges_n = np.array([0, 0, 1, 1, 5, 5, 5, 5, 5, 5, 5, 10, 10, 2.5, -1, 5, 5, 5, 5])
    edges_k = np.array([0, -1, 0, 1, -1, 0, 5, 6, 2.5, -np.inf, np.inf, np.nan, 4, 1, 0, 2, 2, 2, 2])
    edges_p = np.array([0.5, 0.5, 0, 1, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0, 0.5, 0.5, -0.1, 1.1, 0, 1])
    return np.concatenate([k, edges_k]), np.concatenate([n, edges_n]), np.concatenate([p, edges_p])


@pytest.mark.parametrize("name", ["cdf", "sf", "pmf"])
def test_binomial_arrays(name):
    k, n, p = binomial_cases(20_000)
    with np.errstate(all="ignore"):
        expected = getattr(sps.binom, name)(k, n, p)
    assert_same_bits(getattr(distributions, f"binom_{name}")(k, n, p), expected)


@pytest.mark.parametrize("name", ["cdf", "sf", "pmf"])
def test_binomial_scalars(name):
    k, n, p = binomial_cases(300)
    kernel = getattr(distributions, f"binom_{name}")
    with np.errstate(all="ignore"):
        expected = [float(getattr(sps.binom, name)(*args)) for args in zip(k, n, p, strict=True)]
    assert_same_bits([float(kernel(*args)) for args in zip(k, n, p, strict=True)], expected)


def test_binomial_exact_rate_ratio_arguments():
    """The exact rate ratio's p-value calls: cdf(a) and sf(a - 1) at pi0 = t1 / (t1 + t0), n = a + b."""
    a = np.floor(magnitudes(5000, 1.0, 1e6)) - 1.0
    b = np.floor(magnitudes(5000, 1.0, 1e6)) - 1.0
    t1, t0 = magnitudes(5000, 1.0, 1e7), magnitudes(5000, 1.0, 1e7)
    n, pi0 = np.maximum(a + b, 1.0), t1 / (t1 + t0)
    assert_same_bits(distributions.binom_cdf(a, n, pi0), sps.binom.cdf(a, n, pi0))
    assert_same_bits(distributions.binom_sf(a - 1.0, n, pi0), sps.binom.sf(a - 1.0, n, pi0))


@pytest.mark.parametrize("conf", [0.8, 0.95, 0.998])
def test_gamma_quantiles(conf):
    shape = np.concatenate([[1e-12, 1e-3, 0.5, 1.0, 1.5, 10.0, 1e6], magnitudes(5000, 1e-6, 1e7)])
    q = (1.0 - conf) / 2.0
    assert_same_bits(distributions.gamma_ppf(q, shape), sps.gamma.ppf(q, shape))
    assert_same_bits(distributions.gamma_isf(q, shape), sps.gamma.isf(q, shape))
