"""The "What needs attention" page (AppTest) and the pack's section (issue 16), by role, on the sample."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access
from analytics.report import build_pack
from analytics.store import AuditLog, Store
from tests.guards import STEP_GUARD_S

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "dashboard.py"
PAGE = "pages/attention.py"


@pytest.fixture(autouse=True)
def files(app_data, tmp_path, monkeypatch):
    """The sample behind the app; the register and the audit log in this test's own folder."""
    monkeypatch.setenv("MONITOR_ALERTS_DB", str(tmp_path / "alerts.sqlite"))
    monkeypatch.setenv("MONITOR_AUDIT_DB", str(tmp_path / "audit.sqlite"))
    return tmp_path


def open_page(role: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", role)
    at = AppTest.from_file(str(ENTRY), default_timeout=STEP_GUARD_S)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def markdown(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.markdown]


def test_every_role_may_open_the_page():
    assert access.can_open("scrutiny", PAGE) and access.can_open("officer", PAGE) and access.can_open("analyst", PAGE)


def test_analysts_see_alerts_and_watches_with_charts_verdicts_and_links(monkeypatch):
    at = open_page("analyst", monkeypatch)
    text = markdown(at)
    headers = [t for t in text if t.startswith((":red[**ALERT", ":orange[**WATCH"))]
    assert any("ALERT · Suspects, White, Breckland" in h for h in headers)
    assert any(h.startswith(":orange[**WATCH") for h in headers)
    assert len(at.get("plotly_chart")) == len(headers)  # one SPC chart per item
    assert sum("**Verdict:** Higher than the baseline" in t for t in text) >= 4  # the four alerts
    links = [t for t in text if "with these filters](/" in t]
    assert len(links) == len(headers)
    assert any("](/trends?role=suspect&group=White&area=E07000143)" in t for t in links)
    assert len(at.get("form")) == len(headers)  # analysts may acknowledge


def test_an_acknowledged_item_is_greyed_with_its_note(monkeypatch, files):
    at = open_page("analyst", monkeypatch)
    at.text_area[0].input("Known: Operation Thetford since May")
    at.button[0].click()  # the first form's submit button
    at.run()
    assert not at.exception
    greyed = [t for t in markdown(at) if "— acknowledged" in t]
    assert len(greyed) == 1
    assert any("Operation Thetford" in str(c.value) for c in at.caption)
    entries = AuditLog(files / "audit.sqlite").entries()
    assert entries.iloc[0]["action"] == "acknowledge alert" and entries.iloc[0]["source"] == "dashboard"


def test_officers_see_no_acknowledge_form(monkeypatch):
    at = open_page("officer", monkeypatch)
    assert not at.get("form")
    assert any(t.startswith(":orange[**WATCH") for t in markdown(at))


def test_scrutiny_sees_alerts_only_through_disclosure_control(monkeypatch):
    at = open_page("scrutiny", monkeypatch)
    text = markdown(at)
    assert not any(t.startswith(":orange[**WATCH") for t in text)
    assert any(t.startswith(":red[**ALERT") for t in text)
    assert any("Scrutiny view" in str(i.value) for i in at.info)
    # No exact-count sentence (the analysts' sentences name the children in the recent window).
    assert not any("children in the last 4 months against" in t for t in text)
    assert not at.get("form")


@pytest.mark.parametrize("audience", ["officers", "scrutiny"])
def test_the_pack_has_a_what_needs_attention_section(app_data, audience):
    pack = build_pack(Store(app_data), __import__("datetime").date(2026, 10, 1), audience)
    assert '<section id="attention">' in pack.html
    attention = pack.data.attention
    assert attention is not None and attention.status.startswith("Four alerts")
    assert len(attention.charts) == 4
    levels = {r.cells[0] for r in attention.table.rows}
    assert levels == ({"alert", "watch"} if audience == "officers" else {"alert"})
    # the table in words: districts by name, rules without internal names (a screenshot showed E07000143 and
    # beyond_limits_up+shift_up, and the table ran off the page at eleven columns)
    cells = [str(c) for r in attention.table.rows for c in r.cells]
    assert len(attention.table.headers) == 8
    assert not [c for c in cells if re.search(r"E0[6-9]\d{6}|_up\b|_down\b|beyond_limits", c)]
    assert any("Breckland" in c for c in cells) and any("beyond limits (up)" in c for c in cells)
    assert ("watch" in attention.status) == (audience == "officers")


def test_disclosure_withholds_every_month_resting_on_one_to_four_events(app_data):
    from analytics.alerts import data as alert_data
    from analytics.alerts import disclosure, findings

    found = findings(alert_data.load(app_data))
    offenders = next(f for f in found if f.result.series.key == ("offender", "rate", "E07000143", "White"))
    s = offenders.result.series
    assert offenders.result.months is not None
    start = int(s.months.searchsorted(offenders.result.months[0]))
    x = s.numerator[start: start + len(offenders.result.months)]
    hidden = disclosure.hidden_points(offenders)
    assert hidden.tolist() == [1 <= v <= 4 for v in x]
    assert hidden.any()  # the sample has such months in this series


def test_the_packs_section_is_the_alerts_own_and_follows_a_rewritten_file(app_data, tmp_path):
    """The section is computed once per publication file, month and edition (analytics.report.attention): each call
    gives what the alerts give for the file as it is now, and a file changed in place is read again."""
    import shutil
    from datetime import date

    import duckdb
    import pandas as pd

    from analytics.alerts.service import monthly_alerts
    from analytics.report.attention import attention
    from analytics.store.errors import CONNECTION_CONFIG

    database = tmp_path / "copy.duckdb"
    shutil.copyfile(Path(app_data).resolve(), database)
    run = monthly_alerts(database, pd.Timestamp("2026-10-01"), record=False)
    expected = int((run.table["level"] == "alert").sum()), int((run.table["level"] == "watch").sum())
    assert expected == (4, 6)  # "Four alerts and six watches", as the pack's status says
    for _ in range(2):  # computed, then reused: the same answer
        assert attention(database, date(2026, 10, 1), False).status == "Four alerts and six watches in October 2026."
        assert attention(database, date(2026, 10, 1), True).status == "Four alerts in October 2026."
    connection = duckdb.connect(str(database), config=dict(CONNECTION_CONFIG))
    connection.execute("DELETE FROM records WHERE recorded_date >= DATE '2026-10-01'")
    connection.close()
    assert attention(database, date(2026, 10, 1), False).status == (
        "No alerts for this month: 2026-10 is after the last complete month of the data (2026-09).")


def test_rendering_a_pack_leaves_the_shared_alert_charts_as_they_were(app_data):
    """The pack restyles its charts in place (print width, wrapped titles); the alert charts it shows are copies, so
    the section other packs of the month reuse keeps its figures unchanged."""
    from datetime import date

    from analytics.report import Pack, build_data

    data = build_data(Store(app_data), date(2026, 10, 1), "officers")
    before = [c.figure.to_json() for c in data.attention.charts]
    Pack.from_data(data)
    Pack.from_data(data)
    assert [c.figure.to_json() for c in data.attention.charts] == before
    shown = Pack.from_data(data).charts
    assert [s.figure.layout.width for s in shown if s.key.startswith("attention-")] == [660] * 4
