"""A person-level flags extract read and hashed in a separate process (``analytics.load.isolated`` says why).

When a pseudonymisation key is configured, ``read_flags`` has a child process read the file with the
partner checks and hash its ``person_ref`` column; only the hashed rows (the raw values withheld) come
back, as JSON on the child's standard output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

from analytics.config import Settings
from analytics.load.isolated import ChildReader, serve
from analytics.partners.contract import FLAG_COLUMNS, FLAG_OPTIONAL_COLUMNS
from analytics.partners.read import PartnerFile, hash_person_refs, read_partner_csv

#: the raw column that may stand in for ``person_id`` in a flags extract
ALTERNATIVES = {"person_ref": "person_id"}


def read_flags(source: Path, settings: Settings) -> PartnerFile:
    """The flags extract's rows, read in a child process when a key is configured (``person_ref`` hashed
    there), else in this one (a raw ``person_ref`` is then refused by ``hash_person_refs``)."""
    if not settings.key_configured():
        return read_partner_csv(source, FLAG_COLUMNS, FLAG_OPTIONAL_COLUMNS, ALTERNATIVES)
    request = {"source": str(source), "name": source.name,
               "key_file": str(settings.key_file) if settings.key_file else None}
    with ChildReader("analytics.partners.isolated", request, source.name) as child:
        payload = json.load(child.stdout)
    rows = [(int(line), fields, str(raw)) for line, fields, raw in payload["rows"]]
    return PartnerFile(source, str(child.summary["digest"]), list(payload["columns"]), rows)


def _read_and_hash(request: dict[str, Any], out: IO[bytes]) -> dict[str, Any]:
    """The child: read and hash the flags extract; the rows as JSON on ``out``, the digest as the summary."""
    settings = Settings(key_file=Path(request["key_file"]) if request["key_file"] else None)
    parsed = read_partner_csv(Path(request["source"]), FLAG_COLUMNS, FLAG_OPTIONAL_COLUMNS, ALTERNATIVES)
    rows = hash_person_refs(parsed, settings)
    out.write(json.dumps({"columns": parsed.columns, "rows": rows}).encode("utf-8"))
    return {"digest": parsed.digest}


if __name__ == "__main__":
    sys.exit(serve(sys.argv, _read_and_hash))
