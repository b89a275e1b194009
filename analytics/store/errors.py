"""The store's exceptions: what a reader or a loader may catch without importing duckdb."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from analytics.messages import printable


class NoDataError(RuntimeError):
    """No database has been published yet at the configured path (or it must be loaded again)."""


class DatabaseError(RuntimeError):
    """DuckDB refused a statement or a file; ``str()`` is a one-line message."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


#: Every DuckDB connection: never load or download an extension on its own (a SQLite or other file given as
#: ``--db`` would otherwise make DuckDB fetch ``sqlite_scanner`` from the network). What the monitor uses (parquet,
#: icu, json) is statically linked.
CONNECTION_CONFIG = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}
SQLITE_MAGIC = b"SQLite format 3\x00"


def connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path`` with extension autoloading and autoinstalling off; a SQLite file is
    refused by name (DuckDB would look for its SQLite extension)."""
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            raise DatabaseError(f"{printable(path.name)} is a SQLite file, not a DuckDB database")
    with database_errors():
        return duckdb.connect(str(path), read_only=read_only, config=dict(CONNECTION_CONFIG))


def connect_in_memory(**settings: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB (extension autoloading and autoinstalling off, as ``connect``) with ``settings``."""
    with database_errors():
        return duckdb.connect(":memory:", config={**CONNECTION_CONFIG, **settings})


@contextmanager
def database_errors(path: Path | None = None) -> Iterator[None]:
    """Turn any DuckDB error raised inside the block into ``DatabaseError`` with a one-line message. Reading a
    publication (``path``), a missing table or column means the file is not one this version wrote: said so,
    without DuckDB's Binder/Catalog error and its SQL."""
    try:
        yield
    except (duckdb.BinderException, duckdb.CatalogException) as exc:
        if path is None:
            raise DatabaseError(one_line(exc)) from exc
        raise DatabaseError(f"{printable(path.name)} does not have the tables and columns this version of the "
                            "monitor reads (another program's file, or an altered one): check --db, or load the "
                            "data again") from exc
    except duckdb.Error as exc:
        raise DatabaseError(one_line(exc)) from exc
