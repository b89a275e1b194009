"""Disclosure control: applied before anything reaches a screen, a file or a report (DESIGN.md section 8).

The rules follow the GSS/ONS statistical disclosure control guidance for tables of counts:

* **Primary suppression.** A count from 1 to ``threshold - 1`` (1 to 4 by default) is shown as ``[c]``
  in anything for scrutiny or publication. A zero is a true zero and is shown. Totals are counts too
  and are suppressed by the same rule.
* **Secondary (complementary) suppression.** Where a published total would let a reader recover a
  suppressed count by subtraction, further cells are suppressed (see :func:`secondary_suppression`).
* **Reliability.** Rates and ratios from fewer than 10 events are marked unreliable; ratios from fewer
  than 5 events are not shown ("withheld"), following the PHE/OHID practice of flagging small numbers.

Analysts and officers see exact counts; the scrutiny audience (a PCC's public panel) sees
disclosure-controlled counts. Reliability marks apply to every audience, and every export prints
:func:`rules_text`.

:func:`find_disclosures` is an independent checker of a *published* table, written without reference
to the suppression algorithm, for tests of reports.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.schema import SUPPRESSION_THRESHOLD, UNRELIABLE_BELOW, WITHHOLD_RATIO_BELOW

SUPPRESSED = "[c]"

AUDIENCES: tuple[str, ...] = ("analyst", "officer", "scrutiny")
#: Audiences that see disclosure-controlled counts (anything public or for publication).
SUPPRESSING_AUDIENCES: frozenset[str] = frozenset({"scrutiny"})

RELIABLE = "reliable"
UNRELIABLE = "unreliable"
WITHHELD = "withheld"
#: Reliability label of a row whose count is suppressed for the scrutiny audience: saying "reliable"
#: or "unreliable" of a secondary-suppressed count would tell the reader which band it lies in.
SUPPRESSED_RELIABILITY = "suppressed"

RATE_COLUMNS: tuple[str, ...] = ("rate", "rate_lower", "rate_upper")
RATIO_COLUMNS: tuple[str, ...] = ("ratio", "ratio_lower", "ratio_upper", "p_value", "p_adjusted", "significant")
RATIO_TABLE_COLUMNS: tuple[str, ...] = ("group", "events", "denominator", *RATE_COLUMNS, *RATIO_COLUMNS)


# --------------------------------------------------------------------------------------------
# Audiences and reliability
# --------------------------------------------------------------------------------------------
def _check_audience(audience: str) -> None:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; expected one of {AUDIENCES}")


def audience_applies_suppression(audience: str) -> bool:
    """True if ``audience`` sees disclosure-controlled counts (``"scrutiny"``); analysts and officers do not."""
    _check_audience(audience)
    return audience in SUPPRESSING_AUDIENCES


def _check_reliability_thresholds(unreliable_below: int, withhold_below: int) -> None:
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
    _check_reliability_thresholds(unreliable_below, withhold_below)
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
    _check_reliability_thresholds(unreliable_below, withhold_below)
    values = pd.to_numeric(events, errors="raise").astype("float64").to_numpy()
    if (values < 0).any():
        raise ValueError("events must be non-negative")
    labels = np.select(
        [np.isnan(values) | (values < withhold_below), values < unreliable_below],
        [WITHHELD, UNRELIABLE],
        default=RELIABLE,
    )
    return pd.Series(labels, index=events.index, name="reliability", dtype=object)


# --------------------------------------------------------------------------------------------
# Primary and secondary suppression
# --------------------------------------------------------------------------------------------
def _check_threshold(threshold: int) -> None:
    if int(threshold) != threshold or threshold < 1:
        raise ValueError(f"suppression threshold must be a positive integer, got {threshold!r}")


def primary_mask(counts, threshold: int = SUPPRESSION_THRESHOLD):
    """Primary suppression: True where ``1 <= count < threshold`` (a true zero is not suppressed).

    Works element-wise on a scalar, NumPy array, Series or DataFrame and returns the same shape.
    """
    _check_threshold(threshold)
    return (counts >= 1) & (counts < threshold)


@dataclass(frozen=True)
class _Line:
    """One published equation: ``sum(cells) == total`` (positions in the count matrix)."""

    cells: tuple[tuple[int, int], ...]
    total: tuple[int, int]


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


def _cross_line(
    cell: tuple[int, int], line: _Line, lines_through: dict[tuple[int, int], list[_Line]]
) -> _Line | None:
    """The other line through ``cell`` (a cell lies on at most one row line and one column line)."""
    others = [other for other in lines_through.get(cell, []) if other is not line]
    return others[0] if others else None


def _choose_complement(
    line: _Line,
    values: np.ndarray,
    mask: np.ndarray,
    fixed: np.ndarray,
    lines_through: dict[tuple[int, int], list[_Line]],
) -> tuple[int, int] | None:
    """The complementary cell for a line with exactly one suppressed member (see :func:`secondary_suppression`)."""

    def needs_partner(cell: tuple[int, int]) -> bool:
        cross = _cross_line(cell, line, lines_through)
        return cross is not None and sum(mask[c] for c in (*cross.cells, cross.total)) == 1

    open_cells = [c for c in line.cells if not mask[c] and not fixed[c]]
    non_zero = [c for c in open_cells if values[c] > 0]
    if non_zero:
        return min(non_zero, key=lambda c: (not needs_partner(c), values[c]))
    if not mask[line.total] and not fixed[line.total]:
        return line.total
    return open_cells[0] if open_cells else None


def _apply_line_rule(values, mask, fixed, lines, lines_through) -> bool:
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


def _apply_bridge_rule(values, mask, fixed, total_row, total_col) -> bool:
    """Protect a suppressed cell that a combination of lines would reveal; True if a cell was added.

    Rows and columns are the nodes of a bipartite graph and each suppressed cell is an edge. A row
    (column) without a published total puts no constraint on its cells, so all such nodes are merged
    into one unconstrained "ground" node. A suppressed value is determined by the published totals
    exactly when its edge is a bridge of that graph (no cycle of suppressed cells runs through it).
    For the first bridge found, suppress the cell that closes a cycle through it: the smallest
    non-zero interior cell joining the two sides, else the smallest non-zero total, else any.
    """
    n_rows, n_cols = values.shape
    ground = n_rows + n_cols

    def row_node(i: int) -> int:
        return i if total_col is not None else ground

    def col_node(j: int) -> int:
        return n_rows + j if total_row is not None else ground

    edges = [(i, j) for i, j in zip(*np.nonzero(mask)) if row_node(i) != col_node(j)]
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

        def rank(cell: tuple[int, int]) -> tuple[bool, bool, float]:
            is_total = cell[0] == total_row or cell[1] == total_col
            return (values[cell] == 0, is_total, values[cell])

        mask[min(candidates, key=rank)] = True
        return True
    return False


def _secondary_mask(
    values: np.ndarray,
    threshold: int,
    total_row: int | None,
    total_col: int | None,
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """Primary + secondary suppression on a count matrix whose totals sit at ``total_row``/``total_col``.

    ``fixed`` marks cells that may not be suppressed (placeholders for absent rows); they are never
    chosen as complements.
    """
    _check_threshold(threshold)
    fixed = np.zeros(values.shape, dtype=bool) if fixed is None else fixed
    mask = primary_mask(values, threshold) & ~fixed
    lines = _lines(values.shape, total_row, total_col)
    lines_through: dict[tuple[int, int], list[_Line]] = {}
    for line in lines:
        for cell in (*line.cells, line.total):
            lines_through.setdefault(cell, []).append(line)
    while True:
        while _apply_line_rule(values, mask, fixed, lines, lines_through):
            pass
        if not _apply_bridge_rule(values, mask, fixed, total_row, total_col):
            return mask


def _count_matrix(table: pd.DataFrame) -> np.ndarray:
    """The table's values as a non-negative int64 matrix, or a ``ValueError``."""
    try:
        numeric = table.apply(pd.to_numeric, errors="raise")
    except (ValueError, TypeError) as error:
        raise ValueError(f"table must hold counts: {error}") from error
    values = numeric.to_numpy(dtype="float64")
    if np.isnan(values).any():
        raise ValueError("table has missing counts")
    if (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("table must hold non-negative integer counts")
    return values.astype("int64")


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
    mask = _secondary_mask(values, threshold, total_row, total_col)
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
    mask = _secondary_mask(matrix, threshold, total_row=None, total_col=len(values))
    return pd.Series(mask[0, :-1], index=counts.index, name=counts.name), bool(mask[0, -1])


def _format_count(value) -> str:
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


# --------------------------------------------------------------------------------------------
# Ratio tables
# --------------------------------------------------------------------------------------------
def _blank(frame: pd.DataFrame, columns: Sequence[str], rows: np.ndarray) -> None:
    """Set ``columns`` to missing in ``rows`` (in place): NaN for numbers, ``pd.NA`` for flags."""
    if not rows.any():
        return
    for column in columns:
        if column not in frame.columns:
            continue
        series = frame[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.astype("boolean")
        elif pd.api.types.is_integer_dtype(series.dtype):
            series = series.astype("float64")
        frame[column] = series.mask(pd.Series(rows, index=frame.index))


def _grid(df: pd.DataFrame, column: str, split: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """``column`` of a ratio table as a split x group matrix, plus row positions and split values."""
    split_codes, split_values = (
        pd.factorize(df[split], use_na_sentinel=False) if split else (np.zeros(len(df), dtype=int), [None])
    )
    group_codes, _ = pd.factorize(df["group"], use_na_sentinel=False)
    if pd.Series(list(zip(split_codes, group_codes))).duplicated().any():
        raise ValueError("ratio table has more than one row for a group" + (f" within a {split}" if split else ""))
    values = np.zeros((len(split_values), group_codes.max() + 1 if len(df) else 0), dtype="int64")
    present = np.zeros(values.shape, dtype=bool)
    counts = pd.to_numeric(df[column], errors="raise").to_numpy(dtype="float64")
    if np.isnan(counts).any() or (counts < 0).any() or (counts != np.round(counts)).any():
        raise ValueError(f"{column} must hold non-negative integer counts")
    values[split_codes, group_codes] = counts.astype("int64")
    present[split_codes, group_codes] = True
    return values, present, np.column_stack([split_codes, group_codes]), list(split_values)


def _ratio_table_mask(
    df: pd.DataFrame, column: str, threshold: int, split: str | None, across_splits: bool
) -> tuple[np.ndarray, dict]:
    """Per-row suppression of a count column of a ratio table, and the margins that must be suppressed elsewhere.

    Each split's total is the sum of its rows (the 'Not stated' group included) and is taken as
    published. With ``across_splits`` and two or more split values, each group's total across the
    splits (and the grand total) is taken as published too, so the grid is suppressed as a 2-D table.
    """
    values, present, positions, split_values = _grid(df, column, split)
    n_splits, n_groups = values.shape
    two_way = across_splits and split is not None and n_splits > 1
    full = np.zeros((n_splits + (1 if two_way else 0), n_groups + 1), dtype="int64")
    full[:n_splits, :n_groups] = values
    full[:n_splits, n_groups] = values.sum(axis=1)
    fixed = np.zeros(full.shape, dtype=bool)
    fixed[:n_splits, :n_groups] = ~present
    if two_way:
        full[n_splits, :n_groups] = values.sum(axis=0)
        full[n_splits, n_groups] = values.sum()
    mask = _secondary_mask(full, threshold, n_splits if two_way else None, n_groups, fixed)
    groups = pd.unique(df["group"])
    margins = {
        "splits": [split_values[i] for i in range(n_splits) if mask[i, n_groups]] if split else [],
        "groups": [groups[j] for j in range(n_groups) if two_way and mask[n_splits, j]],
        "overall": bool(mask[n_splits, n_groups]) if two_way else (not split and bool(mask[0, n_groups])),
    }
    return mask[positions[:, 0], positions[:, 1]], margins


def apply_to_ratio_table(
    df: pd.DataFrame,
    audience: str,
    threshold: int = SUPPRESSION_THRESHOLD,
    *,
    split: str | None = "split",
    reference_group: str | None = None,
    across_splits: bool = True,
    denominator_is_count: bool = False,
    unreliable_below: int = UNRELIABLE_BELOW,
    withhold_below: int = WITHHOLD_RATIO_BELOW,
) -> pd.DataFrame:
    """Apply reliability marks and, for the scrutiny audience, disclosure control to a rate/ratio table.

    Every audience: a ``reliability`` column is set from ``events`` (see :func:`reliability`) and the
    ratio columns (ratio, its interval, p-values, ``significant``) are blanked where it is
    ``"withheld"`` (fewer than 5 events).

    Scrutiny only: ``events`` is suppressed group by group within each value of the ``split`` column
    (if present; a split's total is the sum of its rows, 'Not stated' included, and is taken as
    published), and with ``across_splits`` (default) also across splits, taking each group's total
    over the splits as published. Suppressed events become ``"[c]"`` and the row's rate, ratio,
    intervals and p-values are blanked too: a rate with a known population denominator reveals the
    count. The row's reliability becomes ``"suppressed"`` (a band would narrow the count down). If
    ``reference_group`` is given and its count is suppressed, every ratio in that split is blanked,
    as ratio x reference rate would reveal it. With ``denominator_is_count`` (decision-point tables,
    where the denominator is itself a count of children) ``denominator`` is suppressed the same way.

    Column order is kept; ``reliability`` (if new) and ``suppressed`` are added at the end. The
    result's ``attrs`` hold ``suppression_rules`` (:func:`rules_text`) and ``suppressed_totals``: the
    split/group/overall totals that must also be shown as ``[c]`` wherever they are published, because
    the only other entries of their line are zeros.
    """
    _check_audience(audience)
    _check_threshold(threshold)
    missing = [c for c in RATIO_TABLE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"ratio table is missing columns {missing}")
    split = split if split is not None and split in df.columns else None
    out = df.copy()
    rel = reliability_series(out["events"], unreliable_below=unreliable_below, withhold_below=withhold_below)
    _blank(out, RATIO_COLUMNS, (rel == WITHHELD).to_numpy())
    suppressed = np.zeros(len(out), dtype=bool)
    margins: dict = {"splits": [], "groups": [], "overall": False}
    if audience_applies_suppression(audience):
        count_columns = ["events", "denominator"] if denominator_is_count else ["events"]
        for column in count_columns:
            column_mask, column_margins = _ratio_table_mask(out, column, threshold, split, across_splits)
            suppressed |= column_mask
            for key in ("splits", "groups"):
                margins[key] += [v for v in column_margins[key] if v not in margins[key]]
            margins["overall"] |= column_margins["overall"]
            out[column] = out[column].astype(object).mask(pd.Series(column_mask, index=out.index), SUPPRESSED)
        _blank(out, RATE_COLUMNS + RATIO_COLUMNS, suppressed)
        if reference_group is not None:
            keys = out[split] if split else pd.Series(0, index=out.index)
            hidden = keys[(out["group"] == reference_group).to_numpy() & suppressed]
            _blank(out, RATIO_COLUMNS, keys.isin(hidden).to_numpy())
        rel = rel.mask(pd.Series(suppressed, index=out.index), SUPPRESSED_RELIABILITY)
    out["reliability"] = rel.to_numpy()
    out["suppressed"] = suppressed
    out.attrs["suppression_rules"] = rules_text(audience, threshold, unreliable_below, withhold_below)
    out.attrs["suppressed_totals"] = margins
    return out


# --------------------------------------------------------------------------------------------
# Rules statement
# --------------------------------------------------------------------------------------------
def rules_text(
    audience: str,
    threshold: int = SUPPRESSION_THRESHOLD,
    unreliable_below: int = UNRELIABLE_BELOW,
    withhold_below: int = WITHHOLD_RATIO_BELOW,
) -> list[str]:
    """Plain-English sentences stating the disclosure and reliability rules applied, for every export."""
    _check_audience(audience)
    _check_threshold(threshold)
    small = f"Counts from 1 to {threshold - 1}" if threshold > 2 else "Counts of 1"
    sentences = []
    if audience_applies_suppression(audience):
        if threshold > 1:
            sentences += [
                f"{small} are shown as {SUPPRESSED} to protect the children concerned (primary suppression); "
                "a zero is a true zero and is shown.",
                "Where a total would reveal a suppressed count, a further cell is suppressed "
                "(secondary suppression).",
                "Rates and ratios are not shown for a suppressed count, because with the population "
                "figure they would reveal it.",
            ]
        else:
            sentences.append("No counts are suppressed.")
    else:
        sentences.append(
            f"Exact counts are shown for the {audience} audience; this output is not for publication. "
            f"Before publication, {small.lower()} are shown as {SUPPRESSED}, with secondary suppression "
            "where a total would reveal them."
        )
    sentences += [
        f"Rates and ratios based on fewer than {unreliable_below} events are marked as unreliable.",
        f"Ratios based on fewer than {withhold_below} events are not shown.",
    ]
    return sentences


# --------------------------------------------------------------------------------------------
# Independent checker of published tables
# --------------------------------------------------------------------------------------------
def _parse_published(value) -> int | None:
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
    _check_threshold(threshold)
    entries = [[_parse_published(v) for v in row] for row in table.itertuples(index=False)]
    rows, cols = list(table.index), list(table.columns)
    found = []
    for i, row in enumerate(entries):
        for j, value in enumerate(row):
            if value is not None and 1 <= value < threshold:
                found.append(f"visible small count {value} at ({rows[i]!r}, {cols[j]!r})")

    equations = []  # (members, total position)
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
            known = [entries[a][b] for a, b in members if (a, b) != (i, j)]
            value = sum(known) if (i, j) == total else entries[total[0]][total[1]] - sum(known)
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
                    rhs[e] -= sign * entries[cell[0]][cell[1]]
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
