"""Change over time (DESIGN.md section 5.5): monthly counts, rolling 12-month ratios, period comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from analytics import disparity, schema, stats
from analytics.filters import Filters
from analytics.population_sex import population_sexes, sex_outside_population
from analytics.store import Store

WINDOW_MONTHS = 12


def month_end(month_start: date) -> date:
    return (pd.Timestamp(month_start) + pd.offsets.MonthEnd(0)).date()


def months_back(month_start: date, months: int) -> date:
    return (pd.Timestamp(month_start) - pd.DateOffset(months=months)).date()


def monthly_counts(store: Store, filters: Filters) -> pd.DataFrame:
    """Events per group per month (``month, group, value``)."""
    return _monthly_frame(store.event_counts(filters, ("month",)))


def _monthly_frame(counts: pd.DataFrame) -> pd.DataFrame:
    return counts.rename(columns={"ethnic_group": "group", "events": "value"}).sort_values(["month", "group"])


@dataclass(frozen=True)
class MonthlyTrends:
    """The Trends page's two series: events per group per month, and the rolling 12-month ratios."""

    monthly: pd.DataFrame
    rolling: pd.DataFrame


def monthly_trends(store: Store, filters: Filters, window: int = WINDOW_MONTHS) -> MonthlyTrends:
    """``monthly_counts`` and ``rolling_ratios`` from one scan of the records (the same tables; a second scan for the
    ratios when the selection has children of sex U or X, since the ratios count girls and boys only)."""
    monthly, rolling = store.monthly_and_rolling_counts(filters, window)
    rated = population_sexes(filters)
    if rated != filters and sex_outside_population(store, filters)["events"].sum() > 0:
        rolling = store.rolling_event_counts(rated, window)
    return MonthlyTrends(_monthly_frame(monthly), _rolling_ratios(store, filters, rolling))


def rolling_ratios(store: Store, filters: Filters, window: int = WINDOW_MONTHS) -> pd.DataFrame:
    """Rate ratio to the reference group over each 12-month window, with its exact interval.

    The population is the same for every window (Census 2021), so the ratio of rates over a window
    equals the ratio of events scaled by the populations. Children of sex U or X are not counted (no population:
    ``disparity.population_sexes``).
    """
    return _rolling_ratios(store, filters, store.rolling_event_counts(population_sexes(filters), window))


def _rolling_ratios(store: Store, filters: Filters, counts: pd.DataFrame) -> pd.DataFrame:
    population = store.population_counts(filters).set_index("ethnic_group")["population"]
    reference = filters.reference_group
    rows = []
    for month, part in counts.groupby("month"):
        events = dict(zip(part["ethnic_group"], part["events"], strict=True))
        ref_events, ref_population = int(events.get(reference, 0)), int(population.get(reference, 0))
        for group in schema.ETHNIC_GROUPS:
            if group == reference or not population.get(group, 0) or not ref_population:
                continue
            result = stats.rate_ratio(int(events.get(group, 0)), int(population[group]), ref_events, ref_population,
                                      filters.confidence, method="exact")
            rows.append({"month": month, "group": group, "ratio": result.estimate, "lower": result.lower,
                         "upper": result.upper, "events": int(events.get(group, 0)), "reference_events": ref_events,
                         "p_value": result.p_value})
    return pd.DataFrame(rows, columns=["month", "group", "ratio", "lower", "upper", "events", "reference_events",
                                       "p_value"])


def rolling_outcome_shares(store: Store, filters: Filters, outcome_codes: tuple[str, ...] = (schema.OUTCOME_22,),
                           window: int = WINDOW_MONTHS,
                           denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> pd.DataFrame:
    """``rolling_shares`` of ``decision_ratios(store, filters, outcome_codes, "month", denominator)`` from the monthly
    counts alone: the monthly ratios and their score intervals, which the rolling shares do not use, are not
    computed. The ``concluded`` column counts the records in the ``denominator``."""
    filters = filters if filters.roles else filters.replace(roles=("suspect",))  # as decision_ratios
    disparity.check_denominator(denominator)
    counts = store.decision_counts(filters, outcome_codes, ("month",), schema.DECISION_DENOMINATORS[denominator])
    if filters.ethnic_groups:  # the groups a decision table keeps
        kept = {*filters.ethnic_groups, filters.reference_group, schema.NOT_STATED}
        counts = counts[counts["ethnic_group"].isin(kept)]
    monthly = counts.rename(columns={"ethnic_group": "group", "month": "split"})
    return rolling_shares(monthly[["split", "group", "events", "denominator"]], filters.confidence, window)


def rolling_shares(monthly: pd.DataFrame, conf: float, window: int = WINDOW_MONTHS) -> pd.DataFrame:
    """Rolling ``window``-month share of concluded records with the chosen outcome, per group, with a Wilson
    interval. ``monthly`` is a decision table split by month (records are additive across months)."""
    rows = []
    if len(monthly):  # one calendar for every group: the months of the whole table
        months = pd.date_range(monthly["split"].min(), monthly["split"].max(), freq="MS")
    for group, part in monthly.groupby("group"):
        part = part.sort_values("split").set_index("split")[["events", "denominator"]]
        part = part.reindex(months, fill_value=0)  # months with no records: text columns cannot take 0
        events = part["events"].rolling(window).sum()
        concluded = part["denominator"].rolling(window).sum()
        ends = months[window - 1:]
        x, n = events[ends].to_numpy(), concluded[ends].to_numpy()
        kept = n > 0
        shares = stats.wilson_ci_array(x[kept], n[kept], conf)
        rows.append(pd.DataFrame({"month": ends[kept], "group": group, "share": 100 * shares.estimate,
                                  "lower": 100 * shares.lower, "upper": 100 * shares.upper,
                                  "events": x[kept].astype(int), "concluded": n[kept].astype(int)}))
    columns = ["month", "group", "share", "lower", "upper", "events", "concluded"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class PeriodComparison:
    """The latest period against the one before it, for one table builder."""

    current_label: str
    previous_label: str
    current: disparity.DisparityTable
    previous: disparity.DisparityTable

    def joined(self) -> pd.DataFrame:
        keep = ["group", "events", "rate", "ratio", "ratio_lower", "ratio_upper", "verdict", "reliability"]
        now = self.current.table[keep]
        before = self.previous.table[keep].rename(columns={c: f"{c}_previous" for c in keep if c != "group"})
        return now.merge(before, on="group", how="left")


def last_complete_month(store: Store) -> date | None:
    return store.month_range()[1]


def twelve_month_windows(end_month: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(12 months to end_month) and (the 12 months before), as inclusive date ranges."""
    current = (months_back(end_month, WINDOW_MONTHS - 1), month_end(end_month))
    previous = (months_back(end_month, 2 * WINDOW_MONTHS - 1), month_end(months_back(end_month, WINDOW_MONTHS)))
    return current, previous


def compare_years(store: Store, filters: Filters, end_month: date) -> PeriodComparison:
    """Population ratios in the 12 months to ``end_month`` against the 12 months before."""
    (c_from, c_to), (p_from, p_to) = twelve_month_windows(end_month)
    current = disparity.population_rates(store, filters.replace(date_from=c_from, date_to=c_to))
    previous = disparity.population_rates(store, filters.replace(date_from=p_from, date_to=p_to))
    return PeriodComparison(
        f"12 months to {end_month:%B %Y}", f"12 months to {months_back(end_month, WINDOW_MONTHS):%B %Y}",
        current, previous,
    )


def month_on_month(store: Store, filters: Filters, month: date) -> pd.DataFrame:
    """Children (or records) by role in ``month`` and in the month before, with the change."""
    previous = months_back(month, 1)
    rows = []
    for label, start in (("this_month", month), ("previous_month", previous)):
        counts = store.counts(filters.replace(date_from=start, date_to=month_end(start)), ("role",))
        rows.append(counts.set_index("role")["events"].rename(label))
    table = pd.concat(rows, axis=1).reindex(list(schema.ROLES)).fillna(0).astype(int)
    table["change"] = table["this_month"] - table["previous_month"]
    return table.reset_index(names="role")
