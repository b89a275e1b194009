"""Secondary suppression over any set of published sums, audited by linear algebra (GSS/ONS guidance).

A nested table (detailed groups within their 5 groups, the 5 groups within a total) is not a two-way grid, so the
line and bridge rules of ``cells`` do not cover it. Here each published equation says that some cells add up to a
total; the reader knows every cell not suppressed. A suppressed cell ``k`` can be worked out exactly when the unit
vector ``e_k`` lies in the row space of the equations restricted to the suppressed cells (the classic audit of
linear disclosure: Cox 1980, "Suppression methodology and statistical disclosure control", JASA 75; ONS, "Disclosure
control for tables", differencing). Complements are added, smallest non-zero count first, until no suppressed cell
can be worked out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analytics.schema import SUPPRESSION_THRESHOLD
from analytics.suppression.cells import Counts, Mask, check_threshold, primary_mask

#: One published equation: the cells (positions) that add up to the total (a position).
Equation = tuple[tuple[int, ...], int]


def equation_matrix(equations: Sequence[Equation], size: int) -> np.ndarray:
    """One row per equation: +1 on its cells, -1 on its total (each row times the values is 0)."""
    matrix = np.zeros((len(equations), size))
    for row, (cells, total) in enumerate(equations):
        matrix[row, list(cells)] = 1.0
        matrix[row, total] = -1.0
    return matrix


def recoverable(mask: Mask, equations: Sequence[Equation]) -> Mask:
    """The suppressed cells (``mask``) that the published equations and the cells shown determine exactly."""
    unknown = np.flatnonzero(mask)
    found = np.zeros(mask.shape, dtype=bool)
    if not len(unknown) or not equations:
        return found
    restricted = equation_matrix(equations, len(mask))[:, unknown]
    rank = np.linalg.matrix_rank(restricted)
    for position, cell in enumerate(unknown):
        unit = np.zeros((1, len(unknown)))
        unit[0, position] = 1.0
        found[cell] = np.linalg.matrix_rank(np.vstack([restricted, unit])) == rank
    return found


def suppress_with_equations(values: Counts, equations: Sequence[Equation], threshold: int = SUPPRESSION_THRESHOLD,
                            already: Mask | None = None, fixed: Mask | None = None) -> Mask:
    """Primary suppression of ``values`` (1 to threshold - 1), with ``already`` (cells hidden elsewhere, e.g. in
    another table of the page), then complements until :func:`recoverable` finds nothing. ``fixed`` cells are
    published elsewhere and never chosen as complements (a hidden cell only they could protect is left to the table
    that publishes them)."""
    check_threshold(threshold)
    mask = primary_mask(np.asarray(values), threshold) | (already if already is not None else False)
    fixed = np.zeros(mask.shape, dtype=bool) if fixed is None else fixed & ~mask
    while True:
        found = np.flatnonzero(recoverable(mask, equations))
        complement = next((c for c in (_complement(int(cell), values, mask | fixed, equations) for cell in found)
                           if c is not None), None)
        if complement is None:
            return mask
        mask[complement] = True


def _complement(cell: int, values: Counts, closed: Mask, equations: Sequence[Equation]) -> int | None:
    """The cell to suppress next, on an equation through ``cell`` and not ``closed`` (suppressed or fixed): an inner
    cell before a total, the smallest non-zero count first."""
    totals = {total for _, total in equations}
    candidates = {c for cells, total in equations if cell in cells or cell == total
                  for c in (*cells, total) if not closed[c]}
    return min(candidates, key=lambda c: (values[c] == 0, c in totals, values[c], c)) if candidates else None
