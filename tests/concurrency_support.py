"""Helpers for the interrupted- and concurrent-work tests (issue 6, part 2).

* Two signed extracts, A (1,000 records, all in Norwich, 1,000 children per population cell) and B
  (2,000 records, all in Breckland, 3,000 per cell), so any answer can be traced to exactly one of them and
  a mixture of the two is visible.
* ``signature``: what one publication holds, read in one ``Store.queries`` call (one cursor).
* Loads in child processes forked from a warm ``forkserver`` (the analytics modules imported once), so a
  test can SIGKILL many loads in seconds; optionally instrumented to announce each step of the publish
  (``_publish``: fsync, move into the versions folder, make the link, swap it, prune) and pause there,
  so a kill can land inside the swap window deliberately rather than by luck.
* Open file descriptors of this process that point at deleted files (the retention check).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from tests.extracts import row, write_extract, write_population
from tests.guards import STEP_GUARD_S

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 30)
NORWICH, BRECKLAND = "E07000148", "E07000143"
SEARCHES_FOLDER = ROOT / "sample_data" / "police_uk_stop_search"


# --------------------------------------------------------------------------------------------
# Two extracts that cannot be confused
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Extract:
    name: str
    extract: Path
    population: Path
    sha256: str
    records: int
    area: str
    age_sum: int
    population_total: int
    white_population: int

    @property
    def digest8(self) -> str:
        return self.sha256[:8]

    def expected(self) -> dict:
        return {"extract": self.name, "records": self.records, "areas": 1, "area": self.area,
                "age_sum": self.age_sum, "population": self.population_total}


def _write_signed(folder: Path, name: str, records: int, area: str, age: int, per_cell: int) -> Extract:
    rows = [row(record_id=f"{name}{i}", person_id=f"P{name}{i}", crime_id=f"C{name}{i}", area_code=area, age=str(age))
            for i in range(records)]
    extract = write_extract(folder / f"extract_{name}.csv", rows)
    population = write_population(folder / f"population_{name}.csv", per_cell=per_cell)
    cells = sum(1 for _ in population.open(encoding="utf-8")) - 1
    return Extract(name, extract, population, hashlib.sha256(extract.read_bytes()).hexdigest(), records, area,
                   records * age, cells * per_cell, cells // 5 * per_cell)


def write_signed_extracts(folder: Path) -> tuple[Extract, Extract]:
    folder.mkdir(parents=True, exist_ok=True)
    return (_write_signed(folder, "A", 1_000, NORWICH, 15, 1_000),
            _write_signed(folder, "B", 2_000, BRECKLAND, 14, 3_000))


SIGNATURE_STATEMENTS: list[tuple[str, dict[str, Any]]] = [
    ("SELECT version, source_sha256, loaded FROM publication", {}),
    ("SELECT COUNT(*) AS n, COUNT(DISTINCT area_code) AS areas, MIN(area_code) AS area, SUM(age) AS age_sum "
     "FROM records", {}),
    ("SELECT SUM(population) AS population FROM population", {}),
    ("SELECT COUNT(*) AS n FROM duckdb_tables() WHERE table_name = 'searches'", {}),
]


def signature(store) -> dict:
    """The publication's version and content, read through one ``Store._queries`` batch (one cursor)."""
    # the Store's own one-cursor batch is what these tests exercise, so they call it directly
    publication, records, population, has_searches = store._queries(SIGNATURE_STATEMENTS)  # noqa: SLF001
    searches = 0
    if int(has_searches["n"].iloc[0]):
        searches = int(store._query("SELECT COUNT(*) AS n FROM searches")["n"].iloc[0])  # noqa: SLF001
    return signature_of(publication, records, population, searches)


def signature_of(publication: pd.DataFrame, records: pd.DataFrame, population: pd.DataFrame,
                 searches: int = 0) -> dict[str, Any]:
    """A signature from the answers to the first three ``SIGNATURE_STATEMENTS`` (and the searches count)."""
    return {
        "version": str(publication["version"].iloc[0]),
        "sha256": str(publication["source_sha256"].iloc[0]),
        "loaded": int(publication["loaded"].iloc[0]),
        "records": int(records["n"].iloc[0]),
        "areas": int(records["areas"].iloc[0]),
        "area": records["area"].iloc[0],
        "age_sum": int(records["age_sum"].iloc[0]),
        "population": int(population["population"].iloc[0]),
        "searches": searches,
    }


def classify(sig: dict, extracts: tuple[Extract, ...], version_names_extract: bool = True) -> str | None:
    """Which extract a signature is, whole; None when it is not exactly one of them (a mixture).

    ``version_names_extract``: the data version ends with the extract's digest (a records load; a searches
    load gives the publication a version of its own)."""
    for extract in extracts:
        whole = (
            sig["sha256"] == extract.sha256
            and (not version_names_extract or sig["version"].split("-")[1] == extract.digest8)
            and sig["loaded"] == sig["records"] == extract.records and sig["areas"] == 1
            and sig["area"] == extract.area and sig["age_sum"] == extract.age_sum
            and sig["population"] == extract.population_total
        )
        if whole:
            return extract.name
    return None


# --------------------------------------------------------------------------------------------
# Loads in forked children (warm imports), optionally announcing each publish step
# --------------------------------------------------------------------------------------------
_CONTEXT = None


def context():
    """A ``forkserver`` context whose server has imported the loaders once (children start in ~50 ms)."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["analytics.load", "analytics.searches", "tests.concurrency_support"])
    return _CONTEXT


#: Publish steps in order, as announced by an instrumented child: (function, occurrence, before/after).
#: fsync#1 is the built file, replace#1 moves it into the versions folder, symlink#1 makes the new link,
#: replace#2 swaps the link over the database path (the commit point), fsync#2 the directory, then prune.
PUBLISH_STEPS = [
    "before fsync#1", "after fsync#1",
    "before replace#1", "after replace#1",
    "before symlink#1", "after symlink#1",
    "before replace#2", "after replace#2",
    "before fsync#2", "after fsync#2",
]
COMMIT_STEP = "after replace#2"


def _instrument(pipe, pause: float) -> None:
    """Wrap ``os.fsync``/``os.replace``/``os.symlink`` (used by the loaders only inside ``_publish``) so each
    call is announced on ``pipe`` before and after, with a pause for the parent to kill us there."""
    counts: dict[str, int] = {}

    def wrap(name):
        real = getattr(os, name)

        def announced(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            step = f"{name}#{counts[name]}"
            pipe.send(f"before {step}")
            time.sleep(pause)
            result = real(*args, **kwargs)
            pipe.send(f"after {step}")
            time.sleep(pause)
            return result

        setattr(os, name, announced)

    for name in ("fsync", "replace", "symlink"):
        wrap(name)


def _child(kind: str, source: str, database: str, population: str | None, pipe, pause: float | None) -> None:
    """Body of a forked load: ``kind`` is ``load`` (crime records) or ``searches`` (stop and search)."""
    if pause is not None:
        _instrument(pipe, pause)
    if kind == "load":
        from analytics.load import load_extract

        load_extract(source, database, population=population, today=TODAY)
    else:
        from analytics.searches import load_searches

        load_searches([source], database, today=TODAY)
    if pipe is not None:
        pipe.send("done")


def start_load(kind: str, source: Path, database: Path, population: Path | None = None, pause: float | None = None):
    """Start a forked load; returns (process, receiving end of its step pipe or None)."""
    ctx = context()
    receiver, sender = ctx.Pipe(duplex=False) if pause is not None else (None, None)
    process = ctx.Process(target=_child, args=(kind, str(source), str(database),
                                               None if population is None else str(population), sender, pause))
    process.start()
    if sender is not None:
        sender.close()
    return process, receiver


def wait_for_step(receiver, step: str, timeout: float = STEP_GUARD_S) -> list[str]:
    """Read announced steps until ``step``; returns those seen (fails if the child ends or stalls)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            break
        try:
            message = receiver.recv()
        except EOFError:
            break
        seen.append(message)
        if message == step:
            return seen
    raise AssertionError(f"the load never reached {step!r} (saw {seen})")


# --------------------------------------------------------------------------------------------
# Files this process holds open
# --------------------------------------------------------------------------------------------
def open_files(under: Path) -> list[str]:
    """Targets of this process's open descriptors below ``under`` (deleted ones end in ' (deleted)')."""
    found = []
    prefix = str(under.resolve())
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix):
            found.append(target)
    return found
