"""The statistics recover the disparities planted in the sample data (issue 3).

Truths come from the generator (``sample_data.generator.PLANTED`` and ``expected_rate_ratio``, the exact
expected crude ratio over a set of districts); they hold for self-defined ethnicity. Each must lie inside
its 95 % interval at the documented seed. The last test recomputes the command line's table from the raw
CSV with pandas and scipy alone.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats as sps

from analytics import disparity
from analytics.filters import Filters
from sample_data.generator import PLANTED, expected_rate_ratio

NORWICH = "E07000148"
OTHER_DISTRICTS = ("E07000143", "E07000144", "E07000145", "E07000146", "E07000147", "E07000149")
SELF_ONLY = Filters(ethnicity_source="self_only")
PROJECT = Path(__file__).resolve().parents[1]


def _ratio_row(store, filters, group):
    return disparity.population_rates(store, filters).table.set_index("group").loc[group]


def _assert_inside(row, truth):
    assert row["ratio_lower"] <= truth <= row["ratio_upper"], (
        truth, row["ratio"], row["ratio_lower"], row["ratio_upper"])


def test_black_white_suspect_ratio_in_norwich(sample_store):
    truth = PLANTED["suspect_rr_black_white_norwich"].value
    assert truth == 3.0
    _assert_inside(_ratio_row(sample_store, SELF_ONLY.replace(roles=("suspect",), areas=(NORWICH,)), "Black"), truth)


def test_black_white_suspect_ratio_elsewhere(sample_store):
    assert PLANTED["suspect_rr_black_white_other_districts"].value == 2.0
    truth = expected_rate_ratio("suspect", "Black", OTHER_DISTRICTS)  # 2.0 in each; pooled crude ~1.99
    suspects_elsewhere = SELF_ONLY.replace(roles=("suspect",), areas=OTHER_DISTRICTS)
    _assert_inside(_ratio_row(sample_store, suspects_elsewhere, "Black"), truth)


COUNTY_WIDE = [("suspect", "Mixed"), ("suspect", "Asian"), ("suspect", "Other"), ("suspect", "Black"),
               ("victim", "Black"), ("victim", "Asian"), ("victim", "Mixed"), ("victim", "Other")]
DEFAULT = Filters()  # ethnicity from all the evidence (the concordance reallocation)


def _covers(row, truth) -> bool:
    """The truth inside the row's unadjusted 95 % interval (one comparison's own interval)."""
    return bool(row["ratio_lower_unadjusted"] <= truth <= row["ratio_upper_unadjusted"])


@pytest.mark.parametrize(("role", "group"), COUNTY_WIDE)
def test_county_wide_ratios(sample_store, role, group):
    truth = expected_rate_ratio(role, group)
    _assert_inside(_ratio_row(sample_store, SELF_ONLY.replace(roles=(role,)), group), truth)


@pytest.mark.parametrize(("role", "group"), COUNTY_WIDE)
def test_county_wide_ratios_under_the_default_estimate(sample_store, role, group):
    assert DEFAULT.ethnicity_source == "concordance"
    truth = expected_rate_ratio(role, group)
    row = _ratio_row(sample_store, DEFAULT.replace(roles=(role,)), group)
    assert _covers(row, truth), (truth, row["ratio"], row["ratio_lower_unadjusted"], row["ratio_upper_unadjusted"])


def test_norwich_and_elsewhere_under_the_default_estimate(sample_store):
    norwich = _ratio_row(sample_store, DEFAULT.replace(roles=("suspect",), areas=(NORWICH,)), "Black")
    assert _covers(norwich, PLANTED["suspect_rr_black_white_norwich"].value)
    elsewhere = _ratio_row(sample_store, DEFAULT.replace(roles=("suspect",), areas=OTHER_DISTRICTS), "Black")
    assert _covers(elsewhere, expected_rate_ratio("suspect", "Black", OTHER_DISTRICTS))


def _misses(store, source: str) -> set[tuple[str, str]]:
    missed = set()
    for role, group in COUNTY_WIDE:
        row = _ratio_row(store, DEFAULT.replace(roles=(role,), ethnicity_source=source), group)
        if not (pd.notna(row["ratio"]) and _covers(row, expected_rate_ratio(role, group))):
            missed.add((role, group))
    return missed


def test_the_sensitivity_sources_on_the_sample(sample_store):
    """Self-defined only recovers every truth here (recording does not depend on the group); the naive fallback
    misses the Mixed and Black suspects' and the Mixed victims' ratios (officer codes have no Mixed category);
    officer-defined only cannot estimate Mixed at all and misses Black."""
    assert _misses(sample_store, "self_only") == set()
    assert {("suspect", "Mixed"), ("suspect", "Black"), ("victim", "Mixed")} <= _misses(sample_store,
                                                                                         "self_then_officer")
    assert {("suspect", "Mixed"), ("victim", "Mixed"), ("suspect", "Black")} <= _misses(sample_store, "officer_only")


@pytest.fixture(scope="module")
def ic_gap_store(tmp_path_factory):
    """The sample with the planted officer-code-dependent recording gap (``sample_data.generator.IC_GAP``)."""
    from datetime import date

    from analytics.load import load_extract
    from analytics.store import Store
    from sample_data.generator import PLANTED_SEED, write_sample

    folder = tmp_path_factory.mktemp("ic_gap")
    extract, population = write_sample(folder, seed=PLANTED_SEED, ic_gap=True)
    database = folder / "monitor.duckdb"
    load_extract(extract, database, population=population, today=date(2026, 11, 30))
    return Store(database)


def test_the_default_recovers_the_truths_under_an_officer_code_recording_gap(ic_gap_store):
    assert _misses(ic_gap_store, "concordance") == set()


def test_both_naive_sources_fail_under_the_recording_gap(ic_gap_store):
    """Self-defined only loses the IC3-coded (Black, Mixed) children; the fallback turns not-stated Mixed children
    into White or Black ones: each misses the Black and Mixed suspects' ratios, which the default recovers."""
    for source in ("self_only", "self_then_officer"):
        assert {("suspect", "Black"), ("suspect", "Mixed")} <= _misses(ic_gap_store, source), source


def test_the_null_victim_ratio_is_not_significant(sample_store):
    assert PLANTED["victim_rr_asian_white"].value == 1.0
    row = _ratio_row(sample_store, SELF_ONLY.replace(roles=("victim",)), "Asian")
    assert row["verdict"] == "similar"


def test_outcome_22_ratio_crude_and_adjusted(sample_store):
    # the planted truth is a ratio of shares of *all* concluded suspect records (sample_data.generator), so it is
    # checked on the 'all' denominator (the default counts only outcomes where diversion was an option)
    truth = PLANTED["outcome22_rr_black_white"].value
    filters = SELF_ONLY.replace(roles=("suspect",))
    crude = disparity.decision_ratios(sample_store, filters, denominator="all").table.set_index("group").loc["Black"]
    _assert_inside(crude, truth)
    assert crude["verdict"] == ("lower" if truth < 1 else "higher")
    adjusted = disparity.adjusted_ratios(sample_store, filters, "outcome", ("offence_group", "age_band"),
                                         denominator="all")
    black = adjusted.set_index("group").loc["Black"]
    assert black["adjusted_lower"] <= truth <= black["adjusted_upper"]


def _effective(children: int, population: float, suspects: pd.DataFrame, group: str) -> tuple[float, float]:
    """The effective count x^2 / V and population scaled by x / V of a group's children, V = x + 2 * (pairs of the
    group's distinct children who share a crime: the co-offending variance, issue 13)."""
    links = suspects.loc[suspects["child_group"] == group, ["person_id", "crime_id"]].drop_duplicates()
    pairs = links.merge(links, on="crime_id")
    pairs = pairs[pairs["person_id_x"] < pairs["person_id_y"]][["person_id_x", "person_id_y"]].drop_duplicates()
    variance = children + 2 * len(pairs)
    return children * children / variance, population * children / variance


def test_cli_table_equals_a_computation_from_the_raw_csv(sample_db, sample_files):
    """Suspects in Norwich, distinct children, self-defined ethnicity: pandas + scipy from the CSV."""
    extract, population = sample_files
    raw = pd.read_csv(extract, dtype=str, keep_default_na=False)
    pop = pd.read_csv(population)
    valid = raw[
        raw["area_code"].isin(pop["area_code"])
        & pd.to_datetime(raw["recorded_date"], format="%Y-%m-%d", errors="coerce").notna()
        & (raw["age"].astype(int) < 18)
    ].copy()
    codes = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "O": "Other"}
    valid["group"] = valid["ethnicity_self"].map(lambda c: codes.get(c[:1]) if c not in ("", "NS") else None)
    stated = valid.dropna(subset=["group"]).sort_values(["recorded_date", "record_id"])
    person_group = stated.groupby("person_id")["group"].last()  # the latest stated code
    suspects = valid[(valid["role"] == "suspect") & (valid["area_code"] == NORWICH)].copy()
    suspects["child_group"] = suspects["person_id"].map(person_group).fillna("Not stated")
    children = suspects.drop_duplicates("person_id")["child_group"]
    events = children.value_counts()
    population_by_group = pop[pop["area_code"] == NORWICH].groupby("ethnic_group")["population"].sum()

    result = subprocess.run(
        [sys.executable, "-m", "analytics", "ratios", "--role", "suspect", "--area", NORWICH,
         "--ethnicity-source", "self_only", "--db", str(sample_db)],
        capture_output=True, text=True, cwd=PROJECT, check=True,
    )
    table = {row["group"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    white_events, white_pop = events.get("White", 0), population_by_group["White"]
    # per 1,000 children per year (issue 13): the whole months the CSV covers, days / 365.25
    dates = pd.to_datetime(valid["recorded_date"], format="%Y-%m-%d")
    first, last = dates.min().to_period("M"), dates.max().to_period("M")
    years = ((last.end_time.normalize() - first.start_time).days + 1) / 365.25
    assert round(years * 365.25) == 1400  # 1 January 2023 to 31 October 2026, 46 months
    for group in ("Asian", "Black", "Mixed", "Other"):
        row = table[group]
        a, t1 = events.get(group, 0), population_by_group[group]
        assert int(row["events"]) == a and int(row["denominator"]) == t1
        assert float(row["rate"]) == pytest.approx(1000 * a / t1 / years, rel=1e-5)
        assert float(row["ratio"]) == pytest.approx((a / t1) / (white_events / white_pop), rel=1e-5)
        # the exact conditional interval (Clopper-Pearson limits as beta quantiles) on the effective counts
        # x^2 / V over person-time scaled by x / V, V = x + 2 * (pairs of the group's children sharing a crime)
        ae, t1e = _effective(a, t1, suspects, group)
        be, t0e = _effective(white_events, white_pop, suspects, "White")
        low_share, high_share = sps.beta.ppf(0.025, ae, be + 1), sps.beta.ppf(0.975, ae + 1, be)
        low = low_share / (1 - low_share) * t0e / t1e
        high = high_share / (1 - high_share) * t0e / t1e
        assert float(row["ratio_lower_unadjusted"]) == pytest.approx(low, rel=1e-4)
        assert float(row["ratio_upper_unadjusted"]) == pytest.approx(high, rel=1e-4)
    assert int(table["Not stated"]["events"]) == events.get("Not stated", 0)
