"""Small hand-made extracts and population tables for tests (independent of the sample generator)."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from analytics import schema

VALID_ROW = {
    "record_id": "R1",
    "person_id": "P1",
    "crime_id": "C1",
    "role": "suspect",
    "recorded_date": "2024-03-15",
    "age": "15",
    "sex": "M",
    "ethnicity_self": "W1",
    "ethnicity_officer": "IC1",
    "area_code": "E07000148",
    "msoa_code": "",
    "offence_group": "Robbery",
    "offence_code": "",
    "outcome_code": "22",
    "outcome_date": "2024-04-01",
    "knife_crime": "false",
    "cce": "",
    "cse": "",
    "county_lines": "",
    "gangs": "",
}


def row(**changes: str) -> dict[str, str]:
    return {**VALID_ROW, **changes}


def write_extract(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(VALID_ROW)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_population(path: Path, per_cell: int = 1000, areas: tuple[str, ...] = tuple(schema.KNOWN_AREA_NAMES)) -> Path:
    """Every area x group x age band x sex cell has ``per_cell`` children (easy hand arithmetic)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(schema.POPULATION_COLUMNS)
        for area, group, band, sex in itertools.product(
            areas, schema.ETHNIC_GROUPS, schema.AGE_BANDS, schema.POPULATION_SEXES
        ):
            writer.writerow([area, group, band, sex, per_cell, "test table", 2021])
    return path


def many_rows(count: int, start: int = 0) -> list[dict[str, str]]:
    """``count`` valid, distinct rows."""
    return [row(record_id=f"R{i}", person_id=f"P{i % 997}", crime_id=f"C{i // 2}") for i in range(start, start + count)]
