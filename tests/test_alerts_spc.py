"""The SPC charts and rules of ``analytics.alerts`` against published worked examples, point by point.

Sources (each cited where used):

* NHSRplotthedots (NHS-R Community), ``tests/testthat/test-ptd_calculate_point_type.R``: the shift, trend and
  two-in-three rule cases; the rule code in ``R/ptd_calculate_point_type.R``.
* nhspy-plotthedots (NHS Python Community), ``tests/test_pandas_spc_x_calc.py``: the XmR example reproduced from
  NHS England's SPC tool (https://www.england.nhs.uk/statistical-process-control-tool/).
* PowerBI-SPC (AUS-DOH-Safety-and-Quality), ``test/fixtures/golden/u/basic.qicharts2.json`` and
  ``test/fixtures/golden/p/basic.qicharts2.json``: u- and p-chart limits computed by the R package qicharts2 0.8.1
  (Montgomery 2009, ch. 7), 3-sigma (``ul99``/``ll99``) and 2-sigma (``ul95``/``ll95``) limits at every point.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.alerts import spc

# --- XmR: nhspy-plotthedots tests/test_pandas_spc_x_calc.py (test_demo_case) --------------------------------
XMR_VALUES = [89, 86, 75, 77, 81, 74, 72, 78, 76, 82, 77, 54, 66, 77, 86]


def test_xmr_limits_match_the_nhs_england_demo_case():
    limits = spc.xmr_limits(XMR_VALUES, np.ones(15, bool))
    assert limits.centre[-1] == pytest.approx(76.67, abs=0.005)  # expected_mean = 76.67 (places=2)
    assert round(limits.lower[-1]) == 57  # expected_lpl = 57 (places=0)
    assert round(limits.upper[-1]) == 96  # expected_upl = 96 (places=0)
    values = np.array(XMR_VALUES, float)
    assert (spc.beyond_limits(values, limits) != 0).tolist() == [False] * 11 + [True] + [False] * 3
    assert (spc.close_to_limits(values, limits) != 0).tolist() == [False] * 15
    flags = spc.flag_rules(values, limits)
    assert flags.any().tolist() == [False] * 11 + [True] + [False] * 3  # expected_special_cause_flag


def test_xmr_baseline_fixed_after_five_points():
    # test_fix_point_mean: values 1..10, limits fixed on the first 5 points -> mean 3.
    limits = spc.xmr_limits(np.arange(1, 11), np.arange(10) < 5)
    assert limits.centre[-1] == pytest.approx(3.0)


# --- u and p charts: PowerBI-SPC golden fixtures computed by qicharts2 -------------------------------------------
U_NUMERATORS = [575, 521, 585, 528, 507, 519, 457, 505, 494, 512, 543, 506, 509, 521, 549, 531, 509, 528, 419, 512,
                495, 513, 454, 490]
U_DENOMINATORS = [310466.8333, 282346.7917, 309089.7083, 287977.3333, 297743.375, 286988.25, 261120.3333, 268720.75,
                  284437.875, 290449.5, 288104.4583, 279961.375, 289803.9583, 275950.5833, 290824.4583, 285495.75,
                  282515.2083, 273927.875, 253085.625, 262410.7083, 275529.25, 282405.0833, 259530.7917, 256235.4583]
U_UL99 = [0.00205349, 0.00206467, 0.00205401, 0.0020623, 0.00205836, 0.00206271, 0.00207428, 0.00207071, 0.00206378,
          0.00206129, 0.00206225, 0.0020657, 0.00206155, 0.00206745, 0.00206113, 0.00206334, 0.0020646, 0.00206835,
          0.00207823, 0.00207366, 0.00206764, 0.00206465, 0.00207505, 0.00207666]
U_LL99 = [0.00159366, 0.00158248, 0.00159314, 0.00158485, 0.00158879, 0.00158444, 0.00157287, 0.00157644, 0.00158337,
          0.00158586, 0.0015849, 0.00158145, 0.0015856, 0.0015797, 0.00158602, 0.00158381, 0.00158255, 0.0015788,
          0.00156892, 0.00157349, 0.00157951, 0.0015825, 0.0015721, 0.00157049]
U_UL95 = [0.00197685, 0.00198431, 0.0019772, 0.00198273, 0.0019801, 0.001983, 0.00199071, 0.00198833, 0.00198371,
          0.00198205, 0.00198269, 0.00198499, 0.00198223, 0.00198616, 0.00198195, 0.00198342, 0.00198426, 0.00198676,
          0.00199334, 0.0019903, 0.00198628, 0.00198429, 0.00199122, 0.0019923]


def test_u_chart_limits_match_qicharts2_point_by_point():
    limits = spc.u_limits(U_NUMERATORS, U_DENOMINATORS, np.ones(24, bool))
    assert limits.centre[0] == pytest.approx(0.00182358, abs=5e-9)
    np.testing.assert_allclose(limits.upper, U_UL99, atol=5e-9)
    np.testing.assert_allclose(limits.lower, U_LL99, atol=5e-9)
    np.testing.assert_allclose(limits.near_upper, U_UL95, atol=5e-9)  # two-thirds of the way = 2 sigma


P_NUMERATORS = [14, 12, 15, 8, 16, 11, 12, 14, 16, 17, 5, 11, 13, 10, 14, 5, 12, 10, 11, 5, 10, 8, 11, 12, 11, 18,
                18, 21, 14, 15, 18, 22, 17, 16, 20, 15]
P_DENOMINATORS = [52, 64, 70, 60, 67, 69, 67, 54, 79, 59, 49, 61, 41, 51, 56, 43, 57, 48, 69, 41, 40, 46, 59, 62, 57,
                  65, 75, 70, 76, 69, 64, 67, 84, 67, 69, 78]
P_UL99 = [0.3876, 0.3707, 0.364, 0.3758, 0.3672, 0.365, 0.3672, 0.3844, 0.3553, 0.3771, 0.3928, 0.3745, 0.4092, 0.3893,
          0.3814, 0.4047, 0.3799, 0.3946, 0.365, 0.4092, 0.4116, 0.3984, 0.3771, 0.3732, 0.3799, 0.3695, 0.359, 0.364,
          0.358, 0.365, 0.3707, 0.3672, 0.3511, 0.3672, 0.365, 0.3562]
P_LL99 = [0.045, 0.0619, 0.0687, 0.0569, 0.0654, 0.0676, 0.0654, 0.0482, 0.0774, 0.0555, 0.0399, 0.0582, 0.0234,
          0.0434, 0.0513, 0.028, 0.0527, 0.038, 0.0676, 0.0234, 0.021, 0.0342, 0.0555, 0.0595, 0.0527, 0.0631, 0.0737,
          0.0687, 0.0746, 0.0676, 0.0619, 0.0654, 0.0816, 0.0654, 0.0676, 0.0765]
P_LL95 = [0.1021, 0.1134, 0.1179, 0.11, 0.1157, 0.1172, 0.1157, 0.1043, 0.1237, 0.1091, 0.0987, 0.1109, 0.0877, 0.101,
          0.1063, 0.0907, 0.1073, 0.0975, 0.1172, 0.0877, 0.0861, 0.0949, 0.1091, 0.1117, 0.1073, 0.1142, 0.1212,
          0.1179, 0.1219, 0.1172, 0.1134, 0.1157, 0.1265, 0.1157, 0.1172, 0.1231]


def test_p_chart_limits_match_qicharts2_point_by_point():
    limits = spc.p_limits(P_NUMERATORS, P_DENOMINATORS, np.ones(36, bool))
    assert limits.centre[0] == pytest.approx(0.2163, abs=5e-5)
    np.testing.assert_allclose(limits.upper, P_UL99, atol=5e-5)
    np.testing.assert_allclose(limits.lower, P_LL99, atol=5e-5)
    np.testing.assert_allclose(limits.near_lower, P_LL95, atol=5e-5)


# --- Rules: NHSRplotthedots tests/testthat/test-ptd_calculate_point_type.R ---------------------------------------
@pytest.mark.parametrize(("signs", "expected"), [
    ([], []),
    ([1] * 6, [0] * 6),
    ([1] * 6 + [-1], [0] * 7),
    ([1] * 8 + [-1], [0, 0, 0, 0, 0, 0, 1, 1, 0]),
    ([-1] * 8 + [1], [0, 0, 0, 0, 0, 0, -1, -1, 0]),  # R returns 1 (a flag); the sign is kept here
])
def test_seven_point_one_side_of_the_centre(signs, expected):
    assert spc.run_ends(np.array(signs, np.int64), 7).tolist() == expected


@pytest.mark.parametrize(("signs", "expected"), [
    ([-1] + [1] * 8 + [-1], [0, 1, 1, 1, 1, 1, 1, 1, 1, 0]),  # ends at positions 8 and 9 (R: c(0,..,0,1,1,0))
    ([1] + [-1] * 8 + [1], [0, -1, -1, -1, -1, -1, -1, -1, -1, 0]),
])
def test_part_of_a_shift_marks_the_whole_run(signs, expected):
    signs = np.array(signs, np.int64)
    ends = spc.run_ends(signs, 7)
    assert (ends != 0).astype(int).tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert spc.part_of_run(ends, 7).tolist() == expected


@pytest.mark.parametrize(("values", "expected"), [
    ([], []),
    (list(range(1, 7)), [0] * 6),
    ([1, 2, 3, 3, 4, 5, 6], [0] * 7),  # a tie breaks the trend
    (list(range(1, 8)), [0, 0, 0, 0, 0, 0, 1]),
    ([2, *range(1, 8), 3], [0, 0, 0, 0, 0, 0, 0, 1, 0]),
    (list(range(7, 0, -1)), [0, 0, 0, 0, 0, 0, -1]),
    ([2, *range(7, 0, -1), 3], [0, 0, 0, 0, 0, 0, 0, -1, 0]),
])
def test_seven_point_trend(values, expected):
    assert spc.trend_ends(np.array(values, float), 7).tolist() == expected


@pytest.mark.parametrize(("close", "expected"), [
    ([], []),
    ([0, 0, 0], [0, 0, 0]),
    ([1, 0, 1], [1, 0, 1]),
    ([0, 1, 1], [0, 1, 1]),
    ([1, 1, 0], [1, 1, 0]),
    ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
    ([0, 0, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0]),
    ([1, 0, 0, 1], [0, 0, 0, 0]),
    ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
])
def test_two_in_three_close_to_a_limit(close, expected):
    # ptd_part_of_two_in_three(ptd_two_in_three(v), v) with every point on the same side of the centre.
    close = np.array(close, np.int64)
    assert spc.two_of_three(close, np.ones(len(close), np.int64)).tolist() == expected


def test_two_in_three_needs_all_three_on_one_side():
    # R/ptd_calculate_point_type.R: abs(sum(relative_to_mean over the window)) == 3.
    close = np.array([1, 0, 1])
    assert spc.two_of_three(close, np.array([1, -1, 1])).tolist() == [0, 0, 0]
    assert spc.two_of_three(-close, -np.ones(3, np.int64)).tolist() == [-1, 0, -1]


def test_a_point_on_the_centre_line_breaks_a_shift():
    centre = np.full(8, 5.0)
    values = np.array([6, 6, 6, 5, 6, 6, 6, 6], float)
    assert spc.shift(values, centre, 7).tolist() == [0] * 8
    assert spc.shift(np.array([6] * 7, float), centre[:7], 7).tolist() == [1] * 7


def test_rules_skip_months_with_no_value():
    values = np.array([6, 6, 6, np.nan, 6, 6, 6, 6])
    limits = spc.Limits("u", np.full(8, 5.0), np.zeros(8), np.full(8, 20.0), np.full(8, 0.0), np.full(8, 15.0))
    flags = spc.flag_rules(values, limits)
    assert flags.shift.tolist() == [1, 1, 1, 0, 1, 1, 1, 1]
    assert flags.at(7) == [("shift", 1)]
