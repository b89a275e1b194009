"""Accessibility and role coverage in the browser (issue 15, part 7 and "Done when").

Every page is opened once as each role (analyst, officer, scrutiny: one ``streamlit run`` server per role, with
``MONITOR_LOCAL_ROLE`` set) in Debian's headless Chromium, and in that one load:

* no exception element and no error alert; a page the role may not open (Records and Audit log for officers and
  scrutiny) shows the plain sentence of ``ui.auth.require_page``, not an error box;
* axe-core (``axe-playwright-python``'s bundled ``axe.min.js``, no CDN) finds no violation outside
  :data:`ALLOWED`, the ones inside Streamlit's own widgets that the app cannot change, each with its reason;
* every chart with data has its "show as a table" alternative, labelled with the chart's title;
* from the top of the page the keyboard reaches the sidebar's filters before any chart's toolbar.

A full-page screenshot of each page per role goes to ``screenshots/test_accessibility/<role>/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics import access
from tests import browser_support as bs
from tests.guards import STEP_GUARD_MS
from ui import render
from ui.page import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = bs.VIEWPORT
#: Violations inside Streamlit's own widgets that the app cannot change: (rule id, CSS selector of the element as
#: axe reports it) -> why. Anything else axe finds fails the test. Stated in the README's accessibility paragraph.
ALLOWED: dict[tuple[str, str], str] = {}
#: The sentence a role sees on a page it may not open (``ui.auth.require_page``), in an info box.
NOT_OPEN = "This page is not open to the {role} role"
#: Charts with data (a trace that is not hover-skipped, i.e. not only limit lines or an empty figure's message).
CHARTS_WITH_DATA = """
() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot'))
    .filter(gd => (gd.data || []).some(t => t.hoverinfo !== 'skip')).length
"""
#: Every chart drawn, and at least as many charts as "show as a table" expanders (an expander is drawn at once, its
#: chart when plotly's component has loaded: without this wait a scrutiny page was counted before its charts came).
ALL_CHARTS_DRAWN = f"""
label => {{
  const charts = document.querySelectorAll('{bs.CHART}').length;
  const tables = Array.from(document.querySelectorAll('[data-testid="stExpander"] summary'))
      .filter(s => s.textContent.includes(label)).length;
  return charts >= tables && document.querySelectorAll('{bs.DRAWN_CHART}').length === charts;
}}
"""
#: Where the keyboard focus is: inside the sidebar's filters, inside a chart (its toolbar), or elsewhere.
FILTER_WIDGETS = '[data-testid="stMultiSelect"], [data-testid="stDateInput"], [data-testid="stSelectbox"]'
FOCUS_PLACE = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'none';
  if (el.closest('[data-testid="stPlotlyChart"]') || el.closest('[data-testid="stElementToolbar"]')) return 'chart';
  const sidebar = el.closest('[data-testid="stSidebar"]');
  if (sidebar && el.closest('__FILTERS__'))
    return 'filter';
  return 'other';
}
""".replace("__FILTERS__", FILTER_WIDGETS)
MAX_TABS = 80  # a hang guard: the page links and the sidebar's first controls come well before


@pytest.fixture(scope="module", autouse=True)
def chromium_available():
    bs.require_chromium("accessibility browser tests")


@pytest.fixture(scope="module")
def database(sample_files, tmp_path_factory) -> Path:
    """The sample records, the stop-and-search sample and the modelled partner indicators (as ``make run``), so
    every page draws everything it can, the partner overlay included."""
    from analytics.partners import convert_dfe, load_indicators
    from sample_data.partners import DFE_FILE, FTE_FILE, PARTNERS_DIR
    from tests.conftest import SAMPLE_TODAY

    extract, population = sample_files
    folder = tmp_path_factory.mktemp("accessibility-db")
    built = bs.build_database(extract, population, folder, SAMPLE_TODAY)
    load_indicators(convert_dfe(PARTNERS_DIR / DFE_FILE, folder / DFE_FILE).out, built)
    load_indicators(PARTNERS_DIR / FTE_FILE, built)
    return built


@pytest.fixture(scope="module", params=access.ROLES)
def served(request, database, tmp_path_factory):
    """(role, server): one server per role, the local user's role fixed when the server starts."""
    role = request.param
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(access.LOCAL_ROLE_ENV, role)
        running = bs.Server(database, tmp_path_factory.mktemp(f"streamlit-{role}") / "server.log").start()
    yield role, running
    running.stop()


@pytest.fixture(scope="module")
def browser(chromium_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = bs.launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(STEP_GUARD_MS)
    yield page
    context.close()


def new_violations(results: dict) -> list[str]:
    """Each violation outside :data:`ALLOWED`, as 'rule: selector (summary)'."""
    found = []
    for violation in results["violations"]:
        for node in violation["nodes"]:
            selector = " ".join(str(t) for t in node["target"])
            if (violation["id"], selector) not in ALLOWED:
                found.append(f"{violation['id']} ({violation['impact']}): {selector}\n    {node['html'][:160]}\n"
                             f"    {node.get('failureSummary', '')[:300]}")
    return found


SETTLED = f"""
() => !document.querySelector('[data-stale="true"]')
      && document.querySelector('{bs.IDLE}')
      && document.querySelector('[data-testid="stSidebar"] :is({FILTER_WIDGETS})')
"""


def tabs_to_filters(page, title: str) -> list[str]:
    """Press Tab from the top of the page until the focus is in a sidebar filter; the places the focus went.

    First wait until the page is the one asked for (its title), its script has finished, no element is left stale
    from an earlier run and the sidebar's filters are drawn: on a loaded machine (CI) the keyboard otherwise walked a
    half-drawn page that held no filter yet and wrapped round it."""
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=STEP_GUARD_MS)
    page.wait_for_function(SETTLED, timeout=STEP_GUARD_MS)
    page.locator("body").focus()
    places = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        places.append(page.evaluate(FOCUS_PLACE))
        if places[-1] == "filter":
            break
    return places


TITLES = {path: label for path, label, _ in PAGES}


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES], ids=[Path(p).stem for p, _, _ in PAGES])
def test_every_page_as_every_role_is_accessible_and_error_free(served, tab, axe, path):
    role, server = served
    tab.goto(f"{server.url}/{bs.url_path(path)}")
    opens = access.can_open(role, path)
    bs.wait_loaded(tab, bs.EXPECTED_CHARTS[path] if opens and role != access.SCRUTINY else 0)
    tab.wait_for_function(ALL_CHARTS_DRAWN, arg=render.TABLE_LABEL, timeout=STEP_GUARD_MS)
    what = f"{path} as {role}"
    assert tab.locator(bs.EXCEPTION).count() == 0, f"{what}: {tab.locator(bs.EXCEPTION).first.inner_text()[:1000]}"
    assert tab.locator(bs.ERROR_ALERT).count() == 0, f"{what}: {tab.locator(bs.ERROR_ALERT).first.inner_text()[:500]}"
    if not opens:
        notice = tab.locator('[data-testid="stAlertContentInfo"]').first.inner_text()
        assert NOT_OPEN.format(role=role) in notice, f"{what}: {notice!r}"
        assert tab.locator(bs.CHART).count() == 0 and tab.locator('[data-testid="stDataFrame"]').count() == 0
    with_data = tab.evaluate(CHARTS_WITH_DATA)
    tables = tab.locator('[data-testid="stExpander"] summary').filter(has_text=render.TABLE_LABEL)
    assert tables.count() == with_data, f"{what}: {with_data} charts with data, {tables.count()} 'show as a table'"

    violations = new_violations(axe.run(tab).response)
    bs.full_page_screenshot(tab, bs.screenshot_dir(f"test_accessibility/{role}") / f"{Path(path).stem}.png")
    assert not violations, f"{what}: axe-core found\n" + "\n".join(violations)
    if opens:
        places = tabs_to_filters(tab, TITLES[path])
        assert places[-1] == "filter", f"{what}: {MAX_TABS} presses of Tab never reached a filter: {places}"
        assert "chart" not in places, f"{what}: the keyboard reached a chart's toolbar before the filters: {places}"
