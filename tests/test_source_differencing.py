"""Cross-source differencing (issue 14): the scrutiny audience sees one ethnicity source, the default.

Two tables of one selection under different ethnicity sources subtract to the children the sources place
differently. Self-defined only minus the default (concordance) in the Not-stated row gives the children with an
officer-defined code only: both Not-stated cells hold the same children, so they carry the same cell key and the same
Cell Key Method noise, and the difference is exact. The attack is measured on a 100,000-record sample (the product's
generator with its documented seed) against the officer-only counts recomputed here by SQL: a perturbed store that
answers every source (as before the fix) gives them back; now every scrutiny surface (the perturbed store, the
controlled tables, the detailed view, the command line, the pack, the dashboard's link and sidebar) refuses any
source but the default, and analysts still choose every source.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import access, detailed, disparity, report, schema, suppression
from analytics.cli import main as commands
from analytics.filters import Filters
from analytics.store import Store
from tests.conftest import SAMPLE_TODAY
from tests.guards import STEP_GUARD_S
from tests.sql_support import query
from ui import state

ROOT = Path(__file__).resolve().parents[1]
OTHER_SOURCES = [s for s in schema.ETHNICITY_SOURCES if s != schema.DEFAULT_ETHNICITY_SOURCE]
LARGE_RECORDS = 100_000
#: Children counted in population rates (sex U or X are left out: README "Children of sex U or X").
OFFICER_ONLY_SQL = (
    "SELECT area_code AS area, COUNT(DISTINCT person_key) AS children FROM records "
    "WHERE role = $role AND recorded_date BETWEEN $start AND $end AND sex IN ('M', 'F') "
    "AND person_group_self IS NULL AND person_group_officer IS NOT NULL GROUP BY area_code"
)


@pytest.fixture(scope="module")
def large_db(tmp_path_factory) -> Path:
    """The sample generator's extract at 100,000 records, loaded."""
    from analytics.load import load_extract
    from sample_data.generator import PLANTED_SEED, write_sample

    folder = tmp_path_factory.mktemp("large")
    extract, population = write_sample(folder, seed=PLANTED_SEED, n_records=LARGE_RECORDS)
    result = load_extract(extract, folder / "monitor.duckdb", population=population, today=SAMPLE_TODAY)
    assert result.loaded >= 0.95 * LARGE_RECORDS
    return result.database


def answering_every_source(database: Path) -> Store:
    """A perturbed store as it was before the fix: Cell Key Method noise, any ethnicity source."""
    store = Store(database)
    store.perturbing = True
    return store


def shown_not_stated(store: Store, filters: Filters) -> pd.Series:
    """The Not-stated count each district shows to scrutiny (NaN for ``[c]``), through the controls the scrutiny
    table went through before the fix (``suppression.apply_to_ratio_table``, ``access.hide_split_totals``)."""
    result = disparity.population_rates(store, filters, split="area")
    table = access.hide_split_totals(suppression.apply_to_ratio_table(
        result.table, "scrutiny", reference_group=filters.reference_group, denominator_is_count=False))
    rows = table[table["group"] == schema.NOT_STATED].set_index("split")["events"]
    return pd.to_numeric(rows, errors="coerce")


def selections(store: Store) -> list[Filters]:
    """Each role over three 12-month windows and over each month of the last year, by district."""
    _, last = store.month_range()
    assert last is not None
    end = pd.Timestamp(last) + pd.offsets.MonthEnd(0)
    windows = [(end - pd.DateOffset(years=y + 1) + pd.Timedelta(days=1), end - pd.DateOffset(years=y))
               for y in range(3)]
    months = [(m, m + pd.offsets.MonthEnd(0)) for m in pd.date_range(end=end, periods=12, freq="MS")]
    return [Filters(roles=(role,), date_from=start.date(), date_to=stop.date())
            for role in schema.ROLES for start, stop in [*windows, *months]]


def cross_source_attack(store: Store, database: Path, chosen: list[Filters]) -> dict[str, int]:
    """Self-defined only minus the default, Not-stated rows, by district, against the exact officer-only counts."""
    tally = {"attempted": 0, "recovered": 0, "small attempted": 0, "small recovered": 0, "refused": 0}
    for filters in chosen:
        truth = query(database, OFFICER_ONLY_SQL, {"role": filters.roles[0], "start": filters.date_from,
                                                   "end": filters.date_to}).set_index("area")["children"]
        try:
            default = shown_not_stated(store, filters)
            self_only = shown_not_stated(store, filters.replace(ethnicity_source="self_only"))
        except PermissionError:
            tally["refused"] += 1
            continue
        guesses = self_only.sub(default)
        for area, children in truth.items():
            guess = guesses.get(area)
            if guess is None or pd.isna(guess):
                continue
            small = 1 <= children < schema.SUPPRESSION_THRESHOLD
            tally["attempted"] += 1
            tally["small attempted"] += small
            tally["recovered"] += int(guess == children)
            tally["small recovered"] += int(small and guess == children)
    return tally


@pytest.mark.slow
def test_the_cross_source_difference_is_refused_at_100000_records(large_db, capsys):
    """Before: the difference gives back most officer-only counts exactly, small ones included. Now: refused."""
    chosen = selections(Store(large_db))
    before = cross_source_attack(answering_every_source(large_db), large_db, chosen)
    after = cross_source_attack(Store(large_db).perturbed(), large_db, chosen)
    with capsys.disabled():
        print(f"\ncross-source differencing over {LARGE_RECORDS:,} records, {len(chosen)} selections by district: "
              f"before {before}; after {after}")
    assert before["attempted"] >= 100 and before["recovered"] >= 0.75 * before["attempted"]
    assert before["small recovered"] >= 1  # counts of 1-4 no table shows
    assert after == {"attempted": 0, "recovered": 0, "small attempted": 0, "small recovered": 0,
                     "refused": len(chosen)}


@pytest.mark.slow
def test_every_scrutiny_surface_refuses_another_source_at_100000_records(large_db, monkeypatch, tmp_path, capsys):
    cli = cli_environment(monkeypatch, tmp_path, large_db)
    for source in OTHER_SOURCES:
        assert_cli_refuses(source, cli, capsys, monkeypatch)
        with pytest.raises(access.AccessDenied, match="one ethnicity source only"):
            report.build_pack(Store(large_db), date(2026, 10, 1), "scrutiny", Filters(ethnicity_source=source))
    monkeypatch.delenv("MONITOR_ROLE")
    assert commands.main(["--as-role", "scrutiny", "ratios", "--role", "suspect", *cli]) == 0  # the default
    assert "Not stated" in capsys.readouterr().out


# --- every surface, on the shared sample ----------------------------------------------------------------------
def cli_environment(monkeypatch, tmp_path, database) -> list[str]:
    monkeypatch.chdir(tmp_path)  # no monitor.toml
    for name in ("MONITOR_ROLE", "MONITOR_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONITOR_AUDIT_DB", str(tmp_path / "audit.sqlite"))
    return ["--db", str(database)]


def assert_cli_refuses(source: str, cli: list[str], capsys, monkeypatch) -> None:
    """``ratios`` (by --as-role and by the configured role) and the scrutiny pack refuse ``source`` in one line."""
    monkeypatch.delenv("MONITOR_ROLE", raising=False)
    attempts = [["--as-role", "scrutiny", "ratios", "--role", "suspect", "--ethnicity-source", source],
                ["ratios", "--role", "offender", "--split", "area", "--ethnicity-source", source, "--as-role",
                 "scrutiny", "--format", "json"],
                ["report", "--month", "2026-10", "--audience", "scrutiny", "--ethnicity-source", source, "--no-pdf"]]
    for argv in attempts:
        assert commands.main([*argv, *cli]) == 2, argv
        captured = capsys.readouterr()
        assert not captured.out and captured.err.count("\n") == 1, captured.err
        assert captured.err.startswith("error: not allowed: ") and "one ethnicity source only" in captured.err
    monkeypatch.setenv("MONITOR_ROLE", "scrutiny")
    assert commands.main(["ratios", "--role", "victim", "--ethnicity-source", source, *cli]) == 2
    assert "one ethnicity source only" in capsys.readouterr().err


@pytest.mark.parametrize("source", OTHER_SOURCES)
def test_the_command_line_refuses_scrutiny_another_source(source, sample_db, monkeypatch, tmp_path, capsys):
    assert_cli_refuses(source, cli_environment(monkeypatch, tmp_path, sample_db), capsys, monkeypatch)


def test_analysts_choose_every_source_and_the_difference_is_the_officer_only_children(sample_db, monkeypatch,
                                                                                     tmp_path, capsys):
    """Exact counts (analyst): self-defined only minus the default, Not stated, is each district's officer-only
    children as counted by SQL; each source gives its own table."""
    cli = cli_environment(monkeypatch, tmp_path, sample_db)
    tables, events = {}, set()
    for source in schema.ETHNICITY_SOURCES:
        argv = ["ratios", "--role", "suspect", "--split", "area", "--from", "2025-11-01", "--to", "2026-10-31"]
        assert commands.main([*argv, "--ethnicity-source", source, *cli]) == 0
        frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
        events.add(tuple(frame.sort_values(["split", "group"])["events"].round(6)))
        tables[source] = frame[frame["group"] == schema.NOT_STATED].set_index("split")["events"]
    assert len(events) == len(schema.ETHNICITY_SOURCES)
    truth = query(sample_db, OFFICER_ONLY_SQL, {"role": "suspect", "start": date(2025, 11, 1),
                                                "end": date(2026, 10, 31)}).set_index("area")["children"]
    difference = (tables["self_only"] - tables[schema.DEFAULT_ETHNICITY_SOURCE]).round(9)
    assert difference.reindex(truth.index).tolist() == truth.tolist() and truth.min() > 0


def test_the_perturbed_store_answers_the_default_source_only(sample_store):
    from analytics.store.one_source import filtered_queries

    perturbed = sample_store.perturbed()
    names = filtered_queries(perturbed)
    assert {"event_counts", "ethnicity_units", "decision_counts", "counts", "monthly_and_rolling_counts",
            "outcome_mix", "self_officer_crosstab", "detailed_event_counts", "records"} <= set(names)
    for source in OTHER_SOURCES:
        for name in names:
            with pytest.raises(PermissionError, match="one source only"):
                getattr(perturbed, name)(Filters(ethnicity_source=source))
        exact = sample_store.event_counts(Filters(ethnicity_source=source))  # analysts: every source
        assert int(exact["events"].sum()) == int(query(sample_store.path, "SELECT COUNT(DISTINCT person_key) AS n "
                                                                           "FROM records")["n"].iloc[0])
    default = perturbed.event_counts(Filters())
    assert int(default["events"].sum()) > 0


def test_controlled_tables_refuse_scrutiny_another_source(sample_store):
    """A table under another source (made with exact counts) never passes disclosure control for scrutiny: the
    5-group table, and the detailed view against it; analysts and officers get it unchanged."""
    filters = Filters(roles=("suspect",), areas=("E07000148",))
    for source in OTHER_SOURCES:
        five = disparity.population_rates(sample_store, filters.replace(ethnicity_source=source))
        for role in (access.ANALYST, access.OFFICER):
            assert access.controlled_table(five, role) is five
        with pytest.raises(access.AccessDenied, match="one ethnicity source only"):
            access.controlled_table(five, access.SCRUTINY)
        rows = detailed.detailed_rates(sample_store, filters)
        assert rows is not None
        with pytest.raises(access.AccessDenied, match="one ethnicity source only"):
            access.controlled_detailed(rows, access.SCRUTINY, five)
        with pytest.raises(access.AccessDenied, match="one ethnicity source only"):
            access.controlled_detailed(dataclasses.replace(rows, filters=five.filters), access.SCRUTINY)


def test_the_pack_scrutiny_edition_is_under_the_default_source_only(sample_store):
    for source in OTHER_SOURCES:
        with pytest.raises(access.AccessDenied, match="one ethnicity source only"):
            report.build_data(sample_store, date(2026, 10, 1), "scrutiny", Filters(ethnicity_source=source))
        assert access.edition_source("scrutiny", source) == access.SCRUTINY_ETHNICITY_SOURCE
        assert access.edition_source("officers", source) == source


def test_a_link_or_a_session_cannot_switch_scrutiny_to_another_source():
    first, last = date(2022, 1, 1), date(2026, 10, 31)
    scrutiny, analyst = access.ethnicity_sources(access.SCRUTINY), access.ethnicity_sources(access.ANALYST)
    assert scrutiny == (schema.DEFAULT_ETHNICITY_SOURCE,) and set(analyst) == set(schema.ETHNICITY_SOURCES)
    for source in OTHER_SOURCES:
        values, ignored = state.from_query({"ethnicity": source}, first, last, (), scrutiny)
        assert values["ethnicity_source"] == schema.DEFAULT_ETHNICITY_SOURCE
        assert ignored == [f"ethnicity={source} (not open to this role)"]
        values, ignored = state.from_query({"ethnicity": source}, first, last, (), analyst)
        assert values["ethnicity_source"] == source and not ignored
        values["ethnicity_source"] = source  # a session's state set by other code
        assert state.sanitise(values, first, last, (), scrutiny) == [f"ethnicity={source}"]
        assert state.to_filters(values).ethnicity_source == schema.DEFAULT_ETHNICITY_SOURCE


# --- the dashboard ---------------------------------------------------------------------------------------------
def open_page(path: str, role: str, monkeypatch, params: dict) -> AppTest:
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", role)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)
    at.query_params.update(params)
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def source_boxes(at: AppTest) -> list:
    return [box for box in at.sidebar.selectbox if box.key == state.widget_key("ethnicity_source")]


def first_table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


@pytest.mark.usefixtures("app_data")
@pytest.mark.parametrize("extra", [{}, {"groups": "detailed"}])
def test_a_hostile_link_shows_scrutiny_the_default_source(monkeypatch, extra):
    """``?ethnicity=self_only`` (and the other sources) on the Disproportionality page, 5-group and detailed: scrutiny
    gets no choice, a note, and the very table of the plain link; an analyst gets the chosen source."""
    params = {"role": "suspect", **extra}
    plain = open_page("pages/disproportionality.py", access.SCRUTINY, monkeypatch, params)
    assert not source_boxes(plain)
    assert any("Scrutiny sees this one source only" in c.value for c in plain.sidebar.caption)
    for source in OTHER_SOURCES:
        hostile = open_page("pages/disproportionality.py", access.SCRUTINY, monkeypatch,
                            {**params, "ethnicity": source})
        assert not source_boxes(hostile)
        assert any(f"ethnicity={source} (not open to this role)" in w.value for w in hostile.warning)
        pd.testing.assert_frame_equal(first_table(hostile), first_table(plain))
        analyst = open_page("pages/disproportionality.py", access.ANALYST, monkeypatch,
                            {**params, "ethnicity": source})
        assert [box.value for box in source_boxes(analyst)] == [source]


@pytest.mark.usefixtures("app_data")
def test_the_pack_page_builds_the_scrutiny_edition_under_the_default_source(monkeypatch):
    """An analyst whose sidebar says self-defined only gets the officers' edition under it and the scrutiny edition
    under the default, told so; scrutiny's link cannot change it either."""
    analyst = open_page("pages/monthly_pack.py", access.ANALYST, monkeypatch,
                        {"ethnicity": "self_only", "audience": "scrutiny"})
    assert any("The scrutiny edition is under one ethnicity source" in i.value for i in analyst.info)
    officers = open_page("pages/monthly_pack.py", access.ANALYST, monkeypatch,
                         {"ethnicity": "self_only", "audience": "officers"})
    assert not any("The scrutiny edition is under one ethnicity source" in i.value for i in officers.info)
    scrutiny = open_page("pages/monthly_pack.py", access.SCRUTINY, monkeypatch, {"ethnicity": "officer_only"})
    assert not source_boxes(scrutiny) and not scrutiny.error
