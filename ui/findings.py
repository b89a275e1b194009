"""Main findings first (issue 15): the pack's key findings in plain words at the top of the Overview, a "What needs
attention" strip linking to the page behind each finding, and the scrutiny role's home.

The sentences come from the same generator as the monthly pack (``analytics.narrative.plain_sentence`` through
``report.plain_findings``) with the same disclosure control for the role's audience, so the Overview, the pack and
the scrutiny home never say different things about the same comparison.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import access, report
from analytics.filters import Filters
from ui import auth, cached

#: The page behind each kind of finding.
FINDING_PAGES = {"role": ("pages/disproportionality.py", "Disproportionality"),
                 "outcome22": ("pages/outcomes.py", "Outcomes and diversion"),
                 "district": ("pages/geography.py", "Geography"),
                 "marker": ("pages/crime_types.py", "Crime types and risk markers")}
ATTENTION = ("higher", "lower")
#: The word leading each sentence of a verdict's list ("Too few to compare" read "**Too.**" when cut at a space).
VERDICT_WORDS = {"higher": "Higher", "lower": "Lower", "similar": "Similar", "not estimable": "Too few to compare",
                 "withheld": "Withheld"}
VERDICT_ICONS = {"higher": ":material/arrow_upward:", "lower": ":material/arrow_downward:",
                 "similar": ":material/drag_handle:", "not estimable": ":material/help:",
                 "withheld": ":material/lock:"}


def pack_audience(role: str | None) -> str:
    """The pack edition whose findings this role reads: officers' for exact-count roles, else scrutiny."""
    return "officers" if access.can(role, access.PACK_OFFICERS) else "scrutiny"


def main_findings(filters: Filters, version: str, last: date) -> None:
    """The findings for the 12 months to the last month in view, grouped by verdict, with the attention strip."""
    month = last.replace(day=1)
    role = auth.current().role
    try:
        groups = cached.main_findings(filters.replace(date_from=None, date_to=None), version, month,
                                      pack_audience(role))
    except ValueError as exc:  # e.g. a month outside the data
        st.info(f"Main findings are not available for this selection: {exc}.")
        return
    st.header(f"Main findings: the 12 months to {month:%B %Y}")
    attention_strip(groups, role)
    for group in groups:
        with st.expander(f"{group.heading} ({len(group.sentences)})", expanded=group.verdict in ATTENTION,
                         icon=VERDICT_ICONS.get(group.verdict)):
            word = VERDICT_WORDS.get(group.verdict, group.heading)
            st.markdown("\n".join(f"- **{word}.** {text}" for text in group.sentences))
    st.caption("The same findings, in the same words, as the monthly pack. Higher or lower: the difference holds "
               "after allowing for every comparison made (the interval shown is adjusted to match); similar: any "
               "difference could be chance. Methods: *About the data* and the pack's annex.")


def attention_strip(groups: tuple[report.VerdictList, ...], role: str | None) -> None:
    """What needs attention: each kind of higher or lower finding, counted, with a link to the page behind it."""
    counts: dict[str, int] = {}
    for group in groups:
        if group.verdict in ATTENTION:
            for kind in group.kinds:
                counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        st.success("Nothing needs attention: no group's figure is clearly higher or lower than the reference group's.")
        return
    st.markdown("**What needs attention**")
    for kind, n in counts.items():  # one link a line: side by side, the links' labels were cut short
        path, label = FINDING_PAGES[kind]
        text = f"{n} finding{'s' if n != 1 else ''} higher or lower: {label}"
        if access.can_open(role, path):
            st.page_link(path, label=text, icon=":material/priority_high:")
        else:
            st.markdown(text)


def page_links(pages: tuple[tuple[str, str, str], ...]) -> None:
    """Links to every page this session's role may open (the scrutiny home)."""
    role = auth.current().role
    st.markdown("**Explore the figures**")
    columns = st.columns(3)
    shown = [(p, label, icon) for p, label, icon in pages if p != "dashboard.py" and access.can_open(role, p)]
    for index, (path, label, icon) in enumerate(shown):
        columns[index % 3].page_link(path, label=label, icon=icon)
