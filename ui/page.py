"""The one call at the top of every page: configure, draw the navigation and the slicers, and hand
back what the page needs (store, filters, data version). See DESIGN.md section 2 on pages/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st

from analytics import access
from analytics.filters import Filters
from analytics.store import NoDataError
from ui import auth, cached, errors, sidebar, slicers, state

ROOT = Path(__file__).resolve().parents[1]

#: (path, label, icon): the navigation, in order. Paths are relative to the entry point.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("dashboard.py", "Overview", ":material/home:"),
    ("pages/attention.py", "What needs attention", ":material/notifications:"),
    ("pages/disproportionality.py", "Disproportionality", ":material/balance:"),
    ("pages/geography.py", "Geography", ":material/map:"),
    ("pages/crime_types.py", "Crime types and risk markers", ":material/category:"),
    ("pages/outcomes.py", "Outcomes and diversion", ":material/alt_route:"),
    ("pages/trends.py", "Trends", ":material/timeline:"),
    ("pages/data_quality.py", "Data quality", ":material/fact_check:"),
    ("pages/records.py", "Records", ":material/table_rows:"),
    ("pages/stop_search.py", "Stop and search", ":material/front_hand:"),
    ("pages/journeys.py", "Children's journeys", ":material/route:"),
    ("pages/monthly_pack.py", "Monthly pack", ":material/picture_as_pdf:"),
    ("pages/audit_log.py", "Audit log", ":material/history:"),
    ("pages/about.py", "About the data", ":material/info:"),
)


@dataclass(frozen=True)
class PageContext:
    filters: Filters
    version: str
    first: date | None
    last: date | None
    area_names: dict[str, str]

    @property
    def publication(self) -> dict:
        return cached.publication(self.version)

    @property
    def period(self) -> tuple[date, date]:
        """The period in view: the date slicers, else the data's first and last dates (a page with records)."""
        start, end = self.filters.date_from or self.first, self.filters.date_to or self.last
        if start is None or end is None:
            raise RuntimeError("no crime records: the page was set up with allow_no_records")
        return start, end


def setup(title: str, icon: str, intro: str = "", *, uses: slicers.Uses,
          allow_no_records: bool = False) -> PageContext:
    """Configure the page, check data is loaded, draw navigation and slicers, return the context.

    ``uses``: the sidebar slicers the page uses (issue 15, part 3: a slicer that does not apply is said so).
    ``allow_no_records``: the page works on a publication without crime records (e.g. searches only).
    """
    errors.install(title)  # an uncaught exception from here on: an error id for the user, the traceback logged
    # an emoji favicon: a ":material/…:" page icon makes the browser fetch its image from the internet
    st.set_page_config(page_title=f"{title} · Youth Disproportionality Monitor", page_icon="⚖️", layout="wide")
    # Access first (issue 6): nothing else is drawn for a user who may not see this page.
    identity = auth.identify()
    page = auth.caller_page()
    _navigation(identity)  # lists only the role's pages; shows who is signed in and the log-out button
    auth.require_page(identity, page, title, PAGES)
    auth.set_context(page, "", None)
    try:
        version = cached.store().data_version()
    except NoDataError as exc:
        st.title(title)
        st.error(f"{exc}. Load an extract with `python -m analytics load FILE --population FILE` "
                 "or build the sample with `make sample`.")
        st.stop()
    first, last = cached.period(version)
    area_names = cached.areas(version)
    if first is None:
        st.title(title)
        if not allow_no_records:
            st.info("No crime records are loaded in this publication yet. Load an extract with "
                    "`python -m analytics load FILE --population FILE`.")
            st.stop()
        auth.set_context(page, Filters().describe(), version)
        return PageContext(Filters(), version, None, None, area_names)
    sources = access.ethnicity_sources(identity.role)  # scrutiny: one (issue 14), whatever the link says
    values = state.current(first, last, tuple(area_names), sources)
    sidebar.draw(values, first, last, area_names, uses, sources)
    try:
        filters = state.to_filters(values)
    except ValueError as exc:
        st.warning(f"Filters reset: {exc}")
        state.reset(first, last)
        filters = state.to_filters(st.session_state[state.STATE_KEY])
    state.stash_link(dict(st.query_params))  # the page's own controls read their values from the link (issue 15)
    st.query_params.from_dict(state.to_query(st.session_state[state.STATE_KEY], first, last))
    auth.set_context(page, filters.describe(), version)
    st.title(f"{title}")
    if intro:
        st.markdown(intro)
    ignored = st.session_state.pop("yvdm_ignored_params", [])
    if ignored:
        st.warning(f"Ignored unknown link values: {', '.join(ignored)}")
    st.caption(f"**Filters:** {filters.describe(area_names)} · **Data version** {version}")
    slicers.page_notes(uses, st.session_state[state.STATE_KEY], first, last)
    return PageContext(filters, version, first, last, area_names)


def _navigation(identity: auth.Identity) -> None:
    with st.sidebar:
        st.markdown("#### Youth Disproportionality Monitor")
        auth.sidebar(identity)
        for path, label, icon in PAGES:
            # a page being developed is not linked until its file exists; a role sees only its own pages
            if (ROOT / path).exists() and access.can_open(identity.role, path):
                st.page_link(path, label=label, icon=icon)
        st.divider()
