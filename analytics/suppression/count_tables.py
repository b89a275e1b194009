"""Primary and secondary suppression of labelled tables and breakdowns of counts (GSS/ONS guidance).

:func:`secondary_suppression` gives the mask of a 2-D table with optional total row and column,
:func:`secondary_suppression_series` that of a 1-D breakdown and its total, and :func:`suppress_table`
the table as display strings with ``[c]`` in place of suppressed counts. The algorithm is in
:mod:`analytics.suppression.cells`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.schema import SUPPRESSION_THRESHOLD
from analytics.suppression.audience import SUPPRESSED
from analytics.suppression.cells import Counts, primary_mask, secondary_mask


def _count_matrix(table: pd.DataFrame) -> Counts:
    """The table's values as a non-negative int64 matrix, or a ``ValueError``."""
    try:
        numeric = table.apply(pd.to_numeric, errors="raise")
    except (ValueError, TypeError) as error:
        raise ValueError(f"table must hold counts: {error}") from error
    values: npt.NDArray[np.float64] = numeric.to_numpy(dtype="float64")
    if np.isnan(values).any():
        raise ValueError("table has missing counts")
    if (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("table must hold non-negative integer counts")
    return values.astype(np.int64)


def _position(labels: pd.Index, label: Hashable | None, what: str) -> int | None:
    if label is None:
        return None
    positions = np.flatnonzero(labels == label)
    if len(positions) != 1:
        raise ValueError(f"total {what} {label!r} must appear exactly once in the table")
    return int(positions[0])


def secondary_suppression(
    table: pd.DataFrame,
    threshold: int = SUPPRESSION_THRESHOLD,
    row_total: Hashable | None = None,
    col_total: Hashable | None = None,
) -> pd.DataFrame:
    """The mask of cells to suppress in a 2-D table of counts: primary plus secondary suppression.

    ``row_total`` is the index label of the **total row** (it holds the column totals) and
    ``col_total`` the column label of the **total column** (it holds the row totals); either may be
    absent. A row is a published equation ``sum(cells) = total`` only if there is a total column, and a
    column only if there is a total row; the total row and total column are lines too (their total is
    the grand total, at their intersection). Totals are treated as if they were the sum of their cells
    even when they are not (distinct children), which is the conservative reading.

    The rule (GSS/ONS disclosure control guidance, primary then complementary suppression):

    1. **Primary**: suppress every entry, totals included, with ``1 <= count < threshold``. Zeros are
       true zeros and are not suppressed.
    2. **Line rule**: take the lines in order (each row top to bottom, then each column left to right).
       A line whose members (its cells and its total) include exactly one suppressed entry would reveal
       it by subtraction, so suppress one more member of that line, chosen as:

       a. the non-zero unsuppressed cell whose *other* line also has exactly one suppressed entry (it
          needs a partner anyway, so one suppression protects both lines); among those, and otherwise
          among all non-zero unsuppressed cells, the smallest value (first in table order on ties);
       b. if there is no such cell (the others are zeros or already suppressed, or there are none),
          the line's total;
       c. if the total is already suppressed, an unsuppressed zero cell.

       Repeat passes until a pass suppresses nothing.
    3. **Combination rule**: rows and columns can also be combined (e.g. two rows' totals minus two
       columns' totals). A suppressed entry is recoverable that way exactly when it lies on no cycle of
       suppressed entries (it is a *bridge* of the graph whose nodes are the lines and whose edges are
       suppressed entries). For the first such entry, suppress the cell closing a cycle through it
       (smallest non-zero interior cell, else smallest non-zero total, else any), then go back to 2.

    Stops when neither rule adds a cell; the result has no line with exactly one suppressed entry and
    no suppressed entry recoverable by any combination of published totals.
    """
    values = _count_matrix(table)
    total_row = _position(table.index, row_total, "row")
    total_col = _position(table.columns, col_total, "column")
    mask = secondary_mask(values, threshold, total_row, total_col)
    return pd.DataFrame(mask, index=table.index, columns=table.columns)


def secondary_suppression_series(
    counts: pd.Series, total: int | None = None, threshold: int = SUPPRESSION_THRESHOLD
) -> tuple[pd.Series, bool]:
    """Primary and secondary suppression of a 1-D breakdown and its published total.

    Returns the mask of counts to suppress and whether the total must be suppressed. With no total
    (``None``) nothing can be recovered by subtraction and only primary suppression applies. With a
    total, the rule of :func:`secondary_suppression` applied to the single line: if exactly one count
    is suppressed, also suppress the smallest non-zero other count; if the others are all zeros, or
    there are none, suppress the total instead. A total from 1 to ``threshold - 1`` is suppressed too.
    """
    values = pd.to_numeric(counts, errors="raise").to_numpy(dtype="float64")
    if np.isnan(values).any() or (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("counts must be non-negative integers")
    if total is None:
        return pd.Series(primary_mask(values, threshold), index=counts.index, name=counts.name), False
    if total < 0:
        raise ValueError(f"total must be non-negative, got {total}")
    matrix = np.append(values, total).astype("int64").reshape(1, -1)
    mask = secondary_mask(matrix, threshold, total_row=None, total_col=len(values))
    return pd.Series(mask[0, :-1], index=counts.index, name=counts.name), bool(mask[0, -1])


def _format_count(value: Any) -> str:
    return f"{int(value):,}"


def suppress_table(
    table: pd.DataFrame,
    threshold: int = SUPPRESSION_THRESHOLD,
    row_total: Hashable | None = None,
    col_total: Hashable | None = None,
) -> pd.DataFrame:
    """The table as display strings for publication: counts with thousands separators, suppressed cells ``[c]``.

    Suppression is :func:`secondary_suppression` (primary plus secondary); labels are kept.
    """
    mask = secondary_suppression(table, threshold, row_total, col_total).to_numpy()
    values = _count_matrix(table)
    shown = np.where(mask, SUPPRESSED, np.vectorize(_format_count, otypes=[object])(values))
    return pd.DataFrame(shown, index=table.index, columns=table.columns, dtype=object)
