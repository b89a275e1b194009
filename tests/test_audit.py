"""The tamper-evident audit log (issue 14, part 7): a keyed chain and an anchor.

Each attack of the issue is made here as someone with write access to the log's file but not the key would make
it: triggers dropped then the last rows deleted, every row deleted, a row edited and the chain recomputed without
the key (unkeyed SHA-256, and an HMAC with a guessed key), the log deleted, a garbage file. Each must be detected by
``AuditLog.verify`` and by ``python -m analytics audit verify`` (one line, exit 1 for tampering, 2 for a log that
cannot be read), and ``append`` must refuse to extend a log whose end does not match its anchor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.cli import main as commands
from analytics.store import AUDIT_FIELDS, AuditLog, AuditTampered, AuditUnusable

PROJECT = Path(__file__).resolve().parents[1]
KEY = "a-test-key-of-thirty-two-bytes!!"


@pytest.fixture(autouse=True)
def _no_audit_environment(monkeypatch):
    for name in ("MONITOR_AUDIT_KEY", "MONITOR_AUDIT_KEY_FILE", "MONITOR_AUDIT_DB", "MONITOR_CONFIG", "MONITOR_ROLE"):
        monkeypatch.delenv(name, raising=False)


def filled(folder: Path, entries: int = 3) -> AuditLog:
    log = AuditLog(folder / "audit.sqlite")
    for n in range(1, entries + 1):
        log.append(user=f"user{n}", role="analyst", source="cli", action="export", what=f"file{n}.csv", rows=n)
    return log


def run_sql(log: AuditLog, script: str) -> None:
    con = sqlite3.connect(log.path)
    try:
        con.executescript(script)
    finally:
        con.close()


def rechain(log: AuditLog, digest) -> None:
    """Recompute every row's hash with ``digest(previous, row_id, fields) -> hex``, as a forger would."""
    con = sqlite3.connect(log.path)
    try:
        rows = con.execute(f"SELECT id, {', '.join(AUDIT_FIELDS)} FROM audit_log ORDER BY id").fetchall()
        previous = "0" * 64
        for row in rows:
            row_hash = digest(previous, row[0], row[1:])
            con.execute("UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE id = ?", (previous, row_hash, row[0]))
            previous = row_hash
        con.commit()
    finally:
        con.close()


def verify_cli(log: AuditLog) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return subprocess.run([sys.executable, "-m", "analytics", "audit", "verify"], cwd=PROJECT, capture_output=True,
                          text=True, env={**env, "MONITOR_AUDIT_DB": str(log.path)}, timeout=120)


@pytest.fixture
def assert_detected(monkeypatch, capsys):
    """``check(log, status, words)``: ``verify`` and ``audit verify`` (in process) both report it, in one line."""

    def check(log: AuditLog, status: int, words: str) -> None:
        result = log.verify()
        assert result.exit_status == status and not result.intact and words in result.summary, result.summary
        monkeypatch.setenv("MONITOR_AUDIT_DB", str(log.path))
        capsys.readouterr()
        assert commands.main(["audit", "verify"]) == status
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1 and words in err, err

    return check


# --------------------------------------------------------------------------------------------
# Untampered
# --------------------------------------------------------------------------------------------
def test_an_untampered_log_verifies(tmp_path):
    log = filled(tmp_path)
    check = log.verify()
    assert check.intact and check.entries == 3 and check.exit_status == 0
    done = verify_cli(log)
    assert done.returncode == 0 and done.stderr == ""
    (line,) = done.stdout.strip().splitlines()
    assert line.startswith("audit log intact: 3 entries")


def test_audit_verify_reports_tampering_in_one_line_and_exit_1(tmp_path):
    log = filled(tmp_path)
    run_sql(log, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 3;")
    done = verify_cli(log)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("audit log tampered:") and "anchor records 3" in line


def test_a_log_never_written_verifies_as_empty(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite")
    check = log.verify()
    assert check.intact and check.entries == 0 and "0 entries" in check.summary
    assert not log.path.exists()  # checking creates nothing


def test_the_chain_is_keyed_with_hmac_sha256(tmp_path):
    """Row 1's hash recomputed independently (RFC 2104 HMAC from the standard library) from the key file."""
    log = filled(tmp_path, 1)
    key = log.key_path.read_bytes().strip()
    con = sqlite3.connect(log.path)
    row = con.execute(f"SELECT id, {', '.join(AUDIT_FIELDS)}, row_hash FROM audit_log").fetchone()
    con.close()
    message = json.dumps(["0" * 64, *row[:-1]], ensure_ascii=False).encode()
    assert row[-1] == hmac.new(key, message, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------
# Each attack of the issue
# --------------------------------------------------------------------------------------------
def test_triggers_dropped_then_the_last_rows_deleted(tmp_path, assert_detected):
    log = filled(tmp_path, 5)
    run_sql(log, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id > 3;")
    assert_detected(log, 1, "its anchor records 5: the last 2 were removed")


def test_every_row_deleted(tmp_path, assert_detected):
    log = filled(tmp_path)
    run_sql(log, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log; DELETE FROM sqlite_sequence;")
    assert_detected(log, 1, "every entry was removed")


def test_a_row_deleted_in_the_middle(tmp_path, assert_detected):
    log = filled(tmp_path)
    run_sql(log, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 2;")
    assert_detected(log, 1, "audit entry 2 is missing")


def test_a_row_edited_and_the_chain_recomputed_without_the_key(tmp_path, assert_detected):
    log = filled(tmp_path)
    run_sql(log, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET user = 'nobody' WHERE id = 2;")
    rechain(log, lambda previous, _id, fields: hashlib.sha256(
        (previous + json.dumps(list(fields), ensure_ascii=False, default=str)).encode()).hexdigest())
    assert_detected(log, 1, "audit entry 1 does not match the keyed chain")


def test_a_chain_recomputed_with_a_guessed_key_and_a_forged_anchor(tmp_path, assert_detected):
    """The forger rebuilds the chain exactly as the program does but with their own key, and writes an anchor
    for it: the chain fails at the first row, and an anchor alone rewritten for a truncated log fails its HMAC."""
    log = filled(tmp_path)
    guessed = b"guessed-key-guessed-key-guessed!"

    def forged(previous, row_id, fields):
        message = json.dumps([previous, row_id, *fields], ensure_ascii=False, default=str).encode()
        return hmac.new(guessed, message, hashlib.sha256).hexdigest()

    run_sql(log, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET role = 'scrutiny' WHERE id = 3;")
    rechain(log, forged)
    assert_detected(log, 1, "audit entry 1 does not match the keyed chain")

    other = filled(tmp_path / "other")
    run_sql(other, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 3;")
    last = sqlite3.connect(other.path).execute("SELECT row_hash FROM audit_log WHERE id = 2").fetchone()[0]
    other.anchor_path.write_text(json.dumps({"entries": 2, "last_hash": last, "mac": hashlib.sha256(
        json.dumps(["anchor", 2, last]).encode()).hexdigest()}))
    assert_detected(other, 1, "was altered (its HMAC does not match)")


def test_the_log_file_deleted(tmp_path, assert_detected):
    log = filled(tmp_path)
    log.path.unlink()
    assert_detected(log, 1, "is missing but its anchor records 3 entries")
    log.anchor_path.unlink()  # and its anchor: the key file made with the first entry still says entries existed
    assert_detected(log, 1, "is missing but its key file")


def test_the_anchor_deleted(tmp_path, assert_detected):
    log = filled(tmp_path)
    log.anchor_path.unlink()
    assert_detected(log, 1, "anchor")


@pytest.mark.parametrize("content", [b"this is not a database\n" * 40, os.urandom(4096)], ids=["text", "random"])
def test_a_garbage_file(tmp_path, content, assert_detected):
    log = AuditLog(tmp_path / "audit.sqlite")
    log.path.write_bytes(content)
    assert_detected(log, 2, "is not a readable audit log")
    with pytest.raises(AuditUnusable, match="not a readable audit log"):
        log.entries()
    with pytest.raises(AuditUnusable):
        log.append(user="u", role="analyst", source="cli", action="export", what="f.csv")


def test_a_folder_or_another_sqlite_database(tmp_path, assert_detected):
    folder = AuditLog(tmp_path / "audit.sqlite")
    folder.path.mkdir()
    assert_detected(folder, 2, "is a folder, not a file")
    other = AuditLog(tmp_path / "other.sqlite")
    run_sql(other, "CREATE TABLE something (x INTEGER); INSERT INTO something VALUES (1);")
    assert_detected(other, 2, "not an audit log (no audit_log table)")


def test_no_key_to_check_with(tmp_path, assert_detected):
    log = filled(tmp_path)
    log.key_path.unlink()
    assert_detected(log, 2, "no key to check the audit log with")


# --------------------------------------------------------------------------------------------
# Appending to a tampered log is refused; the key stays outside the log
# --------------------------------------------------------------------------------------------
def test_append_refuses_a_log_whose_end_does_not_match_its_anchor(tmp_path):
    log = filled(tmp_path)
    run_sql(log, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 3;")
    with pytest.raises(AuditTampered, match="the last 1 were removed"):
        log.append(user="u", role="analyst", source="cli", action="export", what="f.csv")
    assert len(log.entries()) == 2  # nothing written over the evidence
    log.path.unlink()
    with pytest.raises(AuditTampered, match="is missing but its anchor"):
        log.append(user="u", role="analyst", source="cli", action="export", what="f.csv")
    assert not log.path.exists()


@pytest.mark.parametrize("source", ["environment", "key file"])
def test_the_key_never_appears_in_the_log_or_the_anchor(tmp_path, monkeypatch, source):
    if source == "environment":
        monkeypatch.setenv("MONITOR_AUDIT_KEY", KEY)
    log = filled(tmp_path, 20)
    assert log.verify().intact
    key = KEY.encode() if source == "environment" else log.key_path.read_bytes().strip()
    assert len(key) >= 16 and (log.key_path.exists() == (source == "key file"))
    for path in (log.path, log.anchor_path):
        data = path.read_bytes()
        assert key not in data and key.hex().encode() not in data
    if source == "environment":  # the key, not the log, decides: without it the chain cannot be checked
        monkeypatch.setenv("MONITOR_AUDIT_KEY", KEY[::-1])
        assert log.verify().exit_status == 1


def test_a_short_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_AUDIT_KEY", "x" * 15)
    with pytest.raises(AuditUnusable, match="too short"):
        filled(tmp_path, 1)


def test_the_log_its_key_and_anchor_are_private(tmp_path):
    log = filled(tmp_path / "new" / "folder", 1)
    for path in (log.path, log.key_path, log.anchor_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700
