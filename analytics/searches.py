"""Police powers: youth stop-and-search disproportionality from the public data.police.uk files (issue 8).

Every force publishes its stop-and-search records monthly on data.police.uk in one national 15-column
format (``YYYY-MM-<force>-stop-and-search.csv``). This module loads such files into the published
database beside the crime records and computes the measures on the same statistical engine
(``analytics.stats`` through ``analytics.disparity``'s row builders). Pure Python; the SQL is in
``analytics.store`` (``SearchBuilder``, ``SearchStore``).

Loading (``load_searches``)
  * File-level problems (not found, empty, header only, not UTF-8, NUL bytes, a missing required column,
    no month or force to be told, two files for the same force and month) raise ``LoadError`` with one
    line naming the file: nothing is published and the database is unchanged.
  * Row-level problems (unreadable date, date in the future, bad coordinates, unknown age range, gender,
    type or ethnicity string, a True/False column holding something else, a line with the wrong number
    of fields) send the row to ``search_rejected_rows`` with its reason. ``loaded + rejected = read``
    for every file, and the summary counts rejections by reason.
  * Every age range is kept; the measures default to children (``10-17``); ``under 10`` is shown
    separately.
  * Ethnicity: the data.police.uk self-defined string maps to an 18+1 code and a 5-group through the
    crosswalk ``sample_data/reference/codes/ref_ethnicity_ons2021_sde18plus1_policeuk.csv``; the
    officer-defined string (White, Black, Asian, Mixed, Other) through
    ``ref_officer_defined_ethnicity.csv``. Both are stored; the analysis group is self-defined first,
    officer-defined as fallback (configurable per query).
  * Location: where the force has shipped district boundaries (Norfolk), each geolocated search is
    assigned to a district by point-in-polygon (ray casting, numpy; no GIS dependency). A search with no
    coordinates is "Location not published"; one outside every district polygon is "Outside the district
    boundaries"; for other forces a located search is "Located (no district boundaries for this force)".
  * Month replacement: a file's month is the ``YYYY-MM`` its name starts with (else the month most of
    its dates fall in). Loading a force-month that is already loaded replaces it (its searches, its
    rejected rows and its load record), so a month loaded twice is held once.
  * Publication: the current publication is copied table by table into a new file, the searches tables
    are replaced or merged there, and the new file is published with the main loader's atomic symlink
    swap. The main ``load`` carries the searches tables into its own new publications.

Population (denominators for searches per 1,000 children aged 10–17)
  In order: a table given with ``--population``; the population already loaded for the force; the shipped
  modelled table for Gwent (``GWENT_POPULATION``, see ``model_force_population``); for Norfolk, the
  publication's own ``population`` table (age bands 10-13, 14-15 and 16-17 summed, by district).

Measures (``ratios``): ``rate`` (searches of children per 1,000 children of the group; exact conditional
rate-ratio interval), ``weapons`` (share of searches with an object of search recorded that were for
offensive weapons; Wilson, Koopman score risk ratio), ``find`` (the outcome test: share of searches with an
outcome recorded whose outcome was anything other than "A no further action disposal"; optionally only
those where the outcome was linked to the object of search). Searches with no object or no outcome
recorded are counted and reported, never folded into either side.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import disparity, quality, schema, stats
from analytics.config import ConfigError, Settings, load_settings
from analytics.filters import Filters, format_confidence
from analytics.load import (
    LoadError,
    _check_readable,
    _fingerprint_and_check_text,
    area_names,
    build_and_publish,
    normalise_column_name,
    read_population,
    versions_dir,
)
from analytics.store import DatabaseError, SearchBuilder, SearchStore, Store, current_publication

PROJECT = Path(__file__).resolve().parents[1]
REFERENCE = PROJECT / "sample_data" / "reference"
SELF_CROSSWALK = REFERENCE / "codes" / "ref_ethnicity_ons2021_sde18plus1_policeuk.csv"
OFFICER_CROSSWALK = REFERENCE / "codes" / "ref_officer_defined_ethnicity.csv"
GWENT_POPULATION = REFERENCE / "gwent_population_10_17_by_ethnic_group_modelled.csv"
FORCE_POPULATION_SOURCE = REFERENCE / "effandf_population_by_police_force_area_by_ethnicity_2011_2021.csv"
EW_AGE_SOURCE = REFERENCE / "effandf_population_EW_by_age_group_ethnicity_sex_2021.csv"
NORFOLK_BOUNDARIES = PROJECT / "sample_data" / "boundaries" / "norfolk_districts.geojson"

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

LOCATION_NOT_PUBLISHED = "Location not published"
OUTSIDE_DISTRICTS = "Outside the district boundaries"
NO_BOUNDARIES = "Located (no district boundaries for this force)"
#: Forces whose district boundaries ship with the project (fixed list).
FORCE_BOUNDARIES = {"norfolk": NORFOLK_BOUNDARIES}
#: Forces whose population comes from the publication's own population table (age bands summed).
RECORDS_POPULATION_FORCES = ("norfolk",)
CHILD_AGE_BANDS = ("10-13", "14-15", "16-17")
#: Shipped modelled populations (force -> file).
SHIPPED_POPULATIONS = {"gwent": GWENT_POPULATION}

MEASURES: tuple[str, ...] = ("rate", "weapons", "find")
SPLITS: tuple[str, ...] = ("area", "month", "object")
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
    frame = pd.read_csv(path or SELF_CROSSWALK, dtype=str, keep_default_na=False)
    mapping: dict[str, str | None] = {}
    for text, group in zip(frame["police_uk_self_defined_ethnicity_string"], frame["high_level_5"], strict=True):
        mapping[text.strip().casefold()] = group if group in schema.ETHNIC_GROUPS else None
    return mapping


@lru_cache(maxsize=4)
def officer_defined_groups(path: str | None = None) -> dict[str, str]:
    """data.police.uk officer-defined string (case-folded) -> 5-group."""
    frame = pd.read_csv(path or OFFICER_CROSSWALK, dtype=str, keep_default_na=False)
    rows = frame[frame["scheme"].str.contains("data.police.uk") & frame["code"].ne("")]
    return {c.strip().casefold(): g for c, g in zip(rows["code"], rows["maps_to_5_group"], strict=True)
            if g in schema.ETHNIC_GROUPS}


# --------------------------------------------------------------------------------------------
# Point in polygon
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _polygons(path: str) -> tuple[tuple[str, tuple[np.ndarray, ...]], ...]:
    """(area code, rings) per polygon part of each feature; rings[0] is the exterior, the rest holes."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    parts = []
    for feature in document["features"]:
        code = feature["properties"]["areacd"]
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            parts.append((code, tuple(np.asarray(ring, dtype=float)[:, :2] for ring in polygon)))
    return tuple(parts)


def _inside(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd ray casting: for each point, whether a ray to +x crosses the ring an odd number of times."""
    xs, ys = ring[:, 0], ring[:, 1]
    x1, y1, x2, y2 = xs[:-1], ys[:-1], xs[1:], ys[1:]
    if not (xs[0] == xs[-1] and ys[0] == ys[-1]):  # close the ring
        x1, y1 = np.append(x1, xs[-1]), np.append(y1, ys[-1])
        x2, y2 = np.append(x2, xs[0]), np.append(y2, ys[0])
    px, py = x[:, None], y[:, None]
    straddles = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    return ((straddles & (px < crossing_x)).sum(axis=1) % 2) == 1


def assign_districts(longitude: np.ndarray, latitude: np.ndarray, boundaries: Path) -> list[str | None]:
    """The district code containing each point (None where no polygon contains it)."""
    x, y = np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    result: list[str | None] = [None] * len(x)
    if not len(x):
        return result
    for code, rings in _polygons(str(boundaries)):
        exterior = rings[0]
        candidates = np.flatnonzero(
            (x >= exterior[:, 0].min()) & (x <= exterior[:, 0].max())
            & (y >= exterior[:, 1].min()) & (y <= exterior[:, 1].max())
        )
        candidates = candidates[[result[i] is None for i in candidates]] if len(candidates) else candidates
        if not len(candidates):
            continue
        inside = _inside(exterior, x[candidates], y[candidates])
        for hole in rings[1:]:
            inside &= ~_inside(hole, x[candidates], y[candidates])
        for index in candidates[inside]:
            result[index] = code
    return result


# --------------------------------------------------------------------------------------------
# Reading one file
# --------------------------------------------------------------------------------------------
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
    _check_readable(path)
    digest = _fingerprint_and_check_text(path).digest
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
                reason = ("malformed line: more fields than the header" if len(fields) > len(header)
                          else "malformed line: fewer fields than the header")
                rejected.append({"source_line": line, "reason": reason, "raw_line": raw})
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
    _assign_locations(loaded_frame, chosen_force)
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


def _assign_locations(frame: pd.DataFrame, force: str) -> None:
    located = frame["latitude"].notna() & frame["longitude"].notna()
    status = np.where(located, NO_BOUNDARIES, LOCATION_NOT_PUBLISHED).astype(object)
    codes: list[str | None] = [None] * len(frame)
    boundaries = FORCE_BOUNDARIES.get(force)
    if boundaries is not None and located.any():
        index = np.flatnonzero(located.to_numpy())
        found = assign_districts(frame["longitude"].to_numpy(float)[index], frame["latitude"].to_numpy(float)[index],
                                 boundaries)
        for i, code in zip(index, found, strict=True):
            codes[i] = code
            status[i] = "District" if code else OUTSIDE_DISTRICTS
    frame["area_code"] = pd.Series(codes, index=frame.index, dtype=object)
    frame["location_status"] = status


# --------------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------------
def model_force_population(force_name: str = "Gwent", year: int = 2021) -> pd.DataFrame:
    """The modelled 10–17 population of a police force area by 5 groups.

    Method: the force area's all-age population by group (gov.uk Ethnicity facts and figures, Census
    2021) × the England & Wales share of each group's all-age population that is aged 10–17 (same
    source, by age group; 10–17 = the 10–14 band plus 3/5 of the 15–19 band, i.e. single years spread
    evenly within 15–19), rounded to whole children. Not an official table: replace it with nomis RM032
    (or your own) through ``searches load --population``.
    """
    forces = pd.read_csv(FORCE_POPULATION_SOURCE, thousands=",", dtype={"Census Year": int})
    forces = forces[(forces["Police Force Area"].str.casefold() == force_name.casefold())
                    & (forces["Census Year"] == year)]
    if forces.empty:
        raise ValueError(f"no {year} population for police force area {force_name!r}")
    names = {"Asian or Asian British": "Asian", "Black or Black British": "Black", "Mixed": "Mixed",
             "Other Ethnic Group": "Other", "White": "White"}
    all_ages = {names[k]: float(v) for k, v in zip(forces["Self-defined ethnicity"], forces["Population"], strict=True)}
    ew = pd.read_csv(EW_AGE_SOURCE, thousands=",").drop_duplicates()
    by_age = ew.pivot_table(index="Self-defined ethnicity", columns="Age group", values="Population", aggfunc="sum")
    children = by_age["10-14"] + 0.6 * by_age["15-19"]
    share = children / by_age.sum(axis=1)
    rows = [{
        "force": force_slug(force_name), "area_code": "", "ethnic_group": group, "age_range": CHILD,
        "population": int(round(all_ages[group] * share[group])),
        "source": (f"Modelled: {force_name} all-age population by ethnic group (Census 2021, gov.uk Ethnicity "
                   "facts and figures) x England and Wales share aged 10-17 by group (10-14 plus 3/5 of 15-19); "
                   "not an official table"),
        "year": year,
    } for group in schema.ETHNIC_GROUPS]
    return pd.DataFrame(rows)


def read_search_population(path: Path, forces: list[str]) -> pd.DataFrame:
    """A population for the searches, as rows ``force, area_code, ethnic_group, age_range, population,
    source, year``. Accepts either the main population table (age bands 10-13, 14-15, 16-17 summed, by
    district) or a search population table (``ethnic_group, population`` and optionally ``force,
    area_code, age_range (10-17), source, year``)."""
    _check_readable(path)
    _fingerprint_and_check_text(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LoadError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    frame.columns = [normalise_column_name(c) for c in frame.columns]
    if "age_band" in frame.columns:
        main = read_population(path)
        children = main[main["age_band"].isin(CHILD_AGE_BANDS)]
        summed = children.groupby(["area_code", "ethnic_group"], as_index=False)["population"].sum()
        summed["source"] = "; ".join(sorted(set(children["source"].astype(str)))) + " (ages 10-17 summed)"
        summed["year"] = int(children["year"].max())
        summed["age_range"] = CHILD
        if len(forces) != 1:
            raise LoadError(f"{path.name}: a population table by district needs exactly one force in the load")
        summed["force"] = forces[0]
        return summed[_POPULATION_COLUMNS]
    missing = [c for c in ("ethnic_group", "population") if c not in frame.columns]
    if missing:
        raise LoadError(f"{path.name}: population table lacks column(s): {', '.join(missing)}")
    if frame.empty:
        raise LoadError(f"{path.name}: population table has no rows")
    if "force" in frame.columns:
        frame["force"] = [force_slug(f) for f in frame["force"]]
    elif len(forces) == 1:
        frame["force"] = forces[0]
    else:
        raise LoadError(f"{path.name}: the load has several forces, so the population table needs a force column")
    frame["area_code"] = frame.get("area_code", pd.Series("", index=frame.index)).str.strip().str.upper()
    frame["age_range"] = frame.get("age_range", pd.Series(CHILD, index=frame.index)).str.strip()
    bad_age = frame.loc[frame["age_range"] != CHILD, "age_range"]
    if not bad_age.empty:
        raise LoadError(f"{path.name}: age_range {bad_age.iloc[0]!r} is not 10-17 (only children 10-17 are used)")
    bad_group = frame.loc[~frame["ethnic_group"].isin(schema.ETHNIC_GROUPS), "ethnic_group"]
    if not bad_group.empty:
        raise LoadError(f"{path.name}: unknown ethnic_group {bad_group.iloc[0]!r} in the population table")
    population = pd.to_numeric(frame["population"].str.replace(",", ""), errors="coerce")
    bad = population.isna() | (population < 0) | (population % 1 != 0)
    if bad.any():
        raise LoadError(f"{path.name}: population on line {int(population.index[bad][0]) + 2} is not a whole number "
                        "of 0 or more")
    frame["population"] = population.astype("int64")
    if frame.duplicated(["force", "area_code", "ethnic_group"]).any():
        first = frame.loc[frame.duplicated(["force", "area_code", "ethnic_group"]), ["force", "area_code", "ethnic_group"]]
        raise LoadError(f"{path.name}: population cell {'/'.join(first.iloc[0])} appears more than once")
    frame["source"] = frame.get("source", pd.Series(path.name, index=frame.index))
    frame["year"] = pd.to_numeric(frame.get("year", pd.Series("0", index=frame.index)), errors="coerce").fillna(0).astype(int)
    return frame[_POPULATION_COLUMNS]


_POPULATION_COLUMNS = ["force", "area_code", "ethnic_group", "age_range", "population", "source", "year"]


# --------------------------------------------------------------------------------------------
# Loading and publishing
# --------------------------------------------------------------------------------------------
@dataclass
class SearchLoadResult:
    version: str
    database: Path
    files: list[ParsedFile] = field(repr=False)
    replaced_months: list[tuple[str, date]]
    searches_in_publication: int
    population_note: str

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(len(f.loaded) for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(len(f.rejected) for f in self.files)

    def reconciles(self) -> bool:
        return self.loaded + self.rejected == self.rows_read

    def children(self) -> int:
        return sum(int((f.loaded["age_range"] == CHILD).sum()) for f in self.files)

    def report(self) -> str:
        lines = [f"Published data version {self.version} to {self.database}",
                 f"rows read {self.rows_read:,} = loaded {self.loaded:,} + rejected {self.rejected:,} "
                 f"({len(self.files)} file(s); {self.children():,} searches of children aged 10-17)"]
        for parsed in self.files:
            lines.append(f"  {parsed.path.name}: {parsed.force} {parsed.month:%Y-%m}: read {parsed.rows_read:,}, "
                         f"loaded {len(parsed.loaded):,}, rejected {len(parsed.rejected):,}")
        reasons = Counter()
        for parsed in self.files:
            reasons.update(parsed.rejections)
        for reason, count in reasons.most_common():
            lines.append(f"  rejected: {reason}: {count:,}")
        if self.replaced_months:
            lines.append("  replaced months already loaded: " + ", ".join(f"{f} {m:%Y-%m}" for f, m in self.replaced_months))
        lines.append(f"Searches now in the database: {self.searches_in_publication:,}. {self.population_note}")
        return "\n".join(lines)


def load_searches(
    sources: list[str | os.PathLike],
    database: str | os.PathLike | None = None,
    force: str | None = None,
    population: str | os.PathLike | None = None,
    settings: Settings | None = None,
    today: date | None = None,
) -> SearchLoadResult:
    """Validate the monthly files and publish a new database holding them beside everything else."""
    try:
        settings = settings or load_settings()
    except ConfigError as exc:
        raise LoadError(str(exc)) from None
    database = Path(database) if database else settings.database
    today = today or date.today()
    files = find_files(list(sources))
    if not files:
        raise LoadError("no files given")
    parsed = [parse_file(path, force, today) for path in files]
    seen: dict[tuple[str, date], Path] = {}
    for item in parsed:
        key = (item.force, item.month)
        if key in seen:
            raise LoadError(f"{item.path.name}: {seen[key].name} is also for {item.force} {item.month:%Y-%m}; "
                            "load one file per force and month")
        seen[key] = item.path
    if not any(len(p.loaded) for p in parsed):
        rejected = sum(len(p.rejected) for p in parsed)
        raise LoadError(f"{parsed[0].path.name}: no row passed validation ({rejected:,} rejected); nothing was published")
    forces = sorted({p.force for p in parsed})
    given_population = read_search_population(Path(population), forces) if population else None
    main_population = None
    if population is not None and given_population is not None and "age_band" in _columns_of(Path(population)):
        main_population = read_population(Path(population))

    return build_and_publish(
        database,
        lambda built: _build(parsed, database, built, given_population, main_population, settings, today),
        f"{parsed[0].path.name}: could not be loaded",
    )


def _columns_of(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        return [normalise_column_name(c) for c in next(csv.reader(handle), [])]


def _build(parsed, database, built, given_population, main_population, settings, today) -> SearchLoadResult:
    previous = current_publication(database)
    digest = hashlib.sha256("".join(p.digest for p in parsed).encode()).hexdigest()
    now = datetime.now(UTC)
    version = f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}"
    suffix = 1
    while (versions_dir(database) / f"{version}.duckdb").exists():
        suffix += 1
        version = f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}-{suffix}"
    builder = SearchBuilder(built)
    try:
        if previous is not None:
            builder.copy_publication(previous)
        if not builder.has_table("publication"):
            _create_main_tables(builder, main_population, settings, today, version, now)
        builder.create_search_tables()
        before = _force_months(builder)
        replaced = []
        for item in parsed:
            if (item.force, item.month) in before:
                replaced.append((item.force, item.month))
            builder.replace_force_months("searches", item.force, [item.month], item.loaded)
            builder.replace_force_months("search_rejected_rows", item.force, [item.month], item.rejected)
            builder.replace_force_months("search_loads", item.force, [item.month], pd.DataFrame([{
                "force": item.force, "file_month": item.month, "source_file": item.path.name,
                "source_sha256": item.digest, "loaded_at": now.isoformat(timespec="seconds"),
                "rows_read": item.rows_read, "loaded": len(item.loaded), "rejected": len(item.rejected),
            }]))
            if len(item.loaded) + len(item.rejected) != item.rows_read:
                raise LoadError(f"{item.path.name}: counts do not reconcile; nothing was published")
        notes = []
        forces = sorted({p.force for p in parsed})
        if given_population is not None:
            for force in sorted(set(given_population["force"])):
                builder.replace_population(force, given_population[given_population["force"] == force])
            notes.append(f"Population from the file given for {', '.join(sorted(set(given_population['force'])))}.")
        have = builder.population_forces()
        for force in forces:
            if force in have:
                continue
            if force in SHIPPED_POPULATIONS:
                shipped = pd.read_csv(SHIPPED_POPULATIONS[force], dtype={"area_code": str}, keep_default_na=False)
                builder.replace_population(force, shipped[_POPULATION_COLUMNS])
                notes.append(f"{force}: the shipped modelled 10-17 population ({SHIPPED_POPULATIONS[force].name}).")
            elif force in RECORDS_POPULATION_FORCES:
                notes.append(f"{force}: population from the publication's population table (ages 10-17).")
            else:
                notes.append(f"{force}: no population table, so rates per 1,000 are not available "
                             "(pass --population FILE).")
        builder.set_version(version)
        count = builder.search_count()
        builder.finish()
    finally:
        builder.close()
    return SearchLoadResult(version, database, parsed, replaced, count, " ".join(notes))


def _force_months(builder: SearchBuilder) -> set[tuple[str, date]]:
    return builder.force_months()


def _create_main_tables(builder, main_population, settings, today, version, now) -> None:
    """No publication yet: the main tables with no records (and the population if one was given)."""
    population = (main_population[list(schema.POPULATION_COLUMNS)] if main_population is not None
                  else pd.DataFrame({c: pd.Series(dtype="int64" if c in ("population", "year") else object)
                                     for c in schema.POPULATION_COLUMNS}))
    builder.write_population(population, area_names(main_population) if main_population is not None else {})
    builder.create_empty_records(today, settings.serious_youth_violence)
    builder.write_metadata(
        {"version": version, "loaded_at": now.isoformat(timespec="seconds"),
         "source_file": "(no crime records loaded: stop-and-search only)", "source_sha256": "",
         "rows_read": 0, "loaded": 0, "rejected": 0, "excluded": 0,
         "population_source": "; ".join(sorted(set(population["source"].astype(str)))) or "none"},
        {"serious_youth_violence": settings.serious_youth_violence.describe(),
         "ethnicity_source_default": settings.ethnicity_source,
         "person_group_rule": "A child's ethnic group is the latest stated code across all their "
                              "records in the extract (self-defined; officer-defined as fallback)."},
    )


# --------------------------------------------------------------------------------------------
# Filters and measures
# --------------------------------------------------------------------------------------------
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

    def replace(self, **changes) -> SearchFilters:
        import dataclasses

        return dataclasses.replace(self, **changes)

    @property
    def engine_filters(self) -> Filters:
        """The reference group and confidence, in the form the shared row builders take."""
        return Filters(reference_group=self.reference_group, confidence=self.confidence,
                       ethnicity_source=self.ethnicity_source)

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


@dataclass(frozen=True)
class SearchTable:
    """A stop-and-search rate/share table with the facts needed to explain every number in it.

    ``table`` has ``analytics.disparity.COLUMNS`` (and ``is_reference``), so it prints, exports and
    renders like the crime-record tables."""

    table: pd.DataFrame
    measure: str
    filters: SearchFilters
    numerator: str
    denominator: str
    denominator_source: str
    split: str | None = None
    not_recorded: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def confidence(self) -> float:
        return self.filters.confidence

    def csv_frame(self) -> pd.DataFrame:
        return self.table.loc[:, list(disparity.COLUMNS)]

    def metadata(self) -> dict:
        return {
            "measure": self.measure,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "denominator_source": self.denominator_source,
            "reference_group": self.filters.reference_group,
            "confidence": self.confidence,
            "counting_unit": "searches",
            "ethnicity_source": schema.ETHNICITY_SOURCES[self.filters.ethnicity_source],
            "filters": self.filters.describe(),
            "split": self.split or disparity.ALL_SPLIT,
            "not_recorded": self.not_recorded,
            "multiple_comparisons": "Benjamini–Hochberg across the rows of this table",
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        rows = json.loads(self.csv_frame().to_json(orient="records", date_format="iso"))
        return json.dumps({"metadata": self.metadata(), "rows": rows}, indent=2, ensure_ascii=False, default=str)


def _counts(sstore: SearchStore, filters: SearchFilters, split: str | None) -> pd.DataFrame:
    dims = (split,) if split else ()
    return sstore.counts(filters, dims, NO_FURTHER_ACTION, OFFENSIVE_WEAPONS)


def _split_values(counts: pd.DataFrame, split: str | None) -> list:
    if not split:
        return [disparity.ALL_SPLIT]
    return sorted(set(counts[split])) if len(counts) else []


def _group_dict(counts: pd.DataFrame, split: str | None, value, column: str) -> dict:
    return disparity._by_group(counts, split, value, column)


def _label(split: str | None, value):
    if split == "month" and value is not None and not isinstance(value, str):
        return pd.Timestamp(value).strftime("%Y-%m")
    return value


def forces_in_view(sstore: SearchStore, filters: SearchFilters) -> tuple[str, ...]:
    return filters.forces or tuple(sstore.options()["forces"])


def population(sstore: SearchStore, filters: SearchFilters) -> tuple[pd.DataFrame, str]:
    """Children aged 10-17 by ``area_code`` ('' = whole force area) and group, for the forces in view,
    and a line saying where the figures come from."""
    forces = forces_in_view(sstore, filters)
    frames, sources = [], []
    explicit = sstore.population(forces)
    for force in forces:
        rows = explicit[explicit["force"] == force]
        if len(rows):
            frames.append(rows[["area_code", "ethnic_group", "population"]])
            sources += sorted(set(rows["source"].astype(str)))
        elif force in RECORDS_POPULATION_FORCES:
            try:
                by_area = sstore.store.population_counts(Filters(age_bands=CHILD_AGE_BANDS), ("area",))
            except DatabaseError:
                continue
            frames.append(by_area.rename(columns={"area": "area_code"})[["area_code", "ethnic_group", "population"]])
            sources.append("the publication's population table, ages 10-17 (" +
                           str(sstore.store.publication().get("population_source", "")) + ")")
    if not frames:
        return pd.DataFrame(columns=["area_code", "ethnic_group", "population"]), "no population table for this force"
    frame = pd.concat(frames, ignore_index=True)
    frame["area_code"] = frame["area_code"].fillna("").astype(str)
    if filters.areas:
        frame = frame[frame["area_code"].isin(filters.areas)]
    return frame, "; ".join(dict.fromkeys(sources))


def _whole_area(pop: pd.DataFrame) -> dict:
    """Whole-force population: the force-level rows where given, else the sum of the districts."""
    if pop.empty:
        return {}
    whole = pop[pop["area_code"] == ""]
    use = whole if len(whole) else pop
    return {g: int(v) for g, v in use.groupby("ethnic_group")["population"].sum().items()}


def search_rates(sstore: SearchStore, filters: SearchFilters, split: str | None = None) -> SearchTable:
    """Searches of children aged 10-17 per 1,000 children of the group, ratio to the reference (exact)."""
    _check_split(split)
    if filters.age_ranges != (CHILD,):
        raise ValueError("the rate measure is per 1,000 children aged 10-17: use --age-range 10-17 "
                         "(other age ranges: --measure weapons or find)")
    counts = _counts(sstore, filters, split)
    pop, source = population(sstore, filters)
    whole = _whole_area(pop)
    parts = []
    for value in _split_values(counts, split):
        events = _group_dict(counts, split, value, "searches")
        if split == "area":
            part = pop[pop["area_code"] == value]
            denominators = {g: int(v) for g, v in part.groupby("ethnic_group")["population"].sum().items()}
        elif filters.areas:
            denominators = {g: int(v) for g, v in pop.groupby("ethnic_group")["population"].sum().items()}
        else:
            denominators = whole
        parts.append((_label(split, value), events, denominators))
    rows = disparity._rate_rows(parts, filters.engine_filters)
    table = disparity._finish(pd.DataFrame(rows), filters.engine_filters) if rows else _empty_table()
    notes = ["Rates are per 1,000 children aged 10-17 over the whole selected period (not annualised); "
             "the unit is the search (a child searched twice counts twice).",
             "Not stated: its share of all searches (Wilson interval); it has no population denominator."]
    if split == "area":
        notes.append("Searches without a published location, or outside the district boundaries, have no "
                     "district population: their rows show counts only.")
    return SearchTable(table, "rate", filters, split=split,
                       numerator="stop-and-search records of children aged 10-17 in the period",
                       denominator="children aged 10-17 of the group in the force area (or district)",
                       denominator_source=source, notes=tuple(notes))


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


def find_rates(sstore: SearchStore, filters: SearchFilters, split: str | None = None, linked: bool = False) -> SearchTable:
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
        result = SearchTable(result.table, "find (linked to object)", filters, result.numerator, result.denominator,
                             result.denominator_source, split, result.not_recorded, notes)
    return result


def _share_table(counts, filters, split, events_column, denominator_column, missing, measure, *, numerator,
                 denominator, missing_label) -> SearchTable:
    rows = []
    not_recorded: dict = {}
    for value in _split_values(counts, split):
        events = _group_dict(counts, split, value, events_column)
        totals = _group_dict(counts, split, value, denominator_column)
        rows += disparity._decision_rows(_label(split, value), events, totals, filters.engine_filters)
        part = counts[counts[split] == value] if split else counts
        lacking = {g: int(v) for g, v in part.assign(m=missing(part)).groupby("ethnic_group")["m"].sum().items()}
        key = str(_label(split, value))
        not_recorded[key] = {g: lacking.get(g, 0) for g in schema.ETHNIC_GROUPS_WITH_NOT_STATED}
    table = disparity._finish(pd.DataFrame(rows), filters.engine_filters) if rows else _empty_table()
    total_missing = sum(sum(v.values()) for v in not_recorded.values())
    notes = (f"{total_missing:,} searches with {missing_label} are not in the numerators or denominators "
             "(counted by group in not_recorded).",
             "The unit is the search; ratios use the Koopman score interval, shares the Wilson interval.")
    return SearchTable(table, measure, filters, numerator=numerator, denominator=denominator,
                       denominator_source="the searches themselves", split=split, not_recorded=not_recorded,
                       notes=notes)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(columns=[*disparity.COLUMNS, "is_reference"])


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


# --------------------------------------------------------------------------------------------
# Command line: ``python -m analytics searches {load,ratios}`` (wired in analytics.commands)
# --------------------------------------------------------------------------------------------
def _age_range(text: str) -> str:
    value = re.sub(r"[\s_-]+", " ", text.strip().lower())
    aliases = {"under 10": UNDER_10, "10 17": CHILD, "18 24": "18-24", "25 34": "25-34", "over 34": "over 34",
               "not recorded": NOT_RECORDED}
    if value not in aliases:
        import argparse

        raise argparse.ArgumentTypeError(f"unknown age range {text!r} (expected one of {', '.join(AGE_RANGES)})")
    return aliases[value]


def add_parser(commands) -> None:
    """Add ``searches load`` and ``searches ratios`` to the ``python -m analytics`` subcommands."""
    from analytics import cli

    searches = commands.add_parser("searches", help="stop and search: load data.police.uk monthly files, print ratios")
    sub = searches.add_subparsers(dest="searches_command", required=True, parser_class=cli.OneLineParser)

    load = sub.add_parser("load", help="validate monthly stop-and-search CSVs and publish them with the database")
    load.add_argument("sources", nargs="+", type=Path, metavar="FILE_OR_FOLDER",
                      help="monthly CSVs as downloaded, or folders holding them (*stop-and-search.csv)")
    load.add_argument("--force", default=None, metavar="NAME",
                      help="police force (default: from the file names, e.g. 2023-01-gwent-stop-and-search.csv)")
    load.add_argument("--population", type=Path, default=None, metavar="FILE",
                      help="children 10-17 by ethnic group for the force area: columns ethnic_group, population "
                           "(optional force, area_code, age_range, source, year), or a main population table "
                           "(age bands 10-13, 14-15, 16-17 are summed). Default: the one already loaded, the "
                           "shipped modelled Gwent table, or (Norfolk) the publication's population table")
    cli.add_database_option(load)

    ratios_parser = sub.add_parser("ratios", help="search rates, weapons shares and find rates by ethnic group")
    ratios_parser.add_argument("--measure", choices=MEASURES, default="rate",
                               help="rate: searches of children per 1,000 children aged 10-17; weapons: share of "
                                    "searches for offensive weapons; find: share with an outcome other than no "
                                    "further action (the outcome test)")
    ratios_parser.add_argument("--linked", action="store_true",
                               help="find: count only outcomes linked to the object of search")
    ratios_parser.add_argument("--age-range", nargs="+", type=_age_range, default=[CHILD], metavar="RANGE",
                               help=f"age ranges (default 10-17; one of {', '.join(AGE_RANGES)})")
    ratios_parser.add_argument("--from", dest="date_from", type=cli.iso_date, help="first search date (YYYY-MM-DD)")
    ratios_parser.add_argument("--to", dest="date_to", type=cli.iso_date, help="last search date (YYYY-MM-DD)")
    ratios_parser.add_argument("--split", choices=SPLITS, default=None)
    ratios_parser.add_argument("--force", nargs="+", default=[], metavar="NAME", help="police force(s) (default all)")
    ratios_parser.add_argument("--object", nargs="+", default=[], metavar="OBJECT",
                               help="object(s) of search, e.g. 'Offensive weapons' ('Not recorded' = blank)")
    ratios_parser.add_argument("--legislation", nargs="+", default=[], metavar="ACT")
    ratios_parser.add_argument("--type", nargs="+", default=[], choices=(*SEARCH_TYPES, NOT_RECORDED))
    ratios_parser.add_argument("--area", nargs="+", default=[], metavar="CODE",
                               help=f"district code(s), or '{LOCATION_NOT_PUBLISHED}'")
    ratios_parser.add_argument("--reference", default=schema.DEFAULT_REFERENCE_GROUP, choices=schema.ETHNIC_GROUPS)
    ratios_parser.add_argument("--confidence", type=cli.confidence_level, default=schema.DEFAULT_CONFIDENCE,
                               help="confidence level, 0.95 (default) or 0.998")
    ratios_parser.add_argument("--ethnicity-source", choices=tuple(schema.ETHNICITY_SOURCES),
                               default=schema.DEFAULT_ETHNICITY_SOURCE)
    ratios_parser.add_argument("--format", choices=("csv", "json"), default="csv")
    cli.add_database_option(ratios_parser)


def run(args) -> int:
    """Handler for ``python -m analytics searches ...``."""
    import sys

    from analytics import cli

    database = args.db if args.db is not None else load_settings().database
    if args.searches_command == "load":
        result = load_searches(args.sources, database, force=args.force, population=args.population)
        print(result.report())
        return 0
    try:
        filters = SearchFilters(
            date_from=args.date_from, date_to=args.date_to, forces=tuple(force_slug(f) for f in args.force),
            age_ranges=tuple(args.age_range), objects=tuple(args.object), legislations=tuple(args.legislation),
            types=tuple(args.type), areas=tuple(a.strip().upper() if a.strip()[:1].isalnum() and " " not in a.strip()
                                                else a.strip() for a in args.area),
            reference_group=args.reference, confidence=args.confidence, ethnicity_source=args.ethnicity_source,
        )
    except (ValueError, LoadError) as exc:
        raise cli.UsageError(str(exc)) from None
    if args.linked and args.measure != "find":
        raise cli.UsageError("--linked applies to --measure find only")
    sstore = SearchStore(Store(database))
    if not sstore.available():
        raise cli.UsageError("no stop-and-search data loaded yet; run `python -m analytics searches load FOLDER`")
    try:
        result = ratios(sstore, filters, args.measure, args.split, linked=args.linked)
    except ValueError as exc:
        raise cli.UsageError(str(exc)) from None
    if args.format == "json":
        print(result.to_json())
    else:
        sys.stdout.write(result.csv_frame().to_csv(index=False, float_format="%.6g"))
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0
