"""Chart words fitted to the width a chart is drawn at (analytics.chart_text): wrapped, never cut; the widths are
worked by hand from the font's allowance (bold 0.6 em, regular 0.55 em) and textwrap's word breaks."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import chart_access, chart_text, charts

TITLE = "Records by self-defined and officer-defined group"  # 49 characters, set at 17 px


def heatmap():
    crosstab = pd.DataFrame([[5, 0], [1, 7]], index=["Asian", "Black"], columns=["Asian", "Black"])
    return charts.agreement_heatmap(crosstab, TITLE)


def test_a_title_too_long_for_half_the_page_wraps_and_the_top_margin_grows_by_its_line():
    """In 390 px (one of two columns) the title has 370 px: 370 / (17 x 0.6) = 36 characters a line, so textwrap
    breaks it after "Records by self-defined and" (27; adding " officer-defined" would make 43). The top margin
    grows by one 17 px line at 1.3 line height plus 6 px of clear space: 28.1 px."""
    fig = heatmap()
    top = fig.layout.margin.t
    chart_text.fit(fig, 390)
    assert fig.layout.title.text == "<b>Records by self-defined and</b><br><b>officer-defined group</b>"
    assert fig.layout.margin.t == pytest.approx(top + 17 * 1.3 + 6)
    assert chart_access.figure_title(fig) == TITLE  # the table's label reads the whole title


def test_a_title_that_fits_is_left_alone():
    """In 800 px the title has 780 px: 76 characters a line, more than its 49."""
    fig = heatmap()
    before = (fig.layout.title.text, fig.layout.margin.t)
    chart_text.fit(fig, 800)
    assert (fig.layout.title.text, fig.layout.margin.t) == before


def test_the_subtitle_and_a_long_axis_title_wrap_too():
    """The forest plot's subtitle (143 characters at 12 px) in 390 px: 370 / 6.6 = 56 characters a line, three
    lines ("Colour and label: the verdict; bars: intervals adjusted" is 55); its title 'Ratio' fits. The top margin
    grows by two 12 px lines at 1.3 plus 6 px: from 80 to 117.2 px. The y axis title, 48 characters at 13 px
    (7.15 px each), runs along a plot of 480 - 117.2 - 120 = 242.8 px: 33 characters a line, two lines."""
    table = pd.DataFrame({"group": ["Asian", "Black"], "ratio": [0.6, 2.7], "ratio_lower": [0.4, 2.1],
                          "ratio_upper": [0.9, 3.4], "interval_level": [0.98] * 2, "verdict": ["lower", "higher"],
                          "events": [40, 120], "denominator": [1000, 900], "reliability": ["reliable"] * 2})
    fig = charts.forest_plot(table, "Ratio", "White", 0.95)
    assert len(charts.FOREST_SUBTITLE) == 143
    top = fig.layout.margin.t
    fig.update_yaxes(title="% of concluded cases where diversion was an option")
    fig.update_layout(height=480)
    chart_text.fit(fig, 390)
    lines = fig.layout.title.text.split("<br>")
    assert lines[0] == "<b>Ratio</b>" and len(lines) == 4
    assert top == 80 and fig.layout.margin.t == pytest.approx(117.2)
    assert fig.layout.yaxis.title.text == "% of concluded cases where<br>diversion was an option"
