"""Publish a new database atomically: one build at a time per database, each publication its own file in
``.monitor.duckdb.versions/``, the ``monitor.duckdb`` symlink swung with one ``rename``.

A reader that has the old file open keeps reading it until it reconnects; a load that fails or is killed
leaves the old publication as it was (its half-built files are cleared by the next load).

Files are private to the account that loads: a build runs under ``umask 077``, so the database folder's
versions folder is ``0700`` and every file DuckDB writes (the build, its WAL, its spill folder) ``0600``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

from analytics.load.read import LoadError
from analytics.store import DatabaseError, not_a_publication, printable
from analytics.store.errors import one_line

KEEP_PREVIOUS_VERSIONS = 2  # older publications are deleted (open readers keep their file until they close)
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def versions_dir(database: Path) -> Path:
    """Where publications live: ``data/.monitor.duckdb.versions/<version>.duckdb``."""
    return database.parent / f".{database.name}.versions"


def building_path(database: Path) -> Path:
    return versions_dir(database) / f"building-{os.getpid()}.duckdb"


@contextmanager
def publication_lock(database: Path) -> Iterator[None]:
    """One build-and-publish at a time per database (an exclusive ``flock``, released by the kernel even
    if the process is killed), so two loads never both start from the same publication."""
    folder = versions_dir(database)
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(PRIVATE_FOLDER)  # made by an earlier version, readable by others
    with os.fdopen(os.open(folder / ".lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_stale_builds(database: Path) -> None:
    """Remove whatever killed builds left: half-built files and everything beside them (WAL, DuckDB's spill
    folder ``building-PID.duckdb.tmp/``, any other file or folder named ``building-*``), and new links never
    swapped in. Called under the publication lock, which every build holds, so none of them is in use; a
    scratch copy in the temporary folder (shared by every database) is removed once its process is gone."""
    link_prefix = f".{database.name}.link-"
    for candidate in [*versions_dir(database).glob("building-*"), *database.parent.glob(f"{link_prefix}*")]:
        remove_any(candidate)
    for scratch in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid_text = scratch.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        if pid_text.isdigit() and (int(pid_text) == os.getpid() or not _process_alive(int(pid_text))):
            remove_any(scratch)


def remove_any(path: Path) -> None:
    """Remove a file, link or folder tree, whichever ``path`` is; a problem removing it is not an error (a
    leftover must never stop the next load: each build uses names of its own)."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _publish(built: Path, database: Path, version: str) -> None:
    """Move the finished file into place and swing the ``database`` symlink to it in one rename."""
    with built.open("rb") as handle:
        os.fsync(handle.fileno())
    final = versions_dir(database) / f"{version}.duckdb"
    os.replace(built, final)
    link = database.parent / f".{database.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(final.relative_to(database.parent), link)
    os.replace(link, database)
    _fsync_directory(database.parent)
    _prune_old_versions(database, keep=final)


def _prune_old_versions(database: Path, keep: Path) -> None:
    published = sorted(
        (p for p in versions_dir(database).glob("*.duckdb") if not p.name.startswith("building-") and p != keep),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for old in published[KEEP_PREVIOUS_VERSIONS:]:
        old.unlink(missing_ok=True)
        Path(f"{old}.wal").unlink(missing_ok=True)



def scratch_path(built: Path) -> Path:
    """A temporary copy of an extract made by a build (a CSV with normalised line endings), removed with it.

    It holds the extract's raw values, so it is kept out of the database folder, in the system's temporary
    folder (``0600``), named after the loading process so the next load removes it if this one is killed."""
    return Path(tempfile.gettempdir()) / f"{SCRATCH_PREFIX}{os.getpid()}-{built.stem}.csv"


SCRATCH_PREFIX = "monitor-extract-"


class Built(Protocol):
    """What a build returns: at least the data version it published."""

    version: str


BuiltT = TypeVar("BuiltT", bound=Built)


def check_database_path(database: Path) -> None:
    """Refuse, naming ``--db``, a database path a load must not replace: a folder, or a file the monitor did not
    publish (a SQLite file, someone's DuckDB file, anything else). A publication is a link into the versions
    folder (or, from early versions, a DuckDB file with a publication table)."""
    shown = printable(str(database))
    if database.is_symlink() or not database.exists():
        return
    if database.is_dir():
        raise LoadError(f"--db {shown} is a folder; give the database file's path, e.g. {shown}/monitor.duckdb")
    problem = not_a_publication(database)
    if problem is not None:
        raise LoadError(f"--db {shown} is not a database the monitor published ({problem}); a load would replace "
                        "it: give another path")


@contextmanager
def database_folder_errors(database: Path) -> Iterator[None]:
    """An operating-system error making or writing the database's folders is the ``--db`` path's problem (a
    read-only folder, a file where a folder should be): one line naming it, never the extract."""
    try:
        yield
    except OSError as exc:
        where = printable(str(exc.filename or database.parent))
        raise LoadError(f"--db {printable(str(database))}: cannot write in {where} "
                        f"({exc.strerror or type(exc).__name__})") from None


def build_and_publish(database: Path, build: Callable[[Path], BuiltT], failure: str) -> BuiltT:
    """One build-and-publish under the publication lock, shared by every loader: clear the half-built
    files of killed loads, run ``build(path)`` into a new file, publish it atomically, and remove the
    build's leftovers whatever happens. ``build`` returns a result with ``version``; a DuckDB error
    becomes ``LoadError(f"{failure} (reason)")`` and the published database is untouched."""
    check_database_path(database)
    previous_umask = os.umask(PRIVATE_UMASK)  # every file and folder the build makes is the owner's only
    try:
        with contextlib.ExitStack() as locked:
            with database_folder_errors(database):
                locked.enter_context(publication_lock(database))
            remove_stale_builds(database)
            built = building_path(database)
            remove_build(built)
            try:
                result = build(built)
                with database_folder_errors(database):
                    _publish(built, database, result.version)
                return result
            except DatabaseError as exc:
                raise LoadError(f"{failure} ({one_line(exc)})") from None
            finally:
                remove_build(built)
    finally:
        os.umask(previous_umask)


def remove_build(built: Path) -> None:
    """A build's file and everything DuckDB or the loader made beside it: WAL, spill folder, scratch copy."""
    for leftover in (built, Path(f"{built}.wal"), Path(f"{built}.tmp"), scratch_path(built)):
        remove_any(leftover)

