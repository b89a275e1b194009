"""``python -m analytics alerts``: this month's alerts and watches (issue 16), and ``alerts acknowledge``.

One row per signalling cell, columns exactly ``analytics.alerts.COLUMNS``; meant for a scheduled monthly run (exit
status 0 whether or not anything signals). Each run records the month's findings in the alert register.
``alerts acknowledge`` records an analyst's note against a cell's current episode, in the register and the audit log.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from typing import Any

import pandas as pd

from analytics import access, schema
from analytics.alerts import COLUMNS
from analytics.alerts.service import CELL, AlertRun, monthly_alerts, parse_month
from analytics.cli.options import UsageError, database_path
from analytics.config import load_settings
from analytics.store import AuditLog
from analytics.store.alerts import AlertRegister, register_path

FLOAT_FORMAT = "%.6g"


def run(args: argparse.Namespace) -> int:
    database = database_path(args)
    month = parse_month(args.month) if args.month else None
    settings = load_settings()
    if args.action == "acknowledge":
        return acknowledge(args, database, month, settings.alerts, settings.ethnicity_source,
                           settings.decision_denominator)
    for name in ("measure", "area", "group", "note"):
        if getattr(args, name) is not None:
            raise UsageError(f"--{name} is for 'alerts acknowledge' only")
    result = monthly_alerts(database, month, settings.alerts, settings.ethnicity_source,
                            decision_denominator=settings.decision_denominator)
    table = result.table
    if args.role:
        table = table[table["role"].isin(args.role)]
    if args.level:
        table = table[table["level"] == args.level]
    write(result, table, args.format)
    return 0


def write(result: AlertRun, table: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(table[list(COLUMNS)].to_csv(index=False, float_format=FLOAT_FORMAT))
    elif fmt == "json":
        document = {
            "metadata": {
                "data_version": result.data.data_version, "month": f"{result.month:%Y-%m}",
                "last_mature_month": f"{result.data.last_mature_month:%Y-%m}",
                "levels": "watch: any SPC rule fires at the month; alert: an SPC rule fires, the exact exceedance "
                          "test of the recent window against the baseline is significant after Benjamini-Hochberg "
                          "over the grid in the same direction, and the recent window has enough events",
                "settings": dataclasses.asdict(result.settings),
            },
            "rows": [{c: _json_value(row[c]) for c in COLUMNS} for row in table.to_dict("records")],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(f"Alerts for {result.month:%B %Y} (data version {result.data.data_version}): "
              f"{int((table['level'] == 'alert').sum())} alerts, {int((table['level'] == 'watch').sum())} watches")
        for row in table.to_dict("records"):
            print()
            print(f"{row['level'].upper():5}  {row['role']} {row['measure']} {row['area']} {row['group']}  "
                  f"(since {row['first_month']}; rule {row['rule']})")
            print(f"       {row['message']}")
            if row.get("acknowledged"):
                print(f"       Acknowledged by {row['acknowledged_by']} on {row['acknowledged_at']}: {row['note']}")


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def acknowledge(args: argparse.Namespace, database: Any, month: pd.Timestamp | None, settings: Any,
                source: str, decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> int:
    """Record a note against a signalling cell (its current episode), in the register and the audit log."""
    missing = [name for name in ("measure", "area", "group", "note") if not getattr(args, name)]
    if missing or len(args.role or []) != 1:
        raise UsageError("alerts acknowledge needs one --role and --measure, --area, --group and --note")
    if args.level:
        raise UsageError("--level is not used by 'alerts acknowledge'")
    if args.group not in schema.ETHNIC_GROUPS_WITH_NOT_STATED:
        raise UsageError(f"unknown group {args.group[:40]!r}")
    result = monthly_alerts(database, month, settings, source, decision_denominator=decision_denominator)
    cell = {"role": args.role[0], "measure": args.measure, "area": args.area.strip(), "group": args.group}
    match = result.table
    for column in CELL:
        match = match[match[column] == cell[column]]
    if match.empty:
        raise UsageError(f"no alert or watch for {' '.join(cell.values())} in {result.month:%Y-%m}")
    first_month = str(match["first_month"].iloc[0])
    user = access.cli_user()
    AuditLog(access.audit_path(database)).append(
        user=user, role=args.access_role, source="cli", action="acknowledge alert",
        what=f"{' '.join(cell.values())} (since {first_month}): {args.note.strip()}", kind="alert",
        query={**cell, "month": f"{result.month:%Y-%m}", "first_month": first_month},
        data_version=result.data.data_version, page="python -m analytics alerts acknowledge")
    AlertRegister(register_path(database)).acknowledge(
        **cell, first_month=first_month, data_version=result.data.data_version, note=args.note, user=user)
    print(f"Acknowledged {' '.join(cell.values())} (episode since {first_month}); the note is shown while this "
          "episode stays active, in this and later publications.")
    return 0
