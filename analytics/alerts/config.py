"""Alert thresholds (issue 16): every number the early-warning rules use, with its documented default.

The defaults can be changed in ``monitor.toml`` under ``[alerts]`` (names as the fields below), e.g.::

    [alerts]
    baseline_months = 24
    shift_run = 8
    fdr = 0.05

``analytics.config.load_settings`` reads that table and refuses unknown names or impossible values in one line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlertSettings:
    """The thresholds of the SPC rules, the exceedance test and the two levels.

    * ``baseline_months`` (24): the baseline window, the months before the months under test; the centre line
      and the limits come from it alone.
    * ``test_months`` (6): the months under test, ending at the month evaluated; excluded from the baseline, so a
      change that began up to six months ago does not pull the centre line towards itself.
    * ``min_baseline_points`` (12) and ``min_baseline_events`` (20): a series with fewer baseline months (with a
      denominator) or fewer events in its baseline is not charted (it is counted as "too few events", never
      silently dropped): control charts on a handful of events signal on noise.
    * ``sigma`` (3): control limits at centre ± 3 standard errors (Making Data Count).
    * ``near_fraction`` (2/3): "close to a limit" is beyond two-thirds of the way from the centre to a limit.
    * ``shift_run`` (7) and ``trend_run`` (7): run lengths of the shift and trend rules.
    * ``recent_months`` (4): the recent window the exceedance test compares with the baseline, and the window of
      ``min_recent_events``.
    * ``fdr`` (0.05): Benjamini-Hochberg false discovery rate across the whole grid of a month.
    * ``min_recent_events`` (5): an alert needs at least this many events in the recent window.
    * ``follow_up_days`` (90): offender counts and outcome-22 shares count outcomes reached within this many days
      of recording, and only months whose follow-up has fully elapsed are charted (mature months).
    * ``history_months`` (12): months evaluated backwards to find when an active signal was first seen.
    """

    baseline_months: int = 24
    test_months: int = 6
    min_baseline_points: int = 12
    min_baseline_events: int = 20
    sigma: float = 3.0
    near_fraction: float = 2 / 3
    shift_run: int = 7
    trend_run: int = 7
    recent_months: int = 4
    fdr: float = 0.05
    min_recent_events: int = 5
    follow_up_days: int = 90
    history_months: int = 12

    def __post_init__(self) -> None:
        for name in ("baseline_months", "test_months", "min_baseline_points", "shift_run", "trend_run",
                     "recent_months", "history_months"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"alerts setting {name} must be at least 1")
        for name in ("min_baseline_events", "min_recent_events", "follow_up_days"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"alerts setting {name} must not be negative")
        if self.min_baseline_points > self.baseline_months:
            raise ValueError("alerts setting min_baseline_points cannot exceed baseline_months")
        if self.recent_months > self.test_months:
            raise ValueError("alerts setting recent_months cannot exceed test_months (the recent window must be "
                             "outside the baseline)")
        if not 0 < self.fdr < 1:
            raise ValueError("alerts setting fdr must be between 0 and 1")
        if not self.sigma > 0 or not 0 < self.near_fraction < 1:
            raise ValueError("alerts settings sigma must be positive and near_fraction between 0 and 1")

    def replace(self, **changes: Any) -> AlertSettings:
        return dataclasses.replace(self, **changes)


DEFAULT_ALERT_SETTINGS = AlertSettings()


def alert_settings(values: dict[str, Any] | None) -> AlertSettings:
    """``AlertSettings`` from a TOML table; an unknown name or a wrong type raises ``ValueError`` (one line)."""
    values = dict(values or {})
    fields = {f.name: f.type for f in dataclasses.fields(AlertSettings)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown alerts setting {unknown[0]!r} (expected one of {', '.join(fields)})")
    converted: dict[str, Any] = {}
    for name, value in values.items():
        default = getattr(DEFAULT_ALERT_SETTINGS, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"alerts setting {name} must be a number")
        if isinstance(default, int) and not float(value).is_integer():
            raise ValueError(f"alerts setting {name} must be a whole number")
        converted[name] = type(default)(value)
    return AlertSettings(**converted)
