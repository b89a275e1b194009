"""Trends: monthly counts by group, rolling 12-month ratios with intervals, this month against last."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, schema
from ui import cached, render
from ui.page import setup

page = setup("Trends", ":material/timeline:",
             "Is the gap growing or shrinking? Monthly counts by group and the ratio over each 12-month window.")
filters, version = page.filters, page.version

with st.spinner("Computing trends…"):
    series = cached.monthly_trends(filters, version)  # monthly counts and rolling ratios from one scan
    monthly, rolling = series.monthly, series.rolling

if monthly.empty:
    render.nothing_matches(filters)
    st.stop()

unit = schema.COUNTING_UNITS[filters.counting_unit]
render.chart(
    charts.monthly_lines(monthly, f"{unit} per month by ethnic group", unit),
    "Counts, not rates: groups differ in size, so compare the shape over time, and the ratios below for fairness. "
    "The dotted grey line is children whose ethnicity was not stated.",
    key="trends-monthly",
)
render.chart(
    charts.ratio_band(rolling, f"Rolling 12-month ratio to {filters.reference_group} children",
                      filters.reference_group, filters.confidence),
    "Each point covers the 12 months ending that month, so it moves smoothly; the shaded band is its confidence "
    "interval. Windows start once 12 months of data exist.",
    key="trends-rolling",
)

last_month = pd.Timestamp(page.period[1]).to_period("M").to_timestamp().date()
st.subheader(f"{last_month:%B %Y} against the month before")
changes = cached.month_on_month(filters, version, last_month)
changes["role"] = changes["role"].str.capitalize()
st.dataframe(changes.rename(columns={"role": "Role", "this_month": f"{last_month:%b %Y}",
                                     "previous_month": "Previous month", "change": "Change"}),
             hide_index=True, width="stretch")
comparison = cached.compare_years(filters, version, last_month)
st.subheader("This year against last")
joined = comparison.joined()
joined = joined[joined["group"].isin(schema.ETHNIC_GROUPS) & (joined["group"] != filters.reference_group)]
st.dataframe(pd.DataFrame({
    "Group": joined["group"],
    comparison.current_label: joined["ratio"].round(2),
    "Interval (adjusted)": render.intervals(joined["ratio_lower"], joined["ratio_upper"]),
    comparison.previous_label: joined["ratio_previous"].round(2),
    "Verdict now": render.verdict_labels(joined["verdict"]),
}), hide_index=True, width="stretch")
st.caption("Ratios over 12 months, against the population of each group.")

render.download(rolling, "rolling-12-month-ratios.csv",
                [f"Filters: {filters.describe()}",
                 "Exact conditional (binomial) interval for each window's rate ratio"],
                key="download-rolling")
