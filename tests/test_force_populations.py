"""Issue 15 point 10: any force out of the box. The shipped modelled 10-17 population of every territorial
police force area of England and Wales, checked against a recomputation, a hand computation from the two
Census 2021 reference rows, the existing Gwent table, the data.police.uk force ids, and a load of the Gwent
sample files renamed as another force."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analytics import reference, schema, searches
from analytics.searches import SearchFilters
from analytics.store import SearchStore, Store

ROOT = Path(__file__).resolve().parents[1]
GWENT_FILES = sorted((ROOT / "sample_data" / "police_uk_stop_search").glob("*-gwent-stop-and-search.csv"))
TODAY = date(2026, 11, 30)
#: The force ids of data.police.uk's /api/forces list (England and Wales; written out here by hand,
#: independently of analytics.searches.POLICE_UK_FORCE_AREAS). "btp" has no resident population.
POLICE_UK_IDS = (
    "avon-and-somerset", "bedfordshire", "btp", "cambridgeshire", "cheshire", "city-of-london", "cleveland",
    "cumbria", "derbyshire", "devon-and-cornwall", "dorset", "durham", "dyfed-powys", "essex", "gloucestershire",
    "greater-manchester", "gwent", "hampshire", "hertfordshire", "humberside", "kent", "lancashire",
    "leicestershire", "lincolnshire", "merseyside", "metropolitan", "norfolk", "north-wales", "north-yorkshire",
    "northamptonshire", "northumbria", "nottinghamshire", "south-wales", "south-yorkshire", "staffordshire",
    "suffolk", "surrey", "sussex", "thames-valley", "warwickshire", "west-mercia", "west-midlands",
    "west-yorkshire", "wiltshire",
)


def shipped() -> pd.DataFrame:
    return pd.read_csv(reference.FORCE_AREA_CHILD_POPULATION, dtype={"area_code": str}, keep_default_na=False)


def test_shipped_table_equals_a_recomputation_from_the_reference_files():
    rebuilt = searches.model_all_force_populations()
    pd.testing.assert_frame_equal(shipped(), rebuilt.astype({"area_code": str}), check_dtype=False)


def test_norfolk_black_children_by_hand_from_the_two_reference_rows():
    # Norfolk 2021, Black or Black British, all ages: 8,376 (force-area table). England and Wales, Black:
    # 2,409,280 people of whom 209,992 aged 10-14 and 204,391 aged 15-19 (age-group table, both sexes).
    # 8,376 x (209,992 + 0.6 x 204,391) / 2,409,280 = 8,376 x 332,626.6 / 2,409,280 = 1,156.4 -> 1,156.
    table = shipped().set_index(["force", "ethnic_group"])["population"]
    assert table[("norfolk", "Black")] == 1156
    # and the same from the reference files (unmodified copies of ../shared/reference/), read with the csv module
    with reference.EW_POPULATION_BY_AGE.open(newline="") as handle:
        ew = [r for r in csv.DictReader(handle) if r["Self-defined ethnicity"] == "Black"]
    with reference.FORCE_AREA_POPULATION.open(newline="") as handle:
        norfolk = next(r for r in csv.DictReader(handle) if r["Police Force Area"] == "Norfolk"
                       and r["Census Year"] == "2021" and r["Self-defined ethnicity"] == "Black or Black British")
    count = lambda rows: sum(int(r["Population"].replace(",", "")) for r in rows)  # noqa: E731
    band = lambda age: count([r for r in ew if r["Age group"] == age])  # noqa: E731
    children = band("10-14") + 0.6 * band("15-19")
    assert round(int(norfolk["Population"].replace(",", "")) * children / count(ew)) == 1156


def test_gwent_rows_equal_the_existing_gwent_table():
    gwent = pd.read_csv(reference.GWENT_POPULATION, dtype={"area_code": str}, keep_default_na=False)
    table = shipped()
    rows = table[table["force"] == "gwent"].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, gwent, check_dtype=False)
    assert dict(zip(rows["ethnic_group"], rows["population"], strict=True)) == {
        "Asian": 2027, "Black": 634, "Mixed": 1685, "Other": 445, "White": 47318}


def test_every_territorial_police_uk_force_has_five_groups_and_btp_none():
    table = shipped()
    territorial = [f for f in POLICE_UK_IDS if f != "btp"]
    assert len(territorial) == 43
    assert sorted(set(table["force"])) == sorted(territorial)
    for force in territorial:
        rows = table[table["force"] == force]
        assert sorted(rows["ethnic_group"]) == sorted(schema.ETHNIC_GROUPS), force
        assert (rows["population"] > 0).all() and (rows["age_range"] == "10-17").all(), force
    # every force area of the Census table is used once (43 names, London's two forces separately)
    with reference.FORCE_AREA_POPULATION.open(newline="") as handle:
        names = {r["Police Force Area"] for r in csv.DictReader(handle) if r["Census Year"] == "2021"}
    assert sorted(names) == sorted(searches.POLICE_UK_FORCE_AREAS.values())
    assert "btp" in searches.NO_RESIDENT_POPULATION and "btp" not in searches.SHIPPED_POPULATIONS


def renamed(tmp_path: Path, force: str) -> Path:
    folder = tmp_path / force
    folder.mkdir()
    for path in GWENT_FILES:
        shutil.copy(path, folder / path.name.replace("-gwent-", f"-{force}-"))
    return folder


@pytest.mark.parametrize("force, name", [("kent", "Kent"), ("metropolitan", "Metropolitan Police")])
def test_another_force_loads_with_rates_from_its_modelled_population(tmp_path, force, name):
    database = tmp_path / "monitor.duckdb"
    result = searches.load_searches([renamed(tmp_path, force)], database, today=TODAY)
    assert result.reconciles()
    assert f"{force}: the shipped modelled 10-17 population" in result.population_note
    rates = searches.search_rates(SearchStore(Store(database)), SearchFilters())
    table = rates.table.set_index("group")
    modelled = shipped()
    expected = {str(g): int(n) for g, n in modelled.loc[modelled["force"] == force, ["ethnic_group", "population"]]
                .itertuples(index=False)}
    for group in schema.ETHNIC_GROUPS:
        assert table.loc[group, "denominator"] == expected[group], group
    black = table.loc["Black"]
    # per 1,000 children per year: the renamed Gwent files are January to June 2023, 181 days (tests/test_searches.py)
    assert black["rate"] == pytest.approx(1000 * black["events"] / expected["Black"] / (181 / 365.25))
    assert black["ratio"] > 0
    assert f"Modelled: {name} all-age population" in rates.denominator_source
    assert rates.metadata()["denominator_source"] == rates.denominator_source


def test_british_transport_police_loads_without_rates_and_says_why(tmp_path):
    database = tmp_path / "monitor.duckdb"
    result = searches.load_searches([renamed(tmp_path, "btp")], database, today=TODAY)
    assert "no resident population" in result.population_note
    rates = searches.search_rates(SearchStore(Store(database)), SearchFilters())
    assert rates.table.set_index("group").loc[list(schema.ETHNIC_GROUPS), "rate"].isna().all()
    assert rates.denominator_source == "no population table for this force"


def test_norfolk_searches_with_no_publication_use_the_modelled_norfolk_rows(tmp_path):
    database = tmp_path / "monitor.duckdb"
    searches.load_searches([renamed(tmp_path, "norfolk")], database, today=TODAY)
    rates = searches.search_rates(SearchStore(Store(database)), SearchFilters())
    table = rates.table.set_index("group")
    assert table.loc["Black", "denominator"] == 1156  # the hand computation above
    assert rates.denominator_source.startswith("Modelled: Norfolk all-age population")
