"""plotly figure builders: data in, ``go.Figure`` out (no Streamlit, no data access).

House rules for every chart: a title that says what it shows, axis units, hover text with numerator,
denominator and interval, one colour per ethnic group everywhere (Okabe & Ito's colour-blind-safe
palette), white background so it prints. Maps are drawn as filled polygons on plain axes (no
plotly geo base map, no tiles, no CDN), so they render offline and in print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from analytics import chart_template, map_labels, schema, verdicts
from analytics.chart_access import PATTERNS, SYMBOLS, wrap_label

#: Okabe & Ito (2008) colour-blind-safe palette, one colour per group, used by every chart.
GROUP_COLOURS = {
    "Asian": "#E69F00",
    "Black": "#0072B2",
    "Mixed": "#CC79A7",
    "White": "#009E73",
    "Other": "#D55E00",
    "Not stated": "#8C8C8C",
}
#: One marker symbol per group beside its colour, so a line is told apart without colour (WCAG 1.4.1).
GROUP_SYMBOLS = dict(zip(GROUP_COLOURS, SYMBOLS, strict=False))
NEUTRAL = "#444444"
LIMIT_95 = "#0072B2"
LIMIT_998 = "#D55E00"
SEQUENTIAL = "Blues"
DIVERGING = [[0.0, "#2166AC"], [0.5, "#F7F7F7"], [1.0, "#B2182B"]]
FONT = {"family": "DejaVu Sans, Arial, sans-serif", "size": 13, "color": "#222222"}


def _layout(fig: go.Figure, title: str, subtitle: str = "", height: int = 420) -> go.Figure:  # wrapped: chart_text
    text = f"<b>{title}</b>" + (f"<br><span style='font-size:12px;color:#555'>{subtitle}</span>" if subtitle else "")
    fig.update_layout(
        title={"text": text, "x": 0, "xanchor": "left", "font": {"size": 17}},
        font=FONT,
        height=height,
        margin={"l": 10, "r": 10, "t": 80 if subtitle else 60, "b": 120},
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.01, "x": 0},
        hoverlabel={"bgcolor": "white", "font_size": 12},
    )
    return fig


def _fmt(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}"


LOG_TICKS = (0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20, 50)


def log_ticks(values) -> dict:
    """Readable tick values for a log ratio axis covering ``values`` (decimal labels, e.g. 0.5, 1.0, 2.0)."""
    finite = [v for v in values if v is not None and np.isfinite(v) and v > 0]
    if not finite:
        return {}
    low, high = min(min(finite), 1.0), max(max(finite), 1.0)
    ticks = [t for t in LOG_TICKS if low / 1.3 <= t <= high * 1.3]
    if len(ticks) > 8:
        ticks = [t for t in ticks if t in (0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50)]
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [f"{t:g}" if t < 1 else f"{t:.1f}" for t in ticks]}


def empty_figure(title: str, message: str) -> go.Figure:
    """A figure that says why there is nothing to draw."""
    fig = chart_template.figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=260)


# --------------------------------------------------------------------------------------------
# Ratios and rates
# --------------------------------------------------------------------------------------------
def forest_plot(
    table: pd.DataFrame,
    title: str,
    reference: str,
    conf: float,
    label_column: str = "group",
    adjusted: pd.DataFrame | None = None,
    subtitle: str = "",
) -> go.Figure:
    """Ratios with their shown interval bars on a log scale, a line at 1, unreliable points hollow.

    ``table`` has ``ratio, ratio_lower, ratio_upper, interval_level, verdict, events, denominator, reliability,
    group`` and the ``label_column`` naming each row; ``adjusted`` (optional) adds Mantel–Haenszel points per
    group. The bars are the table's shown intervals (adjusted for every comparison of the table, so a bar clear
    of 1 is exactly a verdict of higher or lower); the hover gives each point's verdict and interval level.
    """
    rows = table.dropna(subset=["ratio"]).copy()
    rows = rows[np.isfinite(rows["ratio"]) & (rows["ratio"] > 0)]
    if rows.empty:
        return empty_figure(title, "No ratio can be shown for this selection (too few events).")
    rows["label"] = rows[label_column].astype(str).map(wrap_label)  # a long label wraps, not squeezing the plot
    rows["verdict_label"] = [verdicts.label_of(v) or verdicts.Verdict.NOT_ESTIMABLE.label
                             for v in rows.get("verdict", pd.Series(None, index=rows.index))]
    fig = chart_template.figure()
    for verdict in VERDICT_ORDER:  # one trace per verdict: its colour, its name in the legend, its words by the point
        part = rows[rows["verdict_label"] == verdict.label]
        if part.empty:
            continue
        colour = VERDICT_COLOURS[verdict]
        hollow = part["reliability"].ne("reliable")
        upper = part["ratio_upper"].replace(np.inf, np.nan)
        levels = [verdicts.format_level(v) if pd.notna(v) else f"{conf * 100:g} %"
                  for v in part.get("interval_level", pd.Series(np.nan, index=part.index))]
        fig.add_trace(go.Scatter(
            x=part["ratio"], y=part["label"], mode="markers+text", name=verdict_name(verdict, reference),
            text=part["verdict_label"], textposition="top center", textfont={"color": colour, "size": 11},
            cliponaxis=False,  # the top row's label stays in view above the plot area
            marker={"color": colour, "size": 11, "symbol": np.where(hollow, "circle-open", "circle"),
                    "line": {"width": 2, "color": colour}},
            error_x={"type": "data", "symmetric": False, "array": (upper - part["ratio"]).fillna(0),
                     "arrayminus": part["ratio"] - part["ratio_lower"], "thickness": 2, "width": 6, "color": colour},
            customdata=np.stack([part["events"], part["denominator"], part["ratio_lower"], part["ratio_upper"],
                                 part["reliability"], levels, part["verdict_label"]], axis=-1),
            meta={"columns": FOREST_COLUMNS},  # names the customdata columns of the chart's table
            hovertemplate=(f"<b>%{{y}}</b><br>Ratio to {reference}: %{{x:.2f}}<br>"
                           "Interval (%{customdata[5]}, adjusted) %{customdata[2]:.2f} to %{customdata[3]:.2f}<br>"
                           "Verdict: %{customdata[6]}<br>"
                           "Events %{customdata[0]:,} of %{customdata[1]:,}<br>%{customdata[4]}<extra></extra>"),
        ))
    if adjusted is not None and len(adjusted):
        adj = adjusted.dropna(subset=["adjusted_ratio"])
        adj = adj[np.isfinite(adj["adjusted_ratio"]) & (adj["adjusted_ratio"] > 0) & adj["group"].isin(rows["label"])]
        if len(adj):
            fig.add_trace(go.Scatter(
                x=adj["adjusted_ratio"], y=adj["group"], mode="markers", name="Mantel–Haenszel adjusted",
                marker={"color": "#000000", "size": 10, "symbol": "diamond-open", "line": {"width": 2}},
                error_x={"type": "data", "symmetric": False,
                         "array": (adj["adjusted_upper"] - adj["adjusted_ratio"]).replace(np.inf, np.nan).fillna(0),
                         "arrayminus": adj["adjusted_ratio"] - adj["adjusted_lower"], "thickness": 1.5, "width": 4},
                customdata=np.stack([adj["adjusted_lower"], adj["adjusted_upper"], adj["adjusted_for"]], axis=-1),
                hovertemplate=("<b>%{y}</b> adjusted for %{customdata[2]}<br>MH ratio %{x:.2f} "
                               "(%{customdata[0]:.2f} to %{customdata[1]:.2f})<extra></extra>"),
            ))
    fig.add_vline(x=1, line={"color": NEUTRAL, "dash": "dash", "width": 1.5}, opacity=1)
    extent = [*rows["ratio_lower"], *rows["ratio_upper"].replace(np.inf, np.nan).dropna(), *rows["ratio"]]
    fig.update_xaxes(type="log", title=f"Ratio to {reference} children (log scale; 1.0 = same as {reference})",
                     showgrid=True, gridcolor="#eeeeee", **log_ticks(extent))
    fig.update_yaxes(title="", autorange="reversed", categoryorder="array",
                     categoryarray=list(dict.fromkeys(rows["label"])))
    height = max(380, 200 + 30 * rows["label"].nunique())
    return _layout(fig, title, subtitle or FOREST_SUBTITLE, height=height)


#: The forest plot's customdata columns as its "show as a table" alternative names them (analytics.chart_access).
FOREST_COLUMNS = ("Events", "Denominator", "Interval from", "Interval to", "Reliability", "Interval level", "Verdict")
#: The verdict colours of every forest plot (the map's red and blue ends; grey for no clear difference), always with
#: the verdict in words beside the point and in the legend: never colour alone.
VERDICT_COLOURS = {
    verdicts.Verdict.HIGHER: "#B2182B",
    verdicts.Verdict.SIMILAR: "#636363",
    verdicts.Verdict.LOWER: "#2166AC",
    verdicts.Verdict.NOT_ESTIMABLE: "#636363",
}
VERDICT_ORDER = (verdicts.Verdict.HIGHER, verdicts.Verdict.SIMILAR, verdicts.Verdict.LOWER,
                 verdicts.Verdict.NOT_ESTIMABLE)


def verdict_name(verdict: verdicts.Verdict, reference: str) -> str:
    """A forest plot's legend entry: 'Higher than White', 'No clear difference from White', 'Not estimable'."""
    if verdict is verdicts.Verdict.NOT_ESTIMABLE:
        return verdict.label
    joiner = "from" if verdict is verdicts.Verdict.SIMILAR else "than"
    return f"{verdict.label} {joiner} {reference}"


#: What a forest plot's bars are (the verdicts come from the table; the chart decides nothing).
FOREST_SUBTITLE = ("Colour and label: the verdict; bars: intervals adjusted for every comparison (clear of 1 exactly "
                   "when higher or lower); hollow: under 10 events")


def rate_bars(table: pd.DataFrame, title: str, unit: str, conf: float, subtitle: str = "",
              horizontal: bool = False) -> go.Figure:
    """Rate (or share) per group with interval bars (``horizontal``: one row per group, for many long names)."""
    rows = table.dropna(subset=["rate"])
    if rows.empty:
        return empty_figure(title, "No rate can be computed for this selection.")
    value, label, error = ("x", "y", "error_x") if horizontal else ("y", "x", "error_y")
    fig = chart_template.figure(go.Bar(
        **{label: rows["group"], value: rows["rate"]}, orientation="h" if horizontal else "v",
        marker_color=[GROUP_COLOURS.get(g, NEUTRAL) for g in rows["group"]],
        **{error: {"type": "data", "symmetric": False, "array": rows["rate_upper"] - rows["rate"],
                   "arrayminus": rows["rate"] - rows["rate_lower"], "color": NEUTRAL}},
        customdata=np.stack([rows["events"], rows["denominator"], rows["rate_lower"], rows["rate_upper"]], axis=-1),
        meta={"columns": ("Events", "Denominator", "Interval from", "Interval to")},
        hovertemplate=(f"<b>%{{{label}}}</b><br>%{{{value}:.2f}} {unit}<br>{conf * 100:g}% CI %{{customdata[2]:.2f}} "
                       "to %{customdata[3]:.2f}<br>%{customdata[0]:,} of %{customdata[1]:,}<extra></extra>"),
    ))
    (fig.update_xaxes if horizontal else fig.update_yaxes)(title=unit, rangemode="tozero", showgrid=True,
                                                           gridcolor="#eeeeee")
    (fig.update_yaxes if horizontal else fig.update_xaxes)(title="")
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    height = max(380, 160 + 28 * len(rows)) if horizontal else 380
    return _layout(fig, title, subtitle or f"Bars: {conf * 100:g}% confidence intervals", height=height)


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------
#: Ticks of a ratio map's colour bar (a log axis: equal steps are equal multiples).
RATIO_MAP_TICKS = (0.25, 0.5, 1, 2, 4, 8)
NO_CLEAR_DIFFERENCE = "#d9d9d9"  # grey: a district whose verdict is similar or not estimable


def choropleth(
    geojson: dict,
    values: pd.DataFrame,
    title: str,
    value_label: str,
    code_property: str = "areacd",
    name_property: str = "areanm",
    diverging_at: float | None = None,
    subtitle: str = "",
    height: int = 520,
) -> go.Figure:
    """Districts filled by ``values`` (columns ``area_code, value, hover``, optionally ``verdict`` and ``note``, a
    mark added to the label); no base map. Labels sit inside a district where they fit, else beside the county
    with a leader line (:func:`analytics.map_labels.annotate`).

    With ``diverging_at`` (ratios) the colour axis is logarithmic (log10 of the ratio, ticks at
    :data:`RATIO_MAP_TICKS`, white at ``diverging_at``), and where ``values`` has a ``verdict`` column only a
    higher or lower district is coloured: one whose verdict is similar or not estimable is grey and hatched, and
    every district's label states its verdict in words (never colour alone).
    """
    by_code = values.set_index("area_code")
    finite = by_code["value"].replace([np.inf, -np.inf], np.nan).dropna()
    finite = finite[finite > 0] if diverging_at is not None else finite
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    scale: str | list[list[object]] = SEQUENTIAL
    colourbar: dict = {"title": {"text": value_label, "side": "right"}, "thickness": 14}
    if diverging_at is not None:
        span = max(abs(math.log10(max(high, 1e-9) / diverging_at)) if len(finite) else 0.0,
                   abs(math.log10(max(low, 1e-9) / diverging_at)) if len(finite) else 0.0, math.log10(2))
        centre = math.log10(diverging_at)
        low, high, scale = centre - span, centre + span, DIVERGING  # in log10 units from here on
        ticks = [t for t in RATIO_MAP_TICKS if low - 1e-9 <= math.log10(t) <= high + 1e-9]
        colourbar |= {"tickvals": [math.log10(t) for t in ticks],
                      "ticktext": [f"{t:.1f}" if t >= 1 else f"{t:g}" for t in ticks],
                      "title": {"text": f"{value_label} (log scale)", "side": "right"}}
    has_verdict = diverging_at is not None and "verdict" in by_code.columns
    fig = chart_template.figure()
    label_sets: tuple[dict[str, list[str]], ...] = ({}, {}, {})  # longest first (map_labels.district_label)
    mean_lat = np.mean([pt[1] for f in geojson["features"] for ring in map_labels.rings(f["geometry"]) for pt in ring])
    for feature in geojson["features"]:
        code, name = feature["properties"][code_property], feature["properties"][name_property]
        xs, ys = map_labels.outline(feature["geometry"])
        value = by_code["value"].get(code, np.nan)
        verdict = verdicts.parse(by_code["verdict"].get(code)) if has_verdict else None
        clear = verdict in (verdicts.Verdict.HIGHER, verdicts.Verdict.LOWER) if has_verdict else True
        pattern: dict = {}
        if value is None or not np.isfinite(value) or (diverging_at is not None and value <= 0):
            colour = "#e0e0e0"
        elif not clear:
            colour, pattern = NO_CLEAR_DIFFERENCE, {"shape": "/", "fgcolor": "#9a9a9a", "size": 8, "solidity": 0.25}
        elif diverging_at is not None:
            position = (math.log10(value) - low) / (high - low)
            colour = sample_colorscale(scale, [min(max(position, 0), 1)])[0]
        else:
            colour = sample_colorscale(scale, [0.15 + 0.85 * ((value - low) / (high - low) if high > low else 0.5)])[0]
        hover = by_code["hover"].get(code, "no data") if "hover" in by_code else _fmt(value)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, fill="toself", fillcolor=colour, mode="lines", line={"color": "#ffffff", "width": 1.2},
            name=name, hoveron="fills", text=f"<b>{name}</b><br>{hover}", hoverinfo="text", showlegend=False,
            **({"fillpattern": pattern} if pattern else {}),
        ))
        known = value is not None and np.isfinite(value)  # a withheld or missing value has no verdict to state
        shown = _fmt(value) if known else "–"
        words = [verdicts.label_of(verdict)] if has_verdict and verdict is not None and known else []
        note = f" {by_code['note'].get(code)}" if "note" in by_code and by_code["note"].get(code) else ""
        lines = map_labels.district_label(wrap_label(name, 18), shown, words, note)
        for chosen, label in zip(label_sets, lines, strict=True):
            chosen[code] = label
    map_labels.annotate(fig, geojson, label_sets[0], code_property, height, shorter=label_sets[1:])
    fig.add_trace(go.Scatter(
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"colorscale": scale, "cmin": low, "cmax": high, "color": [low], "showscale": True,
                "colorbar": colourbar},
    ))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / math.cos(math.radians(mean_lat)))
    _layout(fig, title, subtitle, height=height)
    return fig.update_layout(margin={"b": 10})



def funnel_plot(
    points: pd.DataFrame,
    centre: float,
    limits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    title: str,
    x_label: str,
    y_label: str,
    subtitle: str = "",
) -> go.Figure:
    """Districts (``label, n, value, hover``) against the force average and control limits.

    ``limits`` maps a label such as "95 %" to arrays ``(n, lower, upper)``.
    """
    fig = chart_template.figure()
    colours = {0: LIMIT_95, 1: LIMIT_998}
    for index, (label, (n, lower, upper)) in enumerate(limits.items()):
        style = {"color": colours.get(index, NEUTRAL), "width": 1.5, "dash": "dash" if index == 0 else "dot"}
        fig.add_trace(go.Scatter(x=n, y=upper, mode="lines", line=style, name=f"{label} limits", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=n, y=lower, mode="lines", line=style, showlegend=False, hoverinfo="skip"))
    top = centre * 2 or 1.0
    if len(points):
        max_n = float(points["n"].max()) * 1.1
        fig.add_trace(go.Scatter(x=[0, max_n], y=[centre, centre], mode="lines", name="Force average",
                                 line={"color": NEUTRAL, "width": 1.5}, hoverinfo="skip"))
        flagged = points.get("outside_95", pd.Series(False, index=points.index)).astype(bool)
        fig.add_trace(go.Scatter(
            x=points["n"], y=points["value"], mode="markers+text",
            # a label centred over a district near the axis was cut at the plot's edge ("orth Norfolk")
            text=np.where(flagged, points["label"], ""),
            textposition=np.where(points["n"] < 0.2 * max_n, "top right", "top center").tolist(),
            marker={"size": 11, "color": np.where(flagged, "#B2182B", "#222222"),
                    "symbol": np.where(flagged, "diamond", "circle")},
            name="District (red diamond, named: outside 95 % limits)",
            hovertext=points.get("hover"), hoverinfo="text" if "hover" in points else "x+y",
        ))
        first_upper = max(float(np.nan_to_num(upper[0], posinf=0)) for _, _, upper in limits.values()) if limits else 0
        top = max(float(points["value"].max()), min(first_upper, 2.5 * max(float(points["value"].max()), centre)))
    fig.update_xaxes(title=x_label, rangemode="tozero", showgrid=True, gridcolor="#eeeeee")
    fig.update_yaxes(title=y_label, showgrid=True, gridcolor="#eeeeee", range=[0, top * 1.12])
    return _layout(fig, title, subtitle, height=460)


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------
def monthly_lines(frame: pd.DataFrame, title: str, y_label: str, subtitle: str = "") -> go.Figure:
    """Monthly counts per group (columns ``month, group, value``)."""
    if frame.empty:
        return empty_figure(title, "No records match the filters.")
    fig = chart_template.figure()
    for group in schema.ETHNIC_GROUPS_WITH_NOT_STATED:
        part = frame[frame["group"] == group].sort_values("month")
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["month"], y=part["value"], mode="lines+markers", name=group,
            line={"color": GROUP_COLOURS[group], "width": 2, "dash": "dot" if group == schema.NOT_STATED else "solid"},
            marker={"size": 6, "symbol": GROUP_SYMBOLS[group]},
            hovertemplate=f"<b>{group}</b> %{{x|%b %Y}}: %{{y:,}}<extra></extra>",
        ))
    fig.update_xaxes(title="Month recorded", showgrid=False)
    fig.update_yaxes(title=y_label, rangemode="tozero", showgrid=True, gridcolor="#eeeeee")
    return _layout(fig, title, subtitle)


def ratio_band(frame: pd.DataFrame, title: str, reference: str, conf: float, subtitle: str = "",
               value: str = "ratio", log: bool = True, y_label: str | None = None,
               groups: Sequence[str] = schema.ETHNIC_GROUPS) -> go.Figure:
    """Rolling values per group with an interval band (columns ``month, group, <value>, lower, upper, events``)."""
    frame = frame.replace([np.inf, -np.inf], np.nan).dropna(subset=[value])
    if frame.empty:
        return empty_figure(title, "Too few events to compute rolling figures.")
    fig = chart_template.figure()
    for group in groups:
        part = frame[frame["group"] == group].sort_values("month")
        if part.empty:
            continue
        colour = GROUP_COLOURS[group]
        red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        fig.add_trace(go.Scatter(x=part["month"], y=part["upper"], mode="lines", line={"width": 0},
                                 showlegend=False, hoverinfo="skip", legendgroup=group))
        fig.add_trace(go.Scatter(x=part["month"], y=part["lower"], mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=f"rgba({red},{green},{blue},0.18)", showlegend=False, hoverinfo="skip",
                                 legendgroup=group))
        fig.add_trace(go.Scatter(
            x=part["month"], y=part[value], mode="lines+markers", name=group, legendgroup=group,
            line={"color": colour, "width": 2.5}, marker={"size": 7, "symbol": GROUP_SYMBOLS[group]},
            customdata=np.stack([part["lower"], part["upper"], part["events"]], axis=-1),
            hovertemplate=(f"<b>{group}</b>, 12 months to %{{x|%b %Y}}<br>{value} %{{y:.2f}} "
                           f"({conf * 100:g}% CI %{{customdata[0]:.2f}} to %{{customdata[1]:.2f}}); "
                           "%{customdata[2]:,} events<extra></extra>"),
        ))
    if log:
        fig.add_hline(y=1, line={"color": NEUTRAL, "dash": "dash", "width": 1.5}, opacity=1)
    extent = [*frame["lower"], *frame["upper"], *frame[value]] if log else []
    fig.update_yaxes(type="log" if log else "linear", title=y_label or f"Ratio to {reference} (log scale)",
                     showgrid=True, gridcolor="#eeeeee", rangemode="normal" if log else "tozero",
                     **(log_ticks(extent) if log else {}))
    fig.update_xaxes(title="End of the 12-month window")
    return _layout(fig, title, subtitle or f"Shaded: {conf * 100:g}% confidence interval")


def mark_incomplete(fig: go.Figure, first_incomplete: date | None, last: date | None,
                    what: str = "outcomes still coming in") -> go.Figure:
    """Shade the months from ``first_incomplete`` to ``last`` (the data's last month) and label them "Incomplete",
    so a low figure there is not read as a fall (issue 13: months younger than the outcome follow-up)."""
    if first_incomplete is None or last is None or first_incomplete > last:
        return fig
    end = (pd.Timestamp(last) + pd.offsets.MonthEnd(0)).to_pydatetime()
    fig.add_vrect(x0=pd.Timestamp(first_incomplete).to_pydatetime(), x1=end, fillcolor="#bdbdbd", opacity=0.25,
                  line_width=0, layer="below", annotation_text=f"Incomplete: {what}",
                  annotation_position="top right", annotation_font={"size": 11, "color": "#333333"})
    # the label ends at the last month (xanchor right): one starting at the shading ran past the data, and plotly
    # widened the axis to fit it (two or three empty years on the Trends charts)
    return fig


def completeness_lines(frame: pd.DataFrame, series: str, title: str, target: float, subtitle: str = "") -> go.Figure:
    """Share of records with ethnicity stated by month (columns ``month, <series>, share``) with a target line."""
    if frame.empty:
        return empty_figure(title, "No records match the filters.")
    fig = chart_template.figure()
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    for index, (name, part) in enumerate(frame.groupby(series, sort=True, observed=True)):  # categories in order
        fig.add_trace(go.Scatter(
            # markers too: a month between two months left out (disclosure control) is still seen
            x=part["month"], y=100 * part["share"], mode="lines+markers", name=str(name),
            line={"color": palette[index % len(palette)], "width": 2},
            marker={"size": 6, "symbol": SYMBOLS[index % len(SYMBOLS)]},
            customdata=np.stack([part["stated"], part["records"]], axis=-1),
            hovertemplate=(f"<b>{name}</b> %{{x|%b %Y}}: %{{y:.1f}}% "
                           "(%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>"),
        ))
    # width and opacity explicit: the simple_white template gives shapes a zero-width line at 0.3 opacity
    fig.add_hline(y=100 * target, line={"color": "#B2182B", "dash": "dash", "width": 2}, opacity=1,
                  annotation_text=f"target {target:.0%}", annotation_position="top left")
    fig.update_yaxes(title="% of records", range=[0, 100], showgrid=True,
                     gridcolor="#eeeeee")
    fig.update_xaxes(title="Month recorded")
    return _layout(fig, title, subtitle)


# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------
def outcome_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (``group, outcome_group, records``) with each outcome's ``share`` (%) of the group's records."""
    totals = frame.groupby("group")["records"].transform("sum")
    return frame.assign(share=100 * frame["records"] / totals)


OTHER_PATTERNS = tuple(p for p in PATTERNS if p != "/")  # the hatching "/" is outcome 22's alone


def outcome_mix(frame: pd.DataFrame, title: str, subtitle: str = "") -> go.Figure:
    """Share of concluded outcomes by outcome group within each ethnic group (``group, outcome_group, records``;
    with a ``share`` column, as given: a segment whose share is missing, e.g. suppressed, is left out)."""
    if frame.empty:
        return empty_figure(title, "No concluded outcomes match the filters.")
    frame = (frame if "share" in frame.columns else outcome_shares(frame)).dropna(subset=["share"])
    palette = ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#F0E442", "#CC79A7", "#D55E00", "#999999", "#666666",
               "#BBBBBB"]
    fig = chart_template.figure()
    order = [g for g in schema.OUTCOME_GROUPS if g != schema.OPEN_OUTCOME_GROUP]
    for index, outcome in enumerate(order):
        part = frame[frame["outcome_group"] == outcome]
        if part.empty:
            continue
        fig.add_trace(go.Bar(
            y=part["group"], x=part["share"], orientation="h", name=outcome,
            marker_color="#000000" if outcome == "Outcome 22" else palette[index % len(palette)],
            # a pattern beside each colour (outcome 22 hatched black): segments told apart without colour
            marker_pattern_shape="/" if outcome == "Outcome 22" else OTHER_PATTERNS[index % len(OTHER_PATTERNS)],
            customdata=part["records"],
            hovertemplate=f"<b>%{{y}}</b>: {outcome} %{{x:.1f}}% (%{{customdata:,}} records)<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="% of concluded records", range=[0, 100])
    fig.update_yaxes(title="", categoryorder="array", categoryarray=list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)[::-1])
    return _layout(fig, title, subtitle, height=440)


def agreement_heatmap(crosstab: pd.DataFrame, title: str, subtitle: str = "") -> go.Figure:
    """Self-defined (rows) by officer-defined (columns) record counts; a cell that is text (``[c]``, suppressed)
    is shown as that text and left uncoloured."""
    values = crosstab.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    text = [[v if isinstance(v, str) else f"{int(v):,}" for v in row] for row in crosstab.to_numpy(dtype=object)]
    fig = chart_template.figure(go.Heatmap(
        z=values, x=list(crosstab.columns), y=list(crosstab.index), colorscale="Blues", showscale=False,
        text=text, texttemplate="%{text}",
        hovertemplate="Self-defined %{y}, officer-defined %{x}: %{text} records<extra></extra>",
    ))
    fig.update_xaxes(title="Officer-defined", side="bottom")
    fig.update_yaxes(title="Self-defined", autorange="reversed")
    return _layout(fig, title, subtitle, height=420)


def stacked_counts(frame: pd.DataFrame, x: str, colour: str, title: str, y_label: str,
                   colours: dict[str, str] | None = None, order: Sequence[str] | None = None) -> go.Figure:
    """Counts by ``x`` stacked by ``colour`` (columns ``x, colour, value``)."""
    if frame.empty:
        return empty_figure(title, "No records match the filters.")
    fig = chart_template.figure()
    for index, name in enumerate(order or sorted(frame[colour].unique())):
        part = frame[frame[colour] == name]
        if part.empty:
            continue
        fig.add_trace(go.Bar(x=part[x], y=part["value"], name=str(name),
                             marker_color=(colours or {}).get(name),
                             marker_pattern_shape=PATTERNS[index % len(PATTERNS)],
                             hovertemplate=f"<b>{name}</b> %{{x}}: %{{y:,}}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title=y_label, showgrid=True, gridcolor="#eeeeee")
    fig.update_xaxes(title="")
    return _layout(fig, title)
