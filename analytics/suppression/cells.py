"""Primary and secondary (complementary) suppression of a matrix of counts (GSS/ONS disclosure control guidance).

The algorithm behind :func:`analytics.suppression.secondary_suppression`, on a plain count matrix whose
published totals sit in one row and/or one column: primary suppression of small counts, then the line rule
and the combination (bridge) rule until no suppressed count can be recovered from the published totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.schema import SUPPRESSION_THRESHOLD

#: A position (row, column) in a count matrix.
Cell = tuple[int, int]
#: A matrix of counts, and a matrix of flags of the same shape (True: suppressed, or fixed).
Counts = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
_Frame = TypeVar("_Frame", pd.DataFrame, "pd.Series[Any]")


def check_threshold(threshold: int) -> None:
    """Raise ``ValueError`` unless the suppression threshold is a positive whole number."""
    if int(threshold) != threshold or threshold < 1:
        raise ValueError(f"suppression threshold must be a positive integer, got {threshold!r}")


@overload
def primary_mask(counts: _Frame, threshold: int = ...) -> _Frame: ...
@overload
def primary_mask(counts: npt.NDArray[Any], threshold: int = ...) -> Mask: ...
@overload
def primary_mask(counts: float, threshold: int = ...) -> bool: ...
def primary_mask(counts: Any, threshold: int = SUPPRESSION_THRESHOLD) -> Any:
    """Primary suppression: True where ``1 <= count < threshold`` (a true zero is not suppressed).

    Works element-wise on a scalar, NumPy array, Series or DataFrame and returns the same shape.
    """
    check_threshold(threshold)
    return (counts >= 1) & (counts < threshold)


@dataclass(frozen=True)
class _Line:
    """One published equation: ``sum(cells) == total`` (positions in the count matrix)."""

    cells: tuple[Cell, ...]
    total: Cell


def _lines(shape: tuple[int, int], total_row: int | None, total_col: int | None) -> list[_Line]:
    """Every row (when there is a total column) and every column (when there is a total row), totals included."""
    n_rows, n_cols = shape
    lines = []
    if total_col is not None:
        for i in range(n_rows):
            lines.append(_Line(tuple((i, j) for j in range(n_cols) if j != total_col), (i, total_col)))
    if total_row is not None:
        for j in range(n_cols):
            lines.append(_Line(tuple((i, j) for i in range(n_rows) if i != total_row), (total_row, j)))
    return lines


def _cross_line(cell: Cell, line: _Line, lines_through: dict[Cell, list[_Line]]) -> _Line | None:
    """The other line through ``cell`` (a cell lies on at most one row line and one column line)."""
    others = [other for other in lines_through.get(cell, []) if other is not line]
    return others[0] if others else None


def _choose_complement(
    line: _Line,
    values: Counts,
    mask: Mask,
    fixed: Mask,
    lines_through: dict[Cell, list[_Line]],
) -> Cell | None:
    """The complementary cell for a line with exactly one suppressed member (see ``secondary_suppression``)."""

    def needs_partner(cell: Cell) -> bool:
        cross = _cross_line(cell, line, lines_through)
        return cross is not None and sum(mask[c] for c in (*cross.cells, cross.total)) == 1

    open_cells = [c for c in line.cells if not mask[c] and not fixed[c]]
    non_zero = [c for c in open_cells if values[c] > 0]
    if non_zero:
        return min(non_zero, key=lambda c: (not needs_partner(c), values[c]))
    if not mask[line.total] and not fixed[line.total]:
        return line.total
    return open_cells[0] if open_cells else None


def _apply_line_rule(
    values: Counts,
    mask: Mask,
    fixed: Mask,
    lines: list[_Line],
    lines_through: dict[Cell, list[_Line]],
) -> bool:
    """One pass of the line rule over every line; True if anything was newly suppressed."""
    changed = False
    for line in lines:
        members = (*line.cells, line.total)
        if sum(mask[c] for c in members) == 1:
            chosen = _choose_complement(line, values, mask, fixed, lines_through)
            if chosen is not None:
                mask[chosen] = True
                changed = True
    return changed


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _apply_bridge_rule(values: Counts, mask: Mask, fixed: Mask, total_row: int | None, total_col: int | None) -> bool:
    """Protect a suppressed cell that a combination of lines would reveal; True if a cell was added.

    Rows and columns are the nodes of a bipartite graph and each suppressed cell is an edge. A row
    (column) without a published total puts no constraint on its cells, so all such nodes are merged
    into one unconstrained "ground" node. A suppressed value is determined by the published totals
    exactly when its edge is a bridge of that graph (no cycle of suppressed cells runs through it).
    For the first bridge found, suppress the cell that closes a cycle through it: the smallest
    non-zero interior cell joining the two sides, else the smallest non-zero total, else any.
    """
    n_rows, n_cols = int(values.shape[0]), int(values.shape[1])
    ground = n_rows + n_cols

    def row_node(i: int) -> int:
        return i if total_col is not None else ground

    def col_node(j: int) -> int:
        return n_rows + j if total_row is not None else ground

    edges = [(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True) if row_node(i) != col_node(j)]
    for bridge in edges:
        forest = _UnionFind(ground + 1)
        for i, j in edges:
            if (i, j) != bridge:
                forest.union(row_node(i), col_node(j))
        side_a, side_b = forest.find(row_node(bridge[0])), forest.find(col_node(bridge[1]))
        if side_a == side_b:
            continue
        candidates = [
            (i, j)
            for i in range(n_rows)
            for j in range(n_cols)
            if not mask[i, j]
            and not fixed[i, j]
            and {forest.find(row_node(i)), forest.find(col_node(j))} == {side_a, side_b}
        ]
        if not candidates:
            continue

        def rank(cell: Cell) -> tuple[bool, bool, float]:
            is_total = cell[0] == total_row or cell[1] == total_col
            return (bool(values[cell] == 0), is_total, float(values[cell]))

        mask[min(candidates, key=rank)] = True
        return True
    return False


def secondary_mask(
    values: Counts,
    threshold: int,
    total_row: int | None,
    total_col: int | None,
    fixed: Mask | None = None,
) -> Mask:
    """Primary + secondary suppression on a count matrix whose totals sit at ``total_row``/``total_col``.

    ``fixed`` marks cells that may not be suppressed (placeholders for absent rows); they are never
    chosen as complements.
    """
    check_threshold(threshold)
    fixed = np.zeros(values.shape, dtype=bool) if fixed is None else fixed
    mask = primary_mask(values, threshold) & ~fixed
    lines = _lines((int(values.shape[0]), int(values.shape[1])), total_row, total_col)
    lines_through: dict[Cell, list[_Line]] = {}
    for line in lines:
        for cell in (*line.cells, line.total):
            lines_through.setdefault(cell, []).append(line)
    while True:
        while _apply_line_rule(values, mask, fixed, lines, lines_through):
            pass
        if not _apply_bridge_rule(values, mask, fixed, total_row, total_col):
            return mask
