"""The fixed SQL vocabularies and the WHERE clauses that ``Filters`` and ``SearchFilters`` stand for.

Column names and expressions come only from the fixed mappings below, never from user input; every
value a filter holds reaches DuckDB as a bound parameter (``Where.params``). The generated text is
pinned by the golden files in ``tests/golden_sql/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from analytics import schema
from analytics.filters import OPEN_OUTCOME_TOKEN, Filters

#: Dimension name -> column in ``records`` (and in ``population`` where it exists there).
DIMENSION_COLUMNS = {
    "area": "area_code",
    "offence_group": "offence_group",
    "age_band": "age_band",
    "sex": "sex",
    "month": "month",
    "role": "role",
    "outcome_group": "outcome_group",
}
POPULATION_DIMENSIONS = ("area", "age_band", "sex")

#: The analysis group of a child (person level: the latest stated code across their records).
GROUP_EXPRESSIONS = {
    # the default estimate reallocates children without a self-defined code in the tables that can
    # (``analytics.ethnicity``); a view that needs one group per child shows them as Not stated
    "concordance": "COALESCE(person_group_self, 'Not stated')",
    "self_then_officer": "COALESCE(person_group_self, person_group_officer, 'Not stated')",
    "self_only": "COALESCE(person_group_self, 'Not stated')",
    "officer_only": "COALESCE(person_group_officer, 'Not stated')",
}
#: The counts of a decision point, each a condition on a record's outcome (``$chosen_outcomes``: the decision;
#: ``$denominator_outcomes``: the outcomes in the denominator; blank: open).
DECISION_CONDITIONS = {
    "events": "list_contains($chosen_outcomes, outcome_code)",
    "denominator": "list_contains($denominator_outcomes, outcome_code)",
    "open": "outcome_code = ''",
    "outside": "outcome_code <> '' AND NOT list_contains($denominator_outcomes, outcome_code)",
}
#: The group as recorded on one record (used for recording-quality measures).
RECORD_GROUP_EXPRESSIONS = {
    "concordance": "COALESCE(group_self, 'Not stated')",
    "self_then_officer": "COALESCE(group_self, group_officer, 'Not stated')",
    "self_only": "COALESCE(group_self, 'Not stated')",
    "officer_only": "COALESCE(group_officer, 'Not stated')",
}
#: Children are counted by ``person_key``, a whole number per ``person_id`` given at load: hashing and
#: sorting it is cheaper than the 64-character pseudonym (measured: 25 % off the rolling windows at 10^7).
COUNT_EXPRESSIONS = {"persons": "COUNT(DISTINCT person_key)", "records": "COUNT(*)"}
#: The Cell Key Method's cell key of each count (issue 14, ``analytics.suppression.perturbation``): the sum of
#: the counted records' keys (each counted child's key) modulo 256. ``person_key * 256 + person_ckey`` is one
#: number per child, so ``SUM(DISTINCT ...)`` adds each child's key once however many records they have.
CELL_KEY_EXPRESSIONS = {
    "persons": "CAST(COALESCE(SUM(DISTINCT person_key::BIGINT * 256 + person_ckey), 0) % 256 AS INTEGER)",
    "records": "CAST(COALESCE(SUM(record_ckey), 0) % 256 AS INTEGER)",
}


def record_cell_key(condition: str) -> str:
    """The cell key of ``COUNT(*) FILTER (WHERE condition)`` (``condition`` is fixed SQL text, never input)."""
    return f"CAST(COALESCE(SUM(record_ckey) FILTER (WHERE {condition}), 0) % 256 AS INTEGER)"

#: Search dimension name -> SQL expression on ``searches``.
SEARCH_DIMENSIONS = {
    "area": "COALESCE(area_code, location_status)",
    "month": "month",
    "object": "COALESCE(object_of_search, 'Not recorded')",
    "age_range": "age_range",
    "legislation": "COALESCE(legislation, 'Not recorded')",
    "type": "COALESCE(search_type, 'Not recorded')",
    "force": "force",
}
#: The analysis group of a search: self-defined first, officer-defined as fallback (both are kept).
SEARCH_GROUP_EXPRESSIONS = {
    "concordance": "COALESCE(group_self, 'Not stated')",
    "self_then_officer": "COALESCE(group_self, group_officer, 'Not stated')",
    "self_only": "COALESCE(group_self, 'Not stated')",
    "officer_only": "COALESCE(group_officer, 'Not stated')",
}
#: The filterable columns of ``searches`` (``SearchFilters`` field -> SQL expression).
SEARCH_LIST_FILTERS = {
    "forces": "force",
    "age_ranges": "age_range",
    "objects": SEARCH_DIMENSIONS["object"],
    "legislations": SEARCH_DIMENSIONS["legislation"],
    "types": SEARCH_DIMENSIONS["type"],
    "areas": SEARCH_DIMENSIONS["area"],
}


@dataclass
class Where:
    """A WHERE clause: its conditions (joined with AND) and their bound parameters."""

    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, sql: str, **params: Any) -> None:
        self.clauses.append(sql)
        self.params.update(params)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "TRUE"


def dimension_columns(dims: tuple[str, ...], allowed: tuple[str, ...] = tuple(DIMENSION_COLUMNS)) -> list[str]:
    """The ``records`` columns for ``dims``; refuses a name outside ``allowed``."""
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r} (expected one of {', '.join(allowed)})")
    return [DIMENSION_COLUMNS[d] for d in dims]


def records_where(filters: Filters, *, include_ethnic_group: bool = True) -> Where:
    """The one WHERE clause (with its bound parameters) a ``Filters`` value stands for."""
    where = Where()
    if filters.date_from:
        where.add("recorded_date >= $date_from", date_from=filters.date_from)
    if filters.date_to:
        where.add("recorded_date <= $date_to", date_to=filters.date_to)
    lists = {
        "role": filters.roles, "age_band": filters.age_bands, "sex": filters.sexes,
        "area_code": filters.areas, "offence_group": filters.offence_groups,
    }
    for column, values in lists.items():
        if values:
            where.add(f"list_contains(${column}_list, {column})", **{f"{column}_list": list(values)})
    if filters.outcome_codes:
        codes = [schema.OPEN_OUTCOME if c == OPEN_OUTCOME_TOKEN else c for c in filters.outcome_codes]
        where.add("list_contains($outcome_list, outcome_code)", outcome_list=codes)
    if filters.serious_youth_violence_only:
        where.add("serious_youth_violence")
    for marker, mode in filters.markers.items():
        if mode == "only":
            where.add(marker)
        elif mode == "exclude":
            where.add(f"NOT {marker}")
    if include_ethnic_group and filters.ethnic_groups:
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where.add(f"list_contains($ethnic_list, {group})", ethnic_list=list(filters.ethnic_groups))
    return where


#: The end of the data: the latest date anything in it happened (a record made or an outcome reached), the
#: extract's date as near as the records show it.
END_OF_DATA = "SELECT greatest(MAX(recorded_date), COALESCE(MAX(outcome_date), MAX(recorded_date))) FROM records"


def decision_source(filters: Filters) -> Statement:
    """The rows an outcome share is measured on (issue 13: cohorts with a fixed follow-up), as a FROM item named
    ``records``: with ``filters.follow_up_days`` N > 0, only records made at least N days before the end of the data
    (``END_OF_DATA``), each with its outcome as it stood N days after recording (an outcome dated later is
    still open then; an outcome without a date counts as reached). With N = 0, every record as it stands."""
    if not filters.follow_up_days:
        return Statement("records", {})
    late = "outcome_date > recorded_date + CAST($follow_up_days AS INTEGER)"
    sql = (f"(SELECT * REPLACE (CASE WHEN {late} THEN '{schema.OPEN_OUTCOME}' ELSE outcome_code END AS outcome_code, "
           f"CASE WHEN {late} THEN '{schema.OPEN_OUTCOME_GROUP}' ELSE outcome_group END AS outcome_group) "
           f"FROM records WHERE recorded_date <= ({END_OF_DATA}) - CAST($follow_up_days AS INTEGER)) AS records")
    return Statement(sql, {"follow_up_days": int(filters.follow_up_days)})


def population_where(filters: Filters) -> Where:
    """The WHERE clause on ``population`` for the filters it has dimensions for (area, age band, sex)."""
    where = Where()
    for column, values in {"area_code": filters.areas, "age_band": filters.age_bands, "sex": filters.sexes}.items():
        if values:
            where.add(f"list_contains(${column}_list, {column})", **{f"{column}_list": list(values)})
    return where


class SearchFilterValues(Protocol):
    """What ``search_where`` reads from an ``analytics.searches.SearchFilters`` value (read-only, as it is frozen)."""

    @property
    def date_from(self) -> date | None: ...
    @property
    def date_to(self) -> date | None: ...
    @property
    def forces(self) -> tuple[str, ...]: ...
    @property
    def age_ranges(self) -> tuple[str, ...]: ...
    @property
    def objects(self) -> tuple[str, ...]: ...
    @property
    def legislations(self) -> tuple[str, ...]: ...
    @property
    def types(self) -> tuple[str, ...]: ...
    @property
    def areas(self) -> tuple[str, ...]: ...
    @property
    def ethnicity_source(self) -> str: ...


def search_where(filters: SearchFilterValues) -> Where:
    """The WHERE clause (bound parameters) for an ``analytics.searches.SearchFilters`` value."""
    where = Where()
    if filters.date_from:
        where.add("date >= $date_from", date_from=filters.date_from)
    if filters.date_to:
        where.add("date <= $date_to", date_to=filters.date_to)
    for index, (field_name, expression) in enumerate(SEARCH_LIST_FILTERS.items()):
        values = getattr(filters, field_name)
        if values:
            where.add(f"list_contains($list_{index}, {expression})", **{f"list_{index}": list(values)})
    return where


def search_dimension_expressions(dims: tuple[str, ...]) -> list[str]:
    """``expression AS name`` for each search dimension; refuses an unknown name."""
    unknown = [d for d in dims if d not in SEARCH_DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r} (expected one of {', '.join(SEARCH_DIMENSIONS)})")
    return [f"{SEARCH_DIMENSIONS[d]} AS {d}" for d in dims]


@dataclass(frozen=True)
class Statement:
    """One SQL statement and its bound parameters (what the golden SQL files pin)."""

    sql: str
    params: dict[str, Any]
