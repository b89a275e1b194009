"""The only module that holds SQL and DuckDB connections (DESIGN.md section 2).

Two classes:

* ``PublicationBuilder`` builds a new database file for the loader: stage the extract, validate every
  row, derive the analysis columns, record rejected rows and the load summary. It never touches the
  published file; ``analytics.load`` publishes the finished file with an atomic rename.
* ``Store`` reads the published database through read-only connections, one cursor per query (so
  Streamlit's threads never share one), and reconnects when a new publication replaces the file.

Every value reaches DuckDB as a bound parameter. Column names come only from the fixed mappings below
(``DIMENSION_COLUMNS``, ``GROUP_EXPRESSIONS``), never from user input.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from analytics import schema
from analytics.filters import OPEN_OUTCOME_TOKEN, Filters

# --------------------------------------------------------------------------------------------
# Fixed vocabularies of SQL fragments (never built from user input)
# --------------------------------------------------------------------------------------------
#: Dimension name -> column in ``records`` (and in ``population`` where it exists there).
DIMENSION_COLUMNS = {
    "area": "area_code",
    "offence_group": "offence_group",
    "age_band": "age_band",
    "sex": "sex",
    "month": "month",
    "role": "role",
    "outcome_group": "outcome_group",
}
POPULATION_DIMENSIONS = ("area", "age_band", "sex")

#: The analysis group of a child (person level: the latest stated code across their records).
GROUP_EXPRESSIONS = {
    "self_then_officer": "COALESCE(person_group_self, person_group_officer, 'Not stated')",
    "self_only": "COALESCE(person_group_self, 'Not stated')",
    "officer_only": "COALESCE(person_group_officer, 'Not stated')",
}
#: The group as recorded on one record (used for recording-quality measures).
RECORD_GROUP_EXPRESSIONS = {
    "self_then_officer": "COALESCE(group_self, group_officer, 'Not stated')",
    "self_only": "COALESCE(group_self, 'Not stated')",
    "officer_only": "COALESCE(group_officer, 'Not stated')",
}
#: Children are counted by ``person_key``, a whole number per ``person_id`` given at load: hashing and
#: sorting it is cheaper than the 64-character pseudonym (measured: 25 % off the rolling windows at 10^7).
COUNT_EXPRESSIONS = {"persons": "COUNT(DISTINCT person_key)", "records": "COUNT(*)"}

CSV_OPTIONS = (
    "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
    "ignore_errors = true, store_rejects = true, strict_mode = true, parallel = false"
)


def _dimension_columns(dims: tuple[str, ...], allowed: tuple[str, ...] = tuple(DIMENSION_COLUMNS)) -> list[str]:
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r} (expected one of {', '.join(allowed)})")
    return [DIMENSION_COLUMNS[d] for d in dims]


# --------------------------------------------------------------------------------------------
# WHERE clause from Filters
# --------------------------------------------------------------------------------------------
@dataclass
class _Where:
    clauses: list[str]
    params: dict

    def add(self, sql: str, **params) -> None:
        self.clauses.append(sql)
        self.params.update(params)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "TRUE"


def records_where(filters: Filters, *, include_ethnic_group: bool = True) -> _Where:
    """The one WHERE clause (with its bound parameters) a ``Filters`` value stands for."""
    where = _Where([], {})
    if filters.date_from:
        where.add("recorded_date >= $date_from", date_from=filters.date_from)
    if filters.date_to:
        where.add("recorded_date <= $date_to", date_to=filters.date_to)
    lists = {
        "role": filters.roles, "age_band": filters.age_bands, "sex": filters.sexes,
        "area_code": filters.areas, "offence_group": filters.offence_groups,
    }
    for column, values in lists.items():
        if values:
            where.add(f"list_contains(${column}_list, {column})", **{f"{column}_list": list(values)})
    if filters.outcome_codes:
        codes = [schema.OPEN_OUTCOME if c == OPEN_OUTCOME_TOKEN else c for c in filters.outcome_codes]
        where.add("list_contains($outcome_list, outcome_code)", outcome_list=codes)
    if filters.serious_youth_violence_only:
        where.add("serious_youth_violence")
    for marker, mode in filters.markers.items():
        if mode == "only":
            where.add(marker)
        elif mode == "exclude":
            where.add(f"NOT {marker}")
    if include_ethnic_group and filters.ethnic_groups:
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where.add(f"list_contains($ethnic_list, {group})", ethnic_list=list(filters.ethnic_groups))
    return where


# --------------------------------------------------------------------------------------------
# Reading the published database
# --------------------------------------------------------------------------------------------
class NoDataError(RuntimeError):
    """No database has been published yet at the configured path."""


def _check_format(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a publication written by an earlier version (before ``records.person_key``) with a clear message."""
    found = connection.execute(
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'records' AND column_name = 'person_key'"
    ).fetchone()[0]
    if not found:
        connection.close()
        raise NoDataError(f"the published database {path.name} was written by an earlier version of the monitor "
                          "and must be loaded again")


class Store:
    """Read-only access to the published database; safe to share between threads."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._identity: Path | None = None
        self._publication: tuple[Path, dict] | None = None
        self._pinned = threading.local()  # the cursor of this thread's ``snapshot()`` block, if any

    # connection management ------------------------------------------------------------------
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
        from it, failing another thread's ``queries()`` batch or ``snapshot()`` with "Connection already
        closed"): it is dropped, and DuckDB releases the old file when the last of its cursors closes.
        Inside ``snapshot()`` the cursor comes from the thread's pinned publication.
        """
        pinned = getattr(self._pinned, "cursor", None)
        if pinned is not None:
            return pinned.cursor()
        current = self._current_file()
        with self._lock:
            if self._connection is None or current != self._identity:
                connection = duckdb.connect(str(current), read_only=True)
                _check_format(connection, current)
                self._connection, self._identity = connection, current
            return self._connection.cursor()

    @contextmanager
    def snapshot(self):
        """Every query this thread makes inside the block reads the one publication current at entry, so a
        result built from several queries (events and their population denominators, say) is never half
        old, half new. Other threads are unaffected; a nested block shares the outer one."""
        if getattr(self._pinned, "cursor", None) is not None:
            yield self
            return
        cursor = self._cursor()
        self._pinned.cursor = cursor
        try:
            yield self
        finally:
            self._pinned.cursor = None
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def query(self, sql: str, params: dict | list | None = None) -> pd.DataFrame:
        cursor = self._cursor()
        try:
            return cursor.execute(sql, params or {}).df()
        finally:
            cursor.close()

    def queries(self, statements: list[tuple[str, dict]]) -> list[pd.DataFrame]:
        """Several queries answered from one publication (one cursor), never half old, half new."""
        cursor = self._cursor()
        try:
            return [cursor.execute(sql, params).df() for sql, params in statements]
        finally:
            cursor.close()

    # metadata ---------------------------------------------------------------------------------
    def publication(self) -> dict:
        """Data version, load time, source and the load's reconciliation counts.

        Read once per publication file (a publication never changes; a new load is a new file), since
        every rate table states its population source from it."""
        current = self._current_file()
        cached = self._publication
        if cached is not None and cached[0] == current:
            return dict(cached[1])
        frame = self.query("SELECT * FROM publication")
        row = frame.iloc[0].to_dict()
        self._publication = (current, row)
        return dict(row)

    def data_version(self) -> str:
        return str(self.query("SELECT version FROM publication")["version"].iloc[0])

    def areas(self) -> pd.DataFrame:
        return self.query("SELECT area_code, area_name FROM areas ORDER BY area_name")

    def check_areas(self, codes: tuple[str, ...]) -> None:
        """Refuse district codes that are not in the population table, naming the first."""
        if not codes:
            return
        known = set(self.areas()["area_code"])
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown district code {unknown[0][:60]!r} (not in the population table)")

    def period(self) -> tuple[date | None, date | None]:
        frame = self.query("SELECT MIN(recorded_date) AS first, MAX(recorded_date) AS last FROM records")
        first, last = frame.iloc[0]
        return (None if pd.isna(first) else first.date(), None if pd.isna(last) else last.date())

    def load_summary(self) -> pd.DataFrame:
        return self.query("SELECT kind, reason, rows FROM load_summary ORDER BY kind, rows DESC, reason")

    def rejected_rows(self, limit: int | None = None) -> pd.DataFrame:
        sql = "SELECT * FROM rejected_rows ORDER BY source_row"
        if limit is not None:
            return self.query(sql + " LIMIT $limit", {"limit": int(limit)})
        return self.query(sql)

    def definitions(self) -> dict:
        frame = self.query("SELECT name, value FROM definitions")
        return dict(zip(frame["name"], frame["value"], strict=True))

    # analytic queries -----------------------------------------------------------------------
    def event_counts(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Events (children or records, per the counting unit) by ethnic group and ``dims``."""
        columns = _dimension_columns(dims)
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters, include_ethnic_group=False)
        select = ", ".join([*columns, f"{group} AS ethnic_group"])
        sql = (
            f"SELECT {select}, {COUNT_EXPRESSIONS[filters.counting_unit]} AS events "
            f"FROM records WHERE {where.sql} GROUP BY ALL"
        )
        return self._renamed(self.query(sql, where.params), dims)

    def total_events(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Events over all groups (a child counted once even if their group is ambiguous)."""
        columns = _dimension_columns(dims)
        where = records_where(filters, include_ethnic_group=False)
        select = ", ".join([*columns, f"{COUNT_EXPRESSIONS[filters.counting_unit]} AS events"])
        group_by = " GROUP BY ALL" if columns else ""
        sql = f"SELECT {select} FROM records WHERE {where.sql}{group_by}"
        return self._renamed(self.query(sql, where.params), dims)

    def population_counts(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Children in the population by ethnic group and ``dims`` (area, age band, sex only)."""
        columns = _dimension_columns(dims, POPULATION_DIMENSIONS)
        where = _Where([], {})
        for column, values in {"area_code": filters.areas, "age_band": filters.age_bands, "sex": filters.sexes}.items():
            if values:
                where.add(f"list_contains(${column}_list, {column})", **{f"{column}_list": list(values)})
        select = ", ".join([*columns, "ethnic_group"])
        sql = f"SELECT {select}, SUM(population)::BIGINT AS population FROM population WHERE {where.sql} GROUP BY ALL"
        return self._renamed(self.query(sql, where.params), dims)

    def decision_counts(self, filters: Filters, outcome_codes: tuple[str, ...], dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Concluded records and those ending in ``outcome_codes``, by ethnic group and ``dims``.

        The unit is the record (one decision per child per crime); open investigations are not
        in the denominator and are counted separately in ``open``.
        """
        columns = _dimension_columns(dims)
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters.replace(outcome_codes=()), include_ethnic_group=False)
        params = {**where.params, "chosen_outcomes": list(outcome_codes)}
        select = ", ".join([*columns, f"{group} AS ethnic_group"])
        sql = (
            f"SELECT {select}, "
            "COUNT(*) FILTER (WHERE list_contains($chosen_outcomes, outcome_code)) AS events, "
            "COUNT(*) FILTER (WHERE outcome_code <> '') AS denominator, "
            "COUNT(*) FILTER (WHERE outcome_code = '') AS open "
            f"FROM records WHERE {where.sql} GROUP BY ALL"
        )
        return self._renamed(self.query(sql, params), dims)

    def counts(self, filters: Filters, dims: tuple[str, ...]) -> pd.DataFrame:
        """Counts of the counting unit by arbitrary fixed dimensions (e.g. role by month)."""
        columns = _dimension_columns(dims)
        where = records_where(filters)
        select = ", ".join([*columns, f"{COUNT_EXPRESSIONS[filters.counting_unit]} AS events"])
        sql = f"SELECT {select} FROM records WHERE {where.sql} GROUP BY ALL ORDER BY ALL"
        return self._renamed(self.query(sql, where.params), dims)

    def ethnicity_completeness(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Records with self-defined, officer-defined, and either ethnicity stated, by ``dims``."""
        columns = _dimension_columns(dims)
        where = records_where(filters, include_ethnic_group=False)
        select = ", ".join([*columns, "COUNT(*) AS records"]) if columns else "COUNT(*) AS records"
        sql = (
            f"SELECT {select}, "
            "COUNT(*) FILTER (WHERE group_self IS NOT NULL) AS self_stated, "
            "COUNT(*) FILTER (WHERE group_officer IS NOT NULL) AS officer_stated, "
            "COUNT(*) FILTER (WHERE group_self IS NOT NULL OR group_officer IS NOT NULL) AS either_stated "
            f"FROM records WHERE {where.sql}" + (" GROUP BY ALL ORDER BY ALL" if columns else "")
        )
        return self._renamed(self.query(sql, where.params), dims)

    def self_officer_crosstab(self, filters: Filters) -> pd.DataFrame:
        """Records by self-defined group × officer-defined group (Not stated included)."""
        where = records_where(filters, include_ethnic_group=False)
        sql = (
            "SELECT COALESCE(group_self, 'Not stated') AS self_defined, "
            "COALESCE(group_officer, 'Not stated') AS officer_defined, COUNT(*) AS records "
            f"FROM records WHERE {where.sql} GROUP BY ALL"
        )
        return self.query(sql, where.params)

    def rolling_event_counts(self, filters: Filters, window_months: int = 12) -> pd.DataFrame:
        """Events per group in the ``window_months`` months ending at each month (one query, so a child
        is counted once per window). Only complete windows within the filter's date range are returned."""
        return self.monthly_and_rolling_counts(filters, window_months)[1]

    def monthly_and_rolling_counts(self, filters: Filters, window_months: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(event_counts(filters, ("month",)), rolling_event_counts(filters, window_months))`` from one
        scan of the records: both come from the same children-by-month (or records-by-month) table."""
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters.replace(date_from=None, date_to=None), include_ethnic_group=False)
        dates = records_where(Filters(date_from=filters.date_from, date_to=filters.date_to))
        in_range = dates.sql
        params = {**where.params, **dates.params, "window": window_months,
                  "first_end": filters.date_from, "last_end": filters.date_to}
        # Each window's count is a running sum of steps (one pass over the records instead of joining
        # every record to each of the 12 windows it falls in). Records: +n in a month, -n twelve months
        # later. Children: a child's months covered by some window are the union of [m, m + 11] over the
        # months m they appear in, so +1 at max(m, previous month + 12) and -1 at m + 12. A month's own
        # count keeps only the records inside the date range (``in_range``).
        if filters.counting_unit == "persons":
            steps = (
                f"person_months AS MATERIALIZED (SELECT person_key, {group} AS ethnic_group, month, "
                f"bool_or({in_range}) AS in_range FROM records WHERE {where.sql} GROUP BY ALL), "
                "monthly AS (SELECT month, ethnic_group, COUNT(*) FILTER (WHERE in_range) AS events "
                "FROM person_months GROUP BY ALL), "
                "spans AS (SELECT ethnic_group, month, lag(month) OVER (PARTITION BY person_key, ethnic_group "
                "ORDER BY month) AS previous FROM person_months), "
                "deltas AS (SELECT ethnic_group, CASE WHEN previous IS NULL THEN month "
                "ELSE greatest(month, CAST(previous + to_months($window) AS DATE)) END AS step_month, 1 AS delta FROM spans "
                "UNION ALL SELECT ethnic_group, CAST(month + to_months($window) AS DATE), -1 FROM spans), "
            )
        else:
            steps = (
                f"month_counts AS MATERIALIZED (SELECT {group} AS ethnic_group, month, COUNT(*) AS n, "
                f"COUNT(*) FILTER (WHERE {in_range}) AS in_range_n FROM records WHERE {where.sql} GROUP BY ALL), "
                "monthly AS (SELECT month, ethnic_group, in_range_n AS events FROM month_counts), "
                "deltas AS (SELECT ethnic_group, month AS step_month, n AS delta FROM month_counts "
                "UNION ALL SELECT ethnic_group, CAST(month + to_months($window) AS DATE), -n FROM month_counts), "
            )
        sql = (
            "WITH bounds AS (SELECT MIN(month) AS first_month, MAX(month) AS last_month FROM records), "
            "windows AS (SELECT CAST(unnest(generate_series(first_month + to_months($window - 1), last_month, "
            "INTERVAL 1 MONTH)) AS DATE) AS window_end FROM bounds), "
            f"{steps}"
            "steps AS (SELECT ethnic_group, step_month, SUM(delta) AS delta FROM deltas GROUP BY ALL), "
            "rolling AS (SELECT w.window_end AS month, s.ethnic_group, CAST(SUM(s.delta) AS BIGINT) AS events "
            "FROM windows w JOIN steps s ON s.step_month <= w.window_end "
            "WHERE ($first_end IS NULL OR w.window_end >= date_trunc('month', CAST($first_end AS DATE))) "
            "AND ($last_end IS NULL OR w.window_end <= CAST($last_end AS DATE)) "
            "GROUP BY ALL HAVING SUM(s.delta) > 0) "
            "SELECT 'month' AS kind, month, ethnic_group, CAST(events AS BIGINT) AS events FROM monthly WHERE events > 0 "
            "UNION ALL SELECT 'window' AS kind, month, ethnic_group, events FROM rolling ORDER BY ALL"
        )
        both = self.query(sql, params)
        monthly, rolling = (both[both["kind"] == kind].drop(columns="kind").reset_index(drop=True)
                            for kind in ("month", "window"))
        return monthly, rolling

    def rolling_event_counts_by_join(self, filters: Filters, window_months: int = 12) -> pd.DataFrame:
        """The reference form of ``rolling_event_counts`` (each record joined to its windows; slow at
        scale): kept so a test can check the two agree."""
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters.replace(date_from=None, date_to=None), include_ethnic_group=False)
        params = {**where.params, "window": window_months,
                  "first_end": filters.date_from, "last_end": filters.date_to}
        sql = (
            "WITH bounds AS (SELECT MIN(month) AS first_month, MAX(month) AS last_month FROM records), "
            "windows AS (SELECT CAST(unnest(generate_series(first_month + to_months($window - 1), last_month, "
            "INTERVAL 1 MONTH)) AS DATE) AS window_end FROM bounds) "
            f"SELECT w.window_end AS month, {group} AS ethnic_group, "
            f"{COUNT_EXPRESSIONS[filters.counting_unit]} AS events "
            "FROM windows w JOIN records r ON r.month > w.window_end - to_months($window) AND r.month <= w.window_end "
            f"WHERE {where.sql} "
            "AND ($first_end IS NULL OR w.window_end >= date_trunc('month', CAST($first_end AS DATE))) "
            "AND ($last_end IS NULL OR w.window_end <= CAST($last_end AS DATE)) "
            "GROUP BY ALL ORDER BY ALL"
        )
        return self.query(sql, params)

    def outcome_mix(self, filters: Filters) -> pd.DataFrame:
        """Concluded records by ethnic group and outcome group."""
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters, include_ethnic_group=False)
        sql = (
            f"SELECT {group} AS ethnic_group, outcome_group, COUNT(*) AS records FROM records "
            f"WHERE {where.sql} AND outcome_code <> '' GROUP BY ALL ORDER BY ALL"
        )
        return self.query(sql, where.params)

    def month_range(self) -> tuple[date | None, date | None]:
        frame = self.query("SELECT MIN(month) AS first, MAX(month) AS last FROM records")
        first, last = frame.iloc[0]
        return (None if pd.isna(first) else first.date(), None if pd.isna(last) else last.date())

    def record_count(self, filters: Filters) -> int:
        """How many records match (without fetching them)."""
        where = records_where(filters)
        return int(self.query(f"SELECT COUNT(*) AS n FROM records WHERE {where.sql}", where.params)["n"].iloc[0])

    def records(self, filters: Filters, limit: int | None = None) -> pd.DataFrame:
        """The filtered pseudonymised records (for analysts), newest first."""
        where = records_where(filters)
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        sql = (
            "SELECT record_id, person_id, crime_id, role, recorded_date, age, age_band, sex, "
            f"ethnicity_self, ethnicity_officer, {group} AS ethnic_group, area_code, msoa_code, "
            "offence_group, offence_code, outcome_code, outcome_group, outcome_date, "
            "knife_crime, cce, cse, county_lines, gangs, serious_youth_violence "
            f"FROM records WHERE {where.sql} ORDER BY recorded_date DESC, record_id"
        )
        params = dict(where.params)
        if limit is not None:
            sql += " LIMIT $limit"
            params["limit"] = int(limit)
        return self._large_query(sql, params)

    def _large_query(self, sql: str, params: dict) -> pd.DataFrame:
        """``query`` for results of many rows: fetched through Arrow (text columns are not built one
        Python string at a time), with the same column types as ``query`` gives."""
        cursor = self._cursor()
        try:
            table = cursor.sql(sql, params=params).to_arrow_table()
        finally:
            cursor.close()
        if table.num_rows == 0:
            return self.query(sql, params)  # the empty frame's column types as ``query`` makes them
        frame = table.to_pandas(date_as_object=False)
        for column in frame.columns:
            if frame[column].dtype.kind == "M":
                frame[column] = frame[column].astype("datetime64[us]")
        return frame

    @staticmethod
    def _renamed(frame: pd.DataFrame, dims: tuple[str, ...]) -> pd.DataFrame:
        return frame.rename(columns={DIMENSION_COLUMNS[d]: d for d in dims})


# --------------------------------------------------------------------------------------------
# Building a new publication (used only by analytics.load)
# --------------------------------------------------------------------------------------------
#: DuckDB's memory budget while building a publication (it spills to disk beyond it). DuckDB's own
#: default is 80 % of RAM, which a 10^7-record load fills (7 GB measured); ``MONITOR_LOAD_MEMORY_LIMIT``
#: overrides, e.g. ``8GB``.
BUILD_MEMORY_LIMIT = "2500MB"


class PublicationBuilder:
    """Builds one new database file. Every statement binds its values as parameters."""

    def __init__(self, path: Path):
        self.path = path
        self.con = duckdb.connect(str(path))
        self.con.execute("SET memory_limit = $limit",
                         {"limit": os.environ.get("MONITOR_LOAD_MEMORY_LIMIT") or BUILD_MEMORY_LIMIT})

    def close(self) -> None:
        self.con.close()

    # staging ----------------------------------------------------------------------------------
    def stage_csv(self, source: Path, header: list[str], rename: dict[str, str]) -> int:
        """Read a CSV as text into ``staged``; returns the number of malformed lines set aside."""
        columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
        select = ", ".join(f'"c{i}" AS "{rename[name]}"' for i, name in enumerate(header) if name in rename)
        self.con.execute(
            f"CREATE TABLE staged AS SELECT row_number() OVER () AS source_row, {select} "
            f"FROM read_csv($path, columns = $columns, {CSV_OPTIONS})",
            {"path": str(source), "columns": columns},
        )
        self.con.execute(
            "CREATE TABLE malformed AS SELECT line, min(error_type) AS error_type FROM reject_errors GROUP BY line"
        )
        return self._scalar("SELECT COUNT(*) FROM malformed")

    def stage_parquet(self, source: Path, rename: dict[str, str]) -> None:
        """Read a Parquet file into ``staged`` with every kept column cast to text.

        Source names come from the file, so they are quoted as identifiers (a ``"`` doubled); a date or
        timestamp column meant as a date is written as ``YYYY-MM-DD`` (the time of day is dropped).
        """
        types = self._parquet_types(source)
        dates = {"recorded_date", "outcome_date"}

        def text(name: str, target: str) -> str:
            column = _quoted(name)
            if target in dates and types.get(name, "").startswith(("DATE", "TIMESTAMP")):
                return f"strftime(CAST({column} AS DATE), '%Y-%m-%d')"
            return f"CAST({column} AS VARCHAR)"

        select = ", ".join(f'{text(name, target)} AS "{target}"' for name, target in rename.items())
        self.con.execute(
            f"CREATE TABLE staged AS SELECT row_number() OVER () AS source_row, {select} FROM read_parquet($path)",
            {"path": str(source)},
        )

    def _parquet_types(self, source: Path) -> dict[str, str]:
        """Top-level column name -> DuckDB type name (nested fields are not columns)."""
        result = self.con.execute("SELECT * FROM read_parquet($path) LIMIT 0", {"path": str(source)})
        description = result.description
        result.fetchall()
        return {str(d[0]): str(d[1]) for d in description}

    def parquet_columns(self, source: Path) -> list[str]:
        """The file's top-level column names as written (the fields inside nested columns are skipped)."""
        rows = self.con.execute("SELECT name, num_children FROM parquet_schema($path)", {"path": str(source)}).fetchall()
        names, skip = [], 0
        for name, children in rows[1:]:  # the first row is the schema root
            if skip:
                skip += (children or 0) - 1
                continue
            names.append(str(name))
            skip = children or 0
        return names

    def add_missing_columns(self) -> None:
        present = set(self.con.execute("SELECT * FROM staged LIMIT 0").df().columns)
        for column in schema.ALL_COLUMNS:
            if column not in present:
                self.con.execute(f'ALTER TABLE staged ADD COLUMN "{column}" VARCHAR')

    def staged_rows(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM staged")

    def _scalar(self, sql: str) -> int:
        """One integer; fetches the whole result (DuckDB 2 keeps a partly fetched result open)."""
        return int(self.con.execute(sql).fetchall()[0][0])

    # pseudonymisation ---------------------------------------------------------------------------
    def distinct_values(self, column: str) -> list[str]:
        assert column in schema.RAW_IDENTIFIER_COLUMNS
        rows = self.con.execute(f'SELECT DISTINCT "{column}" FROM staged WHERE "{column}" IS NOT NULL').fetchall()
        return [r[0] for r in rows]

    def replace_identifiers(self, raw_column: str, mapping: pd.DataFrame) -> None:
        """Set the pseudonymised column from ``mapping(raw, hashed)`` and drop the raw column."""
        target = schema.RAW_IDENTIFIER_COLUMNS[raw_column]
        self.con.register("pseudonyms", mapping)
        self.con.execute(
            f'UPDATE staged SET "{target}" = p.hashed FROM pseudonyms p WHERE staged."{raw_column}" = p.raw'
        )
        self.con.unregister("pseudonyms")
        self.con.execute(f'ALTER TABLE staged DROP COLUMN "{raw_column}"')

    # population ---------------------------------------------------------------------------------
    def write_population(self, population: pd.DataFrame, area_names: dict[str, str]) -> None:
        self.con.register("population_frame", population)
        self.con.execute(
            "CREATE TABLE population AS SELECT area_code, ethnic_group, age_band, sex, "
            "CAST(population AS BIGINT) AS population, source, CAST(year AS INTEGER) AS year FROM population_frame"
        )
        self.con.unregister("population_frame")
        names = pd.DataFrame(
            {"area_code": list(area_names), "area_name": list(area_names.values())}
        )
        self.con.register("area_frame", names)
        self.con.execute("CREATE TABLE areas AS SELECT area_code, area_name FROM area_frame")
        self.con.unregister("area_frame")

    # validation -----------------------------------------------------------------------------------
    def classify(self, today: date, syv: schema.SeriousYouthViolence) -> None:
        """Normalise every staged row and give it a status (loaded, rejected, excluded) and a reason."""
        marker_checks = " ".join(
            f"WHEN NOT list_contains($booleans, lower(COALESCE(trim(n.{m}), ''))) "
            f"THEN '{m} is not true or false' "
            for m in schema.RISK_MARKERS
        )
        params = {
            "today": today,
            "earliest": schema.EARLIEST_RECORDED_DATE,
            "roles": list(schema.ROLES),
            "sexes": list(schema.SEXES),
            "self_codes": [*schema.SELF_DEFINED_ETHNICITY, *sorted(schema.SELF_NOT_STATED_CODES)],
            "officer_codes": [*schema.OFFICER_DEFINED_ETHNICITY, *sorted(schema.OFFICER_UNKNOWN_CODES)],
            "offence_groups": list(schema.OFFENCE_GROUPS),
            "outcome_codes": [*schema.OUTCOME_CODES, schema.OPEN_OUTCOME],
            "booleans": sorted(schema.TRUE_VALUES | schema.FALSE_VALUES),
            "adult": schema.ADULT_AGE,
            # a whole number: digits, optionally signed, optionally ".0" (a spreadsheet's 15.0); not 15.5
            # (DuckDB's cast would round it to 16), 1e1, 0x10 or 1_000
            "whole": r"^([+-]?[0-9]+)(\.0*)?$",
        }
        normalise = """
            SELECT source_row,
                   trim(record_id) AS record_id, trim(person_id) AS person_id, trim(crime_id) AS crime_id,
                   lower(trim(role)) AS role, trim(recorded_date) AS recorded_date_text,
                   try_strptime(trim(recorded_date), '%Y-%m-%d')::DATE AS recorded_date,
                   trim(age) AS age_text, TRY_CAST(regexp_extract(trim(age), $whole, 1) AS INTEGER) AS age,
                   COALESCE(TRY_CAST(regexp_extract(trim(age), $whole, 1) AS INTEGER) >= $adult, FALSE)
                       AS is_adult,
                   upper(COALESCE(trim(sex), '')) AS sex,
                   upper(COALESCE(trim(ethnicity_self), '')) AS ethnicity_self,
                   upper(COALESCE(trim(ethnicity_officer), '')) AS ethnicity_officer,
                   upper(trim(area_code)) AS area_code, upper(COALESCE(trim(msoa_code), '')) AS msoa_code,
                   trim(offence_group) AS offence_group, COALESCE(trim(offence_code), '') AS offence_code,
                   upper(COALESCE(trim(outcome_code), '')) AS outcome_code,
                   trim(outcome_date) AS outcome_date_text,
                   try_strptime(trim(outcome_date), '%Y-%m-%d')::DATE AS outcome_date,
                   knife_crime, cce, cse, county_lines, gangs
            FROM staged
        """
        self.con.execute(
            f"""
            CREATE TABLE classified AS
            WITH normalised AS ({normalise}),
            duplicates AS (
                SELECT record_id, min(source_row) AS first_row FROM normalised
                WHERE NOT is_adult GROUP BY record_id HAVING COUNT(*) > 1
            )
            SELECT n.*,
              CASE
                WHEN n.is_adult THEN NULL
                WHEN n.record_id IS NULL OR n.record_id = '' THEN 'record_id missing'
                WHEN d.first_row IS NOT NULL AND n.source_row <> d.first_row
                    THEN 'duplicate record_id (first occurrence kept)'
                WHEN n.person_id IS NULL OR n.person_id = '' THEN 'person_id missing'
                WHEN n.crime_id IS NULL OR n.crime_id = '' THEN 'crime_id missing'
                WHEN n.role IS NULL OR NOT list_contains($roles, n.role) THEN 'role is not victim, suspect or offender'
                WHEN n.recorded_date_text IS NULL OR n.recorded_date_text = '' THEN 'recorded_date missing'
                WHEN n.recorded_date IS NULL THEN 'recorded_date is not a valid YYYY-MM-DD date'
                WHEN n.recorded_date > $today THEN 'recorded_date is in the future'
                WHEN n.recorded_date < $earliest THEN 'recorded_date is before 1990-01-01'
                WHEN n.age_text IS NULL OR n.age_text = '' THEN 'age missing'
                WHEN n.age IS NULL THEN 'age is not a whole number'
                WHEN n.age < 0 THEN 'age is negative'
                WHEN NOT list_contains($sexes, CASE WHEN n.sex = '' THEN 'U' ELSE n.sex END)
                    THEN 'unknown sex code'
                WHEN NOT list_contains($self_codes, n.ethnicity_self) THEN 'unknown self-defined ethnicity code'
                WHEN NOT list_contains($officer_codes, n.ethnicity_officer) THEN 'unknown officer-defined ethnicity code'
                WHEN n.area_code IS NULL OR n.area_code = '' THEN 'area_code missing'
                WHEN n.area_code NOT IN (SELECT area_code FROM areas)
                    THEN 'unknown area_code (not in the population table)'
                WHEN n.offence_group IS NULL OR NOT list_contains($offence_groups, n.offence_group)
                    THEN 'unknown offence_group'
                WHEN NOT list_contains($outcome_codes, n.outcome_code) THEN 'unknown outcome_code'
                WHEN n.outcome_date_text <> '' AND n.outcome_date IS NULL
                    THEN 'outcome_date is not a valid YYYY-MM-DD date'
                WHEN n.outcome_date > $today THEN 'outcome_date is in the future'
                WHEN n.outcome_date < n.recorded_date THEN 'outcome_date is before recorded_date'
                {marker_checks}
                ELSE NULL
              END AS reason
            FROM normalised n LEFT JOIN duplicates d ON n.record_id = d.record_id AND NOT n.is_adult
            """,
            params,
        )
        self._write_records(syv)
        self._write_rejected()

    def _write_records(self, syv: schema.SeriousYouthViolence) -> None:
        markers = ", ".join(
            f"list_contains($true_values, lower(COALESCE(trim({m}), ''))) AS {m}" for m in schema.RISK_MARKERS
        )
        syv_markers = " OR ".join(
            f"list_contains($true_values, lower(COALESCE(trim({m}), '')))" for m in syv.markers
        ) or "FALSE"
        band_cases = " ".join(
            f"WHEN age BETWEEN {low} AND {high} THEN '{band}'" for band, (low, high) in schema.AGE_BAND_BOUNDS.items()
        )
        self._write_code_tables()
        self.con.execute(
            f"""
            CREATE TABLE records AS
            WITH derived AS (
                SELECT c.record_id, c.person_id, c.crime_id, c.role, c.recorded_date,
                       date_trunc('month', c.recorded_date)::DATE AS month, c.age,
                       CASE {band_cases} END AS age_band,
                       CASE WHEN c.sex = '' THEN 'U' ELSE c.sex END AS sex,
                       CASE WHEN c.ethnicity_self = '' THEN 'NS' ELSE c.ethnicity_self END AS ethnicity_self,
                       CASE WHEN c.ethnicity_officer = '' THEN 'IC9' ELSE c.ethnicity_officer END AS ethnicity_officer,
                       s.ethnic_group AS group_self, o.ethnic_group AS group_officer,
                       c.area_code, c.msoa_code, c.offence_group, c.offence_code,
                       c.outcome_code, g.outcome_group, c.outcome_date,
                       {markers},
                       (list_contains($syv_groups, c.offence_group) OR {syv_markers}) AS serious_youth_violence
                FROM classified c
                LEFT JOIN ref_ethnicity_self s ON s.code = c.ethnicity_self
                LEFT JOIN ref_ethnicity_officer o ON o.code = c.ethnicity_officer
                LEFT JOIN ref_outcomes g ON g.code = c.outcome_code
                WHERE c.reason IS NULL AND NOT c.is_adult
            ),
            person_groups AS (
                SELECT person_id, dense_rank() OVER (ORDER BY person_id)::INTEGER AS person_key,
                       arg_max(group_self, (recorded_date, record_id)) FILTER (WHERE group_self IS NOT NULL)
                           AS person_group_self,
                       arg_max(group_officer, (recorded_date, record_id)) FILTER (WHERE group_officer IS NOT NULL)
                           AS person_group_officer
                FROM derived GROUP BY person_id
            )
            SELECT d.*, p.person_key, p.person_group_self, p.person_group_officer
            FROM derived d JOIN person_groups p USING (person_id)
            ORDER BY d.recorded_date
            """,
            {"true_values": sorted(schema.TRUE_VALUES), "syv_groups": list(syv.offence_groups)},
        )

    def _write_code_tables(self) -> None:
        self_rows = [(c, label, g) for c, (label, g) in schema.SELF_DEFINED_ETHNICITY.items()]
        officer_rows = [(c, label, g) for c, (label, g) in schema.OFFICER_DEFINED_ETHNICITY.items()]
        outcome_rows = [(c, label, schema.outcome_group(c)) for c, label in schema.OUTCOME_CODES.items()]
        outcome_rows.append((schema.OPEN_OUTCOME, "Investigation open", schema.OPEN_OUTCOME_GROUP))
        for table, rows, third in (
            ("ref_ethnicity_self", self_rows, "ethnic_group"),
            ("ref_ethnicity_officer", officer_rows, "ethnic_group"),
            ("ref_outcomes", outcome_rows, "outcome_group"),
        ):
            frame = pd.DataFrame(rows, columns=["code", "label", third])
            self.con.register("code_frame", frame)
            self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM code_frame")
            self.con.unregister("code_frame")

    def _write_rejected(self) -> None:
        self.con.execute(
            """
            CREATE TABLE rejected_rows AS
            SELECT source_row, NULL::BIGINT AS file_line, reason,
                   record_id, person_id, crime_id, role, recorded_date_text AS recorded_date, age_text AS age,
                   sex, ethnicity_self, ethnicity_officer, area_code, msoa_code, offence_group, offence_code,
                   outcome_code, outcome_date_text AS outcome_date, knife_crime, cce, cse, county_lines, gangs,
                   NULL::VARCHAR AS raw_line
            FROM classified WHERE reason IS NOT NULL
            """
        )

    def add_malformed_rows(self) -> None:
        """Lines the CSV reader could not split into the header's columns become rejected rows."""
        self.con.execute(
            """
            INSERT INTO rejected_rows (source_row, file_line, reason, raw_line)
            SELECT NULL, line,
                   CASE error_type WHEN 'TOO MANY COLUMNS' THEN 'malformed line: more fields than the header'
                                   WHEN 'MISSING COLUMNS' THEN 'malformed line: fewer fields than the header'
                                   ELSE 'malformed line: ' || lower(error_type) END,
                   NULL
            FROM malformed
            """
        )

    # summary and metadata ---------------------------------------------------------------------------
    def write_summary(self) -> pd.DataFrame:
        self.con.execute(
            """
            CREATE TABLE load_summary AS
            SELECT 'loaded' AS kind, 'loaded' AS reason, COUNT(*) AS rows FROM records
            UNION ALL
            SELECT 'excluded', 'aged 18 or over at the offence', COUNT(*) FROM classified WHERE is_adult
            UNION ALL
            SELECT 'rejected', reason, COUNT(*) FROM rejected_rows GROUP BY reason
            """
        )
        return self.con.execute("SELECT * FROM load_summary ORDER BY kind, rows DESC, reason").df()

    def write_metadata(self, publication: dict, definitions: dict[str, str]) -> None:
        frame = pd.DataFrame([publication])
        self.con.register("publication_frame", frame)
        self.con.execute("CREATE TABLE publication AS SELECT * FROM publication_frame")
        self.con.unregister("publication_frame")
        defs = pd.DataFrame({"name": list(definitions), "value": list(definitions.values())})
        self.con.register("definitions_frame", defs)
        self.con.execute("CREATE TABLE definitions AS SELECT * FROM definitions_frame")
        self.con.unregister("definitions_frame")

    def finish(self) -> None:
        """Drop the staging tables and checkpoint, so the file is complete on disk."""
        for table in ("staged", "classified", "malformed"):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
        self.con.execute("CHECKPOINT")


# ============================================================================================
# Stop and search (issue 8): the searches tables. Owned by analytics.searches; everything below
# this line is that feature's SQL. Tables: searches, search_rejected_rows, search_loads,
# search_population. Built by ``SearchBuilder``, read by ``SearchStore``, carried over by the main
# load through ``carry_over_searches``.
# ============================================================================================
SEARCH_TABLES: tuple[str, ...] = ("searches", "search_rejected_rows", "search_loads", "search_population")

#: Each searches table's columns (created empty, then filled from frames with explicit casts).
SEARCH_TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "searches": (
        ("force", "VARCHAR"), ("file_month", "DATE"), ("source_file", "VARCHAR"), ("source_line", "BIGINT"),
        ("search_type", "VARCHAR"), ("searched_at", "VARCHAR"), ("date", "DATE"), ("month", "DATE"),
        ("part_of_operation", "BOOLEAN"), ("policing_operation", "VARCHAR"),
        ("latitude", "DOUBLE"), ("longitude", "DOUBLE"), ("gender", "VARCHAR"), ("age_range", "VARCHAR"),
        ("self_defined", "VARCHAR"), ("officer_defined", "VARCHAR"),
        ("group_self", "VARCHAR"), ("group_officer", "VARCHAR"),
        ("legislation", "VARCHAR"), ("object_of_search", "VARCHAR"), ("outcome", "VARCHAR"),
        ("outcome_linked", "BOOLEAN"), ("removal_of_clothing", "BOOLEAN"),
        ("area_code", "VARCHAR"), ("location_status", "VARCHAR"),
    ),
    "search_rejected_rows": (
        ("force", "VARCHAR"), ("file_month", "DATE"), ("source_file", "VARCHAR"), ("source_line", "BIGINT"),
        ("reason", "VARCHAR"), ("raw_line", "VARCHAR"),
    ),
    "search_loads": (
        ("force", "VARCHAR"), ("file_month", "DATE"), ("source_file", "VARCHAR"), ("source_sha256", "VARCHAR"),
        ("loaded_at", "VARCHAR"), ("rows_read", "BIGINT"), ("loaded", "BIGINT"), ("rejected", "BIGINT"),
    ),
    "search_population": (
        ("force", "VARCHAR"), ("area_code", "VARCHAR"), ("ethnic_group", "VARCHAR"), ("age_range", "VARCHAR"),
        ("population", "BIGINT"), ("source", "VARCHAR"), ("year", "INTEGER"),
    ),
}

#: Search dimension name -> SQL expression on ``searches`` (fixed; never from user input).
SEARCH_DIMENSIONS = {
    "area": "COALESCE(area_code, location_status)",
    "month": "month",
    "object": "COALESCE(object_of_search, 'Not recorded')",
    "age_range": "age_range",
    "legislation": "COALESCE(legislation, 'Not recorded')",
    "type": "COALESCE(search_type, 'Not recorded')",
    "force": "force",
}
#: The analysis group of a search: self-defined first, officer-defined as fallback (both are kept).
SEARCH_GROUP_EXPRESSIONS = {
    "self_then_officer": "COALESCE(group_self, group_officer, 'Not stated')",
    "self_only": "COALESCE(group_self, 'Not stated')",
    "officer_only": "COALESCE(group_officer, 'Not stated')",
}
#: The filterable columns of ``searches`` (SearchFilters field -> SQL expression).
_SEARCH_LIST_FILTERS = {
    "forces": "force",
    "age_ranges": "age_range",
    "objects": SEARCH_DIMENSIONS["object"],
    "legislations": SEARCH_DIMENSIONS["legislation"],
    "types": SEARCH_DIMENSIONS["type"],
    "areas": SEARCH_DIMENSIONS["area"],
}


def search_where(filters) -> _Where:
    """The WHERE clause (bound parameters) for an ``analytics.searches.SearchFilters`` value."""
    where = _Where([], {})
    if filters.date_from:
        where.add("date >= $date_from", date_from=filters.date_from)
    if filters.date_to:
        where.add("date <= $date_to", date_to=filters.date_to)
    for index, (field_name, expression) in enumerate(_SEARCH_LIST_FILTERS.items()):
        values = getattr(filters, field_name)
        if values:
            where.add(f"list_contains($list_{index}, {expression})", **{f"list_{index}": list(values)})
    return where


def _search_dimension_expressions(dims: tuple[str, ...]) -> list[str]:
    unknown = [d for d in dims if d not in SEARCH_DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r} (expected one of {', '.join(SEARCH_DIMENSIONS)})")
    return [f"{SEARCH_DIMENSIONS[d]} AS {d}" for d in dims]


def _create_search_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in SEARCH_TABLE_COLUMNS.items():
        body = ", ".join(f"{name} {kind}" for name, kind in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")


def _table_names(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'main' "
        "ORDER BY table_name", {"db": database},
    ).fetchall()
    return [r[0] for r in rows]


def _quoted(identifier: str) -> str:
    """A catalog identifier (read from duckdb_tables(), never user input) as a quoted SQL name."""
    return '"' + identifier.replace('"', '""') + '"'


def _copy_tables(con: duckdb.DuckDBPyConnection, previous: Path, tables: tuple[str, ...] | None) -> list[str]:
    """Copy ``tables`` (all when None) that exist in the ``previous`` publication into ``con``."""
    con.execute("ATTACH $path AS previous_publication (READ_ONLY)", {"path": str(previous)})
    try:
        present = _table_names(con, "previous_publication")
        chosen = [t for t in present if tables is None or t in tables]
        for table in chosen:
            name = _quoted(table)
            con.execute(f"DROP TABLE IF EXISTS main.{name}")
            con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM previous_publication.main.{name}")
        return chosen
    finally:
        con.execute("DETACH previous_publication")


def current_publication(database: Path) -> Path | None:
    """The file the database path points to now, or None when nothing has been published."""
    try:
        return Path(database).resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None


def carry_over_searches(con: duckdb.DuckDBPyConnection, previous: Path | None) -> list[str]:
    """Copy the searches tables of the ``previous`` publication (if any) into a new one being built.

    Called by the main loader, so a new extract of crime records keeps the loaded stop-and-search data.
    Returns the names of the tables copied (none when there is no previous publication or no searches).
    """
    if previous is None or not Path(previous).exists():
        return []
    return _copy_tables(con, Path(previous), SEARCH_TABLES)


class SearchBuilder(PublicationBuilder):
    """Builds a new publication that adds (or replaces months of) stop-and-search data.

    It copies every table of the current publication, then replaces the rows of the force-months being
    loaded, so a month loaded twice is held once. With no current publication it creates the main tables
    empty (the same code as the main loader, on zero rows) so every page can open the file.
    """

    def copy_publication(self, previous: Path) -> list[str]:
        return _copy_tables(self.con, previous, None)

    def create_search_tables(self) -> None:
        _create_search_tables(self.con)

    def create_empty_records(self, today: date, syv: schema.SeriousYouthViolence) -> None:
        """The main tables (records, rejected_rows, load_summary, code tables) with no rows."""
        self.con.execute(  # an empty frame gives untyped columns: make the text columns text
            "CREATE OR REPLACE TABLE areas AS SELECT CAST(area_code AS VARCHAR) AS area_code, "
            "CAST(area_name AS VARCHAR) AS area_name FROM areas"
        )
        self.con.execute(
            "CREATE OR REPLACE TABLE population AS SELECT CAST(area_code AS VARCHAR) AS area_code, "
            "CAST(ethnic_group AS VARCHAR) AS ethnic_group, CAST(age_band AS VARCHAR) AS age_band, "
            "CAST(sex AS VARCHAR) AS sex, CAST(population AS BIGINT) AS population, "
            "CAST(source AS VARCHAR) AS source, CAST(year AS INTEGER) AS year FROM population"
        )
        columns = ", ".join(f'NULL::VARCHAR AS "{c}"' for c in schema.ALL_COLUMNS)
        self.con.execute(f"CREATE TABLE staged AS SELECT NULL::BIGINT AS source_row, {columns} WHERE FALSE")
        self.con.execute("CREATE TABLE malformed (line BIGINT, error_type VARCHAR)")
        self.classify(today, syv)
        self.write_summary()

    def has_table(self, table: str) -> bool:
        return table in _table_names(self.con, self.con.execute("SELECT current_database()").fetchall()[0][0])

    def replace_force_months(self, table: str, force: str, months: list[date], frame: pd.DataFrame) -> None:
        """Delete ``table``'s rows for ``force`` and ``months`` and insert ``frame`` (same columns)."""
        columns = SEARCH_TABLE_COLUMNS[table]
        self.con.execute(
            f"DELETE FROM {table} WHERE force = $force AND list_contains($months, file_month)",
            {"force": force, "months": list(months)},
        )
        self._insert(table, columns, frame)

    def replace_population(self, force: str, frame: pd.DataFrame) -> None:
        self.con.execute("DELETE FROM search_population WHERE force = $force", {"force": force})
        self._insert("search_population", SEARCH_TABLE_COLUMNS["search_population"], frame)

    def population_forces(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT DISTINCT force FROM search_population").fetchall()}

    def search_count(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM searches")

    def set_version(self, version: str) -> None:
        """A new publication gets a new data version (so caches keyed on it refresh)."""
        self.con.execute("UPDATE publication SET version = $version", {"version": version})

    def _insert(self, table: str, columns, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        select = ", ".join(f'CAST("{name}" AS {kind}) AS {name}' for name, kind in columns)
        self.con.register("search_frame", frame)
        try:
            self.con.execute(f"INSERT INTO {table} SELECT {select} FROM search_frame")
        finally:
            self.con.unregister("search_frame")


class SearchStore:
    """Read-only queries on the searches tables of the published database (through a ``Store``)."""

    def __init__(self, store: Store):
        self.store = store

    def available(self) -> bool:
        """Whether the current publication holds any searches tables."""
        frame = self.store.query(
            "SELECT COUNT(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'searches'"
        )
        return bool(frame["n"].iloc[0])

    def counts(self, filters, dims: tuple[str, ...], no_further_action: str, weapons: str) -> pd.DataFrame:
        """Searches by ``dims`` and ethnic group, with the counts every measure needs."""
        where = search_where(filters)
        group = SEARCH_GROUP_EXPRESSIONS[filters.ethnicity_source]
        select = ", ".join([*_search_dimension_expressions(dims), f"{group} AS ethnic_group"])
        params = {**where.params, "nfa": no_further_action, "weapons": weapons}
        sql = (
            f"SELECT {select}, COUNT(*) AS searches, "
            "COUNT(*) FILTER (WHERE object_of_search IS NOT NULL) AS object_recorded, "
            "COUNT(*) FILTER (WHERE object_of_search = $weapons) AS weapons, "
            "COUNT(*) FILTER (WHERE outcome IS NOT NULL) AS outcome_recorded, "
            "COUNT(*) FILTER (WHERE outcome IS NULL) AS no_outcome, "
            "COUNT(*) FILTER (WHERE outcome IS NOT NULL AND outcome <> $nfa) AS finds, "
            "COUNT(*) FILTER (WHERE outcome IS NOT NULL AND outcome <> $nfa AND outcome_linked) AS linked_finds, "
            "COUNT(*) FILTER (WHERE outcome IS NOT NULL AND outcome <> $nfa AND outcome_linked IS NULL) "
            "AS link_not_recorded "
            f"FROM searches WHERE {where.sql} GROUP BY ALL ORDER BY ALL"
        )
        return self.store.query(sql, params)

    def crosstab(self, filters) -> pd.DataFrame:
        """Searches by self-defined group × officer-defined group (Not stated included)."""
        where = search_where(filters)
        sql = (
            "SELECT COALESCE(group_self, 'Not stated') AS self_defined, "
            "COALESCE(group_officer, 'Not stated') AS officer_defined, COUNT(*) AS records "
            f"FROM searches WHERE {where.sql} GROUP BY ALL"
        )
        return self.store.query(sql, where.params)

    def group_sources(self, filters) -> pd.DataFrame:
        """Where each search's group came from: self-defined, officer-defined fallback, or neither."""
        where = search_where(filters)
        sql = (
            "SELECT CASE WHEN group_self IS NOT NULL THEN 'self-defined' "
            "WHEN group_officer IS NOT NULL THEN 'officer-defined (self-defined not stated)' "
            "ELSE 'not stated' END AS source, COUNT(*) AS searches "
            f"FROM searches WHERE {where.sql} GROUP BY ALL ORDER BY ALL"
        )
        return self.store.query(sql, where.params)

    def options(self) -> dict[str, list]:
        """The values present, for the page's filters (one publication for all of them)."""
        statements = [
            (f"SELECT DISTINCT {SEARCH_DIMENSIONS[d]} AS value FROM searches ORDER BY 1", {})
            for d in ("force", "age_range", "object", "legislation", "type", "area")
        ]
        statements.append(("SELECT MIN(date) AS first, MAX(date) AS last FROM searches", {}))
        frames = self.store.queries(statements)
        names = ("forces", "age_ranges", "objects", "legislations", "types", "areas")
        result = {name: [v for v in frame["value"] if v is not None] for name, frame in zip(names, frames[:-1], strict=True)}
        first, last = frames[-1].iloc[0]
        result["first"] = None if pd.isna(first) else pd.Timestamp(first).date()
        result["last"] = None if pd.isna(last) else pd.Timestamp(last).date()
        return result

    def population(self, forces: tuple[str, ...]) -> pd.DataFrame:
        """The search population rows for ``forces`` (all forces when empty)."""
        sql = "SELECT * FROM search_population WHERE len($forces) = 0 OR list_contains($forces, force)"
        return self.store.query(sql, {"forces": list(forces)})

    def loads(self) -> pd.DataFrame:
        return self.store.query("SELECT * FROM search_loads ORDER BY force, file_month, source_file")

    def rejection_reasons(self) -> pd.DataFrame:
        return self.store.query(
            "SELECT force, reason, COUNT(*) AS rows FROM search_rejected_rows GROUP BY ALL ORDER BY force, rows DESC"
        )

    def location_statuses(self, filters) -> pd.DataFrame:
        where = search_where(filters)
        sql = (
            "SELECT location_status, COUNT(*) AS searches FROM searches "
            f"WHERE {where.sql} GROUP BY ALL ORDER BY searches DESC"
        )
        return self.store.query(sql, where.params)

    def rows(self, filters, limit: int | None = None) -> pd.DataFrame:
        where = search_where(filters)
        group = SEARCH_GROUP_EXPRESSIONS[filters.ethnicity_source]
        sql = (
            f"SELECT force, searched_at, search_type, gender, age_range, self_defined, officer_defined, "
            f"{group} AS ethnic_group, legislation, object_of_search, outcome, outcome_linked, "
            "removal_of_clothing, area_code, location_status, source_file, source_line "
            f"FROM searches WHERE {where.sql} ORDER BY date DESC, source_file, source_line"
        )
        params = dict(where.params)
        if limit is not None:
            sql += " LIMIT $limit"
            params["limit"] = int(limit)
        return self.store.query(sql, params)


# ============================================================================================
# Audit (issue 6, part 5): an append-only log of exports and pack generations
# ============================================================================================
# Kept in its own SQLite file (``analytics.access.audit_path``), never in the published DuckDB
# database, which every load replaces. Triggers abort any UPDATE or DELETE, ``AuditLog`` offers only
# ``append`` and reads, and each row carries a SHA-256 chained over the previous row, so an edit made
# around the triggers (by someone with write access to the file) shows in ``verify()``.
import hashlib as _hashlib  # noqa: E402
import json as _json  # noqa: E402
import sqlite3 as _sqlite3  # noqa: E402
from datetime import UTC as _UTC  # noqa: E402
from datetime import datetime as _datetime  # noqa: E402

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
    canonical = _json.dumps([entry.get(f) for f in AUDIT_FIELDS], ensure_ascii=False, default=str)
    return _hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


class AuditLog:
    """Append-only audit records in a SQLite file; every value is a bound parameter."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def _connect(self) -> _sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = _sqlite3.connect(self.path, timeout=30, isolation_level=None)
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
        entry.setdefault("at", _datetime.now(_UTC).isoformat(timespec="seconds"))
        if isinstance(entry.get("query"), (dict, list)):
            entry["query"] = _json.dumps(entry["query"], ensure_ascii=False, sort_keys=True)
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
            return int(cursor.lastrowid)
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
