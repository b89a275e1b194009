"""Stop and search: youth search rates, weapons searches and the outcome test by ethnic group, from the public
data.police.uk monthly files (issue 8)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, schema, searches
from analytics.filters import format_confidence
from ui import render
from ui import searches as search_ui
from ui.page import setup
from ui.slicers import Uses

page = setup("Stop and search", ":material/front_hand:",
             "Are children of some ethnic groups searched more often than White children, and are searches of "
             "them less often productive? From the stop-and-search records every force publishes monthly on "
             "data.police.uk.",
             uses=Uses.only("reference_group", "ethnicity_source", "confidence"), allow_no_records=True)
version = page.version
st.caption("The sidebar's slicers describe crime records; this page has its own filters below. The reference "
           "group, confidence level and ethnicity source come from the sidebar.")

if not search_ui.available(version):
    st.info("No searches match: no stop-and-search data has been loaded yet. Load the monthly files downloaded from "
            "data.police.uk with `python -m analytics searches load FOLDER` (for example "
            "`python -m analytics searches load sample_data/police_uk_stop_search`, six months of Gwent).")
    st.stop()

present = search_ui.options(version)
area_names = search_ui.area_names(version)
filters = search_ui.filter_panel(present, area_names, page.filters)
st.caption(f"**Stop-and-search filters:** {filters.describe()}")
conf = format_confidence(filters.confidence)
reference = filters.reference_group

with st.spinner("Computing stop-and-search figures…"):
    totals = search_ui.counts(filters, version)
    ages = search_ui.age_range_counts(filters, version)

if totals.empty or int(totals["searches"].sum()) == 0:
    st.info("No searches match these filters. Widen the months or clear some of the stop-and-search filters.")
    st.stop()

searched = int(totals["searches"].sum())
not_stated = int(totals.loc[totals["ethnic_group"] == schema.NOT_STATED, "searches"].sum())
# Scrutiny: searches are published record by record on data.police.uk and are not perturbed, but a count of 1-4
# is still shown as [c] (and a table's second count where its total would reveal the first). No-op otherwise.
controlling = render.controlling()
ages = search_ui.controlled_ages(ages, controlling)
shown_searched = search_ui.count_text(searched, controlling)
not_stated_share = search_ui.share_text(not_stated, searched, controlling)
columns = st.columns(4)
columns[0].metric("Searches in view", shown_searched)
columns[1].metric("Searches, aged 10-17", search_ui.searches_of(ages, searches.CHILD),
                  help="Searches of children aged 10-17; all filters except age range")
columns[2].metric("Searches, under 10", search_ui.searches_of(ages, searches.UNDER_10),
                  help="Searches of children under 10: shown separately; not in the rates per 1,000 children aged "
                       "10-17 per year")
columns[3].metric("Ethnicity not stated", not_stated_share,
                  help="Neither self-defined nor officer-defined ethnicity recorded")

# ------------------------------------------------------------------------------------------------
st.header(f"Searches per 1,000 children aged 10-17 per year, against {reference} children")
if filters.age_ranges != (searches.CHILD,):
    st.info("Rates per 1,000 children per year need the age range 10-17 alone: choose only 10-17 in the filters above. "
            "The weapons and outcome-test tables below use the age ranges chosen.")
else:
    rates = render.controlled(search_ui.ratios(filters, version, "rate"))
    left, right = st.columns(2)
    with left:
        period = f", {rates.period.label}" if rates.period else ""
        render.chart(charts.rate_bars(rates.table[rates.table["unit"] != "%"],
                                      f"Searches per 1,000 children aged 10-17 per year{period}",
                                      "per 1,000 per year", filters.confidence),
                     "Bars: searches of children of the group per 1,000 children aged 10-17 in the force area per "
                     f"year (the selected months' searches ÷ their years, days ÷ 365.25); whiskers: {conf} confidence "
                     "interval.", key="ss-rate-bars", width=render.HALF_WIDTH)
    with right:
        render.chart(charts.forest_plot(render.compared(rates.table), "Search rate ratio", reference,
                                        filters.confidence),
                     f"How many times as often children of each group were searched as {reference} children, per head "
                     "of population. The bars are the table's intervals adjusted for every comparison in it, matching "
                     "its verdicts. Hollow points rest on fewer than 10 searches.", key="ss-rate-forest",
                     width=render.HALF_WIDTH)
    render.ratio_table(rates, "stop-search-rates")
    st.caption(f"Population: {rates.denominator_source}.")

# ------------------------------------------------------------------------------------------------
st.header("The outcome test: how often a search led to action")
find = render.controlled(search_ui.ratios(filters, version, "find"))
linked = render.controlled(search_ui.ratios(filters, version, "find", linked=True))
left, right = st.columns(2)
with left:
    render.chart(charts.rate_bars(find.table, "Searches with an outcome other than no further action", "%",
                                  filters.confidence),
                 "Share of searches with an outcome recorded that ended in an arrest, summons, caution, warning, "
                 "penalty notice or community resolution. A lower share for a group suggests its members were "
                 "searched on weaker grounds.", key="ss-find-bars", width=render.HALF_WIDTH)
with right:
    render.chart(charts.forest_plot(render.compared(find.table), "Find-rate ratio", reference, filters.confidence),
                 f"Each group's share of searches leading to action divided by the {reference} share (Koopman score "
                 "interval).", key="ss-find-forest", width=render.HALF_WIDTH)
render.ratio_table(find, "stop-search-find-rates")
missing = search_ui.controlled_cells(pd.DataFrame(find.not_recorded).T, controlling)
st.markdown("**Searches with no outcome recorded** (not counted in either side of the outcome test):")
render.table(missing.rename_axis("Split"), width="stretch")  # a named index: no empty header cell (axe)
with st.expander("Only outcomes linked to the object of search"):
    st.markdown("The same test counting only actions where the outcome was linked to what the officer searched for.")
    render.ratio_table(linked, "stop-search-linked-find-rates")
    for note in linked.notes:
        st.caption(note)

# ------------------------------------------------------------------------------------------------
st.header("Searches for offensive weapons")
weapons = render.controlled(search_ui.ratios(filters, version, "weapons"))
render.chart(charts.rate_bars(weapons.table, "Share of searches that were for offensive weapons", "%",
                              filters.confidence),
             "Among searches with an object of search recorded. Searches with none recorded are counted below the "
             "table and not folded in.", key="ss-weapons-bars")
render.ratio_table(weapons, "stop-search-weapons")
st.caption(weapons.notes[0])

# ------------------------------------------------------------------------------------------------
st.header("Monthly trend")
monthly = render.controlled_counts(search_ui.monthly_counts(filters, version), ("value",), ("month",),
                                  totals_published=True)
render.chart(charts.monthly_lines(render.for_chart(monthly, ("value",)), "Searches per month by ethnic group",
                                  "Searches"),
             "Searches by the month of the search date, for the age ranges and filters chosen."
             + render.suppressed_note(), key="ss-monthly")

st.header("Every age range")
st.markdown("Searches by age range and group, for all the other filters (children under 10 on their own row).")
render.table(render.plain_names(ages.apply(render.counts)), width="stretch")

# ------------------------------------------------------------------------------------------------
st.header("Ethnicity recording: self-defined against officer-defined")
agreement = search_ui.agreement(filters, version)
sources = search_ui.group_sources(filters, version)
crosstab, agreement_shown = render.controlled_agreement(agreement)
if controlling:
    sources = render.controlled_counts(sources, ("searches",), totals_published=True).drop(columns="suppressed")
left, right = st.columns(2)
with left:
    render.chart(charts.agreement_heatmap(crosstab, "Searches by self-defined and officer-defined group"),
                 "Officers have no code for Mixed, so a Mixed self-definition can never agree.", key="ss-agreement",
                 width=render.HALF_WIDTH)
with right:
    st.markdown("**Where each search's group came from**")
    render.table(sources.assign(searches=render.counts(sources["searches"]))
                 .rename(columns={"source": "Source", "searches": "Searches"}), hide_index=True, width="stretch")
    if not agreement_shown:
        st.markdown("Agreement is not shown for this selection: a count in the table behind it is suppressed "
                    "(disclosure control).")
    elif agreement.both_stated:
        st.markdown(agreement.describe())
    else:
        st.markdown("No search in view has both self-defined and officer-defined ethnicity, so agreement cannot be "
                    "measured.")

st.header("Location and loading")
left, right = st.columns(2)
with left:
    statuses = search_ui.location_statuses(filters, version)
    if controlling:
        statuses = render.controlled_counts(statuses, ("searches",), totals_published=True).drop(columns="suppressed")
        statuses["searches"] = render.counts(statuses["searches"])
    render.table(statuses.rename(columns={"location_status": "Location", "searches": "Searches"}), hide_index=True,
                 width="stretch")
    st.caption("Norfolk searches are placed in districts by their published coordinates; a search without "
               "coordinates is 'Location not published'.")
with right:
    render.table(render.plain_names(search_ui.loads(version)), hide_index=True, width="stretch")
    reasons = search_ui.rejection_reasons(version)
    if controlling and len(reasons):
        count = next(c for c in reasons.columns if pd.api.types.is_integer_dtype(reasons[c]))
        reasons = render.controlled_counts(reasons, (count,), totals_published=True).drop(columns="suppressed")
        reasons[count] = render.counts(reasons[count])
    if len(reasons):
        render.table(render.plain_names(reasons), hide_index=True, width="stretch")
    else:
        st.caption("No row of the loaded files was rejected.")

with st.expander("How these figures are calculated"):
    st.markdown(
        "- **Source:** data.police.uk monthly stop-and-search files, loaded unchanged; the unit is the search.\n"
        "- **Ethnicity:** the self-defined string mapped to the 5 groups (crosswalk in "
        "`analytics/reference_data/codes/`), officer-defined as fallback; both are kept.\n"
        "- **Rates:** searches of children aged 10-17 per 1,000 children aged 10-17 of the group per year (÷ the "
        "period's days ÷ 365.25); exact Poisson "
        "limits below 10 searches, Byar's approximation from 10; ratio with the exact conditional interval.\n"
        "- **Outcome test:** searches with an outcome other than 'A no further action disposal' among searches "
        "with an outcome recorded; Wilson interval; ratio with the Koopman score interval.\n"
        f"- **Confidence level:** {conf}; p-values adjusted by Benjamini–Hochberg across each table's rows.\n"
        + "".join(f"- {note}\n" for note in (*find.notes,))
    )
