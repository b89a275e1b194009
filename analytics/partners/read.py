"""Reading a partner CSV with the crime loader's file-level checks (``analytics.load``).

Unreadable, empty, not UTF-8, UTF-16, NUL bytes, no data rows, a duplicated column, a column of direct
identifiers, a missing required column or quotes that do not pair up: ``LoadError`` with one line naming the
file and the problem, and nothing is loaded. A line with the wrong number of fields is a row-level rejection.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from analytics import schema
from analytics.config import ConfigError, Settings
from analytics.load import (
    LoadError,
    check_readable,
    fingerprint_and_check_text,
    normalise_column_name,
    normalise_identifier,
    read_header,
)
from analytics.load.pseudonymise import pseudonymise

Row = tuple[int, dict[str, str] | None, str]


@dataclass(frozen=True)
class PartnerFile:
    path: Path
    digest: str
    columns: list[str]
    rows: list[Row]


def read_partner_csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = (),
                     alternatives: dict[str, str] | None = None) -> PartnerFile:
    """The file's rows as ``(line number, {contract column: text} or None if malformed, raw line)``.

    ``alternatives``: a column that may stand in for a required one (``person_ref`` for ``person_id``)."""
    path = Path(path)
    check_readable(path)
    digest = fingerprint_and_check_text(path).digest
    header = read_header(path, path.name)
    names = [normalise_column_name(h) for h in header]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LoadError(f"{path.name}: the column {duplicated[0]!r} appears more than once")
    identifiers = sorted(set(names) & schema.DIRECT_IDENTIFIER_COLUMNS)
    if identifiers:
        raise LoadError(f"{path.name}: contains direct identifiers ({', '.join(identifiers)}); "
                        "remove them before loading")
    alternatives = alternatives or {}
    for alternative, standing_for in alternatives.items():
        if alternative in names and standing_for in names:
            raise LoadError(f"{path.name}: has both {alternative} and {standing_for}; keep only one")
    available = set(names) | {alternatives[n] for n in names if n in alternatives}
    missing = [c for c in required if c not in available]
    if missing:
        raise LoadError(f"{path.name}: missing required column(s): {', '.join(missing)}")
    rows: list[Row] = []
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            next(reader)
            for record in reader:
                if not record or not any(v.strip() for v in record):
                    continue
                raw = ",".join(record)
                line = reader.line_num
                fields = dict(zip(names, record, strict=True)) if len(record) == len(names) else None
                rows.append((line, fields, raw))
    except csv.Error as exc:
        raise LoadError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]}); "
                        "fix the quoting and load again") from None
    if not rows:
        raise LoadError(f"{path.name}: has a header but no data rows")
    return PartnerFile(path, digest, [n for n in names if n in (*required, *optional, *alternatives)], rows)


def hash_person_refs(parsed: PartnerFile, settings: Settings) -> list[Row]:
    """The rows with ``person_ref`` replaced by its keyed hash in ``person_id`` (the raw value is dropped)."""
    if not any(fields is not None and "person_ref" in fields for _, fields, _ in parsed.rows):
        return list(parsed.rows)
    try:
        key = settings.pseudonymisation_key()
    except ConfigError as exc:
        raise LoadError(f"{parsed.path.name}: {exc}") from None
    if key is None:
        raise LoadError(f"{parsed.path.name}: has raw identifiers (person_ref) but no pseudonymisation key is "
                        "configured (set MONITOR_PSEUDONYMISATION_KEY_FILE)")
    out = []
    for line, fields, raw in parsed.rows:
        if fields is not None:
            fields = dict(fields)
            ref = normalise_identifier(fields.pop("person_ref", ""))  # as the crime loader: trimmed, blank = none
            fields["person_id"] = pseudonymise([ref], key)[0] if ref else ""
            raw = "(person_ref withheld)"  # a rejected row never stores the raw identifier
        out.append((line, fields, raw if fields is not None else "(malformed line withheld)"))
    return out
