"""The loader: every rejection reason with its exact message, reconciliation, file-level refusals,
pseudonymisation, and atomic publication (DESIGN.md section 3, issue 2)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.load import LoadError, fingerprint_and_check_text, load_extract, versions_dir
from analytics.load.pseudonymise import pseudonymise
from analytics.store import NoDataError, Store
from analytics.store.errors import CONNECTION_CONFIG
from tests import cli_batch
from tests.extracts import many_rows, row, write_extract, write_population
from tests.guards import HANG_GUARD_S
from tests.sql_support import query

TODAY = date(2026, 11, 30)
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def population(tmp_path: Path) -> Path:
    return write_population(tmp_path / "population.csv")


def load_rows(tmp_path: Path, population: Path, rows, **kwargs):
    extract = write_extract(tmp_path / "extract.csv", rows, **kwargs)
    return load_extract(extract, tmp_path / "db" / "monitor.duckdb", population=population, today=TODAY)


REJECTIONS = [
    (row(record_id=""), "record_id missing"),
    (row(person_id=""), "person_id missing"),
    (row(crime_id=""), "crime_id missing"),
    (row(role="witness"), "role is not victim, suspect or offender"),
    (row(recorded_date=""), "recorded_date missing"),
    (row(recorded_date="15/03/2024"), "recorded_date is not a valid YYYY-MM-DD date"),
    (row(recorded_date="2024-02-30"), "recorded_date is not a valid YYYY-MM-DD date"),
    (row(recorded_date="2026-12-01", outcome_date=""), "recorded_date is in the future"),
    (row(recorded_date="1989-12-31", outcome_date=""), "recorded_date is before 1990-01-01"),
    (row(age=""), "age missing"),
    (row(age="fifteen"), "age is not a whole number"),
    (row(age="-1"), "age is negative"),
    (row(sex="Q"), "unknown sex code"),
    (row(ethnicity_self="Z9"), "unknown self-defined ethnicity code"),
    (row(ethnicity_officer="IC8"), "unknown officer-defined ethnicity code"),
    (row(area_code=""), "area_code missing"),
    (row(area_code="E07000999"), "unknown area_code (not in the population table)"),
    (row(offence_group="Arson"), "unknown offence_group"),
    (row(outcome_code="23"), "unknown outcome_code"),
    (row(outcome_date="2024-13-01"), "outcome_date is not a valid YYYY-MM-DD date"),
    (row(outcome_date="2026-12-25"), "outcome_date is in the future"),
    (row(outcome_date="2024-03-01"), "outcome_date is before recorded_date"),
    (row(knife_crime="maybe"), "knife_crime is not true or false"),
    (row(cce="2"), "cce is not true or false"),
    (row(cse="unknown"), "cse is not true or false"),
    (row(county_lines="?"), "county_lines is not true or false"),
    (row(gangs="x"), "gangs is not true or false"),
]


@pytest.mark.parametrize(("bad", "reason"), REJECTIONS, ids=[r for _, r in REJECTIONS])
def test_each_rejection_reason_is_recorded_with_its_message(tmp_path, population, bad, reason):
    rows = [row(record_id="GOOD"), {**bad, "record_id": bad["record_id"] and "BAD"}]
    result = load_rows(tmp_path, population, rows)
    assert (result.rows_read, result.loaded, result.rejected, result.excluded) == (2, 1, 1, 0)
    rejected = Store(result.database).rejected_rows()
    assert rejected["reason"].tolist() == [reason]
    assert result.summary.query("kind == 'rejected'")["reason"].tolist() == [reason]


def test_duplicate_record_id_keeps_the_first_occurrence(tmp_path, population):
    rows = [row(record_id="A", person_id="first"), row(record_id="A", person_id="second"), row(record_id="B")]
    result = load_rows(tmp_path, population, rows)
    store = Store(result.database)
    assert query(store.path, "SELECT person_id FROM records WHERE record_id = 'A'")["person_id"].tolist() == ["first"]
    assert store.rejected_rows()["reason"].tolist() == ["duplicate record_id (first occurrence kept)"]
    assert store.rejected_rows()["person_id"].tolist() == ["second"]


def test_malformed_lines_are_rejected_with_their_file_line(tmp_path, population):
    extract = write_extract(tmp_path / "extract.csv", [row(record_id="A"), row(record_id="B")])
    with extract.open("a", encoding="utf-8") as handle:
        handle.write("C,P,C1,suspect\n")  # too few fields: line 4
        handle.write(",".join(["D"] * 25) + "\n")  # too many fields: line 5
    result = load_extract(extract, tmp_path / "monitor.duckdb", population=population, today=TODAY)
    assert (result.rows_read, result.loaded, result.rejected) == (4, 2, 2)
    rejected = Store(result.database).rejected_rows().sort_values("file_line")
    assert rejected["file_line"].tolist() == [4, 5]
    assert rejected["reason"].tolist() == [
        "malformed line: fewer fields than the header",
        "malformed line: more fields than the header",
    ]


def test_rows_aged_18_or_over_are_excluded_and_counted(tmp_path, population):
    rows = [row(record_id="A", age="17"), row(record_id="B", age="18"), row(record_id="C", age="40")]
    result = load_rows(tmp_path, population, rows)
    assert (result.loaded, result.rejected, result.excluded) == (1, 0, 2)
    assert "excluded: aged 18 or over at the offence: 2" in result.report()


def test_summary_reconciles_on_a_mixed_file(tmp_path, population):
    rows = many_rows(50) + [bad for bad, _ in REJECTIONS] + [row(record_id="adult", age="19")]
    rows = [{**r, "record_id": r["record_id"] or ""} for r in rows]
    result = load_rows(tmp_path, population, rows)
    assert result.rows_read == 50 + len(REJECTIONS) + 1
    assert result.loaded == 50
    assert result.rejected == len(REJECTIONS)
    assert result.excluded == 1
    assert result.reconciles()
    assert f"rows read {result.rows_read:,} = loaded 50 + rejected {len(REJECTIONS)} + excluded 1" in result.report()


def test_values_are_normalised_and_derived(tmp_path, population):
    rows = [
        row(record_id="A", role=" Suspect ", sex="m", ethnicity_self="b1", ethnicity_officer="", age="9",
            knife_crime="Yes", outcome_code="", outcome_date="", offence_group="Theft"),
        row(record_id="B", person_id="P2", ethnicity_self="NS", ethnicity_officer="IC3", age="16",
            offence_group="Robbery", knife_crime=""),
    ]
    result = load_rows(tmp_path, population, rows)
    records = query(result.database, "SELECT * FROM records ORDER BY record_id")
    first, second = records.iloc[0], records.iloc[1]
    assert (first.role, first.sex, first.ethnicity_self, first.ethnicity_officer) == ("suspect", "M", "B1", "IC9")
    assert (first.age_band, first.group_self) == ("0-9", "Black") and pd.isna(first.group_officer)
    assert bool(first.knife_crime) and bool(first.serious_youth_violence)  # knife crime makes it SYV
    assert (first.outcome_code, first.outcome_group) == ("", "Open")
    assert (second.age_band, second.group_officer) == ("16-17", "Black") and pd.isna(second.group_self)
    assert bool(second.serious_youth_violence) and not bool(second.knife_crime)  # robbery is SYV
    assert (second.outcome_group, str(second.month.date())) == ("Outcome 22", "2024-03-01")


def test_a_childs_group_is_their_latest_stated_code(tmp_path, population):
    rows = [
        row(record_id="A", person_id="P", recorded_date="2024-01-01", outcome_date="", ethnicity_self="W1"),
        row(record_id="B", person_id="P", recorded_date="2024-06-01", outcome_date="", ethnicity_self="M1"),
        row(record_id="C", person_id="P", recorded_date="2024-09-01", outcome_date="", ethnicity_self="NS"),
    ]
    result = load_rows(tmp_path, population, rows)
    groups = query(result.database, "SELECT DISTINCT person_group_self FROM records")
    assert groups["person_group_self"].tolist() == ["Mixed"]


# ---------------------------------------------------------------------------------------------
# File-level problems: nothing loaded, database unchanged, one line, exit 2
# ---------------------------------------------------------------------------------------------
def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args], capture_output=True, text=True, cwd=PROJECT,
        env={**os.environ, **(env or {})}, timeout=HANG_GUARD_S,  # a hang guard (tests/guards.py)
    )


@pytest.fixture()
def published(tmp_path, population) -> Path:
    """A database with one good publication, to check that refusals leave it untouched."""
    database = tmp_path / "monitor.duckdb"
    load_extract(write_extract(tmp_path / "good.csv", many_rows(20)), database, population=population, today=TODAY)
    return database


def _bytes(path: Path) -> bytes:
    """The bytes of the publication the database path points to, and which file that is."""
    return path.resolve().name.encode() + path.read_bytes()


FILE_PROBLEMS = {
    "empty": (lambda p: p.write_bytes(b""), "bad.csv: the file is empty"),
    "header only": (lambda p: p.write_text(",".join(row()) + "\n"), "bad.csv: has a header but no data rows"),
    "latin-1": (
        # the header line is 201 bytes with its newline; "caf\xe9" starts the next line, so \xe9 is at 201 + 3
        lambda p: p.write_bytes(
            (",".join(row()) + "\n" + ",".join(row(record_id="caf\xe9").values()) + "\n").encode("latin-1")),
        "bad.csv: is not UTF-8 encoded (invalid byte at position 204); save it as CSV UTF-8",
    ),
    "NUL byte": (
        lambda p: p.write_bytes(b"record_id\x00,x\n1,2\n"),
        "bad.csv: contains a NUL byte at position 9; it is not a text CSV file",
    ),
    "missing column": (
        lambda p: write_extract(p, [row()], columns=[c for c in row() if c != "area_code"]),
        "bad.csv: missing required column(s): area_code",
    ),
    "duplicate column": (
        lambda p: p.write_text(",".join([*row(), "Role"]) + "\n" + ",".join([*row().values(), "x"]) + "\n"),
        "bad.csv: the column 'role' appears more than once",
    ),
    "direct identifiers": (
        lambda p: p.write_text(
            ",".join([*row(), "Name", "Postcode"]) + "\n" + ",".join([*row().values(), "A", "B"]) + "\n"),
        "bad.csv: contains direct identifiers (name, postcode); remove them before loading",
    ),
    "raw ids without key": (
        lambda p: write_extract(p, [{**row(), "person_ref": "X1"}],
                                columns=["person_ref", *[c for c in row() if c != "person_id"]]),
        "bad.csv: has raw identifiers (person_ref) but no pseudonymisation key is configured "
        "(set MONITOR_PSEUDONYMISATION_KEY_FILE)",
    ),
    "both raw and pseudonymised ids": (
        lambda p: write_extract(p, [{**row(), "crime_ref": "X"}], columns=[*row(), "crime_ref"]),
        "bad.csv: has both crime_ref and crime_id; keep only one",
    ),
    "nothing valid": (
        lambda p: write_extract(p, [row(role="witness")]),
        "bad.csv: no row passed validation (1 rejected, 0 excluded); nothing was published",
    ),
}


@dataclass(frozen=True)
class Refusal:
    """One file problem run through the command line against a database of its own."""

    result: subprocess.CompletedProcess
    published: Path
    before: bytes


def refuse_each_problem(folders: pytest.TempPathFactory, cases: list[str], env: dict[str, str]) -> dict[str, Refusal]:
    """Each case's ``bad.csv`` loaded with ``python -m analytics load`` into its own freshly published database,
    the runs in one process (tests/cli_batch.py) with ``env``; the database's bytes taken before the runs."""
    prepared = {}
    for case in cases:
        folder = folders.mktemp("refusal")
        published = folder / "monitor.duckdb"
        load_extract(write_extract(folder / "good.csv", many_rows(20)), published,
                     population=write_population(folder / "population.csv"), today=TODAY)
        FILE_PROBLEMS[case][0](folder / "bad.csv")
        prepared[case] = (published, _bytes(published))
    results = cli_batch.run([["load", str(db.parent / "bad.csv"), "--db", str(db)] for db, _ in prepared.values()],
                            env=env)
    return {case: Refusal(result, published, before)
            for (case, (published, before)), result in zip(prepared.items(), results, strict=True)}


@pytest.fixture(scope="module")
def refusals_without_key(tmp_path_factory) -> dict[str, Refusal]:
    return refuse_each_problem(tmp_path_factory, list(FILE_PROBLEMS),
                               {"MONITOR_PSEUDONYMISATION_KEY": "", "MONITOR_PSEUDONYMISATION_KEY_FILE": ""})


@pytest.fixture(scope="module")
def refusals_in_the_child(tmp_path_factory) -> dict[str, Refusal]:
    return refuse_each_problem(tmp_path_factory, [c for c in FILE_PROBLEMS if c != "raw ids without key"],
                               {"MONITOR_PSEUDONYMISATION_KEY": RAW_KEY})


@pytest.mark.parametrize("case", list(FILE_PROBLEMS))
def test_file_level_problems_refuse_the_file_and_leave_the_database(refusals_without_key, case):
    message = FILE_PROBLEMS[case][1]
    refusal = refusals_without_key[case]
    result, published = refusal.result, refusal.published
    assert result.returncode == 2
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert _bytes(published) == refusal.before
    assert list(versions_dir(published).glob("building-*")) == []


@pytest.mark.parametrize("case", [c for c in FILE_PROBLEMS if c != "raw ids without key"])
def test_file_level_problems_read_in_the_child_process_give_the_same_one_line(refusals_in_the_child, case):
    """With a key configured the extract is read in a child process (``analytics.load.isolated``): each file
    problem is still the same one line, exit 2, and the published database is untouched."""
    message = FILE_PROBLEMS[case][1]
    refusal = refusals_in_the_child[case]
    result, published = refusal.result, refusal.published
    assert (result.returncode, result.stderr, result.stdout) == (2, f"error: {message}\n", "")
    assert _bytes(published) == refusal.before
    assert list(versions_dir(published).glob("building-*")) == []


def test_a_raw_extract_with_mixed_line_endings_loads_through_the_child(tmp_path, population, monkeypatch):
    """A CSV mixing CRLF and LF is normalised by the child process in a private folder outside the database
    folder: the 40 rows load as they do from the same file with LF only, with the same pseudonyms."""
    monkeypatch.setenv("MONITOR_PSEUDONYMISATION_KEY", RAW_KEY)
    crlf = _raw_rows_extract(tmp_path / "crlf.csv", [(f"P{i}", f"C{i}") for i in range(40)])  # csv's CRLF
    lines = crlf.read_bytes().split(b"\r\n")
    lf = tmp_path / "lf.csv"
    lf.write_bytes(b"\n".join(lines))
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines[:-1])))
    assert fingerprint_and_check_text(mixed).mixed_line_endings
    loaded = {}
    for name, extract in (("lf", lf), ("mixed", mixed)):
        database = tmp_path / name / "monitor.duckdb"
        result = load_extract(extract, database, population=population, today=TODAY)
        assert (result.loaded, result.rejected) == (40, 0)
        loaded[name] = query(database, "SELECT person_id, crime_id FROM records ORDER BY record_id")
        assert not any(p.name.startswith("monitor-extract-") for p in database.parent.rglob("*"))
    pd.testing.assert_frame_equal(loaded["lf"], loaded["mixed"])
    assert loaded["lf"]["person_id"].iloc[0] == pseudonymise(["P0"], RAW_KEY.encode())[0]


def test_missing_file_and_bad_population(tmp_path, published, population):
    bad_population = tmp_path / "pop.csv"
    pd.read_csv(population).iloc[:-1].to_csv(bad_population, index=False)
    good = write_extract(tmp_path / "good.csv", many_rows(3))
    missing, result = cli_batch.run([["load", str(tmp_path / "nope.csv"), "--db", str(published)],
                                     ["load", str(good), "--population", str(bad_population), "--db", str(published)]])
    assert (missing.returncode, missing.stderr) == (2, f"error: {tmp_path / 'nope.csv'}: file not found\n")
    assert result.returncode == 2
    assert result.stderr == ("error: pop.csv: area E07000149 has 39 population cells, expected 40 "
                             "(5 groups x 4 age bands x 2 sexes)\n")


def test_first_load_needs_a_population_table(tmp_path):
    extract = write_extract(tmp_path / "x.csv", many_rows(3))
    # the problem is the --db (nothing published there), not the extract (issue 14, defect 9)
    with pytest.raises(LoadError, match=r"^--db .*new\.duckdb: no population table yet \(nothing published there, "
                                        r"or its publication cannot be read\); pass --population FILE$"):
        load_extract(extract, tmp_path / "new.duckdb", today=TODAY)


def test_a_later_load_keeps_the_population_table(tmp_path, published):
    extract = write_extract(tmp_path / "again.csv", many_rows(7))
    result = load_extract(extract, published, today=TODAY)
    assert result.loaded == 7
    assert int(query(published, "SELECT SUM(population) AS n FROM population")["n"].iloc[0]) == 7 * 40 * 1000


# ---------------------------------------------------------------------------------------------
# Pseudonymisation
# ---------------------------------------------------------------------------------------------
def test_hmac_matches_the_rfc_4231_test_vector():
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert pseudonymise(["what do ya want for nothing?"], b"Jefe") == [expected[:32]]


def _load_with_refs(tmp_path: Path, population: Path, key: str, name: str) -> pd.DataFrame:
    columns = ["person_ref", "crime_ref", *[c for c in row() if c not in ("person_id", "crime_id")]]
    rows = [{**row(record_id=f"R{i}"), "person_ref": f"PNC/{i % 3}", "crime_ref": f"CR{i}"} for i in range(6)]
    extract = write_extract(tmp_path / f"{name}.csv", rows, columns=columns)
    database = tmp_path / f"{name}.duckdb"
    os.environ["MONITOR_PSEUDONYMISATION_KEY"] = key
    try:
        load_extract(extract, database, population=population, today=TODAY)
    finally:
        del os.environ["MONITOR_PSEUDONYMISATION_KEY"]
    raw = database.resolve().read_bytes()
    assert b"PNC/" not in raw and b"CR1" not in raw and key.encode() not in raw
    return query(database, "SELECT record_id, person_id, crime_id FROM records ORDER BY record_id")


def test_pseudonymisation_is_stable_for_a_key_and_differs_between_keys(tmp_path, population):
    first = _load_with_refs(tmp_path, population, "key-one-0123456789", "a")
    again = _load_with_refs(tmp_path, population, "key-one-0123456789", "b")
    other = _load_with_refs(tmp_path, population, "key-two-0123456789", "c")
    assert first.equals(again)
    assert first["person_id"].nunique() == 3  # PNC/0, PNC/1, PNC/2
    assert not set(first["person_id"]) & set(other["person_id"])
    assert first["person_id"].iloc[0] == pseudonymise(["PNC/0"], b"key-one-0123456789")[0]


# ---------------------------------------------------------------------------------------------
# Atomic publication
# ---------------------------------------------------------------------------------------------
def test_an_open_reader_keeps_its_publication_until_it_reconnects(tmp_path, published):
    reader = Store(published)
    old_version = reader.data_version()
    old_connection = reader._cursor()  # noqa: SLF001 - hold the old file open like a live dashboard
    load_extract(write_extract(tmp_path / "new.csv", many_rows(5)), published, today=TODAY)
    assert old_connection.execute("SELECT COUNT(*) FROM records").fetchall() == [(20,)]
    assert reader.data_version() != old_version  # the store noticed the new file and reconnected
    assert reader.record_count(Filters()) == 5


@pytest.mark.slow
def test_a_load_killed_at_random_points_leaves_a_whole_publication(tmp_path, published):
    """SIGKILL a load at random moments: the database is always one whole publication, the old one (killed
    before it published) or the new one (it finished first), never a mixture; most kills interrupt it."""
    big = write_extract(tmp_path / "big.csv", many_rows(200_000))
    started = time.monotonic()
    run_cli("load", str(big), "--db", str(tmp_path / "timing.duckdb"), "--population", str(tmp_path / "population.csv"))
    duration = time.monotonic() - started
    rng = random.Random(7)
    interrupted = 0
    for attempt in range(8):
        before = Store(published)
        old = (before.data_version(), int(query(before.path, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0]))
        before.close()
        process = subprocess.Popen(
            [sys.executable, "-m", "analytics", "load", str(big), "--db", str(published)], cwd=PROJECT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, duration * 0.8))
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = Store(published)
        now = (after.data_version(), int(query(after.path, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0]))
        after.close()
        assert now == old or (now[0] != old[0] and now[1] == 200_000), f"attempt {attempt}: {old} -> {now}"
        interrupted += now == old
    assert interrupted >= 4  # the kills really did land mid-load
    # the next load clears the half-built files of killed loads and publishes normally
    result = load_extract(write_extract(tmp_path / "after.csv", many_rows(9)), published, today=TODAY)
    assert result.loaded == 9
    assert list(versions_dir(published).glob("building-*")) == []


def test_analytics_never_imports_streamlit():
    offenders = [
        str(path.relative_to(PROJECT))
        for path in (PROJECT / "analytics").rglob("*.py")
        if any(
            line.strip().startswith(("import streamlit", "from streamlit"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []


def test_a_publication_from_an_earlier_version_is_refused_with_one_line(tmp_path):
    # before records.person_key: the dashboard and the commands say to load again, never a Binder error
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old), config=dict(CONNECTION_CONFIG))
    con.execute("CREATE TABLE records AS SELECT 'r1' AS record_id, 'p1' AS person_id")
    con.execute("CREATE TABLE publication AS SELECT 'v1' AS version")
    con.close()
    with pytest.raises(NoDataError, match="written by an earlier version of the monitor and must be loaded again"):
        Store(old).data_version()
    result = run_cli("info", "--db", str(old))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "earlier version" in result.stderr


# ---------------------------------------------------------------------------------------------
# Raw identifiers never reach the disk (issue 14, defect 4)
# ---------------------------------------------------------------------------------------------
RAW_KEY = "raw-scan-key-0123456789abcdef"
RAW_PATTERN = re.compile(rb"PNCREF/[0-9]{7}/X|CRIMEREF/[0-9]{7}")
RAW_PREFIXES = (b"PNCREF", b"CRIMEREF")


def write_raw_extract(path: Path, rows: int) -> tuple[Path, set[bytes]]:
    """``rows`` valid rows carrying raw ``person_ref``/``crime_ref`` values of a shape hex never takes, plus
    a malformed line (extra field) and an adult row with raw refs of their own."""
    columns = ["person_ref", "crime_ref", *[c for c in row() if c not in ("person_id", "crime_id")]]
    raw: set[bytes] = set()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        template = [row().get(c, "") for c in columns]
        for i in range(rows):
            person, crime = f"PNCREF/{i % 60_000:07d}/X", f"CRIMEREF/{i // 2:07d}"
            values = [person, crime, *template[2:]]
            values[columns.index("record_id")] = f"R{i}"
            if i == 7:
                values[columns.index("age")] = "19"  # excluded (adult)
            writer.writerow(values if i != 11 else [*values, "extra"])  # one malformed line
            raw.update((person.encode(), crime.encode()))
    return path, raw


def raw_values_under(folder: Path, raw: set[bytes]) -> dict[str, int]:
    """Every file under ``folder`` (published files, builds, WAL, spill directories) -> how many raw values,
    raw prefixes or key bytes it holds; only files with any are listed."""
    found: dict[str, int] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        data = path.read_bytes()
        hits = sum(1 for m in RAW_PATTERN.findall(data) if m in raw)
        hits += sum(data.count(prefix) for prefix in RAW_PREFIXES) + data.count(RAW_KEY.encode())
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


@pytest.mark.slow
def test_no_raw_identifier_reaches_any_file_under_the_database_folder(tmp_path, population):
    """A 100,000-row extract with raw references: after the load, and after a load killed mid-build (with a
    low memory cap, so DuckDB spills), no file under the database folder holds any raw value or the key."""
    rows = int(os.environ.get("MONITOR_RAW_SCAN_ROWS", "100000"))
    extract, raw = write_raw_extract(tmp_path / "raw.csv", rows)
    folder = tmp_path / "data"
    database = folder / "monitor.duckdb"
    env = {"MONITOR_PSEUDONYMISATION_KEY": RAW_KEY}
    result = run_cli("load", str(extract), "--db", str(database), "--population", str(population), env=env)
    assert result.returncode == 0, result.stderr
    assert query(database, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0] == rows - 2
    assert raw_values_under(folder, raw) == {}
    # a load killed while it builds (spilling under a 40 MB cap) leaves only files without raw values
    process = subprocess.Popen(
        [sys.executable, "-m", "analytics", "load", str(extract), "--db", str(database)], cwd=PROJECT,
        env={**os.environ, **env, "MONITOR_LOAD_MEMORY_LIMIT": os.environ.get("MONITOR_RAW_SCAN_LIMIT", "40MB")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + HANG_GUARD_S
    while process.poll() is None and time.monotonic() < deadline:
        builds = list(versions_dir(database).glob("building-*"))
        if any(p.is_file() and p.stat().st_size > 1 << 20 for p in builds):
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    leftovers = sorted(p.name for p in versions_dir(database).glob("building-*"))
    print(f"raw scan at {rows:,} rows; killed build left {leftovers}")
    assert leftovers, "the kill did not land during the build"
    assert raw_values_under(folder, raw) == {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert path.stat().st_mode & 0o077 == 0, path  # never readable by others


PROBE = PROJECT / "tests" / "raw_memory_probe.py"


def probe_memory_after(kind: str, *args: Path, env: dict[str, str]) -> dict:
    """Run ``tests/raw_memory_probe.py``: a load in its own process, then a search of that process's
    memory for raw identifiers."""
    result = subprocess.run([sys.executable, str(PROBE), kind, *map(str, args)], capture_output=True, text=True,
                            cwd=PROJECT, env={**os.environ, **env}, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("form", ["csv", pytest.param("parquet", marks=pytest.mark.slow)])
def test_the_publishing_process_never_holds_a_raw_identifier(tmp_path, population, form):
    """DuckDB writes the slack of its memory blocks into spill and database files as it finds it
    (duckdb/duckdb#23382): a raw value anywhere in the publishing process's heap can reach a file. With a
    key configured the extract is read and hashed in a child process, so after a 20,000-row load (CSV) or a
    5,000-row one (Parquet) the loading process's own memory holds no raw value. Before the child
    process, the same probe found raw values in the loader's memory; CI found one in a spill file. The Parquet
    probe runs in the slow tier."""
    extract, _ = write_raw_extract(tmp_path / "raw.csv", 20_000 if form == "csv" else 5_000)
    if form == "parquet":
        frame = pd.read_csv(extract, dtype=str, keep_default_na=False, on_bad_lines="skip")
        extract = tmp_path / "raw.parquet"
        frame.to_parquet(extract, index=False)
        del frame
    database = tmp_path / "data" / "monitor.duckdb"
    found = probe_memory_after("extract", extract, database, population, env={"MONITOR_PSEUDONYMISATION_KEY": RAW_KEY})
    assert found == {"hits": 0, "sample": []}
    expected = 20_000 - 2 if form == "csv" else 5_000 - 2  # less the malformed line and the adult
    assert query(database, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0] == expected


def _raw_rows_extract(path: Path, refs: list[tuple[str, str]]) -> Path:
    columns = ["person_ref", "crime_ref", *[c for c in row() if c not in ("person_id", "crime_id")]]
    rows = [{**row(record_id=f"R{i}"), "person_ref": p, "crime_ref": c} for i, (p, c) in enumerate(refs)]
    return write_extract(path, rows, columns=columns)


def test_raw_identifiers_are_trimmed_and_a_blank_one_is_missing(tmp_path, population, monkeypatch):
    # "P5 " and "P5" are one child; "   " is no child at all (the row is rejected, not a new person)
    monkeypatch.setenv("MONITOR_PSEUDONYMISATION_KEY", "normalise-key-0123456789")
    extract = _raw_rows_extract(tmp_path / "refs.csv", [("P5 ", "C1"), ("P5", "C2"), ("\tP5", " C3 "),
                                                         ("   ", "C4"), ("P6", "")])
    database = tmp_path / "db" / "monitor.duckdb"
    result = load_extract(extract, database, population=population, today=TODAY)
    assert (result.loaded, result.rejected) == (3, 2)
    records = query(database, "SELECT person_id, crime_id FROM records ORDER BY record_id")
    key = b"normalise-key-0123456789"
    assert set(records["person_id"]) == {pseudonymise(["P5"], key)[0]}
    assert list(records["crime_id"]) == pseudonymise(["C1", "C2", "C3"], key)
    reasons = query(database, "SELECT reason FROM rejected_rows ORDER BY source_row")["reason"].tolist()
    assert reasons == ["person_id missing", "crime_id missing"]


@pytest.mark.parametrize("key", [b"sixteen-byte-key", "clé-ünïcode-0123".encode(), b"k" * 64, b"long" * 40])
def test_duckdb_hashes_exactly_as_python_hmac(tmp_path, population, monkeypatch, key):
    # the loader's HMAC in SQL against Python's hmac module (RFC 2104), keys up to and beyond SHA-256's block
    monkeypatch.setenv("MONITOR_PSEUDONYMISATION_KEY", key.decode())
    values = ["PNC/0", "Zoë-7", "a" * 300, "中文", "x"]
    extract = _raw_rows_extract(tmp_path / "refs.csv", [(v, v) for v in values])
    database = tmp_path / "db" / "monitor.duckdb"
    load_extract(extract, database, population=population, today=TODAY)
    records = query(database, "SELECT person_id FROM records ORDER BY record_id")
    assert list(records["person_id"]) == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in values]


@pytest.mark.parametrize("source", ["env", "file"])
def test_a_key_under_16_bytes_is_refused_from_any_source(tmp_path, population, source):
    extract = _raw_rows_extract(tmp_path / "refs.csv", [("P1", "C1")])
    env = {"MONITOR_PSEUDONYMISATION_KEY": ""}
    if source == "env":
        env["MONITOR_PSEUDONYMISATION_KEY"] = "fifteen-bytes!!"
    else:
        (tmp_path / "key").write_bytes(b"fifteen-bytes!!\n")
        env["MONITOR_PSEUDONYMISATION_KEY_FILE"] = str(tmp_path / "key")
    result = run_cli("load", str(extract), "--db", str(tmp_path / "db" / "m.duckdb"), "--population",
                     str(population), env=env)
    assert result.returncode == 2 and result.stdout == ""
    where = "MONITOR_PSEUDONYMISATION_KEY" if source == "env" else "the pseudonymisation key file"
    assert result.stderr == (f"error: refs.csv: the pseudonymisation key in {where} is too short "
                             "(15 bytes; at least 16)\n")
    assert not (tmp_path / "db" / "m.duckdb").exists()


# ---------------------------------------------------------------------------------------------
# Loads that cannot wedge (issue 14, defect 5)
# ---------------------------------------------------------------------------------------------
def test_leftovers_of_any_shape_never_stop_the_next_load(tmp_path, published):
    """What killed builds leave (DuckDB's spill folder ``building-PID.duckdb.tmp/``, a WAL, a folder where a
    file is expected, a dangling link, a build named after a process that is alive) is cleared by the next
    load, which publishes normally; before, a spill folder made every later load exit 1 (IsADirectoryError)."""
    versions = versions_dir(published)
    spill = versions / "building-999999.duckdb.tmp"
    (spill / "nested").mkdir(parents=True)
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 4096)
    (spill / "nested" / "block").write_bytes(b"y")
    (versions / "building-999999.duckdb.wal").write_bytes(b"wal")
    (versions / "building-999998.duckdb").mkdir()  # a folder where a build file is expected
    (versions / f"building-{os.getppid()}.duckdb").write_bytes(b"half")  # a live process's PID (reused)
    (versions / "building-odd name").symlink_to(tmp_path / "missing")
    (published.parent / f".{published.name}.link-999999").symlink_to(tmp_path / "missing")
    result = run_cli("load", str(write_extract(tmp_path / "next.csv", many_rows(9))), "--db", str(published))
    assert result.returncode == 0, result.stderr
    assert list(versions.glob("building-*")) == []
    assert list(published.parent.glob(f".{published.name}.link-*")) == []
    assert query(published, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0] == 9


def test_the_childs_standard_output_carries_the_data_alone():
    """Whatever else the child prints to standard output (DuckDB's progress bar on a read over 2 s broke a
    400,000-row load's Arrow stream: "Expected to read 942743565 metadata bytes") goes to standard error; the
    data and the summary arrive intact."""
    script = (
        "import sys\n"
        "from analytics.load.isolated import serve\n"
        "def work(request, out):\n"
        "    print('progress 50%', flush=True)\n"
        "    out.write(b'DATA-' + request['name'].encode())\n"
        "    sys.stdout.write('more noise\\n')\n"
        "    return {'digest': 'abc'}\n"
        "sys.exit(serve(sys.argv, work))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, json.dumps({"name": "x.csv"})], capture_output=True,
                            cwd=PROJECT, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"DATA-x.csv"
    lines = result.stderr.decode().strip().splitlines()
    assert lines[:2] == ["progress 50%", "more noise"] and json.loads(lines[-1]) == {"digest": "abc"}
