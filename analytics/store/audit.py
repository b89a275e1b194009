"""An append-only audit log of exports and pack generations (issue 6, part 5), in SQLite.

Kept in its own SQLite file (``analytics.access.audit_path``), never in the published DuckDB
database, which every load replaces. Triggers abort any UPDATE or DELETE, ``AuditLog`` offers only
``append`` and reads, and each row carries a SHA-256 chained over the previous row, so an edit made
around the triggers (by someone with write access to the file) shows in ``verify()``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

AUDIT_FIELDS = ("at", "user", "role", "source", "action", "what", "kind", "rows", "filters", "query",
                "data_version", "page")
_AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, source TEXT NOT NULL, action TEXT NOT NULL,
    what TEXT NOT NULL, kind TEXT, rows INTEGER, filters TEXT, query TEXT, data_version TEXT, page TEXT,
    prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: REPLACE refused'); END;
"""
_GENESIS = "0" * 64


def _audit_hash(previous: str, entry: dict) -> str:
    canonical = json.dumps([entry.get(f) for f in AUDIT_FIELDS], ensure_ascii=False, default=str)
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


class AuditLog:
    """Append-only audit records in a SQLite file; every value is a bound parameter."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.executescript(_AUDIT_SCHEMA)
        return con

    def append(self, **entry) -> int:
        """Write one record (``AUDIT_FIELDS``; ``at`` defaults to now, UTC); returns its id."""
        unknown = set(entry) - set(AUDIT_FIELDS)
        if unknown:
            raise ValueError(f"unknown audit fields: {', '.join(sorted(unknown))}")
        for required in ("user", "role", "source", "action", "what"):
            if not entry.get(required):
                raise ValueError(f"an audit record needs {required}")
        entry.setdefault("at", datetime.now(UTC).isoformat(timespec="seconds"))
        if isinstance(entry.get("query"), (dict, list)):
            entry["query"] = json.dumps(entry["query"], ensure_ascii=False, sort_keys=True)
        row = {f: entry.get(f) for f in AUDIT_FIELDS}
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")  # one writer at a time: the chain stays linear
            last = con.execute("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            previous = last[0] if last else _GENESIS
            cursor = con.execute(
                f"INSERT INTO audit_log ({', '.join(AUDIT_FIELDS)}, prev_hash, row_hash) "
                f"VALUES ({', '.join(':' + f for f in AUDIT_FIELDS)}, :prev_hash, :row_hash)",
                {**row, "prev_hash": previous, "row_hash": _audit_hash(previous, row)},
            )
            con.execute("COMMIT")
            row_id = cursor.lastrowid
            if row_id is None:  # sqlite3 sets it after every INSERT; None would mean no row was written
                raise RuntimeError("the audit log did not record the entry")
            return row_id
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def entries(self, limit: int | None = 1000) -> pd.DataFrame:
        """The newest records first."""
        if not self.path.exists():
            return pd.DataFrame(columns=["id", *AUDIT_FIELDS])
        con = self._connect()
        try:
            sql = f"SELECT id, {', '.join(AUDIT_FIELDS)} FROM audit_log ORDER BY id DESC"
            params: tuple = ()
            if limit is not None:
                sql += " LIMIT ?"
                params = (int(limit),)
            return pd.read_sql_query(sql, con, params=params)
        finally:
            con.close()

    def verify(self) -> tuple[bool, str]:
        """Recompute the hash chain: (True, summary) or (False, the first broken record)."""
        if not self.path.exists():
            return True, "no audit records yet"
        con = self._connect()
        try:
            rows = con.execute(
                f"SELECT id, {', '.join(AUDIT_FIELDS)}, prev_hash, row_hash FROM audit_log ORDER BY id"
            ).fetchall()
        finally:
            con.close()
        previous = _GENESIS
        for row in rows:
            entry = dict(zip(AUDIT_FIELDS, row[1:-2], strict=True))
            if row[-2] != previous or row[-1] != _audit_hash(previous, entry):
                return False, f"audit record {row[0]} does not match the chain: the file was altered"
            previous = row[-1]
        return True, f"{len(rows):,} audit records, chain intact"
