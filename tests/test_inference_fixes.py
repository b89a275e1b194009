"""Issue 13, item 6: the risk-ratio homogeneity test on sparse strata, and funnel-plot control limits.

Independent references are cited beside each test: values recomputed by hand from the published formulae here
(plain Python / scipy distributions), and the published examples named.
"""

from __future__ import annotations

import math

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
