"""Reading an extract into the staged columns: the SQL both the builder and the isolated reader run.

``staged_csv_select``/``staged_parquet_select`` turn an extract into ``source_row`` plus its contract
columns as text, hashing raw identifiers (``person_ref``, ``crime_ref``) as they are read.
``PublicationBuilder`` runs them into its ``staged`` table; ``ExtractReader`` runs them in a throwaway
in-memory DuckDB that never spills to disk and streams the result out as Arrow record batches.

Why two: DuckDB writes the unused slack of its memory blocks to its spill and database files as they
are (duckdb/duckdb#23382: uninitialised heap bytes in FSST string segments; the same happens to spilled
blocks), so a process that has held a raw identifier can write it into a file it never meant to store it
in. An extract with raw identifiers is therefore read in a separate process (``analytics.load.isolated``)
whose DuckDB has no temporary directory and writes no file; the process that builds the publication only
ever holds pseudonyms.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from analytics import schema
from analytics.store.errors import connect_in_memory, database_errors

#: DuckDB's memory budget while building a publication (it spills to disk beyond it). DuckDB's own
#: default is 80 % of RAM, which a 10^7-record load fills (7 GB measured); ``MONITOR_LOAD_MEMORY_LIMIT``
#: overrides, e.g. ``8GB``.
BUILD_MEMORY_LIMIT = "2500MB"
CSV_OPTIONS = (
    "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
    "ignore_errors = true, store_rejects = true, strict_mode = true, parallel = false"
)
#: The zone a Parquet timestamp with a time zone is converted to before its date is taken (the force's own).
RECORDING_TIME_ZONE = "Europe/London"
#: What is trimmed from both ends of a raw identifier before it is hashed (ASCII white space).
IDENTIFIER_WHITESPACE = " \t\n\r\x0b\x0c"
#: A pseudonymisation key's HMAC pads (inner, outer): ``analytics.load.pseudonymise.hmac_pads``.
Pads = tuple[bytes, bytes]
#: Rows per Arrow record batch the isolated reader streams.
BATCH_ROWS = 65_536

_DATE_COLUMNS = ("recorded_date", "outcome_date")

Statement = tuple[str, dict[str, Any]]


def staged_column(value: str, target: str, pads: Pads | None) -> str:
    """``value`` (text) as the staged column ``target``; a raw identifier becomes its pseudonym: HMAC-SHA256
    (RFC 2104) from the key's pads, first 32 hex digits, of the identifier trimmed; blank is missing."""
    if target not in schema.RAW_IDENTIFIER_COLUMNS:
        return f'{value} AS "{target}"'
    if pads is None:
        raise ValueError(f"{target} cannot be staged without a pseudonymisation key")
    trimmed = f"trim({value}, $identifier_whitespace)"
    pseudonym = f"left(sha256($opad || unhex(sha256($ipad || encode({trimmed})))), 32)"
    return (f"CASE WHEN {trimmed} = '' THEN NULL ELSE {pseudonym} END "
            f'AS "{schema.RAW_IDENTIFIER_COLUMNS[target]}"')


def pad_params(rename: dict[str, str], pads: Pads | None) -> dict[str, Any]:
    """The HMAC pads and the trimmed characters as parameters, when a raw identifier column is staged."""
    if pads is None or not set(rename.values()) & set(schema.RAW_IDENTIFIER_COLUMNS):
        return {}
    return {"ipad": pads[0], "opad": pads[1], "identifier_whitespace": IDENTIFIER_WHITESPACE}


def staged_csv_select(source: Path, header: list[str], rename: dict[str, str], pads: Pads | None) -> Statement:
    """The CSV's contract columns as text, numbered by ``source_row``; malformed lines go to DuckDB's
    ``reject_errors`` table."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
    select = ", ".join(staged_column(f'"c{i}"', rename[name], pads)
                       for i, name in enumerate(header) if name in rename)
    sql = (f"SELECT row_number() OVER () AS source_row, * FROM (SELECT {select} "
           f"FROM read_csv($path, columns = $columns, {CSV_OPTIONS}))")
    return sql, {"path": str(source), "columns": columns, **pad_params(rename, pads)}


def staged_parquet_select(source: Path, types: dict[str, str], rename: dict[str, str],
                          pads: Pads | None) -> Statement:
    """A Parquet file's kept columns cast to text, numbered by ``source_row``.

    Source names come from the file, so they are quoted as identifiers (a ``"`` doubled); a date or
    timestamp column meant as a date is written as ``YYYY-MM-DD`` (the time of day is dropped; a timestamp
    with a time zone is an instant, taken as its date in Europe/London, never the server's zone)."""

    def text(name: str, target: str) -> str:
        column = quoted(name)
        kind = types.get(name, "")
        if target in _DATE_COLUMNS and ("TIME ZONE" in kind or kind.startswith("TIMESTAMPTZ")):  # an instant
            local = f"timezone($recording_zone, CAST({column} AS TIMESTAMPTZ))"  # its date in England
            return staged_column(f"strftime(CAST({local} AS DATE), '%Y-%m-%d')", target, pads)
        if target in _DATE_COLUMNS and kind.startswith(("DATE", "TIMESTAMP")):
            return staged_column(f"strftime(CAST({column} AS DATE), '%Y-%m-%d')", target, pads)
        return staged_column(f"CAST({column} AS VARCHAR)", target, pads)

    select = ", ".join(text(name, target) for name, target in rename.items())
    sql = f"SELECT row_number() OVER () AS source_row, * FROM (SELECT {select} FROM read_parquet($path))"
    zone = {"recording_zone": RECORDING_TIME_ZONE} if "$recording_zone" in select else {}
    return sql, {"path": str(source), **pad_params(rename, pads), **zone}


def parquet_types(connection: duckdb.DuckDBPyConnection, source: Path) -> dict[str, str]:
    """A Parquet file's top-level column name -> DuckDB type name (nested fields are not columns)."""
    with database_errors():
        result = connection.execute("SELECT * FROM read_parquet($path) LIMIT 0", {"path": str(source)})
        description = result.description
        result.fetchall()
    return {str(d[0]): str(d[1]) for d in description}


def parquet_schema_statement(source: Path) -> Statement:
    return "SELECT name, num_children FROM parquet_schema($path)", {"path": str(source)}


def top_level_names(schema_rows: list[tuple[Any, ...]]) -> list[str]:
    """The file's top-level column names from ``parquet_schema`` rows (nested fields are skipped)."""
    names, skip = [], 0
    for name, children in schema_rows[1:]:  # the first row is the schema root
        if skip:
            skip += (children or 0) - 1
            continue
        names.append(str(name))
        skip = children or 0
    return names


def quoted(identifier: str) -> str:
    """A catalog identifier (read from the file or duckdb_tables(), never user input) as a quoted SQL name."""
    return '"' + identifier.replace('"', '""') + '"'


MALFORMED_LINES_SQL = "SELECT line, min(error_type) AS error_type FROM reject_errors GROUP BY line ORDER BY line"


class ExtractReader:
    """A throwaway in-memory DuckDB that reads one extract and writes no file: no database file, and no
    temporary directory, so it cannot spill (past ``memory_limit`` it fails with an out-of-memory error)."""

    def __init__(self, memory_limit: str):
        self._con = connect_in_memory(temp_directory="")
        with database_errors():
            self._con.execute("SET memory_limit = $limit", {"limit": memory_limit})
            self._con.execute("SET enable_progress_bar = false")  # it would print into the data stream

    def close(self) -> None:
        self._con.close()

    def parquet_columns(self, source: Path) -> list[str]:
        with database_errors():
            return top_level_names(self._con.execute(*parquet_schema_statement(source)).fetchall())

    def parquet_types(self, source: Path) -> dict[str, str]:
        return parquet_types(self._con, source)

    def stream(self, statement: Statement) -> pa.RecordBatchReader:
        """The staged rows of ``statement`` (from ``staged_*_select``), read a batch at a time as they are
        consumed; a DuckDB error met on the way is raised as ``DatabaseError``."""
        with database_errors():
            rows: pa.RecordBatchReader = self._con.execute(*statement).to_arrow_reader(BATCH_ROWS)

        def batches() -> Iterator[pa.RecordBatch]:
            with database_errors():
                yield from rows

        return pa.RecordBatchReader.from_batches(rows.schema, batches())

    def malformed_lines(self) -> list[tuple[int, str]]:
        """The CSV lines the last read set aside (line number, DuckDB's error type), after reading them."""
        with database_errors():
            rows = self._con.execute(MALFORMED_LINES_SQL).fetchall()
        return [(int(line), str(kind)) for line, kind in rows]
