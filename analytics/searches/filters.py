"""The stop-and-search page's and command's slicers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics import schema
from analytics.filters import format_confidence
from analytics.searches.parse import AGE_RANGES, CHILD


@dataclass(frozen=True)
class SearchFilters:
    """The stop-and-search page's and command's slicers. Empty tuples mean "all"."""

    date_from: date | None = None
    date_to: date | None = None
    forces: tuple[str, ...] = ()
    age_ranges: tuple[str, ...] = (CHILD,)
    objects: tuple[str, ...] = ()
    legislations: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    reference_group: str = schema.DEFAULT_REFERENCE_GROUP
    confidence: float = schema.DEFAULT_CONFIDENCE
    ethnicity_source: str = schema.DEFAULT_ETHNICITY_SOURCE

    def __post_init__(self) -> None:
        for name in ("forces", "age_ranges", "objects", "legislations", "types", "areas"):
            value = getattr(self, name)
            object.__setattr__(self, name, tuple(sorted(set((value,) if isinstance(value, str) else value))))
        unknown = [a for a in self.age_ranges if a not in AGE_RANGES]
        if unknown:
            raise ValueError(f"unknown age range {unknown[0]!r} (expected one of {', '.join(AGE_RANGES)})")
        if self.reference_group not in schema.ETHNIC_GROUPS:
            raise ValueError(f"unknown reference group {self.reference_group!r}")
        if self.ethnicity_source not in schema.ETHNICITY_SOURCES:
            raise ValueError(f"unknown ethnicity source {self.ethnicity_source!r}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date range is empty: {self.date_from} is after {self.date_to}")

    def replace(self, **changes: Any) -> SearchFilters:
        """A copy with some slicers changed (validated again), as ``Filters.replace``."""
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or 'start'} to {self.date_to or 'latest'}")
        labels = {"forces": "force", "age_ranges": "age range", "objects": "object of search",
                  "legislations": "legislation", "types": "type", "areas": "district/location"}
        for name, label in labels.items():
            if getattr(self, name):
                parts.append(f"{label}: {', '.join(getattr(self, name))}")
        parts.append(f"reference {self.reference_group}")
        parts.append(f"{format_confidence(self.confidence)} confidence")
        return "; ".join(parts)

