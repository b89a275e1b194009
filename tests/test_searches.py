"""Stop and search (issue 8): loading the real data.police.uk Gwent files, month replacement, file-level
refusals, carrying searches across the main load, point-in-polygon, and the measures against counts and
hand computations made independently from the raw CSVs (the csv module and pandas, not the loader)."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analytics import disparity, reference, schema, searches, stats
from analytics.cli.main import main
from analytics.filters import Filters
from analytics.load import LoadError, load_extract
from analytics.searches import SearchFilters
from analytics.store import SearchStore, Store
from tests.guards import STEP_GUARD_S
from tests.sql_support import query

ROOT = Path(__file__).resolve().parents[1]
GWENT = ROOT / "sample_data" / "police_uk_stop_search"
GWENT_FILES = sorted(GWENT.glob("*.csv"))
CROSSWALK = reference.SELF_DEFINED_CROSSWALK
TODAY = date(2026, 11, 30)
HEADER = ("Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
          "Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
          "Outcome linked to object of search,Removal of more than just outer clothing")
ALL_AGES = searches.AGE_RANGES


def raw_rows(files=GWENT_FILES) -> list[dict]:
    """Every data row of the files, read with the csv module (independent of the loader)."""
    rows = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows += [dict(r, _file=path.name) for r in csv.DictReader(handle)]
    return rows


def crosswalk() -> dict[str, str]:
    with CROSSWALK.open(encoding="utf-8", newline="") as handle:
        return {r["police_uk_self_defined_ethnicity_string"]: r["high_level_5"] for r in csv.DictReader(handle)}


def publication_state(database: Path) -> tuple[Path, str]:
    target = database.resolve()
    return target, Store(database).data_version()


@pytest.fixture(scope="module")
def gwent_db(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("searches") / "monitor.duckdb"
    result = searches.load_searches([GWENT], database, today=TODAY)
    assert result.reconciles()
    return database


@pytest.fixture(scope="module")
def sstore(gwent_db) -> SearchStore:
    return SearchStore(Store(gwent_db))


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------------------------
# Loading the real files
# --------------------------------------------------------------------------------------------
def test_every_row_of_the_gwent_files_is_accounted_for(gwent_db, sstore):
    raw = raw_rows()
    assert len(raw) == 1549
    loads = sstore.loads().set_index("source_file")
    per_file = Counter(r["_file"] for r in raw)
    assert dict(loads["rows_read"]) == dict(per_file)
    assert (loads["loaded"] + loads["rejected"] == loads["rows_read"]).all()
    loaded = query(sstore.path, "SELECT COUNT(*) AS n FROM searches")["n"].iloc[0]
    rejected = query(sstore.path, "SELECT COUNT(*) AS n FROM search_rejected_rows")["n"].iloc[0]
    assert loaded + rejected == len(raw)
    assert rejected == 0  # the real files are clean; the rejection reasons are tested on crafted files below
    assert sorted(loads["file_month"].astype(str)) == [f"2023-0{m}-01" for m in range(1, 7)]


def test_counts_by_age_range_and_ethnicity_equal_the_raw_csv(sstore):
    raw = raw_rows()
    expected = Counter((r["Age range"] or searches.NOT_RECORDED, r["Self-defined ethnicity"],
                        r["Officer-defined ethnicity"]) for r in raw)
    frame = query(sstore.path,
        "SELECT age_range, COALESCE(self_defined, '') AS s, COALESCE(officer_defined, '') AS o, COUNT(*) AS n "
        "FROM searches GROUP BY ALL")
    got = Counter({(a, s, o): int(n) for a, s, o, n in frame.itertuples(index=False)})
    assert got == expected
    # and the 5-group events of the children's rate table, mapped independently through the crosswalk
    mapping = crosswalk()
    groups: Counter[str] = Counter()
    for r in raw:
        if r["Age range"] == "10-17":
            stated = r["Self-defined ethnicity"]
            group = mapping.get(stated, "Not stated") if stated else "Not stated"
            groups[group] += 1
    events = searches.search_rates(sstore, SearchFilters()).table.set_index("group")["events"]
    assert {g: int(events[g]) for g in schema.ETHNIC_GROUPS_WITH_NOT_STATED} == {
        g: groups.get(g, 0) for g in schema.ETHNIC_GROUPS_WITH_NOT_STATED}
    assert sum(groups.values()) == 266


def test_rates_use_the_modelled_gwent_population_and_the_exact_ratio(sstore):
    shipped = pd.read_csv(searches.GWENT_POPULATION).set_index("ethnic_group")["population"]
    result = searches.search_rates(sstore, SearchFilters())
    table = result.table.set_index("group")
    black, white = table.loc["Black"], table.loc["White"]
    assert black["denominator"] == shipped["Black"] and white["denominator"] == shipped["White"]
    # per 1,000 children per year (issue 13): the files are whole months (Jan-Jun 2023: 181 days), years = days / 365.25
    file_months = sorted(date.fromisoformat(f.name[:7] + "-01") for f in GWENT_FILES)
    last = file_months[-1]
    days = (date(last.year + last.month // 12, last.month % 12 + 1, 1) - file_months[0]).days
    assert days == 181
    assert black["rate"] == pytest.approx(1000 * black["events"] / shipped["Black"] / (days / 365.25))
    assert black["unit"] == "per 1,000 children per year"
    assert result.period is not None and result.period.label == "January 2023 to June 2023, 6 months"
    events = table["events"]
    # issue 13 point 2: the counts are overdispersed; the interval is the exact conditional one on the effective
    # counts E / phi, phi the quasi-Poisson dispersion of the monthly counts by group, both recomputed here from the
    # raw files (month = the file's month) with numpy and scipy's beta quantiles
    mapping = crosswalk()
    monthly: Counter[tuple[str, str]] = Counter()
    for r in raw_rows():
        if r["Age range"] == "10-17":
            stated = r["Self-defined ethnicity"]
            monthly[(r["_file"][:7], mapping.get(stated, "Not stated") if stated else "Not stated")] += 1
    months = sorted({m for m, _ in monthly})
    chi2, df = 0.0, 0
    for group in {g for _, g in monthly}:
        y = np.array([monthly[(m, group)] for m in months], dtype=float)
        chi2, df = chi2 + float(((y - y.mean()) ** 2).sum() / y.mean()), df + len(months) - 1
    phi = max(1.0, chi2 / df)
    assert result.metadata()["dispersion"] == pytest.approx(phi)
    x, y = events["Black"] / phi, events["White"] / phi
    to_ratio = lambda p: p / (1 - p) * shipped["White"] / shipped["Black"]  # noqa: E731
    low, high = to_ratio(sps.beta.ppf(0.025, x, y + 1)), to_ratio(sps.beta.ppf(0.975, x + 1, y))
    assert black["ratio"] == pytest.approx((events["Black"] / shipped["Black"]) / (events["White"] / shipped["White"]))
    assert (black["ratio_lower_unadjusted"], black["ratio_upper_unadjusted"]) == pytest.approx((low, high), rel=1e-6)
    plain = stats.rate_ratio(int(events["Black"]), int(shipped["Black"]), int(events["White"]), int(shipped["White"]),
                             0.95, method="exact")
    assert phi == 1.0 or black["ratio_upper_unadjusted"] - black["ratio_lower_unadjusted"] > plain.upper - plain.lower
    assert "Modelled" in result.denominator_source
    assert list(result.csv_frame().columns) == list(disparity.COLUMNS)


def test_shipped_gwent_population_is_reproducible():
    shipped = pd.read_csv(searches.GWENT_POPULATION, keep_default_na=False)
    rebuilt = searches.model_force_population("Gwent")
    assert shipped["population"].tolist() == rebuilt["population"].tolist()
    assert shipped["ethnic_group"].tolist() == list(schema.ETHNIC_GROUPS)


def test_outcome_test_equals_a_hand_computation_for_one_month(sstore):
    raw = pd.read_csv(GWENT / "2023-04-gwent-stop-and-search.csv", dtype=str, keep_default_na=False)
    mapping = crosswalk()
    raw["group"] = [mapping.get(s, "Not stated") if s else "Not stated" for s in raw["Self-defined ethnicity"]]
    recorded = raw[raw["Outcome"] != ""]
    denominators = recorded.groupby("group").size()
    events = recorded[recorded["Outcome"] != "A no further action disposal"].groupby("group").size()
    no_outcome = raw[raw["Outcome"] == ""].groupby("group").size()
    assert events.sum() > 0, "the month chosen has searches leading to action"

    april = SearchFilters(date_from=date(2023, 4, 1), date_to=date(2023, 4, 30), age_ranges=())
    result = searches.find_rates(sstore, april)
    table = result.table.set_index("group")
    for group in schema.ETHNIC_GROUPS_WITH_NOT_STATED:
        assert table.loc[group, "events"] == events.get(group, 0), group
        assert table.loc[group, "denominator"] == denominators.get(group, 0), group
        if denominators.get(group, 0):
            share = stats.wilson_ci(int(events.get(group, 0)), int(denominators[group]), 0.95)
            assert table.loc[group, "rate"] == pytest.approx(100 * events.get(group, 0) / denominators[group])
            assert (table.loc[group, "rate_lower"], table.loc[group, "rate_upper"]) == pytest.approx(
                (100 * share.lower, 100 * share.upper))
        assert result.not_recorded["All"][group] == no_outcome.get(group, 0), group
    asian_method = table["method"]["Asian"]
    assert "Koopman" in asian_method or "not estimable" in asian_method


def test_weapons_share_counts_searches_with_an_object_recorded(sstore):
    raw = [r for r in raw_rows() if r["Age range"] == "10-17"]
    with_object = [r for r in raw if r["Object of search"]]
    weapons = [r for r in with_object if r["Object of search"] == "Offensive weapons"]
    result = searches.weapons_shares(sstore, SearchFilters())
    assert int(result.table["denominator"].sum()) == len(with_object)
    assert int(result.table["events"].sum()) == len(weapons)
    assert sum(result.not_recorded["All"].values()) == len(raw) - len(with_object)


def test_age_ranges_are_all_kept_and_under_10_is_separate(sstore):
    raw = Counter(r["Age range"] or searches.NOT_RECORDED for r in raw_rows())
    table = searches.age_range_counts(sstore, SearchFilters())
    assert dict(table["Total"]) == dict(raw)
    assert table.loc["under 10", "Total"] == 1


def test_agreement_with_no_officer_defined_ethnicity(sstore):
    result = searches.agreement(sstore, SearchFilters())
    assert result.both_stated == 0  # Gwent publishes no officer-defined ethnicity in these months
    assert int(result.crosstab.to_numpy().sum()) == 266


def test_split_by_month_sums_to_the_whole(sstore):
    whole = searches.search_rates(sstore, SearchFilters()).table
    monthly = searches.search_rates(sstore, SearchFilters(), split="month").table
    assert sorted(monthly["split"].unique()) == [f"2023-0{m}" for m in range(1, 7)]
    assert monthly["events"].sum() == whole["events"].sum()


# --------------------------------------------------------------------------------------------
# Month replacement
# --------------------------------------------------------------------------------------------
def test_a_month_loaded_twice_is_counted_once(tmp_path):
    database = tmp_path / "monitor.duckdb"
    searches.load_searches([GWENT_FILES[0], GWENT_FILES[1]], database, today=TODAY)
    again = searches.load_searches([GWENT_FILES[0]], database, today=TODAY)
    assert again.replaced_months == [("gwent", date(2023, 1, 1))]
    counts = query(database, "SELECT file_month, COUNT(*) AS n FROM searches GROUP BY ALL ORDER BY ALL")
    assert counts["n"].tolist() == [313, 261]
    assert len(query(database, "SELECT * FROM search_loads")) == 2
    # a corrected re-issue of the month replaces it rather than merging with it
    shorter = tmp_path / "2023-01-gwent-stop-and-search.csv"
    lines = GWENT_FILES[0].read_text(encoding="utf-8").splitlines(keepends=True)
    shorter.write_text("".join(lines[:101]), encoding="utf-8")
    searches.load_searches([shorter], database, today=TODAY)
    counts = query(database, "SELECT file_month, COUNT(*) AS n FROM searches GROUP BY ALL ORDER BY ALL")
    assert counts["n"].tolist() == [100, 261]


def test_two_files_for_the_same_month_are_refused(tmp_path):
    copy = tmp_path / "copy" / GWENT_FILES[0].name
    copy.parent.mkdir()
    shutil.copy(GWENT_FILES[0], copy)
    with pytest.raises(LoadError, match="also for gwent 2023-01"):
        searches.load_searches([GWENT_FILES[0], copy], tmp_path / "m.duckdb", today=TODAY)


# --------------------------------------------------------------------------------------------
# File-level refusals: exit 2, one line, database unchanged
# --------------------------------------------------------------------------------------------
def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    good = GWENT_FILES[0].read_text(encoding="utf-8")
    missing = folder / "2023-07-gwent-stop-and-search.csv"
    missing.write_text(good.replace("Object of search,", "Thing,", 1), encoding="utf-8")
    latin = folder / "2023-08-gwent-stop-and-search.csv"
    latin.write_bytes(good.encode("utf-8") + "Person search,2023-08-01T00:00:00+00:00,,,,,Male,18-24,Caf\u00e9,,,,,,\n"
                      .encode("latin-1"))
    empty = folder / "2023-09-gwent-stop-and-search.csv"
    empty.write_bytes(b"")
    header_only = folder / "2023-10-gwent-stop-and-search.csv"
    header_only.write_text(HEADER + "\n", encoding="utf-8")
    return {
        "missing column": (missing, "missing required column(s): Object of search"),
        "not UTF-8": (latin, "is not UTF-8 encoded"),
        "empty": (empty, "the file is empty"),
        "header only": (header_only, "has a header but no data rows"),
    }


def test_file_level_errors_exit_2_with_one_line_and_leave_the_database_unchanged(tmp_path, capsys):
    database = tmp_path / "monitor.duckdb"
    searches.load_searches([GWENT_FILES[0]], database, today=TODAY)
    before = publication_state(database)
    for label, (path, message) in _bad_files(tmp_path).items():
        # the bad file comes second, so a good file before it must not be published either
        code, _out, err = run_cli(["searches", "load", str(GWENT_FILES[1]), str(path), "--db", str(database)], capsys)
        assert code == 2, label
        assert err.count("\n") == 1 and err.startswith("error: ") and message in err, (label, err)
        assert path.name in err, label
        assert publication_state(database) == before, label
    assert query(database, "SELECT COUNT(*) AS n FROM searches")["n"].iloc[0] == 313


def test_no_force_in_the_file_name_needs_force(tmp_path, capsys):
    renamed = tmp_path / "searches.csv"
    shutil.copy(GWENT_FILES[0], renamed)
    code, _, err = run_cli(["searches", "load", str(renamed), "--db", str(tmp_path / "m.duckdb")], capsys)
    assert code == 2 and "--force" in err
    code, out, _ = run_cli(["searches", "load", str(renamed), "--force", "Gwent", "--db", str(tmp_path / "m.duckdb")],
                           capsys)
    assert code == 0 and "loaded 313" in out


# --------------------------------------------------------------------------------------------
# Row-level rejections, Norfolk districts by point in polygon
# --------------------------------------------------------------------------------------------
NORFOLK_ROWS = [
    # (expected reason or location, row)
    ("E07000148", "Person search,2023-03-04T10:00:00+00:00,,,52.6309,1.2974,Male,10-17,"
                  "Black/African/Caribbean/Black British - African,Black,Misuse of Drugs Act 1971 (section 23),"
                  "Controlled drugs,Arrest,True,False"),
    ("E07000145", "Person search,2023-03-05T10:00:00+00:00,,,52.6080,1.7280,Male,10-17,"
                  "White - English/Welsh/Scottish/Northern Irish/British,White,"
                  "Police and Criminal Evidence Act 1984 (section 1),Offensive weapons,A no further action disposal,,"),
    (searches.OUTSIDE_DISTRICTS, "Vehicle search,2023-03-06T10:00:00+00:00,,,53.2,2.6,,18-24,,,,,,,"),
    (searches.LOCATION_NOT_PUBLISHED, "Person search,2023-03-07T10:00:00+00:00,,,,,Female,under 10,,,,,,,"),
    ("Date is not a valid date and time", "Person search,07/03/2023,,,,,Male,10-17,,,,,,,"),
    ("Date missing", "Person search,,,,,,Male,10-17,,,,,,,"),
    ("Date is in the future", "Person search,2027-03-07T10:00:00+00:00,,,,,Male,10-17,,,,,,,"),
    ("only one of Latitude and Longitude given", "Person search,2023-03-07T10:00:00+00:00,,,52.6,,Male,10-17,,,,,,,"),
    ("Latitude or Longitude is not a number", "Person search,2023-03-07T10:00:00+00:00,,,north,1.2,Male,10-17,,,,,,,"),
    ("unknown Age range", "Person search,2023-03-07T10:00:00+00:00,,,,,Male,12,,,,,,,"),
    ("unknown Gender", "Person search,2023-03-07T10:00:00+00:00,,,,,M,10-17,,,,,,,"),
    ("unknown Self-defined ethnicity", "Person search,2023-03-07T10:00:00+00:00,,,,,Male,10-17,Martian,,,,,,"),
    ("unknown Officer-defined ethnicity", "Person search,2023-03-07T10:00:00+00:00,,,,,Male,10-17,,IC3,,,,,"),
    ("unknown Type", "Frisk,2023-03-07T10:00:00+00:00,,,,,Male,10-17,,,,,,,"),
    ("Outcome linked to object of search is not True or False",
     "Person search,2023-03-07T10:00:00+00:00,,,,,Male,10-17,,,,,Arrest,maybe,"),
    ("malformed line: fewer fields than the header", "Person search,2023-03-07T10:00:00+00:00,,"),
]


@pytest.fixture(scope="module")
def norfolk_db(sample_files, tmp_path_factory) -> tuple[Path, searches.SearchLoadResult]:
    """The sample crime records with a crafted Norfolk month of searches loaded on top."""
    folder = tmp_path_factory.mktemp("norfolk")
    database = folder / "monitor.duckdb"
    extract, population = sample_files
    load_extract(extract, database, population=population, today=TODAY)
    path = folder / "2023-03-norfolk-stop-and-search.csv"
    path.write_text(HEADER + "\n" + "\n".join(row for _, row in NORFOLK_ROWS) + "\n", encoding="utf-8")
    return database, searches.load_searches([path], database, today=TODAY)


def test_each_row_rule_rejects_with_its_reason(norfolk_db):
    database, result = norfolk_db
    assert result.rows_read == len(NORFOLK_ROWS) and result.reconciles()
    expected = Counter(reason for reason, _ in NORFOLK_ROWS[4:])
    assert result.files[0].rejections == expected
    stored = query(database, "SELECT reason, COUNT(*) AS n FROM search_rejected_rows GROUP BY ALL")
    assert dict(zip(stored["reason"], stored["n"], strict=True)) == dict(expected)
    assert "rejected: unknown Age range: 1" in result.report()


def test_norfolk_searches_are_placed_in_districts(norfolk_db):
    database, _ = norfolk_db
    frame = query(database, "SELECT COALESCE(area_code, location_status) AS place FROM searches ORDER BY date")
    assert frame["place"].tolist() == [expected for expected, _ in NORFOLK_ROWS[:4]]


def test_norfolk_rates_use_the_publications_population(norfolk_db):
    database, _ = norfolk_db
    store = Store(database)
    sstore = SearchStore(store)
    children = store.population_counts(
        Filters(age_bands=("10-13", "14-15", "16-17")))
    expected = dict(zip(children["ethnic_group"], children["population"], strict=True))
    table = searches.search_rates(sstore, SearchFilters()).table.set_index("group")
    assert table.loc["Black", "denominator"] == expected["Black"] and table.loc["Black", "events"] == 1
    by_area = searches.search_rates(sstore, SearchFilters(), split="area").table
    norwich = by_area[(by_area["split"] == "E07000148") & (by_area["group"] == "Black")].iloc[0]
    norwich_children = store.population_counts(
        Filters(areas=("E07000148",), age_bands=("10-13", "14-15", "16-17")))
    assert norwich["denominator"] == int(norwich_children.set_index("ethnic_group")["population"]["Black"])


# --------------------------------------------------------------------------------------------
# One published database: the main load keeps the searches, the searches load keeps the records
# --------------------------------------------------------------------------------------------
def test_the_main_load_keeps_the_searches_and_the_searches_load_keeps_the_records(sample_files, tmp_path):
    extract, population = sample_files
    database = tmp_path / "monitor.duckdb"
    load_extract(extract, database, population=population, today=TODAY)
    records = query(database, "SELECT COUNT(*) AS n, MAX(record_id) AS last FROM records").iloc[0]
    searches.load_searches([GWENT], database, today=TODAY)
    store = Store(database)
    after = query(store.path, "SELECT COUNT(*) AS n, MAX(record_id) AS last FROM records").iloc[0]
    assert (after["n"], after["last"]) == (records["n"], records["last"])
    version = store.data_version()
    load_extract(extract, database, today=TODAY)  # a new extract (here the same one) of crime records
    store = Store(database)
    assert store.data_version() != version
    assert query(store.path, "SELECT COUNT(*) AS n FROM searches")["n"].iloc[0] == 1549
    assert len(query(store.path, "SELECT * FROM search_population")) == 5
    assert query(store.path, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0] == records["n"]


def test_searches_alone_make_a_publication_the_store_can_read(gwent_db):
    store = Store(gwent_db)
    assert store.period() == (None, None)
    assert store.data_version()
    assert query(store.path, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0] == 0
    assert store.publication()["loaded"] == 0


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("measure", searches.MEASURES)
def test_ratios_command_prints_the_ratio_columns(gwent_db, measure, capsys):
    code, out, err = run_cli(["searches", "ratios", "--measure", measure, "--db", str(gwent_db)], capsys)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == list(disparity.COLUMNS)
    assert frame["group"].tolist() == list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)


def test_ratios_command_json_split_and_bad_input(gwent_db, capsys):
    code, out, _ = run_cli(["searches", "ratios", "--measure", "find", "--age-range", "10-17", "18-24",
                            "--from", "2023-02-01", "--to", "2023-03-31", "--split", "month", "--format", "json",
                            "--db", str(gwent_db)], capsys)
    assert code == 0
    document = pd.read_json(io.StringIO(out), typ="series")
    assert document["metadata"]["measure"] == "find" and "not_recorded" in document["metadata"]
    assert {row["split"] for row in document["rows"]} == {"2023-02", "2023-03"}
    code, _, err = run_cli(["searches", "ratios", "--measure", "rate", "--age-range", "18-24", "--db", str(gwent_db)],
                           capsys)
    assert code == 2 and "10-17" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_info:  # argparse refuses it before any handler runs
        main(["searches", "ratios", "--age-range", "old", "--db", str(gwent_db)])
    assert exit_info.value.code == 2 and "unknown age range 'old'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------
def test_stop_search_page_renders_the_gwent_searches(norfolk_db, tmp_path):
    """The page, run headless on a database with crime records and two forces' searches."""
    st = pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    database, _ = norfolk_db
    searches.load_searches([GWENT], database, today=TODAY)
    previous = os.environ.get("MONITOR_DB")
    os.environ["MONITOR_DB"] = str(database)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)  # a hang guard per run
        at.switch_page("pages/stop_search.py")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert at.title[0].value == "Stop and search"
        assert any(m.label == "Searches, aged 10-17" for m in at.metric)
        at.multiselect(key="search_slicer_forces").set_value(["gwent"]).run()
        assert not at.exception, [e.message for e in at.exception]
        shown = [m.value for m in at.metric if m.label == "Searches, aged 10-17"]
        assert shown == ["266"]
    finally:
        if previous is None:
            os.environ.pop("MONITOR_DB", None)
        else:
            os.environ["MONITOR_DB"] = previous
        st.cache_data.clear()
        st.cache_resource.clear()
