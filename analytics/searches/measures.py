"""Stop-and-search measures by ethnic group, on the shared table engine (``analytics.tables``).

``rate`` (searches of children per 1,000 children of the group per year of the period, ``analytics.periods``;
exact conditional rate-ratio interval on the counts deflated by their overdispersion, ``search_dispersion``),
``weapons`` (share of searches with an object of search recorded that were for offensive weapons; Wilson,
Koopman score risk ratio), ``find`` (the outcome test: share of searches with an outcome recorded whose
outcome was anything other than "A no further action disposal"; optionally only those where the outcome
was linked to the object of search). Searches with no object or no outcome recorded are counted and
reported, never folded into either side.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics import periods, quality, schema, stats
from analytics.searches.filters import SearchFilters
from analytics.searches.parse import AGE_RANGES, CHILD, NO_FURTHER_ACTION, OFFENSIVE_WEAPONS
from analytics.searches.population import population, whole_area_population
from analytics.store import SearchStore
from analytics.tables import (
    ALL_SPLIT,
    RatePart,
    RatioTable,
    by_group,
    decision_rows,
    empty_table,
    finish_table,
    rate_rows,
)

MEASURES: tuple[str, ...] = ("rate", "weapons", "find")
SPLITS: tuple[str, ...] = ("area", "month", "object")


@dataclass(frozen=True)
class SearchTable(RatioTable):
    """A stop-and-search rate/share table (``analytics.tables.RatioTable``: the columns, metadata and exports
    of the crime-record tables) and, for shares, the searches of each group that were left out because
    the object of search or the outcome was not recorded (``not_recorded``)."""

    filters: SearchFilters
    not_recorded: dict[str, dict[str, int]] = field(default_factory=dict)
    #: rates: the counts' overdispersion (variance / mean) the intervals allow for (``search_dispersion``)
    dispersion: float | None = None

    @property
    def counting_unit(self) -> str:
        return "searches"

    def measure_metadata(self) -> dict[str, Any]:
        if self.dispersion is None:
            return {"not_recorded": self.not_recorded}
        return {"not_recorded": self.not_recorded, "dispersion": self.dispersion}

    def metadata(self) -> dict[str, Any]:
        meta = super().metadata()
        if self.filters.ethnicity_source == "concordance":
            meta["ethnicity_method"] = SEARCH_DEFAULT_METHOD
        return meta


#: What the default ethnicity source means for stop and search (the reallocation is for crime records).
SEARCH_DEFAULT_METHOD = ("Stop and search: self-defined ethnicity where stated; searches without a self-defined "
                         "code are Not stated (the concordance reallocation applies to crime records; compare the "
                         "sensitivity sources for searches).")


def _counts(sstore: SearchStore, filters: SearchFilters, split: str | None) -> pd.DataFrame:
    dims = (split,) if split else ()
    return sstore.counts(filters, dims, NO_FURTHER_ACTION, OFFENSIVE_WEAPONS)


def _split_values(counts: pd.DataFrame, split: str | None) -> list:
    if not split:
        return [ALL_SPLIT]
    return sorted(set(counts[split])) if len(counts) else []


def _label(split: str | None, value):
    if split == "month" and value is not None and not isinstance(value, str):
        return pd.Timestamp(value).strftime("%Y-%m")
    return value


def search_dispersion(monthly: pd.DataFrame) -> tuple[float, int]:
    """The overdispersion of search counts and its degrees of freedom, from the counts per month and group
    (``month, ethnic_group, searches``): the quasi-Poisson (Pearson) estimate phi = X^2 / df, X^2 the sum over groups
    of sum_m (y_gm - mean_g)^2 / mean_g over every month of the selection (zeros included), df = sum (months - 1)
    (Wedderburn 1974; McCullagh & Nelder 1989 section 4.5), floored at 1. Searches cluster (the same child searched
    again, operations), so a total's variance is phi times its mean; variation between months that is real
    (season, trend) counts as dispersion too, which errs towards wider intervals. (1.0, 0) with fewer than 2
    months."""
    if monthly.empty:
        return 1.0, 0
    wide = monthly.pivot_table(index="month", columns="ethnic_group", values="searches", aggfunc="sum", fill_value=0)
    months = len(wide)
    means = wide.mean(axis=0)
    used = means[means > 0].index
    df = (months - 1) * len(used)
    if df < 1:
        return 1.0, 0
    chi2 = float((((wide[used] - means[used]) ** 2) / means[used]).to_numpy().sum())
    return max(1.0, chi2 / df), int(df)


def search_rates(sstore: SearchStore, filters: SearchFilters, split: str | None = None) -> SearchTable:
    """Searches of children aged 10-17 per 1,000 children of the group per year, ratio to the reference (exact, on
    the counts' effective values: each group's count with variance phi x count, ``search_dispersion``)."""
    _check_split(split)
    if filters.age_ranges != (CHILD,):
        raise ValueError("the rate measure is per 1,000 children aged 10-17 per year: use --age-range 10-17 "
                         "(other age ranges: --measure weapons or find)")
    counts = _counts(sstore, filters, split)
    phi, df = search_dispersion(counts if split == "month" else _counts(sstore, filters, "month"))
    pop, source = population(sstore, filters)
    whole = whole_area_population(pop)
    parts: list[RatePart] = []
    for value in _split_values(counts, split):
        events = by_group(counts, split, value, "searches")
        if split == "area":
            part = pop[pop["area_code"] == value]
            denominators = {g: int(v) for g, v in part.groupby("ethnic_group")["population"].sum().items()}
        elif filters.areas:
            denominators = {g: int(v) for g, v in pop.groupby("ethnic_group")["population"].sum().items()}
        else:
            denominators = whole
        counted = {g: float(e) for g, e in events.items()}
        parts.append((_label(split, value), counted, denominators, {g: phi * e for g, e in counted.items()}))
    period = search_period(sstore, filters)
    years: float | dict[Any, float] = period.years
    if split == "month":
        years = {_label(split, value): periods.month_within(pd.Timestamp(value).date(), period).years
                 for value in _split_values(counts, split)}
    rows = rate_rows(parts, filters.reference_group, filters.confidence, years=years)
    table = _finish(rows, filters)
    notes = [f"Period: {period.label}. Rates are per 1,000 children aged 10-17 per year: searches ÷ children ÷ "
             "years × 1,000, years = the period's days ÷ 365.25 (each month's own days when split by month); "
             "the unit is the search (a child searched twice counts twice).",
             (f"Searches are overdispersed (a child searched again, operations): the intervals allow for a variance "
              f"{phi:.2f} times the count (quasi-Poisson dispersion from the monthly counts by group, {df} degrees "
              "of freedom; 1 means none found)." if df else
              "One month selected: no overdispersion estimate, so the intervals are Poisson's (likely too narrow)."),
             "Not stated: its share of all searches (Wilson interval); it has no population denominator."]
    if split == "area":
        notes.append("Searches without a published location, or outside the district boundaries, have no "
                     "district population: their rows show counts only.")
    return SearchTable(table, "rate", filters, split=split, period=period,
                       numerator="stop-and-search records of children aged 10-17 in the period",
                       denominator="children aged 10-17 of the group in the force area (or district)",
                       denominator_source=source, notes=tuple(notes), dispersion=phi)


def search_period(sstore: SearchStore, filters: SearchFilters) -> periods.Period:
    """The period a search rate covers: the filters' dates cut to the whole months of the searches loaded."""
    options = sstore.options()
    return periods.rate_period(filters.date_from, filters.date_to, options["first"], options["last"])


def weapons_shares(sstore: SearchStore, filters: SearchFilters, split: str | None = None) -> SearchTable:
    """Share of searches (with an object of search recorded) that were for offensive weapons, by group."""
    _check_split(split)
    if split == "object":
        raise ValueError("the weapons measure cannot be split by object of search (it is about one object)")
    counts = _counts(sstore, filters, split)
    return _share_table(counts, filters, split, "weapons", "object_recorded",
                        lambda c: c["searches"] - c["object_recorded"], "weapons",
                        numerator=f"searches whose object of search was {OFFENSIVE_WEAPONS!r}",
                        denominator="searches of the group with an object of search recorded",
                        missing_label="no object of search recorded")


def find_rates(sstore: SearchStore, filters: SearchFilters, split: str | None = None,
               linked: bool = False) -> SearchTable:
    """The outcome test: share of searches with an outcome recorded whose outcome was other than
    "A no further action disposal" (``linked``: and the outcome was linked to the object of search)."""
    _check_split(split)
    counts = _counts(sstore, filters, split)
    events = "linked_finds" if linked else "finds"
    numerator = (f"searches with an outcome other than {NO_FURTHER_ACTION!r}"
                 + (" that was linked to the object of search" if linked else ""))
    result = _share_table(counts, filters, split, events, "outcome_recorded", lambda c: c["no_outcome"],
                          "find", numerator=numerator,
                          denominator="searches of the group with an outcome recorded",
                          missing_label="no outcome recorded")
    if linked:
        unknown = int(counts["link_not_recorded"].sum()) if len(counts) else 0
        notes = (*result.notes, f"{unknown:,} searches with an action outcome had 'Outcome linked to object of "
                 "search' blank (not recorded); they count as not linked.")
        result = dataclasses.replace(result, measure="find (linked to object)", notes=notes)
    return result


def _share_table(counts, filters, split, events_column, denominator_column, missing, measure, *, numerator,
                 denominator, missing_label) -> SearchTable:
    rows = []
    not_recorded: dict = {}
    for value in _split_values(counts, split):
        events = by_group(counts, split, value, events_column)
        totals = by_group(counts, split, value, denominator_column)
        rows += decision_rows(_label(split, value), events, totals, filters.reference_group, filters.confidence)
        part = counts[counts[split] == value] if split else counts
        lacking = {g: int(v) for g, v in part.assign(m=missing(part)).groupby("ethnic_group")["m"].sum().items()}
        key = str(_label(split, value))
        not_recorded[key] = {g: lacking.get(g, 0) for g in schema.ETHNIC_GROUPS_WITH_NOT_STATED}
    table = _finish(rows, filters)
    total_missing = sum(sum(v.values()) for v in not_recorded.values())
    notes = (f"{total_missing:,} searches with {missing_label} are not in the numerators or denominators "
             "(counted by group in the table of searches without one).",
             "The unit is the search; ratios use the Koopman score interval, shares the Wilson interval.")
    return SearchTable(table, measure, filters, numerator=numerator, denominator=denominator,
                       denominator_source="the searches themselves", split=split, not_recorded=not_recorded,
                       notes=notes)


def _finish(rows: list[dict[str, Any]], filters: SearchFilters) -> pd.DataFrame:
    """``tables.finish_table`` of the rows (an empty table when there are none)."""
    return finish_table(pd.DataFrame(rows), filters.confidence, filters.reference_group) if rows else empty_table()


def _check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (expected one of {', '.join(SPLITS)})")


def ratios(sstore: SearchStore, filters: SearchFilters, measure: str, split: str | None = None,
           linked: bool = False) -> SearchTable:
    """The table for one measure (``rate``, ``weapons`` or ``find``)."""
    if measure == "rate":
        return search_rates(sstore, filters, split)
    if measure == "weapons":
        return weapons_shares(sstore, filters, split)
    if measure == "find":
        return find_rates(sstore, filters, split, linked=linked)
    raise ValueError(f"unknown measure {measure!r} (expected one of {', '.join(MEASURES)})")


def monthly_counts(sstore: SearchStore, filters: SearchFilters) -> pd.DataFrame:
    """Searches per month by group (columns ``month, group, value``) for the monthly trend."""
    counts = _counts(sstore, filters, "month")
    if counts.empty:
        return pd.DataFrame(columns=["month", "group", "value"])
    return pd.DataFrame({"month": pd.to_datetime(counts["month"]), "group": counts["ethnic_group"],
                         "value": counts["searches"].astype(int)})


def age_range_counts(sstore: SearchStore, filters: SearchFilters) -> pd.DataFrame:
    """Searches by age range and group, every age range (``under 10`` shown on its own)."""
    counts = sstore.counts(filters.replace(age_ranges=()), ("age_range",), NO_FURTHER_ACTION, OFFENSIVE_WEAPONS)
    if counts.empty:
        return pd.DataFrame(index=list(AGE_RANGES), columns=list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)).fillna(0)
    table = counts.pivot_table(index="age_range", columns="ethnic_group", values="searches", aggfunc="sum",
                               fill_value=0)
    table = table.reindex(index=[a for a in AGE_RANGES if a in table.index],
                          columns=list(schema.ETHNIC_GROUPS_WITH_NOT_STATED), fill_value=0).astype(int)
    table["Total"] = table.sum(axis=1)
    return table


def agreement(sstore: SearchStore, filters: SearchFilters) -> quality.Agreement:
    """Self- vs officer-defined agreement on the filtered searches (kappa, Wilson interval)."""
    long = sstore.crosstab(filters)
    order = list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)
    crosstab = (long.pivot_table(index="self_defined", columns="officer_defined", values="records", aggfunc="sum",
                                 fill_value=0).reindex(index=order, columns=order, fill_value=0).astype(int)
                if len(long) else pd.DataFrame(0, index=order, columns=order))
    stated = crosstab.loc[list(schema.ETHNIC_GROUPS), list(schema.ETHNIC_GROUPS)].to_numpy()
    both, agreeing = int(stated.sum()), int(np.trace(stated))
    kappa, expected = quality.cohens_kappa(stated)
    return quality.Agreement(crosstab=crosstab, both_stated=both, agreeing=agreeing,
                             agreement=stats.wilson_ci(agreeing, both, filters.confidence), kappa=kappa,
                             expected_agreement=expected)


def load_summary(sstore: SearchStore) -> pd.DataFrame:
    """Per force and month: rows read, loaded, rejected (and the file)."""
    return sstore.loads()
