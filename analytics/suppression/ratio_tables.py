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

from analytics.schema import SUPPRESSION_THRESHOLD, UNRELIABLE_BELOW, WITHHOLD_RATIO_BELOW
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
    a stratum's children of 1-4 as ``[c]``; its shares withheld altogether (``None``) where any self-defined group
    holds 1-4 of its children, since a share times the children gives the count back and the other shares give a
    single withheld one back (they add up to 1)."""
    controlled = []
    for record in records:
        children = int(record["children"])
        shares = record["shares"]
        counts = [round(share * children) for share in shares.values() if share is not None]
        small = children < SUPPRESSION_THRESHOLD or any(1 <= count < SUPPRESSION_THRESHOLD for count in counts)
        controlled.append({**record, "children": SUPPRESSED if 1 <= children < SUPPRESSION_THRESHOLD else children,
                           "shares": dict.fromkeys(shares) if small else dict(shares),
                           **({"note": "shares withheld: some rest on fewer than 5 children"} if small else {})})
    return tuple(controlled)


def apply_to_detailed_table(
    df: pd.DataFrame,
    audience: str,
    group_of: Mapping[str, str],
    reference_group: str,
    threshold: int = SUPPRESSION_THRESHOLD,
    *,
    hidden_groups: Collection[str] = (),
    hidden_total: bool = False,
) -> pd.DataFrame:
    """:func:`apply_to_ratio_table` for a table of detailed groups (``group_of``: each detailed row's 5-group; rows
    not in it, such as Not stated, belong to none), with secondary suppression against the 5-group totals too.

    For scrutiny, each 5-group's total (the sum of its detailed rows) and the grand total are taken as published:
    the 5-group table beside it, or a reader's own addition, gives them. A detailed count must not be recoverable as
    its 5-group's total minus the other detailed counts, nor a 5-group count hidden in the 5-group table
    (``hidden_groups``; ``hidden_total``: its total) from the detailed counts, so the equations are audited together
    (:func:`analytics.suppression.equations.suppress_with_equations`); the totals are never complements here (what
    only they could protect, such as a small Not-stated count, the 5-group table protects). The Not-stated row's
    denominator is the grand total and is shown as ``[c]`` where that total is hidden or small."""
    out = apply_to_ratio_table(df, audience, threshold, split=None, reference_group=reference_group)
    if not audience_applies_suppression(audience) or not len(out):
        return out
    groups = list(df["group"])
    five = sorted({group_of[g] for g in groups if g in group_of})
    size = len(groups) + len(five) + 1
    values = np.zeros(size, dtype=np.int64)
    values[: len(groups)] = pd.to_numeric(df["events"]).to_numpy(dtype=np.int64)
    equations: list[Equation] = []
    for j, five_group in enumerate(five):
        cells = tuple(i for i, g in enumerate(groups) if group_of.get(g) == five_group)
        values[len(groups) + j] = values[list(cells)].sum()
        equations.append((cells, len(groups) + j))
    outside = tuple(i for i, g in enumerate(groups) if g not in group_of)
    values[-1] = values[: len(groups)].sum()
    equations.append((tuple(range(len(groups), len(groups) + len(five))) + outside, size - 1))
    already = np.zeros(size, dtype=bool)
    already[: len(groups)] = out["suppressed"].to_numpy(dtype=bool)
    already[len(groups): -1] = [g in hidden_groups for g in five]
    already[-1] = hidden_total
    published = np.zeros(size, dtype=bool)
    published[len(groups):] = True  # the 5-group totals and the grand total: never complements here
    mask = suppress_with_equations(values, equations, threshold, already, fixed=published)
    _hide_rows(out, mask[: len(groups)] & ~already[: len(groups)])
    if (mask[: len(groups)] & (df["group"] == reference_group).to_numpy()).any():
        _blank(out, RATIO_COLUMNS + REFERENCE_EFFECTIVE_COLUMNS, np.ones(len(out), dtype=bool))
    if mask[-1] or 1 <= values[-1] < threshold:
        share_rows = np.isin(np.arange(len(out)), outside)
        out["denominator"] = out["denominator"].astype(object).mask(pd.Series(share_rows, index=out.index), SUPPRESSED)
        _blank(out, RATE_COLUMNS, share_rows)
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
