"""Early warning (issue 16): false-alert rate under the null and detection of planted steps, by simulation.

The sample's grid is simulated with no change: every district × role × ethnic group (Not stated included) gets
Poisson counts per month at the mean the sample shows in 2024-2025 (after the first months' ramp-up, before the
planted step), the county is the sum of the districts, and outcome-22 shares are binomial at each district ×
group's pooled share on Poisson numbers of concluded records. The whole grid (288 series: rates, ratios, not-stated
counts, outcome-22 shares) is then evaluated as ``python -m analytics alerts`` does, with the default settings.

* **Null:** the share of evaluated months with any *alert* anywhere in the grid (the issue's target: at most 5 %),
  and the mean number of *watches* a month.
* **Steps:** one cell's rate multiplied by 1.5, 2 or 3 for the last six months; detection delay = months from
  the step's first month to its first alert on that cell (0 = alerted in the first month), and the share of those
  months with a false alert elsewhere (cells neither the stepped one nor those that contain or depend on it: the
  county's rate of the group and the ratios involving the group in its district and the county).

``python -m benchmarks alerts_detection [--replicates N] [--seed S]``; results in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import schema
from analytics.alerts import AlertData, AlertSettings, build_series, evaluate_grid

FIT_FROM, FIT_TO = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-01")
MONTHS = pd.date_range("2023-01-01", "2026-10-01", freq="MS")
STEP_MONTHS = 6
#: (label, role, district, group): a large and a small cell of the sample.
STEP_CELLS = (("Breckland White suspects (about 25 a month)", "suspect", "E07000143", "White"),
              ("Norwich Mixed suspects (about 3 a month)", "suspect", "E07000148", "Mixed"))
FACTORS = (1.5, 2.0, 3.0)


@dataclass(frozen=True)
class Model:
    """Per-cell monthly means fitted on the sample (districts only; the county is their sum)."""

    events: pd.DataFrame  # role, area, group, mean
    decisions: pd.DataFrame  # area, group, mean_n, share
    population: pd.DataFrame
    reference_group: str


def fit(data: AlertData) -> Model:
    events = data.events.copy()
    events["month"] = pd.to_datetime(events["month"])
    window = events[(events["month"] >= FIT_FROM) & (events["month"] <= FIT_TO) & (events["area"] != "all")]
    n_months = len(pd.date_range(FIT_FROM, FIT_TO, freq="MS"))
    means = window.groupby(["role", "area", "group"], as_index=False)["events"].sum()
    means["mean"] = means["events"] / n_months
    decisions = data.decisions.copy()
    decisions["month"] = pd.to_datetime(decisions["month"])
    fitted = decisions[(decisions["month"] >= FIT_FROM) & (decisions["month"] <= FIT_TO) & (decisions["area"] != "all")]
    pooled = fitted.groupby(["area", "group"], as_index=False)[["events", "denominator"]].sum()
    pooled["mean_n"] = pooled["denominator"] / n_months
    pooled["share"] = pooled["events"] / pooled["denominator"]
    return Model(means[["role", "area", "group", "mean"]], pooled[["area", "group", "mean_n", "share"]],
                 data.population, data.reference_group)


def simulate(model: Model, rng: np.random.Generator, step: tuple[str, str, str, float] | None = None) -> AlertData:
    """One replicate of the grid; ``step`` = (role, area, group, factor) for the last ``STEP_MONTHS`` months."""
    n = len(MONTHS)
    frames = []
    for role, area, group, mean in model.events.itertuples(index=False):
        mu = np.full(n, float(mean))
        if step is not None and (role, area, group) == step[:3]:
            mu[-STEP_MONTHS:] *= step[3]
        frames.append(pd.DataFrame({"role": role, "area": area, "group": group, "month": MONTHS,
                                    "events": rng.poisson(mu)}))
    events = pd.concat(frames, ignore_index=True)
    county = events.groupby(["role", "group", "month"], as_index=False)["events"].sum().assign(area="all")
    rows = []
    for area, group, mean_n, share in model.decisions.itertuples(index=False):
        trials = rng.poisson(float(mean_n), n)
        rows.append(pd.DataFrame({"area": area, "group": group, "month": MONTHS, "denominator": trials,
                                  "events": rng.binomial(trials, float(share))}))
    decisions = pd.concat(rows, ignore_index=True)
    decisions = pd.concat([decisions, decisions.groupby(["group", "month"], as_index=False)[
        ["events", "denominator"]].sum().assign(area="all")], ignore_index=True)
    return AlertData(pd.concat([events, county], ignore_index=True), model.population, decisions, MONTHS[0],
                     MONTHS[-1], MONTHS[-1], model.reference_group)


def alerts_by_month(data: AlertData, months: pd.DatetimeIndex, settings: AlertSettings) -> list[set[tuple]]:
    series = build_series(data)
    return [{f.result.series.key for f in evaluate_grid(series, m, settings) if f.level == "alert"} for m in months]


def null_rate(model: Model, replicates: int, seed: int, months: int = 1,
              settings: AlertSettings | None = None) -> tuple[int, int, float]:
    """(months with any alert, months evaluated, mean watches a month) over ``replicates`` simulated grids, each
    evaluated at its last ``months`` months."""
    settings = settings or AlertSettings()
    rng = np.random.default_rng(seed)
    with_alert = evaluated = watches = 0
    for _ in range(replicates):
        data = simulate(model, rng)
        series = build_series(data)
        for month in MONTHS[-months:]:
            found = evaluate_grid(series, month, settings)
            with_alert += any(f.level == "alert" for f in found)
            watches += sum(f.level == "watch" for f in found)
            evaluated += 1
    return with_alert, evaluated, watches / max(evaluated, 1)


def related(role: str, area: str, group: str) -> set[tuple[str, str, str, str]]:
    """The stepped cell and what contains or depends on it."""
    return {(role, "rate", area, group), (role, "rate", "all", group), (role, "ratio", area, group),
            (role, "ratio", "all", group)} | {(role, "ratio", area, g) for g in schema.ETHNIC_GROUPS} | {
            (role, "ratio", "all", g) for g in schema.ETHNIC_GROUPS}


def detection(model: Model, cell: tuple[str, str, str], factor: float, replicates: int, seed: int,
              settings: AlertSettings | None = None) -> tuple[list[int | None], float]:
    """Per replicate the delay to the first alert on the stepped cell (None: not within the six months), and the
    share of the step's months with a false alert elsewhere."""
    settings = settings or AlertSettings()
    rng = np.random.default_rng(seed)
    months = MONTHS[-STEP_MONTHS:]
    delays: list[int | None] = []
    false_months = 0
    for _ in range(replicates):
        data = simulate(model, rng, (*cell, factor))
        found = alerts_by_month(data, months, settings)
        key = (cell[0], "rate", cell[1], cell[2])
        delays.append(next((i for i, alerts in enumerate(found) if key in alerts), None))
        false_months += sum(bool(alerts - related(*cell)) for alerts in found)
    return delays, false_months / (replicates * len(months))


def summary(delays: list[int | None]) -> tuple[str, str, str]:
    found = [d for d in delays if d is not None]
    within3 = sum(d <= 2 for d in found) / len(delays)
    median = f"{np.median(found):.0f}" if found else "–"
    return f"{within3:.0%}", f"{len(found) / len(delays):.0%}", median


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks alerts_detection", description=__doc__)
    parser.add_argument("--replicates", type=int, default=200, help="null replicates (steps: a quarter as many)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--db", type=Path, default=Path("data/monitor.duckdb"), help="the sample's database")
    args = parser.parse_args(argv)
    from analytics.alerts import data as alert_data

    model = fit(alert_data.load(args.db))
    started = time.perf_counter()
    hits, total, watches = null_rate(model, args.replicates, args.seed, months=3)
    print(f"Null: {hits} of {total} evaluated months ({hits / total:.1%}) had a false alert anywhere in the grid; "
          f"{watches:.1f} watches a month on average ({time.perf_counter() - started:.0f} s)")
    print()
    print("| cell | step | alerted within 3 months | alerted within 6 months | median delay (months) | "
          "false-alert months elsewhere |")
    print("|---|---|---|---|---|---|")
    for label, role, area, group in STEP_CELLS:
        for factor in FACTORS:
            delays, false_rate = detection(model, (role, area, group), factor, max(args.replicates // 4, 10),
                                           args.seed + int(factor * 10))
            within3, within6, median = summary(delays)
            print(f"| {label} | {factor:g}× | {within3} | {within6} | {median} | {false_rate:.1%} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
