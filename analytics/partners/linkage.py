"""Person-level partner flags on the journeys (issue 17, part 3): cohort filtering by flag and the match rate.

A child "has" a flag when one of its flag periods overlaps the child's recorded involvement (from its first to
its last record in view; an open flag has no end). The match rate is reported by ethnic group from both sides,
since linkage that fails more often for some groups creates false disparities:

* partner side: of the children in the flags extract, by the group the partner records, the share whose
  pseudonym matches a child in the crime records (Wilson intervals);
* police side: of the children in view, by their group, the share with any partner flag.
"""

from __future__ import annotations

import pandas as pd

from analytics import schema, stats, suppression
from analytics.partners.contract import FLAG_LABELS


def flagged_children(records: pd.DataFrame, flags: pd.DataFrame, flag: str) -> set[str]:
    """The children of ``records`` with a ``flag`` period overlapping their first-to-last record."""
    span = records.assign(date=pd.to_datetime(records["recorded_date"])).groupby("person_id")["date"].agg(
        ["min", "max"])
    chosen = flags[flags["flag"] == flag].merge(span, left_on="person_id", right_index=True)
    start = pd.to_datetime(chosen["flag_start"])
    end = pd.to_datetime(chosen["flag_end"])
    overlap = (start <= chosen["max"]) & (end.isna() | (end >= chosen["min"]))
    return set(chosen.loc[overlap, "person_id"])


def with_flag(records: pd.DataFrame, flags: pd.DataFrame, flag: str | None) -> pd.DataFrame:
    """``records`` of the children with ``flag`` (all of them when ``flag`` is None)."""
    if not flag:
        return records
    if flag not in FLAG_LABELS:
        raise ValueError(f"unknown flag {flag!r}")
    return records[records["person_id"].isin(flagged_children(records, flags, flag))]


def _shares(frame: pd.DataFrame, count: str, total: str, confidence: float, audience: str) -> pd.DataFrame:
    shares = stats.wilson_ci_array(frame[count].to_numpy(float), frame[total].to_numpy(float), confidence)
    out = frame.assign(share=100 * shares.estimate, lower=100 * shares.lower, upper=100 * shares.upper)
    if suppression.audience_applies_suppression(audience):
        for column in (count, total):
            mask = suppression.primary_mask(out[column].to_numpy())
            out[column] = out[column].astype(object).mask(pd.Series(mask, index=out.index), suppression.SUPPRESSED)
            out.loc[mask, ["share", "lower", "upper"]] = float("nan")
    return out


def partner_match_rates(linked: pd.DataFrame, confidence: float = schema.DEFAULT_CONFIDENCE,
                        audience: str = "analyst") -> pd.DataFrame:
    """By partner-recorded group: children in the flags extract, matched to a police record, share matched."""
    frame = linked.groupby("ethnic_group").agg(children=("person_id", "size"), matched=("matched", "sum"))
    frame = frame.reindex(list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)).dropna().astype(int).reset_index()
    return _shares(frame, "matched", "children", confidence, audience)


def police_flag_rates(children: pd.DataFrame, confidence: float = schema.DEFAULT_CONFIDENCE,
                      audience: str = "analyst") -> pd.DataFrame:
    """By police group: children in view, those with any partner flag, share (``PartnerStore.children_with_flags``)."""
    per_child = children.assign(flag=children["flag"].notna()).groupby(
        ["ethnic_group", "person_id"])["flag"].max().reset_index()
    frame = per_child.groupby("ethnic_group").agg(children=("person_id", "size"), flagged=("flag", "sum"))
    frame = frame.reindex(list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)).dropna().astype(int).reset_index()
    return _shares(frame, "flagged", "children", confidence, audience)
