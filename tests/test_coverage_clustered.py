"""Coverage of the rate-ratio and share-ratio intervals when records are clustered in children (issue 13, slow).

Records per child are drawn from the sample's own distribution (suspects' records per child in the sample
database). Each replicate draws a Poisson number of children per group (index: a third of the reference's
person-time, a true ratio of 2), each child's records from that distribution, and computes the 95 % exact
conditional interval for the ratio of record counts:

* as Poisson counts (what ``--count records`` did before issue 13), and
* through the effective counts of the cluster variance (``tables.effective_counts`` with V = sum of squared records
  per child; Kish 1965 section 6.4), which must cover at least 94 % of the time.

Distinct children (y = 1) are the Poisson case (at least 94 % too, the issue's criterion). For decision-point
shares the concluded records per child come from the sample too, with outcomes correlated within a child (beta-binomial,
intra-child correlation 0.3), and the Koopman interval on the ratio-estimator effective counts must cover at least
94 %. The figures are printed for the issue's closing note.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics import stats, tables
from analytics.filters import Filters

pytestmark = pytest.mark.slow

REPS = 4000
CONF = 0.95
RATIO = 2.0
SEED = 20261201


def _child_records(store) -> np.ndarray:
    frame = store.records(Filters(roles=("suspect",), ethnicity_source="self_only"))
    return frame.groupby("person_id").size().to_numpy()


def _simulate(rng, per_child: np.ndarray, mean_children: float, time_ratio: float, persons: bool):
    covered_poisson = covered_cluster = 0
    for _ in range(REPS):
        n1, n0 = rng.poisson(mean_children * RATIO * time_ratio), rng.poisson(mean_children)
        y1 = np.ones(n1) if persons else rng.choice(per_child, n1)
        y0 = np.ones(n0) if persons else rng.choice(per_child, n0)
        a, b = float(y1.sum()), float(y0.sum())
        t1, t0 = 1000.0 * time_ratio, 1000.0
        plain = stats.rate_ratio_exact_array([a], [t1], [b], [t0], CONF)
        covered_poisson += int(plain.lower[0] <= RATIO <= plain.upper[0])
        ae, t1e = tables.effective_counts(a, float((y1**2).sum()), t1)
        be, t0e = tables.effective_counts(b, float((y0**2).sum()), t0)
        eff = stats.rate_ratio_exact_array([ae], [t1e], [be], [t0e], CONF, effective=True)
        covered_cluster += int(eff.lower[0] <= RATIO <= eff.upper[0])
    return covered_poisson / REPS, covered_cluster / REPS


def test_record_count_intervals_hold_their_coverage(sample_store, capsys):
    per_child = _child_records(sample_store)
    mean, variance = per_child.mean(), per_child.var()
    rng = np.random.default_rng(SEED)
    rows = []
    for mean_children in (30.0, 150.0, 600.0):
        records = _simulate(rng, per_child, mean_children, 1 / 3, persons=False)
        persons = _simulate(rng, per_child, mean_children, 1 / 3, persons=True)
        rows.append((mean_children, records, persons))
    with capsys.disabled():
        print(f"\nsuspect records per child in the sample: mean {mean:.2f}, variance/mean {variance / mean:.2f}, "
              f"E[y^2]/E[y] (design effect) {np.mean(per_child**2) / mean:.2f}; {REPS} replicates, true ratio "
              f"{RATIO}")
        print("E[reference children]  records: Poisson  cluster   persons: exact")
        for m, (plain, cluster), (exact, _) in rows:
            print(f"{m:>21g}  {plain:>16.4f}  {cluster:.4f}  {exact:>14.4f}")
    for m, (_, cluster), (exact, _) in rows:
        assert cluster >= 0.94, (m, cluster)
        assert exact >= 0.94, (m, exact)  # the criterion, as for records (Monte Carlo error ~0.4 %)


def test_share_intervals_hold_their_coverage_with_correlated_outcomes(sample_store, capsys):
    frame = sample_store.records(Filters(roles=("suspect",), ethnicity_source="self_only"))
    concluded = frame[frame["outcome_code"] != ""].groupby("person_id").size().to_numpy()
    rng = np.random.default_rng(SEED + 1)
    p1, p0, icc = 0.10, 0.20, 0.3
    truth = p1 / p0
    shape = (1 - icc) / icc

    def draw(n_children: int, p: float) -> tuple[np.ndarray, np.ndarray]:
        d = rng.choice(concluded, n_children)
        child_p = rng.beta(p * shape, (1 - p) * shape, n_children)
        return rng.binomial(d, child_p), d

    covered = {"binomial": 0, "cluster": 0}
    for _ in range(REPS):
        a_i, d_i = draw(rng.poisson(150), p1)
        c_i, e_i = draw(rng.poisson(900), p0)
        a, d, c, e = (float(v.sum()) for v in (a_i, d_i, c_i, e_i))
        if d == 0 or e == 0:
            continue
        plain = stats.risk_ratio_score_array([a], [d], [c], [e], CONF)
        covered["binomial"] += int(plain.lower[0] <= truth <= plain.upper[0])
        var1 = float(((a_i - (a / d) * d_i) ** 2).sum()) / d**2
        var0 = float(((c_i - (c / e) * e_i) ** 2).sum()) / e**2
        ae, de = tables.share_effective_counts(a, d, var1)
        ce, ee = tables.share_effective_counts(c, e, var0)
        eff = stats.risk_ratio_score_array([ae], [de], [ce], [ee], CONF, effective=True)
        covered["cluster"] += int(eff.lower[0] <= truth <= eff.upper[0])
    shares = {k: v / REPS for k, v in covered.items()}
    with capsys.disabled():
        print(f"\nshare ratio {truth} with intra-child correlation {icc}, concluded records per child from the "
              f"sample (mean {concluded.mean():.2f}): binomial {shares['binomial']:.4f}, cluster "
              f"{shares['cluster']:.4f}")
    assert shares["cluster"] >= 0.94
