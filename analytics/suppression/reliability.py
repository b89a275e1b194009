"""Reliability marks of rates and ratios from small numbers (PHE/OHID practice of flagging small counts).

Rates and ratios from fewer than 10 events are ``"unreliable"``; ratios from fewer than 5 events are
``"withheld"`` (not shown). The marks apply to every audience.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.schema import UNRELIABLE_BELOW, WITHHOLD_RATIO_BELOW

RELIABLE = "reliable"
UNRELIABLE = "unreliable"
WITHHELD = "withheld"
#: Reliability label of a row whose count is suppressed for the scrutiny audience: saying "reliable"
#: or "unreliable" of a secondary-suppressed count would tell the reader which band it lies in.
SUPPRESSED_RELIABILITY = "suppressed"


def check_reliability_thresholds(unreliable_below: int, withhold_below: int) -> None:
    """Raise ``ValueError`` if the withholding threshold exceeds the unreliability threshold."""
    if withhold_below > unreliable_below:
        raise ValueError(f"withhold_below ({withhold_below}) must not exceed unreliable_below ({unreliable_below})")


def reliability(
    events: int, *, unreliable_below: int = UNRELIABLE_BELOW, withhold_below: int = WITHHOLD_RATIO_BELOW
) -> str:
    """The reliability mark of a rate or ratio based on ``events`` events.

    ``"withheld"`` below ``withhold_below`` (5: the ratio is not shown, the rate is shown but unreliable),
    ``"unreliable"`` below ``unreliable_below`` (10), otherwise ``"reliable"``. Zero events are
    ``"withheld"``. A negative count is a ``ValueError``.
    """
    check_reliability_thresholds(unreliable_below, withhold_below)
    if events < 0:
        raise ValueError(f"events must be non-negative, got {events}")
    if events < withhold_below:
        return WITHHELD
    if events < unreliable_below:
        return UNRELIABLE
    return RELIABLE


def reliability_series(
    events: pd.Series, *, unreliable_below: int = UNRELIABLE_BELOW, withhold_below: int = WITHHOLD_RATIO_BELOW
) -> pd.Series:
    """Vectorised :func:`reliability` for a Series of event counts (missing counts are ``"withheld"``)."""
    check_reliability_thresholds(unreliable_below, withhold_below)
    values = pd.to_numeric(events, errors="raise").astype("float64").to_numpy()
    if (values < 0).any():
        raise ValueError("events must be non-negative")
    labels = np.select(
        [np.isnan(values) | (values < withhold_below), values < unreliable_below],
        [WITHHELD, UNRELIABLE],
        default=RELIABLE,
    )
    return pd.Series(labels, index=events.index, name="reliability", dtype=object)
