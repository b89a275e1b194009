"""Crime types and risk markers: ratios by offence group, and the risk markers side by side."""

from __future__ import annotations

import streamlit as st

from analytics import charts
from ui import cached, render
from ui.page import setup
from ui.slicers import Uses

page = setup("Crime types and risk markers", ":material/category:",
             "Is over-representation concentrated in some offences? Ratios by Home Office offence group, and for "
             "crimes flagged as knife crime, child criminal exploitation (CCE), child sexual exploitation (CSE), "
             "county lines and gangs.",
             uses=Uses(partly=(("risk_markers", "the risk-marker rows set each marker to Only in turn (the other "
                                                "markers as chosen)."),), population_rates=True))
filters, version = page.filters, page.version

with st.spinner("Computing ratios by offence and marker…"):
    by_offence = cached.population_rates(filters, version, "offence_group")
    by_marker = cached.marker_rates(filters, version)

if by_offence.table["events"].sum() == 0:
    render.nothing_matches(filters)
    st.stop()


def _labelled(table):
    rows = render.compared(render.controlled(table).table)  # scrutiny: the chart from the controlled table
    return rows.assign(label=rows["split"].astype(str) + " · " + rows["group"])


render.chart(
    charts.forest_plot(_labelled(by_offence), f"Ratio to {filters.reference_group} by offence group",
                       filters.reference_group, filters.confidence, label_column="label"),
    "Each row compares the group's rate of involvement in that offence group with the reference group's, per "
    "1,000 children in the population per year.",
    key="crime-offence-forest",
)
render.chart(
    charts.forest_plot(_labelled(by_marker), f"Ratio to {filters.reference_group} by risk marker",
                       filters.reference_group, filters.confidence, label_column="label"),
    "Crimes flagged with each marker. A crime can carry several markers (county lines usually with CCE), "
    "so the rows overlap.",
    key="crime-marker-forest",
)

tab_offence, tab_marker = st.tabs(["By offence group", "By risk marker"])
with tab_offence:
    render.ratio_table(by_offence, key="ratios-by-offence-group", label="Group")
    render.method_note(by_offence)
with tab_marker:
    render.ratio_table(by_marker, key="ratios-by-risk-marker", label="Group")
    render.method_note(by_marker)
