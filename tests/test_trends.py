"""Monthly counts and rolling 12-month windows: the one-scan query against two independent forms.

``Store.monthly_and_rolling_counts`` (running sums of steps over children-by-month) must give exactly
``Store.event_counts(filters, ("month",))`` and ``Store.rolling_event_counts_by_join`` (every record
joined to each window it falls in, then ``COUNT(DISTINCT person_id)``), and the rolling children are
recounted here from the raw records in pandas.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics import trends
from analytics.filters import Filters
from tests.sql_support import query

KEY = ["month", "ethnic_group"]
FILTERS = [
    Filters(),
    Filters(counting_unit="records"),
    Filters(roles=("suspect",), areas=("E07000148",)),
    Filters(date_from=date(2024, 3, 17), date_to=date(2025, 8, 9)),  # partial first and last months
    Filters(date_from=date(2024, 3, 17), date_to=date(2025, 8, 9), counting_unit="records", knife_crime="only"),
    Filters(ethnicity_source="officer_only", age_bands=("16-17",), sexes=("M",), cce="exclude"),
]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY).reset_index(drop=True)[["month", "ethnic_group", "events"]]


@pytest.mark.parametrize("filters", FILTERS)
def test_one_scan_equals_the_monthly_query_and_the_join_form(sample_store, filters):
    monthly, rolling = sample_store.monthly_and_rolling_counts(filters)
    pd.testing.assert_frame_equal(_sorted(monthly), _sorted(sample_store.event_counts(filters, ("month",))))
    pd.testing.assert_frame_equal(_sorted(rolling), _sorted(sample_store.rolling_event_counts_by_join(filters)))
    assert len(monthly) > 0 and len(rolling) > 0


def test_rolling_children_recounted_from_the_raw_records(sample_store):
    filters = Filters(roles=("suspect",), ethnicity_source="self_then_officer")  # one group per child, as below
    records = query(sample_store.path,
        "SELECT person_id, month, COALESCE(person_group_self, person_group_officer, 'Not stated') AS ethnic_group "
        "FROM records WHERE role = 'suspect'")
    months = pd.date_range(records["month"].min(), records["month"].max(), freq="MS")
    expected = []
    for end in months[11:]:
        inside = records[(records["month"] > end - pd.DateOffset(months=12)) & (records["month"] <= end)]
        for group, children in inside.groupby("ethnic_group")["person_id"].nunique().items():
            expected.append({"month": end, "ethnic_group": group, "events": children})
    _, rolling = sample_store.monthly_and_rolling_counts(filters)
    mine = _sorted(rolling)
    theirs = _sorted(pd.DataFrame(expected))
    assert mine["events"].tolist() == theirs["events"].tolist()
    assert mine["ethnic_group"].tolist() == theirs["ethnic_group"].tolist()
    assert [pd.Timestamp(m) for m in mine["month"]] == [pd.Timestamp(m) for m in theirs["month"]]


def test_monthly_trends_equal_the_two_separate_tables(sample_store):
    filters = Filters(roles=("suspect",), confidence=0.998)
    both = trends.monthly_trends(sample_store, filters)
    pd.testing.assert_frame_equal(both.monthly.reset_index(drop=True),
                                  trends.monthly_counts(sample_store, filters).reset_index(drop=True))
    pd.testing.assert_frame_equal(both.rolling, trends.rolling_ratios(sample_store, filters))
    assert both.rolling["ratio"].notna().all() and (both.rolling["lower"] < both.rolling["upper"]).all()


@pytest.mark.parametrize("filters", [  # trends count one group per child: the single-assignment sources
    Filters(ethnicity_source="self_then_officer"),
    Filters(roles=("offender",), confidence=0.998, ethnicity_source="self_only"),
    Filters(ethnic_groups=("Other",), reference_group="Asian", areas=("E07000148",),
            ethnicity_source="self_then_officer"),
    Filters(date_from=date(2024, 2, 10), date_to=date(2026, 5, 20), knife_crime="only",
            ethnicity_source="officer_only"),
])
def test_rolling_outcome_shares_equal_the_shares_of_the_monthly_decision_table(sample_store, filters):
    from analytics import disparity, schema

    chosen = (schema.OUTCOME_22,)
    expected = trends.rolling_shares(disparity.decision_ratios(sample_store, filters, chosen, "month").table,
                                     filters.confidence)
    got = trends.rolling_outcome_shares(sample_store, filters, chosen)
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) > 0


@pytest.mark.parametrize("denominator", ["live", "all"])
def test_rolling_share_recounted_by_hand(sample_store, denominator):
    # the last 12-month window of outcome 22 among Black suspects' records in the denominator, from the raw table:
    # live (the default, issue 13 point 7) keeps the outcomes where diversion was an option, all every concluded one
    from analytics import schema

    shares = trends.rolling_outcome_shares(sample_store,
                                           Filters(roles=("suspect",), ethnicity_source="self_then_officer"),
                                           denominator=denominator)
    last = shares[shares["group"] == "Black"].iloc[-1]
    end = pd.Timestamp(last["month"])
    # the 90-day cohort (issue 13 point 5): records made by 2 August 2026 (90 days before the data end on
    # 31 October 2026), outcomes reached within 90 days of recording
    raw = query(sample_store.path,
        "SELECT month, outcome_code FROM records WHERE role = 'suspect' AND outcome_code <> '' "
        "AND recorded_date <= DATE '2026-08-02' AND outcome_date <= recorded_date + 90 "
        "AND COALESCE(person_group_self, person_group_officer, 'Not stated') = 'Black'")
    if denominator == "live":
        raw = raw[raw["outcome_code"].isin(["1", "1A", "2", "2A", "3", "3A", "8", "20", "21", "22"])]
    window = raw[(raw["month"] > end - pd.DateOffset(months=12)) & (raw["month"] <= end)]
    assert last["concluded"] == len(window)
    assert last["events"] == int((window["outcome_code"] == schema.OUTCOME_22).sum())
    assert last["share"] == pytest.approx(100 * last["events"] / last["concluded"])
