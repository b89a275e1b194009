"""Text alternatives for charts and the contrast arithmetic (issue 15, part 7: WCAG 2.2 AA).

Every chart on the dashboard has a text title, a caption that describes it and a "show as a table" alternative.
The table is read from the figure itself (:func:`figure_table`), so it holds exactly the numbers the chart draws
and sends to the browser, after the same disclosure control, and no more. Pure Python: no Streamlit here.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

#: Marker symbols that tell lines and points apart without colour (WCAG 1.4.1), in the order of the groups.
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down", "pentagon", "hexagon")
#: Line dashes that tell curves apart without colour (plotly's dash names).
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
#: Bar patterns that tell stacked segments apart without colour (plotly's pattern shapes; "" is solid).
PATTERNS = ("", "/", ".", "x", "\\", "-", "|", "+")
_TAG = re.compile(r"<[^>]+>")
_BOLD = re.compile(r"<b>(.*?)</b>", re.S)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]00:00:00(\.0+)?)?")


def relative_luminance(colour: str) -> float:
    """Relative luminance of an sRGB colour '#rrggbb' (WCAG 2.2, definition of relative luminance)."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.2 contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter colour's relative luminance (1.4.3)."""
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def blend(colour: str, background: str, alpha: float) -> str:
    """``colour`` drawn at opacity ``alpha`` over ``background`` (what the eye sees, e.g. a faded caption)."""
    top, bottom = (np.array([int(c.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]) for c in (colour, background))
    mixed = np.rint(alpha * top + (1 - alpha) * bottom).astype(int)
    return "#" + "".join(f"{v:02x}" for v in mixed)


def wrap_label(label: str, width: int = 34) -> str:
    """A long axis label broken into lines of at most ``width`` characters with ``<br>`` (plotly's line break), so
    a long category label does not squeeze the plot; a short label is returned unchanged."""
    return label if len(label) <= width else "<br>".join(textwrap.wrap(label, width, break_long_words=False))


def plain(text: object) -> str:
    """Text of a plotly label with its HTML tags and line breaks taken out."""
    return " ".join(_TAG.sub(" ", str(text)).split())


def figure_title(fig: go.Figure) -> str:
    """The chart's title in plain text: its bold lines (one, or several where it was wrapped to fit), without the
    subtitle; a title with no bold line is its first line."""
    title = fig.layout.title.text or ""
    bold = _BOLD.findall(title)
    return plain(" ".join(bold)) if bold else plain(title.split("<br>")[0])


def figure_table(fig: go.Figure) -> pd.DataFrame:
    """The chart's data as a table, read from its traces: one row per drawn point, bar, cell, district or flow.

    Traces that carry no data of their own (limit lines, interval bands, the colour bar: hover skipped) are left
    out. A trace's ``meta["columns"]`` names its ``customdata`` columns (events, denominators, limits), which are
    added beside the value. Several series of single values on the same categories (monthly lines) become one
    column per series. The category and value columns take the axes' titles."""
    frames = [frame for trace in fig.data if (frame := _trace_table(trace, fig)) is not None and len(frame)]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    if "Series" in table.columns and (table["Series"].fillna("") == "").all():
        table = table.drop(columns="Series")
    elif set(table.columns) == {"Series", "Category", "Value"}:
        table = _wide(table)
    axes = next((f.attrs["axes"] for f in frames if "axes" in f.attrs), ("", ""))
    names = {"Category": axes[0] or "Category", "Value": axes[1] or "Value"}
    return table.rename(columns={k: v for k, v in names.items() if v not in table.columns}).apply(_readable)


def _axis_title(axis) -> str:
    return plain(axis.title.text or "") if axis is not None else ""


def _trace_table(trace, fig: go.Figure) -> pd.DataFrame | None:
    if trace.hoverinfo == "skip":
        return None
    if isinstance(trace, go.Heatmap):
        return _heatmap_table(trace)
    if isinstance(trace, go.Sankey):
        labels = list(trace.node.label)
        link = trace.link
        return pd.DataFrame({"From": [plain(labels[s]) for s in link.source],
                             "To": [plain(labels[t]) for t in link.target], "Value": list(link.value)})
    if isinstance(trace, go.Scatter) and trace.fill == "toself":  # a map district: its name and hover text
        return pd.DataFrame({"Area": [plain(trace.name)], "Details": [plain(trace.text)]})
    if isinstance(trace, (go.Scatter, go.Bar)) and trace.x is not None and trace.y is not None:
        return _xy_table(trace, fig)
    return None


def _heatmap_table(trace: go.Heatmap) -> pd.DataFrame:
    cells = trace.text if trace.text is not None else trace.z
    return pd.DataFrame([{"Row": plain(row), "Column": plain(column), "Value": cells[i][j]}
                         for i, row in enumerate(trace.y) for j, column in enumerate(trace.x)])


def _xy_table(trace, fig: go.Figure) -> pd.DataFrame:
    horizontal = getattr(trace, "orientation", None) == "h" or (
        _is_numeric(trace.x) and not _is_numeric(trace.y))
    categories, values = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
    axes = (fig.layout.xaxis, fig.layout.yaxis)
    category_axis, value_axis = (axes[1], axes[0]) if horizontal else axes
    frame = pd.DataFrame({"Series": plain(trace.name or ""), "Category": [plain(c) for c in categories],
                          "Value": list(values)})
    frame.attrs["axes"] = (_axis_title(category_axis), _axis_title(value_axis))
    columns: Sequence[str] = (trace.meta or {}).get("columns", ()) if isinstance(trace.meta, dict) else ()
    if columns and trace.customdata is not None:
        data = np.asarray(trace.customdata, dtype=object).reshape(len(frame), -1)
        for index, name in enumerate(columns):
            if name:
                frame[name] = data[:, index]
    elif _has_words(trace.text, len(frame)):
        frame["Label"] = [plain(t) for t in trace.text]
    return frame


def _is_numeric(values) -> bool:
    return pd.api.types.is_numeric_dtype(pd.Series(list(values)).infer_objects())


def _has_words(text, rows: int) -> bool:
    return text is not None and not isinstance(text, str) and len(text) == rows and any(str(t) for t in text)


def _wide(table: pd.DataFrame) -> pd.DataFrame:
    """Series of single values on shared categories, one column per series (a monthly chart as a month table)."""
    shared = table.groupby("Series", sort=False)["Category"].apply(frozenset).nunique() == 1
    if not shared or table.duplicated(["Series", "Category"]).any() or table["Series"].nunique() < 2:
        return table
    wide = table.pivot(index="Category", columns="Series", values="Value")
    wide = wide[list(dict.fromkeys(table["Series"]))].reset_index()
    wide.columns.name = None
    return wide


def _readable(column: pd.Series) -> pd.Series:
    """A column as the table shows it: numbers rounded to 2 decimals, dates as dates, a mixed column (numbers beside
    '[c]') as text, a missing value as '–'."""
    values = pd.Series(column)
    if pd.api.types.is_datetime64_any_dtype(values):
        return _dates(values)
    numbers = values if pd.api.types.is_numeric_dtype(values) else pd.to_numeric(values, errors="coerce")
    if numbers.notna().all() and not values.map(lambda v: isinstance(v, bool)).any():
        return numbers.round(2)
    if values.map(lambda v: isinstance(v, str) and bool(_DATE.fullmatch(v))).all():
        return _dates(pd.to_datetime(values))
    return values.map(_cell_text)


def _dates(values: pd.Series) -> pd.Series:
    """Dates as text: 'Mar 2024' when every date is a month's first day (monthly charts), else '05 Mar 2024'."""
    return values.dt.strftime("%b %Y" if (values.dt.day == 1).all() else "%d %b %Y")


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return plain(value)
