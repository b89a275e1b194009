"""The period a population rate covers, and rates per 1,000 children per year (issue 13, point 5).

A rate is events / population / years × 1,000, where years is the period's length in days / 365.25 (the
Julian year, so a leap day counts as a quarter of one in every year). The period is the selected date range
cut to the months the data cover (from the first day of the data's first month to the last day of its last
month: extracts and stop-and-search files come in whole months), so a 46-month dashboard view and a 12-month
pack give the same annual rate for the same underlying rate, comparable with national annual figures. The
interval scales the same way (an exact Garwood or Byar interval on the count, divided by person-years);
ratios of two rates over the same period are unchanged.

No pandas here: ``analytics.cli`` imports this module for ``--help``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

#: Days in a year for annual rates (the Julian year: the mean calendar year over a leap-year cycle).
DAYS_PER_YEAR = 365.25
#: The unit every population rate is stated in (headers, axis titles, exports, metadata).
RATE_UNIT = "per 1,000 children per year"
#: Counts of months or days from 1 to 4 in words (the scrutiny scanners read a bare 1-4 as a small count).
SMALL_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four"}
#: The annualisation convention, stated beside every rate table.
CONVENTION = ("Rates are per 1,000 children per year: events ÷ children in the population ÷ years × 1,000, "
              "years = the period's days ÷ 365.25; the interval is the exact (Garwood, below 10 events) or "
              "Byar interval on the count divided by the person-years; ratios are unchanged by the scaling.")


def rate_note(period: Period, by_month: bool = False) -> str:
    """The period and the convention, as stated beside every rate table."""
    by_month_note = " Each month's rate is per year of that month." if by_month else ""
    return f"Period: {period.label}. {CONVENTION}{by_month_note}"


def month_name(value: object, pattern: str = "%B %Y") -> str:
    """A month as users read it ("September 2026"; ``pattern="%b %Y"``: "Sep 2026") from a date, a timestamp or an
    ISO "2026-09" or "2026-09-01" string; "" for a missing month. A bare "2026-09" would read as a code, or in the
    scrutiny edition as a count of nine."""
    if value is None or value == "" or value != value:  # NaN and NaT differ from themselves
        return ""
    if isinstance(value, datetime | date):
        return value.strftime(pattern)
    text = str(value).strip()
    return datetime.strptime(text[:7], "%Y-%m").strftime(pattern)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """An inclusive date range (``start`` to ``end``, both days counted)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def years(self) -> float:
        """The period's length in years (days / 365.25): the person-years per child of the population."""
        return self.days / DAYS_PER_YEAR

    @property
    def whole_months(self) -> int | None:
        """The number of calendar months when the period is whole months (1st to a month's last day), else None."""
        if self.start.day != 1 or self.end != month_end(self.end):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def length(self) -> str:
        """'12 months', 'one month' or '45 days' (1 to 4 in words: a bare small number reads as a count)."""
        months = self.whole_months
        count, noun = (months, "month") if months is not None else (self.days, "day")
        return f"{SMALL_NUMBERS.get(count, f'{count:,}')} {noun}{'s' if count != 1 else ''}"

    @property
    def label(self) -> str:
        """e.g. 'November 2025 to October 2026, 12 months' (whole months) or '2026-10-03 to 2026-10-17, 15 days'."""
        if self.whole_months is not None:
            if self.whole_months == 1:
                return f"{self.start:%B %Y}, one month"
            return f"{self.start:%B %Y} to {self.end:%B %Y}, {self.length}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}, {self.length}"

    def as_dict(self) -> dict[str, object]:
        """The period as exports' metadata states it."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days,
                "years": self.years, "label": self.label, "rate_unit": RATE_UNIT}


def month_within(month: date, period: Period) -> Period:
    """The part of ``month`` (any day of it) inside ``period`` (a split-by-month row's own period)."""
    start, end = max(month.replace(day=1), period.start), min(month_end(month), period.end)
    return Period(start, end) if start <= end else Period(month.replace(day=1), month_end(month))


@dataclass(frozen=True)
class Maturity:
    """Which months' outcomes are mature (issue 13): a record counts toward an outcome share only if made at least
    ``follow_up_days`` before ``end_of_data`` (the latest record or outcome date), its outcome only if reached
    within as many days of recording. Months with a day after the cut-off are incomplete: their outcomes (and the
    records that follow from them, offenders) are still coming in, so a low figure there is not a fall."""

    end_of_data: date
    follow_up_days: int
    outcome_dates: bool = True  # whether the data carry outcome dates (else the rule uses recording dates only)

    @property
    def cutoff(self) -> date:
        """The last recording date whose outcomes are mature."""
        return self.end_of_data - timedelta(days=self.follow_up_days)

    @property
    def first_incomplete_month(self) -> date | None:
        """The first day of the first month with a day after the cut-off (None without a follow-up)."""
        if not self.follow_up_days:
            return None
        cutoff = self.cutoff
        start = cutoff.replace(day=1)
        return start if month_end(cutoff) > cutoff else month_end(cutoff) + timedelta(days=1)

    @property
    def latest_complete_month(self) -> date:
        """The first day of the latest month whose every record is mature (the end of data's month without one)."""
        first = self.first_incomplete_month
        if first is None:
            return self.end_of_data.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1)

    def is_complete(self, month: date) -> bool:
        """Whether ``month`` (any day of it) is mature."""
        first = self.first_incomplete_month
        return first is None or month.replace(day=1) < first

    @property
    def note(self) -> str:
        """The cohort rule as stated beside every outcome share."""
        if not self.follow_up_days:
            return "Outcomes as they stand at the end of the data (no follow-up rule): recent months are not mature."
        n = self.follow_up_days
        when = (f"outcomes reached within {n} days of recording (an outcome dated later counts as still open)"
                if self.outcome_dates else
                "the data carry no outcome dates, so the cohort rule uses the recording date only")
        return (f"Cohort with a {n}-day follow-up: records made by {_day(self.cutoff)} ({n} days before the end of "
                f"the data, {_day(self.end_of_data)}); {when}. Months from "
                f"{self.first_incomplete_month:%B %Y} are incomplete.")


def _day(day: date) -> str:
    return day.isoformat()  # ISO: '2026-08-02' (a bare day number reads as a small count to the scanners)


def rate_period(date_from: date | None, date_to: date | None, first: date | None, last: date | None) -> Period:
    """The period a rate covers: the selected range (``date_from``/``date_to``, open ends taken from the data)
    cut to the whole months the data cover (``first``/``last``: any days of the data's first and last months).
    Without data, or when the range lies outside it, the selected range itself (no events: every rate is 0)."""
    cover_from = first.replace(day=1) if first else None
    cover_to = month_end(last) if last else None
    start, end = date_from or cover_from, date_to or cover_to
    if start is None or end is None:
        today = date.today()
        start, end = start or end or today, end or start or today
    cut_start, cut_end = max(start, cover_from or start), min(end, cover_to or end)
    if cut_start <= cut_end:
        return Period(cut_start, cut_end)
    return Period(start, end) if start <= end else Period(end, start)


class _Data(Protocol):
    """What the store-facing helpers read (``analytics.store.Store``)."""

    def month_range(self) -> tuple[date | None, date | None]: ...
    def end_of_data(self) -> date | None: ...
    def outcome_dates_recorded(self) -> bool: ...


class _Dates(Protocol):
    """What they read from ``analytics.filters.Filters`` (read-only: it is frozen)."""

    @property
    def date_from(self) -> date | None: ...
    @property
    def date_to(self) -> date | None: ...
    @property
    def follow_up_days(self) -> int: ...


def rate_period_of(store: _Data, filters: _Dates) -> Period:
    """The period a rate table covers: the filters' dates cut to the whole months of the data."""
    first, last = store.month_range()
    return rate_period(filters.date_from, filters.date_to, first, last)


def split_years(period: Period, split: str | None, values: list[Any]) -> float | dict[Any, float]:
    """The years each split value's rates cover: the period's, or for a split by month each month's part of it."""
    if split != "month":
        return period.years
    return {value: month_within(value.date() if isinstance(value, datetime) else value, period).years
            for value in values}


def outcome_maturity(store: _Data, filters: _Dates) -> Maturity:
    """The follow-up rule in force for outcome shares: the end of the data (the latest record or outcome date) and
    ``filters.follow_up_days`` (``analytics.store.where.decision_source`` applies it)."""
    end = store.end_of_data() or date.today()
    return Maturity(end, filters.follow_up_days, store.outcome_dates_recorded())
