"""A chart's words fitted to the width it is drawn at: title, subtitle and axis titles wrapped, never cut.

Plotly draws a title on one line however long it is, and cuts it at the figure's edge; a chart set in half the
page (two side by side) cut even short titles ("Records by self-defined and officer-defined gr"). The lines are
measured with the average advance of the charts' font (DejaVu Sans: measured 0.52 em, bold 0.56 em;
rounded up) and
the top margin grows by a line for every line added, so the plot never moves under its title.
"""

from __future__ import annotations

import re
import textwrap

import plotly.graph_objects as go

from analytics.chart_access import plain

#: Average advance of a character of the charts' font as a share of its size: bold (titles) and regular.
BOLD_EM, PLAIN_EM = 0.6, 0.55
LINE = 1.3  # line height as a share of the font size
SUBTITLE_PX = 12  # the subtitle's font size (set by charts._layout)
AXIS_PX = 13  # axis titles: the charts' font
_SUBTITLE = re.compile(r"<span style='([^']*)'>(.*)</span>$", re.S)


def wrapped(text: str, width_px: float, char_px: float) -> list[str]:
    """``text`` (its HTML line breaks kept) in lines of at most ``width_px`` at ``char_px`` per character."""
    most = max(12, int(width_px / char_px))
    return [line for part in text.split("<br>")
            for line in (textwrap.wrap(plain(part), most, break_on_hyphens=False) or [""])]


def fit(fig: go.Figure, width_px: float) -> go.Figure:
    """Wrap the title (bold), its subtitle and the axis titles of ``fig`` to a chart ``width_px`` wide, growing
    the top margin by the lines added; a text that fits is left as it is."""
    added = _fit_title(fig, width_px - 20)
    if added:
        added += 6  # clear space between the subtitle and the plot
        margin = fig.layout.margin.t if fig.layout.margin.t is not None else 80
        # plotly sets a title's first line from the top as if it were the only one: start it a line lower
        size = float(fig.layout.title.font.size or 17)
        fig.update_layout(margin={"t": margin + added}, title={"yref": "container", "yanchor": "top",
                                                                "y": 1 - (8 + size) / _height(fig)})
    plot_height = _height(fig) - (fig.layout.margin.t or 80) - (fig.layout.margin.b or 80)
    # an x title is centred on the plot, which long category labels push right: keep it within 60 % of the width
    for axis, length in (("xaxis", (width_px - 80) * 0.6), ("yaxis", plot_height)):
        title = fig.layout[axis].title
        if title.text and len(lines := wrapped(title.text, length, AXIS_PX * PLAIN_EM)) > 1:
            title.text = "<br>".join(lines)
    for note in fig.layout.annotations:  # a message across the chart (no data): wrapped like the title
        if note.xref == "paper" and not note.showarrow and note.text:
            note.text = "<br>".join(wrapped(note.text, width_px - 40, float(note.font.size or AXIS_PX) * PLAIN_EM))
    return fig


def _height(fig: go.Figure) -> float:
    return float(fig.layout.height or 450)


def _fit_title(fig: go.Figure, width_px: float) -> float:
    """Wrap the title and subtitle in place; the pixels of height the extra lines take."""
    text = fig.layout.title.text or ""
    head, _, rest = text.partition("<br>")
    size = float(fig.layout.title.font.size or 17)
    head_lines = wrapped(head, width_px, size * BOLD_EM)
    match = _SUBTITLE.match(rest)
    sub_lines = wrapped(match.group(2), width_px, SUBTITLE_PX * PLAIN_EM) if match else []
    added = (len(head_lines) - 1) * size * LINE + max(0, len(sub_lines) - rest.count("<br>") - 1) * SUBTITLE_PX * LINE
    if not added:
        return 0.0
    lines = [f"<b>{line}</b>" for line in head_lines]
    if match:
        lines += [f"<span style='{match.group(1)}'>{line}</span>" for line in sub_lines]
    elif rest:
        lines.append(rest)
    fig.layout.title.text = "<br>".join(lines)
    return added
