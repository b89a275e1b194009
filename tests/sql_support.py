"""Test-only raw SQL on a published database, through the test's own read-only DuckDB connection.

The product reads the database only through the named methods of ``analytics.store`` (its raw query
method is private); a test that checks what a load wrote reads the file independently with ``query``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

# the product's connection settings: DuckDB refuses a second connection to one file with other settings
from analytics.store.errors import CONNECTION_CONFIG


def query(database: str | os.PathLike[str], sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``sql`` on the publication ``database`` points to now and return the result as a frame."""
    connection = duckdb.connect(str(Path(database).resolve(strict=True)), read_only=True,
                                config=dict(CONNECTION_CONFIG))
    try:
        return connection.execute(sql, params or {}).df()
    finally:
        connection.close()
