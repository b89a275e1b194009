"""Interrupted and concurrent work (issue 6, part 2; DESIGN.md section 3, "Loading rules").

* Dashboard-like readers (threads sharing one ``Store``, as Streamlit's sessions share ``ui.cached.store()``)
  keep querying while loads publish extracts A and B in turn: no error, every answer whole from one
  publication, and the newest publication reached without a restart.
* Retention: a publication pruned while a reader still has it open stays readable to that reader.
* Two ``python -m analytics load`` processes started together are serialised by the publication lock.
* SIGKILL at every step of the publish (deliberately, inside the symlink-swap window) and at a fine sweep
  of moments through whole loads, for crime-record loads and ``searches load`` alike (the random kills of
  a large CLI load are in ``tests/test_load.py``).

Extract A is 1,000 records all in Norwich with 1,000 children per population cell; B is 2,000 records
all in Breckland with 3,000 per cell (``tests/concurrency_support.py``), so half of each shows at once.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

from analytics import disparity
from analytics.filters import Filters
from analytics.load import load_extract, publication_lock, versions_dir
from analytics.store import Store
from tests.concurrency_support import (
    COMMIT_STEP,
    PUBLISH_STEPS,
    ROOT,
    SEARCHES_FOLDER,
    SIGNATURE_STATEMENTS,
    TODAY,
    classify,
    open_files,
    signature,
    signature_of,
    start_load,
    wait_for_step,
    write_signed_extracts,
)
from tests.guards import HANG_GUARD_S

READERS = 6
LOADS = 12  # publications made while the readers run (B, A, B, ... after the first A)


@pytest.fixture()
def extracts(tmp_path):
    return write_signed_extracts(tmp_path / "extracts")


@pytest.fixture()
def database(tmp_path, extracts) -> Path:
    """A database whose current publication is extract A."""
    a, _ = extracts
    database = tmp_path / "db" / "monitor.duckdb"
    load_extract(a.extract, database, population=a.population, today=TODAY)
    return database


def _published(database: Path, extracts, version_names_extract: bool = True) -> tuple[str | None, dict]:
    store = Store(database)
    try:
        sig = signature(store)
    finally:
        store.close()
    return classify(sig, extracts, version_names_extract), sig


# ---------------------------------------------------------------------------------------------
# Readers while loads publish
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_readers_sharing_one_store_see_whole_publications_while_loads_publish(database, extracts):
    a, b = extracts
    store = Store(database)  # one store shared by every thread, like ui.cached.store()
    rates_expected = {(a.records, a.white_population): "A", (b.records, b.white_population): "B"}
    errors: list[str] = []
    mixtures: list[str] = []
    counts = [0] * READERS
    seen: list[set[str]] = [set() for _ in range(READERS)]
    loads_done = threading.Event()
    final: dict = {}

    def reader(index: int) -> None:
        deadline = None  # a hang guard (tests/guards.py): after the loads, read until the newest is seen
        while True:
            try:
                if index % 2 == 0:
                    # several statements on one cursor: version, records and population must agree
                    publication, records, population = store._queries(SIGNATURE_STATEMENTS[:3])  # noqa: SLF001
                    sig = signature_of(publication, records, population)
                    if classify(sig, extracts) is None:
                        mixtures.append(f"queries(): {sig}")
                    version = sig["version"]
                else:
                    # the real analytics (several queries): events and denominators from one publication
                    with store.snapshot():
                        version = store.data_version()
                        table = disparity.population_rates(store, Filters()).table
                    white = table[table["group"] == "White"].iloc[0]
                    which = rates_expected.get((int(white["events"]), int(white["denominator"])))
                    if which is None or version.split("-")[1] != extracts[which == "B"].digest8:  # as classify()
                        mixtures.append(f"population_rates: version {version}, White {white['events']} / "
                                        f"{white['denominator']}")
                counts[index] += 1
                seen[index].add(version)
            except Exception:  # noqa: BLE001 - every error is a failure, collected for the report
                errors.append(traceback.format_exc())
                return
            if loads_done.is_set():
                deadline = deadline or time.monotonic() + HANG_GUARD_S
                if final["version"] in seen[index] and version == final["version"]:
                    return
                if time.monotonic() > deadline:
                    return

    def loader() -> None:
        try:
            for number in range(LOADS):
                extract = b if number % 2 == 0 else a
                final["version"] = load_extract(extract.extract, database, population=extract.population,
                                                today=TODAY).version
        except Exception:  # noqa: BLE001
            errors.append("loader: " + traceback.format_exc())
        finally:
            loads_done.set()

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(READERS)]
    threads.append(threading.Thread(target=loader, daemon=True))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANG_GUARD_S)
    elapsed = time.monotonic() - started
    store.close()

    assert not any(t.is_alive() for t in threads), "a reader or the loader hung"
    assert errors == [], f"{len(errors)} error(s); the first:\n{errors[0]}"
    assert mixtures == [], f"{len(mixtures)} answer(s) mixed two publications, e.g. {mixtures[:3]}"
    assert all(final["version"] in versions for versions in seen), "a reader never reached the newest publication"
    assert all(len(versions) >= 2 for versions in seen)  # each reader lived through at least one publication
    print(f"\n{READERS} reader threads x {sum(counts)} reads ({counts}) in {elapsed:.1f} s while {LOADS} loads "
          f"published; publications seen per reader {[len(s) for s in seen]}; errors 0; mixtures 0")


def test_a_pruned_publication_stays_readable_to_a_reader_that_has_it_open(database, extracts):
    """Only two previous publications are kept; deleting an older file must not break a reader still using
    it (on Linux the unlinked file stays readable until closed), and nothing stays open once it closes."""
    a, b = extracts
    store = Store(database)
    first = database.resolve()
    held = store._cursor()  # noqa: SLF001 - a reader in the middle of a queries() batch on publication 1
    for extract in (b, a, b):
        load_extract(extract.extract, database, population=extract.population, today=TODAY)
    assert not first.exists(), "retention should have removed the oldest publication by now"
    assert f"{first} (deleted)" in open_files(database.parent)
    # another thread's query reconnects the shared store to the newest publication ...
    assert classify(signature(store), extracts) == "B"
    # ... and the reader still finishes its batch on publication 1, whole
    publication, records, population = (held.execute(sql, params).df() for sql, params in SIGNATURE_STATEMENTS[:3])
    assert classify(signature_of(publication, records, population), extracts) == "A"
    held.close()
    gc.collect()
    assert not [f for f in open_files(database.parent) if f.startswith(str(first))], "publication 1 leaked"
    store.close()
    gc.collect()
    assert [f for f in open_files(database.parent) if f.endswith("(deleted)")] == []


# ---------------------------------------------------------------------------------------------
# Concurrent loads
# ---------------------------------------------------------------------------------------------
def _lock_waiters(lock_file: Path) -> int:
    """How many processes are blocked waiting for the flock on ``lock_file`` (from /proc/locks)."""
    inode = lock_file.stat().st_ino
    text = Path("/proc/locks").read_text()
    # e.g. "2: -> FLOCK  ADVISORY  WRITE 4242 00:2d:1234 0 EOF" (a waiter; the holder has no "->")
    return sum(1 for line in text.splitlines()
               if "->" in line and any(field.count(":") == 2 and field.rsplit(":", 1)[1] == str(inode)
                                       for field in line.split()))


def _cli_load(extract, database: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analytics", "load", str(extract.extract), "--db", str(database),
         "--population", str(extract.population)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_two_loads_started_together_are_serialised_by_the_publication_lock(database, extracts):
    a, b = extracts
    before = database.resolve()
    with publication_lock(database):  # hold the lock: both loads must queue behind it
        processes = [_cli_load(b, database), _cli_load(a, database)]
        deadline = time.monotonic() + HANG_GUARD_S
        while _lock_waiters(versions_dir(database) / ".lock") < 2:
            assert time.monotonic() < deadline, "the loads never reached the publication lock"
            assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
            time.sleep(0.1)
        assert database.resolve() == before  # nothing published while the lock is held
    outputs = [p.communicate(timeout=HANG_GUARD_S) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    which, sig = _published(database, extracts)
    assert which in {"A", "B"}, sig
    published = sorted(p.name for p in versions_dir(database).glob("*.duckdb"))
    assert len(published) == 3  # the first publication and both loads (two previous are kept)
    assert list(versions_dir(database).glob("building-*")) == []
    # both really published, one after the other: each one's version file holds that extract, whole
    for path in versions_dir(database).glob("*.duckdb"):
        if path == before:
            continue
        copy = Store(path)
        assert classify(signature(copy), extracts) is not None
        copy.close()


# ---------------------------------------------------------------------------------------------
# Killed loads
# ---------------------------------------------------------------------------------------------
def _check_after_kill(database, extracts, old: dict, label: str, expect: str | None, searches: bool) -> str:
    """The database is one whole publication, the old one or the new one; returns which."""
    which, now = _published(database, extracts, version_names_extract=not searches)
    assert which is not None, f"{label}: not one whole publication: {now}"
    records_side = {k: v for k, v in now.items() if k not in ("version", "searches")}
    if now["version"] == old["version"]:
        assert now == old, f"{label}: same version, different content: {old} -> {now}"
        outcome = "old"
    else:
        outcome = "new"
        if searches:
            assert records_side == {k: v for k, v in old.items() if k not in ("version", "searches")}, label
            assert now["searches"] > 0, label
    if expect is not None:
        assert outcome == expect, f"{label}: expected the {expect} publication, found the {outcome} one"
    return outcome


def _leftovers(database: Path) -> dict:
    return {
        "building": sorted(p.name for p in versions_dir(database).glob("building-*")),
        "links": sorted(p.name for p in database.parent.glob(f".{database.name}.link-*")),
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["load", "searches"])
def test_a_load_killed_at_each_step_of_the_publish_leaves_a_whole_publication(database, extracts, kind):
    """Kill the load deliberately before and after each file operation of the publish (the move into the
    versions folder, the new link, the swap of the link over the database path, the directory fsync): up to
    the swap the old publication is intact, from it the new one is whole, never anything between."""
    a, b = extracts
    kills = 0
    for number, step in enumerate(PUBLISH_STEPS):
        source = b if number % 2 == 0 else a  # for crime-record loads
        _, old = _published(database, extracts, version_names_extract=False)
        if kind == "load":
            process, steps = start_load("load", source.extract, database, source.population, pause=0.25)
        else:
            process, steps = start_load("searches", SEARCHES_FOLDER, database, pause=0.25)
        wait_for_step(steps, step)
        process.kill()
        process.join(10)
        kills += 1
        expect: str | None = "new" if PUBLISH_STEPS.index(step) >= PUBLISH_STEPS.index(COMMIT_STEP) else "old"
        if kind == "load" and expect == "new" and source.sha256 == old["sha256"]:
            expect = None
        _check_after_kill(database, extracts, old, f"{kind} killed {step}", expect, searches=kind == "searches")
    litter = _leftovers(database)
    # the next load cleans up after the killed ones and publishes normally
    load_extract(a.extract, database, population=a.population, today=TODAY)
    assert _published(database, extracts)[0] == "A"
    assert _leftovers(database) == {"building": [], "links": []}
    print(f"\n{kind}: {kills} kills at publish steps, each left one whole publication; litter before the next "
          f"load {litter}, after {_leftovers(database)}")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["load", "searches"])
def test_a_load_killed_at_a_fine_sweep_of_moments_leaves_a_whole_publication(database, extracts, kind):
    """Kill loads at evenly spaced moments from start to finish (steps of a twentieth of a load's length), so
    kills land in staging, building, the fsync and the publish alike.

    The moments come from the time a whole load takes here, measured just before. On a machine whose load
    changes meanwhile (other tests, other work) loads may run faster than measured, so most kills come after
    the publish: the sweep is then measured and run again (at most three sweeps) until at least 5 kills have
    interrupted a load. Every kill, in every sweep, must leave one whole publication."""
    a, b = extracts

    def start(number):
        if kind == "load":
            source = b if number % 2 == 0 else a
            return start_load("load", source.extract, database, source.population)[0]
        return start_load("searches", SEARCHES_FOLDER, database)[0]

    def load_duration() -> float:
        durations = []
        for number in range(2):  # the time a whole load takes here (warm forked child)
            began = time.monotonic()
            process = start(number)
            process.join(HANG_GUARD_S)
            assert process.exitcode == 0
            durations.append(time.monotonic() - began)
        return max(durations)

    outcomes = {"old": 0, "new": 0}
    sweeps: list[str] = []
    while outcomes["old"] < 5 and len(sweeps) < 3:
        duration = load_duration()
        sweep = [duration * i / 20 for i in range(1, 24)]  # 5 % .. 115 % of a load
        sweeps.append(f"{len(sweep)} kills over a {duration:.2f} s load")
        for number, delay in enumerate(sweep):
            _, old = _published(database, extracts, version_names_extract=False)
            process = start(number)
            time.sleep(delay)
            process.kill()
            process.join(10)
            outcomes[_check_after_kill(database, extracts, old, f"{kind} killed after {delay:.3f} s", None,
                                       searches=kind == "searches")] += 1
    assert outcomes["old"] >= 5  # the sweep really interrupted loads
    load_extract(a.extract, database, population=a.population, today=TODAY)
    assert _leftovers(database) == {"building": [], "links": []}
    print(f"\n{kind}: {'; '.join(sweeps)}: {outcomes['old']} left the old publication, "
          f"{outcomes['new']} had already published; none left anything else")


@pytest.mark.slow
def test_loads_killed_while_duckdb_spills_never_block_the_next_load(tmp_path, database, extracts):
    """Loads under a 40 MB memory cap (so DuckDB spills to ``building-PID.duckdb.tmp/``) are killed once the
    spill folder exists; each next load clears what they left and the last one publishes (issue 14, defect 5).
    Before, the spill folder left by one kill made every later load exit 1 with an IsADirectoryError."""
    from tests.extracts import many_rows, write_extract

    big = write_extract(tmp_path / "big.csv", many_rows(150_000))
    env = {**os.environ, "MONITOR_LOAD_MEMORY_LIMIT": "40MB"}
    spilled = 0
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-m", "analytics", "load", str(big), "--db", str(database)],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + HANG_GUARD_S
        while process.poll() is None and time.monotonic() < deadline:
            if any(p.is_dir() and any(p.iterdir()) for p in versions_dir(database).glob("building-*.tmp")):
                spilled += 1
                break
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert spilled >= 1, "no kill landed while DuckDB was spilling"
    a, _ = extracts
    result = subprocess.run([sys.executable, "-m", "analytics", "load", str(a.extract), "--db", str(database)],
                            cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stderr
    assert list(versions_dir(database).glob("building-*")) == []
    which, _ = _published(database, extracts)
    assert which == "A"


def test_a_load_keeps_the_population_published_while_it_waited_for_the_lock(tmp_path, database, extracts):
    """Issue 14, defect 8: a load without ``--population`` takes the population table current when it gets the
    publication lock, not the one current when it started; before, a new table published meanwhile (by another
    load) was silently replaced by the old one."""
    from tests.extracts import write_population

    a, _ = extracts
    other = tmp_path / "other" / "monitor.duckdb"
    load_extract(a.extract, other, population=write_population(tmp_path / "new-population.csv", per_cell=777),
                 today=TODAY)
    new_total = int(Store(other).population_table()["population"].sum())
    with publication_lock(database):
        waiting = subprocess.Popen([sys.executable, "-m", "analytics", "load", str(a.extract), "--db", str(database)],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + HANG_GUARD_S
        while _lock_waiters(versions_dir(database) / ".lock") < 1:
            assert time.monotonic() < deadline and waiting.poll() is None, waiting.communicate()
            time.sleep(0.05)
        # another load publishes a new population table while this one waits (done here by hand, in the lock)
        swapped = versions_dir(database) / "99990101T000000Z-newpop.duckdb"
        swapped.write_bytes(other.resolve().read_bytes())
        link = database.parent / "new-link"
        os.symlink(swapped.relative_to(database.parent), link)
        os.replace(link, database)
    _, err = waiting.communicate(timeout=HANG_GUARD_S)
    assert waiting.returncode == 0, err
    store = Store(database)
    try:
        assert int(store.population_table()["population"].sum()) == new_total != a.population_total
    finally:
        store.close()
