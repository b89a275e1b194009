"""The SPC chart of one finding: the series, its centre line and limits, the baseline shaded, and every point
where a rule fired coloured and labelled with the rule (plotly; no Streamlit, no data access)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analytics import chart_template
from analytics.alerts.grid import Finding
from analytics.alerts.table import RULE_SHORT, displayed

#: A point's colour is its first rule in Making Data Count's precedence; its label names every rule that fired.
RULE_COLOURS = {"beyond_limits": "#d62728", "trend": "#9467bd", "two_of_three": "#ff7f0e", "shift": "#1f77b4"}
#: The points' letters and the chart's text (WCAG 1.4.3: 4.5:1 or more on the white and #f4f4f4 backgrounds).
LABEL_COLOUR = "#222222"
#: The one-letter labels on the points (the legend spells them out): a point fired by several rules shows each.
RULE_CODES = {"beyond_limits": "L", "trend": "T", "two_of_three": "N", "shift": "S"}
UNITS = {"rate": "per 1,000 children per year", "ratio": "rate ratio", "count": "children",
         "outcome22": "% of records in the decision denominator"}


def spc_figure(finding: Finding, title: str, hidden: np.ndarray | None = None, height: int = 340) -> go.Figure:
    """The chart; ``hidden`` marks points withheld by disclosure control (not drawn, and said so). Points where a
    rule fired carry its letter (L beyond the limits, T trend, N two of three near a limit, S shift) and the
    direction."""
    result = finding.result
    assert result.months is not None and result.flags is not None and result.baseline is not None
    shown = displayed(result)
    months = result.months
    values = np.asarray(shown["value"], dtype=float).copy()
    if hidden is not None:
        values[hidden] = np.nan
    upper = np.where(np.isfinite(shown["upper"]), shown["upper"], np.nan)
    fig = chart_template.figure()
    fig.add_vrect(x0=result.baseline[0], x1=result.baseline[1], fillcolor="#eeeeee", opacity=0.6, line_width=0,
                  annotation_text="baseline", annotation_position="top left")
    fig.add_trace(go.Scatter(x=months, y=upper, name="upper limit", mode="lines",
                             line={"color": "#888888", "dash": "dash", "width": 1}))
    fig.add_trace(go.Scatter(x=months, y=shown["lower"], name="lower limit", mode="lines",
                             line={"color": "#888888", "dash": "dash", "width": 1}))
    fig.add_trace(go.Scatter(x=months, y=shown["centre"], name="centre line (baseline)", mode="lines",
                             line={"color": "#444444", "width": 1.5}))
    fig.add_trace(go.Scatter(x=months, y=values, name="month", mode="lines+markers",
                             line={"color": "#7f7f7f", "width": 1.5}, marker={"color": "#7f7f7f", "size": 6}))
    flags = result.flags
    fired_rules = [flags.at(i) for i in range(len(values))]
    primary = [rules[0][0] if rules and np.isfinite(values[i]) else None for i, rules in enumerate(fired_rules)]
    for rule, colour in RULE_COLOURS.items():
        points = [i for i, p in enumerate(primary) if p == rule]
        if not points:
            continue
        labels = ["".join(RULE_CODES[r] for r, _ in fired_rules[i]) + ("↑" if fired_rules[i][0][1] > 0 else "↓")
                  for i in points]
        fig.add_trace(go.Scatter(
            x=months[points], y=values[points], name=f"{RULE_CODES[rule]}: {RULE_SHORT[rule]}", mode="markers+text",
            marker={"color": colour, "size": 10, "line": {"color": "white", "width": 1}}, text=labels,
            textposition=["top center" if i % 2 else "bottom center" for i in points],
            textfont={"color": LABEL_COLOUR, "size": 10}))  # the letters in near-black: readable on any colour
    unit = UNITS[result.series.measure]
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=height,
                      font={"color": LABEL_COLOUR},
                      margin={"l": 50, "r": 20, "t": 50, "b": 40}, yaxis_title=unit, plot_bgcolor="white",
                      legend={"orientation": "h", "y": -0.2, "font": {"size": 10}})
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eeeeee", rangemode="tozero")
    return fig
