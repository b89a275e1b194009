"""Reading one data.police.uk monthly stop-and-search file: the national 15-column format, the ethnicity
crosswalks, and each row loaded or rejected with its reason.

Every force publishes ``YYYY-MM-<force>-stop-and-search.csv`` monthly on data.police.uk. File-level
problems (not found, empty, header only, not UTF-8, NUL bytes, a missing required column, no month or force
to be told) raise ``LoadError`` naming the file. Row-level problems (unreadable date, date in the future, bad
coordinates, unknown age range, gender, type or ethnicity string, a True/False column holding something
else, a line with the wrong number of fields) reject the row with its reason.

Ethnicity: the self-defined string maps to a 5-group through the crosswalk
``analytics.reference.SELF_DEFINED_CROSSWALK``; the officer-defined string (White, Black, Asian, Mixed,
Other) through ``OFFICER_DEFINED_CROSSWALK``. Both are kept; edit the CSVs to map other strings.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analytics import reference, schema
from analytics.load import LoadError, check_readable, fingerprint_and_check_text, normalise_column_name
from analytics.searches.districts import assign_locations

# --------------------------------------------------------------------------------------------
# The data.police.uk stop-and-search format
# --------------------------------------------------------------------------------------------
#: Column header -> internal name. These must all be present.
REQUIRED_COLUMNS = {
    "Type": "type",
    "Date": "date",
    "Latitude": "latitude",
    "Longitude": "longitude",
    "Gender": "gender",
    "Age range": "age_range",
    "Self-defined ethnicity": "self_defined",
    "Officer-defined ethnicity": "officer_defined",
    "Legislation": "legislation",
    "Object of search": "object_of_search",
    "Outcome": "outcome",
    "Outcome linked to object of search": "outcome_linked",
}
OPTIONAL_COLUMNS = {
    "Part of a policing operation": "part_of_operation",
    "Policing operation": "policing_operation",
    "Removal of more than just outer clothing": "removal_of_clothing",
}
CHILD = "10-17"
UNDER_10 = "under 10"
NOT_RECORDED = "Not recorded"
#: Age ranges in display order (blank in the file = "Not recorded").
AGE_RANGES: tuple[str, ...] = (UNDER_10, CHILD, "18-24", "25-34", "over 34", NOT_RECORDED)
SEARCH_TYPES: tuple[str, ...] = ("Person search", "Person and Vehicle search", "Vehicle search")
GENDERS: tuple[str, ...] = ("Male", "Female", "Other")
BOOLEAN_TEXT = {"true": True, "false": False, "": None}
NO_FURTHER_ACTION = "A no further action disposal"
OFFENSIVE_WEAPONS = "Offensive weapons"
FILE_NAME = re.compile(r"^(?P<month>\d{4}-\d{2})-(?P<force>.+?)-stop-and-search\.csv$", re.IGNORECASE)
MONTH_PREFIX = re.compile(r"^(?P<month>\d{4}-\d{2})")


def force_slug(name: str) -> str:
    """``"Avon and Somerset"`` -> ``"avon-and-somerset"`` (the data.police.uk file-name form)."""
    slug = re.sub(r"[^0-9a-z]+", "-", name.strip().lower()).strip("-")
    if not slug:
        raise LoadError(f"not a force name: {name!r}")
    return slug


# --------------------------------------------------------------------------------------------
# Ethnicity crosswalks (configurable: edit the CSVs)
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def self_defined_groups(path: str | None = None) -> dict[str, str | None]:
    """data.police.uk self-defined string (case-folded) -> 5-group, or None for "Not stated"."""
    frame = pd.read_csv(path or reference.SELF_DEFINED_CROSSWALK, dtype=str, keep_default_na=False)
    mapping: dict[str, str | None] = {}
    for text, group in zip(frame["police_uk_self_defined_ethnicity_string"], frame["high_level_5"], strict=True):
        mapping[text.strip().casefold()] = group if group in schema.ETHNIC_GROUPS else None
    return mapping


@lru_cache(maxsize=4)
def officer_defined_groups(path: str | None = None) -> dict[str, str]:
    """data.police.uk officer-defined string (case-folded) -> 5-group."""
    frame = pd.read_csv(path or reference.OFFICER_DEFINED_CROSSWALK, dtype=str, keep_default_na=False)
    rows = frame[frame["scheme"].str.contains("data.police.uk") & frame["code"].ne("")]
    return {c.strip().casefold(): g for c, g in zip(rows["code"], rows["maps_to_5_group"], strict=True)
            if g in schema.ETHNIC_GROUPS}




@dataclass
class ParsedFile:
    path: Path
    force: str
    month: date
    digest: str
    rows_read: int
    loaded: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def rejections(self) -> Counter:
        return Counter(self.rejected["reason"]) if len(self.rejected) else Counter()


def find_files(sources: list[str | os.PathLike]) -> list[Path]:
    """The CSV files named, and in each folder named the ``*stop-and-search.csv`` files (at any depth;
    all ``*.csv`` files when none is named that way)."""
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.csv") if p.name.lower().endswith("stop-and-search.csv"))
            found = found or sorted(path.rglob("*.csv"))
            if not found:
                raise LoadError(f"{path}: no CSV files in this folder")
            files += found
        else:
            files.append(path)
    return files


def _file_force(path: Path, force: str | None) -> str:
    match = FILE_NAME.match(path.name)
    named = force_slug(match["force"]) if match else None
    if force:
        chosen = force_slug(force)
        if named and named != chosen:
            raise LoadError(f"{path.name}: the file name says force {named!r} but --force is {chosen!r}")
        return chosen
    if named is None:
        raise LoadError(f"{path.name}: cannot tell the force from the file name; pass --force NAME")
    return named


def _read_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise LoadError(f"{path.name}: the file is empty (no header line)")
        if not any(any(cell.strip() for cell in row) for row in reader):
            raise LoadError(f"{path.name}: has a header but no data rows")
    return header


def _check_header(path: Path, header: list[str]) -> dict[int, str]:
    """Column position -> internal name; refuses a file lacking a required column."""
    wanted = {normalise_column_name(k): v for k, v in {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}.items()}
    positions: dict[int, str] = {}
    seen: set[str] = set()
    for index, name in enumerate(header):
        key = normalise_column_name(name)
        if key in seen:
            raise LoadError(f"{path.name}: the column {name.strip()!r} appears more than once")
        seen.add(key)
        if key in wanted:
            positions[index] = wanted[key]
    missing = [h for h, v in REQUIRED_COLUMNS.items() if v not in positions.values()]
    if missing:
        raise LoadError(f"{path.name}: missing required column(s): {', '.join(missing)}")
    return positions


def _parse_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _coordinate(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _classify_row(row: dict, today: date, self_map: dict, officer_map: dict) -> tuple[str | None, dict]:
    """(reason, normalised values): the first rule the row breaks, or None and the values to load."""
    text = row["date"]
    if not text:
        return "Date missing", {}
    when = _parse_date(text)
    if when is None:
        return "Date is not a valid date and time", {}
    local_day = when.date()
    if local_day > today:
        return "Date is in the future", {}
    lat_text, lon_text = row["latitude"], row["longitude"]
    latitude = longitude = None
    if bool(lat_text) != bool(lon_text):
        return "only one of Latitude and Longitude given", {}
    if lat_text:
        latitude, longitude = _coordinate(lat_text), _coordinate(lon_text)
        if latitude is None or longitude is None:
            return "Latitude or Longitude is not a number", {}
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return "Latitude or Longitude out of range", {}
    if row["gender"] and row["gender"] not in GENDERS:
        return "unknown Gender", {}
    if row["age_range"] and row["age_range"] not in AGE_RANGES[:-1]:
        return "unknown Age range", {}
    self_key = row["self_defined"].casefold()
    if self_key and self_key not in self_map:
        return "unknown Self-defined ethnicity", {}
    officer_key = row["officer_defined"].casefold()
    if officer_key and officer_key not in officer_map:
        return "unknown Officer-defined ethnicity", {}
    if row["type"] and row["type"] not in SEARCH_TYPES:
        return "unknown Type", {}
    booleans = {}
    for name, label in (("outcome_linked", "Outcome linked to object of search"),
                        ("removal_of_clothing", "Removal of more than just outer clothing"),
                        ("part_of_operation", "Part of a policing operation")):
        value = row.get(name, "").casefold()
        if value not in BOOLEAN_TEXT:
            return f"{label} is not True or False", {}
        booleans[name] = BOOLEAN_TEXT[value]
    month = local_day.replace(day=1)
    values = {
        "search_type": row["type"] or None, "searched_at": text, "date": local_day, "month": month,
        "policing_operation": row.get("policing_operation") or None,
        "latitude": latitude, "longitude": longitude, "gender": row["gender"] or None,
        "age_range": row["age_range"] or NOT_RECORDED,
        "self_defined": row["self_defined"] or None, "officer_defined": row["officer_defined"] or None,
        "group_self": self_map.get(self_key) if self_key else None,
        "group_officer": officer_map.get(officer_key) if officer_key else None,
        "legislation": row["legislation"] or None, "object_of_search": row["object_of_search"] or None,
        "outcome": row["outcome"] or None, **booleans,
    }
    return None, values


def parse_file(path: Path, force: str | None, today: date) -> ParsedFile:
    """Check one monthly file and split its rows into loaded and rejected (with reasons)."""
    check_readable(path)
    digest = fingerprint_and_check_text(path).digest
    header = _read_header(path)
    positions = _check_header(path, header)
    chosen_force = _file_force(path, force)
    self_map, officer_map = self_defined_groups(), officer_defined_groups()
    loaded, rejected = [], []
    rows_read = 0
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line is not a row
            rows_read += 1
            line = reader.line_num
            raw = ",".join(fields)[:1000]
            if len(fields) != len(header):
                malformed = ("malformed line: more fields than the header" if len(fields) > len(header)
                             else "malformed line: fewer fields than the header")
                rejected.append({"source_line": line, "reason": malformed, "raw_line": raw})
                continue
            row = {name: "" for name in OPTIONAL_COLUMNS.values()}
            row |= {name: fields[index].strip() for index, name in positions.items()}
            reason, values = _classify_row(row, today, self_map, officer_map)
            if reason:
                rejected.append({"source_line": line, "reason": reason, "raw_line": raw})
            else:
                loaded.append({"source_line": line, **values})
    month = _file_month(path, loaded)
    loaded_frame = pd.DataFrame(loaded, columns=["source_line", *_LOADED_VALUE_COLUMNS])
    assign_locations(loaded_frame, chosen_force)
    for frame in (loaded_frame,):
        frame.insert(0, "source_file", path.name)
        frame.insert(0, "file_month", month)
        frame.insert(0, "force", chosen_force)
    rejected_frame = pd.DataFrame(rejected, columns=["source_line", "reason", "raw_line"])
    rejected_frame.insert(0, "source_file", path.name)
    rejected_frame.insert(0, "file_month", month)
    rejected_frame.insert(0, "force", chosen_force)
    return ParsedFile(path, chosen_force, month, digest, rows_read, loaded_frame, rejected_frame)


_LOADED_VALUE_COLUMNS = (
    "search_type", "searched_at", "date", "month", "policing_operation", "latitude", "longitude", "gender",
    "age_range", "self_defined", "officer_defined", "group_self", "group_officer", "legislation",
    "object_of_search", "outcome", "outcome_linked", "removal_of_clothing", "part_of_operation",
)


def _file_month(path: Path, loaded: list[dict]) -> date:
    match = MONTH_PREFIX.match(path.name)
    if match:
        try:
            return date.fromisoformat(match["month"] + "-01")
        except ValueError:
            pass
    months = Counter(row["month"] for row in loaded)
    if not months:
        raise LoadError(f"{path.name}: cannot tell which month the file is for (no valid dates, no YYYY-MM name)")
    return months.most_common(1)[0][0]


