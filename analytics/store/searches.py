"""Stop and search (issue 8): the searches tables' SQL.

``SearchBuilder`` adds (or replaces months of) stop-and-search data in a new publication;
``SearchStore`` reads the searches tables of the published one. Tables: ``searches``,
``search_rejected_rows``, ``search_loads``, ``search_population`` (``build.SEARCH_TABLE_COLUMNS``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from analytics import schema
from analytics.store.build import SEARCH_TABLE_COLUMNS, PublicationBuilder
from analytics.store.read import Store
from analytics.store.reader import PublicationReader
from analytics.store.where import (
    SEARCH_DIMENSIONS,
    SEARCH_GROUP_EXPRESSIONS,
    SearchFilterValues,
    Statement,
    search_dimension_expressions,
    search_where,
)


class SearchOptions(TypedDict):
    """The values present in the published searches, for the page's filters."""

    forces: list[str]
    age_ranges: list[str]
    objects: list[str]
    legislations: list[str]
    types: list[str]
    areas: list[str]
    first: date | None
    last: date | None


def search_counts_statement(filters: SearchFilterValues, dims: tuple[str, ...], no_further_action: str,
                            weapons: str) -> Statement:
    """Searches by ``dims`` and ethnic group, with the counts every measure needs."""
    where = search_where(filters)
    group = SEARCH_GROUP_EXPRESSIONS[filters.ethnicity_source]
    select = ", ".join([*search_dimension_expressions(dims), f"{group} AS ethnic_group"])
    params: dict[str, Any] = {**where.params, "nfa": no_further_action, "weapons": weapons}
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
    return Statement(sql, params)


class SearchBuilder(PublicationBuilder):
    """Builds a new publication that adds (or replaces months of) stop-and-search data.

    It copies every table of the current publication, then replaces the rows of the force-months being
    loaded, so a month loaded twice is held once. With no current publication it creates the main tables
    empty (the same code as the main loader, on zero rows) so every page can open the file.
    """

    def copy_publication(self, previous: Path) -> list[str]:
        return self._copy_tables(previous, None)

    def create_search_tables(self) -> None:
        for table, columns in SEARCH_TABLE_COLUMNS.items():
            body = ", ".join(f"{name} {kind}" for name, kind in columns)
            self._run(f"CREATE TABLE IF NOT EXISTS {table} ({body})")

    def create_empty_records(self, today: date, syv: schema.SeriousYouthViolence) -> None:
        """The main tables (records, rejected_rows, load_summary, code tables) with no rows."""
        self._run(  # an empty frame gives untyped columns: make the text columns text
            "CREATE OR REPLACE TABLE areas AS SELECT CAST(area_code AS VARCHAR) AS area_code, "
            "CAST(area_name AS VARCHAR) AS area_name FROM areas"
        )
        self._run(
            "CREATE OR REPLACE TABLE population AS SELECT CAST(area_code AS VARCHAR) AS area_code, "
            "CAST(ethnic_group AS VARCHAR) AS ethnic_group, CAST(age_band AS VARCHAR) AS age_band, "
            "CAST(sex AS VARCHAR) AS sex, CAST(population AS BIGINT) AS population, "
            "CAST(source AS VARCHAR) AS source, CAST(year AS INTEGER) AS year FROM population"
        )
        columns = ", ".join(f'NULL::VARCHAR AS "{c}"' for c in schema.ALL_COLUMNS)
        self._run(f"CREATE TABLE staged AS SELECT NULL::BIGINT AS source_row, {columns} WHERE FALSE")
        self._run("CREATE TABLE malformed (line BIGINT, error_type VARCHAR)")
        self.classify(today, syv)
        self.write_summary()

    def has_table(self, table: str) -> bool:
        return table in self._table_names(self._rows("SELECT current_database()")[0][0])

    def replace_force_months(self, table: str, force: str, months: list[date], frame: pd.DataFrame) -> None:
        """Delete ``table``'s rows for ``force`` and ``months`` and insert ``frame`` (same columns)."""
        columns = SEARCH_TABLE_COLUMNS[table]
        self._run(
            f"DELETE FROM {table} WHERE force = $force AND list_contains($months, file_month)",
            {"force": force, "months": list(months)},
        )
        self._insert(table, columns, frame)

    def replace_population(self, force: str, frame: pd.DataFrame) -> None:
        self._run("DELETE FROM search_population WHERE force = $force", {"force": force})
        self._insert("search_population", SEARCH_TABLE_COLUMNS["search_population"], frame)

    def population_forces(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT DISTINCT force FROM search_population")}

    def force_months(self) -> set[tuple[str, date]]:
        """The (force, month) pairs already loaded."""
        return {(force, month) for force, month in self._rows("SELECT DISTINCT force, file_month FROM search_loads")}

    def search_count(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM searches")

    def set_version(self, version: str) -> None:
        """A new publication gets a new data version (so caches keyed on it refresh)."""
        self._run("UPDATE publication SET version = $version", {"version": version})

    def _insert(self, table: str, columns: tuple[tuple[str, str], ...], frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        select = ", ".join(f'CAST("{name}" AS {kind}) AS {name}' for name, kind in columns)
        with self._registered("search_frame", frame):
            self._run(f"INSERT INTO {table} SELECT {select} FROM search_frame")


class SearchStore(PublicationReader):
    """Read-only queries on the searches tables of the published database.

    ``SearchStore(store)`` reads through ``store``'s connection (and its ``snapshot()``); ``store`` stays
    available as ``.store`` for the crime-record tables (the population, the publication's metadata).
    """

    def __init__(self, store: Store):
        super().__init__(store)
        self.store = store

    def available(self) -> bool:
        """Whether the current publication holds any searches tables."""
        return self._has_table("searches")

    def counts(self, filters: SearchFilterValues, dims: tuple[str, ...], no_further_action: str,
               weapons: str) -> pd.DataFrame:
        """Searches by ``dims`` and ethnic group, with the counts every measure needs."""
        statement = search_counts_statement(filters, dims, no_further_action, weapons)
        return self._query(statement.sql, statement.params)

    def crosstab(self, filters: SearchFilterValues) -> pd.DataFrame:
        """Searches by self-defined group × officer-defined group (Not stated included)."""
        where = search_where(filters)
        sql = (
            "SELECT COALESCE(group_self, 'Not stated') AS self_defined, "
            "COALESCE(group_officer, 'Not stated') AS officer_defined, COUNT(*) AS records "
            f"FROM searches WHERE {where.sql} GROUP BY ALL"
        )
        return self._query(sql, where.params)

    def group_sources(self, filters: SearchFilterValues) -> pd.DataFrame:
        """Where each search's group came from: self-defined, officer-defined fallback, or neither."""
        where = search_where(filters)
        sql = (
            "SELECT CASE WHEN group_self IS NOT NULL THEN 'self-defined' "
            "WHEN group_officer IS NOT NULL THEN 'officer-defined (self-defined not stated)' "
            "ELSE 'not stated' END AS source, COUNT(*) AS searches "
            f"FROM searches WHERE {where.sql} GROUP BY ALL ORDER BY ALL"
        )
        return self._query(sql, where.params)

    def options(self) -> SearchOptions:
        """The values present, for the page's filters (one publication for all of them)."""
        statements: list[tuple[str, dict[str, Any]]] = [
            (f"SELECT DISTINCT {SEARCH_DIMENSIONS[d]} AS value FROM searches ORDER BY 1", {})
            for d in ("force", "age_range", "object", "legislation", "type", "area")
        ]
        statements.append(("SELECT MIN(date) AS first, MAX(date) AS last FROM searches", {}))
        frames = self._queries(statements)
        forces, age_ranges, objects, legislations, types, areas = (
            [v for v in frame["value"] if v is not None] for frame in frames[:-1])
        first, last = frames[-1].iloc[0]
        return SearchOptions(forces=forces, age_ranges=age_ranges, objects=objects, legislations=legislations,
                             types=types, areas=areas,
                             first=None if pd.isna(first) else pd.Timestamp(first).date(),
                             last=None if pd.isna(last) else pd.Timestamp(last).date())

    def population(self, forces: tuple[str, ...]) -> pd.DataFrame:
        """The search population rows for ``forces`` (all forces when empty)."""
        sql = "SELECT * FROM search_population WHERE len($forces) = 0 OR list_contains($forces, force)"
        return self._query(sql, {"forces": list(forces)})

    def loads(self) -> pd.DataFrame:
        return self._query("SELECT * FROM search_loads ORDER BY force, file_month, source_file")

    def rejection_reasons(self) -> pd.DataFrame:
        return self._query(
            "SELECT force, reason, COUNT(*) AS rows FROM search_rejected_rows GROUP BY ALL ORDER BY force, rows DESC"
        )

    def location_statuses(self, filters: SearchFilterValues) -> pd.DataFrame:
        where = search_where(filters)
        sql = (
            "SELECT location_status, COUNT(*) AS searches FROM searches "
            f"WHERE {where.sql} GROUP BY ALL ORDER BY searches DESC"
        )
        return self._query(sql, where.params)

    def rows(self, filters: SearchFilterValues, limit: int | None = None) -> pd.DataFrame:
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
        return self._query(sql, params)


