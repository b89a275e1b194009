"""Cached analytics: every function is keyed on the filters and the data version, so a slicer change
recomputes only what depends on it and a new publication is picked up without a restart.

Every function is also keyed on whether this session's role sees perturbed counts (the scrutiny audience,
issue 14): inside such a call ``store()`` is ``Store.perturbed()``, so every count, ratio, interval and
chart the page builds from it is computed from Cell Key Method perturbed counts, and no cached exact result
is ever served to the scrutiny role.
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar
from datetime import date

import pandas as pd
import streamlit as st

from analytics import access, change, detailed, disparity, exports, geography, periods, quality, report, schema, trends
from analytics.config import load_settings
from analytics.filters import Filters
from analytics.store import Store
from ui import auth

#: True inside a cached call made for a role without exact counts (see the module docstring).
_PERTURBING: ContextVar[bool] = ContextVar("perturbing", default=False)


class StalePublication(Exception):
    """A load published a new database after the page read its data version."""


@st.cache_resource
def shared_store() -> Store:
    """One read-only store per server (it hands each query its own cursor)."""
    return Store(load_settings().database)


def store() -> Store:
    """The server's store; perturbed (``Store.perturbed()``) inside a cached call for the scrutiny role."""
    base = shared_store()
    return base.perturbed() if _PERTURBING.get() else base


def perturbing() -> bool:
    """Whether this session's role sees perturbed counts (every role without exact counts)."""
    return not auth.can(access.EXACT_COUNTS)


def analytics_cache(max_entries: int = 512):
    """``st.cache_data`` keyed on the arguments (which include ``version``), computed inside one
    publication: every query of one result reads the same file (``Store.snapshot``), and a result is
    only cached under the version it was computed from; if a load has just published, the page reruns."""

    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def in_one_publication(perturbed: bool, *args, **kwargs):  # ``perturbed`` is part of the cache key
            version = signature.bind(*args, **kwargs).arguments["version"]
            token = _PERTURBING.set(perturbed)
            try:
                with store().snapshot():
                    if store().data_version() != version:
                        raise StalePublication(version)
                    return function(*args, **kwargs)
            finally:
                _PERTURBING.reset(token)

        cached = st.cache_data(max_entries=max_entries, show_spinner=False)(in_one_publication)

        @functools.wraps(function)
        def call(*args, **kwargs):
            try:
                return cached(_PERTURBING.get() or perturbing(), *args, **kwargs)
            except StalePublication:
                st.rerun()

        call.clear = cached.clear  # type: ignore[attr-defined]  # a function attribute, as on st.cache_data's
        return call

    return decorate


@analytics_cache()
def population_rates(filters: Filters, version: str, split: str | None = None) -> disparity.DisparityTable:
    return disparity.population_rates(store(), filters, split)


@analytics_cache()
def detailed_rates(filters: Filters, version: str, reference: str) -> detailed.DetailedTable | None:
    return detailed.detailed_rates(store(), filters, reference)


@analytics_cache()
def rates_by_role(filters: Filters, version: str) -> disparity.RoleRates:
    return disparity.rates_by_role(store(), filters)


def configured_decision_denominator() -> str:
    """The decision-point denominator in force (``decision_denominator`` in monitor.toml, else live)."""
    return load_settings().decision_denominator


@analytics_cache()
def decision_ratios(filters: Filters, version: str, outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,),
                    split: str | None = None,
                    denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> disparity.DisparityTable:
    return disparity.decision_ratios(store(), filters, outcome_codes, split, denominator)


@analytics_cache()
def adjusted_ratios(filters: Filters, version: str, measure: str, strata: tuple[str, ...],
                    outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,),
                    denominator: str = schema.DEFAULT_DECISION_DENOMINATOR):
    # the crude column is the page's own (cached) table, not computed a second time
    crude = (population_rates(filters, version) if measure == "rate"
             else decision_ratios(filters, version, outcome_codes, denominator=denominator))
    return disparity.adjusted_ratios(store(), filters, measure, strata, outcome_codes, crude=crude,
                                     denominator=denominator)


@analytics_cache()
def missing_ethnicity_bounds(filters: Filters, version: str) -> pd.DataFrame:
    """Each ratio of ``population_rates(filters, version)`` if the not-stated children were shared out in
    proportion, all of the group, or all of the reference group."""
    return disparity.missing_ethnicity_bounds(population_rates(filters, version))


@analytics_cache()
def marker_rates(filters: Filters, version: str) -> disparity.DisparityTable:
    return disparity.marker_rates(store(), filters)


@analytics_cache()
def counts(filters: Filters, version: str, dims: tuple[str, ...]):
    return store().counts(filters, dims)


@analytics_cache()
def population_counts(filters: Filters, version: str, dims: tuple[str, ...]) -> pd.DataFrame:
    return store().population_counts(filters, dims)


@analytics_cache()
def monthly_counts(filters: Filters, version: str):
    return trends.monthly_counts(store(), filters)


@analytics_cache()
def rolling_ratios(filters: Filters, version: str):
    return trends.rolling_ratios(store(), filters)


@analytics_cache()
def rolling_outcome_shares(filters: Filters, version: str, outcome_codes: tuple[str, ...],
                           denominator: str = schema.DEFAULT_DECISION_DENOMINATOR):
    return trends.rolling_outcome_shares(store(), filters, outcome_codes, denominator=denominator)


@analytics_cache()
def monthly_trends(filters: Filters, version: str) -> trends.MonthlyTrends:
    return trends.monthly_trends(store(), filters)


@analytics_cache()
def compare_years(filters: Filters, version: str, end_month: date):
    return trends.compare_years(store(), filters, end_month)


@analytics_cache()
def month_on_month(filters: Filters, version: str, month: date):
    return trends.month_on_month(store(), filters, month)


@analytics_cache()
def what_changed(filters: Filters, version: str):
    return change.what_changed(store(), filters)


@analytics_cache()
def outcome_maturity(filters: Filters, version: str):
    return periods.outcome_maturity(store(), filters)


@analytics_cache()
def outcome_mix(filters: Filters, version: str):
    return store().outcome_mix(filters)


@analytics_cache()
def completeness(filters: Filters, version: str, dims: tuple[str, ...]):
    return quality.completeness(store(), filters, dims)


@analytics_cache()
def concordance(filters: Filters, version: str) -> pd.DataFrame:
    """The self/officer concordance the default ethnicity estimate uses for ``filters``."""
    return disparity.concordance_table(store(), filters)


@analytics_cache()
def agreement(filters: Filters, version: str):
    return quality.agreement(store(), filters)


@analytics_cache()
def load_report(version: str):
    return quality.load_report(store())


def _area_table(filters: Filters, version: str) -> disparity.DisparityTable:
    """The rates by district, through disclosure control for the scrutiny audience (inside a perturbing call)."""
    table = population_rates(filters, version, "area")
    return access.controlled_table(table, access.SCRUTINY) if _PERTURBING.get() else table


@analytics_cache()
def district_values(filters: Filters, version: str, group: str, value: str):
    # the map and the funnel share one table by district (computed once per filter, not per chart)
    return geography.district_values(store(), filters, group, value, table=_area_table(filters, version))


@analytics_cache()
def rate_funnel(filters: Filters, version: str, group: str | None) -> geography.Funnel | None:
    """The districts' rates against the force rate; for scrutiny without the districts whose count the districts
    table hides (None: no funnel can be shown)."""
    funnel = geography.rate_funnel(store(), filters, group, table=population_rates(filters, version, "area"))
    if not _PERTURBING.get():
        return funnel
    table = _area_table(filters, version).table
    rows = table[table["group"] == group] if group else table
    return geography.controlled_funnel(funnel, set(rows.loc[rows["suppressed"], "split"]))


@analytics_cache()
def share_funnel(filters: Filters, version: str, outcome_codes: tuple[str, ...],
                 denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> geography.Funnel | None:
    funnel = geography.share_funnel(store(), filters, outcome_codes, denominator)
    return geography.controlled_funnel(funnel) if _PERTURBING.get() else funnel


def boundaries() -> dict:
    """The district boundaries (GeoJSON) the maps draw, read once per process."""
    return geography.load_boundaries()


@analytics_cache()
def records(filters: Filters, version: str, limit: int):
    return store().records(filters, limit)


@analytics_cache()
def record_count(filters: Filters, version: str) -> int:
    return store().record_count(filters)


def records_csv(filters: Filters, limit: int, notes: list[str]) -> bytes:
    """The newest ``limit`` filtered records as CSV with ``notes``: the download, made when it is clicked
    (never cached: it may hold a million rows)."""
    return exports.csv_bytes(store().records(filters, limit), notes)


@analytics_cache()
def publication(version: str) -> dict:
    return store().publication()


@analytics_cache()
def areas(version: str) -> dict[str, str]:
    frame = store().areas()
    return dict(zip(frame["area_code"], frame["area_name"], strict=True))


@analytics_cache()
def period(version: str):
    return store().period()


@analytics_cache()
def month_range(version: str) -> tuple[date | None, date | None]:
    """The first and last months with crime records (None, None without records)."""
    return store().month_range()


@analytics_cache()
def definitions(version: str) -> dict:
    return store().definitions()


@analytics_cache(max_entries=16)
def pack_data(filters: Filters, version: str, month: date, audience: str) -> report.PackData:
    """The monthly pack's data for the month and audience: computed once, for the Overview's main findings, the
    Monthly pack page's HTML and its PDF alike."""
    return report.build_data(store(), month, audience, filters)


@analytics_cache(max_entries=16)
def pack_html(filters: Filters, version: str, month: date, audience: str) -> tuple[str, str]:
    """The monthly pack's HTML and file stem for the month and audience."""
    pack = report.Pack.from_data(pack_data(filters, version, month, audience))
    return pack.html, pack.file_stem


@analytics_cache(max_entries=16)
def main_findings(filters: Filters, version: str, month: date, audience: str) -> tuple[report.VerdictList, ...]:
    """The pack's key findings in plain words (the same generator and disclosure control as the pack) for the
    12 months to ``month``, grouped by verdict."""
    return report.plain_findings(pack_data(filters, version, month, audience))


def pdf_available() -> bool:
    """Whether this server has a headless Chromium to print the pack with."""
    return report.find_chromium() is not None


@analytics_cache(max_entries=8)
def pack_pdf(filters: Filters, version: str, month: date, audience: str) -> bytes | None:
    """The monthly pack as PDF (None when Chromium is not installed)."""
    return report.pdf_bytes(report.Pack.from_data(pack_data(filters, version, month, audience)))
