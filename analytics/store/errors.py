"""The store's exceptions: what a reader or a loader may catch without importing duckdb."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


class NoDataError(RuntimeError):
    """No database has been published yet at the configured path (or it must be loaded again)."""


class DatabaseError(RuntimeError):
    """DuckDB refused a statement or a file; ``str()`` is a one-line message."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn any DuckDB error raised inside the block into ``DatabaseError`` with a one-line message."""
    try:
        yield
    except duckdb.Error as exc:
        raise DatabaseError(one_line(exc)) from exc
