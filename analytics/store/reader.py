"""Read-only connections to the published database, shared by ``Store`` and ``SearchStore``.

One cursor per query (so Streamlit's threads never share one); a reconnection when a new publication
replaces the file; a ``snapshot()`` that pins one publication for a block of queries. The raw query
methods are private: other modules ask ``Store`` and ``SearchStore`` for what they need by name.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics.store.errors import DatabaseError, NoDataError, connect, database_errors, printable


def _check_format(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a publication written by an earlier version (before ``records.person_key``, or before the cell
    keys ``record_ckey``/``person_ckey`` of issue 14) with a clear message."""
    row = connection.execute(
        "SELECT COUNT(*) FILTER (WHERE table_name = 'publication'), "
        "COUNT(*) FILTER (WHERE table_name = 'records' "
        "AND list_contains(['person_key', 'record_ckey', 'person_ckey'], column_name)) "
        "FROM information_schema.columns"
    ).fetchone()
    if not (row and row[0]):
        connection.close()
        raise NoDataError(f"{printable(path.name)} is not a database the monitor published (it has no publication "
                          "table): check --db")
    if row[1] != 3:
        connection.close()
        raise NoDataError(f"the published database {printable(path.name)} was written by an earlier version of the "
                          "monitor and must be loaded again")


def not_a_publication(path: Path) -> str | None:
    """Why the existing file ``path`` is not a database the monitor published (one line), or None if it is one
    (of this version or an earlier one, which a load may replace)."""
    try:
        connection = connect(path, read_only=True)
    except DatabaseError as exc:
        return str(exc)
    try:
        with database_errors():
            found = connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'publication'").fetchone()
    except DatabaseError as exc:
        return str(exc)
    finally:
        connection.close()
    return None if found and found[0] else f"{printable(path.name)} has no publication table"


@dataclass
class _Connection:
    """The state every reader of one database path shares: the connection to the current publication,
    and each thread's pinned cursor inside ``snapshot()``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    connection: duckdb.DuckDBPyConnection | None = None
    identity: Path | None = None
    pinned: threading.local = field(default_factory=threading.local)


class PublicationReader:
    """Read-only access to the publication a database path points to; safe to share between threads.

    ``PublicationReader(path)`` opens its own connection; ``PublicationReader(other_reader)`` reads through
    ``other_reader``'s (so a ``SearchStore`` made from a ``Store`` shares its connection and snapshots).
    """

    _connection: _Connection

    def __init__(self, source: str | os.PathLike[str] | PublicationReader):
        if isinstance(source, PublicationReader):
            self.path: Path = source.path
            self._connection = source._connection  # noqa: SLF001 - the same class: share its connection
        else:
            self.path = Path(source)
            self._connection = _Connection()

    def _current_file(self) -> Path:
        """The publication the database path points to now (it is a symlink swapped by each load)."""
        try:
            return self.path.resolve(strict=True)
        except (FileNotFoundError, RuntimeError):
            raise NoDataError(f"no data has been loaded yet ({self.path} does not exist)") from None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the current publication; reconnects when a load has published a new one.

        Each publication is its own file, so a new connection never meets DuckDB's per-path instance
        cache of the old one, and cursors already running on the old file finish on it. The old
        connection is therefore not closed here (closing a DuckDB connection closes every cursor made
        from it, failing another thread's batch of queries or ``snapshot()`` with "Connection already
        closed"): it is dropped, and DuckDB releases the old file when the last of its cursors closes.
        Inside ``snapshot()`` the cursor comes from the thread's pinned publication.
        """
        state = self._connection
        pinned = getattr(state.pinned, "cursor", None)
        with database_errors(self.path):
            if pinned is not None:
                return pinned.cursor()
            current = self._current_file()
            with state.lock:
                if state.connection is None or current != state.identity:
                    connection = connect(current, read_only=True)
                    _check_format(connection, current)
                    state.connection, state.identity = connection, current
                return state.connection.cursor()

    @contextmanager
    def snapshot(self) -> Iterator[PublicationReader]:
        """Every query this thread makes inside the block reads the one publication current at entry, so a
        result built from several queries (events and their population denominators, say) is never half
        old, half new. Other threads are unaffected; a nested block shares the outer one."""
        pinned = self._connection.pinned
        if getattr(pinned, "cursor", None) is not None:
            yield self
            return
        cursor = self._cursor()
        pinned.cursor = cursor
        try:
            yield self
        finally:
            pinned.cursor = None
            cursor.close()

    def close(self) -> None:
        state = self._connection
        with state.lock:
            if state.connection is not None:
                state.connection.close()
                state.connection = None

    def _query(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
        cursor = self._cursor()
        try:
            with database_errors(self.path):
                return cursor.execute(sql, params or {}).df()
        finally:
            cursor.close()

    def _queries(self, statements: list[tuple[str, dict[str, Any]]]) -> list[pd.DataFrame]:
        """Several queries answered from one publication (one cursor), never half old, half new."""
        cursor = self._cursor()
        try:
            with database_errors(self.path):
                return [cursor.execute(sql, params).df() for sql, params in statements]
        finally:
            cursor.close()

    def _large_query(self, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        """``_query`` for results of many rows: fetched through Arrow (text columns are not built one
        Python string at a time), with the same column types as ``_query`` gives."""
        cursor = self._cursor()
        try:
            with database_errors(self.path):
                table = cursor.sql(sql, params=params).to_arrow_table()
        finally:
            cursor.close()
        if table.num_rows == 0:
            return self._query(sql, params)  # the empty frame's column types as ``_query`` makes them
        frame = table.to_pandas(date_as_object=False)
        for column in frame.columns:
            if frame[column].dtype.kind == "M":
                frame[column] = frame[column].astype("datetime64[us]")
        return frame

    def _has_table(self, table: str) -> bool:
        """Whether the current publication holds ``table`` (a fixed name, bound as a parameter)."""
        frame = self._query(
            "SELECT COUNT(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $table",
            {"table": table},
        )
        return bool(frame["n"].iloc[0])
