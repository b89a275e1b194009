"""Secrets (issue 6, part 6): the pseudonymisation key and login secrets never appear in logs, error
messages, the database, exports or the repository.

An extract with raw ``person_ref``/``crime_ref`` values is loaded with a distinctive key; the key and the
raw values are then looked for in the command's output, in error messages, in the bytes of the published
database file (and in every text column of every table), in an exported CSV and in the files git would
commit. The repository is scanned for anything that looks like a secret, and ``.gitignore`` must cover the
files that hold them.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from analytics import exports
from analytics.filters import Filters
from analytics.load import LoadError, load_extract
from analytics.store import Store
from tests.extracts import VALID_ROW, row, write_extract, write_population
from tests.guards import HANG_GUARD_S, STEP_GUARD_S
from tests.sql_support import query

PROJECT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 30)
TOKEN = secrets.token_hex(12)
KEY = f"KEY-{TOKEN}-do-not-leak"
RAW_PEOPLE = [f"RAWPERSON{TOKEN}{i}" for i in range(6)]
RAW_CRIMES = [f"RAWCRIME{TOKEN}{i}" for i in range(6)]
COLUMNS = [("person_ref" if c == "person_id" else "crime_ref" if c == "crime_id" else c) for c in VALID_ROW]


def needles() -> list[str]:
    return [KEY, *RAW_PEOPLE, *RAW_CRIMES]


def assert_clean(text: str | bytes, where: str) -> None:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    for needle in needles():
        for form in {needle.encode(), needle.encode("utf-16-le")}:
            assert form not in data, f"{needle[:20]}… appears in {where}"


def raw_extract(path: Path) -> Path:
    rows = [{**row(record_id=f"R{i}"), "person_ref": RAW_PEOPLE[i], "crime_ref": RAW_CRIMES[i]} for i in range(5)]
    rows.append({**row(record_id="BAD", sex="Q"), "person_ref": RAW_PEOPLE[5], "crime_ref": RAW_CRIMES[5]})
    write_extract(path, rows, columns=COLUMNS)
    with path.open("a", encoding="utf-8") as handle:  # a malformed line holding raw references
        handle.write(f"R99,{RAW_PEOPLE[0]},{RAW_CRIMES[0]},suspect\n")
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The extract loaded through the command line as a separate process, with the key in its environment."""
    folder = tmp_path_factory.mktemp("secrets")
    extract = raw_extract(folder / "extract.csv")
    population = write_population(folder / "population.csv")
    database = folder / "db" / "monitor.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(PYTHONPATH=str(PROJECT), MONITOR_PSEUDONYMISATION_KEY=KEY)
    done = subprocess.run([sys.executable, "-m", "analytics", "load", str(extract), "--population", str(population),
                           "--db", str(database)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=HANG_GUARD_S)
    assert done.returncode == 0, done.stderr
    return folder, database, done


def test_command_output_holds_no_key_or_raw_identifier(loaded):
    _, _, done = loaded
    assert "loaded 5 + rejected 2" in done.stdout
    assert_clean(done.stdout, "the load's standard output")
    assert_clean(done.stderr, "the load's standard error")


def test_database_file_holds_no_key_or_raw_identifier(loaded):
    folder, database, _ = loaded
    for path in folder.rglob("*"):  # the publication, older versions, WAL files, the lock
        if path.is_file() and path.suffix != ".csv":
            assert_clean(path.read_bytes(), str(path.relative_to(folder)))
    store = Store(database)
    try:
        tables = query(store.path, "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
                             "AND schema_name = 'main'")
        for table, column in tables.itertuples(index=False):
            values = query(store.path, f'SELECT DISTINCT CAST("{column}" AS VARCHAR) AS v FROM "{table}"')["v"]
            assert_clean("\n".join(str(v) for v in values), f"{table}.{column}")
        persons = query(store.path, "SELECT person_id FROM records")["person_id"]
        assert len(persons) == 5 and all(re.fullmatch(r"[0-9a-f]{32}", p) for p in persons), "ids are keyed hashes"
    finally:
        store.close()


def test_exports_hold_no_key_or_raw_identifier(loaded, capsys):
    from analytics.cli.main import main

    _, database, _ = loaded
    store = Store(database)
    try:
        assert_clean(exports.csv_bytes(store.records(Filters()), ["Filters: all"]), "the records export")
        assert_clean(exports.csv_bytes(store.rejected_rows()), "the rejected rows export")
    finally:
        store.close()
    for argv in (["info"], ["ratios", "--role", "suspect", "--format", "json"], ["quality", "--format", "json"]):
        code = main([*argv, "--db", str(database)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert_clean(captured.out + captured.err, f"python -m analytics {' '.join(argv)}")


@pytest.mark.parametrize("problem", ["short key", "unreadable key file", "no key", "bad config"])
def test_error_messages_hold_no_key(loaded, tmp_path, monkeypatch, problem):
    folder, database, _ = loaded
    for name in [k for k in os.environ if k.startswith("MONITOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    if problem == "short key":
        (tmp_path / "k.key").write_text(KEY[:10])
        monkeypatch.setenv("MONITOR_PSEUDONYMISATION_KEY_FILE", str(tmp_path / "k.key"))
    elif problem == "unreadable key file":
        monkeypatch.setenv("MONITOR_PSEUDONYMISATION_KEY_FILE", str(tmp_path / KEY))
    elif problem == "bad config":
        (tmp_path / "monitor.toml").write_text(f'pseudonymisation_key = "{KEY}\n[[[')
    with pytest.raises(LoadError) as raised:
        load_extract(raw_extract(tmp_path / "extract.csv"), database, population=folder / "population.csv",
                     today=TODAY)
    message = str(raised.value)
    assert "\n" not in message
    assert_clean(message, f"the error message ({problem})")
    assert KEY[:10] not in message


# --------------------------------------------------------------------------------------------
# The repository
# --------------------------------------------------------------------------------------------
def _git(*args: str) -> list[str]:
    done = subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, timeout=STEP_GUARD_S)
    if done.returncode != 0:
        pytest.skip(f"not a git checkout: {done.stderr.strip()}")
    return [line for line in done.stdout.splitlines() if line]


def committable_files() -> list[str]:
    """Tracked files, and new files git would add (not ignored)."""
    return sorted(set(_git("ls-files")) | set(_git("ls-files", "--others", "--exclude-standard")))


SECRET_FILES = re.compile(r"(^|/)(\.streamlit/secrets\.toml|secrets\.toml|monitor\.toml|\.env(\..*)?|[^/]*\.key"
                          r"|[^/]*\.pem|id_rsa[^/]*)$")
SECRET_TEXT = [
    re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    re.compile(r"(?i)\b(client_secret|cookie_secret|pseudonymisation_key|api_key|password|secret_key)\b\s*[=:]\s*"
               r"[\"']([^\"'\n]{8,})[\"']"),
    re.compile(r"(?i)\bMONITOR_PSEUDONYMISATION_KEY\s*=\s*['\"]?([^\s'\"$]{16,})"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
]
#: Values in documentation that show the shape of a setting without being one.
PLACEHOLDER = re.compile(r"(?i)<|>|\.\.\.|example|your|change|xxx|placeholder|secret-here|\{|\$|replace|dummy|"
                         r"not-a-secret")


def test_no_secret_file_is_committed():
    offending = [f for f in committable_files() if SECRET_FILES.search(f)]
    assert not offending, f"files that hold secrets would be committed: {offending}"


def test_no_committed_file_looks_like_it_holds_a_secret():
    found = []
    for name in committable_files():
        path = PROJECT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        assert KEY not in text and RAW_PEOPLE[0] not in text
        for pattern in SECRET_TEXT:
            for match in pattern.finditer(text):
                value = match.group(match.lastindex or 0)
                if not PLACEHOLDER.search(value):
                    found.append(f"{name}: {match.group(0)[:60]}")
    assert not found, "possible secrets in files git would commit:\n" + "\n".join(found)


@pytest.mark.parametrize("path", [".streamlit/secrets.toml", "secrets/force.key", "monitor.toml", ".env",
                                  ".env.production", "data/monitor.duckdb", "reports/2026-10/pack.pdf",
                                  "keys/oidc.pem"])
def test_gitignore_covers_secret_and_data_files(path):
    _git("rev-parse", "--git-dir")
    done = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=PROJECT, timeout=STEP_GUARD_S)
    assert done.returncode == 0, f"{path} is not ignored by .gitignore"
