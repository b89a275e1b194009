"""What the scrutiny audience may see of the alerts (issue 16): alerts only, through disclosure control.

A monthly value of a rate, ratio or share resting on 1-4 events reveals that count (the population is published),
so for scrutiny every month with 1-4 events is withheld from the charts and the value columns, and an ``events``
figure of 1-4 is shown as ``[c]`` (``analytics.suppression``). Watches are not shown to scrutiny: they are the
analysts' and officers' early look, not findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics import suppression
from analytics.alerts.grid import Finding

WITHHELD_TEXT = "withheld (fewer than 5 events)"


def hidden_points(finding: Finding) -> np.ndarray:
    """Months whose value rests on 1-4 events (the numerator; for a ratio also the reference group's events)."""
    result = finding.result
    assert result.months is not None
    s = result.series
    start = int(s.months.searchsorted(result.months[0]))
    end = int(s.months.searchsorted(result.month))
    x = s.numerator[start: end + 1]
    mask = np.asarray(suppression.primary_mask(x), dtype=bool)
    if s.measure == "ratio":
        mask |= np.asarray(suppression.primary_mask(s.denominator[start: end + 1] - x), dtype=bool)
    if s.measure == "outcome22":
        mask |= np.asarray(suppression.primary_mask(s.denominator[start: end + 1] - x), dtype=bool)
    return mask


def scrutiny_table(table: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """The alerts table as scrutiny sees it: alerts only, small counts and the values resting on them withheld."""
    keep = (table["level"] == "alert").to_numpy()
    out = table[keep].copy()
    kept = [f for f, k in zip(findings, keep, strict=True) if k]
    last_hidden = [bool(hidden_points(f)[-1]) for f in kept]
    for column in ("value", "expected", "lower_limit", "upper_limit"):
        out[column] = out[column].astype(object)
    out.loc[last_hidden, "value"] = suppression.SUPPRESSED
    small = np.asarray(suppression.primary_mask(out["events"].to_numpy()), dtype=bool)
    out["events"] = out["events"].astype(object)
    out.loc[small, "events"] = suppression.SUPPRESSED
    return out
