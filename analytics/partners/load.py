"""``partners load`` and ``partners link``: publish partner data beside the crime records (issue 17).

The crime loader's guarantees hold: a file-level problem is ``LoadError`` with one line and nothing changes;
each bad row is rejected with its reason (``contract``) and stored in ``partner_rejected_rows``;
``loaded + rejected = read`` is checked; the new publication is a copy of the current one with the partner
rows added, published with the same atomic symlink swap (``analytics.load.build_and_publish``).

Indicators: a (source, measure, period) already loaded is replaced by the new file's rows for it, so the
same file loaded twice is held once. Flags: an extract is a complete snapshot and replaces the flags held.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from analytics.config import ConfigError, Settings, load_settings
from analytics.load import LoadError, build_and_publish, versions_dir
from analytics.partners.contract import (
    INDICATOR_COLUMNS,
    Checked,
    validate_flags,
    validate_indicators,
)
from analytics.partners.isolated import read_flags
from analytics.partners.read import PartnerFile, hash_person_refs, read_partner_csv
from analytics.store import PartnerBuilder, current_publication


@dataclass
class PartnerLoadResult:
    kind: str
    version: str
    database: Path
    source_file: str
    rows_read: int
    checked: Checked = field(repr=False)
    replaced: int
    held: int

    @property
    def loaded(self) -> int:
        return len(self.checked.loaded)

    @property
    def rejected(self) -> int:
        return len(self.checked.rejected)

    def reconciles(self) -> bool:
        return self.loaded + self.rejected == self.rows_read

    def report(self) -> str:
        what = "indicator rows" if self.kind == "indicators" else "flag rows"
        lines = [f"Published data version {self.version} to {self.database}",
                 f"{self.source_file}: rows read {self.rows_read:,} = loaded {self.loaded:,} + rejected "
                 f"{self.rejected:,} ({what})"]
        if self.kind == "indicators" and self.loaded:
            suppressed = int(self.checked.loaded["suppressed"].sum())
            lines.append(f"  suppressed at source (kept as suppressed, not zero): {suppressed:,}")
        for reason, count in self.checked.reasons.items():
            lines.append(f"  rejected: {reason}: {count:,}")
        if self.replaced:
            lines.append(f"  replaced {self.replaced:,} row(s) loaded before")
        lines.append(f"Partner {what} now in the database: {self.held:,}")
        return "\n".join(lines)


def _settings(settings: Settings | None) -> Settings:
    try:
        return settings or load_settings()
    except ConfigError as exc:
        raise LoadError(str(exc)) from None


def _previous(database: Path, name: str) -> Path:
    previous = current_publication(database)
    if previous is None:
        raise LoadError(f"{name}: no database is published at {database} yet; load the crime extract first "
                        "(python -m analytics load FILE --population FILE)")
    return previous


def _version(database: Path, digest: str) -> str:
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest[:8]}"
    version, suffix = stamp, 1
    while (versions_dir(database) / f"{version}.duckdb").exists():
        suffix += 1
        version = f"{stamp}-{suffix}"
    return version


def load_indicators(source: str | os.PathLike, database: str | os.PathLike | None = None,
                    settings: Settings | None = None) -> PartnerLoadResult:
    """Validate an aggregate indicator file (the contract in ``partners.contract``) and publish it."""
    settings = _settings(settings)
    database = Path(database) if database else settings.database
    parsed = read_partner_csv(Path(source), INDICATOR_COLUMNS)
    _previous(database, parsed.path.name)
    return build_and_publish(database, lambda built: _build_indicators(parsed, database, built),
                             f"{parsed.path.name}: could not be loaded")


def _build_indicators(parsed: PartnerFile, database: Path, built: Path) -> PartnerLoadResult:
    name = parsed.path.name
    builder = PartnerBuilder(built)
    try:
        builder.copy_publication(_previous(database, name))
        builder.create_partner_tables()
        checked = validate_indicators(parsed.rows, builder.area_codes())
        if checked.loaded.empty:
            raise LoadError(f"{name}: no row passed validation ({len(checked.rejected):,} rejected); "
                            "nothing was published")
        if len(checked.loaded) + len(checked.rejected) != len(parsed.rows):
            raise LoadError(f"{name}: counts do not reconcile; nothing was published")
        replaced = builder.replace_indicators(checked.loaded.assign(source_file=name))
        version = _version(database, parsed.digest)
        builder.record_load(name, "indicators", checked.rejected, _load_row(parsed, checked, replaced))
        builder.set_version(version)
        held = builder.indicator_count()
        builder.finish()
    finally:
        builder.close()
    return PartnerLoadResult("indicators", version, database, name, len(parsed.rows), checked, replaced, held)


def link_flags(source: str | os.PathLike, database: str | os.PathLike | None = None,
               settings: Settings | None = None, today: date | None = None) -> PartnerLoadResult:
    """Validate a person-level flags extract, hash ``person_ref`` with the shared key as the crime loader
    does, and publish it (it replaces the flags held)."""
    settings = _settings(settings)
    database = Path(database) if database else settings.database
    parsed = read_flags(Path(source), settings)
    _previous(database, parsed.path.name)
    rows = hash_person_refs(parsed, settings)  # in this process only when no key is configured: raw refs refused
    checked = validate_flags(rows, today or date.today())
    if checked.loaded.empty:
        raise LoadError(f"{parsed.path.name}: no row passed validation ({len(checked.rejected):,} rejected); "
                        "nothing was published")
    return build_and_publish(database, lambda built: _build_flags(parsed, checked, database, built),
                             f"{parsed.path.name}: could not be loaded")


def _build_flags(parsed: PartnerFile, checked: Checked, database: Path, built: Path) -> PartnerLoadResult:
    name = parsed.path.name
    builder = PartnerBuilder(built)
    try:
        builder.copy_publication(_previous(database, name))
        builder.create_partner_tables()
        if len(checked.loaded) + len(checked.rejected) != len(parsed.rows):
            raise LoadError(f"{name}: counts do not reconcile; nothing was published")
        replaced = builder.replace_flags(checked.loaded.assign(source_file=name))
        version = _version(database, parsed.digest)
        builder.record_load(name, "flags", checked.rejected, _load_row(parsed, checked, replaced))
        builder.set_version(version)
        builder.finish()
    finally:
        builder.close()
    return PartnerLoadResult("flags", version, database, name, len(parsed.rows), checked, replaced,
                             len(checked.loaded))


def _load_row(parsed: PartnerFile, checked: Checked, replaced: int) -> dict:
    return {"source_sha256": parsed.digest, "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows_read": len(parsed.rows), "loaded": len(checked.loaded), "rejected": len(checked.rejected),
            "replaced": replaced}

