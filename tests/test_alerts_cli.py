"""``python -m analytics alerts`` and ``alerts acknowledge`` on the sample (issue 16)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from analytics.alerts import COLUMNS
from analytics.cli.main import main
from analytics.load import load_extract
from analytics.store import AuditLog


@pytest.fixture()
def database(sample_db, tmp_path):
    """A private copy of the sample publication (the register and audit log are written beside it)."""
    target = tmp_path / "monitor.duckdb"
    shutil.copy(sample_db.resolve(), target)
    return target


def _run(capsys, *args):
    try:
        status = main(["alerts", *args])
    except SystemExit as exc:  # argparse's usage errors
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_csv_has_exactly_the_columns_and_one_row_per_signalling_cell(database, capsys):
    status, out, err = _run(capsys, "--db", str(database))
    assert status == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0].keys()) == list(COLUMNS)
    cells = [(r["role"], r["measure"], r["area"], r["group"]) for r in rows]
    assert len(cells) == len(set(cells))
    assert ("suspect", "rate", "E07000143", "White") in cells
    assert {r["level"] for r in rows} <= {"alert", "watch"}
    step = next(r for r in rows if (r["role"], r["measure"], r["area"], r["group"]) == cells[cells.index(
        ("suspect", "rate", "E07000143", "White"))])
    assert step["level"] == "alert" and step["first_month"] == "2026-05" and step["month"] == "2026-10"
    assert float(step["lower_limit"]) < float(step["expected"]) < float(step["upper_limit"]) < float(step["value"])


def test_filters_by_level_and_role(database, capsys):
    _, out, _ = _run(capsys, "--db", str(database), "--level", "alert", "--role", "suspect", "--role", "offender")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["level"] for r in rows} == {"alert"}
    assert {r["role"] for r in rows} <= {"suspect", "offender"}
    _, out_both, _ = _run(capsys, "--db", str(database), "--level", "alert", "--role", "suspect", "offender")
    assert out_both == out


def test_json_and_text(database, capsys):
    status, out, _ = _run(capsys, "--db", str(database), "--format", "json", "--month", "2026-08")
    document = json.loads(out)
    assert status == 0 and document["metadata"]["month"] == "2026-08"
    assert all(list(row) == list(COLUMNS) for row in document["rows"])
    status, out, _ = _run(capsys, "--db", str(database), "--format", "text")
    assert status == 0 and out.startswith("Alerts for October 2026")


@pytest.mark.parametrize("args", [("--month", "2026-13"), ("--month", "October"), ("--month", "2023-02"),
                                  ("--month", "2027-01"), ("--level", "loud"), ("--note", "x"),
                                  ("acknowledge", "--role", "suspect")])
def test_bad_input_is_one_line_and_exit_2(database, capsys, args):
    status, out, err = _run(capsys, "--db", str(database), *args)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1


def test_scrutiny_may_not_run_it_and_officers_may_not_acknowledge(database, capsys):
    status, _, err = _run(capsys, "--db", str(database), "--as-role", "scrutiny")
    assert status == 2 and "not allowed" in err
    status = main(["--as-role", "officer", "alerts", "acknowledge", "--db", str(database), "--role", "suspect",
                   "--measure", "rate", "--area", "E07000143", "--group", "White", "--note", "n"])
    assert status == 2 and "may not use acknowledging alerts" in capsys.readouterr().err


def test_an_acknowledgement_is_audited_and_carried_to_the_next_publication(database, sample_files, capsys):
    args = ["--db", str(database), "--role", "suspect", "--measure", "rate", "--area", "E07000143", "--group",
            "White", "--note", "Operation in Thetford since May; expected"]
    status, out, _ = _run(capsys, "acknowledge", *args)
    assert status == 0 and "2026-05" in out
    entries = AuditLog(database.parent / "audit.sqlite").entries()
    assert entries.iloc[0]["action"] == "acknowledge alert" and "Operation in Thetford" in entries.iloc[0]["what"]
    extract, population = sample_files
    load_extract(extract, database, population=population)  # the next publication: a new data version
    _, out, _ = _run(capsys, "--db", str(database), "--format", "text")
    assert "Acknowledged by" in out and "Operation in Thetford since May; expected" in out
    # Another cell is not acknowledged.
    assert out.count("Acknowledged by") == 1


def test_the_register_is_private(database, capsys, monkeypatch):
    """Issue 14, defect 11: the alert register beside the database is created 0600, never readable by others."""
    import stat

    monkeypatch.delenv("MONITOR_ALERTS_DB", raising=False)
    status, _, err = _run(capsys, "--db", str(database))
    assert status == 0, err
    register = database.parent / "alerts.sqlite"
    assert stat.S_IMODE(register.stat().st_mode) == 0o600
