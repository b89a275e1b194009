"""The pack's "What needs attention" section (issue 16): the month's alerts (and, for officers, watches) with the
SPC chart of each alert, from ``analytics.alerts`` (the same findings as the page and ``python -m analytics alerts``).
The scrutiny edition shows alerts only, through ``analytics.alerts.disclosure``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from analytics import periods
from analytics.alerts import disclosure, figure
from analytics.alerts.service import monthly_alerts
from analytics.alerts.table import ROLE_PLURAL, RULE_SHORT, area_label
from analytics.config import load_settings
from analytics.report.tables import Row, Table, row

#: At most this many alert charts in the pack (the table lists every alert).
MAX_CHARTS = 6


@dataclass(frozen=True)
class AttentionChart:
    key: str
    title: str
    figure: go.Figure
    caption: str


@dataclass(frozen=True)
class Attention:
    """What the section prints: a status line, the alerts' sentences and table, the charts."""

    status: str
    sentences: tuple[str, ...]
    table: Table | None
    charts: tuple[AttentionChart, ...]
    suppressing: bool


def attention(database: object, month: date, suppressing: bool) -> Attention:
    """The section for the pack's month; a month the alerts cannot cover says why instead."""
    settings = load_settings()
    try:
        run = monthly_alerts(str(database), pd.Timestamp(month), settings.alerts, settings.ethnicity_source,
                             record=False, decision_denominator=settings.decision_denominator)
    except ValueError as exc:
        return Attention(f"No alerts for this month: {exc}.", (), None, (), suppressing)
    table = run.table
    findings = list(run.findings)
    if suppressing:
        table = disclosure.scrutiny_table(table, findings)
    else:
        table = table[table["level"].isin(("alert", "watch"))]
    alerts = table[table["level"] == "alert"]
    watches = table[table["level"] == "watch"]
    status = (f"{_words(len(alerts)).capitalize()} alert{'s' * (len(alerts) != 1)}"
              + ("" if suppressing else f" and {_words(len(watches))} watch{'es' * (len(watches) != 1)}")
              + f" in {month:%B %Y}.")
    sentences = []
    charts: list[AttentionChart] = []
    names = run.data.area_names
    for position, item in alerts.iterrows():
        finding = findings[int(str(position))]
        s = finding.result.series
        if suppressing:
            sentences.append(f"{ROLE_PLURAL[s.role]}, {s.group}, {area_label(s.area, names)}: the {s.measure} "
                             f"{'rose' if finding.result.direction > 0 else 'fell'} beyond what the baseline explains "
                             f"(since {_month(item['first_month'], '%B %Y')}).")
        else:
            sentences.append(str(item["message"]))
        if len(charts) < MAX_CHARTS:
            title = f"{ROLE_PLURAL[s.role]}, {s.group}, {area_label(s.area, names)} ({s.measure})"
            hidden = disclosure.hidden_points(finding) if suppressing else None
            charts.append(AttentionChart(f"attention-{len(charts)}", title,
                                         figure.spc_figure(finding, title, hidden, height=300),
                                         "Grey band: baseline. Dashed: control limits. Lettered points: where a rule "
                                         "fired (L beyond the limits, T trend, N two of three near a limit, S shift)."))
    caption = (f"Value: the month's value; Expected: the centre line; Events: in the last "
               f"{_words(run.settings.recent_months)} months.")
    return Attention(status, tuple(sentences), _table(table, caption, names) if len(table) else None, tuple(charts),
                     suppressing)


def _table(table: pd.DataFrame, caption: str, names: dict[str, str]) -> Table:
    """One row per finding, in words: the series by name (role, group, district), the rules that fired."""
    headers = ("Level", "Series", "Measure", "Since", "Rule", "Value", "Expected (limits)", "Events")
    rows: list[Row] = []
    for item in table.to_dict("records"):
        series = f"{ROLE_PLURAL[item['role']]}, {item['group']}, {area_label(item['area'], names)}"
        expected = f"{_num(item['expected'])} ({_num(item['lower_limit'])} to {_num(item['upper_limit'])})"
        rows.append(row((item["level"], series, item["measure"], _month(item["first_month"], "%b %Y"),
                         _rules_in_words(str(item["rule"])), _num(item["value"]), expected, item["events"]),
                        ("label",) * 5 + ("n",) * 3))
    return Table(headers, tuple(rows), caption)


def _rules_in_words(rules: str) -> str:
    """``beyond_limits_up+shift_up`` as "beyond limits (up), shift (up)"."""
    def words(rule: str) -> str:
        name, _, direction = rule.rpartition("_")
        return f"{RULE_SHORT.get(name, name.replace('_', ' '))} ({direction})"
    return ", ".join(words(rule) for rule in rules.split("+") if rule)


def _month(value: object, pattern: str) -> str:
    """A month in words ("April 2026"): a bare "2026-04" reads as a count of four in the scrutiny edition."""
    return periods.month_name(value, pattern)


def _words(number: int) -> str:
    """Small numbers in words (a bare 1-4 in the scrutiny edition reads as a count of children)."""
    names = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return names[number] if 0 <= number < len(names) else f"{number:,}"


def _num(value: object) -> str:
    if isinstance(value, int | float) and not pd.isna(value):
        return f"{float(value):.2f}"
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
