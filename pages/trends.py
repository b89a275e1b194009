"""Trends: monthly counts by group, rolling 12-month ratios with intervals, this month against last."""

from __future__ import annotations

import dataclasses

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

# Scrutiny: counts of 1-4 (and a month's second count where the month's total is known) as [c], left out of
# the lines; a window's ratio is left out where either of its counts is. No-op for roles with exact counts.
monthly = render.controlled_counts(monthly, ("value",), ("month",), totals_published=True)
rolling = render.controlled_counts(rolling, ("events", "reference_events"), derived=("ratio", "lower", "upper"))

unit = schema.COUNTING_UNITS[filters.counting_unit]
render.chart(
    charts.monthly_lines(render.for_chart(monthly, ("value",)), f"{unit} per month by ethnic group", unit),
    "Counts, not rates: groups differ in size, so compare the shape over time, and the ratios below for fairness. "
    "The dotted grey line is children whose ethnicity was not stated." + render.suppressed_note(),
    key="trends-monthly",
)
render.chart(
    charts.ratio_band(render.for_chart(rolling, ("events", "reference_events")),
                      f"Rolling 12-month ratio to {filters.reference_group} children", filters.reference_group,
                      filters.confidence),
    "Each point covers the 12 months ending that month, so it moves smoothly; the shaded band is its confidence "
    "interval. Windows start once 12 months of data exist." + render.suppressed_note(),
    key="trends-rolling",
)

last_month = pd.Timestamp(page.period[1]).to_period("M").to_timestamp().date()
st.subheader(f"{last_month:%B %Y} against the month before")
changes = render.controlled_counts(cached.month_on_month(filters, version, last_month),
                                  ("this_month", "previous_month"), totals_published=True, derived=("change",))
changes["role"] = changes["role"].str.capitalize()
changes["change"] = changes["change"].map(lambda c: "–" if pd.isna(c) else f"{int(c):+,}")
changes = changes.drop(columns="suppressed", errors="ignore").assign(
    this_month=lambda f: render.counts(f["this_month"]),
    previous_month=lambda f: render.counts(f["previous_month"]))
st.dataframe(changes.rename(columns={"role": "Role", "this_month": f"{last_month:%b %Y}",
                                     "previous_month": "Previous month", "change": "Change"}),
             hide_index=True, width="stretch")
comparison = cached.compare_years(filters, version, last_month)
comparison = dataclasses.replace(comparison, current=render.controlled(comparison.current),
                                 previous=render.controlled(comparison.previous))
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
