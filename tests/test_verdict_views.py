"""The verdict on the map (issue 15, part 1): a log colour axis with ticks at 0.5, 1, 2, 4, and only districts whose
verdict is higher or lower coloured; the others grey and hatched, and every label saying the verdict in words."""

from __future__ import annotations

import math

import pandas as pd

from analytics import charts, geography


def test_ratio_map_colour_axis_is_logarithmic_with_plain_ticks():
    boundaries = geography.load_boundaries()
    codes = [f["properties"]["areacd"] for f in boundaries["features"]]
    values = pd.DataFrame({"area_code": codes, "value": [4.1, 1.59, 0.5, 2.6, 1.0, 1.2, 3.0][: len(codes)],
                           "verdict": ["higher", "similar", "lower", "higher", "similar", "not_estimable",
                                       "higher"][: len(codes)],
                           "hover": ["x"] * len(codes)})
    fig = charts.choropleth(boundaries, values, "t", "Ratio", diverging_at=1.0)
    bar = next(t for t in fig.data if getattr(t.marker, "showscale", False))
    ticks = dict(zip(bar.marker.colorbar.ticktext, bar.marker.colorbar.tickvals, strict=True))
    for label in ("0.5", "1.0", "2.0", "4.0"):
        assert math.isclose(ticks[label], math.log10(float(label)))
    # white (the middle of the diverging scale) sits at a ratio of 1: cmin and cmax symmetric about log10(1) = 0
    assert math.isclose(bar.marker.cmin, -bar.marker.cmax)
    fills = {t.name: t for t in fig.data if t.fill == "toself"}
    names = {f["properties"]["areacd"]: f["properties"]["areanm"] for f in boundaries["features"]}
    similar = fills[names[codes[1]]]  # 1.59, not significant: grey and hatched, not coloured as a high ratio
    assert similar.fillcolor == charts.NO_CLEAR_DIFFERENCE and similar.fillpattern.shape == "/"
    assert fills[names[codes[0]]].fillcolor != charts.NO_CLEAR_DIFFERENCE
    labels = " ".join(a.text for a in fig.layout.annotations)
    assert "Higher" in labels and "No clear difference" in labels and "Lower" in labels
