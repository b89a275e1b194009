"""Audit log: every export and pack generation, newest first (analysts only; see analytics.access)."""

from __future__ import annotations

import streamlit as st

from ui import auth
from ui.page import setup
from ui.slicers import NONE

SHOWN = 2_000

setup("Audit log", ":material/history:",
      "Every download from this dashboard and every monthly pack generated here or with `python -m analytics report`: "
      "who, with which role, when, what, with which filters and from which data version. The log is append-only "
      "and tamper-evident: each entry is chained to the one before with a key kept outside the log, and the last "
      "entry is anchored in a separate file. It is not affected by the sidebar's filters.", uses=NONE)

log = auth.audit_view(SHOWN)
(st.success if log.intact else st.error)(f"{log.summary}. Stored in `{log.path}`.")
entries = log.entries
if entries.empty:
    if log.intact:
        st.info("Nothing has been exported yet.")
else:
    st.dataframe(entries.rename(columns={"at": "When (UTC)", "data_version": "Data version", "query": "Query (JSON)"}),
                 hide_index=True, width="stretch")
    st.caption(f"The newest {min(SHOWN, len(entries)):,} records.")
