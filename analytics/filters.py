"""``Filters``: one frozen, hashable description of every slicer (DESIGN.md sections 1 and 4).

A ``Filters`` value is what the sidebar, the URL query string and the command line all produce, and
what ``analytics.store`` turns into one parametrised WHERE clause. Validation happens here, so an
unknown value is refused with a message naming it before any query runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics import schema

MARKER_MODES: tuple[str, ...] = ("any", "only", "exclude")
OPEN_OUTCOME_TOKEN = "open"  # the outcome filter's name for a blank outcome (investigation open)


@dataclass(frozen=True)
class Filters:
    """Every slicer. Empty tuples mean "all"; markers are ``any``/``only``/``exclude``."""

    date_from: date | None = None
    date_to: date | None = None
    roles: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    ethnic_groups: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    offence_groups: tuple[str, ...] = ()
    serious_youth_violence_only: bool = False
    outcome_codes: tuple[str, ...] = ()
    knife_crime: str = "any"
    cce: str = "any"
    cse: str = "any"
    county_lines: str = "any"
    gangs: str = "any"
    counting_unit: str = "persons"
    reference_group: str = schema.DEFAULT_REFERENCE_GROUP
    confidence: float = schema.DEFAULT_CONFIDENCE
    ethnicity_source: str = schema.DEFAULT_ETHNICITY_SOURCE
    #: outcome shares: the cohort's follow-up in days (``analytics.store.where.decision_source``); 0: none
    follow_up_days: int = schema.DEFAULT_FOLLOW_UP_DAYS

    def __post_init__(self) -> None:
        for name in ("roles", "age_bands", "sexes", "ethnic_groups", "areas", "offence_groups", "outcome_codes"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(sorted(set(value))))
        self.validate_codes()

    # ----------------------------------------------------------------------------------------
    def validate_codes(self) -> None:
        """Refuse any value outside the fixed code lists (areas are checked against the data by the store)."""
        _check("role", self.roles, schema.ROLES)
        _check("age band", self.age_bands, schema.AGE_BANDS)
        _check("sex", self.sexes, tuple(schema.SEXES))
        _check("ethnic group", self.ethnic_groups, schema.ETHNIC_GROUPS_WITH_NOT_STATED)
        _check("offence group", self.offence_groups, schema.OFFENCE_GROUPS)
        _check("outcome code", self.outcome_codes, (*schema.OUTCOME_CODES, OPEN_OUTCOME_TOKEN))
        for marker in schema.RISK_MARKERS:
            _check(f"{marker} mode", (getattr(self, marker),), MARKER_MODES)
        _check("counting unit", (self.counting_unit,), tuple(schema.COUNTING_UNITS))
        _check("reference group", (self.reference_group,), schema.ETHNIC_GROUPS)
        _check("ethnicity source", (self.ethnicity_source,), tuple(schema.ETHNICITY_SOURCES))
        if isinstance(self.follow_up_days, bool) or not isinstance(self.follow_up_days, int) or not (
                0 <= self.follow_up_days <= schema.MAX_FOLLOW_UP_DAYS):
            raise ValueError(f"follow-up must be a whole number of days from 0 to {schema.MAX_FOLLOW_UP_DAYS}, "
                             f"got {str(self.follow_up_days)[:20]!r}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date range is empty: {self.date_from} is after {self.date_to}")

    @property
    def markers(self) -> dict[str, str]:
        return {m: getattr(self, m) for m in schema.RISK_MARKERS}

    def replace(self, **changes: Any) -> Filters:
        """A copy with some slicers changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def without_ethnic_group_filter(self) -> Filters:
        """Ratio tables compare all groups: the ethnic-group slicer narrows displays, not denominators."""
        return self.replace(ethnic_groups=())

    def describe(self, area_names: Mapping[str, str] | None = None) -> str:
        """The filters in one plain-English line (shown at the top of each page and in exports); districts by
        name where ``area_names`` has them."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or 'start'} to {self.date_to or 'latest'}")
        labels = {
            "roles": "role", "age_bands": "age", "sexes": "sex", "ethnic_groups": "ethnic group",
            "areas": "district", "offence_groups": "offence", "outcome_codes": "outcome",
        }
        for name, label in labels.items():
            values = getattr(self, name)
            if name == "areas" and area_names:
                values = tuple(area_names.get(code, code) for code in values)
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        if self.serious_youth_violence_only:
            parts.append("serious youth violence only")
        for marker, mode in self.markers.items():
            if mode != "any":
                parts.append(f"{schema.RISK_MARKER_LABELS[marker]} {mode}")
        parts.append(f"counting {schema.COUNTING_UNITS[self.counting_unit].lower()}")
        parts.append(f"reference {self.reference_group}")
        if self.ethnicity_source != schema.DEFAULT_ETHNICITY_SOURCE:
            parts.append(schema.ETHNICITY_SOURCES[self.ethnicity_source].lower())
        parts.append(f"{format_confidence(self.confidence)} confidence")
        return "; ".join(parts)


def format_confidence(conf: float) -> str:
    """0.95 -> '95 %', 0.998 -> '99.8 %'."""
    return f"{conf * 100:g} %"


def _check(label: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        shown = ", ".join(repr(v)[:60] for v in unknown)
        raise ValueError(f"unknown {label}: {shown} (expected one of {', '.join(allowed)})")
