"""The "What needs attention" page's helpers (issue 16): the month's alerts and watches, each with its SPC chart,
sentence, verdict and interval, a link to the view that shows it, and the analyst's acknowledgement."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analytics import access, periods, suppression
from analytics.alerts import disclosure, figure
from analytics.alerts.config import AlertSettings
from analytics.alerts.grid import COUNTY, Finding
from analytics.alerts.service import AlertRun, monthly_alerts, with_acknowledgements
from analytics.alerts.table import ROLE_PLURAL, area_label, rule_sentence
from analytics.config import load_settings
from analytics.store.alerts import AlertRegister, register_path
from analytics.store.audit import AuditError
from ui import auth, render

MEASURE_NAMES = {"rate": "rate per 1,000 per year", "ratio": "rate ratio", "count": "not stated (count)",
                 "outcome22": "outcome 22 share"}


@st.cache_resource(max_entries=24, show_spinner=False)
def _run(version: str, month: str | None) -> AlertRun:
    settings = load_settings()
    return monthly_alerts(settings.database, pd.Timestamp(month) if month else None, settings.alerts,
                          settings.ethnicity_source, decision_denominator=settings.decision_denominator)


def alert_run(version: str, month: pd.Timestamp | None = None) -> AlertRun:
    """The month's findings for this publication (computed once per version and month, recorded in the register).
    Acknowledgements are read afresh, so a new note shows at once."""
    run = _run(version, f"{month:%Y-%m-%d}" if month is not None else None)
    database = load_settings().database
    columns = [c for c in run.table.columns if c not in ("note", "acknowledged_by", "acknowledged_at", "acknowledged")]
    table = with_acknowledgements(run.table[columns], AlertRegister(register_path(database)))
    return AlertRun(run.month, run.data, run.findings, table, run.settings)


def months(run: AlertRun, settings: AlertSettings) -> list[pd.Timestamp]:
    """The months the alerts can cover, newest first."""
    first = run.data.first_month + pd.DateOffset(months=settings.test_months + settings.min_baseline_points - 1)
    return list(pd.date_range(first, run.data.last_month, freq="MS"))[::-1]


def link(finding: Finding) -> tuple[str, dict[str, str], str]:
    """The page and filters that show the finding's series."""
    s = finding.result.series
    params = {"role": s.role, "group": s.group}
    if s.area != COUNTY:
        params["area"] = s.area
    if s.measure == "outcome22":
        return "pages/outcomes.py", params, "Open Outcomes with these filters"
    return "pages/trends.py", params, "Open Trends with these filters"


def link_markdown(finding: Finding) -> str:
    """A link to the page and filters that show the finding's series (the URL's query sets the slicers)."""
    page, params, label = link(finding)
    query = "&".join(f"{key}={value.replace(' ', '%20')}" for key, value in params.items())
    return f":material/open_in_new: [{label}](/{page.removeprefix('pages/').removesuffix('.py')}?{query})"


def _interval(finding: Finding) -> str:
    change = finding.change
    if change is None:
        return "not estimable"
    upper = "∞" if math.isinf(change.upper) else f"{change.upper:.2f}"
    against = "than" if finding.verdict.is_difference else "from"
    return (f"{finding.verdict.label} {against} the baseline: {change.estimate:.2f} times "
            f"({change.lower:.2f} to {upper}, {change.level:.1%} interval, Benjamini–Yekutieli adjusted "
            f"across the grid; {change.method})")


def summary(run: AlertRun, scrutiny: bool) -> None:
    table = run.table
    alerts, watches = int((table["level"] == "alert").sum()), int((table["level"] == "watch").sum())
    monitored = sum(1 for _ in run.findings)
    text = f"**{run.month:%B %Y}**: {alerts} alert{'s' * (alerts != 1)}"
    text += "" if scrutiny else f" and {watches} watch{'es' * (watches != 1)}"
    st.markdown(text + f" · data version {run.data.data_version}")
    st.caption("A *watch* is any Making Data Count rule firing at the month (a point beyond the limits, a shift, a "
               "trend, two of three points near a limit); an *alert* also needs a significant change of the last "
               f"{run.settings.recent_months} months against the baseline after Benjamini–Hochberg across the whole "
               f"grid, in the same direction, and at least {run.settings.min_recent_events} events. Offender and "
               f"outcome-22 series stop at the last mature month ({run.data.last_mature_month:%B %Y}). "
               f"{monitored} cells signal this month.")


def draw(run: AlertRun, level: str | None = None) -> None:
    """Every finding of the month (scrutiny: alerts only, through disclosure control)."""
    scrutiny = not auth.can(access.EXACT_COUNTS)
    summary(run, scrutiny)
    table = run.table
    if scrutiny:
        table = disclosure.scrutiny_table(table, run.findings)
        st.info("Scrutiny view: alerts only; months resting on fewer than five events are withheld from the charts "
                f"and counts below five are shown as {suppression.SUPPRESSED}.")
    if level:
        table = table[table["level"] == level]
    if table.empty:
        st.success("Nothing signals this month." if not level else f"No {level}s this month.")
        return
    by_position = dict(enumerate(run.findings))
    for position, row in table.iterrows():
        _item(by_position[int(str(position))], row, run, scrutiny)


def _item(finding: Finding, row: pd.Series, run: AlertRun, scrutiny: bool) -> None:
    s = finding.result.series
    names = run.data.area_names
    acknowledged = bool(row.get("acknowledged", False))
    title = (f"{row['level'].upper()} · {ROLE_PLURAL[s.role]}, {s.group}, {area_label(s.area, names)} · "
             f"{MEASURE_NAMES[s.measure]}")
    with st.container(border=True):
        if acknowledged:
            st.markdown(f":gray[**{title}** — acknowledged]")
            st.caption(f"Acknowledged by {row['acknowledged_by']} on {row['acknowledged_at']}: {row['note']}")
        else:
            colour = "red" if row["level"] == "alert" else "orange"
            st.markdown(f":{colour}[**{title}**]")
        since = f"since {periods.month_name(row['first_month'])}" if row["first_month"] else ""
        message = row["message"] if not scrutiny else _scrutiny_sentence(finding, row, run)
        st.markdown(f":gray[{message}]" if acknowledged else message)
        st.markdown(f"**Verdict:** {_interval(finding)} · signalling {since} "
                    f"({finding.months_active} month{'s' * (finding.months_active != 1)})")
        hidden = disclosure.hidden_points(finding) if scrutiny else None
        fig = figure.spc_figure(finding, f"{ROLE_PLURAL[s.role]}, {s.group}, {area_label(s.area, names)}", hidden)
        if acknowledged:
            fig.update_layout(paper_bgcolor="#f4f4f4", plot_bgcolor="#f4f4f4")
        key = f"attention-{s.role}-{s.measure}-{s.area}-{s.group}".replace(" ", "_")
        render.chart(fig, "Grey band: the baseline the centre line and limits come from. Coloured points: where a "
                          "rule fired, labelled with the rule (L beyond the limits, T trend, N two of three near a "
                          "limit, S shift) and its direction."
                     + (" Months resting on fewer than five events are withheld." if scrutiny else ""), key=key)
        st.markdown(link_markdown(finding))
        if auth.can(access.ACKNOWLEDGE_ALERTS):
            _acknowledge_form(finding, row, run, key)


def _scrutiny_sentence(finding: Finding, row: pd.Series, run: AlertRun) -> str:
    s = finding.result.series
    direction = "rose" if finding.result.direction > 0 else "fell"
    rules = "; ".join(rule_sentence(rule, sign, run.settings) for rule, sign in finding.result.rules)
    return (f"{ROLE_PLURAL[s.role]}, {s.group}, {area_label(s.area, run.data.area_names)}: the "
            f"{MEASURE_NAMES[s.measure]} {direction} in {finding.result.month:%B %Y} beyond what the baseline "
            f"explains ({rules}); events in the last {run.settings.recent_months} months: {row['events']}.")


def _acknowledge_form(finding: Finding, row: pd.Series, run: AlertRun, key: str) -> None:
    label = "Acknowledge" if not row.get("acknowledged") else "Acknowledge again (a new note)"
    with st.expander(label), st.form(f"{key}-form", clear_on_submit=True):
        note = st.text_area("Note (what was found or done)", key=f"{key}-note", max_chars=1000)
        if st.form_submit_button("Record acknowledgement"):
            if not note.strip():
                st.warning("An acknowledgement needs a note.")
                return
            s = finding.result.series
            cell = f"{s.role} {s.measure} {s.area} {s.group}"
            identity = auth.current()
            try:
                auth.audit_log().append(**auth.audit_entry(
                    "acknowledge alert", f"{cell} (since {row['first_month']}): {note.strip()}", "alert",
                    data_version=run.data.data_version))
            except AuditError as exc:  # nothing is acknowledged unless it is audited (issue 14)
                st.error(f"Not recorded: {exc}")
                return
            AlertRegister(register_path(load_settings().database)).acknowledge(
                role=s.role, measure=s.measure, area=s.area, group=s.group, first_month=str(row["first_month"]),
                data_version=run.data.data_version, note=note, user=identity.user)
            st.rerun()
