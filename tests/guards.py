"""Hang guards for the test suite: bounds that only stop a test that is stuck (docs/DECISIONS.md).

``make test`` judges the product, not the machine: no test fails for being slow. Every wait that would fail a
test when it expires (a browser wait, an app run, a subprocess, a thread) is bounded by one of these, set far
above any plausible run on a busy 2-core machine, so a correct product meets none of them. Above them all,
pytest-timeout stops any single test after 30 minutes (``timeout`` in ``pyproject.toml``). Speed is measured
in ``benchmarks/``.
"""

from __future__ import annotations

#: One step: a page loading or redrawing in the browser, one AppTest script run, a server becoming healthy,
#: a step of a load reached. The slowest seen is about 35 s (a fresh server and a first page, load average 20).
STEP_GUARD_S = 300.0
STEP_GUARD_MS = STEP_GUARD_S * 1000
#: A whole scenario: a command-line load in a subprocess, reader threads while twelve loads publish, twenty
#: browser sessions at once (about 4 minutes on a busy 2-core machine). Below pytest-timeout's 30 minutes, so
#: a stuck scenario fails with its own message.
HANG_GUARD_S = 1200.0
HANG_GUARD_MS = HANG_GUARD_S * 1000
