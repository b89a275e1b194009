"""Reliability marks and disclosure control of rate and ratio tables (GSS/ONS guidance, PHE/OHID practice).

:func:`apply_to_ratio_table` marks every row's reliability for every audience and, for the scrutiny
audience, suppresses small event counts within and across splits, blanking the rates and ratios that
would reveal them.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.schema import (
    NOT_STATED,
    SUPPRESSION_THRESHOLD,
    UNRELIABLE_BELOW,
    WITHHOLD_RATIO_BELOW,
)
from analytics.suppression.audience import SUPPRESSED, audience_applies_suppression, check_audience
from analytics.suppression.cells import Counts, Mask, check_threshold, secondary_mask
from analytics.suppression.equations import Equation, suppress_with_equations
from analytics.suppression.reliability import SUPPRESSED_RELIABILITY, WITHHELD, reliability_series
from analytics.suppression.rules import rules_text

RATE_COLUMNS: tuple[str, ...] = ("rate", "rate_lower", "rate_upper")
#: Blanked where a ratio is withheld for display (fewer than 5 events): the ratio and its intervals. The
#: verdict and p-values stay: withholding is a display decision and changes no verdict (issue 13).
WITHHELD_RATIO_COLUMNS: tuple[str, ...] = ("ratio", "ratio_lower", "ratio_upper", "ratio_lower_unadjusted",
                                           "ratio_upper_unadjusted")
#: Blanked where disclosure control hides a count: everything about the comparison, its verdict included.
RATIO_COLUMNS: tuple[str, ...] = (*WITHHELD_RATIO_COLUMNS, "interval_level", "p_value", "p_adjusted", "verdict")
#: The columns a ratio table must have (the optional ones of ``RATIO_COLUMNS`` are blanked when present).
RATIO_TABLE_COLUMNS: tuple[str, ...] = ("group", "events", "denominator", *RATE_COLUMNS, "ratio", "ratio_lower",
                                        "ratio_upper", "p_value", "p_adjusted", "verdict")
#: The one ``method`` text of every suppressed row for the scrutiny audience (issue 14): the method of an
#: interval (exact below 10 events, Byar's from 10) or "ratio withheld (fewer than 5 events)" would tell the
#: reader how big the hidden count is.
SHARES_WITHHELD = ("shares withheld for scrutiny: with the expected counts they would give back the children "
                   "reallocated")
SUPPRESSED_METHOD = "not shown: the count is suppressed (disclosure control)"
#: The counts the inference used (``analytics.tables``): blanked with the count they come from.
EFFECTIVE_COLUMNS: tuple[str, ...] = ("events_effective", "denominator_effective")
REFERENCE_EFFECTIVE_COLUMNS: tuple[str, ...] = ("reference_events_effective", "reference_denominator_effective")


def _blank(frame: pd.DataFrame, columns: Sequence[str], rows: Mask) -> None:
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


def _grid(
    df: pd.DataFrame, column: str, split: str | None
) -> tuple[Counts, Mask, npt.NDArray[np.intp], list[Hashable]]:
    """``column`` of a ratio table as a split x group matrix, plus row positions and split values."""
    split_codes, split_values = (
        pd.factorize(df[split], use_na_sentinel=False) if split else (np.zeros(len(df), dtype=int), [None])
    )
    group_codes, _ = pd.factorize(df["group"], use_na_sentinel=False)
    if pd.Series(list(zip(split_codes, group_codes, strict=True))).duplicated().any():
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
) -> tuple[Mask, dict[str, Any]]:
    """Per-row suppression of a count column of a ratio table, and the margins that must be suppressed elsewhere.

    Each split's total is the sum of its rows (the 'Not stated' group included) and is taken as
    published. With ``across_splits`` and one or more split values, each group's total across the
    splits (and the grand total) is taken as published too, so the grid is suppressed as a 2-D table
    (with one split value the total row repeats that split's row, so it is suppressed where the row is:
    issue 14, the single-district pack's "All districts" row).
    """
    values, present, positions, split_values = _grid(df, column, split)
    n_splits, n_groups = values.shape
    two_way = across_splits and split is not None and n_splits >= 1
    full = np.zeros((n_splits + (1 if two_way else 0), n_groups + 1), dtype="int64")
    full[:n_splits, :n_groups] = values
    full[:n_splits, n_groups] = values.sum(axis=1)
    fixed = np.zeros(full.shape, dtype=bool)
    fixed[:n_splits, :n_groups] = ~present
    if two_way:
        full[n_splits, :n_groups] = values.sum(axis=0)
        full[n_splits, n_groups] = values.sum()
    mask = secondary_mask(full, threshold, n_splits if two_way else None, n_groups, fixed)
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
    ratio and its intervals are blanked where it is ``"withheld"`` (fewer than 5 events); the ``verdict``
    and p-values stay (withholding is for display only, the verdict was decided over the whole family).

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
    check_audience(audience)
    check_threshold(threshold)
    missing = [c for c in RATIO_TABLE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"ratio table is missing columns {missing}")
    split = split if split is not None and split in df.columns else None
    out = df.copy()
    rel = reliability_series(out["events"], unreliable_below=unreliable_below, withhold_below=withhold_below)
    _blank(out, WITHHELD_RATIO_COLUMNS, (rel == WITHHELD).to_numpy())
    suppressed = np.zeros(len(out), dtype=bool)
    margins: dict[str, Any] = {"splits": [], "groups": [], "overall": False}
    if audience_applies_suppression(audience):
        count_columns = ["events", "denominator"] if denominator_is_count else ["events"]
        for column in count_columns:
            column_mask, column_margins = _ratio_table_mask(out, column, threshold, split, across_splits)
            suppressed |= column_mask
            for key in ("splits", "groups"):
                margins[key] += [v for v in column_margins[key] if v not in margins[key]]
            margins["overall"] |= column_margins["overall"]
            out[column] = out[column].astype(object).mask(pd.Series(column_mask, index=out.index), SUPPRESSED)
        _blank(out, RATE_COLUMNS + RATIO_COLUMNS + EFFECTIVE_COLUMNS + REFERENCE_EFFECTIVE_COLUMNS, suppressed)
        if reference_group is not None:
            keys = out[split] if split else pd.Series(0, index=out.index)
            hidden = keys[(out["group"] == reference_group).to_numpy() & suppressed]
            _blank(out, RATIO_COLUMNS + REFERENCE_EFFECTIVE_COLUMNS, keys.isin(hidden).to_numpy())
        if "method" in out.columns and suppressed.any():
            out["method"] = out["method"].astype(object).mask(pd.Series(suppressed, index=out.index),
                                                              SUPPRESSED_METHOD)
        rel = rel.mask(pd.Series(suppressed, index=out.index), SUPPRESSED_RELIABILITY)
    out["reliability"] = rel.to_numpy()
    out["suppressed"] = suppressed
    out.attrs["suppression_rules"] = rules_text(audience, threshold, unreliable_below, withhold_below)
    out.attrs["suppressed_totals"] = margins
    return out


def controlled_concordance(records: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    """The concordance the ethnicity estimate used (``Concordance.records``) as the scrutiny audience may see it:
    each stratum and officer-defined group with its children with both codes (1-4 as ``[c]``), never its shares.
    A group's expected count is its self-defined children plus, for each officer-defined group, the children with
    only that code times the group's share, so exact shares and the expected counts (rate x population x years)
    give the officer-only children back from the fractional parts (issue 14); shares times children would also
    give the concordant counts back. The method is stated beside every table; analysts see the shares."""
    return tuple({**record, "children": SUPPRESSED if 1 <= int(record["children"]) < SUPPRESSION_THRESHOLD
                  else int(record["children"]), "shares": dict.fromkeys(record["shares"]), "note": SHARES_WITHHELD}
                 for record in records)


def apply_to_detailed_table(
    df: pd.DataFrame,
    audience: str,
    group_of: Mapping[str, str],
    reference_group: str,
    threshold: int = SUPPRESSION_THRESHOLD,
    *,
    hidden_groups: Collection[str] = (),
    hidden_total: bool = False,
    officer_only: Mapping[str, int] | None = None,
    neither: int = 0,
    hidden_fallback: Collection[str] = (),
    full: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`apply_to_ratio_table` for a table of detailed groups (``group_of``: each detailed row's 5-group; rows
    not in it, the Not-stated row, belong to none), with secondary suppression against the 5-group tables too.

    For scrutiny, each 5-group's self-defined total (the sum of its detailed rows) and the grand total are taken as
    published: the 5-group table beside it, or a reader's own addition, gives them. A detailed count must not be
    recoverable as its 5-group's total minus the other detailed counts, nor a 5-group count hidden in the 5-group table
    (``hidden_groups``; ``hidden_total``: its total) from the detailed counts, so the equations are audited together
    (:func:`analytics.suppression.equations.suppress_with_equations`); the totals are never complements here (what
    only they could protect, such as a small Not-stated count, the 5-group table protects).

    ``officer_only``: the children (records) with no self-defined code, by their officer-defined 5-group, and
    ``neither``: those with neither code. Where a child with no self-defined code takes its officer-defined group
    (the ``self_then_officer`` source), a 5-group's total is its detailed rows plus its officer-only count, and Not
    stated (``neither``, the default concordance table's Not stated too) is the detailed Not-stated row less all
    the officer-only counts: a reader of the detailed table and either 5-group table would get those officer-only
    counts by subtraction. They are unpublished cells of a second system of equations (``hidden_fallback``: the
    totals the self-then-officer table hides, Not stated among them), audited in turn with the first until neither
    suppresses more, so that no officer-only count of 1 to threshold - 1 can be worked out against either table.
    The Not-stated row's denominator is the grand total and is shown as ``[c]`` where that total is hidden or
    small.

    ``full``: every detailed group's rows where ``df`` shows only some (the 'rows shown' filter). The equations are
    then audited on ``full`` and ``df``'s rows hidden as they are there, so what is hidden never depends on the rows
    shown (two views with different rows shown cannot be played against each other)."""
    if full is not None and audience_applies_suppression(audience):
        audited = apply_to_detailed_table(full, audience, group_of, reference_group, threshold,
                                          hidden_groups=hidden_groups, hidden_total=hidden_total,
                                          officer_only=officer_only, neither=neither, hidden_fallback=hidden_fallback)
        return _as_audited(df, audited, reference_group)
    out = apply_to_ratio_table(df, audience, threshold, split=None, reference_group=reference_group)
    if not audience_applies_suppression(audience) or not len(out):
        return out
    cells = _DetailedCells(list(df["group"]), group_of, pd.to_numeric(df["events"]).to_numpy(dtype=np.int64),
                           officer_only, neither)
    already = cells.hidden(out["suppressed"].to_numpy(dtype=bool), hidden_groups, hidden_total, hidden_fallback)
    mask = already.copy()
    while True:
        before = mask.copy()
        for equations in cells.systems():
            mask = suppress_with_equations(cells.values, equations, threshold, mask, fixed=cells.published,
                                           unpublished=cells.unpublished)
        if (mask == before).all():
            break
    n = len(cells.groups)
    _hide_rows(out, mask[:n] & ~already[:n])
    if (mask[:n] & (df["group"] == reference_group).to_numpy()).any():
        _blank(out, RATIO_COLUMNS + REFERENCE_EFFECTIVE_COLUMNS, np.ones(len(out), dtype=bool))
    if mask[cells.grand_total] or 1 <= cells.values[cells.grand_total] < threshold:
        share_rows = np.isin(np.arange(len(out)), cells.outside)
        out["denominator"] = out["denominator"].astype(object).mask(pd.Series(share_rows, index=out.index), SUPPRESSED)
        _blank(out, RATE_COLUMNS, share_rows)
    return out


class _DetailedCells:
    """The cells of a detailed table's equations, in one vector: the detailed rows; each 5-group's self-defined total
    and the grand total; with ``officer_only``, each 5-group's self-then-officer total, its officer-only children
    (unpublished), the children with neither code, and all officer-only children (unpublished)."""

    def __init__(self, groups: list[str], group_of: Mapping[str, str], events: npt.NDArray[np.int64],
                 officer_only: Mapping[str, int] | None, neither: int):
        self.groups = groups
        self.five = sorted({group_of[g] for g in groups if g in group_of})
        self.members = {f: tuple(i for i, g in enumerate(groups) if group_of.get(g) == f) for f in self.five}
        self.outside = tuple(i for i, g in enumerate(groups) if g not in group_of)
        n, k = len(groups), len(self.five)
        self.grand_total = n + k
        self.with_officer = officer_only is not None
        size = n + k + 1 + (2 * k + 2 if officer_only is not None else 0)
        self.values = np.zeros(size, dtype=np.int64)
        self.values[:n] = events
        for j, f in enumerate(self.five):
            self.values[n + j] = events[list(self.members[f])].sum()
        self.values[self.grand_total] = events.sum()
        self.published = np.zeros(size, dtype=bool)
        self.published[n: n + k + 1] = True  # totals: never complements here
        self.unpublished = np.zeros(size, dtype=bool)
        if officer_only is not None:
            self._officer_cells(officer_only, neither)

    def _officer_cells(self, officer_only: Mapping[str, int], neither: int) -> None:
        """Values of the second system: each self-then-officer total (detailed rows plus officer-only) and Not stated
        as published, the officer-only counts as unpublished. A count of 0 is taken as known: a reader who finds
        all of them 0 (the Not-stated rows agree) knows each is, Mixed has no officer code, and taking it as known
        only makes the audit stricter."""
        n, k = len(self.groups), len(self.five)
        totals, only, self.neither, self.officer_only = n + k + 1, n + 2 * k + 1, n + 3 * k + 1, n + 3 * k + 2
        for j, f in enumerate(self.five):
            self.values[only + j] = officer_only.get(f, 0)
            self.values[totals + j] = self.values[n + j] + self.values[only + j]
        self.values[self.neither] = neither
        self.values[self.officer_only] = sum(officer_only.values())
        officer = np.r_[only: only + k, self.officer_only]
        self.unpublished[officer] = self.values[officer] > 0
        self.published[officer] = self.values[officer] == 0
        self.published[totals: totals + k] = True
        self.published[self.neither] = True

    def hidden(self, rows: Mask, hidden_groups: Collection[str], hidden_total: bool,
               hidden_fallback: Collection[str]) -> Mask:
        """The cells hidden before the audit: suppressed rows, and totals the 5-group tables hide."""
        n, k = len(self.groups), len(self.five)
        hidden = np.zeros(len(self.values), dtype=bool)
        hidden[:n] = rows
        hidden[n: n + k] = [f in hidden_groups for f in self.five]
        hidden[self.grand_total] = hidden_total
        if self.with_officer:
            hidden[n + k + 1: n + 2 * k + 1] = [f in hidden_fallback for f in self.five]
            hidden[self.neither] = NOT_STATED in hidden_fallback
        return hidden

    def systems(self) -> list[list[Equation]]:
        """The self-defined system (5-group totals, grand total) and, with officer-only cells, the self-then-officer
        one."""
        n, k = len(self.groups), len(self.five)
        own: list[Equation] = [(self.members[f], n + j) for j, f in enumerate(self.five)]
        own.append((tuple(range(n, n + k)) + self.outside, self.grand_total))
        if not self.with_officer:
            return [own]
        officer: list[Equation] = [((*self.members[f], n + 2 * k + 1 + j), n + k + 1 + j)
                                   for j, f in enumerate(self.five)]
        officer.append((tuple(range(n + 2 * k + 1, n + 3 * k + 1)), self.officer_only))
        officer += [((self.neither, self.officer_only), not_stated) for not_stated in self.outside]
        officer.append((tuple(range(n)), self.grand_total))
        return [own, officer]


def _as_audited(df: pd.DataFrame, audited: pd.DataFrame, reference_group: str) -> pd.DataFrame:
    """``df`` (some rows of ``audited``'s table) with reliability marked as for every audience, then its rows
    hidden, its ratios blanked (a hidden reference) and its share denominators shown as ``[c]`` exactly where
    ``audited`` (the whole table, controlled) has them: no suppression of its own, whose totals would be the rows
    shown."""
    out = apply_to_ratio_table(df, "analyst", split=None)
    out.attrs.update(audited.attrs)
    by_group = audited.set_index("group")
    hidden = by_group["suppressed"].reindex(out["group"]).fillna(False).to_numpy(dtype=bool)
    _hide_rows(out, hidden)
    if bool(by_group["suppressed"].get(reference_group, False)):
        _blank(out, RATIO_COLUMNS + REFERENCE_EFFECTIVE_COLUMNS, np.ones(len(out), dtype=bool))
    withheld = by_group["denominator"].reindex(out["group"]).astype(str).eq(SUPPRESSED).to_numpy()
    out["denominator"] = out["denominator"].astype(object).mask(pd.Series(withheld, index=out.index), SUPPRESSED)
    _blank(out, RATE_COLUMNS, withheld)
    return out


def _hide_rows(out: pd.DataFrame, rows: Mask) -> None:
    """Suppress ``rows`` of a controlled ratio table (in place): the count as ``[c]``, everything worked from it
    blanked, the one suppressed method text and reliability."""
    if not rows.any():
        return
    at = pd.Series(rows, index=out.index)
    out["events"] = out["events"].astype(object).mask(at, SUPPRESSED)
    _blank(out, RATE_COLUMNS + RATIO_COLUMNS + EFFECTIVE_COLUMNS + REFERENCE_EFFECTIVE_COLUMNS, rows)
    if "method" in out.columns:
        out["method"] = out["method"].astype(object).mask(at, SUPPRESSED_METHOD)
    out["reliability"] = out["reliability"].mask(at, SUPPRESSED_RELIABILITY)
    out["suppressed"] = out["suppressed"].to_numpy(dtype=bool) | rows
