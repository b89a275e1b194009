"""The monitor's figures, all drawn on plotly's ``simple_white`` template: :func:`figure` and :func:`subplots`.

Naming the template on a figure (``update_layout(template="simple_white")``) makes plotly validate and deep-copy
the whole template each time: about 25 ms more a figure (the rate bars built and serialised in 55 ms against 30 ms,
measured side by side in ``benchmarks/chart_template.py``; 3 to 4 % of the test suite's CPU in a py-spy profile).
A figure built while the template is plotly's default takes a copy without validation (plotly 7.1,
``BaseFigure._initialize_layout_template``). The serialised figure is the same either way. The default is set just
before each figure is built, not once at import, because other code changes it: importing Streamlit sets it to
``"streamlit"``.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

TEMPLATE = "simple_white"


def figure(*args: Any, **kwargs: Any) -> go.Figure:
    """``go.Figure(*args, **kwargs)`` on :data:`TEMPLATE`."""
    _make_default()
    return go.Figure(*args, **kwargs)


def subplots(**kwargs: Any) -> go.Figure:
    """``plotly.subplots.make_subplots(**kwargs)`` on :data:`TEMPLATE`."""
    _make_default()
    return make_subplots(**kwargs)


def _make_default() -> None:
    if pio.templates.default != TEMPLATE:  # setting it validates the whole template again (about 50 ms)
        pio.templates.default = TEMPLATE
