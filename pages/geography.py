"""Geography: a map of the districts and funnel plots against the force average."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, geography, schema
from ui import cached, partners, render, state
from ui.page import setup
from ui.slicers import Uses

page = setup("Geography", ":material/map:",
             "Where is the gap largest? Each district's rate or ratio for a chosen group, and each district "
             "against the force average with 95 % and 99.8 % control limits.",
             uses=Uses(partly=(
                 ("ethnic_groups", "the map, the funnel plot and the districts' table show the group chosen below."),
                 ("outcome_codes", "narrows the rates and ratios; the outcome 22 funnel plot counts every concluded "
                                   "outcome (the decision-point share)."),
             ), population_rates=True))
filters, version = page.filters, page.version

left, middle, right = st.columns(3)
candidates = [g for g in schema.ETHNIC_GROUPS if g != filters.reference_group]
default_group = "Black" if "Black" in candidates else candidates[0]
group = left.selectbox("Group", candidates, key="geo_group",
                       **state.from_link("geo_group", "map_group", candidates, index=candidates.index(default_group)))
value = middle.radio("Map shows", ("ratio", "rate"),
                     format_func={"ratio": f"Ratio to {filters.reference_group}",
                                  "rate": "Rate per 1,000 children per year"}.__getitem__,
                     horizontal=True, key="geo_value", **state.from_link("geo_value", "map", ("ratio", "rate")))
funnel_measure = right.radio("Funnel plot of", ("rate", "outcome22"), horizontal=True, key="geo_funnel",
                             format_func={"rate": f"{group} children's rate",
                                          "outcome22": "Outcome 22 share (suspects)"}.__getitem__,
                             **state.from_link("geo_funnel", "funnel", ("rate", "outcome22")))
for param, chosen, default in (("map_group", group, default_group), ("map", value, "ratio"),
                               ("funnel", funnel_measure, "rate")):
    state.to_link(param, chosen, default)  # kept in the URL beside the sidebar's slicers

denominator = cached.configured_decision_denominator()  # the outcome-22 funnel's denominator, as configured
with st.spinner("Computing district figures…"):
    districts = cached.district_values(filters, version, group, value)
    funnel = (cached.rate_funnel(filters, version, group) if funnel_measure == "rate"
              else cached.share_funnel(filters, version, (schema.OUTCOME_22,), denominator))

if (pd.to_numeric(districts["events"], errors="coerce").fillna(1) == 0).all():  # [c] is not nothing
    render.nothing_matches(filters)
    st.stop()

label = f"Ratio to {filters.reference_group}" if value == "ratio" else "Per 1,000 per year"
rate_period = cached.population_rates(filters, version, "area").period  # the districts' table's period
period_label = rate_period.label if rate_period is not None else ""
render.chart(
    charts.choropleth(cached.boundaries(), districts,
                      f"{group} children: " + (f"ratio to {filters.reference_group} by district" if value == "ratio"
                                               else f"rate per 1,000 children per year by district, {period_label}"),
                      label, diverging_at=1.0 if value == "ratio" else None),
    ("Colour (log scale): the ratio where the district's verdict is higher (red) or lower (blue) than "
     f"{filters.reference_group} children; grey and hatched: no clear difference or not estimable (each label "
     "says which), adjusted for every district and group compared. "
     if value == "ratio" else "Darker: a higher rate. ") + geography.ATTRIBUTION,
    key="geo-map",
)
if funnel is None:
    st.info("The funnel plot is not shown for this selection: too many of its districts' counts are small "
            "(disclosure control).")
elif funnel.points.empty:
    st.info("No district has events for this measure and filter.")
else:
    title = (f"{render.counted_of(filters, group + ' children')} per 1,000 children per year by district, "
             f"{period_label}" if funnel_measure == "rate"
             else f"Share of suspect records ending in outcome 22, by district: "
                  f"{schema.DECISION_DENOMINATOR_SHORT[denominator]}")
    x_label = (f"{group} children in the population" if funnel_measure == "rate"
               else f"Suspect records: {schema.DECISION_DENOMINATOR_SHORT[denominator]}")
    render.chart(
        charts.funnel_plot(funnel.points, funnel.centre, funnel.limits, title, x_label, funnel.unit,
                           subtitle="Dashed: 95 % limits; dotted: 99.8 % limits"),
        "Control limits for each district's count given the force average (Spiegelhalter 2005). The grey limits "
        "are adjusted for every district compared: a district outside them is higher or lower than the force "
        "average (its verdict, in the hover); inside them, the difference could be chance.",
        key="geo-funnel",
    )

st.header("Districts")
table = pd.DataFrame({  # for scrutiny, ``districts`` is already through disclosure control (ui.cached)
    "District": districts["area_code"].map(page.area_names).fillna(districts["area_code"]),
    f"{render.counted_of(filters, group + ' children')} (events)": render.counts(districts["events"]),
    "Population": districts["denominator"],
    "Rate per 1,000 children per year": pd.to_numeric(districts["rate"]).round(2),
    f"Ratio to {filters.reference_group}": pd.to_numeric(districts["ratio"]).round(2),
    "Interval (adjusted)": render.intervals(districts["ratio_lower"], districts["ratio_upper"]),
    "Verdict": render.verdict_labels(districts["verdict"]),
    "Reliability": districts["reliability"],
})
render.table(table, hide_index=True, width="stretch")
if render.controlling():
    st.caption("[c]: a count from 1 to 4, or one that would reveal such a count, is not shown (disclosure control); "
               "such a district's rate and ratio are not shown, and it is left out of the funnel plot.")
funnel_verdicts = render.funnel_verdicts(funnel.points) if funnel is not None else ""
if funnel_verdicts:
    st.warning(f"Against the force average, after adjustment for every district: {funnel_verdicts}.")
render.download(table, f"districts-{group.lower()}.csv",
                [f"Filters: {filters.describe(page.area_names)}", "Population: Census 2021 based (modelled)",
                 f"Rates per 1,000 children per year, {period_label} (years = days ÷ 365.25)",
                 geography.ATTRIBUTION],
                key="download-districts")

# partner overlay (issue 17): the group's police ratio in one district, or the force area, beside the partners'
names = {"": "All districts (force area)", **page.area_names}
chosen = st.selectbox("Area for the partner overlay", tuple(names), format_func=names.__getitem__,
                      key="geo_partner_area", **state.from_link("geo_partner_area", "partner_area", tuple(names)))
state.to_link("partner_area", chosen, "")
police_rows = (render.controlled(cached.population_rates(filters, version)).table if not chosen
               else districts[districts["area_code"] == chosen].assign(group=group, unit="per 1,000 children per year"))
police_title = f"Police: {names[chosen]} ({render.counted(filters)} per 1,000 children per year)"
partners.overlay_section(page, police_rows, police_title, group,
                         (chosen,) if chosen else filters.areas, key="geo-partners")
