"""Disclosure control of the journeys' counts of children for the scrutiny audience: issue 14's Cell Key Method
on issue 17's page.

Every count on the Children's journeys page is a count of distinct children. For scrutiny it is perturbed as the
store perturbs a count of children on the other pages (``analytics.suppression.perturbation``): its cell key is
the sum of its children's person keys (``person_ckey``, given at load by
``analytics.store.build.PERSON_KEY_EXPRESSION``) modulo 256, and the noise is the published perturbation table's.
Counts from 1 to 4 after perturbation are then shown as ``[c]``.

The same children always get the same noise, so a count asked for twice shows the same value, while the
difference of two overlapping selections (two date ranges, a cohort and its complement) is the true difference
plus the difference of two noises: it no longer gives a hidden count back, which primary suppression alone did.
Shares, ratios and intervals shown to scrutiny are computed from the perturbed counts, as on the other pages.
Analysts and officers see exact counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analytics import suppression
from analytics.suppression.frames import SUPPRESSED_COLUMN
from analytics.suppression.perturbation import CKEY_SUFFIX, KEY_RANGE, perturb_columns

#: Each child's person key (0-255) in the frames the store gives the journeys.
PERSON_KEY = "person_ckey"
#: What the scrutiny reader is told under the journeys' tables.
METHOD_NOTE = ("For scrutiny, every count of children is perturbed slightly (the Cell Key Method, as on the other "
               "pages) and counts of 1 to 4 are shown as [c]; shares, ratios and verdicts are made from the perturbed "
               "counts.")
#: The count of children in a frame made by :func:`count_children`.
CHILDREN = "children"


def person_keys(records: pd.DataFrame) -> pd.Series:
    """Each child's person key, indexed by ``person_id`` (one key per child)."""
    return records.groupby("person_id")[PERSON_KEY].first()


def count_children(children: pd.DataFrame, by: list[str], subsets: tuple[str, ...] = ()) -> pd.DataFrame:
    """By ``by``: the children of ``children`` (one row per child, with ``person_ckey``) and, for each boolean
    column of ``subsets``, the children for whom it is true; each count with its cell key (``<count>_ckey``)."""
    keys = children[PERSON_KEY].astype("int64")
    parts: dict[str, Any] = {CHILDREN: 1, CHILDREN + CKEY_SUFFIX: keys}
    for subset in subsets:
        chosen = children[subset].astype(bool)
        parts[subset] = chosen.astype("int64")
        parts[subset + CKEY_SUFFIX] = keys.where(chosen, 0)
    frame = children[by].assign(**parts)
    out = frame.groupby(by, sort=False, dropna=False)[list(parts)].sum().reset_index()
    return with_keys_reduced(out)


def with_keys_reduced(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every ``<count>_ckey`` column taken modulo 256 (sums of keys become cell keys)."""
    keys = [c for c in frame.columns if str(c).endswith(CKEY_SUFFIX)]
    return frame.assign(**{c: frame[c].astype("int64") % KEY_RANGE for c in keys})


def as_known(frame: pd.DataFrame, columns: tuple[str, ...], audience: str,
             parts: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` with its count ``columns`` as ``audience`` may know them, before any ``[c]``: perturbed by their
    cell keys for scrutiny (a part never above its whole afterwards: ``parts`` maps a part's column to its whole's),
    exact otherwise. The cell-key columns are dropped."""
    if not suppression.audience_applies_suppression(audience):
        return frame.drop(columns=[c + CKEY_SUFFIX for c in columns])
    out = perturb_columns(frame, columns)
    for part, whole in (parts or {}).items():
        out[part] = np.minimum(out[part].to_numpy(), out[whole].to_numpy())
    return out


def hide_small(frame: pd.DataFrame, columns: tuple[str, ...], audience: str) -> pd.DataFrame:
    """``frame`` with ``columns``' counts from 1 to 4 shown as ``[c]`` for scrutiny (``suppression.suppress_counts``,
    its ``suppressed`` flag kept for ``suppression.blank``); a copy, unchanged, for others."""
    if not suppression.audience_applies_suppression(audience):
        return frame.copy()
    return suppression.suppress_counts(frame, columns)


def controlled(frame: pd.DataFrame, columns: tuple[str, ...], audience: str) -> pd.DataFrame:
    """``frame``'s count ``columns`` (each with its cell key) as ``audience`` may see them: :func:`as_known`,
    then :func:`hide_small`."""
    return without_flag(hide_small(as_known(frame, columns, audience), columns, audience))


def without_flag(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without :func:`hide_small`'s ``suppressed`` flag (where it has one)."""
    return frame.drop(columns=[SUPPRESSED_COLUMN], errors="ignore")
