"""The early-warning queries and the alert register (issue 16).

``AlertStore`` reads the monthly counts of the whole alert grid from the published database in three
statements. ``AlertRegister`` keeps the alerts and watches of each data version, and analysts'
acknowledgements, in a SQLite file beside the audit log (the published DuckDB file is read-only and replaced
by every load, so it cannot hold state that must outlive a publication). Every value is a bound parameter.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import schema
from analytics.store.reader import PublicationReader
from analytics.store.where import GROUP_EXPRESSIONS

COUNTY = "all"
#: A record counts for the offender role (and an outcome for the outcome-22 share) only if its outcome was
#: reached within the follow-up; the same rule in every month, so recent months are not read as falls.
_WITHIN_FOLLOW_UP = "outcome_code <> '' AND outcome_date IS NOT NULL AND outcome_date <= recorded_date + $follow_up"


class AlertStore(PublicationReader):
    """Monthly counts for the alert grid: children by role, area, group and month; outcome-22 decisions."""

    def events_by_month(self, ethnicity_source: str, follow_up_days: int) -> pd.DataFrame:
        """Children with a record (role, area or ``all``, group, month, events); offenders within the follow-up."""
        group = GROUP_EXPRESSIONS[ethnicity_source]
        sql = (
            f"SELECT role, COALESCE(area_code, '{COUNTY}') AS area, {group} AS \"group\", month, "
            "COUNT(DISTINCT person_key) AS events FROM records "
            f"WHERE role <> 'offender' OR ({_WITHIN_FOLLOW_UP}) "
            f"GROUP BY GROUPING SETS ((role, area_code, {group}, month), (role, {group}, month))"
        )
        return self._query(sql, {"follow_up": int(follow_up_days)})

    def outcome22_by_month(self, ethnicity_source: str, follow_up_days: int,
                           denominator_codes: tuple[str, ...] = schema.DECISION_DENOMINATORS["all"]) -> pd.DataFrame:
        """Suspect records concluded within the follow-up with an outcome in ``denominator_codes`` (denominator:
        the decision denominator, as ``Store.decision_counts``) and those ending in outcome 22 (events)."""
        group = GROUP_EXPRESSIONS[ethnicity_source]
        sql = (
            f"SELECT COALESCE(area_code, '{COUNTY}') AS area, {group} AS \"group\", month, "
            "COUNT(*) FILTER (WHERE outcome_code = $outcome) AS events, COUNT(*) AS denominator FROM records "
            f"WHERE role = 'suspect' AND {_WITHIN_FOLLOW_UP} AND list_contains($denominator_outcomes, outcome_code) "
            f"GROUP BY GROUPING SETS ((area_code, {group}, month), ({group}, month))"
        )
        return self._query(sql, {"follow_up": int(follow_up_days), "outcome": schema.OUTCOME_22,
                                 "denominator_outcomes": list(denominator_codes)})

    def population_by_group(self) -> pd.DataFrame:
        """Children by area (and ``all``) and ethnic group."""
        sql = (
            f"SELECT COALESCE(area_code, '{COUNTY}') AS area, ethnic_group AS \"group\", "
            "SUM(population)::BIGINT AS population FROM population "
            "GROUP BY GROUPING SETS ((area_code, ethnic_group), (ethnic_group))"
        )
        return self._query(sql)

    def recording_period(self) -> tuple[Any, Any]:
        frame = self._query("SELECT MIN(recorded_date) AS first, MAX(recorded_date) AS last FROM records")
        first, last = frame.iloc[0]
        return first, last

    def area_names(self) -> dict[str, str]:
        frame = self._query("SELECT area_code, area_name FROM areas")
        return dict(zip(frame["area_code"], frame["area_name"], strict=True))

    def version(self) -> str:
        return str(self._query("SELECT version FROM publication")["version"].iloc[0])


# The register -------------------------------------------------------------------------------------------------
REGISTER_FIELDS = ("data_version", "month", "level", "role", "measure", "area", "group_name", "first_month",
                   "months_active", "rule", "value", "expected", "lower_limit", "upper_limit", "events", "message",
                   "details")
_REGISTER_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_register (
    data_version TEXT NOT NULL, month TEXT NOT NULL, level TEXT NOT NULL, role TEXT NOT NULL,
    measure TEXT NOT NULL, area TEXT NOT NULL, group_name TEXT NOT NULL, first_month TEXT, months_active INTEGER,
    rule TEXT, value REAL, expected REAL, lower_limit REAL, upper_limit REAL, events INTEGER, message TEXT,
    details TEXT, recorded_at TEXT NOT NULL,
    PRIMARY KEY (data_version, month, role, measure, area, group_name)
);
CREATE TABLE IF NOT EXISTS alert_acknowledgements (
    id INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, measure TEXT NOT NULL, area TEXT NOT NULL,
    group_name TEXT NOT NULL, first_month TEXT NOT NULL, data_version TEXT NOT NULL, note TEXT NOT NULL,
    user TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS alert_acknowledgements_no_update BEFORE UPDATE ON alert_acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS alert_acknowledgements_no_delete BEFORE DELETE ON alert_acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only: DELETE refused'); END;
"""


class AlertRegister:
    """The alerts and watches of each data version and month, and acknowledgements (SQLite, append-only notes).

    An acknowledgement belongs to a cell (role, measure, area, group) and to the episode it was made in (the
    episode's first month): it is shown again in the next publication as long as the same episode is active,
    and a new episode (a signal that stopped and started again) needs a new one.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        """The register, made private to the account (file 0600, a new folder 0700; issue 14)."""
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.executescript(_REGISTER_SCHEMA)
        return con

    def record(self, data_version: str, month: str, rows: list[dict[str, Any]]) -> int:
        """Store a month's findings for a data version (replacing that version-month's earlier run)."""
        con = self._connect()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("DELETE FROM alert_register WHERE data_version = ? AND month = ?", (data_version, month))
            for row in rows:
                values = {name: row.get(name) for name in REGISTER_FIELDS}
                values.update(data_version=data_version, month=month,
                              details=json.dumps(row.get("details", {}), default=str))
                con.execute(
                    f"INSERT INTO alert_register ({', '.join(REGISTER_FIELDS)}, recorded_at) "
                    f"VALUES ({', '.join(':' + f for f in REGISTER_FIELDS)}, :recorded_at)",
                    {**values, "recorded_at": now},
                )
            con.execute("COMMIT")
            return len(rows)
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def entries(self, data_version: str, month: str) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=list(REGISTER_FIELDS))
        con = self._connect()
        try:
            return pd.read_sql_query(
                f"SELECT {', '.join(REGISTER_FIELDS)} FROM alert_register WHERE data_version = ? AND month = ? "
                "ORDER BY level, role, measure, area, group_name", con, params=(data_version, month))
        finally:
            con.close()

    def acknowledge(self, *, role: str, measure: str, area: str, group: str, first_month: str, data_version: str,
                    note: str, user: str) -> int:
        if not note.strip():
            raise ValueError("an acknowledgement needs a note")
        con = self._connect()
        try:
            cursor = con.execute(
                "INSERT INTO alert_acknowledgements (role, measure, area, group_name, first_month, data_version, "
                "note, user, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (role, measure, area, group, first_month, data_version, note.strip(), user,
                 datetime.now(UTC).isoformat(timespec="seconds")))
            return int(cursor.lastrowid or 0)
        finally:
            con.close()

    def acknowledgements(self) -> pd.DataFrame:
        """Every acknowledgement, newest first (the latest one per cell and episode is the one in force)."""
        columns = ["id", "role", "measure", "area", "group_name", "first_month", "data_version", "note", "user", "at"]
        if not self.path.exists():
            return pd.DataFrame(columns=columns)
        con = self._connect()
        try:
            return pd.read_sql_query(f"SELECT {', '.join(columns)} FROM alert_acknowledgements ORDER BY id DESC", con)
        finally:
            con.close()


def register_path(database: str | os.PathLike[str]) -> Path:
    """The register's SQLite file: ``MONITOR_ALERTS_DB`` or ``alerts.sqlite`` beside the database."""
    configured = os.environ.get("MONITOR_ALERTS_DB")
    return Path(configured) if configured else Path(database).parent / "alerts.sqlite"
