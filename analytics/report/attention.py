"""The pack's "What needs attention" section (issue 16): the month's alerts (and, for officers, watches) with the
SPC chart of each alert, from ``analytics.alerts`` (the same findings as the page and ``python -m analytics alerts``).
The scrutiny edition shows alerts only, through ``analytics.alerts.disclosure``.

The section depends on the publication, the month, the edition and the alert settings, never on the pack's filters
(the grid is the whole force's), and it shows no acknowledgement; a publication file is never rewritten (each load
publishes a new one, ``analytics.load.publish``). So it is computed once per publication file, month, edition and
settings, and every pack of them (the Overview's findings under each filter, the pack page, its PDF) reuses it:
about 1 s of the 2 s a pack's data take on the sample.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from analytics import periods
from analytics.alerts import disclosure, figure
from analytics.alerts.config import AlertSettings
from analytics.alerts.service import AlertRun, monthly_findings
from analytics.alerts.table import ROLE_PLURAL, RULE_SHORT, area_label
from analytics.config import load_settings
from analytics.report.tables import Row, Table, row

#: At most this many alert charts in the pack (the table lists every alert).
MAX_CHARTS = 6


@dataclass(frozen=True)
class AttentionChart:
    """One alert's SPC chart. ``figure`` is shared by every pack of the publication and month: copy it to change it."""

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


#: Sections kept (publication file, month, edition, settings): a year of months of both editions, and some.
CACHED_SECTIONS = 32


def attention(database: str | os.PathLike[str], month: date, suppressing: bool) -> Attention:
    """The section for the pack's month; a month the alerts cannot cover says why instead. Computed once per
    publication file (its path, inode, size and modification time), month, edition and alert settings, so the
    section (its charts too) is shared: copy a chart before changing it."""
    settings = load_settings()
    publication = Path(database).resolve()  # the file the database symlink points to now
    try:
        stat = publication.stat()
    except OSError:  # no data: refused as before, and not cached
        return _section(AlertInputs(publication, None, month, settings.alerts, settings.ethnicity_source,
                                    settings.decision_denominator), suppressing)
    inputs = AlertInputs(publication, (stat.st_ino, stat.st_size, stat.st_mtime_ns), month, settings.alerts,
                         settings.ethnicity_source, settings.decision_denominator)
    return _cached_section(inputs, suppressing)


@dataclass(frozen=True)
class AlertInputs:
    """What the month's findings depend on: the publication file (``identity``: its inode, size and modification
    time, so a rewritten file is another key), the month and the alert settings."""

    publication: Path
    identity: tuple[int, int, int] | None
    month: date
    settings: AlertSettings
    ethnicity_source: str
    decision_denominator: str


@functools.lru_cache(maxsize=CACHED_SECTIONS)
def _cached_section(inputs: AlertInputs, suppressing: bool) -> Attention:
    return _section(inputs, suppressing)


@functools.lru_cache(maxsize=CACHED_SECTIONS // 2)
def _cached_run(inputs: AlertInputs) -> AlertRun:
    """The findings both editions show (alerts and watches alike), computed once."""
    return _run(inputs)


def _run(inputs: AlertInputs) -> AlertRun:
    return monthly_findings(inputs.publication, pd.Timestamp(inputs.month), inputs.settings,
                            inputs.ethnicity_source, decision_denominator=inputs.decision_denominator)


def _section(inputs: AlertInputs, suppressing: bool) -> Attention:
    try:
        run = _cached_run(inputs) if inputs.identity is not None else _run(inputs)
    except ValueError as exc:
        return Attention(f"No alerts for this month: {exc}.", (), None, (), suppressing)
    return _from_run(run, inputs.month, suppressing)


def _from_run(run: AlertRun, month: date, suppressing: bool) -> Attention:
    """The edition's status line, sentences, table and charts from the month's findings."""
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
