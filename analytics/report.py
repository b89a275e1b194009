"""The monthly pack for senior officers and PCC scrutiny: one self-contained HTML file, and a PDF.

``build_pack(store, month, audience, filters)`` computes every figure with the same analytics functions
and the same ``Filters`` the dashboard uses (the 12 months to ``month`` set as the date range), applies
disclosure control for the scrutiny audience (:mod:`analytics.suppression`), writes the key findings in
plain English (:mod:`analytics.narrative`) and renders an HTML document. ``write_pack`` saves it and
prints it to PDF with headless Chromium (A4, page numbers in the page margin; charts and tables are
never split across pages). Without Chromium only the HTML is written and ``write_pack`` says why.

Charts are the project's own plotly figures (:mod:`analytics.charts`), drawn by plotly.js embedded
once, inline, in the HTML, so the file opens offline. Each figure's JSON sits in a
``<script type="application/json" class="figure-data">`` block, which is also what the tests read.

Disclosure control (scrutiny): every count shown comes from a table passed through
:func:`suppression.apply_to_ratio_table` (or :func:`suppression.suppress_table`): counts from 1 to 4
are ``[c]``, complementary cells and totals are suppressed so no ``[c]`` can be recovered, rates and
ratios of suppressed rows are blanked, and the charts and sentences are built from those suppressed
tables only. Rates and ratios from fewer than 10 events carry a dagger (†) for every audience.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics import charts, disparity, geography, narrative, quality, schema, searches, suppression, trends
from analytics.cli import UsageError
from analytics.filters import Filters, format_confidence
from analytics.config import load_settings
from analytics.store import SearchStore, Store

AUDIENCES = {"officers": "officer", "scrutiny": "scrutiny"}
AUDIENCE_LABELS = {
    "officers": "Senior officers (exact counts; not for publication)",
    "scrutiny": "Police and Crime Commissioner's scrutiny panel (disclosure-controlled)",
}
DEFAULT_AUDIENCE = "scrutiny"
DEFAULT_OUT = Path("reports")
FOCUS_ROLE = "suspect"
MARKERS = ("knife_crime", "cce")
DAGGER = "†"
DASH = "–"
CHART_WIDTH = 660
CHROMIUM_ENV = "MONITOR_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT = 180
ROLE_PLURAL = {"victim": "victims", "suspect": "suspects", "offender": "offenders"}
LOG_TICKS = {0.1: "0.1", 0.2: "0.2", 0.3: "0.3", 0.5: "0.5", 0.7: "0.7", 1: "1.0", 1.5: "1.5", 2: "2.0", 3: "3.0",
             5: "5.0", 7: "7.0", 10: "10", 20: "20", 50: "50"}
SEVERITY = {"reliable": 0, "unreliable": 1, "withheld": 2, "suppressed": 3}


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def parse_month(text: str) -> date:
    """``YYYY-MM`` -> the first day of that month; ``UsageError`` otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"--month must be a month in YYYY-MM form, e.g. 2026-10 (got {str(text)[:20]!r})")
    return date(int(match.group(1)), int(match.group(2)), 1)


def check_month(store: Store, month: date) -> tuple[date, date]:
    """The data's first and last months; ``UsageError`` if ``month`` is outside them."""
    first, last = store.month_range()
    if first is None or last is None:
        raise UsageError("the database holds no records")
    if not first <= month <= last:
        raise UsageError(f"no data for {month:%B %Y}: the data cover {first:%B %Y} to {last:%B %Y}")
    return first, last


def force_name(store: Store) -> str:
    """The force the data are for: ``force_name`` in the configuration, else inferred from the districts."""
    configured = load_settings().force_name
    if configured:
        return configured
    codes = set(store.areas()["area_code"])
    if codes and codes <= set(schema.KNOWN_AREA_NAMES):
        return "Norfolk Constabulary"
    return "Police force area"


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------
def esc(text) -> str:
    return html.escape(str(text), quote=True)


def count_text(value) -> str:
    """A count as published: ``[c]`` stays, numbers get thousands separators."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{int(value):,}"


def num(value, digits: int = 2) -> str:
    if value is None or pd.isna(value):
        return DASH
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}"


def interval(low, high, digits: int = 2) -> str:
    if low is None or pd.isna(low):
        return DASH
    return f"{num(low, digits)} to {num(high, digits)}"


def worst(*labels: str) -> str:
    return max((label for label in labels if isinstance(label, str)), key=lambda x: SEVERITY.get(x, 0),
               default="reliable")


def mark(reliability: str) -> str:
    return f" {DAGGER}" if reliability == "unreliable" else ""


def significance_text(value) -> str:
    if value is None or pd.isna(value):
        return DASH
    return "Yes" if bool(value) else "No"


def month_label(month: date) -> str:
    return f"{month:%B %Y}"


# --------------------------------------------------------------------------------------------
# The pack's data
# --------------------------------------------------------------------------------------------
@dataclass
class ChartSpec:
    key: str
    title: str
    figure: go.Figure
    caption: str


@dataclass
class Pack:
    """Everything the pack shows, before and after disclosure control, and the rendered HTML."""

    month: date
    audience: str
    filters: Filters  # the 12-month filters (as the dashboard with that date range)
    base_filters: Filters
    version: str
    force: str
    period_from: date
    period_to: date
    raw: dict = field(default_factory=dict)  # analytics results, exactly as the dashboard computes them
    published: dict = field(default_factory=dict)  # disclosure-controlled tables
    findings: list = field(default_factory=list)
    charts: list = field(default_factory=list)
    html: str = ""

    @property
    def file_stem(self) -> str:
        return f"youth-disproportionality-{self.month:%Y-%m}"

    @property
    def period_label(self) -> str:
        return f"12 months to {self.month:%B %Y}"

    @property
    def suppressing(self) -> bool:
        return suppression.audience_applies_suppression(AUDIENCES[self.audience])


def pack_filters(filters: Filters, month: date) -> Filters:
    """The dashboard's filters with the date range set to the 12 months to ``month``."""
    (start, end), _ = trends.twelve_month_windows(month)
    return filters.replace(date_from=start, date_to=end)


def _controlled(table: pd.DataFrame, pack: Pack, **options) -> pd.DataFrame:
    """``apply_to_ratio_table`` for the pack's audience, with the stricter reliability of the two."""
    out = suppression.apply_to_ratio_table(table, AUDIENCES[pack.audience],
                                           reference_group=pack.filters.reference_group, **options)
    if "reliability" in table.columns:
        out["reliability"] = [worst(a, b) for a, b in zip(table["reliability"], out["reliability"], strict=True)]
    return out


def build_pack(store: Store, month: date, audience: str = DEFAULT_AUDIENCE, filters: Filters | None = None) -> Pack:
    """Compute, control and render the pack for ``month`` (a date in the month) and ``audience``."""
    if audience not in AUDIENCES:
        raise UsageError(f"unknown audience {audience!r} (expected one of {', '.join(AUDIENCES)})")
    month = month.replace(day=1)
    check_month(store, month)
    base = (filters or Filters()).replace(date_from=None, date_to=None)
    store.check_areas(base.areas)
    f12 = pack_filters(base, month)
    pack = Pack(month=month, audience=audience, filters=f12, base_filters=base, version=store.data_version(),
                force=force_name(store), period_from=f12.date_from, period_to=f12.date_to)
    pack.raw["publication"] = store.publication()
    pack.raw["data_months"] = store.month_range()
    _roles(store, pack)
    _outcome22(store, pack)
    _districts(store, pack)
    _markers(store, pack)
    _trends(store, pack)
    _quality(store, pack)
    _searches(store, pack)
    _findings(pack)
    _build_charts(pack)
    pack.html = render_html(pack)
    return pack


def roles_shown(filters: Filters) -> tuple[str, ...]:
    return filters.roles or schema.ROLES


def _roles(store: Store, pack: Pack) -> None:
    pack.raw["roles"], pack.raw["roles_previous"], pack.published["roles"] = {}, {}, {}
    for role in roles_shown(pack.filters):
        comparison = trends.compare_years(store, pack.base_filters.replace(roles=(role,)), pack.month)
        pack.raw["roles"][role] = comparison.current
        pack.raw["roles_previous"][role] = comparison.previous
        pack.published["roles"][role] = _controlled(comparison.current.table, pack)


def _decision_filters(pack: Pack) -> Filters:
    return pack.filters if pack.filters.roles else pack.filters.replace(roles=(FOCUS_ROLE,))


def _outcome22(store: Store, pack: Pack) -> None:
    decision = _decision_filters(pack)
    crude = disparity.decision_ratios(store, decision, (schema.OUTCOME_22,))
    adjusted = disparity.adjusted_ratios(store, decision, "outcome", disparity.DECISION_STRATA, (schema.OUTCOME_22,))
    pack.raw["outcome22"], pack.raw["outcome22_adjusted"] = crude, adjusted
    pack.published["outcome22"] = _controlled(crude.table, pack, denominator_is_count=True)


def _focus_group(pack: Pack) -> str:
    """The group the district map shows: the focus role's most significant ratio, else the first group."""
    table = pack.raw["roles"].get(FOCUS_ROLE, next(iter(pack.raw["roles"].values()))).table
    candidates = table[table["p_value"].notna() & ~table["is_reference"]]
    if len(candidates):
        return str(candidates.sort_values("p_value").iloc[0]["group"])
    others = [g for g in schema.ETHNIC_GROUPS if g != pack.filters.reference_group]
    return "Black" if "Black" in others else others[0]


def _district_role(pack: Pack) -> str:
    roles = roles_shown(pack.filters)
    return FOCUS_ROLE if FOCUS_ROLE in roles else roles[0]


def _districts(store: Store, pack: Pack) -> None:
    role = _district_role(pack)
    filters = pack.filters.replace(roles=(role,))
    table = disparity.population_rates(store, filters, split="area")
    pack.raw["districts"] = table
    pack.raw["district_role"] = role
    pack.raw["focus_group"] = focus = _focus_group(pack)
    pack.raw["district_values"] = geography.district_values(store, filters, focus, "ratio", table=table)
    pack.raw["rate_funnel"] = geography.rate_funnel(store, filters, None, table=table)
    pack.raw["area_names"] = store.areas().set_index("area_code")["area_name"].to_dict()
    # Disclosure control over the district x stated-group grid, whose row totals the funnel publishes.
    stated = table.table[table.table["group"].isin(schema.ETHNIC_GROUPS)].reset_index(drop=True)
    pack.published["districts"] = _controlled(stated, pack)


def _markers(store: Store, pack: Pack) -> None:
    pack.raw["markers"], pack.published["markers"] = {}, {}
    labels = [schema.RISK_MARKER_LABELS[m] for m in MARKERS]
    for role in [r for r in ("suspect", "victim") if r in roles_shown(pack.filters)]:
        result = disparity.marker_rates(store, pack.filters.replace(roles=(role,)))
        pack.raw["markers"][role] = result
        chosen = result.table[result.table["split"].isin(labels)].reset_index(drop=True)
        pack.published["markers"][role] = _controlled(chosen, pack, across_splits=False)


def _searches(store: Store, pack: Pack) -> None:
    """Stop and search of children in the pack's 12 months (data.police.uk files), if any are loaded."""
    pack.raw["searches"], pack.published["searches"] = {}, {}
    search_store = SearchStore(store)
    if not search_store.available():
        return
    pack.raw["search_forces"] = tuple(search_store.options().get("forces", ()))
    filters = searches.SearchFilters(date_from=pack.period_from, date_to=pack.period_to,
                                     reference_group=pack.filters.reference_group, confidence=pack.filters.confidence)
    if int(searches.monthly_counts(search_store, filters)["value"].sum()) == 0:
        return  # no searches of children in these 12 months: the section says so
    for measure in ("rate", "find"):
        try:
            result = searches.ratios(search_store, filters, measure)
        except ValueError:  # e.g. no population for the searched force: the section says so
            continue
        pack.raw["searches"][measure] = result
        pack.published["searches"][measure] = _controlled(result.table, pack, denominator_is_count=measure == "find")


def _trends(store: Store, pack: Pack) -> None:
    role = _district_role(pack)
    filters = pack.base_filters.replace(roles=(role,), date_to=pack.period_to)
    rolling = trends.rolling_ratios(store, filters)
    pack.raw["rolling"] = rolling
    shown = rolling.copy()
    # Ratios from fewer than 5 events are not shown (every audience); a ratio with the population
    # known would reveal a small count.
    basis = np.minimum(shown["events"], shown["reference_events"]) if len(shown) else shown["events"]
    shown = shown[basis >= schema.WITHHOLD_RATIO_BELOW].copy()
    shown["reliability"] = [suppression.reliability(int(n)) for n in np.minimum(shown["events"], shown["reference_events"])]
    pack.published["rolling"] = shown


def _quality(store: Store, pack: Pack) -> None:
    base = pack.base_filters.replace(roles=())
    previous = trends.months_back(pack.month, 1)
    by_month = {}
    for label, start in (("this", pack.month), ("previous", previous)):
        by_month[label] = quality.completeness(store, base.replace(date_from=start, date_to=trends.month_end(start)), ("role",))
    pack.raw["completeness"] = by_month
    pack.raw["completeness_all"] = {
        label: quality.completeness(store, base.replace(date_from=start, date_to=trends.month_end(start)), ())
        for label, start in (("this", pack.month), ("previous", previous))
    }
    pack.raw["completeness_monthly"] = quality.completeness(
        store, base.replace(date_from=trends.months_back(pack.month, 23), date_to=pack.period_to), ("month",))
    pack.raw["agreement"] = quality.agreement(store, pack.filters.replace(roles=()))
    pack.raw["month_on_month"] = trends.month_on_month(store, pack.base_filters, pack.month)
    published = {}
    for label, frame in by_month.items():
        grid = pd.DataFrame(index=[*schema.ROLES, "All roles"], columns=["Stated", "Not stated", "Records"], dtype="int64")
        part = frame.set_index("role").reindex(list(schema.ROLES)).fillna(0)
        grid.loc[list(schema.ROLES), "Stated"] = part["self_stated"].astype(int).to_numpy()
        grid.loc[list(schema.ROLES), "Records"] = part["records"].astype(int).to_numpy()
        grid["Not stated"] = grid["Records"] - grid["Stated"]
        grid.loc["All roles"] = grid.loc[list(schema.ROLES)].sum()
        grid = grid.astype("int64")
        shown = (suppression.suppress_table(grid, row_total="All roles", col_total="Records") if pack.suppressing
                 else grid.map(count_text))
        published[label] = (grid, shown)
    pack.published["completeness"] = published
    counts = pack.raw["month_on_month"].set_index("role")[["this_month", "previous_month"]]
    if pack.suppressing:
        mask = suppression.primary_mask(counts)
        counts_shown = counts.map(count_text).mask(mask, suppression.SUPPRESSED)
    else:
        counts_shown = counts.map(count_text)
    pack.published["month_on_month"] = (counts, counts_shown)


# --------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------
def _row_finding(kind: str, key: tuple, raw_row, published_row, context: dict) -> narrative.Finding:
    suppressed = bool(published_row is not None and published_row.get("suppressed", False))
    reliability = published_row["reliability"] if published_row is not None else raw_row["reliability"]
    return narrative.Finding(
        kind=kind, key=key, group=str(raw_row["group"]),
        ratio=float(raw_row["ratio"]) if pd.notna(raw_row["ratio"]) else float("nan"),
        lower=float(raw_row["ratio_lower"]) if pd.notna(raw_row["ratio_lower"]) else float("nan"),
        upper=float(raw_row["ratio_upper"]) if pd.notna(raw_row["ratio_upper"]) else float("nan"),
        p_value=float(raw_row["p_value"]) if pd.notna(raw_row["p_value"]) else float("nan"),
        reliability=str(reliability), suppressed=suppressed, context=context,
    )


def _scope(filters: Filters) -> str:
    if filters.serious_youth_violence_only:
        return " of serious youth violence"
    if filters.offence_groups:
        return " of " + " or ".join(g.lower() for g in filters.offence_groups)
    return ""


def _findings(pack: Pack) -> None:
    reference, period = pack.filters.reference_group, pack.period_label
    scope = _scope(pack.filters)
    findings: list[narrative.Finding] = []
    for role, result in pack.raw["roles"].items():
        previous = pack.raw["roles_previous"][role].table.set_index("group")
        published = pack.published["roles"][role].set_index("group")
        for _, row in result.table.iterrows():
            group = row["group"]
            if row["is_reference"] or group == schema.NOT_STATED:
                continue
            prev = previous.loc[group] if group in previous.index else None
            prev_ok = prev is not None and pd.notna(prev["ratio"]) and not pack.published["roles"][role].empty
            context = {"period": period, "reference": reference, "role_text": ROLE_PLURAL[role] + scope, "role": role,
                       "previous": ({"ratio": prev["ratio"], "lower": prev["ratio_lower"], "upper": prev["ratio_upper"]}
                                    if prev_ok and not pack.suppressing or prev_ok and _previous_publishable(pack, role, group)
                                    else None)}
            findings.append(_row_finding("role", (role, group), row, published.loc[group], context))
    # Outcome 22: the Mantel–Haenszel ratio adjusted for offence group and age band
    crude = pack.published["outcome22"].set_index("group")
    raw_crude = pack.raw["outcome22"].table.set_index("group")
    role_text = " or ".join(ROLE_PLURAL[r] for r in _decision_filters(pack).roles)
    role_text = "child " + role_text
    for _, row in pack.raw["outcome22_adjusted"].iterrows():
        group = row["group"]
        crude_row = crude.loc[group] if group in crude.index else None
        suppressed = bool(crude_row is not None and crude_row["suppressed"])
        shares = None
        ref_row = crude.loc[reference] if reference in crude.index else None
        if (crude_row is not None and not suppressed and ref_row is not None and not ref_row["suppressed"]
                and pd.notna(crude_row["rate"]) and pd.notna(ref_row["rate"])):
            shares = (float(crude_row["rate"]), float(ref_row["rate"]))
        events = int(raw_crude.loc[group, "events"]) if group in raw_crude.index else 0
        reliability = worst(suppression.reliability(min(events, int(raw_crude.loc[reference, "events"]))),
                            crude_row["reliability"] if crude_row is not None else "reliable")
        ratio_ok = reliability != "withheld" and pd.notna(row["adjusted_ratio"]) and np.isfinite(row["adjusted_ratio"])
        findings.append(narrative.Finding(
            kind="outcome22", key=("outcome22", group), group=group,
            ratio=float(row["adjusted_ratio"]) if ratio_ok else float("nan"),
            lower=float(row["adjusted_lower"]) if ratio_ok else float("nan"),
            upper=float(row["adjusted_upper"]) if ratio_ok else float("nan"),
            p_value=float(row["p_value"]) if ratio_ok and pd.notna(row["p_value"]) else float("nan"),
            reliability=reliability, suppressed=suppressed,
            context={"period": period, "reference": reference, "role_text": role_text, "shares": shares},
        ))
    # Districts (the focus role): every group in every district
    role = pack.raw["district_role"]
    published = pack.published["districts"].set_index(["split", "group"])
    for _, row in pack.raw["districts"].table.iterrows():
        if row["is_reference"] or row["group"] == schema.NOT_STATED:
            continue
        district = pack.raw["area_names"].get(row["split"], row["split"])
        context = {"period": period, "reference": reference, "role_text": ROLE_PLURAL[role] + scope, "district": district}
        findings.append(_row_finding("district", (row["split"], row["group"]), row,
                                     published.loc[(row["split"], row["group"])], context))
    # Knife crime and CCE
    for role, result in pack.raw["markers"].items():
        published = pack.published["markers"][role].set_index(["split", "group"])
        for _, row in result.table.iterrows():
            if (row["split"], row["group"]) not in published.index or row["is_reference"] or row["group"] == schema.NOT_STATED:
                continue
            context = {"period": period, "reference": reference, "role_text": ROLE_PLURAL[role], "marker": row["split"]}
            findings.append(_row_finding("marker", (role, row["split"], row["group"]), row,
                                         published.loc[(row["split"], row["group"])], context))
    narrative.adjust_family(findings, pack.filters.confidence)
    pack.findings = findings


def _previous_publishable(pack: Pack, role: str, group: str) -> bool:
    """For scrutiny, last year's ratio is quoted only if its own table would show it."""
    previous = _controlled(pack.raw["roles_previous"][role].table, pack).set_index("group")
    return group in previous.index and pd.notna(previous.loc[group, "ratio"])


# --------------------------------------------------------------------------------------------
# Charts (the project's plotly builders, fed with published tables only)
# --------------------------------------------------------------------------------------------
def _shown_events(frame: pd.DataFrame, column: str = "events") -> pd.Series:
    return frame[column].map(count_text)


def _fix_ticks(fig: go.Figure) -> go.Figure:
    """Print-friendly: fixed width, decimals on ratio axes, white background, no mode bar."""
    fig.update_layout(width=CHART_WIDTH, autosize=False, paper_bgcolor="white", plot_bgcolor="white")
    for axis in ("xaxis", "yaxis"):
        layout_axis = fig.layout[axis]
        if layout_axis.type == "log":
            layout_axis.update(tickvals=list(LOG_TICKS), ticktext=list(LOG_TICKS.values()), minor={"showgrid": False})
    for trace in fig.data:
        colorbar = getattr(getattr(trace, "marker", None), "colorbar", None)
        if colorbar is not None and getattr(trace.marker, "showscale", False):
            colorbar.tickformat = ".1f"
    return fig


def _build_charts(pack: Pack) -> None:
    conf, reference = pack.filters.confidence, pack.filters.reference_group
    specs: list[ChartSpec] = []
    # 1. Per-role ratios
    frames = []
    for role, table in pack.published["roles"].items():
        shown = table[~pack.raw["roles"][role].table["is_reference"].to_numpy() & (table["group"] != schema.NOT_STATED)]
        frames.append(shown.assign(label=f"{role.capitalize()}s · " + shown["group"], events=_shown_events(shown)))
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    title = f"Rate ratio to {reference} children, by role"
    subtitle = f"{pack.period_label}. Points: ratio; bars: {conf * 100:g} % CI; hollow: fewer than 10 events"
    specs.append(ChartSpec("roles", title, charts.forest_plot(combined, title, reference, conf, label_column="label",
                                                              subtitle=subtitle),
                           f"How many times as likely children of each group were to be recorded in each role as "
                           f"{reference} children, per 1,000 children in the population. A bar crossing the dashed "
                           "line at 1.0 means no clear difference; hollow points rest on fewer than 10 events."))
    # 2. Outcome 22 shares
    table = pack.published["outcome22"]
    shown = table.assign(events=_shown_events(table), denominator=_shown_events(table, "denominator"))
    title = "Share of concluded cases ending in outcome 22"
    specs.append(ChartSpec("outcome22", title, charts.rate_bars(shown, title, "%", conf,
                                                               subtitle=f"{pack.period_label}. Bars: {conf * 100:g} % CI"),
                           "Outcome 22: diversionary, educational or intervention activity instead of prosecution. "
                           "Open investigations are excluded. A lower share means that group's children were "
                           "diverted less often."))
    # 3. District map (ratio of the focus group), from the published grid
    focus, role = pack.raw["focus_group"], pack.raw["district_role"]
    grid = pack.published["districts"]
    focus_rows = grid[grid["group"] == focus]
    names = pack.raw["area_names"]
    values = pd.DataFrame({
        "area_code": focus_rows["split"],
        "value": focus_rows["ratio"].astype(float),
        "hover": [_map_hover(r, focus, reference, conf, names) for r in focus_rows.to_dict("records")],
    })
    title = f"{focus} to {reference} rate ratio, child {ROLE_PLURAL[role]}, by district"
    fig = charts.choropleth(geography.load_boundaries(), values, title, "Ratio", diverging_at=1.0,
                            subtitle=f"{pack.period_label}; grey: not shown (too few events); † fewer than 10 events")
    reliability = dict(zip(focus_rows["split"], focus_rows["reliability"], strict=True))
    code_by_name = {v: k for k, v in names.items()}
    for annotation in fig.layout.annotations:
        name = annotation.text.split("<br>")[0]
        if reliability.get(code_by_name.get(name)) == "unreliable":
            annotation.text += f" {DAGGER}"
    fig.update_layout(height=480, margin={"l": 10, "r": 10, "t": 80, "b": 10})
    specs.append(ChartSpec("map", title, fig,
                           f"Each district's rate ratio: {focus} children recorded as {ROLE_PLURAL[role]} per 1,000 {focus} "
                           f"children, divided by the same rate for {reference} children. Red: higher than {reference} "
                           f"children; blue: lower. {geography.ATTRIBUTION}"))
    # 4. Funnel plot of all children's rate by district
    funnel = pack.raw["rate_funnel"]
    points = funnel.points.copy()
    totals = _district_totals(pack)
    if pack.suppressing:
        points = points[points["area_code"].map(lambda c: totals.get(c) != suppression.SUPPRESSED)]
    points["hover"] = [f"<b>{esc(r.label)}</b><br>{r.value:.2f} per 1,000 ({count_text(totals.get(r.area_code, r.events))} "
                       f"children of {int(r.n):,})" for r in points.itertuples()]
    title = f"Child {ROLE_PLURAL[role]} per 1,000 children, by district"
    fig = charts.funnel_plot(points, funnel.centre, funnel.limits, title, "Children in the population (stated groups)",
                             "Per 1,000 children", subtitle=f"{pack.period_label}. Dashed: 95 % limits; dotted: 99.8 % "
                             "limits around the force average")
    top = max([funnel.centre, *points["value"].tolist()]) if len(points) else max(funnel.centre, 1.0)
    fig.update_xaxes(tickformat=",.0f")
    fig.update_yaxes(tickformat=".1f", range=[0, top * 1.6])
    for trace in fig.data:
        if str(trace.name or "").startswith("District"):
            trace.textposition = "bottom center"  # only districts outside the limits are labelled; the table names all
            trace.textfont = {"size": 10}
    specs.append(ChartSpec("funnel", title, fig,
                           "A district outside the dotted lines differs from the force average by more than chance "
                           "would explain (99.8 % limits); inside the dashed lines it is in line with it."))
    # 5. Knife crime and CCE
    frames = []
    for marker_role, table in pack.published["markers"].items():
        raw = pack.raw["markers"][marker_role].table
        keep = raw[raw["split"].isin(table["split"].unique())].reset_index(drop=True)
        shown = table[~keep["is_reference"].to_numpy() & (table["group"] != schema.NOT_STATED)]
        frames.append(shown.assign(label=f"{marker_role.capitalize()}s · " + shown["split"].str.replace(
            "Child criminal exploitation (CCE)", "CCE") + " · " + shown["group"], events=_shown_events(shown)))
    if frames:
        combined = pd.concat(frames, ignore_index=True)
        title = f"Knife crime and CCE: rate ratio to {reference} children"
        subtitle = f"{pack.period_label}. Points: ratio; bars: {conf * 100:g} % CI; hollow: fewer than 10 events"
        specs.append(ChartSpec("markers", title, charts.forest_plot(combined, title, reference, conf, label_column="label",
                                                                   subtitle=subtitle),
                               "Children recorded in crimes flagged as knife crime or child criminal exploitation "
                               "(CCE), per 1,000 children of the group, against the same rate for "
                               f"{reference} children. Hollow points rest on fewer than 10 events."))
    # 6. Rolling 12-month ratios
    rolling = pack.published["rolling"].copy()
    rolling["events"] = rolling["events"].astype(int)
    title = f"Rolling 12-month rate ratio to {reference} children, child {ROLE_PLURAL[role]}"
    fig = charts.ratio_band(rolling, title, reference, conf)
    fig.update_xaxes(tickformat="%b %Y")
    specs.append(ChartSpec("trend", title, fig,
                           "Each point is the ratio over the 12 months ending that month; the shaded band is its "
                           "confidence interval. Windows with fewer than 5 events in a group are not shown."))
    # 7. Ethnicity recording by month
    monthly = pack.raw["completeness_monthly"].rename(columns={"self_share": "share", "self_stated": "stated"})
    monthly = monthly.assign(series="All records")
    title = "Records with self-defined ethnicity stated, by month"
    fig = charts.completeness_lines(monthly, "series", title, schema.ETHNICITY_COMPLETENESS_TARGET)
    if pack.suppressing:
        for trace in fig.data:
            trace.customdata = None
            trace.hovertemplate = "%{x|%b %Y}: %{y:.1f} %<extra></extra>"
    fig.update_xaxes(tickformat="%b %Y")
    fig.update_yaxes(tickformat=".0f")
    specs.append(ChartSpec("completeness", title, fig,
                           f"Share of all records (any role) made each month with self-defined ethnicity stated, "
                           f"against the {schema.ETHNICITY_COMPLETENESS_TARGET:.0%} target.".replace("%", " %")))
    for spec in specs:
        _fix_ticks(spec.figure)
    for spec in specs:
        if spec.key in ("roles", "markers"):
            spec.figure.update_xaxes(title=f"Ratio to {reference} children (log scale; 1.0 = same as {reference})")
        if spec.key == "outcome22":
            spec.figure.update_yaxes(tickformat=".1f", title="% of concluded cases")
    pack.charts = specs


def _map_hover(row: dict, focus: str, reference: str, conf: float, names: dict) -> str:
    name = esc(names.get(row["split"], row["split"]))
    if row.get("suppressed"):
        return f"<b>{name}</b><br>{focus}: [c] children; ratio not shown (disclosure control)"
    ratio = (f"ratio {num(row['ratio'])} ({conf * 100:g} % CI {interval(row['ratio_lower'], row['ratio_upper'])})"
             + mark(row["reliability"]) if pd.notna(row["ratio"]) else f"ratio not shown ({row['reliability']})")
    return f"<b>{name}</b><br>{focus}: {count_text(row['events'])} children; {ratio}"


def _district_totals(pack: Pack) -> dict:
    """Each district's count over the stated groups, as published (``[c]`` where suppressed)."""
    grid = pack.published["districts"]
    raw = pack.raw["districts"].table
    raw = raw[raw["group"].isin(schema.ETHNIC_GROUPS)]
    sums = raw.groupby("split")["events"].sum()
    hidden = set(grid.attrs.get("suppressed_totals", {}).get("splits", []))
    return {code: (suppression.SUPPRESSED if code in hidden else int(total)) for code, total in sums.items()}


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8.5pt 'DejaVu Sans', Arial, sans-serif;
    color: #555; width: 30mm; text-align: right; }
  @bottom-left { content: "__FOOTER__"; font: 8pt 'DejaVu Sans', Arial, sans-serif; color: #777; width: 140mm; }
}
@page :first { @bottom-left { content: none; } }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: 'DejaVu Sans', Arial, Helvetica, sans-serif; font-size: 10pt; line-height: 1.42; color: #1d1d1d;
  margin: 0 auto; max-width: 180mm; padding: 0 4mm; }
h1 { font-size: 22pt; margin: 0 0 4mm; color: #0b3d68; line-height: 1.2; }
h2 { font-size: 15pt; color: #0b3d68; border-bottom: 2px solid #0b3d68; padding-bottom: 1.5mm; margin: 0 0 3.5mm;
  break-after: avoid; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; color: #0b3d68; break-after: avoid; }
p { margin: 0 0 2.5mm; }
section { break-before: page; padding-top: 1mm; }
section.cover { break-before: auto; min-height: 245mm; display: flex; flex-direction: column; }
.cover .band { background: #0b3d68; color: white; padding: 10mm 9mm; margin: 6mm 0 9mm; }
.cover .band h1 { color: white; }
.cover .band p { font-size: 13pt; margin: 0; }
.cover dl { display: grid; grid-template-columns: 45mm 1fr; gap: 2.5mm 5mm; font-size: 11pt; }
.cover dt { font-weight: bold; color: #0b3d68; }
.cover dd { margin: 0; }
.cover .notice { margin-top: auto; border: 1.5px solid #b2182b; padding: 4mm 5mm; font-size: 9.5pt; }
.keep { break-inside: avoid; }
.findings li { margin-bottom: 2.2mm; break-inside: avoid; }
.findings li.sig { list-style: square; }
.lead { font-size: 10.5pt; }
.box { border-left: 4px solid #0b3d68; background: #f2f6fa; padding: 2.5mm 4mm; margin: 3mm 0; break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 8.3pt; margin: 1mm 0 1.5mm; break-inside: avoid; }
caption { text-align: left; font-weight: bold; font-size: 9.5pt; padding-bottom: 1.2mm; color: #0b3d68; }
th, td { border-bottom: 1px solid #d0d7de; padding: 1.1mm 1.6mm; text-align: right; vertical-align: top; }
th { background: #e8eef4; font-weight: bold; }
th:first-child, td:first-child, td.label, th.label { text-align: left; }
tr.total td { font-weight: bold; border-top: 1.5px solid #555; }
td.ci { white-space: nowrap; }
td.note { font-size: 7.8pt; color: #444; }
section.flow { break-before: auto; margin-top: 6mm; }
tr.sig td { background: #fff6e0; }
.note { font-size: 8.3pt; color: #444; margin: 0 0 3mm; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
figcaption { font-size: 8.5pt; color: #333; margin-top: 1mm; }
.chart { width: 660px; max-width: 100%; }
dl.glossary dt { font-weight: bold; margin-top: 2mm; break-after: avoid; }
dl.glossary dd { margin: 0 0 1mm 0; break-inside: avoid; }
ul { padding-left: 5mm; margin: 0 0 3mm; }
@media screen { body { padding: 8mm; background: #fff; } section { border-top: 1px dashed #bbb; margin-top: 8mm; padding-top: 6mm; } }
"""

LOADER = """
(function () {
  var blocks = document.querySelectorAll('script.figure-data');
  var pending = [];
  blocks.forEach(function (block) {
    var spec = JSON.parse(block.textContent);
    var target = document.getElementById(block.dataset.target);
    pending.push(Plotly.newPlot(target, spec.data, spec.layout,
      {displayModeBar: false, responsive: false, staticPlot: false}));
  });
  Promise.all(pending).then(function () { document.documentElement.dataset.chartsReady = 'yes'; });
})();
"""


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _figure_json(fig: go.Figure) -> str:
    text = pio.to_json(fig, validate=False, remove_uids=True)
    return text.replace("</", "<\\/")


def _table(headers: list[str], rows: list[tuple[str, list[str], list[str]]], caption: str = "", *,
           counts: bool = False, total_row: str | None = None, total_col: str | None = None, numeric_cols=()) -> str:
    """An HTML table. ``rows`` are (row class, cells, cell classes). Count tables carry data attributes
    so a checker can rebuild them: cells with class ``n`` are counts, the row with class ``total`` and
    the header with class ``total`` are the published totals."""
    attrs = ""
    if counts:
        attrs = ' data-counts="yes"'
        if total_row:
            attrs += f' data-row-total="{esc(total_row)}"'
        if total_col:
            attrs += f' data-col-total="{esc(total_col)}"'
    parts = [f"<table{attrs}>"]
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    head = "".join(f'<th class="{"total" if h == total_col else ""}">{esc(h)}</th>' for h in headers)
    parts.append(f"<thead><tr>{head}</tr></thead><tbody>")
    for row_class, cells, classes in rows:
        tds = "".join(f'<td class="{c}">{esc(v)}</td>' for v, c in zip(cells, classes, strict=True))
        parts.append(f'<tr class="{row_class}">{tds}</tr>')
    parts.append("</tbody></table>")
    return "".join(parts)


def _ratio_rows(table: pd.DataFrame, raw: pd.DataFrame, unit: str, total_label: str, pack: Pack,
                denominator_is_count: bool = False) -> list:
    """Rows of a published rate/ratio table plus its total row (counts in cells of class ``n``)."""
    digits = 1 if unit == "%" else 2
    den_class = "n" if denominator_is_count else ""
    rows = []
    for (_, row), (_, raw_row) in zip(table.iterrows(), raw.iterrows(), strict=True):
        group, rel = row["group"], row["reliability"]
        is_ref, dagger = bool(raw_row["is_reference"]), mark(rel)
        if group == schema.NOT_STATED and not denominator_is_count:
            denominator = DASH
            rate = f"{num(row['rate'], 1)} % of all" if pd.notna(row["rate"]) else DASH
        else:
            denominator = count_text(row["denominator"])
            rate = (f"{num(row['rate'], digits)}{dagger} ({interval(row['rate_lower'], row['rate_upper'], digits)})"
                    if pd.notna(row["rate"]) else DASH)
        if is_ref:
            ratio = "reference"
        elif pd.notna(row["ratio"]):
            ratio = f"{num(row['ratio'])}{dagger} ({interval(row['ratio_lower'], row['ratio_upper'])})"
        else:
            ratio = DASH
        cells = [f"{group} (reference)" if is_ref else str(group), count_text(row["events"]), denominator, rate, ratio,
                 DASH if is_ref else significance_text(row["significant"]), _reliability_label(rel)]
        rows.append(("sig" if row.get("significant") is True else "", cells,
                     ["label", "n", den_class, "ci", "ci", "", "note"]))
    totals = table.attrs.get("suppressed_totals", {})
    hidden = totals.get("overall") or bool(totals.get("splits"))
    events_total = suppression.SUPPRESSED if hidden else int(raw["events"].sum())
    den_total, rate_total = DASH, ""
    if denominator_is_count:
        den_total = suppression.SUPPRESSED if hidden else int(raw["denominator"].sum())
        if not hidden and raw["denominator"].sum():
            rate_total = f"{100 * raw['events'].sum() / raw['denominator'].sum():.1f}"
    rows.append(("total", [total_label, count_text(events_total), count_text(den_total), rate_total, "", "", ""],
                 ["label", "n", den_class, "ci", "ci", "", "note"]))
    return rows


def _reliability_label(rel: str) -> str:
    return {"reliable": "", "unreliable": f"{DAGGER} fewer than 10 events", "withheld": "fewer than 5 events",
            "suppressed": "suppressed"}.get(rel, rel)


def _ratio_table_html(table: pd.DataFrame, raw: pd.DataFrame, unit: str, caption: str, pack: Pack,
                      count_label: str, denominator_label: str, total_label: str,
                      denominator_is_count: bool = False) -> str:
    conf = format_confidence(pack.filters.confidence)
    rate_label = f"Share, % ({conf} CI)" if unit == "%" else f"Rate per 1,000 ({conf} CI)"
    headers = ["Group", count_label, denominator_label, rate_label, f"Ratio ({conf} CI)", "Significant", "Note"]
    rows = _ratio_rows(table, raw, unit, total_label, pack, denominator_is_count)
    return _table(headers, rows, caption, counts=True, total_row=total_label)


def _chart_html(spec: ChartSpec, index: int) -> str:
    target = f"chart-{spec.key}"
    return (f'<figure class="keep" data-chart="{esc(spec.key)}"><div class="chart" id="{target}" '
            f'role="img" aria-label="{esc(spec.title)}"></div>'
            f'<script type="application/json" class="figure-data" data-target="{target}">{_figure_json(spec.figure)}</script>'
            f"<figcaption>{esc(spec.caption)}</figcaption></figure>")


def render_html(pack: Pack) -> str:
    charts_by_key = {spec.key: _chart_html(spec, i) for i, spec in enumerate(pack.charts)}
    footer = f"{pack.force} · Youth violence disproportionality · {month_label(pack.month)} · {pack.audience}"
    css = CSS.replace("__FOOTER__", footer.replace('"', "'"))
    body = [
        _cover(pack),
        _key_findings(pack),
        _roles_section(pack, charts_by_key),
        _outcome_section(pack, charts_by_key),
        _district_section(pack, charts_by_key),
        _marker_section(pack, charts_by_key),
        _trend_section(pack, charts_by_key),
        _quality_section(pack, charts_by_key),
        _searches_section(pack),
        _methods_section(pack),
        _glossary_section(),
    ]
    title = f"Youth violence disproportionality: monthly pack, {month_label(pack.month)}"
    return (
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{esc(title)}</title>"
        f"<meta name=\"data-version\" content=\"{esc(pack.version)}\"><meta name=\"audience\" content=\"{esc(pack.audience)}\">"
        f"<style>{css}</style><script>{_plotly_js()}</script></head><body>"
        + "".join(body)
        + f"<script>{LOADER}</script></body></html>"
    )


def _cover(pack: Pack) -> str:
    first, last = pack.raw["data_months"]
    short = pack.period_from < first
    period_note = (f" The data begin in {first:%B %Y}, so this period holds fewer than 12 months of records."
                   if short else "")
    meta = pack.raw["publication"]
    rows = [
        ("Force", pack.force),
        ("Month", month_label(pack.month)),
        ("Period", f"{pack.period_label}: {pack.period_from:%B %Y} to {pack.period_to:%B %Y}{period_note}"),
        ("Audience", AUDIENCE_LABELS[pack.audience]),
        ("Data version", f"{pack.version} (loaded {str(meta.get('loaded_at', ''))[:10]})"),
        ("Filters", pack.filters.describe()),
        ("Ethnicity", schema.ETHNICITY_SOURCES[pack.filters.ethnicity_source]),
        ("Produced", f"{date.today():%d %B %Y}" if not pack.suppressing else f"{date.today():%B %Y}"),
    ]
    notice = ("Disclosure-controlled for publication: counts from 1 to 4 are shown as [c], with further cells "
              "suppressed where a total would reveal them." if pack.suppressing else
              "OFFICIAL-SENSITIVE: exact counts of children are shown. Not for publication or circulation "
              "beyond senior officers; use the scrutiny edition for the PCC's panel.")
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return (f'<section class="cover"><p style="font-size:12pt;color:#0b3d68;font-weight:bold;margin-top:6mm">{esc(pack.force)}</p>'
            f'<div class="band"><h1>Youth violence disproportionality</h1><p>Monthly pack · {esc(month_label(pack.month))}</p></div>'
            f'<dl>{items}</dl><div class="notice">{esc(notice)} Rates and ratios based on fewer than 10 events are '
            f"marked {DAGGER}. Every ratio is shown with its {esc(format_confidence(pack.filters.confidence))} "
            "confidence interval.</div></section>")


def _ordered(findings: list) -> list:
    kinds = {"role": 0, "outcome22": 1, "district": 2, "marker": 3}
    return sorted(findings, key=lambda f: (kinds[f.kind], -abs(math.log(f.ratio)) if np.isfinite(f.ratio) and f.ratio > 0 else 0))


def _key_findings(pack: Pack) -> str:
    conf = pack.filters.confidence
    significant = [f for f in _ordered(pack.findings) if f.significant and not f.suppressed]
    headline = [f for f in pack.findings if f.kind in ("role", "outcome22")]
    rest = [f for f in _ordered(headline) if not f.significant or f.suppressed]
    items = "".join(f'<li class="sig">{esc(narrative.sentence(f, conf))}</li>' for f in significant)
    if not items:
        items = "<li>No difference between groups is statistically significant after adjustment for the number of comparisons.</li>"
    unclear = "; ".join(esc(narrative.not_enough_item(f, conf)) for f in rest)
    this_all = pack.raw["completeness_all"]["this"]
    prev_all = pack.raw["completeness_all"]["previous"]
    quality_line = narrative.completeness_sentence(
        float(this_all["self_share"].iloc[0]) if len(this_all) and this_all["records"].iloc[0] else float("nan"),
        float(prev_all["self_share"].iloc[0]) if len(prev_all) and prev_all["records"].iloc[0] else float("nan"),
        month_label(pack.month), month_label(trends.months_back(pack.month, 1)), schema.ETHNICITY_COMPLETENESS_TARGET)
    tested = sum(np.isfinite(f.p_value) for f in pack.findings)
    first = pack.raw["data_months"][0]
    short = (f" The data begin in {first:%B %Y}, so this period covers only {first:%B %Y} to {pack.month:%B %Y}."
             if pack.period_from < first else "")
    return (
        '<section id="key-findings"><h2>Key findings</h2>'
        f'<p class="lead">What the data show for the {esc(pack.period_label)}, in plain words.{esc(short)} Only differences that are '
        f"statistically significant after allowing for the {tested} comparisons made in this pack are stated as "
        "findings (Benjamini–Hochberg); for the rest there is not enough data to say.</p>"
        f'<ul class="findings">{items}</ul>'
        + (f'<div class="box"><b>Not enough data to say</b> (county-wide roles and outcome 22): {unclear}.</div>' if unclear else "")
        + f'<div class="box"><b>Ethnicity recording.</b> {esc(quality_line)}</div>'
        + _month_on_month_html(pack)
        + "</section>"
    )


def _month_on_month_html(pack: Pack) -> str:
    counts, shown = pack.published["month_on_month"]
    unit = schema.COUNTING_UNITS[pack.base_filters.counting_unit]
    this, prev = month_label(pack.month), month_label(trends.months_back(pack.month, 1))
    rows = []
    for role in counts.index:
        now, before = counts.loc[role, "this_month"], counts.loc[role, "previous_month"]
        hidden = suppression.SUPPRESSED in (shown.loc[role, "this_month"], shown.loc[role, "previous_month"])
        change = DASH if hidden or before == 0 else f"{100 * (now - before) / before:+.0f} %"
        rows.append(("", [role.capitalize() + "s", shown.loc[role, "this_month"], shown.loc[role, "previous_month"], change],
                     ["label", "n", "n", ""]))
    return ("<h3>This month against last month</h3>"
            + _table(["Role", this, prev, "Change"], rows, f"{unit} recorded in each role, by month", counts=True)
            + '<p class="note">A child recorded in more than one role is counted in each. Monthly counts move a good '
              "deal by chance, and offenders in recent months rise as investigations conclude; the 12-month figures in this "
              "pack are the ones to rely on.</p>")


def _roles_section(pack: Pack, chart: dict) -> str:
    unit = schema.COUNTING_UNITS[pack.filters.counting_unit]
    parts = ['<section id="roles" class="flow"><h2>Rates and ratios by role</h2>',
             f"<p>For each role, the number of {unit.lower()} of each ethnic group recorded in the {esc(pack.period_label)}, "
             f"the rate per 1,000 children of that group in the population, and the ratio to {esc(pack.filters.reference_group)} "
             "children. Significant: the difference is statistically significant after adjusting for the rows of the table "
             "(Benjamini–Hochberg), as on the dashboard.</p>", chart["roles"]]
    for role, table in pack.published["roles"].items():
        raw = pack.raw["roles"][role].table
        parts.append(_ratio_table_html(table, raw, "per 1,000", f"{role.capitalize()}s: {pack.period_label}", pack,
                                       unit, "Population", f"All {role}s"))
    parts.append('<p class="note">Not stated: children whose ethnicity was not recorded; their share of all the role\'s '
                 "children is shown instead of a rate. † fewer than 10 events: treat with caution. "
                 "Population: Census 2021 based, the same for every period.</p></section>")
    return "".join(parts)


def _outcome_section(pack: Pack, chart: dict) -> str:
    crude, raw = pack.published["outcome22"], pack.raw["outcome22"].table
    role_text = " or ".join(ROLE_PLURAL[r] for r in _decision_filters(pack).roles)
    adjusted = pack.raw["outcome22_adjusted"]
    conf = format_confidence(pack.filters.confidence)
    published = crude.set_index("group")
    rows = []
    for _, row in adjusted.iterrows():
        group = row["group"]
        finding = next((f for f in pack.findings if f.kind == "outcome22" and f.group == group), None)
        suppressed = bool(published.loc[group, "suppressed"]) if group in published.index else False
        withheld = finding is None or not np.isfinite(finding.ratio)
        crude_ratio = published.loc[group, "ratio"] if group in published.index else np.nan
        dagger = mark(finding.reliability) if finding else ""
        rows.append(("sig" if finding and finding.significant else "", [
            group,
            num(crude_ratio) + (dagger if pd.notna(crude_ratio) else ""),
            interval(published.loc[group, "ratio_lower"], published.loc[group, "ratio_upper"]) if pd.notna(crude_ratio) else DASH,
            DASH if suppressed or withheld else num(row["adjusted_ratio"]) + dagger,
            DASH if suppressed or withheld else interval(row["adjusted_lower"], row["adjusted_upper"]),
            DASH if suppressed or withheld or pd.isna(row["homogeneity_p"]) else _p_text(row["homogeneity_p"]),
            DASH if finding is None or not np.isfinite(finding.p_adjusted) else ("Yes" if finding.significant else "No"),
        ], ["label", "", "", "", "", "", ""]))
    adjusted_html = _table(["Group", "Crude ratio", f"{conf} CI", "Adjusted ratio", f"{conf} CI",
                            "Homogeneity p", "Significant (pack)"], rows,
                           f"Outcome 22 ratio to {pack.filters.reference_group}: crude and Mantel–Haenszel adjusted "
                           "for offence group and age band")
    return (
        '<section id="outcome22"><h2>Outcome 22: is diversion used fairly?</h2>'
        "<p>Outcome 22 records that a child received diversionary, educational or intervention activity instead of "
        f"prosecution. The question is whether concluded cases of child {esc(role_text)} end in outcome 22 as often for "
        f"each group as for {esc(pack.filters.reference_group)} children. The crude comparison may reflect differences in "
        "the offences or ages involved, so the adjusted ratio compares like with like (Mantel–Haenszel, within each "
        "offence group and age band).</p>"
        + chart["outcome22"]
        + _ratio_table_html(crude, raw, "%", f"Concluded cases of child {role_text}: {pack.period_label}", pack,
                            "Outcome 22", "Concluded", "All groups", denominator_is_count=True)
        + adjusted_html
        + '<p class="note">Homogeneity p: a small value means the ratio differs between offence groups or age bands, so a '
          "single adjusted figure summarises unlike strata. Significant (pack): after Benjamini–Hochberg adjustment across "
          f"all the pack's findings. Open investigations ({esc(pack.raw['outcome22'].notes[0].split(' records')[0])} records) "
          "are not counted.</p></section>"
    )


def _p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _district_section(pack: Pack, chart: dict) -> str:
    grid, raw = pack.published["districts"], pack.raw["districts"].table
    raw = raw[raw["group"].isin(schema.ETHNIC_GROUPS)].reset_index(drop=True)
    names, focus, role = pack.raw["area_names"], pack.raw["focus_group"], pack.raw["district_role"]
    totals = grid.attrs.get("suppressed_totals", {})
    groups = list(schema.ETHNIC_GROUPS)
    district_totals = _district_totals(pack)
    rows = []
    for code in sorted(grid["split"].unique(), key=lambda c: names.get(c, c)):
        part = grid[grid["split"] == code].set_index("group")
        cells = [names.get(code, code)] + [count_text(part.loc[g, "events"]) if g in part.index else "0" for g in groups]
        cells.append(count_text(district_totals.get(code, 0)))
        rows.append(("", cells, ["label"] + ["n"] * (len(groups) + 1)))
    column_sums = raw.groupby("group")["events"].sum()
    hidden_groups = set(totals.get("groups", []))
    total_cells = ["All districts"] + [
        suppression.SUPPRESSED if g in hidden_groups else count_text(int(column_sums.get(g, 0))) for g in groups]
    total_cells.append(suppression.SUPPRESSED if totals.get("overall") else count_text(int(raw["events"].sum())))
    rows.append(("total", total_cells, ["label"] + ["n"] * (len(groups) + 1)))
    grid_html = _table(["District", *groups, "All stated"], rows,
                       f"Child {ROLE_PLURAL[role]} by district and ethnic group, {pack.period_label}",
                       counts=True, total_row="All districts", total_col="All stated")
    # The focus group's ratio by district
    conf = format_confidence(pack.filters.confidence)
    focus_rows = []
    significant = {f.key for f in pack.findings if f.kind == "district" and f.significant}
    for code in sorted(grid["split"].unique(), key=lambda c: names.get(c, c)):
        row = grid[(grid["split"] == code) & (grid["group"] == focus)]
        if row.empty:
            continue
        row = row.iloc[0]
        dagger = mark(row["reliability"])
        sig = (code, focus) in significant
        focus_rows.append(("sig" if sig else "", [
            names.get(code, code), count_text(row["events"]),
            f"{num(row['rate'])}{dagger} ({interval(row['rate_lower'], row['rate_upper'])})" if pd.notna(row["rate"]) else DASH,
            f"{num(row['ratio'])}{dagger} ({interval(row['ratio_lower'], row['ratio_upper'])})" if pd.notna(row["ratio"]) else DASH,
            significance_text(row["significant"]), "Yes" if sig else "No", _reliability_label(row["reliability"]),
        ], ["label", "n", "ci", "ci", "", "", "note"]))
    focus_html = _table(["District", focus, f"Rate per 1,000 ({conf} CI)", f"Ratio ({conf} CI)", "Significant (table)",
                         "Significant (pack)", "Note"], focus_rows,
                        f"{focus} to {pack.filters.reference_group} ratio by district, child {ROLE_PLURAL[role]}", counts=True)
    funnel = pack.raw["rate_funnel"].points
    high = [r.label for r in funnel.itertuples() if r.outside_998 and r.value > pack.raw["rate_funnel"].centre]
    low = [r.label for r in funnel.itertuples() if r.outside_998 and r.value < pack.raw["rate_funnel"].centre]
    centre = pack.raw["rate_funnel"].centre
    funnel_rows = []
    for r in funnel.sort_values("label").itertuples():
        shown = district_totals.get(r.area_code, r.events)
        hidden = shown == suppression.SUPPRESSED or pack.suppressing and r.area_code not in district_totals
        position = ("outside the 99.8 % limits" if r.outside_998 else "outside the 95 % limits" if r.outside_95
                    else "within the limits")
        side = "" if position == "within the limits" else (" (above)" if r.value > centre else " (below)")
        funnel_rows.append(("sig" if r.outside_998 else "", [
            r.label, count_text(shown), f"{int(r.n):,}", DASH if hidden else f"{r.value:.2f}{mark(suppression.reliability(int(r.events)))}",
            DASH if hidden else position + side], ["label", "n", "", "", ""]))
    funnel_html = _table(["District", "Children", "Population", "Per 1,000", "Funnel plot"], funnel_rows,
                         f"Child {ROLE_PLURAL[role]} per 1,000 children by district (force average {centre:.2f})",
                         counts=True)
    funnel_text = ("Outside the 99.8 % limits: " + "; ".join(
        ([f"above the force average: {', '.join(high)}"] if high else []) + ([f"below: {', '.join(low)}"] if low else []))
        + "." if high or low else "Every district is within the 99.8 % limits of the force average.")
    district_sentences = [narrative.sentence(f, pack.filters.confidence) for f in _ordered(pack.findings)
                          if f.kind == "district" and f.significant and not f.suppressed]
    sentences = "".join(f"<li>{esc(s)}</li>" for s in district_sentences) or \
        "<li>No district's ratio for any group is statistically significant after adjustment.</li>"
    return (
        '<section id="districts"><h2>Districts</h2>'
        f'<ul class="findings">{sentences}</ul>'
        + chart["map"] + chart["funnel"]
        + f'<p>{esc(funnel_text)}</p>' + funnel_html + focus_html + grid_html
        + '<p class="note">A child recorded in more than one district is counted in each, so "All districts" can exceed '
          "the county figures. All stated: children of the five stated groups (ethnicity not stated excluded). "
          f"{esc(geography.ATTRIBUTION)}</p></section>"
    )


def _marker_section(pack: Pack, chart: dict) -> str:
    parts = ['<section id="markers" class="flow"><h2>Knife crime and child criminal exploitation</h2>',
             "<p>Children recorded in crimes flagged as knife crime or child criminal exploitation (CCE), per 1,000 "
             f"children of each group, and the ratio to {esc(pack.filters.reference_group)} children. A crime can carry "
             "both markers, so the rows overlap.</p>"]
    sentences = [narrative.sentence(f, pack.filters.confidence) for f in _ordered(pack.findings)
                 if f.kind == "marker" and f.significant and not f.suppressed]
    parts.append('<ul class="findings">' + ("".join(f"<li>{esc(s)}</li>" for s in sentences) or
                 "<li>No marker ratio is statistically significant after adjustment: not enough data to say.</li>") + "</ul>")
    parts.append(chart.get("markers", ""))
    unit = schema.COUNTING_UNITS[pack.filters.counting_unit]
    for role, table in pack.published["markers"].items():
        raw_all = pack.raw["markers"][role].table
        for marker in table["split"].unique():
            part = table[table["split"] == marker].reset_index(drop=True)
            part.attrs = {"suppressed_totals": {"splits": [s for s in table.attrs["suppressed_totals"]["splits"] if s == marker],
                                                "overall": False}}
            raw = raw_all[raw_all["split"] == marker].reset_index(drop=True)
            parts.append(_ratio_table_html(part, raw, "per 1,000", f"{role.capitalize()}s: {marker}, {pack.period_label}",
                                           pack, unit, "Population", f"All {role}s, {marker.split(' (')[0].lower()}"))
    parts.append("</section>")
    return "".join(parts)


def _searches_section(pack: Pack) -> str:
    """Stop and search of children aged 10-17: rates per 1,000 and the outcome test, as tables."""
    parts = ['<section id="searches" class="flow"><h2>Stop and search of children</h2>']
    tables = pack.published.get("searches", {})
    if not tables:
        parts.append(f"<p>No stop-and-search records from data.police.uk are loaded for the {esc(pack.period_label)}. "
                     "Load the force's monthly files with <code>python -m analytics searches load FOLDER</code>.</p>")
        return "".join(parts) + "</section>"
    forces = [str(f).replace("-", " ").title() for f in pack.raw.get("search_forces", ())]
    parts.append("<p>Searches of children aged 10 to 17 in the force's published stop-and-search records"
                 + (f" ({esc(', '.join(forces))})" if forces else "")
                 + ", per 1,000 children of each group, and the outcome test: the share of searches with an outcome "
                 "recorded that led to any action other than no further action. A lower share for a group suggests "
                 "its children were searched on weaker grounds.</p>")
    captions = {"rate": (f"Searches per 1,000 children aged 10-17, {pack.period_label}", "per 1,000", "Searches",
                         "Children 10-17", "All searches of children"),
                "find": (f"Searches leading to action, {pack.period_label}", "%", "Led to action",
                         "Outcome recorded", "All searches with an outcome")}
    for measure, table in tables.items():
        caption, unit, count_label, denominator_label, total_label = captions[measure]
        raw = pack.raw["searches"][measure].table
        parts.append(_ratio_table_html(table, raw, unit, caption, pack, count_label, denominator_label, total_label,
                                       denominator_is_count=measure == "find"))
    return "".join(parts) + "</section>"


def _trend_section(pack: Pack, chart: dict) -> str:
    conf = format_confidence(pack.filters.confidence)
    rows = []
    for role, table in pack.published["roles"].items():
        previous = _controlled(pack.raw["roles_previous"][role].table, pack).set_index("group")
        for _, row in table.iterrows():
            group = row["group"]
            if group in (schema.NOT_STATED, pack.filters.reference_group):
                continue
            before = previous.loc[group] if group in previous.index else None
            finding = next((f for f in pack.findings if f.kind == "role" and f.key == (role, group)), None)
            p = float("nan")
            if before is not None and pd.notna(row["ratio"]) and pd.notna(before["ratio"]):
                p = narrative.change_test((row["ratio"], row["ratio_lower"], row["ratio_upper"]),
                                          (before["ratio"], before["ratio_lower"], before["ratio_upper"]),
                                          pack.filters.confidence)
            rows.append(("sig" if finding and finding.significant else "", [
                f"{role.capitalize()}s · {group}",
                num(row["ratio"]) + mark(row["reliability"]) if pd.notna(row["ratio"]) else DASH,
                interval(row["ratio_lower"], row["ratio_upper"]),
                num(before["ratio"]) + mark(before["reliability"]) if before is not None and pd.notna(before["ratio"]) else DASH,
                interval(before["ratio_lower"], before["ratio_upper"]) if before is not None else DASH,
                DASH if not np.isfinite(p) else _p_text(p),
            ], ["label", "", "", "", "", ""]))
    previous_label = f"12 months to {trends.months_back(pack.month, 12):%B %Y}"
    table_html = _table(["Role · group", "Ratio now", f"{conf} CI", "A year earlier", f"{conf} CI", "Change p"], rows,
                        f"Ratio to {pack.filters.reference_group}: {pack.period_label} against the {previous_label}")
    return ('<section id="trends"><h2>Trends</h2>'
            "<p>How the ratios have moved over time. The chart shows each 12-month window ending in a month; the table "
            "sets this year against the year before. Change p: the probability of a change at least this large if the "
            "ratio had not really changed (a small value, below 0.05, suggests a real change).</p>"
            + chart["trend"] + table_html + "</section>")


def _quality_section(pack: Pack, chart: dict) -> str:
    this, prev = month_label(pack.month), month_label(trends.months_back(pack.month, 1))
    parts = ['<section id="quality" class="flow"><h2>Ethnicity recording quality</h2>',
             "<p>Ratios are only as good as the ethnicity recorded. This shows how many records carry self-defined "
             f"ethnicity, by role, in {esc(this)} against {esc(prev)} (target {schema.ETHNICITY_COMPLETENESS_TARGET:.0%}).</p>"
             .replace("%)", " %)")]
    for label, month_text in (("this", this), ("previous", prev)):
        grid, shown = pack.published["completeness"][label]
        rows = []
        for role in shown.index:
            hidden = suppression.SUPPRESSED in (shown.loc[role, "Stated"], shown.loc[role, "Records"])
            records = grid.loc[role, "Records"]
            share = DASH if hidden or records == 0 else f"{100 * grid.loc[role, 'Stated'] / records:.1f} %"
            name = role.capitalize() + "s" if role in schema.ROLES else role
            rows.append(("total" if role == "All roles" else "",
                         [name, shown.loc[role, "Stated"], shown.loc[role, "Not stated"], shown.loc[role, "Records"], share],
                         ["label", "n", "n", "n", ""]))
        parts.append(_table(["Role", "Stated", "Not stated", "Records", "Self-defined stated"], rows,
                            f"Records made in {month_text}: self-defined ethnicity", counts=True,
                            total_row="All roles", total_col="Records"))
    agreement = pack.raw["agreement"]
    kappa = "not estimable" if not np.isfinite(agreement.kappa) else f"{agreement.kappa:.2f}"
    parts.append(chart["completeness"])
    parts.append(f'<div class="box">Where both self-defined and officer-defined ethnicity were recorded in the '
                 f"{esc(pack.period_label)}, they agreed on {agreement.agreement.estimate:.0%} of records".replace("%", " %")
                 + f" (Cohen's kappa {kappa}). Officers have no code for Mixed, so a child who self-defines as Mixed can "
                 "never agree; this is why the pack uses self-defined ethnicity first.</div></section>")
    return "".join(parts)


def _methods_section(pack: Pack) -> str:
    f = pack.filters
    meta = pack.raw["publication"]
    rules = suppression.rules_text(AUDIENCES[pack.audience])
    definitions = [
        ("Period", f"{pack.period_label} ({f.date_from:%B %Y} to {f.date_to:%B %Y}, whole months); the month compared with the "
                   "month before for counts and recording quality."),
        ("Filters", f.describe()),
        ("Reference group", f"{f.reference_group} children."),
        ("Counting unit", schema.COUNTING_UNITS[f.counting_unit] + " (a child is counted once per role however many "
                          "records they have)." if f.counting_unit == "persons" else "Records."),
        ("Ethnicity", f"{schema.ETHNICITY_SOURCES[f.ethnicity_source]}. A child's group is the latest stated code "
                      "across their records."),
        ("Serious youth violence", schema.DEFAULT_SYV.describe()
         + (" Applied as a filter." if f.serious_youth_violence_only else " Not applied as a filter in this pack.")),
        ("Outcome 22", "Home Office outcome 22: diversionary, educational or intervention activity, resulting from the "
                       "crime report, has been undertaken and it is not in the public interest to take any further action."),
        ("Confidence level", f"{format_confidence(f.confidence)}."),
        ("Suppression threshold", f"Counts below {schema.SUPPRESSION_THRESHOLD} suppressed for publication."),
    ]
    methods = [
        "Rates: events per 1,000 children of the group in the population over the 12 months; exact Poisson limits "
        "below 10 events, Byar's approximation from 10.",
        "Rate ratios (population denominators): exact conditional interval; ratios from unrounded rates.",
        "Shares (outcome 22, recording): Wilson score intervals; ratios of shares: Koopman score interval.",
        "Adjusted ratios: Mantel–Haenszel across offence group and age band, Greenland–Robins variance, with a "
        "homogeneity test.",
        "Funnel plot: exact Poisson control limits at 95 % and 99.8 % around the force average (Spiegelhalter 2005).",
        "Multiple comparisons: within each table as on the dashboard (Benjamini–Hochberg across its rows); the key "
        f"findings are adjusted together (Benjamini–Hochberg across all {sum(np.isfinite(x.p_value) for x in pack.findings)} "
        "findings: county-wide roles, outcome 22, districts, knife crime and CCE).",
        "Change from a year earlier: z-test on the difference of the two log ratios (independent periods).",
        "Rolling ratios: children recorded in the 12 months ending each month.",
    ]
    sources = [
        f"Records: pseudonymised person-crime extract {meta.get('source_file', '')}; {int(meta.get('loaded', 0)):,} "
        f"records loaded, {int(meta.get('rejected', 0)):,} rejected and {int(meta.get('excluded', 0)):,} aged 18 or over "
        f"excluded (data version {pack.version}).",
        f"Population denominators: {meta.get('population_source', '')}. Census 2021 modelled denominators, the same "
        "for every period.",
        "District boundaries: " + geography.ATTRIBUTION,
    ]
    defs = "".join(f"<tr><td class=\"label\"><b>{esc(k)}</b></td><td class=\"label\">{esc(v)}</td></tr>" for k, v in definitions)
    return ('<section id="methods"><h2>Methods, definitions and sources</h2>'
            f'<table class="defs"><caption>Definitions in force</caption><tbody>{defs}</tbody></table>'
            '<h3>Disclosure control applied</h3><ul>' + "".join(f"<li>{esc(r)}</li>" for r in rules) + "</ul>"
            "<h3>Methods</h3><ul>" + "".join(f"<li>{esc(m)}</li>" for m in methods) + "</ul>"
            "<h3>Sources</h3><ul>" + "".join(f"<li>{esc(s)}</li>" for s in sources) + "</ul></section>")


GLOSSARY = (
    ("Outcome 22", "A Home Office crime outcome: the child took part in diversionary, educational or intervention "
                   "activity instead of being prosecuted, and no further action was in the public interest."),
    ("Disproportionality", "When children of one ethnic group are recorded more (or less) often than their share of "
                           "the population would suggest, compared with the reference group."),
    ("Rate per 1,000", "The number of children recorded, for every 1,000 children of that group living in the area."),
    ("Rate ratio", "One group's rate divided by the reference group's. A ratio of 1.0 means the same rate; 2.0 means "
                   "twice as likely; 0.5 means half as likely."),
    ("Reference group", "The group every other group is compared with (here, unless stated, White children)."),
    ("Confidence interval (CI)", "The range of values the true ratio plausibly lies in, given the numbers involved. "
                                 "Small numbers give wide intervals."),
    ("Statistically significant", "Unlikely to be due to chance alone: the interval does not include 1.0 and the result "
                                  "holds after allowing for the number of comparisons made."),
    ("Not enough data to say", "The interval is wide enough to include no difference at all, so the data cannot show "
                               "whether there is a real difference."),
    ("Adjusted ratio (Mantel–Haenszel)", "A ratio that compares like with like, within each offence group and age "
                                         "band, and then combines them."),
    ("Funnel plot", "A chart of each district's rate against its population size, with limits showing how far from "
                    "the force average chance alone could take it."),
    ("Self-defined ethnicity", "The ethnic group the child (or their parent) gave; officer-defined ethnicity is the "
                               "officer's perception."),
    ("[c]", "A count suppressed to protect the children concerned (1 to 4, or a further cell that would reveal one)."),
    ("† (dagger)", "A rate or ratio based on fewer than 10 events: treat it with caution."),
    ("CCE", "Child criminal exploitation: a child used by others to commit crime, for example county lines drug "
            "dealing."),
    ("Serious youth violence", "As defined in this pack: " + schema.DEFAULT_SYV.describe()),
)


def _glossary_section() -> str:
    items = "".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in GLOSSARY)
    return f'<section id="glossary"><h2>Glossary</h2><dl class="glossary">{items}</dl></section>'


# --------------------------------------------------------------------------------------------
# Files: HTML and PDF
# --------------------------------------------------------------------------------------------
def find_chromium() -> str | None:
    """The headless Chromium to print with: ``MONITOR_CHROMIUM``, else the first on the PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if Path(configured).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class PdfError(RuntimeError):
    """Chromium could not print the pack."""


def html_to_pdf(html_path: Path, pdf_path: Path, chromium: str, timeout: int = PDF_TIMEOUT) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (A4 from the page's CSS)."""
    with tempfile.TemporaryDirectory(prefix="pack-chromium-") as profile:
        partial = pdf_path.with_suffix(".pdf.partial")
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-extensions", "--no-first-run",
            "--no-default-browser-check", "--hide-scrollbars", f"--user-data-dir={profile}",
            "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=20000", f"--print-to-pdf={partial}", html_path.resolve().as_uri(),
        ]
        try:
            completed = subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                                       env={**os.environ, "HOME": profile})
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            raise PdfError(f"Chromium did not finish printing within {timeout} s") from None
        except OSError as exc:
            raise PdfError(f"cannot run Chromium ({exc.strerror})") from None
        if not partial.exists() or partial.stat().st_size == 0 or not partial.read_bytes()[:5] == b"%PDF-":
            partial.unlink(missing_ok=True)
            detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PdfError(f"Chromium exited with status {completed.returncode} without writing a PDF"
                           + (f": {detail[-1][:200]}" if detail else ""))
        partial.replace(pdf_path)
    return pdf_path


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path | None
    message: str  # why there is no PDF, or ""


def write_pack(pack: Pack, out_dir: Path, pdf: bool = True, chromium: str | None = None) -> Written:
    """Write the HTML and, if Chromium is available, the PDF; returns the paths and any reason for no PDF."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{pack.file_stem}.html"
    partial = html_path.with_suffix(".html.partial")
    partial.write_text(pack.html, encoding="utf-8")
    partial.replace(html_path)
    if not pdf:
        return Written(html_path, None, "PDF not requested")
    chromium = chromium or find_chromium()
    if chromium is None:
        return Written(html_path, None, "no PDF: Chromium was not found (install chromium or set MONITOR_CHROMIUM)")
    try:
        pdf_path = html_to_pdf(html_path, out_dir / f"{pack.file_stem}.pdf", chromium)
    except PdfError as exc:
        return Written(html_path, None, f"no PDF: {exc}")
    return Written(html_path, pdf_path, "")


def pdf_bytes(pack: Pack, chromium: str | None = None) -> bytes | None:
    """The pack printed to PDF in a temporary folder (for the dashboard's download), or None without Chromium."""
    with tempfile.TemporaryDirectory(prefix="pack-") as folder:
        written = write_pack(pack, Path(folder), chromium=chromium)
        return written.pdf.read_bytes() if written.pdf else None


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
def run(args: argparse.Namespace, database: Path, filters: Filters) -> int:
    """``python -m analytics report``: build the pack and write it; 0 on success."""
    month = parse_month(args.month)
    if filters.date_from or filters.date_to:
        raise UsageError("--from/--to cannot be used with report: the period is the 12 months to --month")
    started = time.perf_counter()
    pack = build_pack(Store(database), month, args.audience, filters)
    written = write_pack(pack, args.out, pdf=not args.no_pdf)
    print(f"Wrote {written.html}" + (f" and {written.pdf}" if written.pdf else "")
          + f" ({args.audience}, {pack.period_label}) in {time.perf_counter() - started:.1f} s")
    if written.pdf is None and not args.no_pdf:
        print(written.message)
    return 0
