"""Contrast and text alternatives of the charts and the app's text (issue 15, part 7: WCAG 2.2 AA).

Contrast ratios by the WCAG formula (``analytics.chart_access.contrast_ratio``), checked against values published
by WebAIM's contrast checker and worked by hand; every text colour a chart carries (ticks, titles, subtitles,
labels, annotations) reads at 4.5:1 or more on its background; lines and segments are told apart by more than
colour; the "show as a table" alternative holds the chart's own numbers, suppressed cells included.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import chart_access, charts, geography
from analytics.alerts import figure as alert_figure
from analytics.chart_access import blend, contrast_ratio

ROOT = Path(__file__).resolve().parents[1]
WHITE = "#ffffff"
AA_TEXT = 4.5


def test_contrast_ratio_matches_published_values():
    assert contrast_ratio("#000000", WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)
    # WebAIM contrast checker: #767676 on white 4.54:1 (the lightest grey passing AA), #777777 4.48:1 (fails).
    # By hand for #767676: 118/255 = 0.46275; ((0.46275 + 0.055) / 1.055) ** 2.4 = 0.18116 per channel, so
    # L = 0.18116 and (1 + 0.05) / (0.18116 + 0.05) = 4.542.
    assert contrast_ratio("#767676", WHITE) == pytest.approx(4.542, abs=0.001)
    assert contrast_ratio("#777777", WHITE) == pytest.approx(4.48, abs=0.005)
    assert contrast_ratio(WHITE, "#767676") == contrast_ratio("#767676", WHITE)


def test_blend_is_the_colour_seen_through_opacity():
    # 60 % of #2f2d2b (47, 45, 43) over white: 0.6 * 47 + 0.4 * 255 = 130.2 -> 0x82; 129 -> 0x81; 127.8 -> 0x80
    assert blend("#2f2d2b", WHITE, 0.6) == "#828180"
    assert blend("#000000", WHITE, 0.5) == "#808080"


def test_streamlit_captions_pass_with_the_apps_text_colour():
    """Streamlit draws st.caption in the text colour at 60 % opacity. Its default text colour gives #828180 on
    white, 3.89:1 (what axe-core measured on every page before); the app's theme colour must give 4.5:1 or more."""
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert contrast_ratio(blend("#2f2d2b", WHITE, 0.6), WHITE) == pytest.approx(3.89, abs=0.01)
    caption = blend(theme["textColor"], WHITE, 0.6)
    assert contrast_ratio(caption, WHITE) >= AA_TEXT, caption
    assert contrast_ratio(theme["textColor"], WHITE) >= 7  # body text at AAA
    assert contrast_ratio(WHITE, theme["primaryColor"]) >= AA_TEXT  # white text on the primary buttons


# --- the charts --------------------------------------------------------------------------------------------------
RATIOS = pd.DataFrame({
    "group": ["Asian", "Black", "Mixed", "Other"], "ratio": [0.6, 2.7, 1.1, 1.4],
    "ratio_lower": [0.4, 2.1, 0.8, 0.7], "ratio_upper": [0.9, 3.4, 1.5, 2.8], "interval_level": [0.98] * 4,
    "verdict": ["lower", "higher", "similar", "similar"], "events": [40, 120, 30, "[c]"],
    "denominator": [1000, 900, 800, 300], "reliability": ["reliable", "reliable", "reliable", "unreliable"],
    "rate": [4.0, 13.3, 3.8, 2.7], "rate_lower": [2.9, 11.0, 2.6, 1.2], "rate_upper": [5.4, 15.9, 5.4, 5.3],
})
MONTHS = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])


def monthly() -> pd.DataFrame:
    groups = ["Asian", "Black", "White", "Not stated"]
    return pd.DataFrame({"month": np.tile(MONTHS, len(groups)), "group": np.repeat(groups, len(MONTHS)),
                         "value": [3, 4, 2, 9, 8, 7, 50, 52, 49, 6, 5, 7]})


@functools.cache
def every_chart():
    """One figure from every builder the pages use, on small made-up data."""
    boundaries = geography.load_boundaries()
    codes = [f["properties"]["areacd"] for f in boundaries["features"]]
    values = pd.DataFrame({"area_code": codes, "value": np.linspace(0.3, 4.0, len(codes)),
                           "verdict": ["higher", "lower"] * (len(codes) // 2) + ["higher"] * (len(codes) % 2),
                           "hover": ["x"] * len(codes)})
    band = monthly().assign(ratio=lambda f: f["value"] / 10, lower=lambda f: f["value"] / 20,
                            upper=lambda f: f["value"] / 5, events=lambda f: f["value"])
    quality = pd.DataFrame({"month": np.tile(MONTHS, 2), "role": np.repeat(["victim", "suspect"], 3),
                            "share": [0.5, 0.6, 0.7, 0.8, 0.8, 0.9], "stated": [5, 6, 7, 8, 8, 9],
                            "records": [10] * 6})
    mix = pd.DataFrame({"group": ["Black", "Black", "White", "White"], "records": [5, 15, 30, 10],
                        "outcome_group": ["Outcome 22", "Charge/summons", "Outcome 22", "Charge/summons"]})
    crosstab = pd.DataFrame([[90, "[c]"], [7, 40]], index=["White", "Black"], columns=["IC1", "IC3"])
    limits = {"95 %": (np.array([10, 100]), np.array([0.1, 0.5]), np.array([3.0, 1.5]))}
    points = pd.DataFrame({"label": ["Norwich", "Breckland"], "n": [80, 40], "value": [2.0, 0.9],
                           "outside_95": [True, False], "hover": ["a", "b"]})
    return {
        "forest": charts.forest_plot(RATIOS, "Ratio", "White", 0.95),
        "rates": charts.rate_bars(RATIOS, "Rates", "per 1,000", 0.95),
        "map": charts.choropleth(boundaries, values, "Map", "Ratio", diverging_at=1.0),
        "funnel": charts.funnel_plot(points, 1.0, limits, "Funnel", "Children", "Ratio"),
        "monthly": charts.mark_incomplete(charts.monthly_lines(monthly(), "Monthly", "Children"),
                                          MONTHS[2].date(), MONTHS[2].date()),
        "band": charts.ratio_band(band, "Band", "White", 0.95),
        "completeness": charts.completeness_lines(quality, "role", "Completeness", 0.9),
        "mix": charts.outcome_mix(mix, "Mix"),
        "heatmap": charts.agreement_heatmap(crosstab, "Agreement"),
        "stacked": charts.stacked_counts(monthly(), "month", "group", "Stacked", "Children"),
    }


def text_colours(node, inherited: str | None = None, key: str = ""):
    """Every colour given to text in a figure's JSON: font colours (font, tickfont, textfont, title font) and
    colours set in the HTML of a title or label (``<span style='color:#555'>``)."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name.endswith("font") and isinstance(value, dict) and isinstance(value.get("color"), str):
                yield value["color"]
            yield from text_colours(value, key=name)
    elif isinstance(node, list):
        for item in node:
            yield from text_colours(item, key=key)
    elif isinstance(node, str) and key in ("text", "title"):
        yield from re.findall(r"color:\s*(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b", node)


def full_hex(colour: str) -> str:
    colour = colour.strip()
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour


@pytest.mark.parametrize("name", list(every_chart()))
def test_every_text_colour_in_a_chart_reads_at_4_5_to_1(name):
    fig = every_chart()[name]
    layout = fig.to_plotly_json()["layout"]
    assert layout["template"]["layout"]["font"]["color"] and layout["font"]["color"] == charts.FONT["color"]
    background = full_hex(layout.get("paper_bgcolor", WHITE))
    found = {full_hex(c) for c in text_colours(fig.to_plotly_json()) if c.startswith("#")}
    assert charts.FONT["color"] in found  # ticks and axis titles take the layout's font colour
    for colour in found:
        assert contrast_ratio(colour, background) >= AA_TEXT, f"{name}: {colour} on {background}"


def test_map_labels_read_on_the_darkest_district_fill():
    """A district's label is #111111 on a 75 % white box over the fill: the worst case is the darkest fill."""
    darkest = min([str(charts.DIVERGING[0][1]), str(charts.DIVERGING[-1][1]), charts.NO_CLEAR_DIFFERENCE],
                  key=chart_access.relative_luminance)
    box = blend(WHITE, darkest, 0.75)
    assert contrast_ratio("#111111", box) >= AA_TEXT


def test_alert_chart_letters_read_on_its_grey_panel():
    assert contrast_ratio(alert_figure.LABEL_COLOUR, "#f4f4f4") >= AA_TEXT


def test_lines_and_segments_are_told_apart_without_colour():
    figures = every_chart()
    for name in ("monthly", "band", "completeness"):
        drawn = [t for t in figures[name].data if t.hoverinfo != "skip" and t.mode and "markers" in t.mode]
        symbols = [t.marker.symbol for t in drawn]
        assert len(drawn) >= 2 and len(set(symbols)) == len(symbols), (name, symbols)
    funnel = next(t for t in figures["funnel"].data if t.mode == "markers+text")
    assert list(funnel.marker.symbol) == ["diamond", "circle"] and list(funnel.text) == ["Norwich", ""]
    segments = [(t.marker.color, t.marker.pattern.shape) for t in figures["mix"].data]
    assert segments[0] != segments[1] and {s[1] for s in segments} >= {"/"}  # outcome 22 hatched
    stacked = [t.marker.pattern.shape for t in figures["stacked"].data]
    assert len(set(stacked)) == len(stacked)


# --- the "show as a table" alternative -------------------------------------------------------------------------
def test_forest_table_holds_the_charts_numbers_and_its_suppressed_cell():
    table = chart_access.figure_table(every_chart()["forest"]).set_index("Category")
    ratio = next(c for c in table.columns if c.startswith("Ratio to White"))
    assert table.loc["Black", ratio] == 2.7 and table.loc["Black", "Interval from"] == 2.1
    assert table.loc["Black", "Interval to"] == 3.4 and table.loc["Black", "Verdict"] == "Higher"
    assert table.loc["Other", "Events"] == "[c]" and table.loc["Asian", "Events"] == "40"
    assert table.loc["Mixed", "Verdict"] == "No clear difference"
    assert chart_access.figure_title(every_chart()["forest"]) == "Ratio"


def test_monthly_table_has_a_column_per_group_and_a_row_per_month():
    table = chart_access.figure_table(every_chart()["monthly"])
    assert list(table.columns) == ["Month recorded", "Asian", "Black", "White", "Not stated"]
    assert table["Month recorded"].tolist() == ["Jan 2024", "Feb 2024", "Mar 2024"]
    assert table["White"].tolist() == [50, 52, 49]


def test_map_heatmap_and_limits_lines():
    figures = every_chart()
    districts = chart_access.figure_table(figures["map"])
    assert len(districts) == len(geography.load_boundaries()["features"]) and list(districts.columns) == [
        "Area", "Details"]
    cells = chart_access.figure_table(figures["heatmap"])
    assert cells.loc[(cells["Row"] == "White") & (cells["Column"] == "IC3"), "Value"].item() == "[c]"
    funnel = chart_access.figure_table(figures["funnel"])  # the limit lines (hover skipped) are not data
    assert len(funnel) == 2


def test_empty_figure_has_no_table():
    assert chart_access.figure_table(charts.empty_figure("Nothing", "No records.")).empty


def test_a_long_label_wraps_and_a_short_one_does_not():
    label = "Police: victims, suspects or offenders (children per 1,000 per year) (01 Jan 2023 to 31 Oct 2026)"
    lines = chart_access.wrap_label(label).split("<br>")
    assert len(lines) == math.ceil(len(label) / 34) and all(len(line) <= 34 for line in lines)
    assert " ".join(lines) == label
    assert chart_access.wrap_label("Black") == "Black"


def test_every_chart_is_drawn_on_simple_white_whatever_plotlys_default(monkeypatch):
    """The charts' template does not depend on plotly's process-wide default, which other code changes (importing
    Streamlit sets it to "streamlit"): each builder draws on simple_white (analytics.chart_template)."""
    import plotly.io as pio

    from analytics.partners import figures as partner_figures

    monkeypatch.setattr(pio.templates, "default", "plotly_dark")
    expected = pio.templates["simple_white"].to_plotly_json()
    paths = pd.DataFrame({"first": ["victim", "suspect"], "next": ["suspect", "no further record"],
                          "children": [12, 30]})
    curves = pd.DataFrame({"group": ["Black"] * 2, "months": [0.0, 6.0], "incidence": [0.0, 0.1],
                           "lower": [0.0, 0.05], "upper": [0.0, 0.2]})
    figures = {**every_chart.__wrapped__(), "sankey": partner_figures.sankey(paths, "Journeys"),
               "curves": partner_figures.incidence_curves(curves, "Curves", 0.95),
               "empty": charts.empty_figure("Nothing", "No records")}
    for name, fig in figures.items():
        assert fig.to_plotly_json()["layout"]["template"] == expected, name
    assert pio.templates.default == "simple_white"  # set by the builders, as chart_template says
