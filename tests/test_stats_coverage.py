"""Coverage simulation for the exact conditional rate-ratio interval (slow).

Small Poisson counts (expected reference counts 2-20), several true rate ratios and unequal
person-time: the 95 % exact interval must cover the true ratio at least 95 % of the time.

Draws with no events in either group (a = b = 0) have no estimable ratio: rate_ratio returns
nan with the note "no events in either group" (the conditional interval is then (0, inf) and
carries no information). Coverage is reported conditional on at least one event, and the share
of such draws is printed beside it. Mid-p, Katz and score coverages are printed for information
only (they are not guaranteed to reach the nominal level).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from analytics.stats import rate_ratio

pytestmark = pytest.mark.slow

EXPECTED_REF = (2, 5, 10, 20)  # expected events in the reference group
TRUE_RATIOS = (0.5, 1.0, 2.0, 4.0)
T1, T0 = 1_000.0, 3_000.0  # index group has a third of the reference person-time
REPS = 20_000
CONF = 0.95


@cache
def _interval(a: int, b: int, method: str) -> tuple[float, float, bool]:
    # T1, T0 and CONF are fixed, so a result depends only on (a, b, method): cache across cells
    r = rate_ratio(a, T1, b, T0, CONF, method=method)
    lo = r.lower if not math.isnan(r.lower) else 0.0
    hi = r.upper if not math.isnan(r.upper) else math.inf
    return lo, hi, not math.isnan(r.estimate)


def _coverage(method: str, rng: np.random.Generator, e0: float, ratio: float):
    lam0 = e0 / T0
    e1 = ratio * lam0 * T1
    a = rng.poisson(e1, REPS)
    b = rng.poisson(e0, REPS)
    pairs, inverse = np.unique(np.stack([a, b], axis=1), axis=0, return_inverse=True)
    covered = np.empty(len(pairs), dtype=bool)
    informative = np.empty(len(pairs), dtype=bool)
    for i, (ai, bi) in enumerate(pairs):
        lo, hi, informative[i] = _interval(int(ai), int(bi), method)
        covered[i] = informative[i] and lo <= ratio <= hi
    inv = inverse.ravel()
    info = informative[inv]
    return covered[inv][info].mean(), 1.0 - info.mean()


def test_exact_rate_ratio_coverage_at_least_nominal(capsys):
    rng = np.random.default_rng(20240611)
    rows = []
    for e0 in EXPECTED_REF:
        for ratio in TRUE_RATIOS:
            cov_exact, share_empty = _coverage("exact", rng, e0, ratio)
            others = {m: _coverage(m, rng, e0, ratio)[0] for m in ("midp", "katz", "score")}
            rows.append((e0, ratio, cov_exact, share_empty, others))
    with capsys.disabled():
        print(f"\n95% rate-ratio interval coverage, {REPS} draws per cell, t1={T1:g}, t0={T0:g}")
        print("E[b]  true RR  exact   (a=b=0)  midp    katz*   score")
        for e0, ratio, cov, empty, o in rows:
            print(f"{e0:>4}  {ratio:>7}  {cov:.4f}  ({empty:.4f})  {o['midp']:.4f}  "
                  f"{o['katz']:.4f}  {o['score']:.4f}")
        print("* katz: draws with a zero count have an undefined (nan) limit, counted as not "
              "covering")
        print(f"minimum exact coverage: {min(r[2] for r in rows):.4f}")
    for e0, ratio, cov, _, _ in rows:
        assert cov >= CONF, f"exact coverage {cov:.4f} < {CONF} at E[b]={e0}, RR={ratio}"
