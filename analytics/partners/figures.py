"""The journeys' charts (issue 17): Sankey of first role -> next involvement, UpSet chart of roles x risk markers,
cumulative incidence curves. Plotly figures from already disclosure-controlled frames: a cell shown as [c] is not
drawn (its bar or link is left out, and the caption says so)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics import chart_template
from analytics.chart_access import DASHES
from analytics.charts import FONT, GROUP_COLOURS, NEUTRAL, empty_figure
from analytics.partners.journeys import SET_LABELS

ROLE_COLOURS = {"victim": "#56B4E9", "suspect": "#D55E00", "suspect and victim": "#CC79A7",
                "no further record": "#BBBBBB"}


def _layout(fig: go.Figure, title: str, subtitle: str, height: int) -> go.Figure:
    fig.update_layout(title={"text": f"<b>{title}</b><br><span style='font-size:12px;color:#555'>{subtitle}</span>",
                             "x": 0, "xanchor": "left"}, font=FONT, height=height,
                      margin={"l": 10, "r": 10, "t": 80, "b": 40}, hoverlabel={"bgcolor": "white", "font_size": 12})
    return fig


def _numeric(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[frame[column].map(lambda v: not isinstance(v, str))].assign(
        **{column: lambda f: f[column].astype(int)})


def sankey(paths: pd.DataFrame, title: str) -> go.Figure:
    """``paths``: ``first``, ``next``, ``children`` (counts shown as [c] are left out)."""
    shown = _numeric(paths, "children")
    shown = shown[shown["children"] > 0]
    if shown.empty:
        return empty_figure(title, "No child's journey can be shown for this selection.")
    left = [f"First: {r}" for r in sorted(set(shown["first"]))]
    right = [f"Next: {r}" for r in sorted(set(shown["next"]))]
    labels = left + right
    fig = chart_template.figure(go.Sankey(
        node={"label": labels, "pad": 18, "thickness": 18,
              "color": [ROLE_COLOURS.get(lab.split(": ", 1)[1], NEUTRAL) for lab in labels]},
        link={"source": [labels.index(f"First: {r}") for r in shown["first"]],
              "target": [labels.index(f"Next: {r}") for r in shown["next"]],
              "value": shown["children"].tolist(),
              "hovertemplate": "%{source.label} → %{target.label}: %{value:,} children<extra></extra>"},
    ))
    return _layout(fig, title, "Each child's first record, and the role of its next record on a later date", 420)


def upset(sizes: pd.DataFrame, totals: pd.DataFrame, title: str) -> go.Figure:
    """UpSet chart (Lex et al. 2014): bars of each combination's size over a dot matrix of its members, and each
    set's size at the side. ``sizes``: ``members`` (tuples of set names) and ``children``; ``totals``: ``set``,
    ``children``."""
    shown = _numeric(sizes, "children")
    if shown.empty:
        return empty_figure(title, "No combination can be shown for this selection.")
    sets = list(totals["set"])
    names = [SET_LABELS.get(s, s) for s in sets]
    # each bar is named by its combination (a position number would read as a count on a scrutiny page)
    x = [" + ".join(names[sets.index(m)] for m in members if m in sets) or "none" for members in shown["members"]]
    fig = chart_template.subplots(rows=2, cols=2, shared_xaxes="columns", shared_yaxes="rows", column_widths=[0.8, 0.2],
                                  row_heights=[0.55, 0.45], horizontal_spacing=0.02, vertical_spacing=0.03)
    fig.add_trace(go.Bar(x=x, y=shown["children"], marker_color=NEUTRAL, text=shown["children"],
                         textposition="outside", hovertemplate="%{x}: %{y:,} children<extra></extra>",
                         showlegend=False), row=1, col=1)
    for i, members in zip(x, shown["members"], strict=True):
        ys = [names[sets.index(m)] for m in members if m in sets]
        fig.add_trace(go.Scatter(x=[i] * len(names), y=names, mode="markers", showlegend=False, hoverinfo="skip",
                                 marker={"color": "#DDDDDD", "size": 10}), row=2, col=1)
        fig.add_trace(go.Scatter(x=[i] * len(ys), y=ys, mode="lines+markers", showlegend=False, hoverinfo="skip",
                                 marker={"color": "#222222", "size": 11}, line={"color": "#222222"}), row=2, col=1)
    numbers = _numeric(totals, "children")
    fig.add_trace(go.Bar(y=[names[sets.index(s)] for s in numbers["set"]], x=numbers["children"], orientation="h",
                         marker_color="#999999", showlegend=False,
                         hovertemplate="%{y}: %{x:,} children<extra></extra>"), row=2, col=2)
    fig.update_xaxes(visible=False, categoryorder="array", categoryarray=x, row=1, col=1)
    fig.update_xaxes(visible=False, categoryorder="array", categoryarray=x, row=2, col=1)
    fig.update_yaxes(title_text="Children", row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=names[::-1], row=2, col=1)
    fig.update_xaxes(title_text="Children in the set", row=2, col=2)
    return _layout(fig, title, "Bars: children with exactly this combination of roles and risk markers", 560)


def incidence_curves(curves: pd.DataFrame, title: str, conf: float) -> go.Figure:
    """Step curves of cumulative incidence (%) by group with their confidence bands."""
    if curves.empty:
        return empty_figure(title, "Too few children to estimate the curves for this selection.")
    fig = chart_template.figure()
    for index, (group, part) in enumerate(curves.groupby("group", sort=False)):
        colour = GROUP_COLOURS.get(str(group), NEUTRAL)
        fig.add_trace(go.Scatter(x=part["months"], y=100 * part["upper"], mode="lines", line={"width": 0},
                                 line_shape="hv", showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=part["months"], y=100 * part["lower"], mode="lines", line={"width": 0},
                                 line_shape="hv", fill="tonexty", fillcolor=_faint(colour), showlegend=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=part["months"], y=100 * part["incidence"], mode="lines", name=str(group),
                                 line={"color": colour, "width": 2, "dash": DASHES[index % len(DASHES)]},
                                 line_shape="hv",
                                 hovertemplate=f"<b>{group}</b> %{{x:.1f}} months: %{{y:.1f}} %<extra></extra>"))
    fig.update_xaxes(title_text="Months since the child's first record")
    fig.update_yaxes(title_text="Children with a next involvement (%)", rangemode="tozero")
    fig = _layout(fig, title, f"Kaplan–Meier; bands: {conf * 100:g} % confidence intervals", 440)
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return fig


def _faint(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.15)"
