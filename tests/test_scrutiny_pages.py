"""Scrutiny sees every page open to it through disclosure control (issue 15, part 4), and the Overview opens with
the pack's findings (part 2).

Every page the scrutiny role may open is run (AppTest) with no filters and with a small slice (offenders, one
district, one age band, one sex: some groups hold 1-4 children); every table cell, every string and hoverable number
of every plotly figure sent to the browser (the chart's JSON, a heatmap's cell values included), and every metric is
scanned for a count of 1-4 (``tests.test_report.small_counts``: integers from 1 to 4 standing on their own, not
decimals, dates or codes). A wider small slice (the same children in every district) reaches the district tables.

Within a page no hidden count may be recoverable by differencing: the tables whose total is published (a total
column, a 100 % bar, a funnel's force average) are checked with ``suppression.find_disclosures``, an independent
checker, and a district hidden from the Geography table must not be on its funnel plot (its point is its count).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import access, report, schema, suppression
from analytics.filters import Filters
from tests.guards import STEP_GUARD_S
from tests.test_report import figure_strings, small_counts
from ui.page import PAGES

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"role": "offender", "area": "E07000148", "age": "10-13", "sex": "F"}
WIDE_SMALL = {"role": "offender", "age": "10-13", "sex": "F"}  # the same children in every district
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
    for figure in figures(at):
        found += figure_strings({"data": figure.get("data", [])})
        found += [str(int(v)) for trace in figure.get("data", []) if trace.get("type") == "heatmap"
                  for row in trace.get("z", []) for v in row if isinstance(v, (int, float)) and float(v).is_integer()]
    return found


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def small_anywhere(at: AppTest) -> list[str]:
    return small_cells(at) + [hit for text in shown_text(at) for hit in small_counts(text)]


def test_scrutiny_opens_every_analytical_page_it_is_given():
    assert {"dashboard.py", "pages/disproportionality.py", "pages/geography.py", "pages/crime_types.py",
            "pages/outcomes.py", "pages/trends.py", "pages/data_quality.py", "pages/stop_search.py",
            "pages/monthly_pack.py", "pages/about.py"} <= set(SCRUTINY_PAGES)
    assert "pages/records.py" not in SCRUTINY_PAGES and "pages/audit_log.py" not in SCRUTINY_PAGES


@pytest.mark.parametrize("path", SCRUTINY_PAGES)
@pytest.mark.parametrize("query", [None, SMALL, WIDE_SMALL], ids=["all", "small-slice", "wide-small-slice"])
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
    headers = [h.value for h in at.header]
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


# --- differencing within a page -----------------------------------------------------------------------------------
PLACEHOLDER = 10**6  # a published total's value: which cells are recoverable does not depend on it


def recoverable(shown: pd.DataFrame, rows_add_up: bool = False, columns_add_up: bool = False) -> list[str]:
    """``find_disclosures`` on a published table (numbers and ``[c]``) whose row totals (``rows_add_up``) and/or
    column totals (``columns_add_up``) are taken as published."""
    table = shown.astype(object).copy()
    if rows_add_up:
        table["total"] = PLACEHOLDER
    if columns_add_up:
        table.loc["total"] = PLACEHOLDER
    return suppression.find_disclosures(table, row_total="total" if columns_add_up else None,
                                        col_total="total" if rows_add_up else None)


def hidden(frame: pd.DataFrame) -> int:
    return int((frame.astype(str) == suppression.SUPPRESSED).to_numpy().sum())


def test_geography_funnel_leaves_out_the_districts_the_table_hides(monkeypatch):
    """A funnel point is its district's count (rate x population): a district shown as [c] in the table is not on
    the funnel, and the districts' hidden counts are never the only one of their column (the funnel's force average
    is their total)."""
    at = run("pages/geography.py", "scrutiny", monkeypatch)
    at.selectbox(key="geo_group").set_value("Asian").run()
    assert not at.exception and not at.error
    table = next(f.value for f in at.dataframe if "District" in f.value.columns)
    events = table["Asian children (events)"]
    hidden_districts = set(table.loc[events.astype(str) == suppression.SUPPRESSED, "District"])
    assert len(hidden_districts) >= 2, "the sample's Asian children are few in some districts"
    funnel = next(f for f in figures(at)
                  if "per 1,000 children per year by district" in json.dumps(f["layout"].get("title")))
    on_funnel = {text.split("</b>")[0].removeprefix("<b>") for trace in funnel["data"]
                 for text in (trace.get("hovertext") or []) if text}
    assert on_funnel, "the funnel shows the districts whose counts are not hidden"
    assert not on_funnel & hidden_districts
    assert not recoverable(events.to_frame(), columns_add_up=True)


def test_outcome_mix_hides_no_lone_segment(monkeypatch, sample_store):
    """Each bar of the outcome mix is 100 % of the group's concluded records: a bar missing exactly one segment
    would give it away (100 % minus the others). Compared with the perturbed counts the scrutiny role is served."""
    at = run("pages/outcomes.py", "scrutiny", monkeypatch, WIDE_SMALL)
    mix = next(f for f in figures(at) if "How concluded" in json.dumps(f["layout"].get("title")))
    shown = {(group, trace["name"]) for trace in mix["data"] for group in trace.get("y", [])}
    filters = Filters(roles=("offender",), age_bands=("10-13",), sexes=("F",))
    served = sample_store.perturbed().outcome_mix(filters)
    served = served[served["records"] > 0]
    missing = served[[(g, o) not in shown for g, o in zip(served["ethnic_group"], served["outcome_group"],
                                                           strict=True)]]
    assert len(missing), "the slice has small outcome counts, so some segments are hidden"
    per_group = missing.groupby("ethnic_group").size()
    complete = served.groupby("ethnic_group").size()
    assert all(per_group[g] >= 2 or per_group[g] == complete[g] for g in per_group.index), per_group


def test_data_quality_hides_nothing_recoverable(monkeypatch):
    """The self/officer crosstab (its margins are the records by group) and the records by district (they add up to
    the records by role) leave no hidden count recoverable from their totals."""
    at = run("pages/data_quality.py", "scrutiny", monkeypatch, WIDE_SMALL)
    heatmap = next(f for f in figures(at) if "officer-defined group" in json.dumps(f["layout"]))
    cells = pd.DataFrame(heatmap["data"][0]["text"]).map(lambda v: v.replace(",", ""))
    assert hidden(cells), "the slice has small cells"
    assert not recoverable(cells, rows_add_up=True, columns_add_up=True)
    districts = next(f.value for f in at.dataframe if "District" in f.value.columns)
    assert not recoverable(districts[["Records"]], columns_add_up=True)
    assert not any("Agreement" in m.label for m in at.metric), "the agreement would give away the diagonal"


def test_stop_and_search_shows_scrutiny_no_small_count(with_searches, monkeypatch):
    """Searches are not perturbed (data.police.uk publishes them record by record) but a count of 1-4 is still
    [c] for scrutiny, and the age-range table (with its total column) leaves none recoverable. The analyst sees
    the small counts on the same page, so the scan is not vacuous."""
    at = run("pages/stop_search.py", "scrutiny", monkeypatch)
    assert not at.error and len(at.get("plotly_chart")) >= 5
    assert not small_anywhere(at), small_anywhere(at)[:10]
    ages = next(f.value for f in at.dataframe if "Total" in f.value.columns)
    assert hidden(ages), "the sample has age ranges with few searches of a group"
    assert not suppression.find_disclosures(ages.astype(object), col_total="Total")
    assert [m.value for m in at.metric if m.label == "Searches, aged 10-17"] == ["266"]
    analyst = run("pages/stop_search.py", "analyst", monkeypatch)
    assert small_anywhere(analyst)
    assert [m.value for m in analyst.metric if m.label == "Searches, aged 10-17"] == ["266"]
    assert schema.NOT_STATED in ages.columns
