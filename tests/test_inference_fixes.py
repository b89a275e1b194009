"""Issue 13, item 6: the risk-ratio homogeneity test on sparse strata, and funnel-plot control limits.

Independent references are cited beside each test: values recomputed by hand from the published formulae here
(plain Python / scipy distributions), and the published examples named.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from analytics import stats

# --------------------------------------------------------------------------------------------
# Homogeneity of risk ratios across sparse strata
# --------------------------------------------------------------------------------------------
#: The sample's outcome-22 strata (offence group x age band) for Other (a, n1) against White (c, n0) suspects,
#: the issue's case: chi-square 205 on 13 df (p 1e-36) where Breslow-Day for the odds ratio gives p = 0.66.
OTHER_VS_WHITE = [
    (0, 0, 8, 19), (1, 1, 44, 213), (1, 2, 59, 322), (2, 6, 57, 334), (0, 0, 1, 4), (0, 0, 50, 222),
    (0, 2, 52, 242), (0, 1, 59, 266), (0, 0, 1, 10), (0, 0, 20, 131), (0, 0, 24, 138), (1, 1, 40, 161),
    (0, 0, 4, 13), (0, 0, 21, 132), (0, 2, 17, 137), (0, 0, 29, 160), (0, 0, 1, 7), (3, 5, 48, 191),
    (0, 4, 56, 221), (1, 6, 56, 259), (0, 1, 25, 114), (1, 2, 28, 126), (0, 0, 29, 172), (1, 1, 14, 72),
    (0, 0, 18, 100), (0, 0, 18, 89), (0, 0, 4, 27), (0, 1, 57, 313), (0, 2, 58, 345), (1, 4, 96, 443),
    (0, 0, 3, 26), (1, 4, 78, 400), (0, 3, 109, 484), (1, 6, 131, 613), (0, 0, 9, 45), (2, 8, 115, 591),
    (1, 3, 143, 743), (2, 6, 180, 884),
]


def _weighted_squares(strata, keep) -> tuple[float, int]:
    """Rothman, Greenland & Lash (2008) ch. 15: sum w_i (log RR_i - log RR_MH)^2, w_i = 1 / Var(log RR_i),
    over the strata ``keep`` accepts, centred on the Mantel-Haenszel estimate over every informative stratum."""
    informative = [(a, n1, c, n0) for a, n1, c, n0 in strata if n1 > 0 and n0 > 0 and a + c > 0]
    mh = (sum(a * n0 / (n1 + n0) for a, n1, c, n0 in informative)
          / sum(c * n1 / (n1 + n0) for a, n1, c, n0 in informative))
    chi2, k = 0.0, 0
    for a, n1, c, n0 in informative:
        if a > 0 and c > 0 and keep(a, n1, c, n0):
            variance = 1 / a - 1 / n1 + 1 / c - 1 / n0
            chi2 += (math.log((a / n1) / (c / n0)) - math.log(mh)) ** 2 / variance
            k += 1
    return chi2, k


def test_the_homogeneity_test_no_longer_explodes_on_strata_where_a_equals_n():
    naive, naive_k = _weighted_squares(OTHER_VS_WHITE, lambda *_: True)
    assert naive > 200 and naive_k == 14  # the defect: three strata of one record each swamp the test
    result = stats.mh_risk_ratio(OTHER_VS_WHITE)
    expected, k = _weighted_squares(OTHER_VS_WHITE, lambda a, n1, c, n0: a < n1 and c < n0)
    assert k == 11 and result.homogeneity_strata == 11 and result.homogeneity_df == 10
    assert result.homogeneity_chi2 == pytest.approx(expected, rel=1e-12)
    assert result.homogeneity_p == pytest.approx(sps.chi2.sf(expected, 10), rel=1e-12)
    assert result.homogeneity_p > 0.5  # in line with Breslow-Day's 0.66 for the odds ratio on the same strata
    assert "excludes 3 degenerate strata" in result.note


def test_homogeneity_without_degenerate_strata_is_unchanged():
    strata = [(10, 50, 20, 200), (15, 60, 30, 150), (8, 40, 25, 180)]
    result = stats.mh_risk_ratio(strata)
    expected, k = _weighted_squares(strata, lambda *_: True)
    assert k == 3 and result.homogeneity_chi2 == pytest.approx(expected, rel=1e-12)
    assert "degenerate" not in result.note


# --------------------------------------------------------------------------------------------
# Funnel-plot control limits: interpolated quantiles of O given E (Spiegelhalter 2005)
# --------------------------------------------------------------------------------------------
def _poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k), X ~ Poisson(mean), by summing the mass function (pure Python, no scipy)."""
    if k < 0:
        return 0.0
    return sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k + 1)) if mean > 0 else 1.0


def _binomial_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1)) if k >= 0 else 0.0


def _interpolated(p: float, cdf) -> float:
    """Spiegelhalter (2005) appendix A.1 on the mid-p distribution function M(k) = (F(k-1) + F(k)) / 2: r the
    smallest integer with M(r) >= p, limit r - alpha, alpha = (M(r) - p) / (M(r) - M(r - 1)), never below 0."""
    def mid(k: int) -> float:
        return (cdf(k - 1) + cdf(k)) / 2

    r = 0
    while mid(r) < p:
        r += 1
    alpha = (mid(r) - p) / (mid(r) - mid(r - 1))
    return max(r - alpha, 0.0)


@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_rate_funnel_limits_are_interpolated_poisson_quantiles_of_o_given_e(conf):
    rate, populations = 5.0, [100, 400, 1000, 5000, 20000]  # per 1,000: E = 0.5, 2, 5, 25, 100
    lower, upper = stats.funnel_rate_limits(rate, populations, conf, multiplier=1000)
    h = (1 - conf) / 2
    for n, low, high in zip(populations, lower, upper, strict=True):
        expected = rate / 1000 * n
        cdf = lambda k, e=expected: _poisson_cdf(k, e)  # noqa: E731
        assert low == pytest.approx(_interpolated(h, cdf) / n * 1000, rel=1e-9, abs=1e-12)
        assert high == pytest.approx(_interpolated(1 - h, cdf) / n * 1000, rel=1e-9)
    if conf == 0.95:  # E = 2 by hand: F(3) = 0.857123, F(4) = 0.947347, F(5) = 0.983436; M(5) = 0.965391 < 0.975
        # <= M(6) = (0.983436 + 0.995466) / 2 = 0.989451, so the upper count is 6 - (0.989451 - 0.975) / (0.989451
        # - 0.965391) = 5.3994
        m5, m6 = (0.9473469826562889 + 0.9834363915193856) / 2, (0.9834363915193856 + 0.9954661944737512) / 2
        assert upper[1] * 400 / 1000 == pytest.approx(6 - (m6 - 0.975) / (m6 - m5), rel=1e-9)


@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_proportion_funnel_limits_are_exact_binomial_for_small_n(conf):
    p0, sizes = 0.2, [5, 12, 40, 200]
    lower, upper = stats.funnel_proportion_limits(p0, sizes, conf)
    h = (1 - conf) / 2
    for n, low, high in zip(sizes, lower, upper, strict=True):
        cdf = lambda k, m=n: _binomial_cdf(k, m, p0)  # noqa: E731
        assert low == pytest.approx(_interpolated(h, cdf) / n, rel=1e-9, abs=1e-12)
        assert high == pytest.approx(_interpolated(1 - h, cdf) / n, rel=1e-9)
    lows, highs = stats.funnel_proportion_limits(0.2, [0, 100], 0.95)
    assert (lows[0], highs[0]) == (0.0, 1.0)


def test_a_unit_is_outside_the_limits_exactly_when_its_funnel_p_value_is_below_alpha():
    rate = 5.0
    populations = [200, 800, 3000, 12000]
    for conf in (0.95, 0.998, 0.99):
        lower, upper = stats.funnel_rate_limits(rate, populations, conf, multiplier=1000)
        for n, low, high in zip(populations, lower, upper, strict=True):
            for observed in range(0, int(3 * rate * n / 1000) + 5):
                value = 1000 * observed / n
                p = stats.funnel_p_values([observed], [n], rate / 1000, "rate")[0]
                assert ((value < low) or (value > high)) == (p < 1 - conf), (conf, n, observed, p)
    for conf in (0.95, 0.998):
        lower, upper = stats.funnel_proportion_limits(0.3, [10, 50], conf)
        for n, low, high in zip([10, 50], lower, upper, strict=True):
            for observed in range(n + 1):
                p = stats.funnel_p_values([observed], [n], 0.3, "proportion")[0]
                assert ((observed / n < low) or (observed / n > high)) == (p < 1 - conf), (conf, n, observed)


@pytest.mark.slow
def test_in_control_units_fall_outside_the_95_limits_about_2_5_percent_each_side(request):
    """Units with no special cause: O ~ Poisson(E) at the force rate, populations like districts' (E from 2 to
    200). The share above the upper 95 % limit and below the lower one, each at most 2.5 % (discrete counts
    make it a little less where a lower limit cannot be reached), where the old confidence limits for E gave
    0.6-1.7 % above."""
    from tests.conftest import report_line

    rng = np.random.default_rng(2005)
    rate, runs = 5.0, 200_000
    populations = rng.choice([400, 1000, 2500, 6000, 15000, 40000], size=runs)
    observed = rng.poisson(rate / 1000 * populations)
    lower, upper = stats.funnel_rate_limits(rate, populations.astype(float), 0.95, multiplier=1000)
    value = 1000 * observed / populations
    above, below = float(np.mean(value > upper)), float(np.mean(value < lower))
    p0, sizes = 0.2, rng.choice([8, 20, 60, 150, 400], size=runs)
    shares = rng.binomial(sizes, p0) / sizes
    low_p, high_p = stats.funnel_proportion_limits(p0, sizes.astype(float), 0.95)
    above_p, below_p = float(np.mean(shares > high_p)), float(np.mean(shares < low_p))
    report_line(request, f"in-control units outside the 95 % funnel limits: rates {above:.2%} above, {below:.2%} "
                         f"below; shares {above_p:.2%} above, {below_p:.2%} below")
    for share in (above, below, above_p):
        assert 0.02 <= share <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / runs)
    # below the lower limit of a share from 8 records at p0 = 0.2 is impossible (no count is below 0): less there
    assert 0.015 <= below_p <= 0.025


def test_district_verdicts_against_the_force_average_match_the_adjusted_funnel_limits(sample_store):
    """Geography: every district's verdict against the force average is higher or lower exactly when it lies
    outside the funnel's limits at the family's adjusted level (drawn on the plot), for every role and group."""
    from analytics import geography, schema, verdicts
    from analytics.filters import Filters

    checked = differences = 0
    for role in schema.ROLES:
        filters = Filters(roles=(role,))
        funnels = [geography.rate_funnel(sample_store, filters, group) for group in (None, *schema.ETHNIC_GROUPS)]
        if role != "victim":
            funnels.append(geography.share_funnel(sample_store, filters))
        for funnel in funnels:
            points = funnel.points
            adjusted = [key for key in funnel.limits if "adjusted" in key]
            assert len(adjusted) == 1
            level = float(points["interval_level"].iloc[0])
            rate = funnel.unit != "%"
            n = points["n"].to_numpy(dtype=float)
            if rate:
                low, high = stats.funnel_rate_limits(funnel.centre, n, level, multiplier=1000)
            else:
                low, high = stats.funnel_proportion_limits(funnel.centre / 100, n, level)
                low, high = 100 * low, 100 * high
            outside = (points["value"] < low) | (points["value"] > high)
            is_difference = points["verdict"].map(verdicts.is_difference)
            assert (outside == is_difference).all(), points[["label", "value", "verdict"]]
            assert ((points["verdict"] == "higher") <= (points["value"] > funnel.centre)).all()
            checked += len(points)
            differences += int(is_difference.sum())
    assert checked > 100
    print(f"funnel verdicts: {checked} districts checked, {differences} higher/lower")
