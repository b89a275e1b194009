"""Sign-in end to end (issue 6, part 4): Streamlit's OpenID Connect login against a local provider.

The test starts ``oidc-provider-mock`` (a real OpenID Connect provider, Authlib-based) on 127.0.0.1
on a free port with two predefined users, one whose ``roles`` claim is ``scrutiny`` and one whose
claim is ``analyst``. It writes a temporary ``.streamlit/secrets.toml`` (``[auth]`` pointing at that
provider, ``[monitor] role_claim = "roles"``) and the project's ``config.toml`` into a temporary
folder, and runs ``streamlit run dashboard.py`` with that folder as its working directory (Streamlit
reads secrets from the working directory's ``.streamlit/``), so the project's own secrets file is never
written. Headless Chromium (Debian's, driven by Playwright) then signs in through the provider's
authorisation form exactly as a user would.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import browser_support as bs
from tests.guards import STEP_GUARD_MS

pytestmark = [pytest.mark.browser,
              pytest.mark.slow,  # a provider, a signing-in server and three sign-ins: about 2 minutes (make test-slow)
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]  # the mock provider uses old Authlib APIs

ROOT = Path(__file__).resolve().parents[1]
SCRUTINY = "panel.member@pcc.example"
ANALYST = "ana.lyst@force.example"
SMALL = {"role": "offender", "area": "E07000148", "age": "10-13", "sex": "F"}
WAIT = STEP_GUARD_MS  # a hang guard (tests/guards.py), not a time limit


def _unavailable() -> str | None:
    reason = bs.browser_unavailable()
    if reason is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import authlib  # noqa: F401
                import oidc_provider_mock  # noqa: F401
        except ImportError as exc:
            reason = f"{exc.name} is not installed (uv sync --extra test)"
    return reason


@pytest.fixture(scope="module")
def provider():
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the sign-in test cannot run under CI: {reason}")
        pytest.skip(reason)
    with warnings.catch_warnings():  # it imports Authlib APIs that Authlib now deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub=SCRUTINY, claims={"email": SCRUTINY, "roles": ["scrutiny"]}),
             User(sub=ANALYST, claims={"email": ANALYST, "roles": "analyst"})]
    with run_server_in_thread(port=bs.free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@dataclass
class SignInServer(bs.Server):
    """``streamlit run`` from a temporary working directory that holds the test's own secrets.toml."""

    cwd: Path | None = None
    audit: Path | None = None

    def start(self) -> SignInServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MONITOR_DB": str(self.database), "MONITOR_AUDIT_DB": str(self.audit),
               "PYTHONUNBUFFERED": "1"}
        env.pop("MONITOR_LOCAL_ROLE", None)
        command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
                   "--server.headless", "true", "--browser.gatherUsageStats", "false",
                   "--server.address", "127.0.0.1", "--server.port", str(self.port),
                   "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=self.cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_healthy()
        return self


@pytest.fixture(scope="module")
def server(provider, sample_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("signin")
    (folder / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    port = bs.free_port()
    (folder / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "yvdm-test"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        "[monitor]\n"
        'role_claim = "roles"\n'
    )
    project_secrets = ROOT / ".streamlit" / "secrets.toml"
    before = project_secrets.read_bytes() if project_secrets.exists() else None
    with SignInServer(database=sample_db, log=folder / "streamlit.log", port=port, cwd=folder,
                      audit=folder / "audit.sqlite") as running:
        yield running
    assert (project_secrets.read_bytes() if project_secrets.exists() else None) == before, \
        "the project's own secrets.toml was changed"


@pytest.fixture(scope="module")
def browser(provider):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(bs.CHROMIUM), args=bs.CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT)
    yield page
    context.close()


def idle(page) -> None:
    page.wait_for_selector(bs.IDLE, timeout=WAIT)


def open_app(page, server, path: str = "", query: dict | None = None) -> None:
    url = f"{server.url}/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    page.goto(url)
    page.wait_for_selector(bs.APP)
    idle(page)


def sign_in(page, server, provider: str, who: str) -> None:
    open_app(page, server)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{provider}/**")
    page.locator(f'button[name="sub"][value="{who}"]').click()  # the provider's authorisation form
    page.wait_for_url(f"{server.url}/**")
    page.wait_for_selector(bs.APP)
    page.get_by_text(f"Signed in as {who}").wait_for()
    idle(page)


def errors(page) -> str:
    return " ".join(page.locator(bs.ERROR_ALERT).all_inner_texts())


def test_before_sign_in_only_the_sign_in_screen_is_served(page, server):
    for path in ("", "records", "disproportionality", "audit_log"):
        open_app(page, server, path)
        page.get_by_role("button", name="Sign in").wait_for()
        assert page.locator(bs.PAGE_LINK).count() == 0, f"/{path} linked pages before sign-in"
        for testid in ("stDataFrame", "stPlotlyChart", "stMetric", "stDownloadButton"):
            assert page.locator(f'[data-testid="{testid}"]').count() == 0, f"/{path} showed {testid} before sign-in"


def test_scrutiny_is_refused_records_and_sees_suppressed_tables(page, server, provider):
    sign_in(page, server, provider, SCRUTINY)
    assert "Scrutiny" in page.locator('[data-testid="stSidebar"]').inner_text()
    links = page.locator(bs.PAGE_LINK).all_inner_texts()
    assert "Records" not in " ".join(links) and "Audit log" not in " ".join(links)

    for path in ("records", "audit_log"):  # deep links: refused by the server, not just unlinked
        open_app(page, server, path)
        page.get_by_text("This page is not open to the scrutiny role").wait_for()  # a plain sentence
        assert not errors(page), f"/{path}: an error box"
        assert page.locator('[data-testid="stDataFrame"]').count() == 0

    open_app(page, server, "disproportionality", SMALL)
    page.locator('[data-testid="stDataFrame"]:visible').first.wait_for()  # not a chart's table, folded away
    assert not errors(page)
    with page.expect_download() as download:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "[c]" in csv and "Counts from 1 to 4 (after perturbation) are shown as [c]" in csv
    rows = [line.split(",") for line in csv.splitlines() if line.startswith("All,")]
    events = [r[2] for r in rows]
    assert "[c]" in events and not any(e.isdigit() and 1 <= int(e) <= 4 for e in events), events

    con = sqlite3.connect(server.audit)
    try:
        rows = con.execute("SELECT user, role, source, action, what, filters, query, data_version "
                           "FROM audit_log").fetchall()
    finally:
        con.close()
    assert rows, "the download was not audited"
    user, role, source, action, what, filters, query, version = rows[-1]
    assert (user, role, source, action) == (SCRUTINY, "scrutiny", "dashboard", "export")
    assert what.startswith("disproportionality") and what.endswith(".csv")
    assert "district: E07000148" in filters and '"area": "E07000148"' in query and version


def test_analyst_opens_records_and_logs_out(page, server, provider):
    sign_in(page, server, provider, ANALYST)
    open_app(page, server, "records", {"area": "E07000148"})
    page.locator('[data-testid="stDataFrame"]:visible').first.wait_for()  # not a chart's table, folded away
    assert not errors(page)
    assert "Analyst" in page.locator('[data-testid="stSidebar"]').inner_text()
    page.get_by_role("button", name="Log out").click()
    # st.logout clears the session cookie, then sends the browser to the provider's end-session endpoint
    page.wait_for_url(f"{provider}/**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{server.url}/**")
    open_app(page, server, "records")
    page.get_by_role("button", name="Sign in").wait_for()
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
