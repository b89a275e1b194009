"""Load an extract of person-crime records: read -> validate -> pseudonymise -> publish (DESIGN.md section 3).

1. **read** (``analytics.load.read``): file-level checks and staging of the contract columns as text;
2. **validate** (``PublicationBuilder.classify``, in DuckDB): every row normalised and loaded, rejected with
   its reason, or excluded (aged 18 or over); the population table checked (``analytics.load.population``);
3. **pseudonymise** (``analytics.load.pseudonymise``): raw identifiers replaced by keyed hashes;
4. **publish** (``analytics.load.publish``): ``loaded + rejected + excluded = read`` is checked, then the new
   file is published atomically; the previous publication is untouched by any failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from analytics import schema
from analytics.config import ConfigError, Settings, load_settings
from analytics.load.isolated import stage_isolated
from analytics.load.population import area_names, current_population, read_population
from analytics.load.pseudonymise import no_key_error, raw_identifier_columns
from analytics.load.publish import build_and_publish, scratch_path, versions_dir
from analytics.load.read import (
    LoadError,
    check_readable,
    file_digest,
    fingerprint_and_check_text,
    is_parquet,
    normalise_line_endings,
    stage_extract,
)
from analytics.store import DatabaseError, Pads, PublicationBuilder, current_publication, printable
from analytics.store.errors import one_line


@dataclass
class LoadResult:
    version: str
    database: Path
    rows_read: int
    loaded: int
    rejected: int
    excluded: int
    summary: pd.DataFrame = field(repr=False)

    def reconciles(self) -> bool:
        return self.loaded + self.rejected + self.excluded == self.rows_read

    def report(self) -> str:
        """The printed summary: counts that reconcile, then the counts per reason."""
        lines = [
            f"Published data version {self.version} to {self.database}",
            f"rows read {self.rows_read:,} = loaded {self.loaded:,} + rejected {self.rejected:,} "
            f"+ excluded {self.excluded:,}",
        ]
        for kind in ("rejected", "excluded"):
            rows = self.summary[(self.summary["kind"] == kind) & (self.summary["rows"] > 0)]
            for _, row in rows.iterrows():
                lines.append(f"  {kind}: {row['reason']}: {int(row['rows']):,}")
        return "\n".join(lines)



def load_extract(
    source: str | os.PathLike,
    database: str | os.PathLike | None = None,
    population: str | os.PathLike | None = None,
    settings: Settings | None = None,
    today: date | None = None,
) -> LoadResult:
    """Validate ``source`` and publish it (with the population table) as the new database."""
    try:
        settings = settings or load_settings()
    except ConfigError as exc:
        raise LoadError(str(exc)) from None
    source = Path(source)
    database = Path(database) if database else settings.database
    today = today or date.today()
    check_readable(source)
    parquet = is_parquet(source)
    isolated = settings.key_configured()  # the extract may carry raw identifiers: only a child reads it
    text = None if parquet or isolated else fingerprint_and_check_text(source)
    digest = None if isolated else text.digest if text is not None else file_digest(source)

    given = read_population(Path(population)) if population is not None else None

    def build(built: Path) -> LoadResult:
        # the current population is read under the publication lock: a load that published a new population
        # table while this one waited for the lock is never undone by this one
        population_table = given if given is not None else current_population(database)
        if population_table is None:
            raise LoadError(f"--db {printable(str(database))}: no population table yet (nothing published there, or "
                            "its publication cannot be read); pass --population FILE")
        if isolated:
            def stage(builder: PublicationBuilder) -> tuple[int, str]:
                read = stage_isolated(builder, source, source.name, parquet, settings)
                return read.malformed, read.digest
        else:
            readable = normalise_line_endings(source, scratch_path(built)) if text and text.mixed_line_endings \
                else source

            def stage(builder: PublicationBuilder) -> tuple[int, str]:
                assert digest is not None
                return stage_extract(builder, readable, source.name, parquet, _no_raw_identifiers(source.name)), digest
        return _build(stage, source.name, population_table, built, database, settings, today)

    return build_and_publish(database, build, f"{source.name}: could not be read")



def _no_raw_identifiers(source_name: str) -> Callable[[list[str]], Pads | None]:
    """Staging in this process: an extract with raw identifiers is refused (no key is configured, or the
    extract would have been read by ``analytics.load.isolated``)."""
    def refuse(names: list[str]) -> Pads | None:
        if present := raw_identifier_columns(names):
            raise no_key_error(source_name, present)
        return None
    return refuse


def _build(
    stage: Callable[[PublicationBuilder], tuple[int, str]],
    source_name: str,
    population: pd.DataFrame,
    built: Path,
    database: Path,
    settings: Settings,
    today: date,
) -> LoadResult:
    builder = PublicationBuilder(built)
    try:
        builder.write_population(population[list(schema.POPULATION_COLUMNS)], area_names(population))
        try:
            builder.carry_over_searches(current_publication(database))  # keep loaded stop-and-search data
        except DatabaseError as exc:
            raise LoadError(f"--db {printable(str(database))}: the current publication cannot be read "
                            f"({one_line(exc)})") from None
        malformed, digest = stage(builder)
        builder.add_missing_columns()
        builder.classify(today, settings.serious_youth_violence)
        if malformed:
            builder.add_malformed_rows()
        summary = builder.write_summary()
        counts = summary.groupby("kind")["rows"].sum()
        rows_read = builder.staged_rows() + malformed
        loaded, rejected, excluded = (int(counts.get(k, 0)) for k in ("loaded", "rejected", "excluded"))
        if loaded + rejected + excluded != rows_read:
            raise LoadError(f"{source_name}: counts do not reconcile; nothing was published")
        if loaded == 0:
            raise LoadError(f"{source_name}: no row passed validation ({rejected:,} rejected, "
                            f"{excluded:,} excluded); nothing was published")
        stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest[:8]}"
        version, suffix = stamp, 1
        while (versions_dir(database) / f"{version}.duckdb").exists():  # the same file loaded twice in a second
            suffix += 1  # (under the publication lock, so no other load can take the name meanwhile)
            version = f"{stamp}-{suffix}"
        builder.write_metadata(
            {
                "version": version,
                "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "source_file": source_name,
                "source_sha256": digest,
                "rows_read": rows_read,
                "loaded": loaded,
                "rejected": rejected,
                "excluded": excluded,
                "population_source": "; ".join(sorted(set(population["source"].astype(str)))),
            },
            {
                "serious_youth_violence": settings.serious_youth_violence.describe(),
                "ethnicity_source_default": settings.ethnicity_source,
                "person_group_rule": "A child's ethnic group is the latest stated code across all their "
                                     "records in the extract (self-defined; officer-defined as fallback).",
            },
        )
        builder.finish()
    finally:
        builder.close()
    return LoadResult(version, database, rows_read, loaded, rejected, excluded, summary)

