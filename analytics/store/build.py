"""``PublicationBuilder``: builds one new database file for the loaders (DESIGN.md section 3).

Stage the extract, validate every row, derive the analysis columns, record rejected rows and the load
summary. It never touches the published file; ``analytics.load`` publishes the finished file with an
atomic rename. Every value is a bound parameter; the connection is private and reached only through
``_run``/``_rows``/``_frame``/``_registered``, which turn a DuckDB error into ``DatabaseError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from analytics import schema
from analytics.store.errors import connect, database_errors
from analytics.store.staging import (
    BUILD_MEMORY_LIMIT,
    MALFORMED_LINES_SQL,
    Pads,
    parquet_schema_statement,
    parquet_types,
    quoted,
    staged_csv_select,
    staged_parquet_select,
    top_level_names,
)

# The stop-and-search tables (issue 8): built by ``SearchBuilder``, read by ``SearchStore``, carried
# into each new publication of crime records by ``PublicationBuilder.carry_over_searches``.
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

# The partner tables (issue 17): built by ``PartnerBuilder``, read by ``PartnerStore``, carried into each new
# publication of crime records with the searches tables.
PARTNER_TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "partner_indicators": (
        ("source", "VARCHAR"), ("measure", "VARCHAR"), ("area_code", "VARCHAR"), ("period_start", "DATE"),
        ("period_end", "DATE"), ("age_band", "VARCHAR"), ("ethnic_group", "VARCHAR"), ("numerator", "BIGINT"),
        ("denominator", "BIGINT"), ("suppressed", "BOOLEAN"), ("licence", "VARCHAR"), ("source_file", "VARCHAR"),
        ("source_line", "BIGINT"),
    ),
    "partner_flags": (
        ("person_id", "VARCHAR"), ("flag", "VARCHAR"), ("flag_start", "DATE"), ("flag_end", "DATE"),
        ("ethnic_group", "VARCHAR"), ("source", "VARCHAR"), ("source_file", "VARCHAR"), ("source_line", "BIGINT"),
    ),
    "partner_rejected_rows": (
        ("kind", "VARCHAR"), ("source_file", "VARCHAR"), ("source_line", "BIGINT"), ("reason", "VARCHAR"),
        ("raw_line", "VARCHAR"),
    ),
    "partner_loads": (
        ("kind", "VARCHAR"), ("source_file", "VARCHAR"), ("source_sha256", "VARCHAR"), ("loaded_at", "VARCHAR"),
        ("rows_read", "BIGINT"), ("loaded", "BIGINT"), ("rejected", "BIGINT"), ("replaced", "BIGINT"),
    ),
}
PARTNER_TABLES: tuple[str, ...] = tuple(PARTNER_TABLE_COLUMNS)

#: The Cell Key Method's record key (0-255) of each record and person key of each child (issue 14,
#: ``analytics.suppression.perturbation``): the first byte of a SHA-256 digest of the pseudonymised
#: identifiers, so the keys are fixed (the same on every load of the same data), uniform, and cannot be
#: worked out without the pseudonyms (keyed hashes when the extract had raw references), which no
#: aggregate view shows.
RECORD_KEY_EXPRESSION = "CAST('0x' || left(sha256('ckm-record:' || c.person_id || ':' || c.record_id), 2) AS INTEGER)"
PERSON_KEY_EXPRESSION = "CAST('0x' || left(sha256('ckm-person:' || c.person_id), 2) AS INTEGER)"


class PublicationBuilder:
    """Builds one new database file. Every statement binds its values as parameters."""

    def __init__(self, path: Path):
        self.path = path
        self._con = connect(path, read_only=False)
        self._run("SET memory_limit = $limit",
                  {"limit": os.environ.get("MONITOR_LOAD_MEMORY_LIMIT") or BUILD_MEMORY_LIMIT})

    def close(self) -> None:
        self._con.close()

    # the only ways to the connection: each turns a DuckDB error into DatabaseError ---------------
    def _run(self, sql: str, params: dict[str, Any] | None = None) -> None:
        with database_errors():
            self._con.execute(sql) if params is None else self._con.execute(sql, params)

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with database_errors():
            return (self._con.execute(sql) if params is None else self._con.execute(sql, params)).fetchall()

    def _frame(self, sql: str) -> pd.DataFrame:
        with database_errors():
            return self._con.execute(sql).df()

    @contextmanager
    def _registered(self, name: str, frame: pd.DataFrame | pa.RecordBatchReader) -> Iterator[None]:
        """``frame`` readable as the view ``name`` inside the block."""
        with database_errors():
            self._con.register(name, frame)
        try:
            yield
        finally:
            self._con.unregister(name)

    # staging ----------------------------------------------------------------------------------
    def stage_csv(self, source: Path, header: list[str], rename: dict[str, str], pads: Pads | None = None) -> int:
        """Read a CSV as text into ``staged``; returns the number of malformed lines set aside.

        Raw identifier columns (``person_ref``, ``crime_ref``) are hashed as they are read (``pads``: the
        key's HMAC pads). The loaders pass pads only to ``ExtractReader`` in a separate process
        (``analytics.load.isolated``), never here: see ``analytics.store.staging``."""
        sql, params = staged_csv_select(source, header, rename, pads)
        self._run(f"CREATE TABLE staged AS {sql}", params)
        self._run(f"CREATE TABLE malformed AS {MALFORMED_LINES_SQL}")
        # the reject tables (in memory) hold the raw text of malformed lines: gone as soon as they are counted
        self._run("DROP TABLE IF EXISTS reject_errors")
        self._run("DROP TABLE IF EXISTS reject_scans")
        return self._scalar("SELECT COUNT(*) FROM malformed")

    def stage_parquet(self, source: Path, rename: dict[str, str], pads: Pads | None = None) -> None:
        """Read a Parquet file into ``staged`` with every kept column cast to text
        (``analytics.store.staging.staged_parquet_select``)."""
        sql, params = staged_parquet_select(source, parquet_types(self._con, source), rename, pads)
        self._run(f"CREATE TABLE staged AS {sql}", params)

    def stage_rows(self, rows: pa.RecordBatchReader) -> None:
        """``staged`` from rows staged elsewhere (``ExtractReader`` in ``analytics.load.isolated``)."""
        with self._registered("staged_stream", rows):
            self._run("CREATE TABLE staged AS SELECT * FROM staged_stream")

    def stage_malformed(self, lines: list[tuple[int, str]]) -> None:
        """The malformed lines (line number, DuckDB's error type) the reader of those rows set aside."""
        frame = pd.DataFrame({"line": pd.Series([line for line, _ in lines], dtype="int64"),
                              "error_type": pd.Series([kind for _, kind in lines], dtype="object")})
        with self._registered("malformed_frame", frame):
            self._run("CREATE TABLE malformed AS SELECT line, error_type FROM malformed_frame")

    def parquet_columns(self, source: Path) -> list[str]:
        """The file's top-level column names as written (the fields inside nested columns are skipped)."""
        return top_level_names(self._rows(*parquet_schema_statement(source)))

    def staged_columns(self) -> list[str]:
        """The columns of the staged extract, in order."""
        return list(self._frame("SELECT * FROM staged LIMIT 0").columns)

    def add_missing_columns(self) -> None:
        present = set(self.staged_columns())
        for column in schema.ALL_COLUMNS:
            if column not in present:
                self._run(f'ALTER TABLE staged ADD COLUMN "{column}" VARCHAR')

    def staged_rows(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM staged")

    def _scalar(self, sql: str) -> int:
        """One integer; fetches the whole result (DuckDB 2 keeps a partly fetched result open)."""
        return int(self._rows(sql)[0][0])

    # population ---------------------------------------------------------------------------------
    def write_population(self, population: pd.DataFrame, area_names: dict[str, str]) -> None:
        with self._registered("population_frame", population):
            self._run(
                "CREATE TABLE population AS SELECT area_code, ethnic_group, age_band, sex, "
                "CAST(population AS BIGINT) AS population, source, CAST(year AS INTEGER) AS year FROM population_frame"
            )
        names = pd.DataFrame(
            {"area_code": list(area_names), "area_name": list(area_names.values())}
        )
        with self._registered("area_frame", names):
            self._run("CREATE TABLE areas AS SELECT area_code, area_name FROM area_frame")

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
            # ISO 8601 calendar dates only: 2024-03-01, never 2024-3-1 (which strptime's %m and %d would take)
            "iso_date": "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        }
        normalise = """
            SELECT source_row,
                   trim(record_id) AS record_id, trim(person_id) AS person_id, trim(crime_id) AS crime_id,
                   lower(trim(role)) AS role, trim(recorded_date) AS recorded_date_text,
                   CASE WHEN regexp_full_match(trim(recorded_date), $iso_date)
                       THEN try_strptime(trim(recorded_date), '%Y-%m-%d')::DATE END AS recorded_date,
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
                   CASE WHEN regexp_full_match(trim(outcome_date), $iso_date)
                       THEN try_strptime(trim(outcome_date), '%Y-%m-%d')::DATE END AS outcome_date,
                   knife_crime, cce, cse, county_lines, gangs
            FROM staged
        """
        self._run(
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
                WHEN NOT list_contains($officer_codes, n.ethnicity_officer)
                    THEN 'unknown officer-defined ethnicity code'
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
        self._run(
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
                       (list_contains($syv_groups, c.offence_group) OR {syv_markers}) AS serious_youth_violence,
                       {RECORD_KEY_EXPRESSION} AS record_ckey, {PERSON_KEY_EXPRESSION} AS person_ckey
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
            with self._registered("code_frame", frame):
                self._run(f"CREATE TABLE {table} AS SELECT * FROM code_frame")

    def _write_rejected(self) -> None:
        self._run(
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
        self._run(
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
        self._run(
            """
            CREATE TABLE load_summary AS
            SELECT 'loaded' AS kind, 'loaded' AS reason, COUNT(*) AS rows FROM records
            UNION ALL
            SELECT 'excluded', 'aged 18 or over at the offence', COUNT(*) FROM classified WHERE is_adult
            UNION ALL
            SELECT 'rejected', reason, COUNT(*) FROM rejected_rows GROUP BY reason
            """
        )
        return self._frame("SELECT * FROM load_summary ORDER BY kind, rows DESC, reason")

    def write_metadata(self, publication: dict, definitions: dict[str, str]) -> None:
        frame = pd.DataFrame([publication])
        with self._registered("publication_frame", frame):
            self._run("CREATE TABLE publication AS SELECT * FROM publication_frame")
        defs = pd.DataFrame({"name": list(definitions), "value": list(definitions.values())})
        with self._registered("definitions_frame", defs):
            self._run("CREATE TABLE definitions AS SELECT * FROM definitions_frame")

    def finish(self) -> None:
        """Drop the staging tables and checkpoint, so the file is complete on disk."""
        for table in ("staged", "classified", "malformed"):
            self._run(f"DROP TABLE IF EXISTS {table}")
        self._run("CHECKPOINT")

    # carrying tables over from the previous publication -----------------------------------------
    def carry_over_searches(self, previous: Path | None) -> list[str]:
        """Copy the searches tables of the ``previous`` publication (if any) into this one.

        Called by the main loader, so a new extract of crime records keeps the loaded stop-and-search data
        and the partner tables (issue 17).
        Returns the names of the tables copied (none when there is no previous publication or no searches).
        """
        if previous is None or not Path(previous).exists():
            return []
        return self._copy_tables(Path(previous), SEARCH_TABLES + PARTNER_TABLES)

    def _copy_tables(self, previous: Path, tables: tuple[str, ...] | None) -> list[str]:
        """Copy ``tables`` (all when None) that exist in the ``previous`` publication into this one."""
        self._run("ATTACH $path AS previous_publication (READ_ONLY)", {"path": str(previous)})
        try:
            present = self._table_names("previous_publication")
            chosen = [t for t in present if tables is None or t in tables]
            for table in chosen:
                name = quoted(table)
                self._run(f"DROP TABLE IF EXISTS main.{name}")
                self._run(f"CREATE TABLE main.{name} AS SELECT * FROM previous_publication.main.{name}")
            return chosen
        finally:
            self._run("DETACH previous_publication")

    def _table_names(self, database: str) -> list[str]:
        rows = self._rows(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'main' "
            "ORDER BY table_name", {"db": database},
        )
        return [r[0] for r in rows]


def current_publication(database: Path) -> Path | None:
    """The file the database path points to now, or None when nothing has been published."""
    try:
        return Path(database).resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
