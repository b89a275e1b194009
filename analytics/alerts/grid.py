"""The grid of monthly series and its evaluation for one month (issue 16).

Grid: role × area (each district and ``all`` for the county) × ethnic group, for

* ``rate``: children with a record in the month per 1,000 children of the group per year (u-chart);
* ``count``: children whose ethnicity is not stated (no population, so an XmR chart);
* ``ratio``: the rate ratio to the reference group, charted as the group's share of the two groups' events
  (a p-chart; given both counts that share is binomial, so the chart is exact in its assumptions);
* ``outcome22``: the share of concluded suspect records ending in outcome 22 (a p-chart).

Offender counts and outcome shares use mature months only (outcomes reached within ``follow_up_days`` of
recording, months whose follow-up has elapsed). Levels: *watch* = any SPC rule fires at the month;
*alert* = a rule fires, the exceedance test of the recent window against the baseline is significant after
Benjamini-Hochberg over every monitored series of the month, in the same direction, and the series has at
least ``min_recent_events`` events in the recent window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from analytics import schema, stats, verdicts
from analytics.alerts import exceedance, spc
from analytics.alerts.config import DEFAULT_ALERT_SETTINGS, AlertSettings

COUNTY = "all"
MEASURES: tuple[str, ...] = ("rate", "ratio", "count", "outcome22")
MEASURE_TEXT = {
    "rate": "rate per 1,000 children per year",
    "ratio": "rate ratio to the {reference} group",
    "count": "children with ethnicity not stated",
    "outcome22": "share of concluded suspect records in the decision denominator ending in outcome 22 (%)",
}
LEVELS: tuple[str, ...] = ("alert", "watch")
COLUMNS: tuple[str, ...] = ("level", "role", "measure", "area", "group", "first_month", "month", "rule", "value",
                            "expected", "lower_limit", "upper_limit", "events", "message")
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class AlertData:
    """Monthly counts for the whole grid (from ``analytics.store`` or a simulation).

    ``events``: role, area (district code or ``all``), group, month, events (children). ``population``: area,
    group, population. ``decisions``: area, group, month, events (outcome 22), denominator (concluded within the
    follow-up, with an outcome in ``decision_denominator``), suspect
    records only. ``last_month``: last month whose recording is complete; ``last_mature_month``: last month whose
    follow-up has elapsed.
    """

    events: pd.DataFrame
    population: pd.DataFrame
    decisions: pd.DataFrame
    first_month: pd.Timestamp
    last_month: pd.Timestamp
    last_mature_month: pd.Timestamp
    reference_group: str = schema.DEFAULT_REFERENCE_GROUP
    area_names: dict[str, str] = field(default_factory=dict)
    data_version: str = ""
    #: the outcome-22 share's denominator (``schema.DECISION_DENOMINATORS``)
    decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR


@dataclass(frozen=True)
class Series:
    """One monthly series of the grid: numerator and denominator per month and how it is charted."""

    role: str
    measure: str
    area: str
    group: str
    chart: str
    months: pd.DatetimeIndex
    numerator: np.ndarray
    denominator: np.ndarray
    #: From the chart's scale (rate, share) to the value shown (per 1,000 per year, ratio, percent).
    display: Callable[[np.ndarray], np.ndarray] = field(default=lambda values: values)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.role, self.measure, self.area, self.group


@dataclass(frozen=True)
class SeriesResult:
    """A series evaluated at one month: its chart, the rules that fired, the exceedance test."""

    series: Series
    month: pd.Timestamp
    status: str  # "monitored" or "too few events"
    months: pd.DatetimeIndex | None = None
    values: np.ndarray | None = None
    limits: spc.Limits | None = None
    flags: spc.RuleFlags | None = None
    baseline: tuple[pd.Timestamp, pd.Timestamp] | None = None
    test: exceedance.Exceedance | None = None
    recent_events: int = 0
    rules: tuple[tuple[str, int], ...] = ()

    @property
    def signal(self) -> bool:
        return bool(self.rules)

    @property
    def direction(self) -> int:
        return self.rules[0][1] if self.rules else 0


def month_index(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="MS")


def _exposure(months: pd.DatetimeIndex, population: float) -> np.ndarray:
    """Child-years per 1,000 in each month (so events / exposure is a rate per 1,000 per year)."""
    return population * months.days_in_month.to_numpy(dtype=float) / DAYS_PER_YEAR / 1000


def build_series(data: AlertData) -> list[Series]:
    """Every series of the grid, in a fixed order (role, measure, area, group)."""
    out: list[Series] = []
    events = data.events.copy()
    events["month"] = pd.to_datetime(events["month"])
    table = events.pivot_table(index=["role", "area", "group"], columns="month", values="events", aggfunc="sum",
                               fill_value=0)
    population = data.population.set_index(["area", "group"])["population"].astype(float)
    areas = [*sorted(a for a in population.index.get_level_values("area").unique() if a != COUNTY), COUNTY]
    reference = data.reference_group

    by_key = {key: table.iloc[i] for i, key in enumerate(table.index)}

    def counts(role: str, area: str, group: str, months: pd.DatetimeIndex) -> np.ndarray:
        row = by_key.get((role, area, group))
        if row is None:
            return np.zeros(len(months))
        return row.reindex(months, fill_value=0).to_numpy(dtype=float)

    for role in schema.ROLES:
        last = data.last_mature_month if role == "offender" else data.last_month
        months = month_index(data.first_month, last)
        for area in areas:
            for group in schema.ETHNIC_GROUPS:
                pop = float(population.get((area, group), 0.0))
                if pop > 0:
                    out.append(Series(role, "rate", area, group, "u", months, counts(role, area, group, months),
                                      _exposure(months, pop)))
            out.append(Series(role, "count", area, schema.NOT_STATED, "xmr", months,
                              counts(role, area, schema.NOT_STATED, months), np.ones(len(months))))
            ref_pop = float(population.get((area, reference), 0.0))
            ref_events = counts(role, area, reference, months)
            for group in schema.ETHNIC_GROUPS:
                pop = float(population.get((area, group), 0.0))
                if group == reference or pop <= 0 or ref_pop <= 0:
                    continue
                x = counts(role, area, group, months)
                factor = ref_pop / pop
                out.append(Series(role, "ratio", area, group, "p", months, x, x + ref_events,
                                  display=_ratio_display(factor)))
    decisions = data.decisions.copy()
    decisions["month"] = pd.to_datetime(decisions["month"])
    months = month_index(data.first_month, data.last_mature_month)
    for area in areas:
        for group in schema.ETHNIC_GROUPS_WITH_NOT_STATED:
            part = decisions[(decisions["area"] == area) & (decisions["group"] == group)].set_index("month")
            x = part["events"].reindex(months, fill_value=0).to_numpy(dtype=float)
            n = part["denominator"].reindex(months, fill_value=0).to_numpy(dtype=float)
            if n.sum() > 0:
                out.append(Series("suspect", "outcome22", area, group, "p", months, x, n, display=_percent))
    return out


def _percent(values: np.ndarray) -> np.ndarray:
    return 100 * np.asarray(values, dtype=float)


def _ratio_display(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    """Share of the two groups' events -> rate ratio (share / (1 - share) × reference population / population)."""
    def display(share: np.ndarray) -> np.ndarray:
        share = np.asarray(share, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(share >= 1, np.inf, share / (1 - share) * factor)
    return display


# Evaluation --------------------------------------------------------------------------------------------------
def evaluate_series(series: Series, month: pd.Timestamp, settings: AlertSettings = DEFAULT_ALERT_SETTINGS,
                    *, with_test: bool = True) -> SeriesResult | None:
    """The series at ``month`` (or at its last month, if earlier: mature measures end sooner); None before the
    series has any month."""
    month = min(pd.Timestamp(month), series.months[-1]) if len(series.months) else pd.Timestamp(month)
    if not len(series.months) or month < series.months[0]:
        return None
    end = int(series.months.searchsorted(month))
    start = max(0, end - settings.test_months - settings.baseline_months + 1)
    base_end = end - settings.test_months  # last baseline position
    x = series.numerator[start: end + 1]
    n = series.denominator[start: end + 1]
    months = series.months[start: end + 1]
    baseline = np.arange(start, end + 1) <= base_end
    has_value = n > 0
    if (baseline & has_value).sum() < settings.min_baseline_points or x[baseline].sum() < settings.min_baseline_events:
        return SeriesResult(series, month, "too few events")
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(has_value, x / np.where(has_value, n, 1), np.nan)
    if series.chart == "u":
        limits = spc.u_limits(x, n, baseline & has_value, settings.sigma, settings.near_fraction)
    elif series.chart == "p":
        limits = spc.p_limits(x, n, baseline & has_value, settings.sigma, settings.near_fraction)
    else:
        limits = spc.xmr_limits(values, baseline & has_value, settings.sigma, settings.near_fraction)
    flags = spc.flag_rules(values, limits, settings.shift_run, settings.trend_run)
    rules = tuple(flags.at(len(values) - 1)) if has_value[-1] else ()
    recent = np.arange(len(x)) > len(x) - 1 - settings.recent_months
    test = None
    if with_test:
        if series.chart == "p":
            test = exceedance.share_change(x[recent].sum(), n[recent].sum(), x[baseline].sum(), n[baseline].sum())
        else:
            test = exceedance.rate_change(x[recent].sum(), n[recent].sum(), x[baseline].sum(), n[baseline].sum())
    base_months = months[baseline]
    return SeriesResult(series, month, "monitored", months, values, limits, flags,
                        (base_months[0], base_months[-1]), test, int(x[recent].sum()), rules)


@dataclass(frozen=True)
class Finding:
    """One series' state at the month: its level (alert, watch or none) and everything behind it."""

    result: SeriesResult
    level: str | None
    q_value: float
    first_month: pd.Timestamp | None = None
    months_active: int = 0
    rejected: bool = False  # the exceedance test rejected after BH over the grid
    interval_level: float = 0.95  # the grid's Benjamini-Yekutieli level for the change intervals
    change: Change | None = None

    @property
    def verdict(self) -> verdicts.Verdict:
        """The recent window against the baseline: higher, similar, lower or not estimable (``analytics.verdicts``)."""
        if self.change is None or self.result.test is None:
            return verdicts.Verdict.NOT_ESTIMABLE
        return verdicts.verdict_of(self.change.estimate, self.result.test.p_value, self.rejected)


@dataclass(frozen=True)
class Change:
    """The recent window against the baseline as a ratio (recent rate over baseline rate, or recent share over
    baseline share) with its interval at the grid's false-coverage-rate adjusted level."""

    estimate: float
    lower: float
    upper: float
    level: float
    method: str


def change_of(result: SeriesResult, level: float, settings: AlertSettings) -> Change | None:
    """Recent window / baseline: exact conditional interval for a rate or count (it inverts the exceedance test);
    for a ratio the factor by which the rate ratio changed (the conditional odds ratio of the group's share of the
    two groups' events, exact interval, as Fisher's test); Koopman score interval for a share."""
    if result.status != "monitored" or result.months is None:
        return None
    s = result.series
    start = int(s.months.searchsorted(result.months[0]))
    end = int(s.months.searchsorted(result.month))
    x, n = s.numerator[start: end + 1], s.denominator[start: end + 1]
    recent = np.arange(len(x)) > len(x) - 1 - settings.recent_months
    baseline = np.arange(len(x)) <= len(x) - 1 - settings.test_months
    xr, nr, xb, nb = x[recent].sum(), n[recent].sum(), x[baseline].sum(), n[baseline].sum()
    level = min(max(level, 0.5), 0.999999)
    try:
        if s.measure == "ratio":  # the change of the rate ratio is the odds ratio of the group's share
            table = [[int(xr), int(nr - xr)], [int(xb), int(nb - xb)]]
            odds = scipy_stats.contingency.odds_ratio(table, kind="conditional")
            interval = odds.confidence_interval(level)
            return Change(float(odds.statistic), float(interval.low), float(interval.high), level,
                          "conditional maximum likelihood odds ratio, exact interval")
        if s.chart == "p":
            share = stats.risk_ratio(int(xr), int(nr), int(xb), int(nb), level, method="score")
            return Change(float(share.estimate), float(share.lower), float(share.upper), level,
                          "Koopman score interval")
        ratio = stats.rate_ratio(int(xr), float(nr), int(xb), float(nb), level, method="exact")
        method = "exact conditional interval"
    except ValueError:
        return None
    return Change(float(ratio.estimate), float(ratio.lower), float(ratio.upper), level, method)


def evaluate_grid(series: Iterable[Series], month: pd.Timestamp,
                  settings: AlertSettings = DEFAULT_ALERT_SETTINGS) -> list[Finding]:
    """Every series at ``month``, with BH q-values over all monitored series and the levels."""
    results = [r for s in series if (r := evaluate_series(s, month, settings)) is not None]
    monitored = [r for r in results if r.status == "monitored" and r.test is not None]
    pvalues = np.array([r.test.p_value for r in monitored if r.test is not None])
    family = verdicts.adjust_family(pvalues, settings.fdr, "bh")
    q_of = {id(r): (float(q), bool(rej)) for r, q, rej in zip(monitored, family.p_adjusted, family.rejected,
                                                                strict=True)}
    findings = []
    for r in results:
        q, rejected = q_of.get(id(r), (float("nan"), False))
        findings.append(Finding(r, level_of(r, q, settings), q, rejected=rejected,
                                interval_level=family.interval_level))
    return findings


def level_of(result: SeriesResult, q_value: float, settings: AlertSettings) -> str | None:
    """*alert*, *watch* or None, exactly as issue 16 defines them."""
    if not result.signal:
        return None
    test = result.test
    significant = (test is not None and not np.isnan(q_value) and q_value <= settings.fdr
                   and test.direction == result.direction)
    if significant and result.recent_events >= settings.min_recent_events:
        return "alert"
    return "watch"


def signal_history(series: Series, month: pd.Timestamp, settings: AlertSettings) -> tuple[pd.Timestamp | None, int]:
    """(first month, months active) of the run of consecutive months up to ``month`` in which the series signalled
    (any SPC rule; looked back at most ``history_months``)."""
    month = min(pd.Timestamp(month), series.months[-1])
    first, active = None, 0
    for back in range(settings.history_months):
        m = month - pd.DateOffset(months=back)
        if m < series.months[0]:
            break
        result = evaluate_series(series, m, settings, with_test=False)
        if result is None or not result.signal:
            break
        first, active = pd.Timestamp(m), active + 1
    return first, active


def findings(data: AlertData, month: pd.Timestamp | None = None,
             settings: AlertSettings = DEFAULT_ALERT_SETTINGS) -> list[Finding]:
    """The grid's signalling findings at ``month`` (default: the last complete month), alerts first."""
    month = pd.Timestamp(month) if month is not None else data.last_month
    out = []
    for finding in evaluate_grid(build_series(data), month, settings):
        if finding.level is None:
            continue
        first, active = signal_history(finding.result.series, month, settings)
        out.append(Finding(finding.result, finding.level, finding.q_value, first, active, finding.rejected,
                           finding.interval_level, change_of(finding.result, finding.interval_level, settings)))
    return sorted(out, key=_order)


def _order(finding: Finding) -> tuple[Any, ...]:
    s = finding.result.series
    return (LEVELS.index(finding.level or "watch"), schema.ROLES.index(s.role), MEASURES.index(s.measure),
            s.area == COUNTY, s.area, s.group)
