"""App tier: every dashboard page run headless with ``streamlit.testing.v1.AppTest`` on the sample data.

AppTest runs one page at a time. A page in ``pages/`` is reached the way a real session reaches it:
the app is built from the entry point (``dashboard.py``) and then switched to the page, so the
navigation's ``st.page_link`` paths resolve relative to the entry point exactly as under
``streamlit run`` (building the app from ``pages/x.py`` makes ``pages/`` the app root and every link
fails). Figures on screen are checked against the analytics layer computed independently, straight
from ``analytics.store.Store``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import disparity, schema
from analytics.filters import Filters
from analytics.store import Store
from tests.browser_support import visible_pages
from tests.guards import STEP_GUARD_S
from ui import state
from ui.page import PAGES

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "dashboard.py"
TIMEOUT = STEP_GUARD_S  # a hang guard per script run (a page on the sample data takes well under 2 s)
PAGE_IDS = [Path(path).stem for path, _, _ in PAGES]
NORWICH = "E07000148"
#: Pages that show no data-dependent figures, so an empty filter has nothing to say there.
STATIC_PAGES = {"pages/about.py", "pages/audit_log.py",
                "pages/attention.py"}  # the alerts cover the whole grid whatever the slicers say (issue 16)
NOTHING_MATCHES = re.compile(r"no (records|children|data|rows|stops|searches)\b.*match|nothing (matches|to show)"
                             r"|no records", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _app_data(app_data):
    """Every test here runs against the sample database (``conftest.app_data``)."""
    return app_data


@pytest.fixture(scope="module")
def store(app_data) -> Store:
    return Store(app_data)


def require_page(path: str) -> None:
    """Every page listed in the navigation must exist (the navigation itself fails otherwise)."""
    if not (ROOT / path).is_file():
        pytest.fail(f"{path} is listed in ui.page.PAGES but does not exist: the navigation's st.page_link "
                    "raises on every page until it does")


def open_page(path: str, query: dict[str, str] | None = None) -> AppTest:
    """Run ``path`` as a fresh session would: entry point first, then the page (query = the URL's)."""
    require_page(path)
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    if path != "dashboard.py":
        at.switch_page(path)
    return at.run()


def assert_no_exception(at: AppTest, what: str) -> None:
    if at.exception:
        details = "\n\n".join(f"{e.message}\n" + "\n".join(e.stack_trace or []) for e in at.exception)
        pytest.fail(f"{what} raised:\n{details}")


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def filter_summary(at: AppTest) -> str:
    lines = [c for c in texts(at, "caption") if c.startswith("**Filters:**")]
    assert len(lines) == 1, f"expected one filter summary line, found {len(lines)}"
    return lines[0]


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric labelled {label!r}; metrics: {[m.label for m in at.metric]}"
    return found[0]


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    for frame in at.dataframe:
        value = frame.value
        if all(c in value.columns for c in columns):
            return value
    pytest.fail(f"no table with columns {columns}; tables: {[list(f.value.columns) for f in at.dataframe]}")


def empty_day(store: Store, area: str) -> date:
    """A day inside the data's period on which nothing at all was recorded in ``area`` (any role: the
    Overview counts every role whatever the role slicer says)."""
    first, last = store.period()
    assert first is not None and last is not None, "the sample has records"
    day = first
    while day <= last:
        found = store.counts(Filters(areas=(area,), date_from=day, date_to=day), ())
        if not len(found) or found["events"].sum() == 0:
            return day
        day += timedelta(days=1)
    pytest.fail(f"every day of the sample has a record in {area}; choose another empty filter")


# --------------------------------------------------------------------------------------------
# Every page renders
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [p for p, _, _ in PAGES], ids=PAGE_IDS)
def test_page_renders_with_no_filters(path):
    at = open_page(path)
    assert_no_exception(at, f"{path} with no filters")
    navigation = [link for link in at.sidebar.get("page_link")]
    assert len(navigation) == len(visible_pages()), "the navigation lists every page the role may open"
    assert at.title, f"{path} shows no title"
    summary = filter_summary(at)
    assert "counting distinct children" in summary and "reference White" in summary
    assert not at.query_params, f"with no filters the URL carries no parameters, got {at.query_params}"
    assert not at.error, f"{path} shows an error: {texts(at, 'error')}"


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES], ids=PAGE_IDS)
def test_page_renders_when_the_filter_leaves_nothing(path, store):
    day = empty_day(store, NORWICH)
    query = {"role": "victim", "area": NORWICH, "from": day.isoformat(), "to": day.isoformat()}
    at = open_page(path, query)
    assert_no_exception(at, f"{path} with a filter that leaves nothing ({query})")
    assert not at.error, f"{path} shows an error: {texts(at, 'error')}"
    summary = filter_summary(at)
    assert f"{day} to {day}" in summary and "district: Norwich" in summary and "role: victim" in summary
    if path in STATIC_PAGES:
        return
    messages = texts(at, "info") + texts(at, "warning") + texts(at, "markdown")
    assert any(NOTHING_MATCHES.search(m) for m in messages), (
        f"{path} does not say that nothing matches; info/warning: {texts(at, 'info') + texts(at, 'warning')}")


# --------------------------------------------------------------------------------------------
# Slicers change the figures to what the analytics layer computes
# --------------------------------------------------------------------------------------------
def test_overview_counts_follow_the_district_slicer(store):
    at = open_page("dashboard.py")
    everyone = store.counts(Filters(), ("role",)).set_index("role")["events"]
    assert metric(at, "Distinct children as suspects") == f"{int(everyone['suspect']):,}"

    at.multiselect(key=state.widget_key("areas")).set_value([NORWICH]).run()
    assert_no_exception(at, "the Overview after choosing Norwich")
    norwich = store.counts(Filters(areas=(NORWICH,)), ("role",)).set_index("role")["events"]
    for role in schema.ROLES:
        assert metric(at, f"Distinct children as {role}s") == f"{int(norwich[role]):,}", role
    assert norwich["suspect"] != everyone["suspect"]
    assert at.query_params.get("area") == NORWICH, "the choice is reflected in the URL"
    assert "district: Norwich" in filter_summary(at)


def test_overview_headline_verdict_matches_the_analytics_layer(store):
    at = open_page("dashboard.py")
    shown = table_with(at, "Role", "Group", "Verdict")
    labels = {"higher": "Higher", "similar": "No clear difference", "lower": "Lower", "not_estimable": "Not estimable"}
    for role in schema.ROLES:
        expected = disparity.population_rates(store, Filters(roles=(role,))).table.set_index("group")
        rows = shown[shown["Role"] == schema.ROLE_NAMES[role]].set_index("Group")
        assert len(rows) == 4, f"{role}: every stated group is compared with White"
        for group in rows.index:
            assert rows.loc[group, "Verdict"] == labels[expected.loc[group, "verdict"]], (
                f"{role} {group}: ratio {expected.loc[group, 'ratio']:.2f}, "
                f"adjusted p {expected.loc[group, 'p_adjusted']:.2g}")


def test_overview_counts_follow_the_counting_unit(store):
    at = open_page("dashboard.py")
    at.radio(key=state.widget_key("counting_unit")).set_value("records").run()
    assert_no_exception(at, "the Overview counting records")
    records = store.counts(Filters(counting_unit="records"), ("role",)).set_index("role")["events"]
    assert metric(at, "Records of suspects") == f"{int(records['suspect']):,}"
    assert at.query_params.get("count") == "records"


def _ratio(frame: pd.DataFrame, group: str) -> float:
    rows = frame[frame["Group"] == group]
    assert len(rows) == 1, f"one {group} row expected, got {len(rows)}"
    return float(rows["Ratio"].iloc[0])


def test_disproportionality_ratio_equals_the_analytics_layer(store):
    at = open_page("pages/disproportionality.py")
    assert_no_exception(at, "Disproportionality")
    expected = disparity.population_rates(store, Filters()).table.set_index("group")
    assert _ratio(table_with(at, "Group", "Ratio"), "Black") == pytest.approx(round(expected["ratio"]["Black"], 2))

    at.multiselect(key=state.widget_key("areas")).set_value([NORWICH]).run()
    at.multiselect(key=state.widget_key("roles")).set_value(["suspect"]).run()
    assert_no_exception(at, "Disproportionality for Norwich suspects")
    chosen = Filters(areas=(NORWICH,), roles=("suspect",))
    expected = disparity.population_rates(store, chosen).table.set_index("group")
    shown = table_with(at, "Group", "Ratio")
    for group in ("Black", "Asian", "Mixed"):
        assert _ratio(shown, group) == pytest.approx(round(expected["ratio"][group], 2)), group
    assert "White (reference)" in set(shown["Group"])
    assert at.query_params.get("area") == NORWICH and at.query_params.get("role") == "suspect"


def test_reference_group_slicer_changes_the_ratios(store):
    at = open_page("pages/disproportionality.py", {"reference": "Asian"})
    assert_no_exception(at, "Disproportionality against Asian children")
    expected = disparity.population_rates(store, Filters(reference_group="Asian")).table.set_index("group")
    shown = table_with(at, "Group", "Ratio")
    assert _ratio(shown, "Black") == pytest.approx(round(expected["ratio"]["Black"], 2))
    assert "Asian (reference)" in set(shown["Group"])


# --------------------------------------------------------------------------------------------
# State across pages, the URL, buttons
# --------------------------------------------------------------------------------------------
def test_filter_survives_a_page_change(store):
    at = open_page("dashboard.py")
    at.multiselect(key=state.widget_key("areas")).set_value([NORWICH]).run()
    at.switch_page("pages/disproportionality.py").run()
    assert_no_exception(at, "Disproportionality after choosing Norwich on the Overview")
    assert at.title[0].value == "Disproportionality"
    assert at.multiselect(key=state.widget_key("areas")).value == [NORWICH]
    assert "district: Norwich" in filter_summary(at)
    assert at.query_params.get("area") == NORWICH
    expected = disparity.population_rates(store, Filters(areas=(NORWICH,))).table.set_index("group")
    assert _ratio(table_with(at, "Group", "Ratio"), "Black") == pytest.approx(round(expected["ratio"]["Black"], 2))
    at.switch_page("dashboard.py").run()
    assert at.multiselect(key=state.widget_key("areas")).value == [NORWICH], "and back again"


def test_deep_link_sets_every_slicer():
    query = {"from": "2024-01-01", "to": "2024-12-31", "role": "suspect", "age": "14-15,16-17", "sex": "M",
             "area": NORWICH, "offence": "Robbery", "outcome": "22", "count": "records", "reference": "Asian",
             "knife_crime": "only", "syv": "1", "conf": "0.998"}
    at = open_page("pages/disproportionality.py", query)
    assert_no_exception(at, "a deep link with every slicer")
    assert not at.warning or not any("Ignored" in w for w in texts(at, "warning"))
    assert at.multiselect(key=state.widget_key("age_bands")).value == ["14-15", "16-17"]
    assert at.radio(key=state.widget_key("confidence")).value == 0.998
    assert at.selectbox(key=state.widget_key("reference_group")).value == "Asian"
    assert at.toggle(key=state.widget_key("serious_youth_violence_only")).value is True
    summary = filter_summary(at)
    for part in ("2024-01-01 to 2024-12-31", "role: suspect", "offence: Robbery", "outcome: 22",
                 "serious youth violence only", "reference Asian", "99.8 % confidence", "counting records"):
        assert part in summary, part
    assert at.query_params == query, "the URL reproduces the view"


def test_deep_link_with_unknown_values_reports_them():
    at = open_page("dashboard.py", {"area": f"{NORWICH},E99999999", "role": "witness", "conf": "0.5"})
    assert_no_exception(at, "a deep link with unknown values")
    warnings = " ".join(texts(at, "warning"))
    assert "area=E99999999" in warnings and "role=witness" in warnings and "conf=0.5" in warnings
    assert at.multiselect(key=state.widget_key("areas")).value == [NORWICH]


@pytest.mark.parametrize("dates", [("2001-01-01", "2099-12-31"), ("2024-06-30", "2024-01-01")],
                         ids=["outside-the-data", "reversed"])
def test_deep_link_with_impossible_dates(dates):
    """A shared link whose dates the data cannot satisfy (a later extract starts later; a hand-edited
    link) must still open: the dates are clamped or reported, never an exception."""
    at = open_page("dashboard.py", {"from": dates[0], "to": dates[1]})
    assert_no_exception(at, f"a deep link with from={dates[0]} to={dates[1]}")
    assert not at.error


def test_outcome_22_button_and_reset():
    at = open_page("dashboard.py")
    at.button[[b.label for b in at.button].index("Outcome 22 only")].click().run()
    assert at.multiselect(key=state.widget_key("outcome_codes")).value == ["22"]
    assert "outcome: 22" in filter_summary(at)
    at.multiselect(key=state.widget_key("areas")).set_value([NORWICH]).run()
    at.button[[b.label for b in at.button].index("Reset all filters")].click().run()
    assert_no_exception(at, "reset")
    assert at.multiselect(key=state.widget_key("areas")).value == []
    assert at.multiselect(key=state.widget_key("outcome_codes")).value == []
    assert not at.query_params


# --------------------------------------------------------------------------------------------
# Stop and search with its data loaded (the shared sample database has none)
# --------------------------------------------------------------------------------------------
def test_stop_and_search_page_with_searches_loaded(with_searches):
    at = open_page("pages/stop_search.py")
    assert_no_exception(at, "Stop and search with the data.police.uk sample loaded")
    assert not at.error
    assert len(at.get("plotly_chart")) >= 2
    assert any(m.label == "Searches in view" and m.value != "0" for m in at.metric)
    at.selectbox(key=state.widget_key("reference_group")).set_value("Asian").run()
    assert_no_exception(at, "Stop and search against Asian children")


def test_outcomes_page_states_and_switches_the_decision_denominator(store):
    """Issue 13 point 7: the Outcomes page defaults to the cases where diversion was an option, says so beside the
    chart, and its "Out of" selector gives the all-concluded-outcomes view (each equal to the analytics layer)."""
    at = open_page("pages/outcomes.py")
    assert_no_exception(at, "Outcomes")
    suspects = Filters(roles=("suspect",))
    for denominator in ("live", "all"):
        if denominator == "all":
            at.radio(key="decision_denominator").set_value("all").run()
            assert_no_exception(at, "Outcomes out of all concluded cases")
        expected = disparity.decision_ratios(store, suspects, denominator=denominator)
        shown = table_with(at, "Group", "Ratio", "Denominator")
        black = float(expected.table.set_index("group")["ratio"].to_dict()["Black"])
        assert _ratio(shown, "Black") == pytest.approx(round(black, 2)), denominator
        assert any(c.startswith(f"Denominator: {expected.denominator}.") for c in texts(at, "caption")), denominator
    assert at.radio(key="decision_denominator").value == "all"
