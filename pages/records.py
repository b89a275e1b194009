"""Records: the filtered pseudonymised records, for analysts, with a CSV download."""

from __future__ import annotations

import streamlit as st

from analytics import access
from ui import cached, render
from ui.page import setup
from ui.slicers import Uses

SHOWN = 5_000
DOWNLOAD_LIMIT = 1_000_000

page = setup("Records", ":material/table_rows:",
             "The pseudonymised records behind the figures, for analysts checking a number. No names, dates of birth "
             "or addresses are held; person and crime identifiers are keyed hashes.",
             uses=Uses(("counting_unit", "reference_group", "confidence")))
filters, version = page.filters, page.version

with st.spinner("Fetching records…"):
    matching = cached.record_count(filters, version)
    rows = cached.records(filters, version, SHOWN)

if matching == 0:
    render.nothing_matches(filters)
    st.stop()

st.markdown(f"**{matching:,}** records match"
            + (f" (the download holds the newest {DOWNLOAD_LIMIT:,})" if matching > DOWNLOAD_LIMIT else "")
            + f"; the newest {min(SHOWN, matching):,} are shown.")
render.table(render.records_display(rows, page.area_names), hide_index=True, width="stretch",
             missing=f"{render.MISSING}: not in the record (no outcome yet while the investigation is open; no MSOA or "
                     "offence code supplied).")
notes = [f"Filters: {filters.describe(page.area_names)}", f"Data version {version}",
         "Record-level data for analysts only: do not publish.", *render.disclosure_rules("analyst")]
render.download_file(
    "Download CSV", lambda: cached.records_csv(filters, DOWNLOAD_LIMIT, notes),
    "records.csv", "text/csv", key="download-records", kind="csv", permission=access.RECORDS,
    rows=min(matching, DOWNLOAD_LIMIT),
)
