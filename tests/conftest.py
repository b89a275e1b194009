"""Shared fixtures (the seeded sample extract loaded once per test process) and the order of the run.

The sample is the product's own generator with its documented seed (``sample_data.PLANTED_SEED``),
so tests, the demo and the browser runs all see the same data (DESIGN.md section 9, after datasette).

``make test`` runs the suite in two processes (pytest-xdist, ``-n 2 --dist loadgroup --no-loadscope-reorder``).
Each module runs whole in one process, so its module fixtures (a dashboard server, a built pack) are made
once, except the modules in ``SPREAD_MODULES``, whose independent tests are spread over both; the longest
work is queued first so neither process is left with it at the end (docs/DECISIONS.md).
"""

from __future__ import annotations

import functools
import os
from datetime import date
from pathlib import Path

import pytest

from analytics.load import load_extract
from analytics.store import Store

SAMPLE_TODAY = date(2026, 11, 30)

#: Modules whose tests share no module fixture and are long enough to be worth spreading over both processes.
SPREAD_MODULES = frozenset({"test_concurrency", "test_stats_coverage"})
#: The longest work, queued first. In the slow tier the browser sweeps (about 7 to 15, 4, 4, 5 and 2 min on a busy
#: 2-core machine); in ``make test`` the loaders' refusals and the page runs (about 2.5, 2.5, 2 and 2 min).
LONGEST_FIRST = ("test_accessibility", "test_sessions", "test_concurrency", "test_browser", "test_oidc", "test_load",
                 "test_honest_pages", "test_scrutiny_pages", "test_access", "test_report")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Queue the longest modules first and keep every other module in one process (see the module docstring)."""
    def rank(item: pytest.Item) -> int:
        module = item.path.stem
        return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module's own order is kept
    for item in items:
        if item.path.stem not in SPREAD_MODULES:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


@pytest.fixture(scope="session", autouse=True)
def installed_components_scanned_once():
    """Each new AppTest scans every installed distribution's metadata for Streamlit components
    (``streamlit/testing/v1/app_test.py`` calls ``BidiComponentManager.discover_and_register_components``): about
    0.1 s an AppTest, 5 % of the suite's CPU in a py-spy profile. The installed packages do not change during a run,
    so the scan is made once per process and its result reused."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(scan)
    yield
    manifest_scanner.scan_component_manifests = scan


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory) -> tuple[Path, Path]:
    from sample_data.generator import PLANTED_SEED, write_sample

    folder = tmp_path_factory.mktemp("sample")
    return write_sample(folder, seed=PLANTED_SEED)


@pytest.fixture(scope="session")
def sample_db(sample_files, tmp_path_factory) -> Path:
    """The sample loaded into a database; ``MONITOR_DB`` points at it (for the dashboard under test)."""
    extract, population = sample_files
    database = tmp_path_factory.mktemp("db") / "monitor.duckdb"
    load_extract(extract, database, population=population, today=SAMPLE_TODAY)
    os.environ["MONITOR_DB"] = str(database)
    return database


@pytest.fixture(scope="session")
def sample_store(sample_db) -> Store:
    return Store(sample_db)


@pytest.fixture(scope="module")
def app_data(sample_db):
    """The sample database behind the app under test; Streamlit's caches cleared before and after the module
    so no other database leaks in. Modules that run the app use it with ``pytest.mark.usefixtures``."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield sample_db
    st.cache_data.clear()
    st.cache_resource.clear()


def report_line(request, line: str) -> None:
    """Write ``line`` into pytest's terminal report, outside output capture (for a module's tried-input counts)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


@pytest.fixture
def with_searches(sample_files, tmp_path, app_data):
    """The app under test on the sample with the data.police.uk stop-and-search sample loaded too (the shared sample
    database has no searches); Streamlit's caches cleared on the way in and out."""
    import streamlit as st

    from tests import browser_support

    extract, population = sample_files
    database = browser_support.build_database(extract, population, tmp_path, SAMPLE_TODAY)
    previous = os.environ["MONITOR_DB"]
    os.environ["MONITOR_DB"] = str(database)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield database
    os.environ["MONITOR_DB"] = previous
    st.cache_data.clear()
    st.cache_resource.clear()
