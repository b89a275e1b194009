"""What needs attention: this month's statistically gated alerts and watches (issue 16)."""

from __future__ import annotations

import streamlit as st

from ui import attention
from ui.page import setup
from ui.slicers import NONE

page = setup("What needs attention", ":material/notifications:",
             "Where has a rate, a ratio or an outcome share started to move this month, beyond what its own history "
             "explains? Every series of role × district × ethnic group is checked each month with control charts "
             "(NHS England's *Making Data Count* rules) and an exact test against its baseline. The alerts always "
             "cover the whole grid, whatever the sidebar's filters say.", uses=NONE)

latest = attention.alert_run(page.version)
months = attention.months(latest, latest.settings)
chosen = st.selectbox("Month", months, format_func=lambda m: f"{m:%B %Y}", key="attention-month")
level = st.radio("Show", ("alerts and watches", "alerts only"), horizontal=True, key="attention-level")
with st.spinner("Checking every series…"):
    run = attention.alert_run(page.version, chosen)
attention.draw(run, "alert" if level == "alerts only" else None)
