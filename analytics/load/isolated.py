"""Reading an extract that may carry raw identifiers in a separate process, so they never reach the
process that writes the publication.

DuckDB writes the unused slack of its memory blocks into its spill and database files as it finds it
(duckdb/duckdb#23382), and one process shares one heap: a raw ``person_ref`` hashed in the publishing
process can come back, as leftover bytes, in a file under the database folder (a 100,000-row load under a
40 MB cap showed it in a spill file). So whenever a pseudonymisation key is configured the extract is read
here instead: a child Python process checks the file, reads it in an in-memory DuckDB with no temporary
directory (``ExtractReader``: it cannot spill, and it writes no file), hashes the raw identifiers with the
key it reads itself, and streams only the staged rows (pseudonyms, never the raw values) to the parent as
an Arrow IPC stream on its standard output. Its last line on standard error is a JSON summary (the file's
SHA-256 and the malformed lines) or, with exit status 2, the one-line ``LoadError``.

A CSV that mixes CRLF and LF is normalised into a private temporary folder outside the database folder,
removed when the child ends.

Run as ``python -m analytics.load.isolated REQUEST`` by ``stage_isolated``; never by hand. ``ChildReader``
and ``serve`` are the two ends, shared with the partner flags' reader (``analytics.partners.isolated``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa

import analytics
from analytics.config import Settings
from analytics.load.pseudonymise import identifier_pads, raw_identifier_columns
from analytics.load.read import (
    LoadError,
    check_column_count,
    check_columns,
    check_quoting,
    file_digest,
    fingerprint_and_check_text,
    normalise_line_endings,
    read_header,
)
from analytics.store.errors import DatabaseError, one_line
from analytics.store.staging import BUILD_MEMORY_LIMIT, ExtractReader, staged_csv_select, staged_parquet_select

if TYPE_CHECKING:  # the builder lives in the parent; the child never imports it (nor pandas)
    from analytics.store.build import PublicationBuilder

#: The exit status of a child that refused the file (its last line on standard error says why).
REFUSED = 2
_PROJECT_ROOT = Path(analytics.__file__).resolve().parents[1]


@dataclass(frozen=True)
class IsolatedRead:
    """What the child found besides the rows: the file's SHA-256 and the malformed lines set aside."""

    digest: str
    malformed: int


# the parent -------------------------------------------------------------------------------------------------
class ChildReader:
    """``python -m MODULE REQUEST`` in a child process (this package importable, the key's environment
    variables inherited): read ``stdout`` inside the ``with``; on leaving it the child is waited for, and
    ``summary`` holds its JSON summary, or ``LoadError`` carries its refusal (raised in place of any error
    met reading its output, which the refusal explains); an error of this side's own stands otherwise."""

    def __init__(self, module: str, request: dict[str, Any], source_name: str):
        self._command = [sys.executable, "-m", module, json.dumps(request)]
        self._source_name = source_name
        self.summary: dict[str, Any] = {}

    def __enter__(self) -> ChildReader:
        self._messages = tempfile.TemporaryFile()
        self._child = subprocess.Popen(self._command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=self._messages, env=_child_environment())
        assert self._child.stdout is not None
        self.stdout: IO[bytes] = self._child.stdout
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        self.stdout.close()
        status = self._child.wait()
        with self._messages:
            self._messages.seek(0)
            last = (self._messages.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        if status == REFUSED and last:
            raise LoadError(last) from None
        if error is not None:  # this side failed first (the child then stopped as its reader went): that stands
            return
        if status != 0:
            raise LoadError(f"{self._source_name}: could not be read (the reading process failed with status "
                            f"{status})") from None
        self.summary = json.loads(last)


def stage_isolated(builder: PublicationBuilder, source: Path, source_name: str, parquet: bool,
                   settings: Settings) -> IsolatedRead:
    """Stage ``source`` into ``builder`` through the child process; ``LoadError`` with the child's message
    when it refuses the file."""
    request = {"source": str(source), "name": source_name, "parquet": parquet, "key_file": _key_file(settings)}
    with ChildReader("analytics.load.isolated", request, source_name) as child:
        try:
            builder.stage_rows(pa.ipc.open_stream(child.stdout))
        except pa.ArrowException as exc:  # the child stopped early; when it refused, its message replaces this
            raise DatabaseError(one_line(exc)) from None
    malformed = [(int(line), str(kind)) for line, kind in child.summary["malformed"]]
    builder.stage_malformed(malformed)
    return IsolatedRead(child.summary["digest"], len(malformed))


def _key_file(settings: Settings) -> str | None:
    return str(settings.key_file) if settings.key_file else None


def _child_environment() -> dict[str, str]:
    """The parent's environment (the key's variables included) with this package importable."""
    path = os.pathsep.join(p for p in (str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


# the child --------------------------------------------------------------------------------------------------
def read_extract(request: dict[str, Any], out: IO[bytes]) -> dict[str, Any]:
    """Check the extract, stage it (raw identifiers hashed) as an Arrow stream on ``out``; the summary."""
    source, name, parquet = Path(request["source"]), str(request["name"]), bool(request["parquet"])
    settings = Settings(key_file=Path(request["key_file"]) if request["key_file"] else None)

    def pads_for(names: list[str]) -> Any:
        present = raw_identifier_columns(names)
        return identifier_pads(name, settings, present) if present else None

    reader = ExtractReader(os.environ.get("MONITOR_LOAD_MEMORY_LIMIT") or BUILD_MEMORY_LIMIT)
    try:
        with tempfile.TemporaryDirectory(prefix="monitor-extract-") as scratch:
            if parquet:
                digest = file_digest(source)
                columns = reader.parquet_columns(source)
                check_column_count(name, columns)
                rename = check_columns(name, columns)
                statement = staged_parquet_select(source, reader.parquet_types(source), rename,
                                                  pads_for(list(rename.values())))
            else:
                text = fingerprint_and_check_text(source)
                digest = text.digest
                readable = normalise_line_endings(source, Path(scratch) / "extract.csv") \
                    if text.mixed_line_endings else source
                header = read_header(readable, name)
                rename = check_columns(name, header)
                statement = staged_csv_select(readable, header, rename, pads_for(list(rename.values())))
            rows = _write_stream(reader.stream(statement), out)
            if parquet:
                if rows == 0:
                    raise LoadError(f"{name}: has no data rows")
                malformed: list[tuple[int, str]] = []
            else:
                malformed = reader.malformed_lines()
                check_quoting(readable, name, rows + len(malformed), len(malformed))
    finally:
        reader.close()
    return {"digest": digest, "malformed": malformed}


def _write_stream(rows: pa.RecordBatchReader, out: IO[bytes]) -> int:
    """Copy ``rows`` to ``out`` as an Arrow IPC stream; the number of rows."""
    count = 0
    with pa.ipc.new_stream(out, rows.schema) as writer:
        for batch in rows:
            writer.write_batch(batch)
            count += batch.num_rows
    return count


@contextmanager
def _private_output() -> Iterator[IO[bytes]]:
    """Standard output kept for the data alone: anything else printed to it (DuckDB's progress bar on a long read,
    a library's message) goes to standard error instead of corrupting the stream."""
    sys.stdout.flush()
    data = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with data:
        yield data
        data.flush()


def serve(argv: list[str], work: Callable[[dict[str, Any], IO[bytes]], dict[str, Any]]) -> int:
    """The child's side of ``ChildReader``: ``work(request, stdout)``, then its summary (or refusal) as the
    last line on standard error; the exit status."""
    request = json.loads(argv[1])
    try:
        with _private_output() as out:
            summary = work(request, out)
    except BrokenPipeError:  # the parent has gone: nothing to report to
        return 1
    except LoadError as exc:
        print(str(exc), file=sys.stderr)
        return REFUSED
    except (DatabaseError, pa.ArrowException, OSError) as exc:
        print(f"{request['name']}: could not be read ({one_line(exc)})", file=sys.stderr)
        return REFUSED
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv, read_extract))
