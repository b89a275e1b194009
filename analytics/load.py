"""Read an extract, validate it, pseudonymise it, and publish a new database atomically.

File-level problems (unreadable, not UTF-8, empty, a missing required column, a column of direct
identifiers, raw identifiers without a key, a bad population table) raise ``LoadError`` with one
line naming the file and the problem: nothing is loaded and the published database is untouched.
Row-level problems send the row to ``rejected_rows`` with its reason; rows aged 18 or over are
excluded and counted. ``loaded + rejected + excluded = read`` is checked before publishing.

Publication: the new database is built in a hidden file beside the target and moved over it with
``os.replace`` (atomic on POSIX). A reader that has the old file open keeps reading it until it
reconnects; a load that fails or is killed leaves the old file as it was.
"""

from __future__ import annotations

import codecs
import csv
import fcntl
import hashlib
import hmac
import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from analytics import schema
from analytics.config import ConfigError, Settings, load_settings
from analytics.store import DatabaseError, NoDataError, PublicationBuilder, Store, current_publication

CHUNK = 1 << 24  # 16 MiB
PARQUET_MAGIC = b"PAR1"
NUL = b"\x00"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
QUOTE = b'"'


class LoadError(Exception):
    """A file-level problem: nothing was loaded. ``str()`` is the one-line message."""


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


# --------------------------------------------------------------------------------------------
# File-level checks
# --------------------------------------------------------------------------------------------
def normalise_column_name(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


@dataclass(frozen=True)
class TextCheck:
    """What one pass over a CSV found: its SHA-256 and whether it mixes CRLF and LF line endings."""

    digest: str
    mixed_line_endings: bool


def _fingerprint_and_check_text(path: Path) -> TextCheck:
    """One pass over the file: SHA-256, UTF-8 validity, no NUL bytes, and the line endings used."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    offset = crlf = lf = 0
    previous_ended_cr = False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if offset == 0 and (chunk.startswith(UTF16_BOMS) or (chunk[:2].count(NUL) == 1 and len(chunk) > 2)):
                raise LoadError(f"{path.name}: is UTF-16 encoded, not UTF-8; save it as CSV UTF-8")
            if NUL in chunk:
                position = offset + chunk.index(NUL)
                raise LoadError(f"{path.name}: contains a NUL byte at position {position}; it is not a text CSV file")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise LoadError(
                    f"{path.name}: is not UTF-8 encoded (invalid byte at position {offset + exc.start}); "
                    "save it as CSV UTF-8"
                ) from None
            crlf += chunk.count(b"\r\n") + (previous_ended_cr and chunk.startswith(b"\n"))
            lf += chunk.count(b"\n")
            previous_ended_cr = chunk.endswith(b"\r")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise LoadError(f"{path.name}: is not UTF-8 encoded (truncated character at the end)") from None
    return TextCheck(digest.hexdigest(), mixed_line_endings=0 < crlf < lf)


def _normalise_line_endings(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` with every CRLF turned into LF (for files that mix the two)."""
    with source.open("rb") as reader, target.open("wb") as writer:
        carry = b""
        while chunk := reader.read(CHUNK):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            writer.write(chunk[: len(chunk) - len(carry)].replace(b"\r\n", b"\n"))
        writer.write(carry)
    return target


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_header(path: Path, name: str) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        if not first.strip():
            raise LoadError(f"{name}: the file is empty (no header line)")
        second = handle.readline()
    if not second.strip():
        raise LoadError(f"{name}: has a header but no data rows")
    return next(csv.reader(io.StringIO(first)))


def check_columns(file_name: str, header: list[str]) -> dict[str, str]:
    """Map each kept source column to its contract name, or raise ``LoadError`` naming the problem."""
    names = [normalise_column_name(h) for h in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise LoadError(f"{file_name}: the column {name!r} appears more than once")
        seen.add(name)
    identifiers = sorted(seen & schema.DIRECT_IDENTIFIER_COLUMNS)
    if identifiers:
        raise LoadError(
            f"{file_name}: contains direct identifiers ({', '.join(identifiers)}); remove them before loading"
        )
    for raw, pseudonymised in schema.RAW_IDENTIFIER_COLUMNS.items():
        if raw in seen and pseudonymised in seen:
            raise LoadError(f"{file_name}: has both {raw} and {pseudonymised}; keep only one")
    available = seen | {schema.RAW_IDENTIFIER_COLUMNS[r] for r in seen & set(schema.RAW_IDENTIFIER_COLUMNS)}
    missing = [c for c in schema.REQUIRED_COLUMNS if c not in available]
    if missing:
        raise LoadError(f"{file_name}: missing required column(s): {', '.join(missing)}")
    keep = set(schema.ALL_COLUMNS) | set(schema.RAW_IDENTIFIER_COLUMNS)
    return {original: name for original, name in zip(header, names, strict=True) if name in keep}


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise LoadError(f"{path}: file not found")
    if not path.is_file():
        raise LoadError(f"{path}: is not a file")
    if not os.access(path, os.R_OK):
        raise LoadError(f"{path.name}: cannot be read (permission denied)")
    if path.stat().st_size == 0:
        raise LoadError(f"{path.name}: the file is empty")


# --------------------------------------------------------------------------------------------
# Population table
# --------------------------------------------------------------------------------------------
def read_population(path: Path) -> pd.DataFrame:
    """Read and check a population table (DESIGN.md section 3); any bad row refuses the file."""
    _check_readable(path)
    _fingerprint_and_check_text(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LoadError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    frame.columns = [normalise_column_name(c) for c in frame.columns]
    missing = [c for c in schema.POPULATION_COLUMNS if c not in frame.columns]
    if missing:
        raise LoadError(f"{path.name}: population table lacks column(s): {', '.join(missing)}")
    if frame.empty:
        raise LoadError(f"{path.name}: population table has no rows")
    for column, allowed in (
        ("ethnic_group", schema.ETHNIC_GROUPS),
        ("age_band", schema.AGE_BANDS),
        ("sex", schema.POPULATION_SEXES),
    ):
        bad = frame.loc[~frame[column].isin(allowed), column]
        if not bad.empty:
            raise LoadError(f"{path.name}: unknown {column} {bad.iloc[0]!r} in the population table")
    population = pd.to_numeric(frame["population"].str.replace(",", ""), errors="coerce")
    if population.isna().any() or (population < 0).any() or (population % 1 != 0).any():
        row = int(population.index[population.isna() | (population < 0) | (population % 1 != 0)][0]) + 2
        raise LoadError(f"{path.name}: population on line {row} is not a whole number of 0 or more")
    frame["population"] = population.astype("int64")
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").fillna(0).astype("int64")
    frame["area_code"] = frame["area_code"].str.strip().str.upper()
    key = ["area_code", "ethnic_group", "age_band", "sex"]
    duplicated = frame.duplicated(key)
    if duplicated.any():
        first = frame.loc[duplicated, key].iloc[0].tolist()
        raise LoadError(f"{path.name}: population cell {'/'.join(first)} appears more than once")
    expected = len(schema.ETHNIC_GROUPS) * len(schema.AGE_BANDS) * len(schema.POPULATION_SEXES)
    incomplete = frame.groupby("area_code").size()
    incomplete = incomplete[incomplete != expected]
    if not incomplete.empty:
        raise LoadError(
            f"{path.name}: area {incomplete.index[0]} has {incomplete.iloc[0]} population cells, "
            f"expected {expected} (5 groups x 4 age bands x 2 sexes)"
        )
    columns = list(schema.POPULATION_COLUMNS) + (["area_name"] if "area_name" in frame.columns else [])
    return frame[columns]


def area_names(population: pd.DataFrame) -> dict[str, str]:
    """Area code -> name: the population table's ``area_name`` if given, else known names, else the code."""
    given = {}
    if "area_name" in population.columns:
        given = dict(zip(population["area_code"], population["area_name"], strict=True))
    return {
        code: given.get(code) or schema.KNOWN_AREA_NAMES.get(code, code)
        for code in sorted(population["area_code"].unique())
    }


def _current_population(database: Path) -> pd.DataFrame | None:
    try:
        store = Store(database)
        try:
            population = store.population_table()
            names = store.areas()
        finally:
            store.close()
    except (NoDataError, DatabaseError):
        return None
    return population.merge(names, on="area_code", how="left")


# --------------------------------------------------------------------------------------------
# Pseudonymisation
# --------------------------------------------------------------------------------------------
def pseudonymise(values: list[str], key: bytes) -> list[str]:
    """Keyed hash (HMAC-SHA256, RFC 2104), first 32 hex digits: stable for one key, unlinkable without it."""
    return [hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:32] for v in values]


# --------------------------------------------------------------------------------------------
# Publication
# --------------------------------------------------------------------------------------------
KEEP_PREVIOUS_VERSIONS = 2  # older publications are deleted (open readers keep their file until they close)


def versions_dir(database: Path) -> Path:
    """Where publications live: ``data/.monitor.duckdb.versions/<version>.duckdb``."""
    return database.parent / f".{database.name}.versions"


def building_path(database: Path) -> Path:
    return versions_dir(database) / f"building-{os.getpid()}.duckdb"


@contextmanager
def publication_lock(database: Path):
    """One build-and-publish at a time per database (an exclusive ``flock``, released by the kernel even
    if the process is killed), so two loads never both start from the same publication."""
    versions_dir(database).mkdir(parents=True, exist_ok=True)
    with (versions_dir(database) / ".lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_stale_builds(database: Path) -> None:
    """Remove half-built files, and new links never swapped in, left by loads that were killed (their
    process no longer exists)."""
    link_prefix = f".{database.name}.link-"
    candidates = [(c, c.name.removeprefix("building-")) for c in versions_dir(database).glob("building-*")]
    candidates += [(c, c.name.removeprefix(link_prefix)) for c in database.parent.glob(f"{link_prefix}*")]
    for candidate, rest in candidates:
        pid_text = rest.split(".")[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and _process_alive(int(pid_text)):
            continue
        candidate.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _publish(built: Path, database: Path, version: str) -> None:
    """Move the finished file into place and swing the ``database`` symlink to it in one rename."""
    with built.open("rb") as handle:
        os.fsync(handle.fileno())
    final = versions_dir(database) / f"{version}.duckdb"
    os.replace(built, final)
    link = database.parent / f".{database.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(final.relative_to(database.parent), link)
    os.replace(link, database)
    _fsync_directory(database.parent)
    _prune_old_versions(database, keep=final)


def _prune_old_versions(database: Path, keep: Path) -> None:
    published = sorted(
        (p for p in versions_dir(database).glob("*.duckdb") if not p.name.startswith("building-") and p != keep),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for old in published[KEEP_PREVIOUS_VERSIONS:]:
        old.unlink(missing_ok=True)
        Path(f"{old}.wal").unlink(missing_ok=True)


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
    _check_readable(source)
    parquet = _is_parquet(source)
    text = None if parquet else _fingerprint_and_check_text(source)
    digest = _file_digest(source) if parquet else text.digest

    if population is not None:
        population_table = read_population(Path(population))
    else:
        population_table = _current_population(database)
        if population_table is None:
            raise LoadError(f"{source.name}: no population table yet; pass --population FILE")

    def build(built: Path) -> LoadResult:
        readable = _normalise_line_endings(source, scratch_path(built)) if text and text.mixed_line_endings else source
        return _build(readable, source.name, parquet, digest, population_table, built, database, settings, today)

    return build_and_publish(database, build, f"{source.name}: could not be read")


def scratch_path(built: Path) -> Path:
    """A temporary file beside a build (e.g. a CSV with normalised line endings), removed with it."""
    return built.with_name(built.name + ".csv")


def build_and_publish(database: Path, build, failure: str):
    """One build-and-publish under the publication lock, shared by every loader: clear the half-built
    files of killed loads, run ``build(path)`` into a new file, publish it atomically, and remove the
    build's leftovers whatever happens. ``build`` returns a result with ``version``; a DuckDB error
    becomes ``LoadError(f"{failure} (reason)")`` and the published database is untouched."""
    with publication_lock(database):
        remove_stale_builds(database)
        built = building_path(database)
        built.unlink(missing_ok=True)
        try:
            result = build(built)
            _publish(built, database, result.version)
            return result
        except DatabaseError as exc:
            raise LoadError(f"{failure} ({_one_line(exc)})") from None
        finally:
            for leftover in (built, Path(f"{built}.wal"), scratch_path(built)):
                leftover.unlink(missing_ok=True)


def _build(
    source: Path,
    source_name: str,
    parquet: bool,
    digest: str,
    population: pd.DataFrame,
    built: Path,
    database: Path,
    settings: Settings,
    today: date,
) -> LoadResult:
    builder = PublicationBuilder(built)
    try:
        builder.write_population(population[list(schema.POPULATION_COLUMNS)], area_names(population))
        builder.carry_over_searches(current_publication(database))  # keep loaded stop-and-search data
        malformed = _stage(builder, source, source_name, parquet)
        builder.add_missing_columns()
        _pseudonymise_raw_identifiers(builder, source_name, settings)
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


def _stage(builder: PublicationBuilder, source: Path, source_name: str, parquet: bool) -> int:
    if parquet:
        columns = builder.parquet_columns(source)
        rename = check_columns(source_name, columns)
        builder.stage_parquet(source, rename)
        if builder.staged_rows() == 0:
            raise LoadError(f"{source_name}: has no data rows")
        return 0
    header = _read_header(source, source_name)
    rename = check_columns(source_name, header)
    malformed = builder.stage_csv(source, header, rename)
    _check_quoting(source, source_name, builder.staged_rows() + malformed, malformed)
    return malformed


def _check_quoting(source: Path, source_name: str, parsed: int, malformed: int) -> None:
    """Refuse a CSV whose quotes do not pair up when DuckDB's count of its rows disagrees with the CSV rules.

    Around a quote that never closes, DuckDB's reader (``ignore_errors``) can drop the lines that follow
    without reporting them, or both keep and reject a line with a stray quote: then ``loaded + rejected +
    excluded = read`` would hold for the wrong ``read``. The count by Python's ``csv`` module (one more
    pass) is made only when the quotes are unbalanced, or lines were malformed in a file that has quotes.
    """
    quotes = 0
    with source.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            quotes += chunk.count(QUOTE)
    if quotes % 2 == 0 and not (malformed and quotes):
        return
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        with source.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)  # the header
            expected = sum(1 for record in reader if record)
    except csv.Error as exc:
        raise LoadError(f"{source_name}: cannot be read as CSV ({_one_line(exc)})") from None
    finally:
        csv.field_size_limit(limit)
    if expected != parsed:
        raise LoadError(
            f"{source_name}: its quotes do not pair up (a quoted field never closes, or a stray quote), so its "
            f"rows cannot be counted reliably ({expected:,} by the CSV rules, {parsed:,} read); "
            "fix the quoting and load again"
        )


def _pseudonymise_raw_identifiers(builder: PublicationBuilder, source_name: str, settings: Settings) -> None:
    staged = builder.staged_columns()
    present = [c for c in schema.RAW_IDENTIFIER_COLUMNS if c in staged]
    if not present:
        return
    try:
        key = settings.pseudonymisation_key()
    except ConfigError as exc:
        raise LoadError(f"{source_name}: {exc}") from None
    if key is None:
        raise LoadError(
            f"{source_name}: has raw identifiers ({', '.join(present)}) but no pseudonymisation key is "
            "configured (set MONITOR_PSEUDONYMISATION_KEY_FILE)"
        )
    for column in present:
        values = builder.distinct_values(column)
        mapping = pd.DataFrame({"raw": values, "hashed": pseudonymise(values, key)})
        builder.replace_identifiers(column, mapping)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
