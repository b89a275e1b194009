"""Cached analytics: every function is keyed on the filters and the data version, so a slicer change
recomputes only what depends on it and a new publication is picked up without a restart."""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import disparity, geography, quality, report, schema, trends
from analytics.config import load_settings
from analytics.filters import Filters
from analytics.store import Store

CACHE = {"max_entries": 512, "show_spinner": False}


@st.cache_resource
def store() -> Store:
    """One read-only store per server (it hands each query its own cursor)."""
    return Store(load_settings().database)


@st.cache_data(**CACHE)
def population_rates(filters: Filters, version: str, split: str | None = None) -> disparity.DisparityTable:
    return disparity.population_rates(store(), filters, split)


@st.cache_data(**CACHE)
def decision_ratios(filters: Filters, version: str, outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,),
                    split: str | None = None) -> disparity.DisparityTable:
    return disparity.decision_ratios(store(), filters, outcome_codes, split)


@st.cache_data(**CACHE)
def adjusted_ratios(filters: Filters, version: str, measure: str, strata: tuple[str, ...],
                    outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,)):
    return disparity.adjusted_ratios(store(), filters, measure, strata, outcome_codes)


@st.cache_data(**CACHE)
def marker_rates(filters: Filters, version: str) -> disparity.DisparityTable:
    return disparity.marker_rates(store(), filters)


@st.cache_data(**CACHE)
def counts(filters: Filters, version: str, dims: tuple[str, ...]):
    return store().counts(filters, dims)


@st.cache_data(**CACHE)
def monthly_counts(filters: Filters, version: str):
    return trends.monthly_counts(store(), filters)


@st.cache_data(**CACHE)
def rolling_ratios(filters: Filters, version: str):
    return trends.rolling_ratios(store(), filters)


@st.cache_data(**CACHE)
def compare_years(filters: Filters, version: str, end_month: date):
    return trends.compare_years(store(), filters, end_month)


@st.cache_data(**CACHE)
def month_on_month(filters: Filters, version: str, month: date):
    return trends.month_on_month(store(), filters, month)


@st.cache_data(**CACHE)
def outcome_mix(filters: Filters, version: str):
    return store().outcome_mix(filters)


@st.cache_data(**CACHE)
def completeness(filters: Filters, version: str, dims: tuple[str, ...]):
    return quality.completeness(store(), filters, dims)


@st.cache_data(**CACHE)
def agreement(filters: Filters, version: str):
    return quality.agreement(store(), filters)


@st.cache_data(**CACHE)
def load_report(version: str):
    return quality.load_report(store())


@st.cache_data(**CACHE)
def district_values(filters: Filters, version: str, group: str, value: str):
    return geography.district_values(store(), filters, group, value)


@st.cache_data(**CACHE)
def rate_funnel(filters: Filters, version: str, group: str | None):
    return geography.rate_funnel(store(), filters, group)


@st.cache_data(**CACHE)
def share_funnel(filters: Filters, version: str, outcome_codes: tuple[str, ...]):
    return geography.share_funnel(store(), filters, outcome_codes)


@st.cache_data(**CACHE)
def records(filters: Filters, version: str, limit: int):
    return store().records(filters, limit)


@st.cache_data(**CACHE)
def publication(version: str) -> dict:
    return store().publication()


@st.cache_data(**CACHE)
def areas(version: str) -> dict[str, str]:
    frame = store().areas()
    return dict(zip(frame["area_code"], frame["area_name"], strict=True))


@st.cache_data(**CACHE)
def period(version: str):
    return store().period()


@st.cache_data(**CACHE)
def definitions(version: str) -> dict:
    return store().definitions()


@st.cache_data(max_entries=16, show_spinner=False)
def pack_html(filters: Filters, version: str, month: date, audience: str) -> tuple[str, str]:
    """The monthly pack's HTML and file stem for the month and audience."""
    pack = report.build_pack(store(), month, audience, filters)
    return pack.html, pack.file_stem


@st.cache_data(max_entries=8, show_spinner=False)
def pack_pdf(filters: Filters, version: str, month: date, audience: str) -> bytes | None:
    """The monthly pack as PDF (None when Chromium is not installed)."""
    pack = report.build_pack(store(), month, audience, filters)
    return report.pdf_bytes(pack)
