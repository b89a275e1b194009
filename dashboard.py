"""Overview: the entry point and home page of the Youth Violence Disproportionality Monitor."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from analytics import charts, schema
from ui import cached, findings, render
from ui.page import PAGES, setup
from ui.slicers import Uses

page = setup("Overview", ":material/home:",
             "Are children of some ethnic groups over-represented as victims, suspects and offenders of youth "
             "violence in the selected period, and are outcomes such as outcome 22 applied fairly?",
             uses=Uses(partly=(
                 ("dates", "the main findings always cover the 12 months to the last month in view."),
                 ("roles", "the counts and headline ratios show every role side by side; the outcome 22 section "
                           "uses the chosen role (suspects when none is chosen)."),
                 ("outcome_codes", "narrows the counts and headline ratios; the outcome 22 shares always count "
                                   "every concluded outcome (the decision-point ratio)."),
                 ("counting_unit", "the outcome 22 shares count records: one decision per child per crime."),
             ), population_rates=True))
filters, version = page.filters, page.version
meta = page.publication
period_from, period_to = page.period
loaded_at = datetime.fromisoformat(str(meta["loaded_at"]))  # '2 December 2026, 08:27 UTC', not ISO 8601
st.markdown(f"**Period:** {period_from:%d %B %Y} to {period_to:%d %B %Y} · **Loaded** "
            f"{loaded_at:%d %B %Y, %H:%M} {loaded_at.tzname() or ''} "
            f"from `{meta['source_file']}` · {meta['loaded']:,} records ({meta['rejected']:,} rejected, "
            f"{meta['excluded']:,} aged 18+ excluded)")

# Main findings first (issue 15): the pack's findings in plain words, and what needs attention.
findings.main_findings(filters, version, period_to)
if render.audience() == "scrutiny":  # the scrutiny home: the findings and a way into every page it may open
    findings.page_links(PAGES)
    st.stop()
st.header("Counts and ratios for the selected period")

with st.spinner("Computing the overview…"):
    roles = cached.rates_by_role(filters, version)  # one scan for the three roles' tables and counts
    by_role, tables = roles.counts, roles.tables
    outcome = cached.decision_ratios(filters, version)
    completeness = cached.completeness(filters.replace(roles=()), version, ("role",)).set_index("role")

if by_role.sum() == 0:
    render.nothing_matches(filters)
    st.stop()

unit = schema.COUNTING_UNITS[filters.counting_unit]
columns = st.columns(4)
for column, role in zip(columns, schema.ROLES, strict=False):
    count = int(by_role.get(role, 0))
    share = completeness["self_share"].get(role, float("nan"))
    column.metric(render.counted_as(filters, f"{role}s").replace("Children recorded", unit), f"{count:,}",
                  help=f"Self-defined ethnicity stated on {share:.0%} of {role} records" if pd.notna(share) else None)
overall = cached.completeness(filters.replace(roles=()), version, ())
columns[3].metric("Self-defined ethnicity", f"{overall['self_share'].iloc[0]:.0%}",
                  help=f"Share of records with self-defined ethnicity recorded. Any ethnicity (self- or "
                       f"officer-defined): {overall['any_share'].iloc[0]:.0%}; "
                       f"target {schema.ETHNICITY_COMPLETENESS_TARGET:.0%}")

st.header(f"Headline ratios: each group against {filters.reference_group} children")
combined = pd.concat(
    [t.table.assign(role=role.capitalize(), label=f"{role.capitalize()} · " + t.table["group"])
     for role, t in tables.items()],
    ignore_index=True,
)
render.chart(
    charts.forest_plot(render.compared(combined),
                       "Rate ratio by role and ethnic group", filters.reference_group, filters.confidence,
                       label_column="label"),
    f"Each point is how many times as likely children of a group were to be recorded in that role as "
    f"{filters.reference_group} children, per 1,000 children in the population per year. Each role's verdicts come "
    "from its table, adjusted for every comparison in it; the bars are the matching adjusted intervals. Hollow points "
    "rest on fewer than 10 events.",
    key="headline-forest",
)
headline = []
for role, table in tables.items():
    for row in table.table.itertuples():
        if row.is_reference or row.group == schema.NOT_STATED:
            continue
        headline.append({
            "Role": schema.ROLE_NAMES[role], "Group": row.group, unit: row.events,
            "Rate per 1,000 per year": round(row.rate, 2), "Ratio": round(row.ratio, 2),
            "Interval (adjusted)": render.interval(row.ratio_lower, row.ratio_upper),
            "Verdict": render.verdict_label(row.verdict), "Reliability": row.reliability,
        })
render.table(pd.DataFrame(headline), hide_index=True, width="stretch", height=38 + 35 * len(headline))

st.header("Outcome 22 by group")
render.chart(
    charts.rate_bars(outcome.table, "Share of concluded suspect records ending in outcome 22", "%",
                     filters.confidence),
    "Outcome 22: diversionary, educational or intervention activity instead of prosecution. A lower share "
    "for a group means its children were less often diverted. Open investigations are excluded.",
    key="overview-outcome22",
)
st.header("What changed")
last_month = pd.Timestamp(period_to).to_period("M").to_timestamp().date()
changes = cached.what_changed(filters, version)  # equally mature months, with the test of change and its verdict
st.markdown(f"**The latest complete month against the month before and a year earlier** ({unit.lower()})")
render.table(render.what_changed_display(changes), hide_index=True, width="stretch")
st.caption(render.what_changed_caption(changes, cached.outcome_maturity(filters, version)))
comparison = cached.compare_years(filters.replace(roles=("suspect",)), version, last_month)
joined = comparison.joined()
joined = joined[joined["group"].isin(schema.ETHNIC_GROUPS) & (joined["group"] != filters.reference_group)]
st.markdown(f"**Suspect ratios: {comparison.current_label} against {comparison.previous_label}**")
render.table(pd.DataFrame({
    "Group": joined["group"],
    "Ratio now": joined["ratio"].round(2),
    "Interval now": render.intervals(joined["ratio_lower"], joined["ratio_upper"]),
    "Ratio a year earlier": joined["ratio_previous"].round(2),
    "Verdict now": render.verdict_labels(joined["verdict"]),
}), hide_index=True, width="stretch")

st.caption(f"Data version {version}. Population: {meta['population_source']}. "
           "See *About the data* for definitions and methods.")
