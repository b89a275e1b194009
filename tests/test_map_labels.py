"""District labels on the maps (analytics.map_labels): inside a district where they fit, else off the land with a
leader line; drawn by Chromium, no two labels overlap and none is cut, on the screen's width and the pack's."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics import charts, geography, map_labels

#: A 4 x 4 degree square on the equator (cos 0 = 1, so a degree is as long across as up) and a 0.2 degree square
#: on its east side: the small one's label cannot fit in it.
BIG = [[0.0, 0.0], [0.0, 4.0], [4.0, 4.0], [4.0, 0.0], [0.0, 0.0]]
SMALL = [[4.0, 1.9], [4.0, 2.1], [4.2, 2.1], [4.2, 1.9], [4.0, 1.9]]
LABEL = (60.0, 30.0)  # pixels


def test_rasterise_fills_a_rectangle_by_its_cell_centres() -> None:
    """A 10 x 5 rectangle from the origin covers exactly the 50 cells whose centres lie in it (rows 0-4,
    columns 0-9); a triangle with corners (0,0), (8,0), (0,8) covers the cells whose centre has x + y < 8:
    7 + 6 + ... + 1 = 28 (a centre on the hypotenuse, x + y = 8, is outside)."""
    square = map_labels.rasterise([np.array([[0, 0], [10, 0], [10, 5], [0, 5]], dtype=float)], (8, 12))
    assert square.sum() == 50 and square[:5, :10].all()
    triangle = map_labels.rasterise([np.array([[0, 0], [8, 0], [0, 8]], dtype=float)], (10, 10))
    expected = sum(1 for row in range(10) for col in range(10) if (row + 0.5) + (col + 0.5) < 8)
    assert expected == 28 and triangle.sum() == 28


def test_a_label_that_fits_sits_at_the_pole_of_its_district_and_one_that_does_not_goes_off_the_land() -> None:
    """The shapes span 4.2 x 4 degrees in a 420 x 400 px plot: 100 px a degree at full size. The small label needs
    60 x 30 px plus 6 px of clear space around it (72 x 42, of which 6 may run past the plot's edge), off the land.
    At 100 % there is no free space; at 90 % (90 px a degree) 21 px beside and 20 px above and below; at 80 %
    (80 px a degree) 42 px beside and 40 above and below, enough above or below: the map is drawn at 80 px a
    degree, centred on the shapes. Longitudes are shrunk by the cosine of the points' mean latitude,
    (0 + 4 + 4 + 0 + 0 + 1.9 + 2.1 + 2.1 + 1.9 + 1.9) / 10 = 1.79 degrees, so a degree across is 1 / cos(1.79)
    times as many pixels."""
    layout = map_labels.place({"big": [BIG], "small": [SMALL]}, {"big": LABEL, "small": LABEL}, (420.0, 400.0))
    big, small = layout.placements
    scale, across = 80.0, math.cos(math.radians(1.79))
    assert layout.x_range == pytest.approx((2.1 - 210 / scale / across, 2.1 + 210 / scale / across), abs=1e-9)
    assert layout.y_range == pytest.approx((2.0 - 200 / scale, 2.0 + 200 / scale), abs=1e-9)
    # The square's most inland point is its centre (2, 2), to within a raster cell (2 px = 0.025 degrees).
    assert big.inside and big.centre == pytest.approx((2.0, 2.0), abs=0.03)
    assert not small.inside
    assert small.anchor == pytest.approx((4.1, 2.0), abs=0.03)  # the leader starts inside the small square
    half_w, half_h = LABEL[0] / scale / across / 2, LABEL[1] / scale / 2
    x0, x1 = small.centre[0] - half_w, small.centre[0] + half_w
    y0, y1 = small.centre[1] - half_h, small.centre[1] + half_h
    for shape in (BIG, SMALL):  # the small label's box covers neither square
        xs, ys = [p[0] for p in shape], [p[1] for p in shape]
        assert x1 <= min(xs) or x0 >= max(xs) or y1 <= min(ys) or y0 >= max(ys)
    assert y0 >= 4.0 or y1 <= 0.0  # above or below the land: there is no room beside it
    assert layout.x_range[0] <= x0 and x1 <= layout.x_range[1] and layout.y_range[0] <= y0 and y1 <= layout.y_range[1]


def test_no_room_anywhere_is_an_error_naming_the_sizes() -> None:
    with pytest.raises(ValueError, match="sizes: no room"):
        map_labels.place({"big": [BIG], "small": [SMALL]}, {"big": LABEL, "small": (2000.0, 2000.0)}, (420.0, 400.0))


def norfolk_map(long_labels: bool) -> go.Figure:
    """The Norfolk ratio map with every district labelled (long labels: 'No clear difference' on every one)."""
    boundaries = geography.load_boundaries()
    codes = [f["properties"]["areacd"] for f in boundaries["features"]]
    values = pd.DataFrame({"area_code": codes, "value": [2.45, 1.38, 2.12, 1.99, 4.67, 2.65, 2.12],
                           "verdict": ["similar" if long_labels else "higher"] * len(codes), "hover": "x",
                           "note": ["†"] * len(codes)})
    return charts.choropleth(boundaries, values, "Black children: ratio to White by district", "Ratio to White",
                             diverging_at=1.0, subtitle="subtitle")


def test_norfolks_small_districts_get_leader_lines() -> None:
    """Norwich (39 km2) cannot hold a three-line label at the pack's size; King's Lynn and West Norfolk (1,439 km2)
    can."""
    fig = norfolk_map(long_labels=False)
    arrows = {a.text.split("<br>")[0]: a.showarrow for a in fig.layout.annotations}
    assert arrows["Norwich"] is True and arrows["King's Lynn and"] is False
    assert len(fig.layout.annotations) == 7


@pytest.mark.browser
@pytest.mark.parametrize("width", [660, 900])
@pytest.mark.parametrize("long_labels", [False, True])
def test_drawn_labels_never_overlap_and_stay_in_the_figure(tmp_path, width: int, long_labels: bool) -> None:
    """Chromium draws the map at the pack's width (660 px) and a screen's (900 px): the bounding boxes of the
    seven label texts, as drawn, are pairwise disjoint and inside the figure."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import launch_chromium, require_chromium

    require_chromium("the map label test")
    fig = norfolk_map(long_labels)
    fig.update_layout(width=width)
    page_file = tmp_path / "map.html"
    fig.write_html(page_file, include_plotlyjs=True, full_html=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": width + 40, "height": 700})
        page.goto(page_file.as_uri())
        page.wait_for_selector(".annotation-text")
        boxes = page.eval_on_selector_all(".annotation .bg", "els => els.map(e => e.getBoundingClientRect())"
                                          ".map(r => [r.left, r.top, r.right, r.bottom])")
        figure = page.eval_on_selector(".main-svg", "e => { const r = e.getBoundingClientRect(); "
                                                    "return [r.left, r.top, r.right, r.bottom]; }")
        browser.close()
    assert len(boxes) == 7
    for i, one in enumerate(boxes):
        assert figure[0] <= one[0] and one[2] <= figure[2] and figure[1] <= one[1] and one[3] <= figure[3], one
        for other in boxes[i + 1:]:
            assert one[2] <= other[0] or other[2] <= one[0] or one[3] <= other[1] or other[3] <= one[1], (one, other)


def stop_search_like_map(notes: list[str]) -> go.Figure:
    """The pack's stop-and-search map as it crashed (issue 15): two districts with a ratio and no clear difference,
    five withheld ('–', note 'not shown')."""
    boundaries = geography.load_boundaries()
    codes = [f["properties"]["areacd"] for f in boundaries["features"]]
    values = pd.DataFrame({"area_code": codes, "value": [np.nan, np.nan, 4.11, np.nan, np.nan, 3.44, np.nan],
                           "verdict": ["similar"] * len(codes), "hover": "x", "note": notes})
    return charts.choropleth(boundaries, values, "Searches", "Ratio to White", diverging_at=1.0, height=480)


def test_a_withheld_district_states_no_verdict() -> None:
    """A district whose ratio is withheld shows '–' and its note, never 'No clear difference' (there is no
    comparison to judge; the pack's stop-and-search map said 'No clear difference not shown' on five districts);
    a district with a ratio keeps its verdict in words. All seven labels are drawn."""
    notes = ["not shown", "not shown", "†", "not shown", "not shown", "", "not shown"]
    texts = [a.text for a in stop_search_like_map(notes).layout.annotations]
    by_name = {t.split("<br>")[0]: t for t in texts}
    assert len(texts) == 7
    assert by_name["Breckland"] == "Breckland<br><b>–</b> not shown"
    assert by_name["Great Yarmouth"] == "Great Yarmouth<br><b>4.11</b><br>No clear difference †"
    assert by_name["Norwich"] == "Norwich<br><b>3.44</b><br>No clear difference"


def squares() -> dict:
    return {"features": [{"properties": {"code": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
                         for name, ring in (("big", BIG), ("small", SMALL))]}


def test_labels_that_find_no_room_give_way_to_the_shorter_set() -> None:
    """Full labels of 150 lines fit no plot; the shorter set (one short line each) does and is drawn."""
    fig = go.Figure()
    full = {"big": ["big"] * 150, "small": ["small"] * 150}
    short = {"big": ["B"], "small": ["S"]}
    map_labels.annotate(fig, squares(), full, "code", 480, shorter=(short,))
    assert sorted(a.text for a in fig.layout.annotations) == ["B", "S"]


def test_labels_that_fit_nowhere_are_left_out_with_a_note_not_an_error() -> None:
    """Labels of 2,000 x 2,000 px fit no plot: the map is drawn without labels and says so."""
    fig = go.Figure()
    huge = {"big": ["x" * 300] * 150, "small": ["y" * 300] * 150}
    map_labels.annotate(fig, squares(), huge, "code", 480, shorter=(huge,))
    assert [a.text for a in fig.layout.annotations] == [
        "District labels left out: no room for them at this size; the table has every figure."]
