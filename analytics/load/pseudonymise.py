"""Pseudonymisation: raw identifiers in an extract become keyed hashes before anything is stored."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from analytics import schema
from analytics.config import ConfigError, Settings
from analytics.load.read import LoadError
from analytics.store import PublicationBuilder


def pseudonymise(values: list[str], key: bytes) -> list[str]:
    """Keyed hash (HMAC-SHA256, RFC 2104), first 32 hex digits: stable for one key, unlinkable without it."""
    return [hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:32] for v in values]



def pseudonymise_raw_identifiers(builder: PublicationBuilder, source_name: str, settings: Settings) -> None:
    """Replace each staged raw identifier column (``person_ref``, ``crime_ref``) by its keyed hash."""
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

