"""Hostile and broken extracts (issue 6, part 1): property-based, with a hand-countable oracle.

Every generated input ends one of two ways, and nothing else may happen:

* ``LoadError`` with a one-line message naming the file, and the database unchanged (the symlink points
  where it pointed, the publication it resolves to has the same bytes, no half-built file is left), or
* a publication whose summary reconciles (loaded + rejected + excluded = rows read) and, because the test
  wrote the rows itself, whose counts equal the ones the test expects.

``load_extract`` is called in-process for speed; a representative subset goes through the command line
(``python -m analytics load``) to check that no traceback reaches the user: exit status 2, stdout empty,
stderr exactly one line ``error: …``. The number of generated inputs tried, by category, is printed at
the end of the module (``-s`` not needed: it goes to the terminal reporter).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analytics import schema
from analytics.load import LoadError, load_extract, versions_dir
from analytics.store import Store
from tests.conftest import report_line
from tests.extracts import VALID_ROW, many_rows, write_population
from tests.guards import HANG_GUARD_S
from tests.sql_support import query

TODAY = date(2026, 11, 30)
PROJECT = Path(__file__).resolve().parents[1]
COLUMNS = list(VALID_ROW)
TRIED: Counter = Counter()
HYPOTHESIS = settings(max_examples=15, deadline=None, derandomize=True,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------
# Harness: one database per module, loaded once, that every attempt must leave intact or replace whole
# --------------------------------------------------------------------------------------------
@dataclass
class Target:
    folder: Path
    database: Path
    population: Path
    counter: int = 0

    def path(self, suffix: str) -> Path:
        self.counter += 1
        return self.folder / f"input-{self.counter}{suffix}"


def snapshot(database: Path) -> tuple[str, str]:
    """Where the database symlink points and the SHA-256 of the publication it resolves to."""
    return os.readlink(database), hashlib.sha256(database.resolve(strict=True).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Target:
    folder = tmp_path_factory.mktemp("hostile")
    population = write_population(folder / "population.csv")
    database = folder / "db" / "monitor.duckdb"
    seed = folder / "seed.csv"
    write_csv(seed, many_rows(20))
    load_extract(seed, database, population=population, today=TODAY)
    return Target(folder, database, population)


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    yield
    if TRIED:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items()))
        report_line(request, f"hostile input: {sum(TRIED.values())} generated inputs tried ({parts})")


def attempt(target: Target, path: Path, category: str, expected: tuple[int, int, int] | None = None,
            refused: bool | None = None):
    """Load ``path``; check the two allowed endings. ``expected`` = (loaded, rejected, excluded)."""
    TRIED[category] += 1
    before = snapshot(target.database)
    try:
        result = load_extract(path, target.database, population=target.population, today=TODAY)
    except LoadError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message and "\r" not in message, f"not one line: {message!r}"
        assert path.name in message, f"the message does not name the file: {message!r}"
        assert "Traceback" not in message
        assert snapshot(target.database) == before, "a refused load changed the database"
        assert not list(versions_dir(target.database).glob("building-*")), "a half-built file was left behind"
        assert refused is not False and expected is None, f"refused, but the test expected a load {expected}: {message}"
        return message
    assert refused is not True, f"{path.name} loaded but should have been refused: {result.report()}"
    assert result.reconciles(), result.report()
    assert result.loaded + result.rejected + result.excluded == result.rows_read
    if expected is not None:
        assert (result.loaded, result.rejected, result.excluded) == expected, result.report()
    store = Store(target.database)
    try:
        assert int(query(store.path, "SELECT COUNT(*) AS n FROM records")["n"].iloc[0]) == result.loaded
        assert int(query(store.path, "SELECT COUNT(*) AS n FROM rejected_rows")["n"].iloc[0]) == result.rejected
    finally:
        store.close()
    return result


def csv_text(rows: list[dict[str, str]], columns: list[str] = COLUMNS, newline: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(columns)
    for record in rows:
        writer.writerow([record.get(c, "") for c in columns])
    return buffer.getvalue()


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    path.write_text(csv_text(rows, columns), encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------------------------
# The oracle: one change per row, each with the status it must get
# --------------------------------------------------------------------------------------------
LOADED, REJECTED, EXCLUDED = "loaded", "rejected", "excluded"
#: (column, value, status of an otherwise valid row with that value). Numbers as text, dates in other
#: formats and out of range, and an unknown code in every coded column.
MUTATIONS: list[tuple[str, str, str]] = [
    ("age", "15.0", LOADED), ("age", " 15 ", LOADED), ("age", "+15", LOADED), ("age", "015", LOADED),
    ("age", "1e1", REJECTED), ("age", "15.5", REJECTED), ("age", "17.5", REJECTED), ("age", "0x10", REJECTED),
    ("age", "1_0", REJECTED), ("age", "１５", REJECTED), ("age", "", REJECTED), ("age", "fifteen", REJECTED),  # noqa: RUF001 - full width
    ("age", "-1", REJECTED), ("age", "99999999999", REJECTED), ("age", "nan", REJECTED), ("age", "inf", REJECTED),
    ("age", "18", EXCLUDED), ("age", "18.0", EXCLUDED), ("age", "40", EXCLUDED),
    ("recorded_date", "15/03/2024", REJECTED), ("recorded_date", "2024-02-30", REJECTED),
    ("recorded_date", "20240315", REJECTED), ("recorded_date", "2024-03-15T00:00:00", REJECTED),
    ("recorded_date", "9999-12-31", REJECTED), ("recorded_date", "10000-01-01", REJECTED),
    ("recorded_date", "2026-12-01", REJECTED), ("recorded_date", "", REJECTED),
    ("recorded_date", "-2024-03-15", REJECTED),
    ("recorded_date", "2024-02-29", LOADED), ("recorded_date", " 2024-03-15 ", LOADED),
    ("outcome_date", "", LOADED), ("outcome_date", "01/04/2024", REJECTED), ("outcome_date", "2099-01-01", REJECTED),
    ("outcome_date", "2024-03-01", REJECTED),
    ("role", "SUSPECT", LOADED), ("role", "witness", REJECTED), ("role", "", REJECTED),
    ("role", "suspect\u200f", REJECTED),
    ("sex", "m", LOADED), ("sex", "", LOADED), ("sex", "Q", REJECTED), ("sex", "male", REJECTED),
    ("ethnicity_self", "w1", LOADED), ("ethnicity_self", "", LOADED), ("ethnicity_self", "NS", LOADED),
    ("ethnicity_self", "Z9", REJECTED), ("ethnicity_self", "W 1", REJECTED),
    ("ethnicity_officer", "ic3", LOADED), ("ethnicity_officer", "", LOADED), ("ethnicity_officer", "IC7", REJECTED),
    ("area_code", "e07000148", LOADED), ("area_code", "E07000999", REJECTED), ("area_code", "", REJECTED),
    ("area_code", "E07000148'; DROP TABLE records; --", REJECTED),
    ("offence_group", "Arson", REJECTED), ("offence_group", "robbery", REJECTED), ("offence_group", "", REJECTED),
    ("outcome_code", "1a", LOADED), ("outcome_code", "", LOADED), ("outcome_code", "23", REJECTED),
    ("outcome_code", "22.0", REJECTED),
    ("knife_crime", "YES", LOADED), ("knife_crime", "maybe", REJECTED), ("cce", "2", REJECTED),
    ("cse", "unknown", REJECTED), ("county_lines", "?", REJECTED), ("gangs", "x", REJECTED),
    ("record_id", "", REJECTED), ("person_id", "", REJECTED), ("crime_id", "", REJECTED),
    ("offence_code", "=HYPERLINK(\"http://x\")", LOADED), ("msoa_code", "E02000001\u202e", LOADED),
]
#: Free text that must load as data (quotes, newlines, separators, unicode): never NUL, never a surrogate.
FREE_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)


@st.composite
def oracle_rows(draw) -> tuple[list[dict[str, str]], tuple[int, int, int]]:
    """Rows with at most one mutation each, some sharing record_ids, and the counts they must give."""
    count = draw(st.integers(1, 25))
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    for i in range(count):
        record = {**VALID_ROW, "record_id": f"R{draw(st.integers(0, count * 2))}", "person_id": f"P{i % 7}",
                  "crime_id": f"C{i}", "offence_code": draw(FREE_TEXT)}
        status = LOADED
        if draw(st.booleans()):
            column, value, status = draw(st.sampled_from(MUTATIONS))
            record[column] = value
        # the loader's order: 18+ excluded first, then record_id missing, then duplicates, then the rest
        if status == EXCLUDED:
            counts[EXCLUDED] += 1
        elif record["record_id"] == "" or record["record_id"] in seen:
            counts[REJECTED] += 1
        else:
            seen.add(record["record_id"])
            counts[status] += 1
        rows.append(record)
    return rows, (counts[LOADED], counts[REJECTED], counts[EXCLUDED])


def expect(counts: tuple[int, int, int]) -> dict:
    """A file whose rows all fail is refused ("no row passed validation"); else it loads with ``counts``."""
    return {"expected": counts} if counts[0] else {"refused": True}


# --------------------------------------------------------------------------------------------
# Row-level: every mutation, duplicates, free text with quotes and newlines
# --------------------------------------------------------------------------------------------
@HYPOTHESIS
@given(case=oracle_rows(), newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_rows_are_counted_exactly(target, case, newline):
    rows, counts = case
    path = target.path(".csv")
    path.write_bytes(csv_text(rows, newline=newline).encode("utf-8"))
    attempt(target, path, "rows (mutations, duplicates, free text)", **expect(counts))


def test_every_mutation_once(target):
    """Each mutation in the table, in one file, with its own record_id: the exact total per status."""
    rows = [{**VALID_ROW, "record_id": f"M{i}", column: value} for i, (column, value, _) in enumerate(MUTATIONS)]
    statuses = Counter(status for _, _, status in MUTATIONS)
    attempt(target, write_csv(target.path(".csv"), rows), "rows (mutations, duplicates, free text)",
            expected=(statuses[LOADED], statuses[REJECTED], statuses[EXCLUDED]))


# --------------------------------------------------------------------------------------------
# Encodings and byte-level damage
# --------------------------------------------------------------------------------------------
NON_ASCII = st.sampled_from(["Zoë", "Łódź", "naïve", "“quoted”", "€10", "ß"])


@HYPOTHESIS
@given(case=oracle_rows(), word=NON_ASCII,
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be",
                                 "cp1252-inside-utf-8", "nul"]),
       where=st.floats(0, 1))
def test_encodings(target, case, word, encoding, where):
    rows, counts = case
    rows = [{**rows[0], "offence_code": word}, *rows[1:]]
    text = csv_text(rows)
    if encoding == "cp1252-inside-utf-8":
        data = text.encode("utf-8")
        cut = int(len(data) * where)
        while cut < len(data) and data[cut] & 0xC0 == 0x80:  # never split a UTF-8 sequence by accident
            cut += 1
        data = data[:cut] + "’".encode("cp1252") + data[cut:]
    elif encoding == "nul":
        data = text.encode("utf-8")
        cut = int(len(data) * where)
        data = data[:cut] + b"\x00" + data[cut:]
    else:
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            assume(False)
    path = target.path(".csv")
    path.write_bytes(data)
    if encoding in ("utf-8", "utf-8-sig"):
        attempt(target, path, "encodings", **expect(counts))
    else:  # latin-1/cp1252 with a non-ASCII character, UTF-16, a cp1252 byte in UTF-8, a NUL: refused
        message = attempt(target, path, "encodings", refused=True)
        assert any(w in message for w in ("UTF-8", "UTF-16", "NUL")), message


# --------------------------------------------------------------------------------------------
# Structure: header, column order, extra and duplicate columns, ragged lines, quoted newlines, empties
# --------------------------------------------------------------------------------------------
EXTRA_NAMES = st.sampled_from(["notes", "Extra Column", "x", "ignored_1", "’quote’", "🙂", "a,b", 'say "hi"'])
RAGGED = st.one_of(st.integers(1, len(COLUMNS) - 1), st.integers(len(COLUMNS) + 1, len(COLUMNS) + 30))


@HYPOTHESIS
@given(case=oracle_rows(), order=st.permutations(COLUMNS), extras=st.lists(EXTRA_NAMES, max_size=3, unique=True),
       ragged=st.lists(st.tuples(st.integers(0, 30), RAGGED), max_size=4),
       header_case=st.sampled_from([str, str.upper, str.title, lambda c: f" {c} "]))
def test_structure(target, case, order, extras, ragged, header_case):
    rows, (loaded, rejected, excluded) = case
    columns = [*order, *extras]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header_case(c) if c in COLUMNS else c for c in columns])
    lines = [None] * len(rows)
    for position, fields in sorted(ragged):
        lines.insert(min(position, len(lines)), fields)
    data_rows = iter(rows)
    for item in lines:
        if item is None:
            record = next(data_rows)
            writer.writerow([record.get(c, "extra value") for c in columns])
        else:
            writer.writerow([f"f{i}" for i in range(item - len(COLUMNS) + len(columns) if item > len(COLUMNS)
                                                     else item)])
    path = target.path(".csv")
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    attempt(target, path, "structure (order, extras, ragged)", **expect((loaded, rejected + len(ragged), excluded)))


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty", b"", "empty"),
        ("bom only", b"\xef\xbb\xbf", "empty"),
        ("blank lines", b"\n\n\n", "empty"),
        ("header only", ",".join(COLUMNS).encode(), "no data rows"),
        ("header and blank lines", (",".join(COLUMNS) + "\r\n\r\n").encode(), "no data rows"),
        ("duplicate header", csv_text(many_rows(2), [*COLUMNS, "age"]).encode(), "more than once"),
        ("duplicate header by case", csv_text(many_rows(2), [*COLUMNS, "AGE "]).encode(), "more than once"),
        ("missing column", csv_text(many_rows(2), COLUMNS[1:]).encode(), "missing required column"),
        ("semicolons", csv_text(many_rows(2)).replace(",", ";").encode(), "missing required column"),
        ("direct identifier", csv_text(many_rows(2), [*COLUMNS, "date_of_birth"]).encode(), "direct identifiers"),
        ("binary", bytes(range(1, 256)) * 4, "UTF-8"),
        ("unterminated quote", (csv_text(many_rows(3)) + 'R9,"P9,C9\nR10,P10\n').encode(), "quotes"),
        ("unterminated quote at the end", (csv_text(many_rows(3)) + 'R9,"P9').encode(), "quotes"),
        ("only ragged rows", (",".join(COLUMNS) + "\na,b\n").encode(), "no row passed validation"),
    ],
)
def test_files_that_are_refused(target, name, content, fragment):
    path = target.path(".csv")
    path.write_bytes(content)
    message = attempt(target, path, "structure (refused files)", refused=True)
    assert fragment in message, message


def test_quoted_newlines_and_quotes_in_fields_are_data(target):
    rows = [{**VALID_ROW, "record_id": f"Q{i}", "offence_code": text} for i, text in
            enumerate(['a\nb', 'c\r\nd', 'say "hi"', ',', '"', '\n', "'; DROP TABLE records; --"])]
    result = attempt(target, write_csv(target.path(".csv"), rows), "structure (quoted newlines)",
                     expected=(len(rows), 0, 0))
    store = Store(result.database)
    stored = query(store.path, "SELECT offence_code FROM records")["offence_code"].tolist()
    store.close()
    # a file that mixes CRLF and LF line endings is read with CRLF as LF, inside quoted fields too
    assert sorted(stored) == sorted(r["offence_code"].replace("\r\n", "\n") for r in rows)


# --------------------------------------------------------------------------------------------
# Very large: 200,000 rows, and one 10 MB field
# --------------------------------------------------------------------------------------------
def test_a_200k_row_file_reconciles(target):
    rows = many_rows(200_000)
    rows[7] = {**rows[7], "age": "40"}
    rows[8] = {**rows[8], "sex": "Q"}
    rows[9] = {**rows[9], "record_id": rows[10]["record_id"]}
    attempt(target, write_csv(target.path(".csv"), rows), "very large", expected=(199_997, 2, 1))


def test_a_10mb_field_is_rejected_or_loaded_but_counted(target):
    rows = [*many_rows(3), {**VALID_ROW, "record_id": "BIG", "offence_code": "x" * 10_000_000}]
    result = attempt(target, write_csv(target.path(".csv"), rows), "very large")
    assert result.rows_read == 4 and result.loaded >= 3


# --------------------------------------------------------------------------------------------
# Parquet with wrong types
# --------------------------------------------------------------------------------------------
def _parquet_column(name: str, values: list[str], kind: str) -> pa.Array:
    if kind == "int" and all(v.lstrip("-").isdigit() for v in values):
        return pa.array([int(v) for v in values], pa.int64())
    if kind == "float" and all(v.lstrip("-").replace(".", "", 1).isdigit() for v in values):
        return pa.array([float(v) for v in values], pa.float64())
    if kind == "timestamp" and name.endswith("_date"):
        return pa.array(pd.to_datetime(values, errors="coerce"), pa.timestamp("ms"))
    if kind == "date" and name.endswith("_date"):
        dates = pd.to_datetime(values, errors="coerce")
        return pa.array([None if pd.isna(d) else d.date() for d in dates], pa.date32())
    if kind == "bool" and name in schema.RISK_MARKERS:
        return pa.array([v.lower() in schema.TRUE_VALUES for v in values], pa.bool_())
    if kind == "binary":
        return pa.array([v.encode() for v in values], pa.binary())
    return pa.array(values, pa.string())


@HYPOTHESIS
@given(count=st.integers(1, 12), ages=st.lists(st.integers(0, 30), min_size=12, max_size=12),
       kinds=st.fixed_dictionaries({c: st.sampled_from(["str", "int", "float", "timestamp", "date", "bool", "binary"])
                                    for c in ("record_id", "age", "recorded_date", "outcome_date", "outcome_code",
                                              "knife_crime", "area_code")}),
       nested=st.sampled_from(["none", "list", "struct", "struct-with-age", "list-for-record-id"]),
       drop=st.sampled_from([None, None, None, "age", "role"]))
def test_parquet_with_wrong_types(target, count, ages, kinds, nested, drop):
    rows = [{**VALID_ROW, "record_id": str(i + 1), "age": str(ages[i]), "knife_crime": "true" if i % 2 else "false"}
            for i in range(count)]
    columns = {c: _parquet_column(c, [r[c] for r in rows], kinds.get(c, "str")) for c in COLUMNS}
    if nested == "list":
        columns["extra_list"] = pa.array([[i, i + 1] for i in range(count)])
    elif nested == "struct":
        columns["extra_struct"] = pa.array([{"a": i} for i in range(count)])
    elif nested == "struct-with-age":  # a field named age inside a struct is not the age column
        columns["details"] = pa.array([{"age": 99} for _ in range(count)])
    elif nested == "list-for-record-id":
        columns["record_id"] = pa.array([[str(i)] for i in range(count)])
    if drop:
        columns.pop(drop)
    path = target.path(".parquet")
    pq.write_table(pa.table(columns), path)
    if drop:
        message = attempt(target, path, "parquet", refused=True)
        assert f"missing required column(s): {drop}" in message
        return
    adults = sum(a >= schema.ADULT_AGE for a in ages[:count])
    if kinds["outcome_code"] == "float":  # 22.0 is not an outcome code: every child's row is rejected
        attempt(target, path, "parquet", refused=True)
        return
    if nested == "list-for-record-id" or "binary" in kinds.values():
        attempt(target, path, "parquet")  # reconciles or is refused in one line; counts depend on DuckDB's casts
        return
    attempt(target, path, "parquet", expected=(count - adults, 0, adults) if count - adults else None,
            refused=None if count - adults else True)


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("truncated", None, "could not be read"),
    ("magic only", b"PAR1garbagePAR1", "could not be read"),
    ("empty table", "empty", "no data rows"),
    ("quote in a column name", "quoted", None),
])
def test_parquet_files(target, name, content, fragment):
    path = target.path(".parquet")
    frame = pd.DataFrame(many_rows(3))
    if content is None:
        pq.write_table(pa.Table.from_pandas(frame), path)
        path.write_bytes(path.read_bytes()[:300])
    elif content == "empty":
        pq.write_table(pa.Table.from_pandas(frame.iloc[:0]), path)
    elif content == "quoted":  # a column name from the file never becomes SQL
        pq.write_table(pa.Table.from_pandas(frame.rename(columns={"age": 'age"', "role": '"Role"'})), path)
        attempt(target, path, "parquet", expected=(3, 0, 0))
        return
    else:
        path.write_bytes(content)
    message = attempt(target, path, "parquet", refused=True)
    assert fragment in message, message


def test_parquet_timestamps_for_dates_load_as_dates(target):
    frame = pd.DataFrame(many_rows(3))
    frame["recorded_date"] = pd.to_datetime(frame["recorded_date"]) + pd.Timedelta(hours=13)
    frame["outcome_date"] = pd.to_datetime(frame["outcome_date"]).dt.date
    path = target.path(".parquet")
    pq.write_table(pa.Table.from_pandas(frame), path)
    result = attempt(target, path, "parquet", expected=(3, 0, 0))
    dates = query(result.database, "SELECT DISTINCT recorded_date FROM records")["recorded_date"]
    assert [d.date() for d in dates] == [date(2024, 3, 15)]


# --------------------------------------------------------------------------------------------
# The command line: no traceback reaches the user
# --------------------------------------------------------------------------------------------
def _cli_cases(folder: Path) -> dict[str, Path]:
    text = csv_text(many_rows(3))
    cases = {
        "latin-1": text.replace("Robbery", "Robbéry").encode("latin-1"),
        "utf-16": text.encode("utf-16"),
        "nul": text.encode().replace(b"R1", b"R\x001"),
        "empty": b"",
        "header only": ",".join(COLUMNS).encode(),
        "duplicate header": csv_text(many_rows(2), [*COLUMNS, "role"]).encode(),
        "unterminated quote": (text + 'R9,"P9').encode(),
        "broken parquet": b"PAR1" + b"\x01" * 50 + b"PAR1",
    }
    paths = {}
    for name, content in cases.items():
        path = folder / f"cli-{name.replace(' ', '-')}.{'parquet' if 'parquet' in name else 'csv'}"
        path.write_bytes(content)
        paths[name] = path
    paths["missing file"] = folder / "does-not-exist.csv"
    paths["a directory"] = folder
    return paths


def _one_line_error(name: str, code: int | str | None, stdout: str, stderr: str) -> None:
    TRIED["command line"] += 1
    assert code == 2, f"{name}: exit {code}\n{stderr}"
    assert stdout == "", f"{name}: {stdout!r}"
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{name}: {stderr!r}"
    assert "Traceback" not in stderr


def test_command_line_reports_one_line_and_exit_2(target, tmp_path, capsys, monkeypatch):
    """Every case through ``analytics.cli.main.main`` in-process (what ``python -m analytics`` runs)."""
    from analytics.cli.main import main

    for key in [k for k in os.environ if k.startswith("MONITOR_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    before = snapshot(target.database)
    for name, path in _cli_cases(tmp_path).items():
        code: int | str | None
        try:
            code = main(["load", str(path), "--db", str(target.database), "--population", str(target.population)])
        except SystemExit as exc:  # argparse
            code = exc.code
        captured = capsys.readouterr()
        _one_line_error(name, code, captured.out, captured.err)
    assert snapshot(target.database) == before


def test_command_line_subprocess_shows_no_traceback(target, tmp_path):
    """Two cases as a user runs them (a separate process: the interpreter's own traceback would show)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["PYTHONPATH"] = str(PROJECT)
    before = snapshot(target.database)
    cases = {k: v for k, v in _cli_cases(tmp_path).items() if k in ("utf-16", "unterminated quote")}
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "analytics", "load", str(path), "--db", str(target.database),
             "--population", str(target.population)],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, path in cases.items()
    }
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=HANG_GUARD_S)
        _one_line_error(name, process.returncode, stdout, stderr)
    assert snapshot(target.database) == before


# --------------------------------------------------------------------------------------------
# Issue 14, defects 9-11: the attacker's remaining inputs
# --------------------------------------------------------------------------------------------
def rejected_reasons(database: Path) -> list[str]:
    return query(database, "SELECT reason FROM rejected_rows ORDER BY source_row")["reason"].tolist()


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_an_empty_line_after_the_header_is_skipped_not_the_end_of_the_data(target, newline):
    """Empty lines are not rows, wherever they are (defect 11): before, one right after the header refused the
    whole file as 'no data rows'."""
    header, *body = csv_text(many_rows(3), newline=newline).split(newline)
    path = target.path(".csv")
    path.write_text(newline.join([header, "", *body]), encoding="utf-8", newline="")
    attempt(target, path, "issue 14 (blank lines)", expected=(3, 0, 0))


def test_a_line_of_spaces_is_a_row_rejected_with_its_reason(target):
    header, *body = csv_text(many_rows(3)).split("\n")
    path = target.path(".csv")
    path.write_text("\n".join([header, "   ", *body]), encoding="utf-8", newline="")
    result = attempt(target, path, "issue 14 (blank lines)", expected=(3, 1, 0))
    assert rejected_reasons(result.database) == ["malformed line: fewer fields than the header"]


def test_rows_with_extra_trailing_fields_are_rejected_with_a_reason(target):
    """A field beyond the header is rejected with its reason (defect 11). Empty fields beyond it (a spreadsheet's
    trailing commas: no value is lost) are ignored, as DuckDB's reader ignores them: the decision in
    docs/DECISIONS.md."""
    lines = csv_text(many_rows(5)).splitlines()
    lines[2] += ",surplus"
    lines[3] += ",,x"
    lines[4] += ",,"  # two empty trailing fields: the row's values are all there
    path = target.path(".csv")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = attempt(target, path, "issue 14 (trailing fields)", expected=(3, 2, 0))
    assert rejected_reasons(result.database) == ["malformed line: more fields than the header"] * 2


@pytest.mark.parametrize("text", ["2024-3-1", "2024-03-1", "2024-3-01", "20240301", "2024/03/01", "24-03-01",
                                  "+2024-03-01", "2024-03-01T10:00"])
def test_only_iso_dates_are_dates(target, text):
    """YYYY-MM-DD only (defect 11): ``2024-3-1`` was read as 1 March (strptime's %m takes one digit)."""
    rows = [*many_rows(2), {**VALID_ROW, "record_id": "D1", "recorded_date": text, "outcome_date": ""}]
    result = attempt(target, write_csv(target.path(".csv"), rows), "issue 14 (dates)", expected=(2, 1, 0))
    assert rejected_reasons(result.database) == ["recorded_date is not a valid YYYY-MM-DD date"]
    outcome = [*many_rows(2), {**VALID_ROW, "record_id": "D2", "outcome_date": text}]
    result = attempt(target, write_csv(target.path(".csv"), outcome), "issue 14 (dates)", expected=(2, 1, 0))
    assert rejected_reasons(result.database) == ["outcome_date is not a valid YYYY-MM-DD date"]


@pytest.mark.parametrize(("extra", "fragment"), [
    (10**6, "header line is longer than 1,048,576 characters"),  # 7.9 MB of header: 393 s and 7.7 GB before
    (100_000, "the header has 100,020 columns; an extract has at most 1,000"),
])
def test_a_header_of_too_many_columns_is_refused_before_parsing(target, extra, fragment):
    columns = [*COLUMNS, *(f"x{i}" if extra > 100_000 else "x" for i in range(extra))]
    path = target.path(".csv")
    path.write_text(",".join(columns) + "\n" + ",".join(["1"] * len(columns)) + "\n", encoding="utf-8")
    assert len(COLUMNS) == 20
    message = attempt(target, path, "issue 14 (wide header)", refused=True)
    assert fragment in message, message


def test_parquet_with_too_many_columns_is_refused(target):
    frame = pd.concat([pd.DataFrame(many_rows(2)), pd.DataFrame({f"x{i}": ["1", "1"] for i in range(1_001)})],
                      axis=1)
    path = target.path(".parquet")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    message = attempt(target, path, "issue 14 (wide header)", refused=True)
    assert "has 1,021 columns; an extract has at most 1,000" in message


def test_parquet_timestamps_with_a_time_zone_are_dates_in_london(target):
    """An instant's date is its date in Europe/London (defect 11), not the server's zone: 23:30 UTC on 30 June 2024
    is 00:30 BST on 1 July; 23:30 UTC on 31 January is 23:30 GMT the same day. Independently: zoneinfo."""
    from zoneinfo import ZoneInfo

    instants = [pd.Timestamp("2024-06-30 23:30", tz="UTC"), pd.Timestamp("2024-01-31 23:30", tz="UTC"),
                pd.Timestamp("2024-03-31 00:30", tz="UTC")]  # the clocks go forward at 01:00 UTC that day
    london = [t.to_pydatetime().astimezone(ZoneInfo("Europe/London")).date() for t in instants]
    assert london == [date(2024, 7, 1), date(2024, 1, 31), date(2024, 3, 31)]
    frame = pd.DataFrame([{**VALID_ROW, "record_id": f"T{i}", "outcome_date": ""} for i in range(3)])
    frame["recorded_date"] = pd.Series(instants)
    frame["outcome_date"] = pd.Series([pd.Timestamp("2024-12-31 23:59", tz="America/New_York")] * 3)  # UTC 1 Jan
    path = target.path(".parquet")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    assert "tz=" in str(pq.read_schema(path).field("recorded_date").type)
    result = attempt(target, path, "issue 14 (parquet time zones)", expected=(3, 0, 0))
    stored = query(result.database, "SELECT record_id, recorded_date, outcome_date FROM records ORDER BY record_id")
    assert [d.date() for d in stored["recorded_date"]] == london
    assert {d.date() for d in stored["outcome_date"]} == {date(2025, 1, 1)}  # 04:59 UTC = 04:59 GMT on 1 Jan


def _cli(argv: list[str], monkeypatch, capsys) -> tuple[int | str | None, str, str]:
    from analytics.cli.main import main

    for key in [k for k in os.environ if k.startswith("MONITOR_")]:
        monkeypatch.delenv(key)
    code: int | str | None
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_control_characters_in_a_file_name_are_escaped(target, tmp_path, monkeypatch, capsys):
    """A file name with a terminal escape (ESC [2J clears the screen) and a bell is shown escaped (defect 11)."""
    path = tmp_path / "extract\x1b[2J\x07.csv"
    path.write_bytes(b"")
    code, out, err = _cli(["load", str(path), "--db", str(target.database), "--population", str(target.population)],
                          monkeypatch, capsys)
    _one_line_error("control characters", code, out, err)
    assert "\x1b" not in err and "\x07" not in err and "extract\\x1b[2J\\x07.csv" in err, repr(err)


def _foreign_databases(folder: Path) -> dict[str, Path]:
    import sqlite3

    folder.mkdir(parents=True, exist_ok=True)
    sqlite = folder / "some.sqlite"
    con = sqlite3.connect(sqlite)
    con.execute("CREATE TABLE t (a)")
    con.commit()
    con.close()
    other = folder / "other.duckdb"
    connection = duckdb.connect(str(other))
    connection.execute("CREATE TABLE x (a INTEGER)")
    connection.close()
    garbage = folder / "garbage.duckdb"
    garbage.write_bytes(bytes(range(256)) * 16)
    a_folder = folder / "a-folder"
    a_folder.mkdir()
    return {"sqlite": sqlite, "another duckdb": other, "garbage": garbage, "a folder": a_folder}


def test_loading_into_a_db_that_is_not_a_publication_blames_db(target, tmp_path, monkeypatch, capsys):
    """Defect 9: the --db, not the extract, is named; the file is left exactly as it was (never replaced)."""
    good = write_csv(tmp_path / "good.csv", many_rows(3))
    for name, database in _foreign_databases(tmp_path / "dbs").items():
        before = database.read_bytes() if database.is_file() else None
        code, out, err = _cli(["load", str(good), "--db", str(database), "--population", str(target.population)],
                              monkeypatch, capsys)
        _one_line_error(name, code, out, err)
        assert f"--db {database}" in err and "good.csv" not in err, err
        assert "Binder" not in err and "SELECT" not in err, err
        assert (database.read_bytes() if database.is_file() else None) == before and not database.is_symlink()


def test_reading_a_db_that_is_not_a_publication_is_one_line_without_sql(tmp_path, monkeypatch, capsys):
    """Defect 9 and 11: ``info --db`` on a SQLite file, another program's DuckDB file, garbage, a folder, and a
    file that passes the format check but lacks the tables: one line, no Binder Error or SQL, no extension
    fetched (a SQLite file made DuckDB download ``sqlite_scanner``)."""
    cases = _foreign_databases(tmp_path)
    lacking = tmp_path / "lacking.duckdb"
    connection = duckdb.connect(str(lacking))
    connection.execute("CREATE TABLE publication (version VARCHAR)")
    connection.execute("CREATE TABLE records (person_key VARCHAR, record_ckey BIGINT, person_ckey BIGINT)")
    connection.close()
    cases["empty publication"] = lacking
    lacking = tmp_path / "lacking-columns.duckdb"
    connection = duckdb.connect(str(lacking))
    connection.execute("CREATE TABLE publication AS SELECT 'v1' AS version")
    connection.execute("CREATE TABLE records (person_key VARCHAR, record_ckey BIGINT, person_ckey BIGINT)")
    connection.close()
    cases["lacking tables"] = lacking
    expected = {"sqlite": "is a SQLite file, not a DuckDB database",
                "another duckdb": "is not a database the monitor published (it has no publication table): check --db",
                "garbage": "not a valid DuckDB database file", "a folder": "a-folder",
                "empty publication": "its publication table has 0 rows, not 1): check --db",
                "lacking tables": "does not have the tables and columns this version of the monitor reads"}
    for name, database in cases.items():
        code, out, err = _cli(["info", "--db", str(database)], monkeypatch, capsys)
        _one_line_error(name, code, out, err)
        assert expected[name] in err, err
        for leak in ("Binder", "Catalog Error", "SELECT", "extension", "http"):
            assert leak not in err, err


def test_every_duckdb_connection_has_extension_autoloading_off(tmp_path):
    """Defect 11: one place connects (``analytics.store.errors.connect``), with autoload and autoinstall off."""
    from analytics.store.errors import connect

    connection = connect(tmp_path / "x.duckdb", read_only=False)
    try:
        settings = dict(connection.execute(
            "SELECT name, value FROM duckdb_settings() "
            "WHERE name IN ('autoload_known_extensions', 'autoinstall_known_extensions')").fetchall())
    finally:
        connection.close()
    assert settings == {"autoload_known_extensions": "false", "autoinstall_known_extensions": "false"}
    callers = [path.relative_to(PROJECT).as_posix() for path in (PROJECT / "analytics").rglob("*.py")
               if "duckdb.connect(" in path.read_text(encoding="utf-8")]
    assert callers == ["analytics/store/errors.py"]


def test_an_unwritable_database_folder_is_one_line_naming_db(target, tmp_path, monkeypatch, capsys):
    """Defect 9: a --db whose folder cannot be made or written (a file where the folder should be, a read-only
    folder) is one line and exit 2, naming --db, never a traceback."""
    good = write_csv(tmp_path / "good.csv", many_rows(3))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    cases = {"a file in the way": blocker / "monitor.duckdb"}
    if os.geteuid() != 0:  # the superuser writes into read-only folders
        read_only = tmp_path / "read-only"
        read_only.mkdir()
        read_only.chmod(0o500)
        cases["read-only folder"] = read_only / "monitor.duckdb"
    for name, database in cases.items():
        code, out, err = _cli(["load", str(good), "--db", str(database), "--population", str(target.population)],
                              monkeypatch, capsys)
        _one_line_error(name, code, out, err)
        assert f"--db {database}: cannot write in" in err, err
