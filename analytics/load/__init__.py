"""Read an extract, validate it, pseudonymise it, and publish a new database atomically.

``load_extract`` is the entry point (``analytics.load.extract``); the steps live in ``read``,
``population``, ``pseudonymise`` and ``publish``. File-level problems raise ``LoadError`` with one line
naming the file and the problem: nothing is loaded and the published database is untouched. Row-level
problems send the row to ``rejected_rows`` with its reason; rows aged 18 or over are excluded and
counted. ``loaded + rejected + excluded = read`` is checked before publishing.

The names are imported on first use (PEP 562, ``analytics.lazy``), so a process that needs one step does
not pay for the others: the isolated reader's child (``python -m analytics.load.isolated``) never imports
pandas, which ``extract`` and ``population`` need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analytics import lazy

if TYPE_CHECKING:
    from analytics.load.extract import LoadResult, load_extract
    from analytics.load.population import area_names, current_population, read_population
    from analytics.load.pseudonymise import (
        hmac_pads,
        identifier_pads,
        normalise_identifier,
        raw_identifier_columns,
    )
    from analytics.load.publish import (
        KEEP_PREVIOUS_VERSIONS,
        build_and_publish,
        building_path,
        publication_lock,
        remove_stale_builds,
        scratch_path,
        versions_dir,
    )
    from analytics.load.read import (
        CHUNK,
        LoadError,
        TextCheck,
        check_columns,
        check_quoting,
        check_readable,
        file_digest,
        fingerprint_and_check_text,
        is_parquet,
        normalise_column_name,
        normalise_line_endings,
        read_header,
        stage_extract,
    )

#: The module defining each public name, imported on first use (``analytics.lazy``).
_DEFINED_IN = lazy.by_name({
    "extract": ("LoadResult", "load_extract",),
    "population": ("area_names", "current_population", "read_population",),
    "pseudonymise": ("hmac_pads", "identifier_pads", "normalise_identifier", "raw_identifier_columns",),
    "publish": (
        "KEEP_PREVIOUS_VERSIONS", "build_and_publish", "building_path", "publication_lock",
        "remove_stale_builds", "scratch_path", "versions_dir",
    ),
    "read": (
        "CHUNK", "LoadError", "TextCheck", "check_columns", "check_quoting", "check_readable", "file_digest",
        "fingerprint_and_check_text", "is_parquet", "normalise_column_name", "normalise_line_endings",
        "read_header", "stage_extract",
    ),
})
__all__ = [
    "CHUNK",
    "KEEP_PREVIOUS_VERSIONS",
    "LoadError",
    "LoadResult",
    "TextCheck",
    "area_names",
    "build_and_publish",
    "building_path",
    "check_columns",
    "check_quoting",
    "check_readable",
    "current_population",
    "file_digest",
    "fingerprint_and_check_text",
    "hmac_pads",
    "identifier_pads",
    "is_parquet",
    "load_extract",
    "normalise_column_name",
    "normalise_identifier",
    "normalise_line_endings",
    "publication_lock",
    "raw_identifier_columns",
    "read_header",
    "read_population",
    "remove_stale_builds",
    "scratch_path",
    "stage_extract",
    "versions_dir",
]
__getattr__, __dir__ = lazy.exports(__name__, _DEFINED_IN)
