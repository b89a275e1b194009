"""A tamper-evident, append-only audit log of exports and pack generations (issue 6 part 5; issue 14 part 7).

Three files, each private to the account that writes them (0600; a folder made for them 0700):

* the log ``PATH`` (SQLite, never the published DuckDB file, which every load replaces): triggers abort any
  UPDATE or DELETE, and each row carries ``row_hash = HMAC-SHA256(key, previous row_hash, id, fields)``;
* the key, never stored in the log: ``MONITOR_AUDIT_KEY`` (at least 16 bytes), else the file named by
  ``MONITOR_AUDIT_KEY_FILE``, else ``PATH.key`` beside the log, made (32 random bytes, hex) with the first record;
* the anchor ``PATH.anchor``: the number of entries, the last ``row_hash`` and an HMAC over both, rewritten with
  every record while the log's write lock is held.

Dropping the triggers does not help a writer without the key: an edited row, or a chain recomputed with another
key, breaks the keyed chain; deleting the last rows or every row, or the whole file, disagrees with the anchor,
which cannot be rewritten without the key. What the anchor cannot catch is an old copy of the whole log restored
together with the anchor of that day: keep the line ``python -m analytics audit verify`` prints somewhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

AUDIT_FIELDS = ("at", "user", "role", "source", "action", "what", "kind", "rows", "filters", "query",
                "data_version", "page")
KEY_ENV = "MONITOR_AUDIT_KEY"
KEY_FILE_ENV = "MONITOR_AUDIT_KEY_FILE"
#: The shortest audit key accepted, from any source (128 bits).
MIN_KEY_BYTES = 16
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
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
VERIFY_HINT = "run `python -m analytics audit verify`"


class AuditError(ValueError):
    """The audit log cannot be trusted or used; ``str()`` is one line naming the problem."""

    exit_status = 2


class AuditTampered(AuditError):
    """The log, its anchor or its chain shows a change no ``append`` makes."""

    exit_status = 1


class AuditUnusable(AuditError):
    """The log cannot be read (not SQLite, a folder, another schema) or there is no key to check it with."""


@dataclass(frozen=True)
class AuditCheck:
    """The outcome of ``AuditLog.verify``: one line, and the exit status ``audit verify`` returns (0 intact,
    1 tampering detected, 2 unusable)."""

    summary: str
    entries: int = 0
    exit_status: int = 0

    @property
    def intact(self) -> bool:
        return self.exit_status == 0


@dataclass(frozen=True)
class Anchor:
    entries: int
    last_hash: str
    mac: str


def _canonical(*parts: object) -> bytes:
    return json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8")


def _row_hash(key: bytes, previous: str, row_id: int, entry: dict) -> str:
    """HMAC-SHA256 (RFC 2104) over the previous row's hash, this row's id and its fields."""
    message = _canonical(previous, row_id, *(entry.get(f) for f in AUDIT_FIELDS))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _anchor_mac(key: bytes, entries: int, last_hash: str) -> str:
    return hmac.new(key, _canonical("anchor", entries, last_hash), hashlib.sha256).hexdigest()


def _plain(path: Path) -> str:
    """A path for a one-line message: control characters escaped."""
    return str(path).encode("unicode_escape").decode("ascii") if not str(path).isprintable() else str(path)


def _write_private(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to a new 0600 file and move it into place (atomic; ``exclusive``: fail if it exists)."""
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        return
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise


class AuditLog:
    """Append-only audit records in a SQLite file, chained with a key kept outside it; every value a bound
    parameter."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.key_path = self.path.with_name(self.path.name + ".key")
        self.anchor_path = self.path.with_name(self.path.name + ".anchor")

    # Key and anchor ----------------------------------------------------------------------------
    def _key(self, *, create: bool = False) -> bytes:
        """``MONITOR_AUDIT_KEY``, else ``MONITOR_AUDIT_KEY_FILE``, else ``PATH.key`` (made when ``create``)."""
        raw = os.environ.get(KEY_ENV)
        if raw:
            key, source = raw.encode("utf-8"), KEY_ENV
        else:
            path = Path(os.environ.get(KEY_FILE_ENV) or self.key_path)
            source = f"the audit key file {_plain(path)}"
            if create and path == self.key_path and not path.exists():
                _write_private(path, secrets.token_hex(32) + "\n", exclusive=True)
            try:
                key = path.read_bytes().strip()
            except FileNotFoundError:
                raise AuditUnusable(f"no key to check the audit log with: {KEY_ENV} is not set and "
                                    f"{_plain(path)} does not exist") from None
            except OSError as exc:
                raise AuditUnusable(f"cannot read {source} ({exc.strerror})") from None
        if len(key) < MIN_KEY_BYTES:
            raise AuditUnusable(f"the audit key in {source} is too short ({len(key)} bytes; at least {MIN_KEY_BYTES})")
        return key

    def _read_anchor(self) -> Anchor | None:
        try:
            text = self.anchor_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:  # its folder is a file, or unreadable: the configured path is the problem
            raise AuditUnusable(f"the audit anchor {_plain(self.anchor_path)} cannot be read "
                                f"({exc.strerror or type(exc).__name__})") from None
        except UnicodeDecodeError:
            raise AuditTampered(f"the audit anchor {_plain(self.anchor_path)} is not an anchor this program "
                                "wrote") from None
        try:
            values = json.loads(text)
            return Anchor(int(values["entries"]), str(values["last_hash"]), str(values["mac"]))
        except (ValueError, TypeError, KeyError):
            raise AuditTampered(f"the audit anchor {_plain(self.anchor_path)} is not an anchor this program "
                                "wrote") from None

    def _check_anchor(self, key: bytes, anchor: Anchor | None, entries: int, last_hash: str) -> None:
        """The log's end (``entries`` rows, the last with ``last_hash``) against the anchor."""
        if anchor is None:
            if entries:
                raise AuditTampered(f"the audit anchor {_plain(self.anchor_path)} is missing but the log has "
                                    f"{entries:,} entries")
            return
        if not hmac.compare_digest(anchor.mac, _anchor_mac(key, anchor.entries, anchor.last_hash)):
            raise AuditTampered(f"the audit anchor {_plain(self.anchor_path)} was altered (its HMAC does not match)")
        if anchor.entries != entries:
            what = ("every entry was removed" if entries == 0 else
                    f"the last {anchor.entries - entries:,} were removed" if entries < anchor.entries else
                    "entries were added without the key")
            raise AuditTampered(f"the audit log has {entries:,} entries but its anchor records {anchor.entries:,}: "
                                f"{what}")
        if not hmac.compare_digest(anchor.last_hash, last_hash):
            raise AuditTampered(f"the last audit entry ({entries:,}) is not the one its anchor records")

    # Files -------------------------------------------------------------------------------------------
    def _log_missing(self) -> bool:
        return not self.path.exists() and not self.path.is_symlink()

    def _check_missing_log(self) -> None:
        """A missing log is new only if nothing says it held entries: no anchor, no key file made beside it."""
        anchor = self._read_anchor()
        if anchor is not None:
            raise AuditTampered(f"the audit log {_plain(self.path)} is missing but its anchor records "
                                f"{anchor.entries:,} entries")
        if self.key_path.exists() and not os.environ.get(KEY_ENV) and not os.environ.get(KEY_FILE_ENV):
            raise AuditTampered(f"the audit log {_plain(self.path)} is missing but its key file "
                                f"{_plain(self.key_path)} exists: entries were recorded")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The log opened read-only (nothing is created), inside a read transaction: the anchor read while it is
        open matches the rows (``append`` holds an exclusive lock while it writes both)."""
        if self.path.is_dir():
            raise AuditUnusable(f"the audit log {_plain(self.path)} is a folder, not a file")
        try:
            con = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30,
                                  isolation_level=None)
        except sqlite3.Error as exc:
            raise AuditUnusable(f"the audit log {_plain(self.path)} cannot be opened ({exc})") from None
        try:
            con.execute("BEGIN")
            yield con
        except sqlite3.Error as exc:
            raise AuditUnusable(f"the audit log {_plain(self.path)} is not a readable audit log ({exc})") from None
        finally:
            con.close()

    def _writing(self) -> sqlite3.Connection:
        folder = self.path.parent
        if self.path.is_dir():
            raise AuditUnusable(f"the audit log {_plain(self.path)} is a folder, not a file")
        try:
            if not folder.exists():
                folder.mkdir(parents=True, mode=PRIVATE_FOLDER, exist_ok=True)
            if self._log_missing():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        except OSError as exc:
            raise AuditUnusable(f"the audit log {_plain(self.path)} cannot be created "
                                f"({exc.strerror or type(exc).__name__})") from None
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.executescript(_AUDIT_SCHEMA)
        except sqlite3.Error as exc:
            raise AuditUnusable(f"the audit log {_plain(self.path)} cannot be written ({exc})") from None
        return con

    # Public --------------------------------------------------------------------------------------------
    def append(self, **entry) -> int:
        """Write one record (``AUDIT_FIELDS``; ``at`` defaults to now, UTC); returns its id. Refused
        (``AuditError``) when the log's end does not match its anchor."""
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
        if self._log_missing():
            self._check_missing_log()
        con = self._writing()
        previous_anchor = None
        try:
            con.execute("BEGIN EXCLUSIVE")  # one writer, no reader: the chain stays linear, rows and anchor agree
            entries, last_id = con.execute("SELECT count(*), coalesce(max(id), 0) FROM audit_log").fetchone()
            last = con.execute("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            previous = last[0] if last else _GENESIS
            previous_anchor = self._read_anchor()
            key = self._key(create=entries == 0 and previous_anchor is None)
            self._check_anchor(key, previous_anchor, entries, previous)
            if last_id != entries:
                raise AuditTampered(f"the audit log's ids do not run 1 to {entries:,}: entries were removed")
            row_id = entries + 1
            row_hash = _row_hash(key, previous, row_id, row)
            con.execute(
                f"INSERT INTO audit_log (id, {', '.join(AUDIT_FIELDS)}, prev_hash, row_hash) "
                f"VALUES (:id, {', '.join(':' + f for f in AUDIT_FIELDS)}, :prev_hash, :row_hash)",
                {**row, "id": row_id, "prev_hash": previous, "row_hash": row_hash},
            )
            _write_private(self.anchor_path, json.dumps(
                {"entries": row_id, "last_hash": row_hash, "mac": _anchor_mac(key, row_id, row_hash)}) + "\n")
            try:
                con.execute("COMMIT")
            except BaseException:
                self._restore_anchor(previous_anchor)
                raise
            return row_id
        except (sqlite3.Error, OSError) as exc:  # a full disk, a read-only folder: one line, nothing recorded
            raise AuditUnusable(f"the audit log {_plain(self.path)} cannot be written ({exc})") from None
        finally:
            if con.in_transaction:
                con.execute("ROLLBACK")
            con.close()

    def _restore_anchor(self, anchor: Anchor | None) -> None:
        if anchor is None:
            self.anchor_path.unlink(missing_ok=True)
        else:
            _write_private(self.anchor_path, json.dumps(
                {"entries": anchor.entries, "last_hash": anchor.last_hash, "mac": anchor.mac}) + "\n")

    def entries(self, limit: int | None = 1000) -> pd.DataFrame:
        """The newest records first (none when the log does not exist); ``AuditUnusable`` if it cannot be read."""
        if self._log_missing():
            return pd.DataFrame(columns=["id", *AUDIT_FIELDS])
        sql = f"SELECT id, {', '.join(AUDIT_FIELDS)} FROM audit_log ORDER BY id DESC"
        params: tuple = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (int(limit),)
        with self._reading() as con:
            if not self._has_table(con):
                return pd.DataFrame(columns=["id", *AUDIT_FIELDS])
            try:
                return pd.read_sql_query(sql, con, params=params)
            except (sqlite3.Error, pd.errors.DatabaseError) as exc:
                raise AuditUnusable(f"the audit log {_plain(self.path)} is not a readable audit log "
                                    f"({str(exc).splitlines()[0][:200]})") from None

    def _has_table(self, con: sqlite3.Connection) -> bool:
        """Whether the log has its table; a non-empty file without it is another database."""
        found = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").fetchone()
        if found is None and self.path.stat().st_size > 0:
            raise AuditUnusable(f"{_plain(self.path)} is an SQLite file but not an audit log (no audit_log table)")
        return found is not None

    def verify(self) -> AuditCheck:
        """Recompute the keyed chain and compare the log's end with the anchor: one line, and 0 (intact),
        1 (tampering detected) or 2 (the log cannot be read or checked)."""
        try:
            return self._verify()
        except AuditError as exc:
            return AuditCheck(str(exc), exit_status=exc.exit_status)

    def _verify(self) -> AuditCheck:
        if self._log_missing():
            self._check_missing_log()
            return AuditCheck(f"audit log intact: 0 entries (nothing recorded yet in {_plain(self.path)})")
        with self._reading() as con:
            rows = con.execute(
                f"SELECT id, {', '.join(AUDIT_FIELDS)}, prev_hash, row_hash FROM audit_log ORDER BY id"
            ).fetchall() if self._has_table(con) else []
            anchor = self._read_anchor()
        if not rows and anchor is None:
            return AuditCheck(f"audit log intact: 0 entries (nothing recorded yet in {_plain(self.path)})")
        key = self._key()
        previous = _GENESIS
        for position, row in enumerate(rows, start=1):
            if row[0] != position:
                raise AuditTampered(f"audit entry {position} is missing (the next is {row[0]}): entries were removed")
            entry = dict(zip(AUDIT_FIELDS, row[1:-2], strict=True))
            if row[-2] != previous or not hmac.compare_digest(row[-1], _row_hash(key, previous, row[0], entry)):
                raise AuditTampered(f"audit entry {row[0]} does not match the keyed chain: the log was altered")
            previous = row[-1]
        self._check_anchor(key, anchor, len(rows), previous)
        return AuditCheck(f"audit log intact: {len(rows):,} entries, keyed chain and anchor agree "
                          f"(last hash {previous[:16]})", entries=len(rows))
