"""One verdict per comparison, decided once for a whole table (issue 13, DESIGN.md section 6).

A comparison (a group's ratio to the reference group, or a district's value against the force average) is
*higher*, *similar* (no clear difference), *lower* or *not estimable*. The rule:

1. **The family is fixed before looking.** Every comparison computed for a table or view (every group in every
   split) enters one family, whatever is later withheld for display: withholding a small ratio never changes
   the family or anyone's verdict.
2. **Multiplicity.** The p-values of the family are adjusted together: Benjamini & Hochberg (1995) by default
   (false discovery rate at q = 1 − confidence), or Holm (1979) / Bonferroni (family-wise error rate). A
   comparison is *higher* or *lower* when it is rejected (adjusted p ≤ q), in the direction of its estimate.
3. **Intervals that agree with the verdict.** The interval shown is computed by inverting the same test that
   gave the p-value, at the level :func:`shown_level`: for BH the false-coverage-rate adjusted level of
   Benjamini & Yekutieli (2005), 1 − max(R, 1)·q/m (R rejections in a family of m), so that the shown interval
   excludes 1 exactly when the verdict is higher or lower; for Bonferroni 1 − q/m (simultaneous); for Holm
   1 − q/max(m − R, 1), the level at which Holm's step-down stopped (every Holm rejection has p ≤ q/(m − R),
   every other p > q/(m − R)). The unadjusted interval at the chosen confidence is kept beside it, labelled.

Pure numpy; no I/O. ``analytics.tables.finish_table`` applies it to every ratio table; every chart, table,
sentence, map and export reads the ``verdict`` column and decides nothing again.

References: Benjamini Y, Hochberg Y (1995) JRSS B 57:289–300; Benjamini Y, Yekutieli D (2005) "False discovery
rate-adjusted multiple confidence intervals for selected parameters", JASA 100:71–81; Holm S (1979) Scand J
Statist 6:65–70.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from analytics import stats

__all__ = [
    "DEFAULT_FAMILY_METHOD", "FAMILY_METHODS", "Family", "Verdict", "adjust_family", "decide", "excludes_one",
    "format_level", "interval_heading", "is_difference", "label_of", "parse", "shown_level", "verdict_of",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Verdict(StrEnum):
    """How a comparison came out, in the words every view uses (``label``)."""

    HIGHER = "higher"
    SIMILAR = "similar"
    LOWER = "lower"
    NOT_ESTIMABLE = "not_estimable"

    @property
    def label(self) -> str:
        """Plain English for tables and charts."""
        return _LABELS[self]

    @property
    def is_difference(self) -> bool:
        """Higher or lower: the difference is larger than chance alone would explain after adjustment."""
        return self in (Verdict.HIGHER, Verdict.LOWER)


_LABELS = {
    Verdict.HIGHER: "Higher",
    Verdict.SIMILAR: "No clear difference",
    Verdict.LOWER: "Lower",
    Verdict.NOT_ESTIMABLE: "Not estimable",
}

#: Family adjustments: key -> name as printed in metadata and method notes.
FAMILY_METHODS = {"bh": "Benjamini–Hochberg", "holm": "Holm", "bonferroni": "Bonferroni"}
DEFAULT_FAMILY_METHOD = "bh"


def _check_method(method: str) -> str:
    if method not in FAMILY_METHODS:
        raise ValueError(f"unknown family adjustment {method!r} (expected one of {', '.join(FAMILY_METHODS)})")
    return method


def _check_q(q: float) -> float:
    if not (isinstance(q, (int, float)) and 0.0 < float(q) < 1.0):
        raise ValueError(f"q (1 - confidence) must lie in (0, 1), got {q!r}")
    return float(q)


def shown_level(rejections: int, family_size: int, q: float, method: str = DEFAULT_FAMILY_METHOD) -> float:
    """The confidence level of the intervals shown beside the verdicts of a family of ``family_size``
    comparisons with ``rejections`` rejections at level ``q`` (see the module docstring). A family with no
    comparison has level 1 − q (nothing is adjusted)."""
    q, method = _check_q(q), _check_method(method)
    m, r = int(family_size), int(rejections)
    if m < 0 or not 0 <= r <= max(m, 0):
        raise ValueError(f"need 0 <= rejections <= family size, got {r} of {m}")
    if m == 0:
        return 1.0 - q
    if method == "bh":
        return 1.0 - max(r, 1) * q / m
    if method == "bonferroni":
        return 1.0 - q / m
    return 1.0 - q / max(m - r, 1)  # holm


@dataclass(frozen=True)
class Family:
    """A family's adjustment: adjusted p-values and rejections (input order; ``nan``/False where the p-value
    was missing), the family size m (finite p-values), the rejections R, the shown intervals' level."""

    p_adjusted: FloatArray
    rejected: BoolArray
    family_size: int
    rejections: int
    interval_level: float
    method: str
    q: float

    @property
    def description(self) -> str:
        """E.g. 'Benjamini–Hochberg across the 28 comparisons of this table (q = 0.05); intervals at 99.6 %
        (Benjamini–Yekutieli false-coverage-rate adjusted)'."""
        kind = {"bh": "Benjamini–Yekutieli false-coverage-rate adjusted", "bonferroni": "Bonferroni simultaneous",
                "holm": "Holm step-down level"}[self.method]
        return (f"{FAMILY_METHODS[self.method]} across the {self.family_size} comparisons of this table "
                f"(q = {self.q:.3g}); intervals shown at {format_level(self.interval_level)} ({kind})")


def format_level(level: float) -> str:
    """A confidence level as a percentage with three significant digits of its complement: '95 %', '99.821 %'."""
    alpha = 100.0 * (1.0 - float(level))
    decimals = max(0, 2 - math.floor(math.log10(alpha))) if alpha > 0 else 0
    text = f"{100.0 * float(level):.{decimals}f}"
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text} %"


def adjust_family(p_values: npt.ArrayLike, q: float, method: str = DEFAULT_FAMILY_METHOD) -> Family:
    """Adjust every finite p-value of a family together (``nan`` entries are not comparisons: they stay
    ``nan`` and are not counted in m)."""
    q, method = _check_q(q), _check_method(method)
    p = np.asarray(p_values, dtype=float).ravel()
    adjusted = stats.adjust_pvalues(p, method) if p.size else np.array([], dtype=float)
    finite = np.isfinite(adjusted)
    rejected = finite & (np.where(finite, adjusted, 1.0) <= q)
    m, r = int(np.isfinite(p).sum()), int(rejected.sum())
    return Family(adjusted, rejected, m, r, shown_level(r, m, q, method), method, q)


def verdict_of(estimate: float, p_value: float, rejected: bool) -> Verdict:
    """The verdict of one comparison: not estimable without an estimate or p-value; otherwise higher or lower
    (the side of 1 the estimate is on) when rejected, else similar."""
    if estimate is None or p_value is None or math.isnan(estimate) or math.isnan(p_value):
        return Verdict.NOT_ESTIMABLE
    if not rejected:
        return Verdict.SIMILAR
    return Verdict.HIGHER if estimate > 1 else Verdict.LOWER


def decide(estimates: Sequence[float] | npt.NDArray[Any], p_values: Sequence[float] | npt.NDArray[Any],
           q: float, method: str = DEFAULT_FAMILY_METHOD) -> tuple[Family, list[Verdict]]:
    """The family's adjustment and every comparison's verdict (input order)."""
    est = np.asarray(estimates, dtype=float).ravel()
    p = np.asarray(p_values, dtype=float).ravel()
    if est.shape != p.shape:
        raise ValueError("estimates and p_values must have the same length")
    family = adjust_family(p, q, method)
    verdicts = [verdict_of(float(e), float(pv), bool(rej)) for e, pv, rej in zip(est, p, family.rejected, strict=True)]
    return family, verdicts


def excludes_one(lower: float, upper: float) -> bool:
    """Whether an interval lies wholly on one side of 1 (the duality every shown interval keeps with its
    verdict; used by the tests and the views' own checks, never to decide)."""
    return bool((lower > 1.0) or (upper < 1.0))


def parse(value: object) -> Verdict | None:
    """A ``verdict`` column's value as a :class:`Verdict` (``None`` where the row is not a comparison or its
    verdict is hidden by disclosure control)."""
    if isinstance(value, Verdict):
        return value
    if isinstance(value, str) and value in Verdict._value2member_map_:
        return Verdict(value)
    return None


def label_of(value: object) -> str:
    """The plain-English label of a ``verdict`` column's value ('' where there is none)."""
    verdict = parse(value)
    return verdict.label if verdict is not None else ""


def is_difference(value: object) -> bool:
    """Whether a ``verdict`` column's value says higher or lower."""
    verdict = parse(value)
    return verdict is not None and verdict.is_difference


def interval_heading(levels: Sequence[float] | npt.NDArray[Any] | Any) -> str:
    """The heading of a shown-interval column: 'Interval (99.821 %, adjusted)' from the table's
    ``interval_level`` values (one level per table; 'Interval (adjusted)' when no row has one)."""
    finite = [float(v) for v in np.asarray(levels, dtype=float).ravel() if np.isfinite(v)]
    if not finite:
        return "Interval (adjusted)"
    return f"Interval ({format_level(max(finite))}, adjusted)"
