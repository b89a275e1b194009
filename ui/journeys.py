"""The Journeys page's computations and rendering (issue 17): cached on the filters, the data version, the partner
flag chosen and the audience, so every figure shown has passed disclosure control for the session's role."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, verdicts
from analytics.filters import Filters
from analytics.partners import FLAG_LABELS, FLAGS, disclosure, figures, journeys, linkage, survival
from analytics.store import PartnerStore
from ui import cached, render

#: The cohort slicer's choices: every child, or the children with one partner flag.
FLAG_CHOICES: tuple[str | None, ...] = (None, *FLAGS)


def _store() -> PartnerStore:
    return PartnerStore(cached.store())


@cached.analytics_cache()
def flags_available(version: str) -> bool:
    return _store().flags_available()


@cached.analytics_cache()
def records(filters: Filters, version: str, flag: str | None) -> pd.DataFrame:
    frame = _store().journey_records(filters.replace(roles=()))
    return linkage.with_flag(frame, _store().flags(), flag) if flag else frame


def has_records(filters: Filters, version: str, flag: str | None) -> bool:
    """Whether any record of the children in view (and the flag's cohort) matches the filters."""
    return not records(filters, version, flag).empty


@cached.analytics_cache()
def crossover(filters: Filters, version: str, flag: str | None, direction: str,
              audience: str) -> journeys.Crossover:
    frame = records(filters, version, flag)
    return journeys.crossover(frame, direction, journeys.end_of_data(frame), filters.reference_group,
                              filters.confidence, audience)


@cached.analytics_cache()
def pathways(filters: Filters, version: str, flag: str | None, audience: str) -> pd.DataFrame:
    return journeys.pathway_totals(journeys.pathways(records(filters, version, flag)), audience)


@cached.analytics_cache()
def upset(filters: Filters, version: str, flag: str | None, audience: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = records(filters, version, flag)
    sets, keys = journeys.role_marker_sets(frame), disclosure.person_keys(frame)
    return journeys.intersections(sets, keys, audience), journeys.set_sizes(sets, keys, audience)


@cached.analytics_cache()
def incidence(filters: Filters, version: str, flag: str | None, audience: str) -> survival.Incidence:
    frame = records(filters, version, flag)
    return survival.cumulative_incidence(frame, journeys.end_of_data(frame), filters.confidence, audience)


@cached.analytics_cache()
def match_rates(filters: Filters, version: str, audience: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    partner_side = linkage.partner_match_rates(_store().linked_persons(), filters.confidence, audience)
    police_side = linkage.police_flag_rates(_store().children_with_flags(filters.replace(roles=())),
                                            filters.confidence, audience)
    return partner_side, police_side


def _share_table(frame: pd.DataFrame, count: str, count_label: str) -> pd.DataFrame:
    return pd.DataFrame({
        "Group": frame["ethnic_group"], "Children": render.counts(frame["children"]),
        count_label: render.counts(frame[count]),
        "Share": frame["share"].map(lambda v: "" if pd.isna(v) else f"{v:.1f} %"),
        "Interval": render.intervals(frame["lower"], frame["upper"]),
    })


def match_rate_panel(filters: Filters, version: str) -> None:
    """The match rate by group, shown beside every view linked to the partner flags."""
    partner_side, police_side = match_rates(filters, version, render.audience())
    left, right = st.columns(2)
    left.markdown("**Partner children found in the police records** (by the partner's recorded group)")
    render.table(_share_table(partner_side, "matched", "Matched"), where=left, hide_index=True, width="stretch")
    right.markdown("**Children in view with any partner flag** (by the police group)")
    render.table(_share_table(police_side, "flagged", "With a flag"), where=right, hide_index=True, width="stretch")
    st.caption("Linkage that fails more often for some groups makes their flagged children look fewer: read the "
               "linked views with these match rates. Shares with Wilson intervals; for scrutiny, counts are perturbed "
               "slightly and 1-4 shown as [c].")


def crossover_view(filters: Filters, version: str, flag: str | None, key: str) -> None:
    audience = render.audience()
    for direction, label in journeys.DIRECTION_LABELS.items():
        result = crossover(filters, version, flag, direction, audience)
        table = result.table
        compared = table[~table["is_reference"].astype(bool) & (table["group"] != "Not stated")].copy()
        compared["label"] = compared["split"] + " · " + compared["group"]
        render.chart(charts.forest_plot(compared, f"{label}: ratio to {filters.reference_group} children",
                                        filters.reference_group, filters.confidence, label_column="label"),
                     " ".join(result.notes), key=f"{key}-{direction}")
        render.table(pd.DataFrame({
            "Window": table["split"],
            "Group": table["group"] + table["is_reference"].map({True: " (reference)", False: ""}),
            "Children in the cohort": render.counts(table["denominator"]),
            "With the later role": render.counts(table["events"]),
            "Share": [("not estimable" if pd.isna(v) else f"{v:.1f} %") for v in table["rate"]],
            f"Ratio to {filters.reference_group}": table["ratio"].map(lambda r: "—" if pd.isna(r) else f"{r:.2f}"),
            verdicts.interval_heading(table["interval_level"]): render.intervals(table["ratio_lower"],
                                                                                 table["ratio_upper"]),
            "Verdict": table["verdict"].map(verdicts.label_of), "Reliability": table["reliability"],
        }), hide_index=True, width="stretch")


def pathway_view(filters: Filters, version: str, flag: str | None, key: str) -> None:
    paths = pathways(filters, version, flag, render.audience())
    render.chart(figures.sankey(paths, "From the first role to the next involvement"),
                 "A child's first record (victim, suspect, or both on the first day) and the role of its next record "
                 "on a later date. Links of fewer than 5 children are not drawn for scrutiny.", key=f"{key}-sankey")
    shown = paths.assign(children=render.counts(paths["children"]))
    render.table(shown.rename(columns={"first": "First role", "next": "Next involvement", "children": "Children"}),
                 hide_index=True, width="stretch")


def upset_view(filters: Filters, version: str, flag: str | None, key: str) -> None:
    sizes, totals = upset(filters, version, flag, render.audience())
    render.chart(figures.upset(sizes, totals, "Roles and risk markers: which combinations children have"),
                 "UpSet chart: each bar is the number of children with exactly the combination of roles and risk "
                 "markers marked below it (over the period in view); the side bars are each set's size. "
                 "Combinations of fewer than 5 children are not drawn for scrutiny.", key=f"{key}-upset")


def incidence_view(filters: Filters, version: str, flag: str | None, key: str) -> None:
    result = incidence(filters, version, flag, render.audience())
    render.chart(figures.incidence_curves(result.curves, "Cumulative incidence of a next involvement",
                                          filters.confidence), result.method + ".", key=f"{key}-incidence")
    table = result.table
    if len(table):
        render.table(pd.DataFrame({
            "Group": table["group"], "Months": table["months"], "Children": render.counts(table["children"]),
            "Next involvements": render.counts(table["events"]), "Still followed": render.counts(table["at_risk"]),
            "Cumulative incidence": [("" if pd.isna(v) else f"{100 * v:.1f} %") for v in table["incidence"]],
            "Interval": render.intervals(100 * table["lower"], 100 * table["upper"]),
        }), hide_index=True, width="stretch")


def flag_label(flag: str | None) -> str:
    return "All children" if not flag else f"Children with the partner flag: {FLAG_LABELS[flag]}"
