"""What the pack shows, as typed, frozen data: one dataclass per section, raw and as published.

"Raw" is each analytics result exactly as the dashboard computes it for the same filters; "published"
is the same table after disclosure control for the pack's audience (:mod:`analytics.suppression`).
Everything a chart, a table or a sentence shows is read from the published side, except where the
raw side is needed to know which row is the reference group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import pandas as pd

from analytics import suppression
from analytics.disparity import DisparityTable
from analytics.filters import Filters
from analytics.geography import Funnel
from analytics.narrative import Finding
from analytics.quality import Agreement

#: The pack's audiences (as on the command line) and the disclosure-control audience each one is.
AUDIENCES = {"officers": "officer", "scrutiny": "scrutiny"}
AUDIENCE_LABELS = {
    "officers": "Senior officers (exact counts; not for publication)",
    "scrutiny": "Police and Crime Commissioner's scrutiny panel (disclosure-controlled)",
}
DEFAULT_AUDIENCE = "scrutiny"
#: The Government Security Classification marking every page of an edition carries (none: publishable).
MARKINGS = {"officers": "OFFICIAL-SENSITIVE", "scrutiny": ""}
ROLE_PLURAL = {"victim": "victims", "suspect": "suspects", "offender": "offenders"}


class RatioResult(Protocol):
    """A rate/ratio table as the analytics return it (crime records or stop and search)."""

    @property
    def table(self) -> pd.DataFrame: ...

    @property
    def notes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Provenance:
    """The publication the pack was made from."""

    version: str
    source_file: str
    loaded_on: str  # ISO date of the load
    loaded: int
    rejected: int
    excluded: int
    population_source: str


@dataclass(frozen=True)
class RoleRatios:
    """One role's population rates and ratios: the 12 months, the 12 months before, each as published."""

    current: RatioResult
    previous: RatioResult
    published: pd.DataFrame
    previous_published: pd.DataFrame


@dataclass(frozen=True)
class Outcome22:
    """Outcome 22 as a share of the concluded cases in the chosen denominator: crude ratios and the Mantel–Haenszel
    adjusted ones."""

    roles: tuple[str, ...]  # the roles whose cases are compared
    crude: DisparityTable  # its ``decision_denominator`` and ``denominator`` state which cases
    adjusted: pd.DataFrame  # by group: adjusted_ratio, adjusted_lower, adjusted_upper, p_value, homogeneity_p
    published: pd.DataFrame  # the crude table as published


@dataclass(frozen=True)
class Districts:
    """One role's rates by district and ethnic group, the funnel of all children, and the focus group."""

    role: str
    focus_group: str  # the group the map and the focus table show
    rates: RatioResult  # by district (split) and group
    published: pd.DataFrame  # the district x stated-group grid as published
    totals: Mapping[str, int | str]  # each district's count over the stated groups as published ([c] if hidden)
    funnel: Funnel
    area_names: Mapping[str, str]

    def name(self, code: str) -> str:
        return self.area_names.get(code, code)


@dataclass(frozen=True)
class MarkerRates:
    """Rates and ratios of children in crimes carrying a risk marker (knife crime, CCE), for one role."""

    rates: RatioResult  # every marker
    published: pd.DataFrame  # the pack's markers only, as published


@dataclass(frozen=True)
class Rolling:
    """Rolling 12-month ratios for the district role; the published ones leave out windows under 5 events."""

    role: str
    ratios: pd.DataFrame
    published: pd.DataFrame


@dataclass(frozen=True)
class MonthCompleteness:
    """Self-defined ethnicity recorded on the records made in one month."""

    month: date
    share: float  # over all records (NaN when there are none)
    grid: pd.DataFrame  # Stated, Not stated, Records by role and "All roles"
    shown: pd.DataFrame  # the grid as published


@dataclass(frozen=True)
class Quality:
    """Ethnicity recording: this month and last by role, by month over two years, self/officer agreement."""

    this_month: MonthCompleteness
    previous_month: MonthCompleteness
    monthly: pd.DataFrame
    agreement: Agreement


@dataclass(frozen=True)
class MonthOnMonth:
    """Children (or records) by role this month and last, exact and as published."""

    counts: pd.DataFrame  # this_month, previous_month by role
    shown: pd.DataFrame


@dataclass(frozen=True)
class SearchRatios:
    result: RatioResult
    published: pd.DataFrame


@dataclass(frozen=True)
class Searches:
    """Stop and search of children in the pack's 12 months; no measures when none are loaded."""

    forces: tuple[str, ...] = ()
    measures: Mapping[str, SearchRatios] = field(default_factory=dict)  # "rate" (per 1,000), "find" (led to action)


@dataclass(frozen=True)
class PackData:
    """Everything the monthly pack shows, computed for one month, audience and set of filters."""

    month: date  # the first day of the pack's month
    audience: str  # a key of AUDIENCES
    filters: Filters  # the dashboard's filters with the date range set to the 12 months to ``month``
    base_filters: Filters  # the same without a date range
    force: str
    data_from: date  # the first month of the data
    produced: date
    provenance: Provenance
    roles: Mapping[str, RoleRatios]
    outcome22: Outcome22
    districts: Districts
    markers: Mapping[str, MarkerRates]  # suspects and victims, where shown
    rolling: Rolling
    quality: Quality
    month_on_month: MonthOnMonth
    searches: Searches
    findings: tuple[Finding, ...] = ()  # every candidate finding, adjusted together
    attention: Any = None  # analytics.report.attention.Attention: the month's alerts (issue 16)
    #: what changed (issue 13): analytics.change.what_changed as of the pack's month, and the maturity rule
    what_changed: Any = None
    maturity: Any = None
    partners: Any = None  # analytics.report.partners.PartnerSection (issue 17), None when not built

    @property
    def version(self) -> str:
        return self.provenance.version

    @property
    def period_from(self) -> date:
        assert self.filters.date_from is not None
        return self.filters.date_from

    @property
    def period_to(self) -> date:
        assert self.filters.date_to is not None
        return self.filters.date_to

    @property
    def period_label(self) -> str:
        return f"12 months to {self.month:%B %Y}"

    @property
    def file_stem(self) -> str:
        """The file name without extension; it carries the audience so the editions cannot be confused."""
        return f"youth-disproportionality-{self.month:%Y-%m}-{self.audience}"

    @property
    def marking(self) -> str:
        """The protective marking printed on every page ("" for the publishable scrutiny edition)."""
        return MARKINGS[self.audience]

    @property
    def suppressing(self) -> bool:
        """True when counts of 1 to 4 are hidden (the scrutiny edition)."""
        return suppression.audience_applies_suppression(AUDIENCES[self.audience])

    @property
    def short_period(self) -> bool:
        """True when the data begin inside the pack's 12 months."""
        return self.period_from < self.data_from

    @property
    def reference_group(self) -> str:
        return self.filters.reference_group

    @property
    def confidence(self) -> float:
        return self.filters.confidence
