"""Read an extract: file-level checks, the header against the data contract, staging into the new database.

File-level problems (unreadable, not UTF-8, UTF-16, NUL bytes, empty, a missing required column, a
column of direct identifiers, quotes that do not pair up) raise ``LoadError`` with one line naming the
file and the problem: nothing is loaded and the published database is untouched.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analytics import schema
from analytics.store.errors import one_line
from analytics.store.staging import Pads

if TYPE_CHECKING:  # the builder is handed in; importing it here would import pandas (analytics.lazy)
    from analytics.store.build import PublicationBuilder

CHUNK = 1 << 24  # 16 MiB
PARQUET_MAGIC = b"PAR1"
NUL = b"\x00"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
QUOTE = b'"'
#: The most columns an extract may have (the contract has about 20; others are ignored), and the longest header
#: line read: a header of 10^6 columns took DuckDB's reader 393 s and 7.7 GB, past the loader's memory cap.
MAX_COLUMNS = 1_000
MAX_HEADER_CHARACTERS = 1 << 20


class LoadError(Exception):
    """A file-level problem: nothing was loaded. ``str()`` is the one-line message."""


def normalise_column_name(name: str) -> str:
    """A header as a contract name: lower case, runs of other characters as one ``_`` (BOM dropped)."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


@dataclass(frozen=True)
class TextCheck:
    """What one pass over a CSV found: its SHA-256 and whether it mixes CRLF and LF line endings."""

    digest: str
    mixed_line_endings: bool


def fingerprint_and_check_text(path: Path) -> TextCheck:
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


def normalise_line_endings(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` with every CRLF turned into LF (for files that mix the two)."""
    with source.open("rb") as reader, target.open("wb") as writer:
        carry = b""
        while chunk := reader.read(CHUNK):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            writer.write(chunk[: len(chunk) - len(carry)].replace(b"\r\n", b"\n"))
        writer.write(carry)
    return target


def file_digest(path: Path) -> str:
    """The SHA-256 of a file (a Parquet extract; a CSV's comes from ``fingerprint_and_check_text``)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_header(path: Path, name: str) -> list[str]:
    """The CSV's header fields; refuses a file with no header, a header of more than ``MAX_COLUMNS`` fields (or
    ``MAX_HEADER_CHARACTERS``), checked before anything parses it, or no data row. Empty lines are not rows:
    they are skipped wherever they are (as DuckDB's reader and Python's ``csv`` skip them), so an empty line
    after the header is not the end of the data; a line of spaces is a row, rejected with its reason."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline(MAX_HEADER_CHARACTERS + 1)
        if not first.strip():
            raise LoadError(f"{name}: the file is empty (no header line)")
        if len(first) > MAX_HEADER_CHARACTERS and not first.endswith(("\n", "\r")):
            raise LoadError(f"{name}: the header line is longer than {MAX_HEADER_CHARACTERS:,} characters; "
                            f"an extract has at most {MAX_COLUMNS:,} columns")
        if first.count(",") + 1 > MAX_COLUMNS:  # an upper bound on the fields (commas inside quotes count too)
            fields = next(csv.reader(io.StringIO(first)))
            if len(fields) > MAX_COLUMNS:
                raise LoadError(f"{name}: the header has {len(fields):,} columns; an extract has at most "
                                f"{MAX_COLUMNS:,} (the contract's {len(schema.ALL_COLUMNS)} and any others)")
        if not any(line.strip("\r\n") for line in handle):
            raise LoadError(f"{name}: has a header but no data rows")
    return next(csv.reader(io.StringIO(first)))


def check_column_count(name: str, columns: list[str]) -> None:
    """Refuse more than ``MAX_COLUMNS`` columns (a Parquet file's, counted from its metadata)."""
    if len(columns) > MAX_COLUMNS:
        raise LoadError(f"{name}: has {len(columns):,} columns; an extract has at most {MAX_COLUMNS:,}")


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


def is_parquet(path: Path) -> bool:
    """Whether the file starts with the Parquet magic bytes."""
    with path.open("rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def check_readable(path: Path) -> None:
    """Refuse a path that is missing, not a file, unreadable or empty."""
    if not path.exists():
        raise LoadError(f"{path}: file not found")
    if not path.is_file():
        raise LoadError(f"{path}: is not a file")
    if not os.access(path, os.R_OK):
        raise LoadError(f"{path.name}: cannot be read (permission denied)")
    if path.stat().st_size == 0:
        raise LoadError(f"{path.name}: the file is empty")



def stage_extract(builder: PublicationBuilder, source: Path, source_name: str, parquet: bool,
                  pads_for: Callable[[list[str]], Pads | None]) -> int:
    """Stage the extract (its contract columns) as text in the new database; returns the malformed CSV lines.

    ``pads_for(contract_names)`` gives the HMAC pads that hash its raw identifier columns as they are read
    (None when it has none), or raises ``LoadError``."""
    if parquet:
        columns = builder.parquet_columns(source)
        check_column_count(source_name, columns)
        rename = check_columns(source_name, columns)
        builder.stage_parquet(source, rename, pads_for(list(rename.values())))
        if builder.staged_rows() == 0:
            raise LoadError(f"{source_name}: has no data rows")
        return 0
    header = read_header(source, source_name)
    rename = check_columns(source_name, header)
    malformed = builder.stage_csv(source, header, rename, pads_for(list(rename.values())))
    check_quoting(source, source_name, builder.staged_rows() + malformed, malformed)
    return malformed


def check_quoting(source: Path, source_name: str, parsed: int, malformed: int) -> None:
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
        raise LoadError(f"{source_name}: cannot be read as CSV ({one_line(exc)})") from None
    finally:
        csv.field_size_limit(limit)
    if expected != parsed:
        raise LoadError(
            f"{source_name}: its quotes do not pair up (a quoted field never closes, or a stray quote), so its "
            f"rows cannot be counted reliably ({expected:,} by the CSV rules, {parsed:,} read); "
            "fix the quoting and load again"
        )


