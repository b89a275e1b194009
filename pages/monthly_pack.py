"""Monthly pack: preview the pack for senior officers or the PCC's scrutiny panel and download it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from analytics import report
from analytics.filters import Filters
from ui import cached, render
from ui.page import setup

page = setup("Monthly pack", ":material/picture_as_pdf:",
             "The printable monthly pack: key findings in plain English, ratios with their uncertainty, districts, "
             "trends and ethnicity recording, for senior officers (exact counts) or the PCC's scrutiny panel "
             "(small numbers suppressed). The sidebar's filters apply; its date range only limits the months offered, "
             "since the pack always covers the 12 months to the chosen month.")


if cached.counts(page.filters, page.version, ("role",))["events"].sum() == 0:
    render.nothing_matches(page.filters)
    st.stop()

# The months offered are those in the sidebar's date range (all the data's months by default).
first_month, last_month = cached.store().month_range()
start = max(first_month, (page.filters.date_from or first_month).replace(day=1))
end = min(last_month, (page.filters.date_to or last_month).replace(day=1))
months = [m.date() for m in pd.date_range(start, end, freq="MS")][::-1]
left, right = st.columns([1, 2])
month = left.selectbox("Month", months, format_func=lambda m: f"{m:%B %Y}", key="pack_month")
audience = right.radio("Audience", tuple(report.AUDIENCES), format_func=report.AUDIENCE_LABELS.get, key="pack_audience",
                       horizontal=True)
filters = page.filters.replace(date_from=None, date_to=None)

with st.spinner("Building the pack…"):
    html_text, stem = cached.pack_html(filters, page.version, month, audience)

downloads = st.columns(2)
downloads[0].download_button("Download HTML", html_text.encode("utf-8"), file_name=f"{stem}.html", mime="text/html",
                             icon=":material/download:", on_click="ignore", width="stretch")
if report.find_chromium() is None:
    downloads[1].info("PDF unavailable: Chromium is not installed on this server. Open the HTML and print it, "
                      "or run `python -m analytics report` where Chromium is installed.")
elif downloads[1].button("Make the PDF", icon=":material/picture_as_pdf:", width="stretch"):
    with st.spinner("Printing the PDF with headless Chromium…"):
        pdf = cached.pack_pdf(filters, page.version, month, audience)
    if pdf is None:
        downloads[1].error("Chromium could not print the pack; the HTML download still works.")
    else:
        downloads[1].download_button("Download PDF", pdf, file_name=f"{stem}.pdf", mime="application/pdf",
                                     icon=":material/download:", on_click="ignore", width="stretch", type="primary")

if audience == "officers":
    st.warning("The officers' edition shows exact counts of children. It is not for publication; use the scrutiny "
               "edition for the PCC's panel.")
st.caption("Preview (as printed: A4, page numbers added in the PDF).")
components.html(html_text, height=1100, scrolling=True)
