"""Rates per 1,000 children per year (issue 13, point 5): the period, the annual rate recomputed by hand for the
sample with plain pandas, its stability across period lengths, and the rolling 12-month windows unchanged.

Independent checks: the annual rate is recomputed from the loaded records and the population CSV with pandas
alone (a self-defined code's first letter gives its group: W White, M Mixed, A Asian, B Black, O Other; a
child's group is that of their latest record with a self-defined code, as DESIGN.md states); the exact Poisson
(Garwood) limits from scipy's chi-square quantiles.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from scipy import stats as sps

from analytics import disparity, periods, tables, trends
from analytics.filters import Filters

GROUP_OF_LETTER = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "O": "Other"}
LAST_12 = (date(2025, 11, 1), date(2026, 10, 31))


# --------------------------------------------------------------------------------------------
# The period
# --------------------------------------------------------------------------------------------
def test_period_label_days_and_years():
    twelve = periods.Period(*LAST_12)
    assert (twelve.days, twelve.whole_months) == (365, 12)
    assert twelve.years == pytest.approx(365 / 365.25)
    assert twelve.label == "November 2025 to October 2026, 12 months"
    leap = periods.Period(date(2024, 1, 1), date(2024, 12, 31))
    assert leap.years == pytest.approx(366 / 365.25)
    assert periods.Period(date(2026, 10, 1), date(2026, 10, 15)).label == "2026-10-01 to 2026-10-15, 15 days"
    assert periods.Period(date(2026, 10, 1), date(2026, 10, 31)).label == "October 2026, one month"
    assert periods.Period(date(2026, 10, 1), date(2026, 10, 3)).length == "three days"


def test_rate_period_is_the_selection_cut_to_the_months_the_data_cover():
    first, last = date(2023, 1, 1), date(2026, 10, 1)  # the data's first and last months
    assert periods.rate_period(None, None, first, last) == periods.Period(date(2023, 1, 1), date(2026, 10, 31))
    assert periods.rate_period(date(2022, 11, 1), date(2023, 10, 31), first, last) == periods.Period(
        date(2023, 1, 1), date(2023, 10, 31))  # a pack whose 12 months begin before the data
    assert periods.rate_period(*LAST_12, first, last) == periods.Period(*LAST_12)


def test_rate_rows_refuse_a_period_of_no_length():
    with pytest.raises(ValueError, match="longer than 0 years"):
        tables.rate_rows([("All", {"White": 3}, {"White": 100})], "White", 0.95, years=0.0)


# --------------------------------------------------------------------------------------------
# The sample, by hand
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def suspects(sample_store) -> pd.DataFrame:
    """Suspect records as loaded, with each child's self-defined group worked out here (not by the code under
    test): the group of the child's latest record (any role) with a self-defined code."""
    records = sample_store.records(Filters())
    records["own_group"] = records["ethnicity_self"].fillna("").str[:1].map(GROUP_OF_LETTER)
    stated = records.dropna(subset=["own_group"]).sort_values(["recorded_date", "record_id"])
    child_group = stated.groupby("person_id")["own_group"].last()
    records["group"] = records["person_id"].map(child_group).fillna("Not stated")
    records["day"] = pd.to_datetime(records["recorded_date"]).dt.date
    return records[records["role"] == "suspect"]


@pytest.fixture(scope="module")
def population(sample_files) -> pd.Series:
    """Children by group from the population CSV (every district, age band and sex)."""
    return pd.read_csv(sample_files[1]).groupby("ethnic_group")["population"].sum()


def _by_hand(suspects: pd.DataFrame, population: pd.Series, start: date, end: date) -> tuple[pd.Series, float]:
    """Records per 1,000 children per year in ``start``..``end`` by group, and the years: records / population /
    (inclusive days / 365.25) x 1,000."""
    years = ((end - start).days + 1) / 365.25
    counts = suspects[(suspects["day"] >= start) & (suspects["day"] <= end)].groupby("group").size()
    return counts.reindex(population.index, fill_value=0) / population / years * 1000, years


def _rates(sample_store, start: date | None, end: date | None) -> disparity.DisparityTable:
    return disparity.population_rates(sample_store, Filters(roles=("suspect",), counting_unit="records",
                                                            ethnicity_source="self_only", date_from=start,
                                                            date_to=end))


@pytest.mark.parametrize("start,end,label", [
    (None, None, "January 2023 to October 2026, 46 months"),
    (*LAST_12, "November 2025 to October 2026, 12 months"),
])
def test_annual_rate_matches_the_hand_computation(sample_store, suspects, population, start, end, label):
    table = _rates(sample_store, start, end)
    assert table.period is not None and table.period.label == label
    assert table.metadata()["period"]["label"] == label
    assert table.metadata()["period"]["rate_unit"] == "per 1,000 children per year"
    expected, years = _by_hand(suspects, population, table.period.start, table.period.end)
    shown = table.table.set_index("group")
    for group in ("White", "Black", "Asian", "Mixed", "Other"):
        assert shown.loc[group, "unit"] == "per 1,000 children per year"
        assert shown.loc[group, "rate"] == pytest.approx(expected[group], rel=1e-9)
    # counting children: the interval on the count divided by the person-years, Garwood below 10, Byar's formula from
    # 10 (both written out here), on the effective count x^2 / V with the person-years scaled by x / V, where
    # V = x + 2 * (pairs of the group's children who share a crime), the co-offending variance (issue 13; the pairs
    # found here with a pandas self-merge on crime_id)
    children = disparity.population_rates(sample_store, Filters(roles=("suspect",), ethnicity_source="self_only",
                                                                date_from=start, date_to=end)).table.set_index("group")
    within = suspects[(suspects["day"] >= table.period.start) & (suspects["day"] <= table.period.end)]
    for group in ("Other", "Black", "White"):
        x = within.loc[within["group"] == group, "person_id"].nunique()
        variance = x + 2 * _co_offending_pairs(within[within["group"] == group])
        xe, person_years = x * x / variance, population[group] * years * x / variance
        assert children.loc[group, "rate"] == pytest.approx(x / (population[group] * years) * 1000, rel=1e-9)
        if xe < 10:
            low, high = sps.chi2.ppf(0.025, 2 * xe) / 2, sps.chi2.ppf(0.975, 2 * xe + 2) / 2
        else:
            z = sps.norm.ppf(0.975)
            low = xe * (1 - 1 / (9 * xe) - z / (3 * xe ** 0.5)) ** 3
            high = (xe + 1) * (1 - 1 / (9 * (xe + 1)) + z / (3 * (xe + 1) ** 0.5)) ** 3
        assert children.loc[group, "rate_lower"] == pytest.approx(low / person_years * 1000, rel=1e-6)
        assert children.loc[group, "rate_upper"] == pytest.approx(high / person_years * 1000, rel=1e-6)


def _co_offending_pairs(records: pd.DataFrame) -> int:
    """Pairs of distinct children among ``records`` who share at least one crime."""
    links = records[["person_id", "crime_id"]].drop_duplicates()
    pairs = links.merge(links, on="crime_id")
    pairs = pairs[pairs["person_id_x"] < pairs["person_id_y"]]
    return len(pairs[["person_id_x", "person_id_y"]].drop_duplicates())


def test_the_same_annual_rate_whatever_the_period_length(sample_store, suspects, population):
    """Records are additive, so the 46-month annual rate is the person-year weighted mean of the annual rates of
    the periods that make it up (10 months of 2023, then three 12-month periods): on the same yearly scale, where
    per 1,000 over the whole period (the old rate) would be about 46 / 12 times a 12-month figure."""
    pieces = [(date(2023, 1, 1), date(2023, 10, 31)), (date(2023, 11, 1), date(2024, 10, 31)),
              (date(2024, 11, 1), date(2025, 10, 31)), LAST_12]
    whole = _rates(sample_store, None, None)
    parts = [_rates(sample_store, start, end) for start, end in pieces]
    years = [p.period.years for p in parts if p.period is not None]
    assert whole.period is not None and sum(p.period.days for p in parts if p.period) == whole.period.days == 1400
    annual_12, _ = _by_hand(suspects, population, *LAST_12)
    for group in ("White", "Black", "Mixed"):
        rates = [float(p.table.set_index("group")["rate"].to_dict()[group]) for p in parts]
        weighted = sum(r * y for r, y in zip(rates, years, strict=True)) / whole.period.years
        overall = float(whole.table.set_index("group")["rate"].to_dict()[group])
        assert overall == pytest.approx(weighted, rel=1e-9)
        # the same yearly scale: within 40 % of the last 12 months' rate (not about 3.8 times it, as before)
        assert 0.6 < overall / float(annual_12[group]) < 1.4


def test_ratios_do_not_change_with_the_scaling(sample_store, suspects, population):
    """A ratio is the two groups' events over their populations: annualising both rates cancels."""
    table = _rates(sample_store, *LAST_12).table.set_index("group")
    counts = suspects[(suspects["day"] >= LAST_12[0]) & (suspects["day"] <= LAST_12[1])].groupby("group").size()
    expected = (counts["Black"] / population["Black"]) / (counts["White"] / population["White"])
    assert table.loc["Black", "ratio"] == pytest.approx(expected, rel=1e-9)


def test_rolling_12_month_windows_come_out_unchanged(sample_store):
    """A rolling window is already 12 months: its ratio equals the annual table's for the same months."""
    filters = Filters(roles=("suspect",), ethnicity_source="self_only")
    rolling = trends.rolling_ratios(sample_store, filters)
    window = rolling[(pd.to_datetime(rolling["month"]).dt.date == date(2026, 10, 1))].set_index("group")
    table = disparity.population_rates(sample_store, filters.replace(date_from=LAST_12[0], date_to=LAST_12[1]))
    shown = table.table.set_index("group")
    for group in ("Black", "Mixed", "Asian"):
        assert window.loc[group, "ratio"] == pytest.approx(shown.loc[group, "ratio"], rel=1e-9)
        assert window["events"].to_dict()[group] == shown["events"].to_dict()[group]
