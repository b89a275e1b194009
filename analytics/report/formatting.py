"""How the pack writes numbers: counts as published, ratios and intervals, reliability marks, months."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
from markupsafe import escape

from analytics import verdicts

DAGGER = "†"
DASH = "–"
#: Reliability labels, least to most severe (the stricter of two labels wins).
SEVERITY = {"reliable": 0, "unreliable": 1, "withheld": 2, "suppressed": 3}
RELIABILITY_NOTES = {"reliable": "", "unreliable": f"{DAGGER} fewer than 10 events", "withheld": "fewer than 5 events",
                     "suppressed": "suppressed"}


def esc(text: object) -> str:
    """``text`` escaped exactly as the pack's templates escape it (Jinja2 autoescape, MarkupSafe)."""
    return str(escape(str(text)))


def count_text(value: Any) -> str:
    """A count as published: ``[c]`` stays, numbers get thousands separators."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{int(value):,}"


def num(value: Any, digits: int = 2) -> str:
    """A rate, share or ratio to ``digits`` decimals; a dash when missing, ∞ when infinite."""
    if value is None or pd.isna(value):
        return DASH
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}"


def interval(low: Any, high: Any, digits: int = 2) -> str:
    """``low to high``, or a dash when there is no interval."""
    if low is None or pd.isna(low):
        return DASH
    return f"{num(low, digits)} to {num(high, digits)}"


def estimate(value: Any, low: Any, high: Any, reliability: str, digits: int = 2) -> str:
    """``1.23 † (0.98 to 1.55)``: a number, its reliability mark and its interval; a dash when missing."""
    if value is None or pd.isna(value):
        return DASH
    return f"{num(value, digits)}{mark(reliability)} ({interval(low, high, digits)})"


def worst(*labels: Any) -> str:
    """The most severe reliability label of those given (non-strings ignored)."""
    return max((label for label in labels if isinstance(label, str)), key=lambda x: SEVERITY.get(x, 0),
               default="reliable")


def mark(reliability: str) -> str:
    """The dagger that follows a number from fewer than 10 events."""
    return f" {DAGGER}" if reliability == "unreliable" else ""


def reliability_note(reliability: str) -> str:
    """The table's Note column for a reliability label."""
    return RELIABILITY_NOTES.get(reliability, reliability)


def verdict_text(value: Any) -> str:
    """A ``verdict`` column's value in words (a dash where there is none: no comparison, or hidden)."""
    return verdicts.label_of(value) or DASH


def p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def month_label(month: date) -> str:
    """``October 2026``."""
    return f"{month:%B %Y}"


def percent(share: float) -> str:
    """A share as a whole percentage with the house's space before the sign: ``80 %``."""
    return f"{share:.0%}".replace("%", " %")
