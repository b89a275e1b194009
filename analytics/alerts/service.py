"""One month's alerts for a published database, kept in the alert register with their acknowledgements.

The command line, the "What needs attention" page and the monthly pack all call ``monthly_alerts``, so they show
the same findings; each run records the month's findings for the data version in the register (the same version
and month give the same findings, so a second run replaces the first with identical rows).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from analytics import schema
from analytics.alerts import data as alert_data
from analytics.alerts.config import DEFAULT_ALERT_SETTINGS, AlertSettings
from analytics.alerts.grid import AlertData, Finding, findings
from analytics.alerts.table import details, rows
from analytics.store.alerts import AlertRegister, register_path

CELL = ["role", "measure", "area", "group"]


@dataclass(frozen=True)
class AlertRun:
    """A month's findings: ``table`` has the command's columns plus, from ``monthly_alerts``, ``acknowledged``,
    ``note``, ``acknowledged_by``, ``acknowledged_at`` (the acknowledgement in force for the cell's episode, if any)."""

    month: pd.Timestamp
    data: AlertData
    findings: list[Finding]
    table: pd.DataFrame
    settings: AlertSettings = field(default=DEFAULT_ALERT_SETTINGS)


def parse_month(text: str) -> pd.Timestamp:
    """``YYYY-MM`` -> the month's first day; ``ValueError`` (one line) otherwise."""
    try:
        month = pd.Timestamp(f"{text.strip()}-01") if len(text.strip()) == 7 else None
    except ValueError:
        month = None
    if month is None or f"{month:%Y-%m}" != text.strip():
        raise ValueError(f"not a month in YYYY-MM form: {text[:40]!r}")
    return month


def check_month(data: AlertData, month: pd.Timestamp, settings: AlertSettings) -> None:
    earliest = data.first_month + pd.DateOffset(months=settings.test_months + settings.min_baseline_points - 1)
    if month > data.last_month:
        raise ValueError(f"{month:%Y-%m} is after the last complete month of the data ({data.last_month:%Y-%m})")
    if month < earliest:
        raise ValueError(f"{month:%Y-%m} is too early: the alerts need a baseline; the first month they can "
                         f"cover is {earliest:%Y-%m}")


def monthly_alerts(database: str | os.PathLike[str], month: pd.Timestamp | None = None,
                   settings: AlertSettings = DEFAULT_ALERT_SETTINGS,
                   ethnicity_source: str = schema.DEFAULT_ETHNICITY_SOURCE, *, record: bool = True,
                   decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> AlertRun:
    """The month's findings (default: the last complete month), recorded in the register, acknowledgements joined.
    Outcome-22 shares over ``decision_denominator`` (the configured one where callers pass it)."""
    run = monthly_findings(database, month, settings, ethnicity_source, decision_denominator=decision_denominator)
    register = AlertRegister(register_path(database))
    if record:
        records: list[dict[str, Any]] = []
        for finding, row in zip(run.findings, run.table.to_dict("records"), strict=True):
            records.append({**{str(k): v for k, v in row.items()}, "group_name": row["group"],
                            "months_active": finding.months_active, "details": details(finding)})
        register.record(run.data.data_version, f"{run.month:%Y-%m}", records)
    return replace(run, table=with_acknowledgements(run.table, register))


def monthly_findings(database: str | os.PathLike[str], month: pd.Timestamp | None = None,
                     settings: AlertSettings = DEFAULT_ALERT_SETTINGS,
                     ethnicity_source: str = schema.DEFAULT_ETHNICITY_SOURCE, *,
                     decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> AlertRun:
    """``monthly_alerts`` without the register: the month's findings from the data alone (their ``table`` has no
    acknowledgement columns), for readers that show no acknowledgement (the monthly pack)."""
    loaded = alert_data.load(database, settings, ethnicity_source, decision_denominator=decision_denominator)
    month = pd.Timestamp(month) if month is not None else loaded.last_month
    check_month(loaded, month, settings)
    found = findings(loaded, month, settings)
    table = rows(found, settings, loaded.area_names, loaded.reference_group, loaded.decision_denominator)
    return AlertRun(month, loaded, found, table, settings)


def with_acknowledgements(table: pd.DataFrame, register: AlertRegister) -> pd.DataFrame:
    """The latest acknowledgement of each row's cell made during the same episode (same first month)."""
    acks = register.acknowledgements().rename(columns={"group_name": "group"})
    acks = acks.drop_duplicates([*CELL, "first_month"], keep="first")  # newest first
    acks = acks.rename(columns={"user": "acknowledged_by", "at": "acknowledged_at"})[
        [*CELL, "first_month", "note", "acknowledged_by", "acknowledged_at"]]
    merged = table.merge(acks, on=[*CELL, "first_month"], how="left")
    merged["acknowledged"] = merged["note"].notna()
    for column in ("note", "acknowledged_by", "acknowledged_at"):
        merged[column] = merged[column].fillna("")
    return merged
