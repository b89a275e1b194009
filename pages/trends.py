"""Trends: monthly counts by group, rolling 12-month ratios with intervals, this month against last."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from analytics import charts, schema
from ui import cached, render
from ui.page import setup
from ui.slicers import Uses

page = setup("Trends", ":material/timeline:",
             "Is the gap growing or shrinking? Monthly counts by group and the ratio over each 12-month window.",
             uses=Uses(partly=(("dates", "the charts cover the date range; what changed and this year against last "
                                         "compare whole months up to its end, from earlier months if need be."),),
                       population_rates=True))
filters, version = page.filters, page.version

with st.spinner("Computing trends…"):
    series = cached.monthly_trends(filters, version)  # monthly counts and rolling ratios from one scan
    monthly, rolling = series.monthly, series.rolling

if monthly.empty:
    render.nothing_matches(filters)
    st.stop()

# Scrutiny: counts of 1-4 (and a month's second count where the month's total is known) as [c], left out of
# the lines; a window's ratio is left out where either of its counts is. No-op for roles with exact counts.
monthly = render.controlled_counts(monthly, ("value",), ("month",), totals_published=True)
rolling = render.controlled_counts(rolling, ("events", "reference_events"), derived=("ratio", "lower", "upper"))

unit = schema.COUNTING_UNITS[filters.counting_unit]
maturity = cached.outcome_maturity(filters, version)
offenders_in_view = not filters.roles or "offender" in filters.roles
monthly_figure = charts.monthly_lines(render.for_chart(monthly, ("value",)), f"{unit} per month by ethnic group", unit)
if offenders_in_view:  # a child becomes an offender when the case concludes: recent months still filling
    monthly_figure = charts.mark_incomplete(monthly_figure, maturity.first_incomplete_month, page.period[1],
                                            f"offenders still coming in (under {maturity.follow_up_days} days)")
render.chart(
    monthly_figure,
    "Counts, not rates: groups differ in size, so compare the shape over time, and the ratios below for fairness. "
    f"The dotted grey line is {render.counted(filters)} whose ethnicity was not stated."
    + (f" Shaded months are incomplete: offenders are recorded as cases conclude, and cases recorded after "
       f"{maturity.cutoff.isoformat()} have had less than the {maturity.follow_up_days}-day follow-up, so a low "
       "count there is not a fall." if offenders_in_view and maturity.first_incomplete_month else "")
    + render.suppressed_note(),
    key="trends-monthly",
)
rolling_figure = charts.ratio_band(render.for_chart(rolling, ("events", "reference_events")),
                                   f"Rolling 12-month ratio to {filters.reference_group} children",
                                   filters.reference_group, filters.confidence)
if offenders_in_view:
    rolling_figure = charts.mark_incomplete(rolling_figure, maturity.first_incomplete_month, page.period[1],
                                            "offenders still coming in")
render.chart(
    rolling_figure,
    "Each point covers the 12 months ending that month, so it moves smoothly; the shaded band is its confidence "
    "interval. Windows start once 12 months of data exist. Ratios compare groups over the same months, so they "
    "are per 1,000 children per year alike; windows ending in shaded months hold offenders still coming in."
    + render.suppressed_note(),
    key="trends-rolling",
)

last_month = pd.Timestamp(page.period[1]).to_period("M").to_timestamp().date()
st.header("What changed: the latest complete month against the month before and a year earlier")
changes = cached.what_changed(filters, version)
render.table(render.what_changed_display(changes), hide_index=True, width="stretch")
st.caption(render.what_changed_caption(changes, maturity))
comparison = cached.compare_years(filters, version, last_month)
comparison = dataclasses.replace(comparison, current=render.controlled(comparison.current),
                                 previous=render.controlled(comparison.previous))
st.header("This year against last")
joined = comparison.joined()
joined = joined[joined["group"].isin(schema.ETHNIC_GROUPS) & (joined["group"] != filters.reference_group)]
render.table(pd.DataFrame({
    "Group": joined["group"],
    comparison.current_label: joined["ratio"].round(2),
    "Interval (adjusted)": render.intervals(joined["ratio_lower"], joined["ratio_upper"]),
    comparison.previous_label: joined["ratio_previous"].round(2),
    "Verdict now": render.verdict_labels(joined["verdict"]),
}), hide_index=True, width="stretch", column_config={  # "1.40" beside "0.86", not "1.4"
    label: st.column_config.NumberColumn(format="%.2f")
    for label in (comparison.current_label, comparison.previous_label)})
st.caption("Ratios over 12 months, against the population of each group (rates per 1,000 children per year)."
           + (f" The latest 12 months include months from {maturity.first_incomplete_month:%B %Y}, incomplete for "
              "offenders (cases still concluding)." if offenders_in_view and maturity.first_incomplete_month else ""))

render.download(rolling, "rolling-12-month-ratios.csv",
                [f"Filters: {filters.describe(page.area_names)}",
                 "Exact conditional (binomial) interval for each window's rate ratio"],
                key="download-rolling")
