"""Person-level partner flags on the journeys (issue 17, part 3): cohort filtering by flag and the match rate.

A child "has" a flag when one of its flag periods overlaps the child's recorded involvement (from its first to
its last record in view; an open flag has no end). The match rate is reported by ethnic group from both sides,
since linkage that fails more often for some groups creates false disparities:

* partner side: of the children in the flags extract, by the group the partner records, the share whose
  pseudonym matches a child in the crime records (Wilson intervals);
* police side: of the children in view, by their group, the share with any partner flag.

For scrutiny, the counts are perturbed (``disclosure``) before the shares are computed.
"""

from __future__ import annotations

import pandas as pd

from analytics import schema, stats, suppression
from analytics.partners import disclosure
from analytics.partners.contract import FLAG_LABELS
from analytics.partners.journeys import recorded_dates


def flagged_children(records: pd.DataFrame, flags: pd.DataFrame, flag: str) -> set[str]:
    """The children of ``records`` with a ``flag`` period overlapping their first-to-last record."""
    span = records.assign(date=recorded_dates(records)).groupby("person_id")["date"].agg(
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


def _shares(counts: pd.DataFrame, subset: str, confidence: float, audience: str) -> pd.DataFrame:
    """By group (every group in the standard order, those with no child left out): ``children``, ``subset`` and
    the share (Wilson), from the counts ``audience`` may know (perturbed for scrutiny), then 1-4 as [c]."""
    order = list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)
    counts = counts[counts["ethnic_group"].isin(order)].set_index("ethnic_group").reindex(order).dropna()
    frame = disclosure.as_known(counts.astype("int64").reset_index(), ("children", subset), audience,
                                parts={subset: "children"})
    shares = stats.wilson_ci_array(frame[subset].to_numpy(float), frame["children"].to_numpy(float), confidence)
    out = frame[["ethnic_group", "children", subset]].assign(
        share=100 * shares.estimate, lower=100 * shares.lower, upper=100 * shares.upper)
    out = disclosure.hide_small(out, ("children", subset), audience)
    if suppression.audience_applies_suppression(audience):
        out = suppression.blank(out, ["share", "lower", "upper"])
    return disclosure.without_flag(out)


def partner_match_rates(linked: pd.DataFrame, confidence: float = schema.DEFAULT_CONFIDENCE,
                        audience: str = "analyst") -> pd.DataFrame:
    """By partner-recorded group: children in the flags extract, matched to a police record, share matched
    (``linked``: one row per child, ``PartnerStore.linked_persons``)."""
    counts = disclosure.count_children(linked, ["ethnic_group"], subsets=("matched",))
    return _shares(counts, "matched", confidence, audience)


def police_flag_rates(children: pd.DataFrame, confidence: float = schema.DEFAULT_CONFIDENCE,
                      audience: str = "analyst") -> pd.DataFrame:
    """By police group: children in view, those with any partner flag, share (``PartnerStore.children_with_flags``)."""
    per_child = children.assign(flagged=children["flag"].notna()).groupby(
        ["ethnic_group", "person_id"]).agg(flagged=("flagged", "max"), person_ckey=("person_ckey", "first"))
    counts = disclosure.count_children(per_child.reset_index(), ["ethnic_group"], subsets=("flagged",))
    return _shares(counts, "flagged", confidence, audience)
