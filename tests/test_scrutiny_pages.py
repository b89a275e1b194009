"""Scrutiny sees every page open to it through disclosure control (issue 15, part 4), and the Overview opens with
the pack's findings (part 2).

Every page the scrutiny role may open is run (AppTest) with no filters and with a small slice (offenders, one
district, one age band, one sex: some groups hold 1-4 children); every table cell, every string and hoverable number
of every plotly figure sent to the browser (the chart's JSON), and every metric is scanned for a count of 1-4
(``tests.test_report.small_counts``: integers from 1 to 4 standing on their own, not decimals, dates or codes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access, report
from analytics.filters import Filters
from tests.guards import STEP_GUARD_S
from tests.test_report import figure_strings, small_counts
from ui.page import PAGES

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"role": "offender", "area": "E07000148", "age": "10-13", "sex": "F"}
#: Cells and strings that are not counts although they may look like one (labels, verdict words).
SCRUTINY_PAGES = [p for p, _, _ in PAGES if access.can_open("scrutiny", p)]


@pytest.fixture(scope="module", autouse=True)
def _app_data(app_data):
    return app_data


def run(path: str, role: str, monkeypatch, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", role)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)
    if query:
        at.query_params.update(query)
    if path != "dashboard.py":
        at.switch_page(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


#: Table columns that are not counts of children or records (codes, numbers of strata, ratios, intervals).
NOT_COUNTS = {"Code", "Outcome", "Outcome code", "Strata used", "Ratio", "Rate or share"}


def small_cells(at: AppTest) -> list[str]:
    """Table cells holding a count from 1 to 4 (a number, or text that is just the number)."""
    hits = []
    for frame in at.dataframe:
        table = frame.value
        for column in table.columns:
            if str(column) in NOT_COUNTS or "CI" in str(column) or "interval" in str(column).lower():
                continue
            for index, value in enumerate(table[column].tolist()):
                text = str(value).strip().replace(",", "")
                if text.isdigit() and 1 <= int(text) <= 4:
                    hits.append(f"{column}: {value} in {table.iloc[index].to_dict()}")
    return hits


def shown_text(at: AppTest) -> list[str]:
    """Every metric, and every string and hoverable number of every chart's traces as sent to the browser."""
    found = [f"{m.label}: {m.value}" for m in at.metric]
    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        found += figure_strings({"data": figure.get("data", [])})
    return found


def small_anywhere(at: AppTest) -> list[str]:
    return small_cells(at) + [hit for text in shown_text(at) for hit in small_counts(text)]


def test_scrutiny_opens_every_analytical_page_it_is_given():
    assert {"dashboard.py", "pages/disproportionality.py", "pages/crime_types.py", "pages/monthly_pack.py",
            "pages/about.py"} <= set(SCRUTINY_PAGES)
    assert "pages/records.py" not in SCRUTINY_PAGES and "pages/audit_log.py" not in SCRUTINY_PAGES


@pytest.mark.parametrize("path", SCRUTINY_PAGES)
@pytest.mark.parametrize("query", [None, SMALL], ids=["all", "small-slice"])
def test_no_small_count_on_a_scrutiny_page(path, query, monkeypatch):
    at = run(path, "scrutiny", monkeypatch, query)
    assert not at.error, [e.value for e in at.error]
    hits = small_anywhere(at)
    assert not hits, hits[:10]


def test_small_counts_are_there_for_the_analyst(monkeypatch):
    """The scan is not vacuous: the same slice shows counts of 1-4 to an analyst on the same pages."""
    at = run("pages/crime_types.py", "analyst", monkeypatch, SMALL)
    assert small_anywhere(at)


@pytest.mark.parametrize("role", ["analyst", "officer", "scrutiny"])
def test_overview_opens_with_the_packs_findings(role, monkeypatch, sample_store):
    """The Overview's first section is the pack's key findings, in the pack's own words, for the role's edition."""
    at = run("dashboard.py", role, monkeypatch)
    assert not at.error
    headers = [h.value for h in at.subheader]
    assert headers[0].startswith("Main findings")
    audience = "officers" if role != "scrutiny" else "scrutiny"
    expected = report.plain_findings(report.build_data(sample_store, last_month(sample_store), audience, Filters()))
    text = " ".join(m.value for m in at.markdown)
    for group in expected:
        for sentence in group.sentences:
            assert sentence in text, sentence
    if role == "scrutiny":  # its home: links to every page it may open, and no counts
        links = {str(link.proto.page) for link in at.get("page_link")}
        assert not at.metric
        assert all(any(p.endswith(Path(path).stem) for p in links) for path in SCRUTINY_PAGES if path != "dashboard.py")
    else:
        assert at.metric  # the counts follow the findings


def last_month(store):
    _, last = store.month_range()
    return last
