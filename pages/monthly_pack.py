"""Monthly pack: preview the pack for senior officers or the PCC's scrutiny panel and download it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import access, report
from ui import auth, cached, render, state
from ui.page import setup
from ui.slicers import Uses

page = setup("Monthly pack", ":material/picture_as_pdf:",
             "The printable monthly pack: key findings in plain English, ratios with their uncertainty, districts, "
             "trends and ethnicity recording, for senior officers (exact counts) or the PCC's scrutiny panel "
             "(small numbers suppressed). The sidebar's filters apply; its date range only limits the months offered, "
             "since the pack always covers the 12 months to the chosen month.",
             uses=Uses(partly=(("dates", "only limits the months offered: the pack covers the 12 months to the "
                                         "chosen month."),), population_rates=True))


if cached.counts(page.filters, page.version, ("role",))["events"].sum() == 0:
    render.nothing_matches(page.filters)
    st.stop()

# The months offered are those in the sidebar's date range (all the data's months by default).
first_month, last_month = cached.month_range(page.version)
if first_month is None or last_month is None:  # no crime records (setup has said so)
    st.stop()
start = max(first_month, (page.filters.date_from or first_month).replace(day=1))
end = min(last_month, (page.filters.date_to or last_month).replace(day=1))
months = [m.date() for m in pd.date_range(start, end, freq="MS")][::-1]
left, right = st.columns([1, 2])
month = left.selectbox("Month", months, format_func=lambda m: f"{m:%B %Y}", key="pack_month",
                      **state.from_link("pack_month", "month", months, token=state.month_token))
state.to_link("month", month, months[0], token=state.month_token)
# A role sees only the editions it may have (scrutiny: the disclosure-controlled one), checked again below.
audiences = access.pack_audiences(auth.current().role)
# The publishable scrutiny edition is the default: the officers' edition is chosen on purpose, never by accident.
default = audiences.index(report.DEFAULT_AUDIENCE) if report.DEFAULT_AUDIENCE in audiences else 0
audience = right.radio("Audience", audiences, format_func=report.AUDIENCE_LABELS.get, key="pack_audience",
                       horizontal=True, **state.from_link("pack_audience", "audience", audiences, index=default))
state.to_link("audience", audience, audiences[default])  # kept in the URL beside the sidebar's slicers
if audience not in audiences:
    st.error("Your role cannot produce this edition of the pack.")
    st.stop()
filters = page.filters.replace(date_from=None, date_to=None)
edition_source = access.edition_source(audience, filters.ethnicity_source)
if edition_source != filters.ethnicity_source:
    st.info(f"The scrutiny edition is under one ethnicity source: {access.ONE_SOURCE_NOTE}")
    filters = filters.replace(ethnicity_source=edition_source)

with st.spinner("Building the pack…"):
    html_text, stem = cached.pack_html(filters, page.version, month, audience)

downloads = st.columns(2)
pack_permission = access.PACK_PERMISSION[audience]
render.download_file("Download HTML", html_text.encode("utf-8"), f"{stem}.html", "text/html", "pack-html", kind="html",
                     permission=pack_permission, action="pack", container=downloads[0], width="stretch")
if not cached.pdf_available():
    downloads[1].info("PDF unavailable: Chromium is not installed on this server. Open the HTML and print it, "
                      "or run `python -m analytics report` where Chromium is installed.")
elif downloads[1].button("Make the PDF", icon=":material/picture_as_pdf:", width="stretch"):
    with st.spinner("Printing the PDF with headless Chromium…"):
        pdf = cached.pack_pdf(filters, page.version, month, audience)
    if pdf is None:
        downloads[1].error("Chromium could not print the pack; the HTML download still works.")
    else:
        render.download_file("Download PDF", pdf, f"{stem}.pdf", "application/pdf", "pack-pdf", kind="pdf",
                             permission=pack_permission, action="pack", container=downloads[1], width="stretch",
                             type="primary")

if audience == "officers":
    st.warning("OFFICIAL-SENSITIVE. The officers' edition shows exact counts of children and is marked so on every "
               "page. It is not for publication; use the scrutiny edition for the PCC's panel.")
st.caption("Preview (as printed: A4, page numbers added in the PDF).")
st.iframe(html_text, height=1100)  # the pack is our own HTML, built from the analytics, never user input
