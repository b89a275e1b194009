"""Golden SQL: the text and bound parameters of the queries behind every table, reviewed as diffs (the ibis
practice, DESIGN.md section 9).

For each representative ``Filters``/``SearchFilters`` value below, ``tests/golden_sql/<case>.sql`` holds what
``records_where`` / ``search_where`` and the main count statements built on them (``event_counts``,
``decision_counts``, the searches' ``counts``) produce. A change to the generated SQL fails here with a
unified diff; if the change is intended, regenerate the files and review their diff in the commit::

    UPDATE_GOLDEN_SQL=1 .venv/bin/python -m pytest tests/test_golden_sql.py

Lines are broken before ``FROM``, ``WHERE``, ``AND``, ``GROUP BY``, ``ORDER BY`` and ``COUNT(`` for reading;
joining a statement's lines with one space gives back the exact text (checked below).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from datetime import date
from pathlib import Path

import pytest

from analytics import schema
from analytics.filters import OPEN_OUTCOME_TOKEN, Filters
from analytics.searches import AGE_RANGES, NO_FURTHER_ACTION, OFFENSIVE_WEAPONS, SearchFilters
from analytics.store import (
    Statement,
    decision_counts_statement,
    event_counts_statement,
    records_where,
    search_counts_statement,
    search_where,
)

GOLDEN = Path(__file__).resolve().parent / "golden_sql"
UPDATE = os.environ.get("UPDATE_GOLDEN_SQL") == "1"
BREAK = re.compile(r" (?=FROM |WHERE |AND |GROUP BY |ORDER BY |COUNT\()")

RECORD_CASES: dict[str, tuple[Filters, tuple[str, ...]]] = {
    "no_filters": (Filters(), ()),
    "dates": (Filters(date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)), ("month",)),
    "list_filters": (Filters(roles=("suspect", "offender"), age_bands=("14-15", "16-17"), sexes=("M",),
                             areas=("E07000148", "E07000143"), offence_groups=("Robbery",)), ("area", "age_band")),
    "outcome_with_open": (Filters(outcome_codes=(schema.OUTCOME_22, OPEN_OUTCOME_TOKEN)), ("outcome_group",)),
    "serious_youth_violence_only": (Filters(serious_youth_violence_only=True), ("offence_group",)),
    "markers_only_and_exclude": (Filters(knife_crime="only", gangs="exclude", county_lines="only"), ("role",)),
    "ethnic_group_self_then_officer": (Filters(ethnic_groups=("Black", "Mixed"), ethnicity_source="self_then_officer"),
                                       ()),
    "ethnic_group_self_only": (Filters(ethnic_groups=("Asian",), ethnicity_source="self_only"), ("sex",)),
    "ethnic_group_officer_only": (Filters(ethnic_groups=("Black", "Not stated"), ethnicity_source="officer_only"), ()),
    "counting_unit_records": (Filters(counting_unit="records", roles=("victim",)), ("month",)),
}
SEARCH_CASES: dict[str, tuple[SearchFilters, tuple[str, ...]]] = {
    "search_default": (SearchFilters(), ()),
    "search_filters": (SearchFilters(date_from=date(2023, 2, 1), date_to=date(2023, 4, 30), forces=("gwent",),
                                     age_ranges=AGE_RANGES[:2], objects=("Offensive weapons", "Not recorded"),
                                     legislations=("Misuse of Drugs Act 1971 (section 23)",),
                                     types=("Person search",), areas=("Location not published",),
                                     ethnicity_source="officer_only"), ("area", "month")),
}


def _statement(title: str, statement: Statement) -> str:
    params = json.dumps(statement.params, sort_keys=True, default=str, ensure_ascii=False)
    return f"-- {title}\n{BREAK.sub(chr(10), statement.sql)}\n-- params: {params}\n"


def _record_case(filters: Filters, dims: tuple[str, ...]) -> list[tuple[str, Statement]]:
    where = records_where(filters)
    return [
        ("records_where", Statement(where.sql, where.params)),
        (f"event_counts (dims: {', '.join(dims) or 'none'})", event_counts_statement(filters, dims)),
        (f"decision_counts (outcome 22; dims: {', '.join(dims) or 'none'})",
         decision_counts_statement(filters, (schema.OUTCOME_22,), dims)),
    ]


def _search_case(filters: SearchFilters, dims: tuple[str, ...]) -> list[tuple[str, Statement]]:
    where = search_where(filters)
    return [
        ("search_where", Statement(where.sql, where.params)),
        (f"search counts (dims: {', '.join(dims) or 'none'})",
         search_counts_statement(filters, dims, NO_FURTHER_ACTION, OFFENSIVE_WEAPONS)),
    ]


def _cases() -> dict[str, tuple[object, list[tuple[str, Statement]]]]:
    cases: dict[str, tuple[object, list[tuple[str, Statement]]]] = {}
    for name, (filters, dims) in RECORD_CASES.items():
        cases[name] = (filters, _record_case(filters, dims))
    for name, (search_filters, dims) in SEARCH_CASES.items():
        cases[name] = (search_filters, _search_case(search_filters, dims))
    return cases


def _text(name: str, filters: object, statements: list[tuple[str, Statement]]) -> str:
    header = (f"-- Golden SQL, case {name!r}: {filters!r}\n"
              "-- Generated by tests/test_golden_sql.py; regenerate with UPDATE_GOLDEN_SQL=1 and review the diff.\n")
    return header + "".join("\n" + _statement(title, statement) for title, statement in statements)


@pytest.mark.parametrize("name", list(_cases()))
def test_generated_sql_matches_the_golden_file(name):
    filters, statements = _cases()[name]
    expected_path = GOLDEN / f"{name}.sql"
    generated = _text(name, filters, statements)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        expected_path.write_text(generated, encoding="utf-8")
    assert expected_path.exists(), f"no golden file {expected_path.name}: run with UPDATE_GOLDEN_SQL=1"
    expected = expected_path.read_text(encoding="utf-8")
    if generated != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), generated.splitlines(keepends=True),
                                            f"golden_sql/{name}.sql", "generated"))
        pytest.fail(f"the SQL for case {name!r} changed (UPDATE_GOLDEN_SQL=1 to accept it):\n{diff}", pytrace=False)


@pytest.mark.parametrize("name", list(_cases()))
def test_the_golden_layout_gives_back_the_exact_statement(name):
    """Each statement's lines, joined with one space, are the exact SQL the store runs."""
    _, statements = _cases()[name]
    text = (GOLDEN / f"{name}.sql").read_text(encoding="utf-8")
    blocks = text.split("\n\n-- ")[1:]
    for (title, statement), block in zip(statements, blocks, strict=True):
        title_line, *sql_lines = block.split("\n-- params:")[0].split("\n")
        assert title_line == title
        assert " ".join(sql_lines) == statement.sql


def test_every_golden_file_belongs_to_a_case():
    assert sorted(p.stem for p in GOLDEN.glob("*.sql")) == sorted(_cases())
