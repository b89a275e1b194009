"""Early warning (issue 16): statistically gated alerts for what needs attention this month.

* ``config``: ``AlertSettings``, every threshold with its documented default.
* ``spc``: u-, p- and XmR chart limits and Making Data Count's four rules.
* ``exceedance``: exact conditional tests of the recent window against the baseline.
* ``grid``: the grid of monthly series (role × area × group × measure), its evaluation and the levels.
* ``table``: findings as the ``alerts`` command's rows, with a plain-English sentence each.
"""

from analytics.alerts.config import DEFAULT_ALERT_SETTINGS, AlertSettings, alert_settings
from analytics.alerts.grid import (
    COLUMNS,
    COUNTY,
    LEVELS,
    MEASURE_TEXT,
    MEASURES,
    AlertData,
    Finding,
    Series,
    SeriesResult,
    build_series,
    evaluate_grid,
    evaluate_series,
    findings,
    level_of,
    signal_history,
)
from analytics.alerts.table import details, displayed, message, rows

__all__ = [
    "COLUMNS", "COUNTY", "DEFAULT_ALERT_SETTINGS", "LEVELS", "MEASURES", "MEASURE_TEXT", "AlertData", "AlertSettings",
    "Finding", "Series", "SeriesResult", "alert_settings", "build_series", "details", "displayed", "evaluate_grid",
    "evaluate_series", "findings", "level_of", "message", "rows", "signal_history",
]
