"""Disproportionality: rates per 1,000 with intervals, crude and adjusted ratios, sensitivity to missing ethnicity."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import access, charts, schema
from ui import auth, cached, partners, render, state
from ui import detailed as detailed_view
from ui.page import setup
from ui.slicers import Uses

SPLITS = {None: "No split", "area": "District", "offence_group": "Offence group", "age_band": "Age band",
          "sex": "Sex", "month": "Month"}
STRATA = {"area": "District", "age_band": "Age band", "sex": "Sex"}

page = setup("Disproportionality", ":material/balance:",
             "Rates per 1,000 children of each group in the population per year, and how many times the reference "
             "group's rate each group's rate is, with confidence intervals.", uses=Uses(population_rates=True))
filters, version = page.filters, page.version

view = detailed_view.view_control(st)
if view == "detailed":  # the 5-group table of the same filters: what it hides stays hidden in the detailed one
    overall = cached.population_rates(filters, version)
    if overall.table["events"].sum() == 0:
        render.nothing_matches(filters)
        st.stop()
    detailed_view.section(page, render.controlled(overall))
    st.stop()

left, right = st.columns([1, 2])
split = left.selectbox("Split the table by", tuple(SPLITS), format_func=SPLITS.__getitem__, key="disp_split",
                      **state.from_link("disp_split", "split", tuple(SPLITS)))
strata = right.multiselect("Adjust for (Mantel–Haenszel)", tuple(STRATA), format_func=STRATA.__getitem__,
                           key="disp_strata",
                           help="Compares like with like within each combination of these, then pools.",
                           **state.from_link("disp_strata", "adjust", tuple(STRATA), multi=True, default=list(STRATA)))
state.to_link("split", split, None)  # the page's controls are kept in the URL beside the sidebar's
state.to_link("adjust", strata, list(STRATA))

with st.spinner("Computing rates and ratios…"):
    overall = cached.population_rates(filters, version)
    table = cached.population_rates(filters, version, split) if split else overall
    adjusted = cached.adjusted_ratios(filters, version, "rate", tuple(strata)) if strata else None

if overall.table["events"].sum() == 0:
    render.nothing_matches(filters)
    st.stop()

exact = auth.can(access.EXACT_COUNTS)
raw_overall = overall
# Scrutiny sees every figure (charts too) through disclosure control; no-op for roles with exact counts.
overall, table = render.controlled(overall), render.controlled(table)
if adjusted is not None and not exact:  # a ratio withheld from the table is not shown here either
    adjusted = adjusted[adjusted["group"].isin(access.shown_groups(overall))]

roles = " or ".join(filters.roles) if filters.roles else "victims, suspects or offenders"
render.chart(
    charts.rate_bars(overall.table[overall.table["group"] != schema.NOT_STATED],
                     f"{render.counted_as(filters, roles)} per 1,000 children per year"
                     + (f", {overall.period.label}" if overall.period else ""),
                     "per 1,000 children per year", filters.confidence),
    f"Each bar is the number of {render.counted(filters)} of the group recorded in the period per 1,000 "
    "children of that group living in the selected districts (Census 2021 based), divided by the period's years "
    "(days ÷ 365.25), so any period gives the same yearly scale. Error bars show the confidence interval.",
    key="disp-rates",
)
render.chart(
    charts.forest_plot(overall.table[~overall.table["is_reference"]], f"Ratio to {filters.reference_group} children",
                       filters.reference_group, filters.confidence, adjusted=adjusted),
    f"Circles: the crude ratio; diamonds: adjusted for {', '.join(STRATA[s].lower() for s in strata) or 'nothing'} "
    "(Mantel–Haenszel). If the two differ, part of the crude gap reflects where children live or their age.",
    key="disp-forest",
)

different = render.different_groups(overall)
if different:
    st.success(f"Higher or lower than the {filters.reference_group} rate after adjustment for every comparison of "
               f"the table: {', '.join(different)}.")
else:
    st.info(f"No clear difference from the {filters.reference_group} rate for any group after adjustment for "
            "every comparison of the table.")

if split:
    st.header(f"By {SPLITS[split].lower()}")
    split_table = table.table
    labelled = split_table.assign(label=split_table["split"].astype(str) + " · " + split_table["group"])
    if split == "area":
        labelled["label"] = labelled["split"].map(page.area_names).fillna(labelled["split"]) + " · " + labelled["group"]
    if split != "month":
        render.chart(
            charts.forest_plot(render.compared(labelled),
                               f"Ratio to {filters.reference_group} by {SPLITS[split].lower()}",
                               filters.reference_group, filters.confidence, label_column="label"),
            f"Verdicts and intervals: {table.metadata()['multiple_comparisons']}.", key="disp-split-forest",
        )
st.header("The table")
render.ratio_table(table, key=f"disproportionality-{split or 'all'}")
render.method_note(table)

if adjusted is not None and len(adjusted):
    st.header("Crude and adjusted ratios")
    render.adjusted_table(adjusted)

others = [g for g in schema.ETHNIC_GROUPS if g != filters.reference_group]  # partner overlay (issue 17)
partner_default = others.index("Black") if "Black" in others else 0
partner_group = st.selectbox("Group for the partner overlay", others, key="disp_partner_group",
                             **state.from_link("disp_partner_group", "partner_group", others, index=partner_default))
state.to_link("partner_group", partner_group, others[partner_default])
police_title = f"Police: {roles} ({render.counted(filters)} per 1,000 children per year)"
partners.overlay_section(page, overall.table, police_title, partner_group,
                         filters.areas, key="disp-partners")

st.header("Sensitivity to missing ethnicity")
if not exact:
    st.info("Not shown to the scrutiny role: these bounds are worked from exact counts of children.")
    st.stop()
bounds = cached.missing_ethnicity_bounds(filters, version)
missing = raw_overall.table[raw_overall.table["group"] == schema.NOT_STATED].iloc[0]
st.markdown(f"Ethnicity was not stated for **{int(missing['events']):,}** of {int(missing['denominator']):,} "
            f"{render.counted(filters)} counted ({missing['rate']:.1f} %). Each ratio could lie anywhere between the "
            "last two columns, depending on the ethnic groups they would have been recorded in.")
if len(bounds):
    render.table(pd.DataFrame({
        "Group": bounds["group"],
        "Ratio (not stated shared out in proportion)": bounds["if_proportional"].round(2),
        "If all not stated were this group": bounds["if_all_to_group"].round(2),
        f"If all not stated were {filters.reference_group}": bounds["if_all_to_reference"].round(2),
    }), hide_index=True, width="stretch")
