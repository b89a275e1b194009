"""Secondary suppression over any set of published sums, audited by linear algebra (GSS/ONS guidance).

A nested table (detailed groups within their 5 groups, the 5 groups within a total) is not a two-way grid, so the
line and bridge rules of ``cells`` do not cover it. Here each published equation says that some cells add up to a
total; the reader knows every cell not suppressed. A suppressed cell ``k`` can be worked out exactly when the unit
vector ``e_k`` lies in the row space of the equations restricted to the suppressed cells (the classic audit of
linear disclosure: Cox 1980, "Suppression methodology and statistical disclosure control", JASA 75; ONS, "Disclosure
control for tables", differencing). Complements are added until no suppressed cell can be worked out: for each
cell that can, the first cell (an inner cell before a total, the smallest non-zero count first) whose suppression
alone stops it, wherever it is in the system, since in a chain of equations the protecting cell may be several
equations away; failing one, the first on an equation through the cell.

Some cells of the system are never published (``unpublished``): a count a reader could only work out by
differencing two published tables, such as the children of a 5-group with an officer-defined code only (the detailed
view counts them as Not stated, the self-then-officer 5-group table in their group). They are unknowns from the start,
and only one of 1 to ``threshold - 1`` must not be worked out: a count of 0 or of ``threshold`` and over may be.

Why the detailed view is audited this way (issue 15 point 8) rather than shown to scrutiny under the self-defined
source only: its rows do not depend on the ethnicity source, so a reader who sees it under one source can read the
5-group table under another; each 5-group table is one more set of published sums over the detailed rows and the
officer-only counts. Self-defined only: a group's total is the sum of its detailed rows and Not stated is the
detailed Not-stated row (no new count). Self-defined, else officer-defined: a group's total is its detailed rows plus
its officer-only children, Not stated the children with neither code, so total minus rows and detailed Not stated
minus Not stated are officer-only counts. Concordance (the default): a group's figure is an expected count (its
detailed rows plus the officer-only children reallocated by the published concordance shares, a weighted sum that is
no count of children), but its Not stated is the children with neither code, so the Not-stated difference is the
number of officer-only children; perturbation does not hide it, as both Not-stated cells are the same children and
take the same noise. Officer-defined only: both tables are the two margins of the self-by-officer cross-table, which
determine no cell of it; their differences are differences of two counts. The view has no split; the sidebar's
filters (districts and the rest) apply to both tables alike, so the equations are those of one selection.
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
    found = np.zeros(mask.shape, dtype=bool)
    if not mask.any() or not equations:
        return found
    matrix = equation_matrix(equations, len(mask))
    for cell in np.flatnonzero(mask):
        found[cell] = _determined(int(cell), mask, matrix)
    return found


def _determined(cell: int, mask: Mask, matrix: np.ndarray) -> bool:
    """Whether the unit vector of ``cell`` lies in the row space of ``matrix`` restricted to the ``mask`` cells."""
    restricted = matrix[:, mask]
    unit = np.zeros((1, restricted.shape[1]))
    unit[0, int(np.flatnonzero(np.flatnonzero(mask) == cell)[0])] = 1.0
    return bool(np.linalg.matrix_rank(np.vstack([restricted, unit])) == np.linalg.matrix_rank(restricted))


def suppress_with_equations(values: Counts, equations: Sequence[Equation], threshold: int = SUPPRESSION_THRESHOLD,
                            already: Mask | None = None, fixed: Mask | None = None,
                            unpublished: Mask | None = None) -> Mask:
    """Primary suppression of ``values`` (1 to threshold - 1), with ``already`` (cells hidden elsewhere, e.g. in
    another table of the page), then complements until :func:`recoverable` finds nothing to protect. ``fixed`` cells
    are published elsewhere and never chosen as complements (a hidden cell only they could protect is left to the
    table that publishes them). ``unpublished`` cells are hidden from the start and protected only when they hold 1
    to threshold - 1 (the module docstring)."""
    check_threshold(threshold)
    small = primary_mask(np.asarray(values), threshold)
    unknown = np.zeros(small.shape, dtype=bool) if unpublished is None else unpublished
    mask = small | (already if already is not None else False) | unknown
    harmless = unknown & ~small  # never published, and 0 or at least the threshold: may be worked out
    fixed = np.zeros(mask.shape, dtype=bool) if fixed is None else fixed & ~mask
    while True:
        found = np.flatnonzero(recoverable(mask, equations) & ~harmless)
        complement = next((c for c in (_complement(int(cell), values, mask, mask | fixed, equations) for cell in found)
                           if c is not None), None)
        if complement is None:
            return mask
        mask[complement] = True


def _complement(cell: int, values: Counts, mask: Mask, closed: Mask, equations: Sequence[Equation]) -> int | None:
    """The cell to suppress next for ``cell``, never one ``closed`` (suppressed or fixed): the first, in order of
    preference, that alone stops ``cell`` being worked out, anywhere in the system (in a chain of equations the
    cell that protects may be several equations away); else the first on an equation through ``cell``. Preference:
    an inner cell before a total, the smallest non-zero count first."""
    totals = {total for _, total in equations}
    in_equations = sorted({c for cells, total in equations for c in (*cells, total) if not closed[c]},
                          key=lambda c: (values[c] == 0, c in totals, values[c], c))
    matrix = equation_matrix(equations, len(mask))
    for candidate in in_equations:
        trial = mask.copy()
        trial[candidate] = True
        if not _determined(cell, trial, matrix):
            return candidate
    through = {c for cells, total in equations if cell in cells or cell == total for c in (*cells, total)}
    return next((c for c in in_equations if c in through), None)
