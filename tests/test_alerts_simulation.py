"""Simulations of the alert grid (slow tier, fixed seeds; issue 16): the false-alert rate under the null and the
detection of a planted step. The model and the figures are ``benchmarks/alerts_detection.py``'s (RESULTS.md)."""

from __future__ import annotations

import pytest

from analytics.alerts import data as alert_data
from benchmarks.alerts_detection import detection, fit, null_rate
from tests.conftest import report_line

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model(sample_db):
    return fit(alert_data.load(sample_db))


def test_false_alert_rate_under_the_null_is_at_most_5_percent(model, request):
    # 300 simulated grids with no change, each evaluated at its last month: months with any alert anywhere.
    hits, total, watches = null_rate(model, replicates=300, seed=20261201, months=1)
    rate = hits / total
    report_line(request, f"alerts null: {hits} of {total} months ({rate:.1%}) with a false alert; "
                         f"{watches:.1f} watches a month")
    # The binomial 95 % upper bound of the observed rate must be under 5 % (not just the point estimate).
    upper = rate + 1.96 * (max(rate, 1 / total) * (1 - rate) / total) ** 0.5
    assert upper <= 0.05


def test_a_two_and_a_half_fold_step_in_a_large_cell_is_alerted_within_three_months(model, request):
    delays, false_rate = detection(model, ("suspect", "E07000143", "White"), 2.5, replicates=40, seed=16)
    within = sum(d is not None and d <= 2 for d in delays) / len(delays)
    report_line(request, f"alerts 2.5x step (Breckland White suspects): alerted within 3 months in {within:.0%}; "
                         f"false-alert months elsewhere {false_rate:.1%}")
    assert within >= 0.9
    assert false_rate <= 0.05
