"""Twenty simultaneous browser sessions against one dashboard server (issue 6, part 2).

One ``streamlit run dashboard.py`` server (``tests/browser_support.Server``: free port, ``/_stcore/health``,
output in a file) on the seeded sample database; one headless Chromium with 20 browser contexts (20
Streamlit sessions, each its own websocket) driven concurrently with Playwright's asyncio API. Every session
opens the overview, waits for its charts, changes a slicer (half choose Norwich, half Breckland, so the
server computes different filters at once) and waits for the redraw; all 20 stay open to the end, when
each is checked again. Figures (sessions, time to all rendered, errors, server memory) are printed.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests import browser_support as bs
from tests.guards import HANG_GUARD_MS, HANG_GUARD_S

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SESSIONS = int(os.environ.get("SESSIONS_UNDER_TEST", "20"))
# Hang guards only (tests/guards.py): the test judges errors and memory, never speed. The server is not the slow
# part: with 20 sessions its script runs finish in well under a minute (about 20 s of server CPU in all), while
# Chromium compiles Streamlit's bundle and plotly.js once per context (20 times) before the first chart can draw;
# on a busy 2-core machine the whole run has taken about 4 minutes. `python -m benchmarks` measures the speed.
PAGE_TIMEOUT_MS = HANG_GUARD_MS  # one session's page load or redraw
WHOLE_RUN_S = float(os.environ.get("SESSIONS_TIMEOUT_S", HANG_GUARD_S))  # a session not done by then is stuck
SLICERS = [("District", "Norwich"), ("District", "Breckland")]


@pytest.fixture(scope="module", autouse=True)
def chromium_available():
    bs.require_chromium("the sessions test")


@pytest.fixture(scope="module")
def server(sample_db, tmp_path_factory):
    with bs.Server(sample_db, tmp_path_factory.mktemp("sessions") / "server.log") as running:
        yield running


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _choose(page, label: str, option: str, wait_ms: float) -> None:
    """``browser_support.choose_in_multiselect`` for the asyncio API: type ``option``, wait up to ``wait_ms`` for
    it to be offered, press Enter. Every step waits ``wait_ms`` at most (not the page's hang guard)."""
    field = bs.sidebar_multiselect(page, label).locator("input")
    await field.click(timeout=wait_ms)
    await field.fill(option, timeout=wait_ms)
    await page.locator('[role="option"]').filter(has_text=option).first.wait_for(state="visible", timeout=wait_ms)
    await field.press("Enter", timeout=wait_ms)


def _note_try(log: dict, started: float, step: str, exc: Exception) -> None:
    """A retried step, for the failure message of a session that never finishes."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    said = " / ".join(lines[:1] + lines[-2:])[:300]  # Playwright's message, then the last of its call log
    log.setdefault("tries", []).append(f"{time.monotonic() - started:.0f}s {step}: {type(exc).__name__}: {said}")


async def _change_slicer(page, label: str, option: str, before: str, log: dict, started: float) -> None:
    """Choose ``option`` and wait for the charts to redraw, retrying each step a minute at a time until the
    scenario's hang guard cancels the session. Under load a rerun can start just as the option is typed and clear
    the field (the option is then never offered), or a click can be lost; both are made again. A choice that has
    landed shows as a tag (``browser_support.CHOSEN_TAG``) and is not made again: a chosen option is no longer
    offered, so choosing it again waits forever. (The tags were looked for with BaseWeb's selector, which Streamlit
    1.67 no longer renders: a redraw slower than a minute sent eight sessions in CI, and seventeen here, back to an
    option that would never be offered.) Every step waits a minute at most, and each retry is noted in
    ``log["tries"]`` for the failure message."""
    chosen = bs.sidebar_multiselect(page, label).locator(bs.CHOSEN_TAG).filter(has_text=option)
    while True:  # bounded by the scenario's hang guard, which cancels the session
        if await chosen.count() == 0:
            try:
                await _choose(page, label, option, wait_ms=60_000)
            except Exception as exc:  # noqa: BLE001 - not offered (the field was cleared by a rerun): type it again
                _note_try(log, started, "choose", exc)
                await page.keyboard.press("Escape")
                continue
        try:
            await page.wait_for_function(bs.REDRAWN, arg=[before, 2, False], timeout=60_000, polling=250)
            return
        except Exception as exc:  # noqa: BLE001 - not redrawn yet: choose again if the choice was lost
            _note_try(log, started, "redraw", exc)
            await page.keyboard.press("Escape")


async def _wait_drawn(page, charts: int) -> None:
    await page.wait_for_selector(bs.IDLE, timeout=PAGE_TIMEOUT_MS)
    await page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot:has(.main-svg)').length >= n"
        " || document.querySelector('[data-testid=\"stException\"]')",
        arg=charts, timeout=PAGE_TIMEOUT_MS, polling=500)
    await page.wait_for_selector(bs.IDLE, timeout=PAGE_TIMEOUT_MS)


async def _health(page) -> dict:
    return {
        "charts": await page.locator(bs.DRAWN_CHART).count(),
        "exceptions": await page.locator(bs.EXCEPTION).count(),
        "errors": await page.locator(bs.ERROR_ALERT).count(),
    }


async def _settled_signature(page) -> str:
    """The charts' signature once two readings a second apart agree (at most a minute): the redraw check does not
    require a run to have been seen (React can batch a fast run's start and end), so a chart still settling
    after the first render must not pass for a redraw."""
    signature = await page.evaluate(bs.CHARTS_SIGNATURE)
    for _ in range(60):
        await asyncio.sleep(1)
        again = await page.evaluate(bs.CHARTS_SIGNATURE)
        if again == signature:
            break
        signature = again
    return signature


async def _where_stuck(page, log: dict) -> dict:
    """What a session that did not finish shows: the script state, the states seen since the watch began, the
    chosen tags, the charts drawn and whether they differ from before the change (for the failure message)."""
    try:
        return await asyncio.wait_for(page.evaluate(bs.SESSION_STATE, log.get("before", "")), timeout=30)
    except Exception as exc:  # noqa: BLE001 - a page too stuck to answer is itself the finding
        return {"unanswered": f"{type(exc).__name__}: {exc}"[:200]}


async def _session(browser, url: str, number: int, started: float, log: dict, pages: dict):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    pages[number] = page
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    js_errors = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    await page.goto(url, timeout=PAGE_TIMEOUT_MS)
    log["opened_s"] = time.monotonic() - started
    await _wait_drawn(page, 2)
    log["first_render_s"] = time.monotonic() - started
    log["first"] = await _health(page)
    before = log["before"] = await _settled_signature(page)
    await page.evaluate(bs.WATCH_SCRIPT)
    label, option = SLICERS[number % len(SLICERS)]
    await _change_slicer(page, label, option, before, log, started)
    await page.keyboard.press("Escape")
    log["changed_s"] = time.monotonic() - started
    del log["before"]
    log["changed"] = await _health(page)
    log["slicer"] = f"{label}={option}"
    log["js_errors"] = js_errors
    return context, page


def test_twenty_simultaneous_sessions_render_and_change_a_slicer_without_errors(server):
    from playwright.async_api import async_playwright

    baseline_rss = rss_mib(server.process.pid)
    baseline_cpu = cpu_seconds(server.process.pid)
    logs: list[dict[str, Any]] = [{} for _ in range(SESSIONS)]
    pages: dict[int, Any] = {}

    async def scenario():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(bs.CHROMIUM), args=bs.CHROMIUM_ARGS,
                                                       headless=True)
            try:
                started = time.monotonic()
                tasks = [asyncio.ensure_future(_session(browser, server.url, n, started, logs[n], pages))
                         for n in range(SESSIONS)]
                await asyncio.wait(tasks, timeout=WHOLE_RUN_S)
                all_done = time.monotonic() - started
                peak_rss = rss_mib(server.process.pid)
                failures = []
                for n, task in enumerate(tasks):
                    if not task.done():
                        shown = await _where_stuck(pages[n], logs[n]) if n in pages else {}
                        task.cancel()
                        reached = sorted(key for key in logs[n] if key not in ("before", "tries"))
                        failures.append(f"session {n}: not finished after {WHOLE_RUN_S} s (reached {reached};"
                                        f" showing {shown}; last tries {logs[n].get('tries', [])[-3:]})")
                    elif task.exception() is not None:
                        first_line = (str(task.exception()).splitlines() or [""])[0]
                        failures.append(f"session {n}: {type(task.exception()).__name__}: {first_line}")
                held = [t.result() for t in tasks if t.done() and not t.cancelled() and t.exception() is None]
                # every session is still open: check each again, together
                final = await asyncio.gather(*(_health(page) for _, page in held))
                for context, _ in held:
                    await context.close()
                return all_done, peak_rss, len(held), final, failures
            finally:
                await browser.close()

    all_done, peak_rss, held, final, failures = asyncio.run(scenario())
    log_text = server.log.read_text(errors="replace")
    tracebacks = len(re.findall(r"Traceback \(most recent call last\)", log_text))
    first_render = max((log.get("first_render_s", float("nan")) for log in logs), default=float("nan"))
    figures = {
        "sessions": SESSIONS,
        "held open at the end": held,
        "all rendered (s, from launch)": round(first_render, 1),
        "all changed a slicer and redrew (s)": round(all_done, 1),
        "errors": len(failures) + sum(f["exceptions"] + f["errors"] for f in final) + tracebacks,
        "server RSS before / after (MiB)": (round(baseline_rss), round(peak_rss)),
        "server CPU for all sessions (s)": round(cpu_seconds(server.process.pid) - baseline_cpu, 1),
        "load average": os.getloadavg()[0],
    }
    print(f"\n{figures}")
    print("per session (s): " + ", ".join(f"{log.get('first_render_s', float('nan')):.0f}/"
                                          f"{log.get('changed_s', float('nan')):.0f}" for log in logs))
    retried = [f"session {n}: {log['tries']}" for n, log in enumerate(logs) if log.get("tries")]
    print("retried steps: " + ("; ".join(retried) or "none"))
    print("\n".join(failures))
    assert failures == [], failures
    assert held == SESSIONS
    for number, log in enumerate(logs):
        assert log["first"]["charts"] >= 2 and log["first"]["exceptions"] == 0, (number, log)
        assert log["changed"]["charts"] >= 2 and log["changed"]["exceptions"] == 0, (number, log)
        assert log["changed"]["errors"] == 0 and log["js_errors"] == [], (number, log)
    assert all(f["charts"] >= 2 and f["exceptions"] == 0 and f["errors"] == 0 for f in final), final
    assert tracebacks == 0, server.output()
    assert server.process.poll() is None, "the server died"
