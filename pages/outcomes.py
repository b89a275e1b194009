"""Outcomes and diversion: outcome mix by group, the outcome 22 decision-point ratio, outcome 22 over time."""

from __future__ import annotations

import streamlit as st

from analytics import access, charts, schema
from ui import auth, cached, render, state
from ui.page import setup
from ui.slicers import Uses

page = setup("Outcomes and diversion", ":material/alt_route:",
             "Are children of each group equally likely to be diverted? Home Office outcome 22 is diversionary, "
             "educational or intervention activity instead of prosecution. Among the cases where diversion was an "
             "option, the share ending in outcome 22 is compared with the reference group's share (the "
             "decision-point ratio).",
             uses=Uses(("outcome_codes", "counting_unit"), partly=(
                 ("roles", "suspects when no role is chosen."),)))
filters, version = page.filters, page.version
# every figure here counts concluded records, whatever the sidebar's outcome filter (the page's own choice below)
decision_filters = (filters if filters.roles else filters.replace(roles=("suspect",))).replace(outcome_codes=())

denominators = tuple(schema.DECISION_DENOMINATORS)
configured = cached.configured_decision_denominator()
left, right = st.columns(2)
denominator = left.radio("Out of", denominators, horizontal=True,
                         format_func=lambda d: schema.DECISION_DENOMINATOR_SHORT[d].capitalize(),
                         key="decision_denominator",
                         help="Cases where diversion was an option: " + schema.DECISION_DENOMINATOR_LABELS["live"]
                              + ". All concluded cases: " + schema.DECISION_DENOMINATOR_LABELS["all"] + ".",
                         **state.from_link("decision_denominator", "out_of", denominators,
                                           index=denominators.index(configured)))
state.to_link("out_of", denominator, configured)  # kept in the URL beside the sidebar's slicers
outcome_options = schema.DECISION_DENOMINATORS[denominator]
picked = right.multiselect("Outcomes counted as the decision", outcome_options,
                           format_func=lambda c: f"{c}: {schema.OUTCOME_CODES[c]}",
                           key=f"outcome_codes_chosen_{denominator}",
                           **state.from_link(f"outcome_codes_chosen_{denominator}", "decision", outcome_options,
                                             multi=True, default=[schema.OUTCOME_22]))
state.to_link("decision", picked, [schema.OUTCOME_22])
chosen = tuple(c for c in picked if c in outcome_options) or (schema.OUTCOME_22,)
label = "outcome 22" if chosen == (schema.OUTCOME_22,) else "outcomes " + ", ".join(chosen)
cases = schema.DECISION_DENOMINATOR_SHORT[denominator]

with st.spinner("Computing outcomes…"):
    mix = cached.outcome_mix(decision_filters, version)
    crude = cached.decision_ratios(decision_filters, version, chosen, denominator=denominator)
    adjusted = cached.adjusted_ratios(decision_filters, version, "outcome", ("offence_group", "age_band"), chosen,
                                      denominator=denominator)
    rolling = cached.rolling_outcome_shares(decision_filters, version, chosen, denominator=denominator)

if crude.table["denominator"].sum() == 0:
    render.nothing_matches(filters)
    st.stop()

# Scrutiny sees every figure (charts too) through disclosure control; no-op for roles with exact counts.
crude = render.controlled(crude)
if not auth.can(access.EXACT_COUNTS):  # a ratio withheld from the table is not shown here either
    adjusted = adjusted[adjusted["group"].isin(access.shown_groups(crude))]
mix = render.controlled_counts(charts.outcome_shares(mix.rename(columns={"ethnic_group": "group"})), ("records",),
                               ("group",), totals_published=True, derived=("share",))
rolling = render.controlled_counts(rolling, ("events", "concluded"), derived=("share", "lower", "upper"))

roles = " or ".join(decision_filters.roles)
render.chart(
    charts.outcome_mix(render.for_chart(mix, ("records",)), f"How concluded {roles} records ended, by group"),
    "Each bar is 100 % of the group's concluded records (every outcome, whatever the denominator chosen above); "
    "outcome 22 is the hatched black segment." + render.suppressed_note(),
    key="outcomes-mix",
)
render.chart(
    charts.forest_plot(render.compared(crude.table),
                       f"Likelihood of {label} relative to {filters.reference_group} children",
                       filters.reference_group, filters.confidence, adjusted=adjusted),
    f"Below 1: the group's {cases} ended in this outcome less often. Diamonds: adjusted for offence "
    "group and age band (Mantel–Haenszel), so a gap is not explained by a different offence mix.",
    key="outcomes-forest",
)

render.chart(
    charts.rate_bars(crude.table, f"Share of {roles} records ending in {label}: {cases}", "%", filters.confidence),
    f"Denominator: {crude.denominator}. Open investigations are not in the denominators. Not stated: children whose "
    "ethnicity was not recorded." + render.suppressed_note(),
    key="outcomes-share",
)

st.header(f"The {label} decision-point ratio")
render.ratio_table(crude, key="outcome-decision-ratios")
render.method_note(crude)
if len(adjusted):
    render.adjusted_table(adjusted)

st.header(f"Use of {label} over time")
maturity = cached.outcome_maturity(decision_filters, version)
render.chart(
    charts.mark_incomplete(
        charts.ratio_band(render.for_chart(rolling, ("events", "concluded")),
                          f"Share of {roles} records ending in {label}, rolling 12 months: {cases}",
                          filters.reference_group, filters.confidence, value="share", log=False,
                          y_label=f"% of {cases}", groups=schema.ETHNIC_GROUPS_WITH_NOT_STATED),
        maturity.first_incomplete_month, page.period[1],
        f"outcomes not yet followed up {maturity.follow_up_days} days"),
    "Each point covers the 12 months ending that month; the shaded band is the Wilson confidence interval. "
    "Single months are too small to read. " + maturity.note
    + " Windows ending in the shaded months hold fewer mature months: read them as incomplete, not as a change."
    + render.suppressed_note(),
    key="outcomes-rolling",
)
