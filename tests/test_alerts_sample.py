"""The alerts on the sample data (issue 16): the planted step is found within three months, nothing else alerts."""

from __future__ import annotations

import pandas as pd

from analytics.alerts import AlertSettings, build_series, evaluate_grid
from analytics.alerts import data as alert_data
from sample_data.generator import PLANTED

STEP = PLANTED["suspect_step_white_breckland"].value
STEP_CELL = ("suspect", "rate", STEP["area"], STEP["group"])
#: What contains or follows from the step: the county's White suspects, the same children's offender rows and the
#: victims of the moved crimes (White victims as a rate; victims with no recorded ethnicity, who have no population,
#: as a count: Breckland's victims went from about 22 a month before May 2026 to 52 in October, 27 of them not
#: stated, in the sample database).
CONSEQUENCES = {("suspect", "rate", "all", "White"), ("offender", "rate", STEP["area"], "White"),
                ("victim", "rate", STEP["area"], "White"), ("victim", "count", STEP["area"], "Not stated")}


def _alerts_by_month(sample_db, months):
    loaded = alert_data.load(sample_db)
    series = build_series(loaded)
    return {month: {f.result.series.key for f in evaluate_grid(series, month, AlertSettings()) if f.level == "alert"}
            for month in months}


def test_the_step_is_planted_as_documented(sample_files):
    extract = pd.read_csv(sample_files[0], dtype=str, keep_default_na=False)
    assert STEP == {"role": "suspect", "area": "E07000143", "group": "White", "factor": 2.5, "months": 6,
                    "start": "2026-05-01"}
    suspects = extract[(extract["role"] == "suspect") & (extract["area_code"] == STEP["area"])].copy()
    suspects["date"] = pd.to_datetime(suspects["recorded_date"], errors="coerce")
    suspects = suspects.dropna(subset=["date"])
    start, end, first = pd.Timestamp(STEP["start"]), pd.Timestamp("2026-10-31"), pd.Timestamp("2023-01-01")
    after = suspects["date"] >= start
    stated = ~suspects["ethnicity_self"].isin(["", "NS"])
    white = suspects["ethnicity_self"].str.startswith("W")
    # Self-defined ethnicity is stated with a probability of district, role and date only (more often later), so
    # White rows per day are corrected by the district's stated share before and after the start.
    per_day_after = (white & after).sum() / ((end - start).days + 1) / stated[after].mean()
    per_day_before = (white & ~after).sum() / (start - first).days / stated[~after].mean()
    # 2.5 in expectation; the moved share is a binomial draw over about 1,000 crimes (sd of the ratio about 0.15).
    assert 2.2 < per_day_after / per_day_before < 2.8


def test_the_planted_step_is_alerted_within_three_months_of_its_start(sample_db):
    start = pd.Timestamp(STEP["start"])
    months = pd.date_range(start - pd.DateOffset(months=6), start + pd.DateOffset(months=2), freq="MS")
    alerts = _alerts_by_month(sample_db, months)
    assert not any(STEP_CELL in alerts[m] for m in months if m < start)  # no alert before the step
    first = min(m for m in months if STEP_CELL in alerts[m])
    delay = (first.year - start.year) * 12 + first.month - start.month
    assert delay <= 2  # alerted in the step's first three months (measured: June 2026, the second month)


def test_nothing_else_alerts_in_the_last_month(sample_db):
    last = pd.Timestamp("2026-10-01")
    alerts = _alerts_by_month(sample_db, [last])[last]
    assert STEP_CELL in alerts
    assert alerts - {STEP_CELL} <= CONSEQUENCES
