"""About the data: definitions in force, methods, denominators and their source, suppression rules, attribution."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import geography, schema
from analytics.filters import format_confidence
from ui import cached, render
from ui.page import setup
from ui.slicers import Uses

page = setup("About the data", ":material/info:", "What every number means and where it comes from.",
             uses=Uses.only("counting_unit", "reference_group", "ethnicity_source", "confidence"))
filters, version = page.filters, page.version
meta, definitions = page.publication, cached.definitions(version)

st.header("Definitions in force")
st.markdown(
    f"- **Serious youth violence:** {definitions['serious_youth_violence']}\n"
    f"- **Counting unit:** {schema.COUNTING_UNITS[filters.counting_unit]} (change it in the sidebar). A child "
    "involved several times counts once per table row; records count every involvement.\n"
    f"- **Reference group:** {filters.reference_group}.\n"
    f"- **Confidence level:** {format_confidence(filters.confidence)} (95 % or 99.8 %).\n"
    f"- **Ethnicity:** {schema.ETHNICITY_SOURCES[filters.ethnicity_source]}. {definitions['person_group_rule']} "
    "Officer-defined ethnicity has no code for Mixed. The other sources (self-defined only, officer-defined only, "
    "self-defined then officer-defined) are sensitivity choices for analysts and officers; the scrutiny audience "
    "sees the default only, since tables under two sources subtract to counts of children with an officer-defined "
    "code only (the dashboard, downloads, the command line and the scrutiny pack alike).\n"
    f"- **Age bands:** {', '.join(schema.AGE_BANDS)} (age at the offence). "
    "Records aged 18 or over are excluded and counted.\n"
    f"- **Ethnicity recording target:** {schema.ETHNICITY_COMPLETENESS_TARGET:.0%} "
    "of records with self-defined ethnicity."
)

st.header("Measures and methods")
st.markdown(
    "- **Rate per 1,000 children per year:** children (or records) of a group in the period ÷ children of that group "
    "in the population ÷ the period's years (days ÷ 365.25) × 1,000, so a 46-month view and a 12-month pack are on "
    "the same yearly scale, comparable with national annual figures; the period is stated beside every rate. "
    "Counting children, a child recorded in several years counts once in a longer period. Intervals: exact "
    "Poisson (Garwood) below 10 events, Byar's approximation from 10 (the UK public-health convention), on the "
    "count divided by the person-years.\n"
    "- **Disproportionality ratio:** a group's rate ÷ the reference group's rate, from unrounded rates (Home Office / "
    "Race Disparity Unit convention). Interval: exact conditional (binomial) method.\n"
    "- **Decision-point ratio (outcomes):** among concluded records of a role, the share ending in the chosen outcome "
    "(outcome 22 by default) for a group ÷ the reference group's share (the 'relative rate index' practice). "
    "Intervals: Wilson score for shares, Koopman score for their ratio.\n"
    "- **Adjusted ratio:** Mantel–Haenszel across strata (district, age band, sex for rates; offence group and age "
    "band for outcomes) with Greenland–Robins variance, beside the crude ratio, with a homogeneity test.\n"
    "- **Verdicts:** every comparison is *higher*, *no clear difference*, *lower* or *not estimable*, decided once "
    "for its table: Benjamini–Hochberg over every comparison computed for the table (all splits, before any small "
    "ratio is withheld for display), q = 1 − confidence. The interval shown beside it is adjusted to match "
    "(Benjamini–Yekutieli false-coverage-rate intervals): it excludes 1 exactly when the verdict is higher or lower. "
    "The unadjusted interval is kept beside it, labelled. Every chart, table, map, sentence, export and the pack use "
    "this verdict.\n"
    "- **Funnel plots:** districts against the force average with 95 % and 99.8 % limits (Spiegelhalter 2005): exact "
    "Poisson limits for rates, normal limits for shares.\n"
    "- **Missing ethnicity:** every table keeps 'Not stated' as its own row; the sensitivity range shows each ratio "
    "if the not-stated children were all of the group or all of the reference group."
)

st.header("Denominators")
st.markdown(
    f"Population: **{meta['population_source']}**. The sample population is modelled from real Census 2021 tables "
    "(TS007 single year of age, TS021 ethnic group, ONS ethnic group by age and sex for England and Wales): the "
    "district's child totals by age band, split by the district's ethnic mix adjusted by each group's national share "
    "of children, and by sex. It is not an official table; replace it with your force's own (for example nomis RM032) "
    "with `python -m analytics load FILE --population POPULATION.csv`."
)
population = cached.population_counts(filters.replace(areas=(), age_bands=(), sexes=()), version, ("area",))
st.dataframe(
    population.pivot_table(index="area", columns="ethnic_group", values="population", aggfunc="sum")
    .rename(index=page.area_names).reindex(columns=list(schema.ETHNIC_GROUPS))
    .rename_axis(index="District", columns=None),
    width="stretch",
)

st.header("Disclosure control")
for audience in ("analyst", "scrutiny"):
    st.markdown(f"**{audience.capitalize()} view**")
    st.markdown("\n".join(f"- {rule}" for rule in render.disclosure_rules(audience)))

st.header("Code lists")
left, right = st.columns(2)
left.dataframe(pd.DataFrame([(c, label, group) for c, (label, group) in schema.SELF_DEFINED_ETHNICITY.items()],
                            columns=["Self-defined code", "Label", "Group"]), hide_index=True, width="stretch")
right.dataframe(pd.DataFrame([(c, label, schema.outcome_group(c)) for c, label in schema.OUTCOME_CODES.items()],
                             columns=["Outcome", "Label", "Outcome group"]), hide_index=True, width="stretch")

st.header("This publication")
st.markdown(
    f"- Data version **{version}**, loaded {meta['loaded_at']} from `{meta['source_file']}` "
    f"(SHA-256 `{meta['source_sha256'][:16]}…`).\n"
    f"- Rows read {meta['rows_read']:,} = loaded {meta['loaded']:,} + rejected {meta['rejected']:,} + excluded "
    f"{meta['excluded']:,}.\n"
    f"- Maps: {geography.ATTRIBUTION}"
)
