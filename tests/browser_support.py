"""Helpers for the browser tier and the browser timing in ``benchmarks``: a ``streamlit run`` server on a
free port, Debian's Chromium driven by Playwright, and waits keyed on Streamlit's ``data-testid``s.

After Streamlit's own browser suite (DESIGN.md section 9): one server per test module on a free port,
wait for ``/_stcore/health``, server output in a file (never a pipe, which fills and blocks the
server), assertions on ``data-testid`` elements.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.guards import STEP_GUARD_MS, STEP_GUARD_S

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
SERVER_START_TIMEOUT = STEP_GUARD_S  # a hang guard (tests/guards.py)

APP = '[data-testid="stApp"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
#: A chosen value's tag inside a multiselect (Streamlit 1.67's react-aria multiselect; no longer BaseWeb's tag).
CHOSEN_TAG = '[data-testid="stMultiSelectTagsContainer"] [data-tag]'
CHART = '[data-testid="stPlotlyChart"]'
DRAWN_CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot:has(.main-svg)'
EXCEPTION = '[data-testid="stException"]'
#: Plotly charts each page draws with no filters on the sample data (at least).
EXPECTED_CHARTS = {
    "dashboard.py": 2,
    "pages/attention.py": 4,  # one SPC chart per alert or watch (the sample's four alerts at least)
    "pages/disproportionality.py": 2,
    "pages/geography.py": 2,
    "pages/crime_types.py": 2,
    "pages/outcomes.py": 4,
    "pages/trends.py": 2,
    "pages/data_quality.py": 2,
    "pages/records.py": 0,
    "pages/stop_search.py": 2,
    "pages/journeys.py": 5,  # two crossover forest plots, the Sankey, the UpSet chart, the incidence curves
    "pages/monthly_pack.py": 0,
    "pages/audit_log.py": 0,
    "pages/about.py": 0,
}
ERROR_ALERT = '[data-testid="stAlertContentError"]'
PAGE_LINK = '[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]'


def require_chromium(what: str) -> None:
    """Skip ``what`` with the reason when the browser tier cannot run here; in CI (``CI=true``) fail instead."""
    import pytest

    reason = browser_unavailable()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{what} cannot run in CI: {reason}")
        pytest.skip(reason)


def browser_unavailable() -> str | None:
    """Why the browser tier cannot run here, or None when it can."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium; never `playwright install`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright package is not importable ({exc})"
    return None


def visible_pages() -> list[str]:
    """The pages the local user's role may open, in navigation order (every page for the default analyst)."""
    from ui.page import PAGES

    paths = [p for p, _, _ in PAGES]
    try:
        from analytics import access
    except ImportError:
        return paths
    return access.allowed_pages(access.local_role(), paths)


def url_path(page_path: str) -> str:
    """Streamlit's URL path of a page file: the entry point is ``/``, ``pages/foo_bar.py`` is ``/foo_bar``."""
    return "" if page_path == "dashboard.py" else Path(page_path).stem


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """``streamlit run dashboard.py`` on 127.0.0.1 with ``MONITOR_DB`` set; output goes to ``log``."""

    database: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id (it must have been started)."""
        if self.process is None:
            raise RuntimeError("the server was never started")
        return self.process.pid

    def start(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MONITOR_DB": str(self.database), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
                   "--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--server.address", "127.0.0.1", "--server.port", str(self.port),
                   "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        process = self.process
        if process is None:
            raise RuntimeError("the server was never started")
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with status {process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy within {SERVER_START_TIMEOUT:.0f} s:\n{self.output()}")

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (its own process group: it was started in a new session)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def build_database(extract: Path, population: Path, folder: Path, today) -> Path:
    """The sample crime records and the shipped data.police.uk stop-and-search sample in one published
    database (``make run`` loads only the records; the Stop and search page then has nothing to show)."""
    from analytics.load import load_extract
    from analytics.searches import load_searches

    database = folder / "monitor.duckdb"
    load_extract(extract, database, population=population, today=today)
    load_searches([ROOT / "sample_data" / "police_uk_stop_search"], database, today=today)
    return database


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


# --------------------------------------------------------------------------------------------
# Waiting on Streamlit
# --------------------------------------------------------------------------------------------
#: Records every change of the app's script state with its time, so a wait cannot miss a short run.
WATCH_SCRIPT = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__yvdmRuns = [[performance.now(), app.getAttribute('data-test-script-state')]];
  if (window.__yvdmObserver) window.__yvdmObserver.disconnect();
  window.__yvdmObserver = new MutationObserver(() =>
      window.__yvdmRuns.push([performance.now(), app.getAttribute('data-test-script-state')]));
  window.__yvdmObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  return performance.now();
}
"""

#: The figures on screen: every plotly chart's trace data, as one string (a JavaScript expression).
_SIGNATURE = """JSON.stringify(Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot'))
    .map(gd => (gd.data || []).map(t => [t.name, t.x, t.y, t.z, t.locations, t.text])))"""
CHARTS_SIGNATURE = "() => " + _SIGNATURE

#: True once a run started after the watch began has finished and the charts differ from ``before``. With
#: ``seen_run`` false, a run need not have been seen: React may batch a fast run's start and end into one render,
#: so the DOM never shows ``running``; the caller must then take ``before`` from settled charts.
REDRAWN = """
([before, expected, seen_run = true]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const runs = window.__yvdmRuns || [];
  const ran = runs.some(([, s]) => s === 'running');
  if ((seen_run && !ran) || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelectorAll('""" + DRAWN_CHART + """').length < expected) return false;
  const now = """ + _SIGNATURE + """;
  return now !== before;
}
"""


def wait_loaded(page, charts: int = 0, timeout: float = STEP_GUARD_MS) -> None:
    """Wait for a page's script to finish and ``charts`` plotly charts to be drawn."""
    page.wait_for_selector(APP, timeout=timeout)
    page.wait_for_selector('[data-testid="stHeading"], [data-testid="stException"]', timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
    if charts:
        page.wait_for_function(
            f"n => document.querySelectorAll('{DRAWN_CHART}').length >= n"
            f" || document.querySelector('{EXCEPTION}')",
            arg=charts, timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)


#: What a page shows, for a failure message: its script state, the states the watch saw, the sidebar's chosen
#: tags, the charts drawn, whether they differ from ``before`` and any status or dialog text.
SESSION_STATE = """
(before) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const now = """ + _SIGNATURE + """;
  const text = selector => (document.querySelector(selector)?.textContent || '').slice(0, 120);
  return {
    state: app?.getAttribute('data-test-script-state'),
    connection: app?.getAttribute('data-test-connection-state'),
    seen: (window.__yvdmRuns || []).map(([, s]) => s),
    tags: Array.from(document.querySelectorAll('[data-testid="stSidebar"] """ + CHOSEN_TAG + """'))
        .map(t => t.textContent),
    charts: document.querySelectorAll('""" + DRAWN_CHART + """').length,
    redrawn: now !== before,
    status: text('[data-testid="stStatusWidget"]'),
    dialog: text('[role="dialog"]'),
  };
}
"""


def charts_signature(page) -> str:
    return page.evaluate(CHARTS_SIGNATURE)


def timed_change(page, action, charts: int, timeout: float = STEP_GUARD_MS) -> float:
    """Seconds from ``action()`` (a click that changes a slicer) to the rerun finished and charts redrawn."""
    before = charts_signature(page)
    page.evaluate(WATCH_SCRIPT)
    start = time.perf_counter()
    action()
    page.wait_for_function(REDRAWN, arg=[before, charts], timeout=timeout, polling="raf")
    return time.perf_counter() - start


def choose_in_multiselect(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar multiselect labelled ``label`` (Streamlit reruns on the pick): type
    it and press Enter, which is steadier than clicking an option of a list that re-renders."""
    offer_in_multiselect(page, label, option).press("Enter")


def offer_in_multiselect(page, label: str, option: str):
    """Open the multiselect and type ``option`` until it is offered; returns the field (Enter picks it)."""
    field = sidebar_multiselect(page, label).locator("input")
    field.click()
    field.fill(option)
    page.locator('[role="option"]').filter(has_text=option).first.wait_for(state="visible")
    return field


def timed_choice(page, label: str, option: str, charts: int) -> float:
    """Seconds from picking ``option`` (the Enter that a click on the offered option stands for) to the
    charts redrawn; typing and the option list opening happen before the clock starts, as a user's
    reading of the list does."""
    field = offer_in_multiselect(page, label, option)
    return timed_change(page, lambda: field.press("Enter"), charts=charts)


def sidebar_multiselect(page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label))


def chosen_in_multiselect(page, label: str) -> list[str]:
    """The values chosen in the sidebar multiselect labelled ``label``, as its tags show them."""
    return [text.strip() for text in sidebar_multiselect(page, label).locator(CHOSEN_TAG).all_inner_texts()]


def screenshot_dir(test_name: str) -> Path:
    """Where a test writes its screenshots: ``$SCREENSHOT_DIR`` or ``screenshots/`` at the repo root, then the test."""
    base = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "screenshots")
    folder = base / test_name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clear(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


#: The browser tests' window (the accessibility and page tests share it).
VIEWPORT = {"width": 1440, "height": 1000}


def full_page_screenshot(tab, path: Path) -> None:
    """Streamlit scrolls inside its main section, not the document: grow the viewport to the content first."""
    height = tab.evaluate("() => Math.max(document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0,"
                          " document.body.scrollHeight)")
    tab.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 12_000)})
    tab.wait_for_timeout(400)  # plotly relayouts to the new size
    tab.screenshot(path=str(path), full_page=True)
    tab.set_viewport_size(VIEWPORT)


#: The narrowest screen the pages are laid out for (a 1280-pixel laptop); charts are titled for it (render.FULL_WIDTH).
NARROW_VIEWPORT = {"width": 1280, "height": 1000}
#: Metric labels, values and deltas whose text is wider than its box (Streamlit cuts it with an ellipsis).
CUT_METRICS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stMetricLabel"], [data-testid="stMetricValue"], [data-testid="stMetricDelta"]')]
  .filter(e => [e, ...e.querySelectorAll('*')].some(x => x.scrollWidth > x.clientWidth + 1))
  .map(e => e.innerText)"""
#: Chart titles, axis titles, annotations and legend entries drawn past the edge of their chart's svg.
CUT_CHART_TEXT_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(plot => {
  const svg = plot.querySelector('.main-svg');
  if (!svg) return [];
  const edge = svg.getBoundingClientRect();
  return [...plot.querySelectorAll('.gtitle, .g-xtitle, .g-ytitle, .annotation, .legendtext')].filter(t => {
    const r = t.getBoundingClientRect();
    return r.width > 0 && (r.left < edge.left - 1 || r.right > edge.right + 1 || r.top < edge.top - 1
                           || r.bottom > edge.bottom + 1);
  }).map(t => t.textContent);
})"""


def cut_text(tab) -> list[str]:
    """Text the page cuts at the narrow viewport: metric labels, values and deltas cut short, and chart text past its
    chart's edge (the page is resized first and plotly given time to relayout)."""
    tab.set_viewport_size(NARROW_VIEWPORT)
    tab.wait_for_timeout(800)
    cut = [f"metric: {text}" for text in tab.evaluate(CUT_METRICS_JS)]
    cut += [f"chart: {text}" for text in tab.evaluate(CUT_CHART_TEXT_JS)]
    tab.set_viewport_size(VIEWPORT)
    return cut
