"""Exceedance tests of the recent window against the baseline, exact and conditional (issue 16).

* A **rate** (events over person-time, the population fixed): given the total of both windows, the recent
  events are Binomial(total, t_recent / (t_recent + t_baseline)) when the rate has not changed (the exact
  conditional test for two Poisson rates; Armitage, Berry & Matthews, *Statistical Methods in Medical
  Research*, 4th ed., 3.8). A count with no denominator (XmR) is the same test with months as the exposure.
* A **share** (outcome 22 among concluded records) and a **ratio** to the reference group (conditionally on the
  group's and the reference group's events, the group's share of them): Fisher's exact test of the 2 × 2 table
  recent/baseline × events/non-events (the exact conditional binomial comparison).

Two-sided p-values (the probability of a table at least as extreme); the direction is kept beside them.
Benjamini-Hochberg then runs over every monitored series of the grid (``analytics.stats.adjust_pvalues``).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats as scipy_stats


@dataclass(frozen=True)
class Exceedance:
    """The recent window against the baseline: observed, expected under the baseline, the p-value, direction."""

    observed: float
    expected: float
    p_value: float
    direction: int  # +1 higher than the baseline, -1 lower, 0 the same
    method: str


def rate_change(recent_events: float, recent_exposure: float, baseline_events: float,
                baseline_exposure: float) -> Exceedance:
    """Exact conditional test that the recent rate equals the baseline rate (two-sided, doubled smaller tail)."""
    total = round(recent_events + baseline_events)
    x = round(recent_events)
    share = recent_exposure / (recent_exposure + baseline_exposure)
    expected = baseline_events / baseline_exposure * recent_exposure if baseline_exposure > 0 else float("nan")
    if total == 0:
        return Exceedance(x, expected, 1.0, 0, "exact conditional Poisson")
    upper = float(scipy_stats.binom.sf(x - 1, total, share))
    lower = float(scipy_stats.binom.cdf(x, total, share))
    p = min(1.0, 2 * min(upper, lower))
    return Exceedance(x, expected, p, _direction(x, total * share), "exact conditional Poisson")


def share_change(recent_events: float, recent_trials: float, baseline_events: float,
                 baseline_trials: float) -> Exceedance:
    """Fisher's exact test that the recent share equals the baseline share (two-sided)."""
    a, n1 = round(recent_events), round(recent_trials)
    c, n0 = round(baseline_events), round(baseline_trials)
    expected = c / n0 * n1 if n0 > 0 else float("nan")
    if n1 == 0 or n0 == 0:
        return Exceedance(a, expected, 1.0, 0, "Fisher exact")
    p = float(scipy_stats.fisher_exact([[a, n1 - a], [c, n0 - c]]).pvalue)
    pooled = (a + c) / (n1 + n0) * n1
    return Exceedance(a, expected, min(1.0, p), _direction(a, pooled), "Fisher exact")


def _direction(observed: float, expected: float) -> int:
    return 1 if observed > expected else -1 if observed < expected else 0
