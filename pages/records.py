"""Records: the filtered pseudonymised records, for analysts, with a CSV download."""

from __future__ import annotations

import streamlit as st

from analytics import suppression
from ui import cached, render
from ui.page import setup

SHOWN = 5_000
DOWNLOAD_LIMIT = 1_000_000

page = setup("Records", ":material/table_rows:",
             "The pseudonymised records behind the figures, for analysts checking a number. No names, dates of birth "
             "or addresses are held; person and crime identifiers are keyed hashes.")
filters, version = page.filters, page.version

with st.spinner("Fetching records…"):
    rows = cached.records(filters, version, DOWNLOAD_LIMIT)

if rows.empty:
    render.nothing_matches(filters)
    st.stop()

st.markdown(f"**{len(rows):,}** records match"
            + (f" (the download holds the first {DOWNLOAD_LIMIT:,})" if len(rows) >= DOWNLOAD_LIMIT else "")
            + f"; the newest {min(SHOWN, len(rows)):,} are shown.")
st.dataframe(rows.head(SHOWN), hide_index=True, width="stretch",
             column_config={"recorded_date": st.column_config.DateColumn("Recorded", format="DD/MM/YYYY"),
                            "outcome_date": st.column_config.DateColumn("Outcome date", format="DD/MM/YYYY")})
render.download(rows, "records.csv",
                [f"Filters: {filters.describe()}", f"Data version {version}",
                 "Record-level data for analysts only: do not publish.", *suppression.rules_text("analyst")],
                key="download-records")
