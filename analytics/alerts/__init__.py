"""Early warning (issue 16): statistically gated alerts for what needs attention this month.

* ``config``: ``AlertSettings``, every threshold with its documented default (standard library only, so
  ``analytics.config`` and the command line's parser load nothing heavy).
* ``spc``: u-, p- and XmR chart limits and Making Data Count's four rules.
* ``exceedance``: exact conditional tests of the recent window against the baseline.
* ``grid``: the grid of monthly series (role × area × group × measure), its evaluation and the levels.
* ``table``: findings as the ``alerts`` command's rows, with a plain-English sentence each.
* ``data`` / ``service``: the grid's counts from the store; a month's alerts recorded in the register.

The names below are loaded on first use (PEP 562), so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

from analytics.alerts.config import DEFAULT_ALERT_SETTINGS, AlertSettings, alert_settings

_LAZY = {
    **dict.fromkeys(("COLUMNS", "COUNTY", "LEVELS", "MEASURES", "MEASURE_TEXT", "AlertData", "Finding", "Series",
                     "SeriesResult", "build_series", "evaluate_grid", "evaluate_series", "findings", "level_of",
                     "signal_history"), "analytics.alerts.grid"),
    **dict.fromkeys(("details", "displayed", "message", "rows"), "analytics.alerts.table"),
}

__all__ = ["DEFAULT_ALERT_SETTINGS", "AlertSettings", "alert_settings", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'analytics.alerts' has no attribute {name!r}")
