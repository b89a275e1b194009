"""A chart's template named on the figure, against the template taken as plotly's default (chart_template).

Side by side in one process, interleaved: the monitor's rate-bar chart (``charts.rate_bars`` on a four-group table)
built and serialised (``plotly.io.to_json``, as ``st.plotly_chart`` and the pack do) in two ways:

* **named**: the figure, then ``update_layout(template="simple_white")``, the way every chart was drawn before
  (plotly validates and deep-copies the whole template once more);
* **default**: the figure as ``charts.rate_bars`` builds it now (``chart_template.figure``: the template comes from
  plotly's default as the figure is built, copied without validation).

Both must give the same JSON (the same objects; plotly writes the template's key in another place); the
benchmark checks that before it times anything.

    python -m benchmarks chart_template [--figures 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import pandas as pd
import plotly.io as pio

from analytics import chart_template, charts

TABLE = pd.DataFrame({
    "group": ["Asian", "Black", "Mixed", "White"], "rate": [4.0, 13.3, 3.8, 2.7], "rate_lower": [2.9, 11.0, 2.6, 1.2],
    "rate_upper": [5.4, 15.9, 5.4, 5.3], "events": [40, 120, 30, 300], "denominator": [10000, 9000, 8000, 110000],
    "reliability": ["reliable"] * 4, "interval_level": [0.95] * 4, "verdict": ["similar"] * 4,
})


def named() -> str:
    fig = charts.rate_bars(TABLE, "Rates", "per 1,000", 0.95)
    fig.update_layout(template=chart_template.TEMPLATE)  # as _layout did: validated and deep-copied again
    return pio.to_json(fig, validate=False, remove_uids=True)


def default() -> str:
    return pio.to_json(charts.rate_bars(TABLE, "Rates", "per 1,000", 0.95), validate=False, remove_uids=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks chart_template", description=__doc__.split("\n")[0])
    parser.add_argument("--figures", type=int, default=200, help="figures built each way (default 200)")
    args = parser.parse_args(argv)
    if json.loads(named()) != json.loads(default()):
        print("the two ways give different JSON: the comparison is void")
        return 1
    timings: dict[str, list[float]] = {"named": [], "default": []}
    for _ in range(args.figures):
        for name, build in (("named", named), ("default", default)):
            started = time.perf_counter()
            build()
            timings[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(t) * 1000 for name, t in timings.items()}
    print(f"{'way':<10}{'median ms a figure':>20}")
    for name, median in medians.items():
        print(f"{name:<10}{median:>20.1f}")
    print(f"named / default: {medians['named'] / medians['default']:.1f}x, same JSON; {args.figures} figures each")
    return 0
