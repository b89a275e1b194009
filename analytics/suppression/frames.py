"""Disclosure control of the long count frames a dashboard page shows beside its ratio tables (issue 15, part 4):
monthly counts by group, outcome mixes, completeness by role, crosstabs of searches.

:func:`suppress_counts` suppresses the count columns of a long frame line by line: the rows sharing the values of
``lines`` form one published equation when their total is shown too (``totals_published``), so the rule of
:func:`analytics.suppression.secondary_suppression_series` applies to each line; otherwise primary suppression alone.
:func:`suppress_crosstab` does a 2-D table whose row and column totals are taken as published (the conservative
reading when other parts of the page show the margins). Suppressed counts become ``[c]``; derived values (shares,
rates, ratios) of a suppressed row are blanked with :func:`blank`, since a share with a known total reveals its count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.schema import SUPPRESSION_THRESHOLD
from analytics.suppression.audience import SUPPRESSED
from analytics.suppression.cells import primary_mask, secondary_mask
from analytics.suppression.count_tables import secondary_suppression_series

#: The column :func:`suppress_counts` adds: True where any count of the row is suppressed.
SUPPRESSED_COLUMN = "suppressed"
TOTAL = "__total__"


def _line_mask(values: pd.Series, totals_published: bool, threshold: int) -> tuple[pd.Series, bool]:
    """One line's mask and whether its total must be hidden (primary suppression alone when no total is shown)."""
    if not totals_published:
        return primary_mask(values, threshold).astype(bool), False
    return secondary_suppression_series(values, int(values.sum()), threshold)


def suppress_counts(frame: pd.DataFrame, columns: Sequence[str], lines: Sequence[str] = (), *,
                    totals_published: bool = False, threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """``frame`` with each count column in ``columns`` suppressed (``[c]``) and a ``suppressed`` flag per row.

    ``lines``: the columns whose values pick out one line (e.g. ``("month",)``: each month's groups; none: the whole
    frame is one line); with ``totals_published`` each line's total counts as shown (a chart's total line, a table's
    total column), so a line with one suppressed count has a second one suppressed (or, if the others are zeros,
    its total). ``frame.attrs["suppressed_totals"]`` lists, per column, the lines whose total must be hidden too.
    """
    out = frame.copy()
    flagged = np.zeros(len(out), dtype=bool)
    hidden_totals: dict[str, list[object]] = {}
    groups = out.groupby(list(lines), sort=False, dropna=False).groups if lines else {None: out.index}
    for column in columns:
        values = pd.to_numeric(out[column], errors="raise").fillna(0)
        mask = pd.Series(False, index=out.index)
        hidden_totals[column] = []
        for key, index in groups.items():
            line_mask, total_hidden = _line_mask(values.loc[index], totals_published, threshold)
            mask.loc[index] = line_mask.to_numpy()
            if total_hidden:
                hidden_totals[column].append(key)
        out[column] = out[column].astype(object).mask(mask, SUPPRESSED)
        flagged |= mask.to_numpy()
    out[SUPPRESSED_COLUMN] = flagged
    out.attrs["suppressed_totals"] = hidden_totals
    return out


def blank(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` set to missing in the rows flagged ``suppressed`` (shares, rates, intervals of a hidden count)."""
    out = frame.copy()
    rows = out[SUPPRESSED_COLUMN].to_numpy(dtype=bool)
    for column in columns:
        if column in out.columns:
            out[column] = out[column].astype(float if pd.api.types.is_numeric_dtype(out[column]) else object)
            out.loc[rows, column] = np.nan
    return out


def numeric(column: pd.Series) -> pd.Series:
    """A count column that may hold ``[c]`` as numbers, suppressed counts missing (for charts)."""
    return pd.to_numeric(column.where(column != SUPPRESSED), errors="coerce")


def known_totals_mask(table: pd.DataFrame, row_total: str | None = None, col_total: str | None = None, *,
                      total_row_shown: bool = False, total_column_shown: bool = False,
                      threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """``secondary_suppression``'s mask where a total that the page does not show is still taken as known (it can be
    worked out elsewhere): such a total is never chosen to protect a cell, so a cell of its line is hidden instead.
    A total that is shown (``total_row_shown``, ``total_column_shown``) may be hidden like any count."""
    values = table.apply(pd.to_numeric, errors="raise").to_numpy(dtype="int64")
    fixed = np.zeros(values.shape, dtype=bool)
    rows = int(np.flatnonzero(table.index == row_total)[0]) if row_total is not None else None
    cols = int(np.flatnonzero(table.columns == col_total)[0]) if col_total is not None else None
    if rows is not None and not total_row_shown:
        fixed[rows, :] = True
    if cols is not None and not total_column_shown:
        fixed[:, cols] = True
    mask = secondary_mask(values, threshold, rows, cols, fixed)
    return pd.DataFrame(mask, index=table.index, columns=table.columns)


def suppress_crosstab(table: pd.DataFrame, threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """A 2-D table of counts with ``[c]`` where suppression (primary and secondary) hides a cell, its row and column
    totals taken as known though not shown (:func:`known_totals_mask`)."""
    full = table.copy()
    full[TOTAL] = full.sum(axis=1)
    full.loc[TOTAL] = full.sum(axis=0)
    mask = known_totals_mask(full, TOTAL, TOTAL, threshold=threshold)
    return full.astype(object).mask(mask, SUPPRESSED).drop(index=TOTAL, columns=TOTAL)
