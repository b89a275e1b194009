"""Partner data (issue 17): the partner tables' SQL.

``PartnerBuilder`` adds partner indicators or person-level flags to a new publication (a copy of the current
one); ``PartnerStore`` reads them, and the children's roles over time (``journey_records``) for the journeys.
Tables: ``PARTNER_TABLE_COLUMNS``. Every value a bound parameter; column names from the fixed lists here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics import schema
from analytics.filters import Filters
from analytics.store.build import PARTNER_TABLE_COLUMNS, PERSON_KEY_EXPRESSION, PublicationBuilder
from analytics.store.read import Store
from analytics.store.reader import PublicationReader
from analytics.store.where import GROUP_EXPRESSIONS, records_where


class PartnerBuilder(PublicationBuilder):
    """Builds a new publication: every table of the current one, with partner rows added or replaced."""

    def copy_publication(self, previous: Path) -> list[str]:
        return self._copy_tables(previous, None)

    def create_partner_tables(self) -> None:
        for table, columns in PARTNER_TABLE_COLUMNS.items():
            body = ", ".join(f"{name} {kind}" for name, kind in columns)
            self._run(f"CREATE TABLE IF NOT EXISTS {table} ({body})")

    def replace_indicators(self, frame: pd.DataFrame) -> int:
        """Delete the indicator rows of every (source, measure, period) the frame holds, then insert it;
        returns the number of rows replaced."""
        keys = frame[["source", "measure", "period_start", "period_end"]].drop_duplicates()
        before = self._scalar("SELECT COUNT(*) FROM partner_indicators")
        with self._registered("partner_keys", keys):
            self._run(
                "DELETE FROM partner_indicators AS p USING partner_keys AS k WHERE p.source = k.source "
                "AND p.measure = k.measure AND p.period_start = CAST(k.period_start AS DATE) "
                "AND p.period_end = CAST(k.period_end AS DATE)"
            )
        removed = before - self._scalar("SELECT COUNT(*) FROM partner_indicators")
        self._insert("partner_indicators", frame)
        return removed

    def replace_flags(self, frame: pd.DataFrame) -> int:
        """A flags extract is a complete snapshot: it replaces every flag held; returns the number replaced."""
        removed = self._scalar("SELECT COUNT(*) FROM partner_flags")
        self._run("DELETE FROM partner_flags")
        self._insert("partner_flags", frame)
        return removed

    def record_load(self, source_file: str, kind: str, rejected: pd.DataFrame, load: dict) -> None:
        """Replace the rejected rows of ``source_file`` and add its load record."""
        self._run("DELETE FROM partner_rejected_rows WHERE source_file = $file AND kind = $kind",
                  {"file": source_file, "kind": kind})
        self._insert("partner_rejected_rows", rejected.assign(source_file=source_file, kind=kind))
        self._insert("partner_loads", pd.DataFrame([{**load, "source_file": source_file, "kind": kind}]))

    def has_records_table(self) -> bool:
        return "records" in self._table_names(self._rows("SELECT current_database()")[0][0])

    def area_codes(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT area_code FROM areas ORDER BY 1")]

    def set_version(self, version: str) -> None:
        self._run("UPDATE publication SET version = $version", {"version": version})

    def indicator_count(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM partner_indicators")

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        columns = PARTNER_TABLE_COLUMNS[table]
        select = ", ".join(f'CAST("{name}" AS {kind}) AS {name}' for name, kind in columns)
        with self._registered("partner_frame", frame[[name for name, _ in columns]]):
            self._run(f"INSERT INTO {table} SELECT {select} FROM partner_frame")


#: Journey columns: one row per record of a child (the role and date), with the child's group and markers.
JOURNEY_COLUMNS: tuple[str, ...] = ("person_id", "role", "recorded_date", "age", "area_code", "ethnic_group",
                                    *schema.RISK_MARKERS)


class PartnerStore(PublicationReader):
    """Read-only queries on the partner tables of the published database (``store`` for the rest)."""

    def __init__(self, store: Store):
        super().__init__(store)
        self.store = store

    def available(self) -> bool:
        return self._has_table("partner_indicators")

    def flags_available(self) -> bool:
        return self._has_table("partner_flags") and bool(
            self._query("SELECT COUNT(*) AS n FROM partner_flags")["n"].iloc[0])

    def indicators(self, measures: tuple[str, ...] = (), areas: tuple[str, ...] = ()) -> pd.DataFrame:
        """Indicator rows (all measures / areas when empty), suppressed cells with a missing numerator."""
        if not self.available():
            return pd.DataFrame(columns=[c for c, _ in PARTNER_TABLE_COLUMNS["partner_indicators"]])
        sql = ("SELECT * FROM partner_indicators WHERE (len($measures) = 0 OR list_contains($measures, measure)) "
               "AND (len($areas) = 0 OR list_contains($areas, area_code)) "
               "ORDER BY measure, area_code, period_start, period_end, age_band, ethnic_group")
        return self._query(sql, {"measures": list(measures), "areas": list(areas)})

    def loads(self) -> pd.DataFrame:
        if not self.available():
            return pd.DataFrame(columns=[c for c, _ in PARTNER_TABLE_COLUMNS["partner_loads"]])
        return self._query("SELECT * FROM partner_loads ORDER BY loaded_at, source_file")

    def rejection_reasons(self) -> pd.DataFrame:
        if not self.available():
            return pd.DataFrame(columns=["kind", "reason", "rows"])
        return self._query("SELECT kind, reason, COUNT(*) AS rows FROM partner_rejected_rows GROUP BY ALL "
                           "ORDER BY kind, rows DESC, reason")

    def flags(self) -> pd.DataFrame:
        if not self._has_table("partner_flags"):
            return pd.DataFrame(columns=[c for c, _ in PARTNER_TABLE_COLUMNS["partner_flags"]])
        return self._query("SELECT * FROM partner_flags ORDER BY person_id, flag, flag_start")

    def journey_records(self, filters: Filters) -> pd.DataFrame:
        """Every record of the children in view (the filters' dates, areas, ages, ... apply to the records;
        the group is the child's, by the filters' ethnicity source), with the child's person key (``person_ckey``,
        for the Cell Key Method: ``analytics.partners.disclosure``)."""
        where = records_where(filters)
        group = GROUP_EXPRESSIONS.get(filters.ethnicity_source, GROUP_EXPRESSIONS["self_then_officer"])
        markers = ", ".join(schema.RISK_MARKERS)
        sql = (f"SELECT person_id, role, recorded_date, age, area_code, {group} AS ethnic_group, {markers}, "
               f"person_ckey FROM records WHERE {where.sql} ORDER BY person_id, recorded_date, role")
        return self._large_query(sql, where.params)

    def children_with_flags(self, filters: Filters) -> pd.DataFrame:
        """Children in view by group, and how many of them have a partner flag (any, and each flag):
        the police side of the match rate. One row per child and flag, with the child's person key."""
        where = records_where(filters)
        group = GROUP_EXPRESSIONS.get(filters.ethnicity_source, GROUP_EXPRESSIONS["self_then_officer"])
        sql = (f"WITH children AS (SELECT DISTINCT person_id, {group} AS ethnic_group, person_ckey FROM records "
               f"WHERE {where.sql}) SELECT c.ethnic_group, c.person_id, c.person_ckey, f.flag FROM children c "
               "LEFT JOIN (SELECT DISTINCT person_id, flag FROM partner_flags) f USING (person_id)")
        return self._large_query(sql, where.params)

    def linked_persons(self) -> pd.DataFrame:
        """Each child in the flags extract, its partner-recorded group and whether any crime record of the
        publication carries its pseudonym (the partner side of the match rate), with its person key (the same
        expression as the records', so a child has one key on both sides)."""
        sql = ("WITH persons AS (SELECT c.person_id, arg_max(c.ethnic_group, c.flag_start) AS ethnic_group, "
               f"any_value({PERSON_KEY_EXPRESSION}) AS person_ckey FROM partner_flags c GROUP BY c.person_id), "
               "police AS (SELECT DISTINCT person_id FROM records) "
               "SELECT p.person_id, p.ethnic_group, p.person_ckey, (q.person_id IS NOT NULL) AS matched "
               "FROM persons p LEFT JOIN police q USING (person_id)")
        return self._query(sql)
