"""Children's journeys: victims who later appear as suspects (and the reverse), pathways, roles and risk markers,
and the time to a next involvement, by ethnic group (issue 17)."""

from __future__ import annotations

import streamlit as st

from ui import journeys, render, state
from ui.page import setup
from ui.slicers import Uses

page = setup("Children's journeys", ":material/route:",
             "Children recorded as victims who later appear as suspects, and the reverse; the pathway from a child's "
             "first role to the next; which roles and risk markers go together; and how soon a next involvement "
             "follows, by ethnic group.",
             uses=Uses(("roles", "counting_unit")))
filters, version = page.filters, page.version

flag = None
if journeys.flags_available(version):
    flag = st.selectbox("Partner flag (cohort)", journeys.FLAG_CHOICES, format_func=journeys.flag_label,
                        key="journey_flag", **state.from_link("journey_flag", "flag", journeys.FLAG_CHOICES))
    state.to_link("flag", flag, None)
    st.header("Match rate of the partner flags")
    journeys.match_rate_panel(filters, version)
if not journeys.has_records(filters, version, flag):
    render.nothing_matches(filters)
    st.stop()
st.caption(f"Cohort: {journeys.flag_label(flag).lower()}; a child's records in the period and filters in view "
           "(every role).")

st.header("Victims who later appear as suspects, and the reverse")
journeys.crossover_view(filters, version, flag, key="journeys")
st.header("From the first role to the next")
journeys.pathway_view(filters, version, flag, key="journeys")
st.header("Roles and risk markers")
journeys.upset_view(filters, version, flag, key="journeys")
st.header("Time to a next involvement")
journeys.incidence_view(filters, version, flag, key="journeys")
