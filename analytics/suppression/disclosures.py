"""An independent checker of a *published* table of counts, for tests of reports and exports.

:func:`find_disclosures` is written without reference to the suppression algorithm: it finds visible
small counts, lines with one ``[c]``, and any ``[c]`` fixed by a combination of published lines (linear
algebra over the published equations).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from analytics.schema import SUPPRESSION_THRESHOLD
from analytics.suppression.audience import SUPPRESSED
from analytics.suppression.cells import Cell, check_threshold


def _parse_published(value: Any) -> int | None:
    """A published entry as an int, or ``None`` if it is ``[c]``; anything else is a ``ValueError``."""
    if isinstance(value, str):
        text = value.strip()
        if text == SUPPRESSED:
            return None
        value = text.replace(",", "")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"cannot read published entry {value!r}") from None
    if np.isnan(number) or number != round(number):
        raise ValueError(f"published entry {value!r} is not a count")
    return int(number)


def find_disclosures(
    table: pd.DataFrame,
    threshold: int = SUPPRESSION_THRESHOLD,
    row_total: Hashable | None = None,
    col_total: Hashable | None = None,
) -> list[str]:
    """Disclosures in a *published* table (numbers or strings, with ``[c]``); an empty list if none.

    Written independently of the suppression algorithm, by brute force:

    * any visible entry from 1 to ``threshold - 1``;
    * any line (a row, if there is a total column ``col_total``; a column, if there is a total row
      ``row_total``) with exactly one ``[c]``, which is then total - sum(visible);
    * any ``[c]`` whose value is fixed by some combination of the published lines, found by linear
      algebra: the entry is determined iff it is zero in every solution of the homogeneous system.
    """
    check_threshold(threshold)
    entries = [[_parse_published(v) for v in row] for row in table.itertuples(index=False)]
    visible = {(i, j): value for i, row in enumerate(entries) for j, value in enumerate(row) if value is not None}
    rows: list[Hashable] = list(table.index)
    cols: list[Hashable] = list(table.columns)
    found = []
    for i, row in enumerate(entries):
        for j, value in enumerate(row):
            if value is not None and 1 <= value < threshold:
                found.append(f"visible small count {value} at ({rows[i]!r}, {cols[j]!r})")

    equations: list[tuple[list[Cell], Cell]] = []  # (members, total position)
    if col_total is not None:
        t = cols.index(col_total)
        equations += [([(i, j) for j in range(len(cols)) if j != t], (i, t)) for i in range(len(rows))]
    if row_total is not None:
        t = rows.index(row_total)
        equations += [([(i, j) for i in range(len(rows)) if i != t], (t, j)) for j in range(len(cols))]

    reported = set()
    for members, total in equations:
        hidden = [c for c in (*members, total) if entries[c[0]][c[1]] is None]
        if len(hidden) == 1:
            (i, j) = hidden[0]
            known = [visible[cell] for cell in members if cell != (i, j)]
            value = sum(known) if (i, j) == total else visible[total] - sum(known)
            reported.add((i, j))
            found.append(f"[c] at ({rows[i]!r}, {cols[j]!r}) is recoverable from its line as {value}")

    unknowns = [(i, j) for i in range(len(rows)) for j in range(len(cols)) if entries[i][j] is None]
    if unknowns and equations:
        index = {cell: k for k, cell in enumerate(unknowns)}
        system = np.zeros((len(equations), len(unknowns)))
        rhs = np.zeros(len(equations))
        for e, (members, total) in enumerate(equations):
            for cell, sign in [*((m, 1.0) for m in members), (total, -1.0)]:
                if cell in index:
                    system[e, index[cell]] = sign
                else:
                    rhs[e] -= sign * visible[cell]
        # x_k is fixed by the system iff every solution of the homogeneous system has x_k = 0,
        # i.e. column k of a null-space basis (from the SVD) is zero.
        _, singular, vt = np.linalg.svd(system)
        rank = int((singular > 1e-9 * max(system.shape)).sum())
        null_space = vt[rank:]
        solution = np.linalg.lstsq(system, rhs, rcond=None)[0]
        for cell, k in index.items():
            if cell not in reported and np.abs(null_space[:, k]).max(initial=0.0) < 1e-9:
                found.append(
                    f"[c] at ({rows[cell[0]]!r}, {cols[cell[1]]!r}) is recoverable by combining rows and "
                    f"columns as {solution[k]:.0f}"
                )
    return found
