"""Streamlit side of the stop-and-search page (issue 8): page setup, its own slicers, cached queries.

The page has its own filters (months, age range, object of search, legislation, type of search,
district), drawn in the page body, because searches are not crime records and the sidebar's slicers do
not apply to them. They are kept in ``st.session_state`` under a key no widget owns, so they survive
moving between pages.
"""

from __future__ import annotations

import calendar
from datetime import date

import pandas as pd
import streamlit as st

from analytics import searches, suppression
from analytics.filters import Filters
from analytics.store import SearchOptions, SearchStore
from ui import cached, state

STATE_KEY = "yvdm_search_filters"  # not a widget key: survives page changes
PREFIX = "search_slicer_"


@cached.analytics_cache(max_entries=256)
def available(version: str) -> bool:
    return SearchStore(cached.store()).available()


@cached.analytics_cache(max_entries=256)
def options(version: str) -> SearchOptions:
    return SearchStore(cached.store()).options()


@cached.analytics_cache(max_entries=256)
def ratios(filters: searches.SearchFilters, version: str, measure: str, split: str | None = None,
           linked: bool = False) -> searches.SearchTable:
    return searches.ratios(SearchStore(cached.store()), filters, measure, split, linked=linked)


@cached.analytics_cache(max_entries=256)
def monthly_counts(filters: searches.SearchFilters, version: str) -> pd.DataFrame:
    return searches.monthly_counts(SearchStore(cached.store()), filters)


@cached.analytics_cache(max_entries=256)
def age_range_counts(filters: searches.SearchFilters, version: str) -> pd.DataFrame:
    return searches.age_range_counts(SearchStore(cached.store()), filters)


def searches_of(ages: pd.DataFrame, age_range: str) -> str:
    """Searches of children in ``age_range`` from :func:`age_range_counts` as shown ('0' when there are none;
    ``[c]`` where disclosure control hides it)."""
    value = ages["Total"].get(age_range, 0)
    return value if isinstance(value, str) else f"{int(value):,}"


def controlled_ages(ages: pd.DataFrame, controlling: bool) -> pd.DataFrame:
    """The age-range table (with its ``Total`` column) for scrutiny: ``[c]`` for 1-4, each row a line with its total."""
    return suppression.suppress_table(ages, col_total="Total") if controlling else ages


def share_text(part: int, whole: int, controlling: bool) -> str:
    """``part`` as a share of ``whole`` ('21%'), or '–' for scrutiny when the part or the rest is 1-4."""
    if controlling and suppression.primary_mask(pd.Series([part, whole - part])).any():
        return "–"
    return f"{part / whole:.0%}"


def controlled_cells(table: pd.DataFrame, controlling: bool) -> pd.DataFrame:
    """A small table of counts with ``[c]`` for 1-4 for scrutiny (no total is shown with it)."""
    return table.astype(object).mask(suppression.primary_mask(table.astype(int)), suppression.SUPPRESSED) \
        if controlling else table


def count_text(count: int, controlling: bool) -> str:
    """A count as shown: ``[c]`` from 1 to 4 for the scrutiny audience (``controlling``)."""
    return suppression.SUPPRESSED if controlling and suppression.primary_mask(count) else f"{count:,}"


@cached.analytics_cache(max_entries=256)
def agreement(filters: searches.SearchFilters, version: str):
    return searches.agreement(SearchStore(cached.store()), filters)


@cached.analytics_cache(max_entries=256)
def group_sources(filters: searches.SearchFilters, version: str) -> pd.DataFrame:
    return SearchStore(cached.store()).group_sources(filters)


@cached.analytics_cache(max_entries=256)
def location_statuses(filters: searches.SearchFilters, version: str) -> pd.DataFrame:
    return SearchStore(cached.store()).location_statuses(filters)


@cached.analytics_cache(max_entries=256)
def loads(version: str) -> pd.DataFrame:
    return SearchStore(cached.store()).loads()


@cached.analytics_cache(max_entries=256)
def rejection_reasons(version: str) -> pd.DataFrame:
    return SearchStore(cached.store()).rejection_reasons()


@cached.analytics_cache(max_entries=256)
def counts(filters: searches.SearchFilters, version: str) -> pd.DataFrame:
    return SearchStore(cached.store()).counts(filters, (), searches.NO_FURTHER_ACTION, searches.OFFENSIVE_WEAPONS)


# --------------------------------------------------------------------------------------------
# Slicers
# --------------------------------------------------------------------------------------------
def _months(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _restore(name: str, default, allowed=None):
    """Put the remembered value (or the default) back into the widget's key before it is drawn."""
    key = PREFIX + name
    remembered = st.session_state.get(STATE_KEY, {}).get(name, default)
    if allowed is not None:
        if isinstance(remembered, list):
            remembered = [v for v in remembered if v in allowed]
        elif remembered not in allowed:
            remembered = default
    if key not in st.session_state:
        st.session_state[key] = remembered
    return key


#: The page's slicers in the URL (issue 15, part 9), beside the sidebar's.
LINK_PARAMS = {"months": "ss_months", "forces": "ss_force", "age_ranges": "ss_age", "objects": "ss_object",
               "legislations": "ss_legislation", "types": "ss_type", "areas": "ss_area"}


def _from_link(name: str, allowed, **token) -> None:
    """Before a slicer is drawn: its value from the link when the widget has none yet (unknown values reported)."""
    state.from_link(PREFIX + name, LINK_PARAMS[name], tuple(allowed), multi=True, **token)


def _to_link(name: str, value, default, **token) -> None:
    state.to_link(LINK_PARAMS[name], list(value), list(default), **token)


def _remember(names: list[str]) -> None:
    st.session_state[STATE_KEY] = {n: st.session_state.get(PREFIX + n) for n in names}


def filter_panel(present: dict, area_names: dict[str, str], definitions: Filters) -> searches.SearchFilters:
    """Draw the page's own slicers (in the page body) and return the filters they stand for. The
    definitions (reference group, confidence level, ethnicity source) come from the sidebar, as on
    every page."""
    panel = st.expander("Stop-and-search filters (this page only)", expanded=True)
    left, middle, right = panel.columns(3)
    months = _months(present["first"], present["last"])
    names = []
    if len(months) > 1:
        _from_link("months", months, token=state.month_token)
        key = _restore("months", (months[0], months[-1]))
        value = st.session_state[key]
        if isinstance(value, list) and len(value) in (1, 2):  # from a link: one month, or the first and the last
            value = st.session_state[key] = (value[0], value[-1])
        if not (isinstance(value, tuple | list) and len(value) == 2 and all(v in months for v in value)):
            st.session_state[key] = (months[0], months[-1])
        left.select_slider("Months", options=months, key=key, format_func=lambda d: f"{d:%b %Y}")
        names.append("months")
        start, end = st.session_state[key]
        _to_link("months", (start, end), (months[0], months[-1]), token=state.month_token)
    else:
        start = end = months[0]
    forces = present["forces"]
    chosen_forces: list[str] = []
    if len(forces) > 1:
        _from_link("forces", forces)
        chosen_forces = left.multiselect("Force", forces, key=_restore("forces", [], forces),
                                         format_func=lambda f: f.replace("-", " ").title())
        names.append("forces")
    for name, allowed in (("age_ranges", searches.AGE_RANGES), ("objects", present["objects"]),
                          ("legislations", present["legislations"]), ("types", present["types"]),
                          ("areas", present["areas"])):
        _from_link(name, allowed)
    age_ranges = left.multiselect("Age range", list(searches.AGE_RANGES),
                                  key=_restore("age_ranges", [searches.CHILD], searches.AGE_RANGES),
                                  help="Rates per 1,000 children per year need 10-17 alone; 'under 10' is shown "
                                       "separately.")
    objects = middle.multiselect("Object of search", present["objects"],
                                 key=_restore("objects", [], present["objects"]))
    legislations = middle.multiselect("Legislation", present["legislations"],
                                    key=_restore("legislations", [], present["legislations"]))
    types = middle.multiselect("Type of search", present["types"], key=_restore("types", [], present["types"]))
    areas = right.multiselect("District / location", present["areas"], key=_restore("areas", [], present["areas"]),
                             format_func=lambda a: area_names.get(a, a))
    names += ["age_ranges", "objects", "legislations", "types", "areas"]
    _remember(names)
    for name, value, default in (("forces", chosen_forces, []), ("age_ranges", age_ranges, [searches.CHILD]),
                                 ("objects", objects, []), ("legislations", legislations, []), ("types", types, []),
                                 ("areas", areas, [])):
        _to_link(name, value, default)
    return searches.SearchFilters(
        date_from=start, date_to=end.replace(day=calendar.monthrange(end.year, end.month)[1]),
        forces=tuple(chosen_forces), age_ranges=tuple(age_ranges), objects=tuple(objects),
        legislations=tuple(legislations), types=tuple(types), areas=tuple(areas),
        reference_group=definitions.reference_group, confidence=definitions.confidence,
        ethnicity_source=definitions.ethnicity_source,
    )


def area_names(version: str) -> dict[str, str]:
    try:
        return cached.areas(version)
    except Exception:  # noqa: BLE001 - a publication without districts simply has no names
        return {}
