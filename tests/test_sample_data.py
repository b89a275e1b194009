"""The sample-data package: the modelled population and the seeded extract with planted truths.

Census figures below are typed in by hand from sample_data/reference/ (TS007 via
census2021_children_0_17_and_10_17_by_norfolk_district.csv), not computed by the code under test.
The recovery checks use plain pandas and scipy.stats only.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics import schema
from sample_data import (
    AREA_NAMES,
    BAD_DATES,
    BOUNDARIES_DIR,
    PLANTED,
    PLANTED_SEED,
    POPULATION_COLUMNS,
    PROVEN_OUTCOMES,
    UNKNOWN_AREA_CODE,
    area_names,
    expected_rate_ratio,
    generate_extract,
    model_population,
    write_sample,
)

NORWICH = "E07000148"
START, END = "2023-01-01", "2026-10-31"
# Census 2021 TS007, children aged 0-17 per district (hand copied).
CENSUS_0_17 = {
    "E07000143": 26_446, "E07000144": 23_993, "E07000145": 19_176, "E07000146": 28_456,
    "E07000147": 15_762, "E07000148": 25_724, "E07000149": 27_851,
}


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    return generate_extract()


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return model_population()


@pytest.fixture(scope="module")
def valid(extract: pd.DataFrame) -> pd.DataFrame:
    """Rows a loader keeps: known area, a real ISO date, under 18; with the self-defined 5-group."""
    dates = pd.to_datetime(extract["recorded_date"], format="%Y-%m-%d", errors="coerce")
    rows = extract[extract["area_code"].isin(AREA_NAMES) & dates.notna() & (extract["age"] < 18)].copy()
    groups = {code: group for code, (_, group) in schema.SELF_DEFINED_ETHNICITY.items()}
    rows["group"] = rows["ethnicity_self"].map(groups)
    return rows


# --------------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------------
def test_population_shape_and_types(population):
    assert list(population.columns) == list(POPULATION_COLUMNS)
    assert len(population) == 7 * 5 * 4 * 2
    assert population["population"].dtype == np.int64
    assert (population["population"] >= 0).all()
    assert set(population["area_code"]) == set(AREA_NAMES)
    assert set(population["ethnic_group"]) == set(schema.ETHNIC_GROUPS)
    assert set(population["age_band"]) == set(schema.AGE_BANDS)
    assert set(population["sex"]) == {"F", "M"}
    assert (population["year"] == 2021).all()
    assert population["source"].str.contains("Modelled").all()
    assert population["source"].str.contains("not an official table").all()


def test_population_matches_census_child_totals(population):
    totals = population.groupby("area_code")["population"].sum().to_dict()
    assert totals == CENSUS_0_17
    # The districts add up to 167,408; Census publishes Norfolk's own total as 167,404 because ONS
    # perturbs every published cell independently, so areas do not add up exactly.
    assert sum(totals.values()) == 167_408
    norwich = population[population["area_code"] == NORWICH].groupby("age_band")["population"].sum()
    assert norwich["0-9"] == 14_530
    assert norwich[["10-13", "14-15", "16-17"]].sum() == 11_194
    assert norwich["16-17"] == 2_562


def test_norwich_has_the_highest_minority_share(population):
    minority = population.assign(m=population["population"].where(population["ethnic_group"] != "White", 0))
    share = minority.groupby("area_code")["m"].sum() / minority.groupby("area_code")["population"].sum()
    assert share.idxmax() == NORWICH
    assert 0.15 < share[NORWICH] < 0.25


def test_area_copies_for_benchmarks():
    population = model_population(3)
    assert len(population) == 3 * 280
    assert "X02000148" in set(population["area_code"]) and "X03000143" in set(population["area_code"])
    assert area_names(3)["X02000143"] == "Breckland (copy 2)"
    copy = population[population["area_code"] == "X03000148"]["population"].to_numpy()
    assert (copy == population[population["area_code"] == NORWICH]["population"].to_numpy()).all()


def test_reference_files_are_in_the_project():
    from sample_data import REFERENCE_DIR

    assert (REFERENCE_DIR / "SOURCES.md").exists()
    districts = json.loads((BOUNDARIES_DIR / "norfolk_districts.geojson").read_text())
    assert {f["properties"]["areacd"] for f in districts["features"]} == set(AREA_NAMES)


# --------------------------------------------------------------------------------------------
# Extract: contract, determinism, validity
# --------------------------------------------------------------------------------------------
def test_same_seed_same_frame_and_different_seed_differs():
    first, again = generate_extract(seed=7, n_records=4_000), generate_extract(seed=7, n_records=4_000)
    pd.testing.assert_frame_equal(first, again)
    other = generate_extract(seed=8, n_records=4_000)
    assert len(other) != len(first) or not first.equals(other)


def test_columns_exactly_the_contract(extract):
    assert list(extract.columns) == list(schema.ALL_COLUMNS)
    assert extract["age"].dtype == np.int64
    for column in schema.ALL_COLUMNS:
        if column != "age":
            assert pd.api.types.is_string_dtype(extract[column]), column
            assert not extract[column].isna().any(), column


def test_record_count_near_target(extract):
    assert abs(len(extract) - 25_000) < 0.03 * 25_000
    assert abs(len(generate_extract(seed=3, n_records=8_000)) - 8_000) < 0.05 * 8_000


def test_identifiers(extract):
    assert extract["record_id"].is_unique
    assert not extract.duplicated(["person_id", "crime_id", "role"]).any()
    assert extract["person_id"].str.fullmatch(r"P\d{8}").all()
    assert extract["crime_id"].str.fullmatch(r"C\d{8}").all()


def test_codes_are_valid(extract):
    assert set(extract["role"]) == set(schema.ROLES)
    assert set(extract["sex"]) <= set(schema.SEXES)
    assert set(extract["ethnicity_self"]) <= set(schema.SELF_DEFINED_ETHNICITY) | schema.SELF_NOT_STATED_CODES
    assert set(extract["ethnicity_officer"]) <= set(schema.OFFICER_DEFINED_ETHNICITY) | schema.OFFICER_UNKNOWN_CODES
    assert set(extract["offence_group"]) <= set(schema.OFFENCE_GROUPS)
    assert set(extract["outcome_code"]) <= set(schema.OUTCOME_CODES) | {schema.OPEN_OUTCOME}
    for marker in schema.RISK_MARKERS:
        assert set(extract[marker]) <= schema.TRUE_VALUES | schema.FALSE_VALUES
    assert (extract["offence_code"] == "").all()


def test_msoa_codes_belong_to_the_district(extract):
    features = json.loads((BOUNDARIES_DIR / "norfolk_msoa_2021.geojson").read_text())["features"]
    lad_of = {f["properties"]["MSOA21CD"]: f["properties"]["LAD_CD"] for f in features}
    given = extract[(extract["msoa_code"] != "") & (extract["area_code"] != UNKNOWN_AREA_CODE)]
    assert (given["msoa_code"].map(lad_of) == given["area_code"]).all()
    assert 0.02 < (extract["msoa_code"] == "").mean() < 0.10


def test_planted_invalid_rows_exactly(extract):
    assert (extract["area_code"] == UNKNOWN_AREA_CODE).sum() == PLANTED["rows_unknown_area"].value == 10
    assert set(extract["area_code"]) - set(AREA_NAMES) == {UNKNOWN_AREA_CODE}
    dates = pd.to_datetime(extract["recorded_date"], format="%Y-%m-%d", errors="coerce")
    assert sorted(extract.loc[dates.isna(), "recorded_date"]) == sorted(BAD_DATES)
    assert PLANTED["rows_bad_date"].value == 5
    assert (extract["age"] >= 18).sum() == (extract["age"] == 18).sum() == PLANTED["rows_aged_18"].value == 125


def test_dates_in_range(extract):
    dates = pd.to_datetime(extract["recorded_date"], format="%Y-%m-%d", errors="coerce").dropna()
    assert dates.min() >= pd.Timestamp(START) and dates.max() <= pd.Timestamp(END)
    closed = extract[extract["outcome_code"] != ""]
    assert ((extract["outcome_code"] == "") == (extract["outcome_date"] == "")).all()
    outcome = pd.to_datetime(closed["outcome_date"], format="%Y-%m-%d")
    recorded = pd.to_datetime(closed["recorded_date"], format="%Y-%m-%d", errors="coerce")
    assert (outcome <= pd.Timestamp(END)).all()
    assert (outcome[recorded.notna()] >= recorded.dropna()).all()


def test_generation_without_planted_rows():
    frame = generate_extract(seed=5, n_records=3_000, planted_rows=False)
    assert frame["area_code"].isin(AREA_NAMES).all() and (frame["age"] < 18).all()
    assert pd.to_datetime(frame["recorded_date"], format="%Y-%m-%d", errors="coerce").notna().all()


def test_write_sample(tmp_path):
    extract_path, population_path = write_sample(tmp_path, seed=2, n_records=2_000)
    read = pd.read_csv(extract_path, dtype=str, keep_default_na=False)
    assert list(read.columns) == list(schema.ALL_COLUMNS)
    assert list(pd.read_csv(population_path).columns) == list(POPULATION_COLUMNS)


# --------------------------------------------------------------------------------------------
# Realism
# --------------------------------------------------------------------------------------------
def test_offenders_are_suspects_with_a_proven_outcome(valid):
    offenders = valid[valid["role"] == "offender"]
    suspects = valid[valid["role"] == "suspect"].set_index(["person_id", "crime_id"])
    matched = suspects.loc[list(zip(offenders["person_id"], offenders["crime_id"], strict=True))]
    assert (matched["outcome_code"].to_numpy() == offenders["outcome_code"].to_numpy()).all()
    assert offenders["outcome_code"].isin(PROVEN_OUTCOMES).all()


def test_people_crimes_ages_and_sex_look_real(valid):
    rows = valid[valid["role"] != "offender"]
    per_child = rows.groupby("person_id").size()
    assert (per_child >= 3).sum() > 200 and (per_child == 1).mean() > 0.5
    roles = rows.groupby("person_id")["role"].nunique()
    assert (roles == 2).sum() > 100  # victims in one crime, suspects in another
    suspects_per_crime = rows[rows["role"] == "suspect"].groupby("crime_id").size()
    assert 0.2 < (suspects_per_crime > 1).mean() < 0.5
    ages = rows.groupby("role")["age"].mean()
    assert ages["victim"] < ages["suspect"]
    assert (rows.loc[rows["role"] == "suspect", "age"] < 10).mean() < 0.03
    assert (rows.loc[rows["role"] == "suspect", "sex"] == "M").mean() > 0.65


def test_ethnicity_recording_looks_real(valid):
    not_stated = valid["group"].isna().groupby(valid["role"]).mean()
    assert 0.25 < not_stated["suspect"] < 0.45 < not_stated["victim"] < 0.60
    by_year = valid["group"].isna().groupby(valid["recorded_date"].str[:4]).mean()
    assert by_year.is_monotonic_decreasing
    mixed = valid[valid["group"] == "Mixed"]["ethnicity_officer"].value_counts(normalize=True)
    assert mixed[["IC1", "IC3"]].sum() > 0.3  # no officer code for Mixed
    stated = valid[valid["group"].notna() & valid["ethnicity_officer"].isin(schema.OFFICER_DEFINED_ETHNICITY)]
    officer_group = stated["ethnicity_officer"].map(lambda c: schema.OFFICER_DEFINED_ETHNICITY[c][1])
    assert 0.85 < (officer_group == stated["group"]).mean() < 0.99


def test_outcomes_and_markers_look_real(valid):
    suspects = valid[valid["role"] == "suspect"]
    open_share = (suspects["outcome_code"] == "").groupby(suspects["recorded_date"].str[:4]).mean()
    assert open_share["2026"] > 0.15 > 0.03 > open_share["2023"]
    closed = suspects[suspects["outcome_code"] != ""]
    charged = (closed["outcome_code"] == "1").groupby(closed["offence_group"]).mean()
    assert charged["Robbery"] > charged["Theft"]
    lines = valid[valid["county_lines"] == "true"]
    assert (lines["offence_group"] == "Drug offences").mean() > 0.4
    assert (lines["cce"] == "true").mean() > 0.4
    knives = valid[valid["knife_crime"] == "true"]["offence_group"]
    assert knives.isin(["Possession of weapons", "Robbery", "Violence with injury"]).mean() > 0.7
    assert (valid[valid["cse"] == "true"]["offence_group"] == "Sexual offences").mean() > 0.7


# --------------------------------------------------------------------------------------------
# Planted truths: recovered with self-defined ethnicity, pandas and scipy only
# --------------------------------------------------------------------------------------------
def _rate_ratio_interval(a: int, pop_a: int, b: int, pop_b: int, level: float = 0.95) -> tuple[float, float]:
    """Exact conditional interval for a rate ratio: Clopper-Pearson on a/(a+b), transformed."""
    ci = stats.binomtest(a, a + b).proportion_ci(confidence_level=level, method="exact")
    to_ratio = lambda p: p / (1 - p) * pop_b / pop_a  # noqa: E731
    return to_ratio(ci.low), to_ratio(ci.high)


def test_planted_values_are_consistent():
    assert PLANTED["suspect_rr_black_white_norwich"].value == 3.0
    assert expected_rate_ratio("suspect", "Black", (NORWICH,)) == pytest.approx(3.0, rel=1e-12)
    assert expected_rate_ratio("suspect", "Black", ("E07000145",)) == pytest.approx(2.0, rel=1e-12)
    assert expected_rate_ratio("victim", "Asian", (NORWICH,)) == pytest.approx(1.0, rel=1e-12)
    trend = PLANTED["norwich_suspect_rr_black_white_trend"].value
    days = [670, 365, 365]  # Jan 2023-Oct 2024, then two 12-month periods
    assert sum(r * d for r, d in zip(trend.values(), days, strict=True)) / sum(days) == pytest.approx(3.0, abs=1e-4)
    assert PLANTED["outcome22_rr_black_white"].value == pytest.approx(
        PLANTED["outcome22_share"].value["Black"] / PLANTED["outcome22_share"].value["White"])


def test_norwich_black_white_suspect_ratio_is_recovered(valid, population):
    norwich = valid[(valid["area_code"] == NORWICH) & (valid["role"] == "suspect") & valid["group"].notna()]
    children = norwich.drop_duplicates("person_id").groupby("group").size()
    pop = population[population["area_code"] == NORWICH].groupby("ethnic_group")["population"].sum()
    low, high = _rate_ratio_interval(children["Black"], pop["Black"], children["White"], pop["White"])
    assert low < PLANTED["suspect_rr_black_white_norwich"].value < high
    assert high / low < 2.5  # the interval is informative, not loosened


def test_asian_white_victim_null_is_not_flagged(valid, population):
    victims = valid[(valid["role"] == "victim") & valid["group"].notna()]
    children = victims.drop_duplicates("person_id").groupby("group").size()
    pop = population.groupby("ethnic_group")["population"].sum()
    low, high = _rate_ratio_interval(children["Asian"], pop["Asian"], children["White"], pop["White"])
    assert low < 1.0 < high


def test_outcome_22_risk_ratio_is_recovered(valid):
    concluded = (valid["role"] == "suspect") & (valid["outcome_code"] != "")
    closed = valid[concluded & valid["group"].isin(["Black", "White"])]
    is_22 = (closed["outcome_code"] == "22").groupby(closed["group"]).agg(["sum", "size"])
    result = stats.contingency.relative_risk(
        int(is_22.loc["Black", "sum"]), int(is_22.loc["Black", "size"]),
        int(is_22.loc["White", "sum"]), int(is_22.loc["White", "size"]),
    )
    ci = result.confidence_interval(confidence_level=0.95)
    assert ci.low < PLANTED["outcome22_rr_black_white"].value < ci.high
    white_share = is_22.loc["White", "sum"] / is_22.loc["White", "size"]
    low, high = stats.binomtest(int(is_22.loc["White", "sum"]), int(is_22.loc["White", "size"])).proportion_ci()
    assert low < PLANTED["outcome22_share"].value["White"] < high and 0.15 < white_share < 0.25


def test_default_seed():
    assert PLANTED_SEED == 20261130
