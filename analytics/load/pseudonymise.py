"""Pseudonymisation: raw identifiers in an extract become keyed hashes before anything is stored.

The hash is HMAC-SHA256 (RFC 2104), first 32 hex digits, of the identifier trimmed of surrounding white
space (``IDENTIFIER_WHITESPACE``); a blank identifier is missing, never a person. DuckDB computes it while it
reads the extract, in a separate process that writes no file (``analytics.load.isolated``), so the raw
values never reach the process that writes the database file, its WAL or its spill files. ``pseudonymise`` is
the same function in Python (tests check the two agree).
"""

from __future__ import annotations

import hashlib
import hmac

from analytics import schema
from analytics.config import ConfigError, Settings
from analytics.load.read import LoadError
from analytics.store import IDENTIFIER_WHITESPACE

_BLOCK = 64  # SHA-256's block size in bytes (RFC 2104's B)


def normalise_identifier(value: str) -> str | None:
    """A raw identifier as it is hashed: trimmed; blank is missing (None)."""
    trimmed = value.strip(IDENTIFIER_WHITESPACE)
    return trimmed or None


def pseudonymise(values: list[str], key: bytes) -> list[str]:
    """Keyed hash (HMAC-SHA256, RFC 2104), first 32 hex digits: stable for one key, unlinkable without it."""
    return [hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:32] for v in values]


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """RFC 2104's inner and outer padded keys: HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m))."""
    padded = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def identifier_pads(source_name: str, settings: Settings, present: list[str]) -> tuple[bytes, bytes]:
    """The HMAC pads for an extract with the raw identifier columns ``present``; ``LoadError`` when no usable
    key is configured."""
    try:
        key = settings.pseudonymisation_key()
    except ConfigError as exc:
        raise LoadError(f"{source_name}: {exc}") from None
    if key is None:
        raise no_key_error(source_name, present)
    return hmac_pads(key)


def no_key_error(source_name: str, present: list[str]) -> LoadError:
    """The refusal of an extract with the raw identifier columns ``present`` when no key is configured."""
    return LoadError(f"{source_name}: has raw identifiers ({', '.join(present)}) but no pseudonymisation key is "
                     "configured (set MONITOR_PSEUDONYMISATION_KEY_FILE)")


def raw_identifier_columns(names: list[str]) -> list[str]:
    """The raw identifier columns (``person_ref``, ``crime_ref``) among contract column names."""
    return [c for c in schema.RAW_IDENTIFIER_COLUMNS if c in names]
