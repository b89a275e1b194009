"""Shared fixtures: the seeded sample extract loaded once per test session.

The sample is the product's own generator with its documented seed (``sample_data.PLANTED_SEED``),
so tests, the demo and the browser runs all see the same data (DESIGN.md section 9, after datasette).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from analytics.load import load_extract
from analytics.store import Store

SAMPLE_TODAY = date(2026, 11, 30)


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
