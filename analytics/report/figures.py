"""The pack's seven charts: the project's plotly builders (:mod:`analytics.charts`) fed with published tables only.

Every count a chart shows or hovers comes from a disclosure-controlled table; each figure is then made
print-friendly (fixed width, decimal ticks on log axes, white background). The figures are embedded in the
HTML as JSON by :func:`figure_json`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from html import escape as escape_hover  # plotly hover labels are HTML fragments
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics import chart_template, chart_text, charts, geography, schema, suppression, verdicts
from analytics.report.data import ROLE_PLURAL, PackData
from analytics.report.formatting import DAGGER, count_text, interval, mark, num, percent

CHART_WIDTH = 660
LOG_TICKS = {0.1: "0.1", 0.2: "0.2", 0.3: "0.3", 0.5: "0.5", 0.7: "0.7", 1: "1.0", 1.5: "1.5", 2: "2.0", 3: "3.0",
             5: "5.0", 7: "7.0", 10: "10", 20: "20", 50: "50"}
#: Short enough for the chart's width in the PDF (a longer one was cut after "fewer than 1", which read as a count).
FOREST_NOTE = "Points: ratio and verdict (colour, label); bars: {conf:g} % CI; hollow: under 10 events"


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the pack: its key (the HTML anchor), title, figure and caption."""

    key: str
    title: str
    figure: go.Figure
    caption: str


def pack_charts(data: PackData) -> tuple[ChartSpec, ...]:
    """The pack's charts in the order they appear: roles, outcome 22, map, funnel, markers (if any), trend,
    recording."""
    specs = [roles_chart(data), outcome22_chart(data), map_chart(data), funnel_chart(data), markers_chart(data),
             trend_chart(data), completeness_chart(data)]
    if data.attention is not None:  # the month's alert charts (issue 16), after the others; copies, restyled below
        specs += [ChartSpec(c.key, c.title, chart_template.figure(c.figure), c.caption) for c in data.attention.charts]
    shown = tuple(spec for spec in specs if spec is not None)
    for spec in shown:
        print_friendly(spec.figure)
    reference = data.reference_group
    for spec in shown:
        if spec.key in ("roles", "markers"):
            spec.figure.update_xaxes(title=f"Ratio to {reference} children (log scale; 1.0 = same as {reference})")
        if spec.key == "outcome22":
            spec.figure.update_yaxes(tickformat=".1f", title=f"% of {decision_cases(data)}")
        chart_text.fit(spec.figure, CHART_WIDTH)  # titles wrapped to the page, never cut
    return shown


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON that can sit inside a ``<script>`` element (``</`` escaped)."""
    text = pio.to_json(fig, validate=False, remove_uids=True)
    return text.replace("</", "<\\/")


def print_friendly(fig: go.Figure) -> go.Figure:
    """Fixed width, decimals on ratio axes, white background (the mode bar is turned off by the loader)."""
    fig.update_layout(width=CHART_WIDTH, autosize=False, paper_bgcolor="white", plot_bgcolor="white")
    for axis in ("xaxis", "yaxis"):
        layout_axis = fig.layout[axis]
        if layout_axis.type == "log":
            layout_axis.update(tickvals=list(LOG_TICKS), ticktext=list(LOG_TICKS.values()), minor={"showgrid": False})
    for trace in fig.data:
        colorbar = getattr(getattr(trace, "marker", None), "colorbar", None)
        if colorbar is not None and getattr(trace.marker, "showscale", False):
            colorbar.tickformat = ".1f"
    return fig


def _shown_events(frame: pd.DataFrame, column: str = "events") -> pd.Series:
    return frame[column].map(count_text)


def _forest_subtitle(data: PackData) -> str:
    return f"{data.period_label}. " + FOREST_NOTE.format(conf=data.confidence * 100)


def roles_chart(data: PackData) -> ChartSpec:
    """Each group's ratio in each role, as a forest plot."""
    reference = data.reference_group
    frames = []
    for role, ratios in data.roles.items():
        table = ratios.published
        shown = table[~ratios.current.table["is_reference"].to_numpy() & (table["group"] != schema.NOT_STATED)]
        frames.append(shown.assign(label=f"{role.capitalize()}s · " + shown["group"], events=_shown_events(shown)))
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    title = f"Rate ratio to {reference} children, by role"
    figure = charts.forest_plot(combined, title, reference, data.confidence, label_column="label",
                                subtitle=_forest_subtitle(data))
    return ChartSpec("roles", title, figure,
                     f"How many times as likely children of each group were to be recorded in each role as "
                     f"{reference} children, per 1,000 children in the population per year. The bars are each role "
                     "table's intervals adjusted for every comparison in it, matching its verdicts; hollow points "
                     "rest on fewer than 10 events.")


def outcome22_chart(data: PackData) -> ChartSpec:
    """The share of the cases in the outcome-22 denominator ending in outcome 22, by group."""
    table = data.outcome22.published
    shown = table.assign(events=_shown_events(table), denominator=_shown_events(table, "denominator"))
    title = "Share of cases ending in outcome 22"
    figure = charts.rate_bars(shown, title, "%", data.confidence,
                              subtitle=f"{data.period_label}, out of {decision_cases(data)}. "
                                       f"Bars: {data.confidence * 100:g} % CI")
    return ChartSpec("outcome22", title, figure,
                     "Outcome 22: diversionary, educational or intervention activity instead of prosecution. "
                     f"Denominator: {schema.DECISION_DENOMINATOR_LABELS[data.outcome22.crude.decision_denominator]}; "
                     "open investigations are excluded. A lower share means that group's children were "
                     "diverted less often.")


def decision_cases(data: PackData) -> str:
    """The cases the outcome-22 share counts, in a few words."""
    return schema.DECISION_DENOMINATOR_SHORT[data.outcome22.crude.decision_denominator]


def map_chart(data: PackData) -> ChartSpec:
    """The focus group's ratio by district, from the published grid."""
    districts, reference, conf = data.districts, data.reference_group, data.confidence
    focus, role = districts.focus_group, districts.role
    focus_rows = districts.published[districts.published["group"] == focus]
    values = pd.DataFrame({
        "area_code": focus_rows["split"],
        "value": focus_rows["ratio"].astype(float),
        "verdict": focus_rows.get("verdict"),
        "hover": [map_hover(r, focus, conf, districts.name(r["split"])) for r in focus_rows.to_dict("records")],
        "note": [DAGGER if reliability == "unreliable" else "not shown" if pd.isna(ratio) else ""
                 for reliability, ratio in zip(focus_rows["reliability"], focus_rows["ratio"], strict=True)],
    })
    title = f"{focus} to {reference} rate ratio, child {ROLE_PLURAL[role]}, by district"
    fig = charts.choropleth(geography.load_boundaries(), values, title, "Ratio", diverging_at=1.0, height=480,
                            subtitle=f"{data.period_label}; grey: not shown (too few events); † fewer than 10 events")
    return ChartSpec("map", title, fig,
                     f"Each district's rate ratio: {focus} children recorded as {ROLE_PLURAL[role]} per 1,000 {focus} "
                     f"children per year, divided by the same rate for {reference} children. Colour (log scale): "
                     "red where the verdict is higher, blue where lower; grey and hatched: no clear difference "
                     "(each label says which), adjusted for every district and group compared. "
                     f"{geography.ATTRIBUTION}")


def map_hover(row: Mapping[Hashable, Any], focus: str, conf: float, district: str) -> str:
    name = escape_hover(district)
    if row.get("suppressed"):
        return f"<b>{name}</b><br>{focus}: [c] children; ratio not shown (disclosure control)"
    level = row.get("interval_level")
    level_text = verdicts.format_level(level) if level is not None and pd.notna(level) else f"{conf * 100:g} %"
    ratio = (f"ratio {num(row['ratio'])} ({level_text} adjusted interval "
             f"{interval(row['ratio_lower'], row['ratio_upper'])})"
             + mark(row["reliability"]) if pd.notna(row["ratio"]) else f"ratio not shown ({row['reliability']})")
    verdict = verdicts.label_of(row.get("verdict"))
    return (f"<b>{name}</b><br>{focus}: {count_text(row['events'])} children; {ratio}"
            + (f"<br>verdict: {verdict.lower()}" if verdict else ""))


def funnel_chart(data: PackData) -> ChartSpec:
    """Every district's rate of children in the district role against its population, with control limits."""
    funnel, totals, role = data.districts.funnel, data.districts.totals, data.districts.role
    points = funnel.points.copy()
    if data.suppressing:
        points = points[points["area_code"].map(lambda c: totals.get(c) != suppression.SUPPRESSED)]
    points["hover"] = [f"<b>{escape_hover(r.label)}</b><br>{r.value:.2f} per 1,000 per year "
                       f"({count_text(totals.get(r.area_code, r.events))} children of {int(r.n):,})"
                       for r in geography.funnel_points(points)]
    title = f"Child {ROLE_PLURAL[role]} per 1,000 children per year, by district"
    fig = charts.funnel_plot(points, funnel.centre, funnel.limits, title, "Children in the population (stated groups)",
                             "Per 1,000 children per year",
                             subtitle=f"{_rate_period(data)}. Dashed: 95 % limits; dotted: 99.8 % "
                             "limits around the force average")
    top = max([funnel.centre, *points["value"].tolist()]) if len(points) else max(funnel.centre, 1.0)
    fig.update_xaxes(tickformat=",.0f")
    fig.update_yaxes(tickformat=".1f", range=[0, top * 1.6])
    for trace in fig.data:
        if str(trace.name or "").startswith("District"):
            trace.textposition = "bottom center"  # only districts outside the limits are labelled; the table names all
            trace.textfont = {"size": 10}
    return ChartSpec("funnel", title, fig,
                     "A district outside the dotted lines differs from the force average by more than chance "
                     "would explain (99.8 % limits); inside the dashed lines it is in line with it.")


def _rate_period(data: PackData) -> str:
    period = getattr(data.districts.rates, "period", None)
    return period.label if period is not None else data.period_label


def markers_chart(data: PackData) -> ChartSpec | None:
    """Knife crime and CCE ratios as a forest plot; None when no marker role is shown."""
    reference = data.reference_group
    frames = []
    for role, rates in data.markers.items():
        table, raw = rates.published, rates.rates.table
        keep = raw[raw["split"].isin(table["split"].unique())].reset_index(drop=True)
        shown = table[~keep["is_reference"].to_numpy() & (table["group"] != schema.NOT_STATED)]
        frames.append(shown.assign(label=f"{role.capitalize()}s · " + shown["split"].str.replace(
            "Child criminal exploitation (CCE)", "CCE") + " · " + shown["group"], events=_shown_events(shown)))
    if not frames:
        return None
    title = f"Knife crime and CCE: rate ratio to {reference} children"
    figure = charts.forest_plot(pd.concat(frames, ignore_index=True), title, reference, data.confidence,
                                label_column="label", subtitle=_forest_subtitle(data))
    return ChartSpec("markers", title, figure,
                     "Children recorded in crimes flagged as knife crime or child criminal exploitation "
                     "(CCE), per 1,000 children of the group per year, against the same rate for "
                     f"{reference} children. Hollow points rest on fewer than 10 events.")


def trend_chart(data: PackData) -> ChartSpec:
    """Rolling 12-month ratios with their band, windows under 5 events left out."""
    reference = data.reference_group
    rolling = data.rolling.published.copy()
    rolling["events"] = rolling["events"].astype(int)
    title = f"Rolling 12-month rate ratio to {reference} children, child {ROLE_PLURAL[data.rolling.role]}"
    fig = charts.ratio_band(rolling, title, reference, data.confidence)
    fig.update_xaxes(tickformat="%b %Y")
    return ChartSpec("trend", title, fig,
                     "Each point is the ratio over the 12 months ending that month; the shaded band is its "
                     "confidence interval. Windows with fewer than 5 events in a group are not shown.")


def completeness_chart(data: PackData) -> ChartSpec:
    """The share of records with self-defined ethnicity stated, by month; no counts in the hover for scrutiny."""
    monthly = data.quality.monthly.rename(columns={"self_share": "share", "self_stated": "stated"})
    monthly = monthly.assign(series="All records")
    title = "Records with self-defined ethnicity stated, by month"
    fig = charts.completeness_lines(monthly, "series", title, schema.ETHNICITY_COMPLETENESS_TARGET)
    if data.suppressing:
        for trace in fig.data:
            trace.customdata = None
            trace.hovertemplate = "%{x|%b %Y}: %{y:.1f} %<extra></extra>"
    fig.update_xaxes(tickformat="%b %Y")
    fig.update_yaxes(tickformat=".0f")
    return ChartSpec("completeness", title, fig,
                     "Share of all records (any role) made each month with self-defined ethnicity stated, "
                     f"against the {percent(schema.ETHNICITY_COMPLETENESS_TARGET)} target.")
