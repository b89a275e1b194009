"""The run order ``make test`` relies on (tests/conftest.py): each module whole in one pytest-xdist process."""

from __future__ import annotations

import os

import pytest


def test_a_module_runs_whole_in_one_process_under_xdist(request) -> None:
    """Under ``--dist loadgroup`` a test grouped by conftest carries its module's group in its id
    (``...@test_run_order``), so its module fixtures (a dashboard server, a built database) are made once. With
    pytest 9.2 and pytest-xdist 3.8 the group was silently lost (xdist writes ``_nodeid``, pytest 9.2 reads ``_id``)
    and every module fixture was built on both workers; pyproject.toml keeps pytest below 9.2 until they agree."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("runs under pytest-xdist only (make test)")
    assert request.node.nodeid.endswith("@test_run_order"), request.node.nodeid
