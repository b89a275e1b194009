"""Exceedance tests, levels and the grid of ``analytics.alerts`` (issue 16), on values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics import alerts
from analytics.alerts import exceedance, grid
from analytics.alerts.config import AlertSettings, alert_settings


def _binom_tail_upper(x: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x, n + 1))


def test_rate_change_is_the_exact_conditional_poisson_test():
    # 10 events in 4 months against 24 in 24 months: given 34 events, X ~ Binomial(34, 4/28) under no change.
    result = exceedance.rate_change(10, 4.0, 24, 24.0)
    assert result.p_value == pytest.approx(2 * _binom_tail_upper(10, 34, 4 / 28), rel=1e-9)
    assert result.expected == pytest.approx(4.0)
    assert result.direction == 1
    assert exceedance.rate_change(0, 4.0, 0, 24.0).p_value == 1.0


def test_share_change_is_fishers_exact_test():
    # Fisher's tea-tasting table (Agresti, Categorical Data Analysis, 3.5.2): two-sided P = 0.486.
    result = exceedance.share_change(3, 4, 1, 4)
    assert result.p_value == pytest.approx(0.4857, abs=1e-4)
    assert result.direction == 1
    assert result.expected == pytest.approx(1.0)


def _series(values, months=30, chart="u", denominator=None):
    index = pd.date_range("2024-01-01", periods=months, freq="MS")
    x = np.asarray(values, float)
    n = np.ones(months) if denominator is None else np.asarray(denominator, float)
    return grid.Series("suspect", "rate", "E07000148", "Mixed", chart, index, x, n)


def test_a_step_is_an_alert_and_a_noise_point_only_a_watch():
    settings = AlertSettings()
    flat = [4, 5, 3, 4, 6, 4, 5, 3, 4, 4, 5, 4, 3, 5, 4, 4, 6, 4, 3, 4, 5, 4, 4, 3]  # 24 baseline months, mean 4.167
    step = _series([*flat, 4, 4, 5, 11, 12, 13])
    result = grid.evaluate_series(step, step.months[-1], settings)
    assert result is not None and result.status == "monitored"
    assert result.limits is not None and result.test is not None
    centre = sum(flat) / 24
    assert result.limits.centre[-1] == pytest.approx(centre)
    assert result.limits.upper[-1] == pytest.approx(centre + 3 * math.sqrt(centre))
    assert result.rules[0] == ("beyond_limits", 1)  # 13 > 4.167 + 3 x 2.04 = 10.29
    assert result.recent_events == 5 + 11 + 12 + 13  # the last 4 months
    expected_p = 2 * _binom_tail_upper(41, 41 + sum(flat), 4 / 28)
    assert result.test.p_value == pytest.approx(expected_p, rel=1e-9)
    assert grid.level_of(result, q_value=expected_p, settings=settings) == "alert"
    assert grid.level_of(result, q_value=0.2, settings=settings) == "watch"  # not significant after BH
    few = grid.SeriesResult(result.series, result.month, "monitored", test=result.test, recent_events=4,
                            rules=result.rules)
    assert grid.level_of(few, q_value=expected_p, settings=settings) == "watch"  # fewer than 5 events


def test_the_months_under_test_are_not_in_the_baseline():
    settings = AlertSettings(baseline_months=24, test_months=6)
    series = _series([4] * 24 + [40] * 6)
    result = grid.evaluate_series(series, series.months[-1], settings)
    assert result is not None and result.limits is not None
    assert result.limits.centre[-1] == pytest.approx(4.0)
    assert result.baseline == (series.months[0], series.months[23])


def test_too_few_events_are_counted_not_charted():
    series = _series([0] * 20 + [1] * 10)
    result = grid.evaluate_series(series, series.months[-1], AlertSettings())
    assert result is not None and result.status == "too few events"


def test_signal_history_finds_the_first_month_of_the_episode():
    series = _series([4, 5, 3, 4, 6, 4, 5, 3, 4, 4, 5, 4, 3, 5, 4, 4, 6, 4, 3, 4, 5, 4, 4, 3, 4, 4, 5, 14, 15, 16])
    first, active = grid.signal_history(series, series.months[-1], AlertSettings())
    assert first == series.months[27]
    assert active == 3


def test_settings_from_toml_values():
    assert alert_settings({"shift_run": 8, "fdr": 0.1}) == AlertSettings(shift_run=8, fdr=0.1)
    with pytest.raises(ValueError, match="unknown alerts setting 'shift'"):
        alert_settings({"shift": 8})
    with pytest.raises(ValueError, match="whole number"):
        alert_settings({"shift_run": 7.5})
    with pytest.raises(ValueError, match="recent_months"):
        AlertSettings(recent_months=8, test_months=6)


def _grid_data(step_factor: float = 1.0, seed: int = 1) -> alerts.AlertData:
    """Two districts, two groups, one role's counts drawn from Poisson means (a planted step if asked)."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2023-01-01", "2026-10-01", freq="MS")
    rows = []
    for area, mean in (("E1", {"White": 30.0, "Mixed": 4.0}), ("E2", {"White": 20.0, "Mixed": 3.0})):
        for group, mu in mean.items():
            for i, month in enumerate(months):
                factor = step_factor if (area == "E1" and group == "Mixed" and i >= len(months) - 6) else 1.0
                rows.append(("suspect", area, group, month, int(rng.poisson(mu * factor))))
    events = pd.DataFrame(rows, columns=["role", "area", "group", "month", "events"])
    county = events.groupby(["role", "group", "month"], as_index=False)["events"].sum().assign(area="all")
    population = pd.DataFrame({"area": ["E1", "E1", "E2", "E2", "all", "all"],
                               "group": ["White", "Mixed"] * 3, "population": [20000, 2000, 15000, 1500, 35000, 3500]})
    return alerts.AlertData(pd.concat([events, county]), population,
                            pd.DataFrame(columns=["area", "group", "month", "events", "denominator"]),
                            months[0], months[-1], months[-4])


def test_a_planted_step_alerts_and_its_row_has_the_columns():
    data = _grid_data(step_factor=3.0)
    found = alerts.findings(data, settings=AlertSettings())
    table = alerts.rows(found, AlertSettings(), {"E1": "Norwich"})
    assert list(table.columns) == list(alerts.COLUMNS)
    alerted = table[table["level"] == "alert"]
    assert ("rate", "E1", "Mixed") in set(zip(alerted["measure"], alerted["area"], alerted["group"], strict=True))
    row = alerted[(alerted["measure"] == "rate") & (alerted["area"] == "E1")].iloc[0]
    assert row["lower_limit"] <= row["expected"] <= row["upper_limit"]
    assert "Norwich" in row["message"] and "rose" in row["message"]


def test_bh_runs_over_every_monitored_series_of_the_grid():
    data = _grid_data(step_factor=1.0, seed=3)
    series = alerts.build_series(data)
    results = alerts.evaluate_grid(series, data.last_month, AlertSettings())
    monitored = [f for f in results if f.result.status == "monitored"]
    p = np.array([f.result.test.p_value for f in monitored if f.result.test is not None])
    q = np.array([f.q_value for f in monitored])
    order = np.argsort(p)
    m = len(p)
    expected = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    np.testing.assert_allclose(q[order], np.minimum(expected, 1.0))


def test_the_grid_counts_match_the_stores_own_counts(sample_db, sample_store):
    from analytics.alerts import data as alert_data
    from analytics.filters import Filters

    loaded = alert_data.load(sample_db)
    events = loaded.events
    # Suspects by district and month from the ordinary named query (persons, the default ethnicity source).
    counts = sample_store.event_counts(Filters(roles=("suspect",)), ("area", "month"))
    ours = events[(events["role"] == "suspect") & (events["area"] != "all")]
    merged = counts.rename(columns={"ethnic_group": "group"}).merge(
        ours, on=["area", "group", "month"], suffixes=("_store", "_alerts"), how="outer").fillna(0)
    assert len(merged) > 100
    assert (merged["events_store"] == merged["events_alerts"]).all()
    county = sample_store.event_counts(Filters(roles=("victim",)), ("month",))
    ours = events[(events["role"] == "victim") & (events["area"] == "all")]
    merged = county.rename(columns={"ethnic_group": "group"}).merge(ours, on=["group", "month"], how="outer")
    assert (merged["events_x"] == merged["events_y"]).all()
    # Mature months: the sample ends on 31 October 2026; 90 days of follow-up reach back to 2 August.
    assert loaded.last_month == pd.Timestamp("2026-10-01")
    assert loaded.last_mature_month == pd.Timestamp("2026-07-01")
