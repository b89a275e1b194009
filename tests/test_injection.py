"""Injection (issue 6, part 3): every filter value is data, never SQL; exports hold no live formula.

Hostile strings (SQL injection, quotes, unicode direction marks, emoji, combining characters, NULs, 100 kB)
are pushed through the three ways a value gets in: the command line (in-process through
``analytics.cli.main.main``, and a subset as a real process), the URL query string and the sidebar's
session state (``streamlit.testing`` AppTest). Each must be refused with a one-line message (exit 2) or
ignored with a visible warning, with the database unchanged and still queryable. ``records_where`` and
``search_where`` are checked to put every value in the parameters and only fixed names in the SQL. The
number of injection strings tried is printed at the end of the module.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from analytics import exports, schema
from analytics import store as store_module
from analytics.filters import OPEN_OUTCOME_TOKEN, Filters
from analytics.store import Store, records_where
from tests.conftest import report_line
from tests.guards import HANG_GUARD_S, STEP_GUARD_S

PROJECT = Path(__file__).resolve().parents[1]
ENTRY = PROJECT / "dashboard.py"
TRIED: Counter = Counter()

INJECTIONS: list[str] = [
    "E07000148'; DROP TABLE records; --",
    "' OR '1'='1",
    '" OR ""="',
    "1; DELETE FROM records WHERE TRUE",
    "Robbery') OR TRUE --",
    "x' UNION SELECT person_id FROM records --",
    "'); ATTACH '/tmp/injected.duckdb' AS x; --",
    "'; COPY records TO '/tmp/leak.csv'; --",
    "$area_code_list",
    "?",
    "%s%s%s",
    "{0}",
    "\\'; --",
    "`records`",
    "E07000148\u200f",  # right-to-left mark
    "\u202eE07000148",  # right-to-left override
    "White\u200b",  # zero-width space
    "Robbe\u0301ry",  # combining accent
    "🙂🔪",
    "Ｅ０７０００１４８",  # noqa: RUF001 - full-width on purpose
    "White\x00",  # NUL
    "a\nb",
    "\r\n=cmd|' /C calc'!A0",
    "=1+2",
    "@SUM(A1)",
    "E07000148,E07000149'--",
    "A" * 100_000,
]


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    yield
    if TRIED:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items()))
        report_line(request, f"injection: {len(INJECTIONS)} distinct strings; tried {sum(TRIED.values())} "
                             f"times ({parts})")


def fingerprint(database: Path) -> tuple[str, str]:
    return os.readlink(database), hashlib.sha256(database.resolve(strict=True).read_bytes()).hexdigest()


def record_count(database: Path) -> int:
    store = Store(database)
    try:
        return store.record_count(Filters())
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# The WHERE clauses: values only in the parameters, names only from the fixed lists
# --------------------------------------------------------------------------------------------
def _tokens(sql: str) -> set[str]:
    return set(re.findall(r"\$?\w+|'[^']*'|[^\s\w]", sql))


#: Every token the WHERE clause may contain besides its own ``$parameter`` names.
FIXED_TOKENS = (
    _tokens(" ".join(store_module.GROUP_EXPRESSIONS.values()))
    | set(store_module.DIMENSION_COLUMNS.values()) | set(schema.RISK_MARKERS)
    | {"recorded_date", "outcome_code", "serious_youth_violence", "list_contains", "NOT", "AND", "TRUE", "(", ")",
       ",", ">", "<", "="}
)
HOSTILE = st_.one_of(st_.sampled_from(INJECTIONS[:-1]), st_.text(min_size=1, max_size=30))


@settings(max_examples=150, deadline=None)
@given(
    areas=st_.lists(HOSTILE, max_size=4),
    roles=st_.lists(st_.sampled_from(schema.ROLES), max_size=3),
    sexes=st_.lists(st_.sampled_from(tuple(schema.SEXES)), max_size=2),
    offences=st_.lists(st_.sampled_from(schema.OFFENCE_GROUPS), max_size=3),
    outcomes=st_.lists(st_.sampled_from((*schema.OUTCOME_CODES, OPEN_OUTCOME_TOKEN)), max_size=3),
    groups=st_.lists(st_.sampled_from(schema.ETHNIC_GROUPS_WITH_NOT_STATED), max_size=3),
    source=st_.sampled_from(tuple(schema.ETHNICITY_SOURCES)),
    marker=st_.sampled_from(("any", "only", "exclude")),
    dates=st_.tuples(st_.none() | st_.dates(), st_.none() | st_.dates()),
    syv=st_.booleans(),
)
def test_records_where_binds_every_value(areas, roles, sexes, offences, outcomes, groups, source, marker, dates,
                                         syv):
    start, end = sorted(dates, key=lambda d: d or date.min) if all(dates) else dates
    filters = Filters(date_from=start, date_to=end, areas=tuple(areas), roles=tuple(roles), sexes=tuple(sexes),
                      offence_groups=tuple(offences), outcome_codes=tuple(outcomes), ethnic_groups=tuple(groups),
                      ethnicity_source=source, knife_crime=marker, gangs=marker, serious_youth_violence_only=syv)
    where = records_where(filters)
    TRIED["records_where"] += len(areas)
    # the SQL text does not depend on the values, only on which slicers are set
    assert where.sql == records_where(filters.replace(areas=("E07000148",) if areas else ())).sql
    assert sorted(where.params.get("area_code_list", [])) == sorted(set(areas))
    bound = [v for value in where.params.values() for v in (value if isinstance(value, list) else [value])]
    for value in (*roles, *sexes, *offences, *groups, *[d for d in (start, end) if d]):
        assert value in bound, f"{value!r} is not a bound parameter"
    extra = _tokens(where.sql) - FIXED_TOKENS - {f"${name}" for name in where.params}
    assert not extra, f"tokens outside the fixed lists in the SQL: {extra} ({where.sql})"


@settings(max_examples=60, deadline=None)
@given(values=st_.lists(HOSTILE, min_size=1, max_size=3))
def test_search_where_binds_every_value(values):
    from analytics.searches import SearchFilters

    filters = SearchFilters(forces=tuple(values), objects=tuple(values), legislations=tuple(values),
                            areas=tuple(values))
    where = store_module.search_where(filters)
    TRIED["search_where"] += len(values)
    for value in values:
        holding = [v for v in where.params.values() if isinstance(v, list) and value in v]
        assert len(holding) == 4, f"{value!r} is not bound for each of its four slicers"
    fixed = _tokens(" ".join(store_module.SEARCH_LIST_FILTERS.values())) | {"list_contains", "AND", "(", ")", ","}
    extra = _tokens(where.sql) - fixed - {f"${name}" for name in where.params}
    assert not extra, f"tokens outside the fixed lists in the SQL: {extra} ({where.sql})"


def test_hostile_values_bound_to_the_real_database_return_nothing(sample_db):
    """Each string as a district, bound to DuckDB: no error, no match, database unchanged."""
    before = fingerprint(sample_db)
    store = Store(sample_db)
    total = record_count(sample_db)
    for value in INJECTIONS:
        TRIED["store"] += 1
        assert store.counts(Filters(areas=(value,)), ("role",)).empty
        assert store.records(Filters(areas=(value, "E07000148")), limit=1).shape[0] == 1
    store.close()
    assert fingerprint(sample_db) == before and record_count(sample_db) == total


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------
CLI_OPTIONS: list[tuple[list[str], str]] = [
    (["ratios", "--role", "suspect"], "--area"),
    (["ratios", "--role", "suspect"], "--offence-group"),
    (["ratios", "--role", "suspect"], "--ethnic-group"),
    (["ratios", "--role", "suspect"], "--outcome-filter"),
    (["ratios", "--role", "suspect"], "--from"),
    (["ratios", "--role", "suspect"], "--reference"),
    (["ratios", "--role", "suspect"], "--format"),
    (["ratios", "--role", "suspect", "--measure", "outcome"], "--outcome"),
    (["ratios", "--role", "suspect"], "--split"),
    (["ratios"], "--role"),
    (["quality"], "--area"),
    (["quality"], "--offence-group"),
    (["searches", "ratios"], "--force"),
    (["searches", "ratios"], "--object"),
    (["searches", "ratios"], "--legislation"),
    (["searches", "ratios"], "--area"),
    (["searches", "ratios"], "--age-range"),
    (["searches", "ratios"], "--type"),
    (["searches", "ratios"], "--from"),
]


def _check_refusal(what: str, code, out: str, err: str) -> None:
    assert code == 2, f"{what}: exit {code}; stdout {out[:300]!r}; stderr {err[:300]!r}"
    lines = err.splitlines()
    assert len(lines) == 1 and "error" in lines[0], f"{what}: stderr is not one line: {err[:500]!r}"
    assert "Traceback" not in err


@pytest.mark.parametrize(("command", "option"), CLI_OPTIONS, ids=[" ".join([*c, o]) for c, o in CLI_OPTIONS])
def test_command_line_refuses_hostile_values(sample_db, capsys, command, option):
    from analytics.cli.main import main

    before = fingerprint(sample_db)
    for value in INJECTIONS:
        argv = [*command, f"{option}={value}", "--db", str(sample_db)]
        TRIED["command line (in-process)"] += 1
        code: int | str | None
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        captured = capsys.readouterr()
        _check_refusal(f"{' '.join(command)} {option}={value[:40]!r}", code, captured.out, captured.err)
    assert fingerprint(sample_db) == before


def test_command_line_process_refuses_hostile_values(sample_db, tmp_path):
    """A subset as a user runs it: a separate process, so any traceback would reach stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["PYTHONPATH"] = str(PROJECT)
    before = fingerprint(sample_db)
    cases = [
        ["ratios", "--role", "suspect", "--area", INJECTIONS[0], "--offence-group", "Robbery') OR TRUE --"],
        ["searches", "ratios", "--force", "\u202egwent'; DROP TABLE searches; --", "--object", "🙂" * 1000],
    ]
    running = [subprocess.Popen([sys.executable, "-m", "analytics", *argv, "--db", str(sample_db)], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for argv in cases]
    for argv, process in zip(cases, running, strict=True):
        out, err = process.communicate(timeout=HANG_GUARD_S)
        TRIED["command line (process)"] += 1
        _check_refusal(" ".join(argv)[:80], process.returncode, out, err)
    assert fingerprint(sample_db) == before and record_count(sample_db) > 0


# --------------------------------------------------------------------------------------------
# The dashboard: the URL query string and the sidebar's state
# --------------------------------------------------------------------------------------------
URL_KEYS = ("role", "age", "sex", "group", "area", "offence", "outcome", "count", "reference", "ethnicity",
            "knife_crime", "cce", "cse", "county_lines", "gangs", "conf", "from", "to", "syv")


def _app(query: dict[str, str] | None = None, page: str | None = None):
    st = pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    at = AppTest.from_file(str(ENTRY), default_timeout=STEP_GUARD_S)
    if query:
        at.query_params.update(query)
    if page:
        at.switch_page(page)
    return at.run()


def _assert_clean(at, what: str) -> None:
    assert not at.exception, f"{what}: " + "; ".join(e.message for e in at.exception)
    assert not at.error, f"{what}: " + "; ".join(str(e.value) for e in at.error)


@pytest.mark.parametrize("offset", [0, 9, 18], ids=["strings-0", "strings-9", "strings-18"])
def test_url_query_string_values_are_ignored_with_a_warning(sample_db, offset):
    before = fingerprint(sample_db)
    strings = [INJECTIONS[(offset + i) % len(INJECTIONS)] for i in range(len(URL_KEYS))]
    query = dict(zip(URL_KEYS, strings, strict=True))
    query["syv"] = "1'; DROP TABLE records; --"  # anything but "1" means off
    at = _app(query)
    TRIED["URL query string"] += len(query)
    _assert_clean(at, f"hostile link {offset}")
    warnings = " ".join(str(w.value) for w in at.warning)
    assert "Ignored unknown link values" in warnings
    summary = " ".join(str(c.value) for c in at.caption if str(c.value).startswith("**Filters:**"))
    for value in strings:
        if len(value) > 3:
            assert value[:40] not in summary, f"{value[:40]!r} reached the filters"
    assert fingerprint(sample_db) == before and record_count(sample_db) > 0


def test_sidebar_state_with_hostile_values_is_ignored_with_a_warning(sample_db):
    from ui import state

    before = fingerprint(sample_db)
    at = _app()
    _assert_clean(at, "the Overview")
    values = at.session_state[state.STATE_KEY]
    for i, name in enumerate(state.LIST_FIELDS):
        values[name] = [INJECTIONS[i], INJECTIONS[i + 7]]
    values["counting_unit"] = INJECTIONS[20]
    values["reference_group"] = INJECTIONS[1]
    values["knife_crime"] = INJECTIONS[2]
    values["confidence"] = INJECTIONS[3]
    values["dates"] = (INJECTIONS[4], INJECTIONS[26])
    TRIED["sidebar state"] += 2 * len(state.LIST_FIELDS) + 6
    at.session_state[state.STATE_KEY] = values
    at.run()
    _assert_clean(at, "hostile sidebar state")
    assert any("Ignored unknown" in str(w.value) for w in at.warning), [str(w.value) for w in at.warning]
    summary = " ".join(str(c.value) for c in at.caption if str(c.value).startswith("**Filters:**"))
    assert "DROP" not in summary and "counting distinct children" in summary
    assert at.multiselect(key=state.widget_key("areas")).value == []
    # a widget given a value it does not offer: dropped from the state with a warning, before any query
    at.multiselect(key=state.widget_key("areas")).set_value([INJECTIONS[0], "E07000148"]).run()
    TRIED["sidebar state"] += 1
    _assert_clean(at, "a hostile value set on the district widget")
    assert any(INJECTIONS[0][:40] in str(w.value) for w in at.warning), [str(w.value) for w in at.warning]
    assert at.session_state[state.STATE_KEY]["areas"] == ["E07000148"]
    assert at.multiselect(key=state.widget_key("areas")).value == ["E07000148"]
    assert fingerprint(sample_db) == before and record_count(sample_db) > 0


# --------------------------------------------------------------------------------------------
# Exports: no live formula
# --------------------------------------------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_csv_bytes_neutralises_cells_names_and_notes():
    frame = pd.DataFrame({
        "=name": ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "plain", "'already"],
        "count": [1, -2, 3, -4, 5, 6, 7, 8],
        "rate": [-1.5, 0.25, -0.001, 2.0, 3.0, 4.0, 5.0, 6.0],
        "@col": ["a", "b", "c", "d", "e", "f", "g", "h"],
    })
    data = exports.csv_bytes(frame, notes=["=HYPERLINK(\"http://x\")", "-note", "plain note"])
    text = data.decode("utf-8-sig")
    lines = text.splitlines()
    notes = [line for line in lines if line.startswith("# ")]
    assert notes == ["# '=HYPERLINK(\"http://x\")", "# '-note", "# plain note"]
    back = pd.read_csv(io.StringIO(text), comment=None, skiprows=len(notes))
    assert list(back.columns) == ["'=name", "count", "rate", "'@col"]
    assert back["'=name"].tolist() == ["'=1+2", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx", "plain", "'already"]
    assert back["count"].tolist() == [1, -2, 3, -4, 5, 6, 7, 8], "negative numbers stay numbers"
    assert back["rate"].tolist() == pytest.approx([-1.5, 0.25, -0.001, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert pd.api.types.is_integer_dtype(back["count"]) and pd.api.types.is_float_dtype(back["rate"])
    for column in back.columns:
        assert not str(column).startswith(FORMULA_STARTS)
        if back[column].dtype == object:
            assert not any(str(v).startswith(FORMULA_STARTS) for v in back[column])


@settings(max_examples=200, deadline=None)
@given(cells=st_.lists(st_.text(max_size=12), min_size=1, max_size=8))
def test_csv_bytes_never_starts_a_text_cell_with_a_formula_character(cells):
    frame = pd.DataFrame({"value": cells, "n": range(len(cells))})
    TRIED["export cells"] += len(cells)
    back = pd.read_csv(io.BytesIO(exports.csv_bytes(frame)), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(back) == len(cells)
    for original, written in zip(cells, back["value"], strict=True):
        if original.startswith(FORMULA_STARTS):
            assert written == "'" + original.replace("\r\n", "\n") or written.startswith("'")
        assert not written.startswith(FORMULA_STARTS)


def test_records_page_download_holds_no_live_formula(tmp_path, monkeypatch):
    """A record whose values start with = + - @ is downloaded from the Records page as text."""
    st = pytest.importorskip("streamlit")
    from analytics.load import load_extract
    from tests.extracts import many_rows, row, write_extract, write_population

    hostile = row(record_id="=HYPERLINK(\"http://evil\",\"x\")", offence_code="=1+2", msoa_code="@SUM(A1)",
                  person_id="+cmd", crime_id="-2+3")
    extract = write_extract(tmp_path / "extract.csv", [*many_rows(4), hostile])
    database = tmp_path / "db" / "monitor.duckdb"
    load_extract(extract, database, population=write_population(tmp_path / "population.csv"), today=date(2026, 11, 30))
    monkeypatch.setenv("MONITOR_DB", str(database))
    from streamlit.delta_generator import DeltaGenerator

    offered = []  # what the page hands to the download button (bytes, or the function that makes them)
    original = DeltaGenerator.download_button

    def spy(self, label, data, *args, **kwargs):
        offered.append(data)
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    # st.download_button draws on the main area's DeltaGenerator, st._main
    monkeypatch.setattr(st, "download_button", lambda *a, **k: spy(st._main, *a, **k))  # noqa: SLF001
    st.cache_resource.clear()
    try:
        at = _app(page="pages/records.py")
        _assert_clean(at, "Records")
        if not offered:
            pytest.skip("no download is offered to this session's role")
        data = offered[0]() if callable(offered[0]) else offered[0]
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
    data = data if isinstance(data, bytes) else data.encode()
    text = data.decode("utf-8-sig")
    body = [line for line in text.splitlines() if not line.startswith("# ")]
    frame = pd.read_csv(io.StringIO("\n".join(body)), dtype=str, keep_default_na=False)
    assert "=1+2" in text and len(frame) == 5
    for column in frame.columns:
        for value in frame[column]:
            assert not value.startswith(FORMULA_STARTS), f"{column}: {value!r}"
    evil = frame[frame["offence_code"] == "'=1+2"]
    assert len(evil) == 1 and evil["record_id"].iloc[0] == "'=HYPERLINK(\"http://evil\",\"x\")"
