"""Loading monthly stop-and-search files into a new publication beside the crime records.

``loaded + rejected = read`` for every file, and the summary counts rejections by reason. A file's month is
the ``YYYY-MM`` its name starts with (else the month most of its dates fall in); loading a force-month that
is already loaded replaces it (its searches, its rejected rows and its load record), so a month loaded
twice is held once. The current publication is copied table by table into a new file, the searches tables
are replaced or merged there, and the new file is published with the main loader's atomic symlink swap.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from analytics import schema
from analytics.config import ConfigError, Settings, load_settings
from analytics.load import (
    LoadError,
    area_names,
    build_and_publish,
    normalise_column_name,
    read_population,
    versions_dir,
)
from analytics.searches.parse import CHILD, ParsedFile, find_files, parse_file
from analytics.searches.population import (
    NO_RESIDENT_POPULATION,
    RECORDS_POPULATION_FORCES,
    SHIPPED_POPULATIONS,
    read_search_population,
    shipped_population,
)
from analytics.store import SearchBuilder, current_publication


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
        reasons: Counter[str] = Counter()
        for parsed in self.files:
            reasons.update(parsed.rejections)
        for reason, count in reasons.most_common():
            lines.append(f"  rejected: {reason}: {count:,}")
        if self.replaced_months:
            replaced = ", ".join(f"{f} {m:%Y-%m}" for f, m in self.replaced_months)
            lines.append(f"  replaced months already loaded: {replaced}")
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
        raise LoadError(f"{parsed[0].path.name}: no row passed validation ({rejected:,} rejected); "
                        "nothing was published")
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
        before = builder.force_months()
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
            if force in RECORDS_POPULATION_FORCES:
                notes.append(f"{force}: population from the publication's population table (ages 10-17), or the "
                             f"shipped modelled one ({SHIPPED_POPULATIONS[force].name}) while there is none.")
            elif force in SHIPPED_POPULATIONS:
                builder.replace_population(force, shipped_population(force))
                notes.append(f"{force}: the shipped modelled 10-17 population ({SHIPPED_POPULATIONS[force].name}; "
                             "replace it with --population FILE).")
            elif force in NO_RESIDENT_POPULATION:
                notes.append(f"{force}: no population table ({NO_RESIDENT_POPULATION[force]}), so rates per 1,000 "
                             "are not available.")
            else:
                notes.append(f"{force}: no population table, so rates per 1,000 are not available "
                             "(pass --population FILE).")
        builder.set_version(version)
        count = builder.search_count()
        builder.finish()
    finally:
        builder.close()
    return SearchLoadResult(version, database, parsed, replaced, count, " ".join(notes))


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
