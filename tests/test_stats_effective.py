"""The interval kernels on non-integer (effective) counts (issue 13).

An estimate E with variance V enters the kernels as the effective count E^2 / V with its denominator scaled by E / V
(``analytics.tables.effective_counts``), so the kernels must accept real counts. Checked here:

* at whole counts, ``effective=True`` gives exactly (bit for bit) what the integer kernels give;
* at real counts, the values equal independent implementations: statsmodels 0.15.0 (``confint_proportions_2indep``
  and ``test_proportions_2indep`` with ``method='score', compare='ratio', correction=False``: Koopman's interval and
  score test; ``proportion_confint(method='wilson')``) and scipy 1.17.1 ``scipy.stats.chi2`` / ``scipy.stats.beta``
  (Garwood's chi-square limits; the conditional binomial tails in their beta form, Johnson, Kemp & Kotz 2005
  eq. 3.34, and the Clopper–Pearson limits as beta quantiles), computed in a scratch environment and written below;
* the values are continuous across whole counts (approached from either side), and the exact interval still
  excludes 1 exactly when its p-value is at most 1 - conf.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from analytics import stats, tables

RNG = np.random.default_rng(20261201)


def same(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


# --------------------------------------------------------------------------------------------
# Whole counts: exactly the integer kernels
# --------------------------------------------------------------------------------------------
def test_whole_counts_give_the_integer_results_bit_for_bit():
    counts = np.concatenate([np.arange(0, 30), RNG.integers(30, 3000, 40)]).astype(float)
    n = np.resize(np.array([1.0, 37.5, 800.0, 12345.0, 0.0]), len(counts))
    for conf in (0.95, 0.998):
        plain, effective = (stats.rate_ci_array(counts, n, conf, effective=e) for e in (False, True))
        assert all(same(getattr(plain, f), getattr(effective, f)) for f in ("estimate", "lower", "upper"))
        b = counts[::-1].copy()
        t0 = np.resize(np.array([900.0, 4.0e4, 77.0]), len(counts))
        plain_r, effective_r = (stats.rate_ratio_exact_array(counts, n, b, t0, conf, effective=e)
                                for e in (False, True))
        assert all(same(getattr(plain_r, f), getattr(effective_r, f))
                   for f in ("estimate", "lower", "upper", "p_value"))
        totals = counts + np.resize(np.array([0.0, 3.0, 50.0]), len(counts))
        plain_w, effective_w = (stats.wilson_ci_array(counts, totals, conf, effective=e) for e in (False, True))
        assert all(same(getattr(plain_w, f), getattr(effective_w, f)) for f in ("estimate", "lower", "upper"))


@pytest.mark.parametrize(("a", "n1", "c", "n0"), [(10, 50, 20, 60), (0, 30, 4, 40), (7, 7, 3, 20), (5, 40, 0, 30),
                                                 (120, 900, 300, 1400), (0, 10, 0, 12), (0, 0, 4, 9)])
def test_koopman_array_equals_the_scalar_risk_ratio(a, n1, c, n0):
    for conf in (0.95, 0.998):
        single = stats.risk_ratio(a, n1, c, n0, conf, method="score")
        arrays = stats.risk_ratio_score_array([a], [n1], [c], [n0], conf, effective=True)
        assert same([arrays.estimate[0], arrays.lower[0], arrays.upper[0], arrays.p_value[0]],
                    [single.estimate, single.lower, single.upper, single.p_value])
        assert (arrays.method[0], arrays.note[0]) == (single.method, single.note)


# --------------------------------------------------------------------------------------------
# Real counts: other implementations
# --------------------------------------------------------------------------------------------
# statsmodels 0.15.0 confint_proportions_2indep(a, n1, c, n0, method='score', compare='ratio', correction=False)
# and test_proportions_2indep(..., same options).pvalue
KOOPMAN_REAL = [
    ((10.5, 50.5, 20.0, 60.0), 0.3253411963333098, 1.162846447549196, 0.14180828279732927),
    ((3.25, 40.0, 12.7, 80.2), 0.16720688146197446, 1.492289667118611, 0.24032952395813922),
    ((47.3, 212.9, 30.1, 230.4), 1.125657523252694, 2.579002787575532, 0.011207174837999828),
]


@pytest.mark.parametrize(("counts", "lo", "hi", "p"), KOOPMAN_REAL)
def test_koopman_score_on_real_counts_matches_statsmodels(counts, lo, hi, p):
    a, n1, c, n0 = counts
    r = stats.risk_ratio_score_array([a], [n1], [c], [n0], 0.95, effective=True)
    assert r.lower[0] == pytest.approx(lo, rel=1e-7)  # statsmodels' root finding: tolerance ~1e-8
    assert r.upper[0] == pytest.approx(hi, rel=1e-7)
    assert r.p_value[0] == pytest.approx(p, rel=1e-9)


# statsmodels 0.15.0 proportion_confint(x, n, alpha, method='wilson') at alpha 0.05 and 0.002
WILSON_REAL = [
    (2.5, 10.0, (0.08094782420999441, 0.5578185757214502), (0.04577171899598764, 0.6984677312307435)),
    (0.4, 7.3, (0.004776956891790557, 0.411816497824668), (0.002125110044450429, 0.6121075837588996)),
    (33.3, 150.75, (0.16206895740144603, 0.2935930782508406), (0.13491158345603305, 0.34013368333567495)),
    (149.9, 150.75, (0.9650409931036436, 0.9991131790416526), (0.9302504362404911, 0.9995713461088367)),
]


@pytest.mark.parametrize(("x", "n", "at95", "at998"), WILSON_REAL)
def test_wilson_on_real_counts_matches_statsmodels(x, n, at95, at998):
    for conf, (lo, hi) in ((0.95, at95), (0.998, at998)):
        r = stats.wilson_ci_array([x], [n], conf, effective=True)
        assert (r.lower[0], r.upper[0]) == pytest.approx((lo, hi), rel=1e-12)


# scipy 1.17.1: chi2.ppf(0.025, 2x) / 2 and chi2.ppf(0.975, 2x + 2) / 2 (Garwood 1936 at a real count)
GARWOOD_REAL = [(0.3, 3.1856790317391693e-06, 4.293777110863577), (2.5, 0.41560580674333125, 8.006382137314663),
                (7.75, 3.291730437947105, 15.429961333488311)]


@pytest.mark.parametrize(("x", "lo", "hi"), GARWOOD_REAL)
def test_garwood_on_real_counts_matches_the_chi_square_quantiles(x, lo, hi):
    r = stats.rate_ci_array([x], [1000.0], 0.95, multiplier=1000, effective=True)  # rate per 1,000 of 1,000: counts
    assert r.method[0] == "Exact (Garwood) Poisson"
    assert (r.lower[0], r.upper[0]) == pytest.approx((lo, hi), rel=1e-10)


def test_byar_on_real_counts_is_the_published_formula():
    z = sps.norm.isf(0.025)
    for x in (10.0, 12.3, 57.5, 1234.25):
        r = stats.rate_ci_array([x], [1000.0], 0.95, multiplier=1000, effective=True)
        lo = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3  # Breslow & Day (1987) vol. II p. 69
        hi = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
        assert r.method[0] == "Byar's approximation"
        assert (r.lower[0], r.upper[0]) == pytest.approx((lo, hi), rel=1e-12)


# scipy 1.17.1, a ~ Bin(a + b, pi), pi = t1 / (t1 + t0), at real a and b:
# p = min(1, 2 min(beta.cdf(1 - pi, b, a + 1), beta.cdf(pi, a, b + 1)));
# limits: beta.ppf(0.025, a, b + 1) and beta.ppf(0.975, a + 1, b) as odds, times t0 / t1.
EXACT_RATIO_REAL = [
    ((10.5, 1000.0, 20.0, 1000.0), 0.12237959205874366, 0.22346955648459305, 1.1616960893683095),
    ((3.3, 500.0, 12.6, 2500.0), 0.859343175661036, 0.2621140576240738, 4.607939807224621),
    ((0.7, 100.0, 4.2, 90.0), 0.21135205256988815, 0.0008013715309502186, 1.8585177276978688),
]


@pytest.mark.parametrize(("counts", "p", "lo", "hi"), EXACT_RATIO_REAL)
def test_exact_conditional_ratio_on_real_counts_matches_the_beta_tails(counts, p, lo, hi):
    a, t1, b, t0 = counts
    r = stats.rate_ratio_exact_array([a], [t1], [b], [t0], 0.95, effective=True)
    assert r.p_value[0] == pytest.approx(p, rel=1e-10)
    assert (r.lower[0], r.upper[0]) == pytest.approx((lo, hi), rel=1e-9)
    assert r.estimate[0] == pytest.approx((a / t1) / (b / t0), rel=1e-15)


# --------------------------------------------------------------------------------------------
# Continuity and duality
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 9, 11, 25, 140])
def test_values_are_continuous_across_whole_counts(k):
    eps = 1e-7
    around = np.array([k - eps, k, k + eps], dtype=float)
    rates = stats.rate_ci_array(around, np.full(3, 500.0), 0.95, effective=True)
    ratios = stats.rate_ratio_exact_array(around, np.full(3, 500.0), np.full(3, 17.0), np.full(3, 900.0), 0.95,
                                          effective=True)
    shares = stats.wilson_ci_array(around, around + 40.0, 0.95, effective=True)
    koopman = stats.risk_ratio_score_array(around, around + 40.0, np.full(3, 9.0), np.full(3, 70.0), 0.95,
                                           effective=True)
    for arrays in (rates, ratios, shares, koopman):
        for name in ("lower", "upper", "p_value"):
            values = getattr(arrays, name)
            if values is None:
                continue
            assert values[0] == pytest.approx(values[1], rel=1e-5, abs=1e-9), (name, values)
            assert values[2] == pytest.approx(values[1], rel=1e-5, abs=1e-9), (name, values)


def test_exact_ratio_interval_excludes_one_exactly_when_p_is_at_most_alpha():
    a = RNG.uniform(0.0, 60.0, 3000)
    b = RNG.uniform(0.0, 60.0, 3000)
    t1 = RNG.uniform(100.0, 5000.0, 3000)
    t0 = RNG.uniform(100.0, 5000.0, 3000)
    for conf in (0.95, 0.99):
        r = stats.rate_ratio_exact_array(a, t1, b, t0, conf, effective=True)
        excludes = (r.lower > 1) | (r.upper < 1)
        borderline = np.isclose(r.p_value, 1 - conf, rtol=1e-6)
        assert np.array_equal(excludes[~borderline], (r.p_value <= 1 - conf)[~borderline])


def test_real_counts_are_refused_without_effective_and_negative_ones_always():
    with pytest.raises(ValueError, match="integer counts"):
        stats.rate_ratio_exact_array([1.5], [1.0], [1], [1.0])
    with pytest.raises(ValueError, match="non-negative counts"):
        stats.rate_ratio_exact_array([-1.5], [1.0], [1], [1.0], effective=True)
    with pytest.raises(ValueError, match="a must not exceed n1"):
        stats.risk_ratio_score_array([5.5], [5.0], [1.0], [3.0], effective=True)


# --------------------------------------------------------------------------------------------
# Effective counts
# --------------------------------------------------------------------------------------------
def test_effective_counts_keep_the_rate_and_carry_the_variance():
    events, denominator = tables.effective_counts(120.0, 300.0, 5000.0)
    assert events == pytest.approx(48.0) and denominator == pytest.approx(2000.0)  # 120^2/300, 5000*120/300
    assert events / denominator == pytest.approx(120.0 / 5000.0)
    assert tables.effective_counts(17.0, 17.0, 800.0) == (17.0, 800.0)  # Poisson: unchanged
    assert tables.effective_counts(0.0, 0.0, 800.0) == (0.0, 800.0)


def test_share_effective_counts_match_the_estimates_variance():
    events, denominator = tables.share_effective_counts(30.0, 120.0, 0.25 * 0.75 / 60.0)  # deff 2
    assert (events, denominator) == pytest.approx((15.0, 60.0))
    assert tables.share_effective_counts(30, 120, None) == (30.0, 120.0)
