"""Honest pages (issue 15, part 3) and errors without tracebacks (issue 14, point 8), run with AppTest.

Every page, as analyst and as scrutiny, is scanned for what a user must never read: "None", "nan"/"NaN"/"NaT"
(a missing value shows "–" with its reason), a raw ONS code (E06-E09 and eight digits: districts by name), and
an internal snake_case name (``age_band``, ``not_recorded``). Scanned: titles, headings, markdown, captions,
alerts, metrics, table column names and cells, the sidebar's notes. Not scanned: a markdown link's target (a
URL's query string), an icon's name (``:material/open_in_new:`` is drawn as the icon) and text in backticks (a
command or file name to type, shown as code). The data contract's column names (``area_code``...) are allowed:
a rejected row's reason names the column of the extract to correct. The audit log's cells, the record of each
query as made, are not scanned.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access, schema
from tests.guards import STEP_GUARD_S
from ui import errors, slicers
from ui.page import PAGES

ROOT = Path(__file__).resolve().parents[1]
TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success")
MISSING_WORDS = re.compile(r"\b(None|nan|NaN|NaT)\b")
ONS_CODE = re.compile(r"E0[6-9]\d{6}")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CONTRACT_NAMES = set(schema.ALL_COLUMNS) | set(schema.RAW_IDENTIFIER_COLUMNS)
LINK_TARGET = re.compile(r"\]\([^)]*\)")
CODE_SPAN = re.compile(r"`[^`]*`")
ICON = re.compile(r":material/[a-z0-9_]+:")  # an icon's name, drawn as the icon
ERROR_SENTENCE = re.compile(r"Something went wrong on this page\. Quote error id ([0-9A-F]{4}-[0-9A-F]{4}) to your "
                            r"analyst team\.")


@pytest.fixture(scope="module", autouse=True)
def _app_data(app_data):
    return app_data


def run(path: str, role: str, monkeypatch, query: dict[str, str] | None = None) -> AppTest:
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", role)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)
    if query:
        at.query_params.update(query)
    if path != "dashboard.py":
        at.switch_page(path)
    return at.run()


def shown_strings(at: AppTest, path: str) -> list[str]:
    """Every string the page puts on screen, as the user reads it."""
    found = [str(e.value) for kind in TEXT_KINDS for e in getattr(at, kind)]
    found += [f"{m.label} {m.value}" for m in at.metric]
    for frame in at.dataframe:
        table = frame.value
        found += [str(c) for c in table.columns] + [str(n) for n in (table.index.name, table.columns.name) if n]
        if path != "pages/audit_log.py":
            found += [str(v) for v in table.to_numpy().ravel()]
    return found


def readable(text: str) -> str:
    """The text as read on screen: no link targets, icon names or code spans."""
    return ICON.sub("", CODE_SPAN.sub("", LINK_TARGET.sub("]", text)))


def leaks(strings: list[str]) -> list[str]:
    hits = []
    for text in map(readable, strings):
        hits += [f"missing value {m!r} in {text[:120]!r}" for m in MISSING_WORDS.findall(text)]
        hits += [f"ONS code {m} in {text[:120]!r}" for m in ONS_CODE.findall(text)]
        hits += [f"internal name {m} in {text[:120]!r}" for m in SNAKE.findall(text) if m not in CONTRACT_NAMES]
    return hits


def openable(role: str) -> list[str]:
    return [p for p, _, _ in PAGES if access.can_open(role, p)]


@pytest.mark.parametrize("role", ["analyst", "scrutiny"])
@pytest.mark.parametrize("path", [p for p, _, _ in PAGES], ids=[Path(p).stem for p, _, _ in PAGES])
def test_no_missing_value_code_or_internal_name_reaches_the_screen(path, role, monkeypatch):
    if path not in openable(role):
        pytest.skip(f"{role} cannot open {path}")
    at = run(path, role, monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    assert leaks(shown_strings(at, path)) == []


def test_a_small_district_selection_shows_districts_by_name_and_no_missing_values(monkeypatch):
    """One district, offenders aged 10-13, girls: groups with no children, so ratios and intervals are missing."""
    query = {"role": "offender", "area": "E07000148", "age": "10-13", "sex": "F"}
    for path in ("pages/geography.py", "pages/disproportionality.py", "pages/data_quality.py"):
        at = run(path, "scrutiny", monkeypatch, query)
        assert not at.exception, [e.message for e in at.exception]
        summary = [c.value for c in at.caption if c.value.startswith("**Filters:**")]
        assert summary and "district: Norwich" in summary[0], summary
        assert leaks(shown_strings(at, path)) == [], path


def test_the_leak_scan_finds_what_it_looks_for():
    """The scan itself: each kind of leak in a sentence is found; plain words, links and commands are not."""
    assert len(leaks(["0.00 to nan", "None", "district: E07000148", "by age_band", "not_recorded"])) == 5
    assert leaks(["Norwich: 0.85 to 1.20", "[Open](/trends?area=E07000148)", "run `make sample_data`",
                  "unknown area_code (not in the population table)", "– (not estimable)"]) == []


def test_data_quality_states_a_gap_to_the_target_in_percentage_points(monkeypatch):
    """'−26 %' read as a relative fall; the gap between two percentages is in percentage points. Each role's
    delta is its share in the table below (one decimal) minus the 90 % target, rounded to a whole point; the
    caption above the metrics names the target. Roles are named as everywhere else (Victims, not 'victim'), in the
    product's order, in the metrics, the table and the monthly chart's legend."""
    at = run("pages/data_quality.py", "analyst", monkeypatch)
    by_role = next(f.value for f in at.dataframe if "Role" in f.value.columns)
    assert list(by_role["Role"]) == ["Victims", "Suspects", "Offenders"]
    target = round(100 * schema.ETHNICITY_COMPLETENESS_TARGET)
    assert any(f"the {target} % target in percentage points" in c.value for c in at.caption)
    for role, stated in zip(by_role["Role"], by_role["Self-defined stated"], strict=True):
        expected = f"{round(float(stated.rstrip('%')) - target):+d} percentage points"
        deltas = [m.proto.delta for m in at.metric if m.label == f"{role}: self-defined ethnicity"]
        assert deltas == [expected], (role, stated, deltas)
    monthly = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "by month" in c.proto.spec)
    assert [trace["name"] for trace in monthly["data"] if trace.get("mode") == "lines+markers"] == [
        "Victims", "Suspects", "Offenders"]


# --------------------------------------------------------------------------------------------
# Each page says which sidebar slicers it uses
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [p for p, _, _ in PAGES], ids=[Path(p).stem for p, _, _ in PAGES])
def test_every_page_says_which_slicers_it_uses(path, monkeypatch):
    at = run(path, "analyst", monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    notes = [c.value for c in at.sidebar.caption if "used on this page" in c.value]
    assert len(notes) == 1, [c.value for c in at.sidebar.caption]


def test_a_set_slicer_the_page_does_not_use_is_named_in_a_warning(monkeypatch):
    """Journeys count every role of a child; Outcomes count every concluded outcome (its own choice of outcomes)."""
    at = run("pages/journeys.py", "analyst", monkeypatch, {"role": "suspect"})
    assert [w.value for w in at.warning if w.value.startswith("Set in the sidebar but not used on this page: Role.")]
    at = run("pages/outcomes.py", "analyst", monkeypatch, {"outcome": "22"})
    assert [w.value for w in at.warning if w.value.startswith("Set in the sidebar but not used on this page: Outcome")]
    at = run("pages/outcomes.py", "analyst", monkeypatch)
    assert not [w.value for w in at.warning if w.value.startswith("Set in the sidebar but not used")]


def test_the_outcomes_mix_ignores_the_outcome_filter_like_the_rest_of_the_page(monkeypatch):
    """With "Outcome 22 only" the stacked bar was 100 % outcome 22 while the shares ignored the filter: now the
    page's every figure counts every concluded outcome, so the bar is the same with and without the filter."""
    def mix_traces(at: AppTest) -> list[str]:
        import json
        specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        mix = [s for s in specs if "How concluded" in str(s.get("layout", {}).get("title"))]
        assert len(mix) == 1
        return sorted(trace["name"] for trace in mix[0]["data"])

    unfiltered = mix_traces(run("pages/outcomes.py", "analyst", monkeypatch))
    filtered = mix_traces(run("pages/outcomes.py", "analyst", monkeypatch, {"outcome": "22"}))
    assert filtered == unfiltered
    assert len(unfiltered) > 1


@pytest.mark.parametrize("path", ["dashboard.py", "pages/disproportionality.py", "pages/geography.py",
                                  "pages/crime_types.py", "pages/trends.py"])
def test_an_outcome_filter_on_population_rates_points_to_the_decision_point_ratio(path, monkeypatch):
    at = run(path, "analyst", monkeypatch, {"outcome": "22"})
    assert not at.exception, [e.message for e in at.exception]
    assert [i.value for i in at.info if i.value == slicers.DECISION_POINT_NOTE]
    assert [link for link in at.main.get("page_link") if link.proto.page == "outcomes"
            and "decision-point ratio" in link.proto.label]
    at = run(path, "analyst", monkeypatch)
    assert not [i.value for i in at.info if i.value == slicers.DECISION_POINT_NOTE]


def test_a_slicer_declaration_names_only_sidebar_slicers():
    with pytest.raises(ValueError, match="unknown slicer: roles_typo"):
        slicers.Uses(("roles_typo",))
    assert slicers.Uses.only("confidence").unused_labels() == [
        label for name, label in slicers.LABELS.items() if name != "confidence"]


# --------------------------------------------------------------------------------------------
# An unexpected error: an id for the user, the traceback in the server's log
# --------------------------------------------------------------------------------------------
def test_an_unexpected_error_shows_an_id_and_logs_the_traceback_under_it(monkeypatch, caplog):
    from ui import cached

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail /srv/monitor/internal.py line 7")

    monkeypatch.setattr(cached, "rates_by_role", broken)
    with caplog.at_level(logging.ERROR, logger=errors.LOGGER.name):
        at = run("dashboard.py", "analyst", monkeypatch)
    assert not at.exception  # Streamlit's own exception element (message and traceback) is not on the page
    sentences = [e.value for e in at.error if ERROR_SENTENCE.fullmatch(e.value)]
    assert len(sentences) == 1, [e.value for e in at.error]
    error_id = ERROR_SENTENCE.fullmatch(sentences[0]).group(1)  # type: ignore[union-attr]
    on_screen = " ".join(str(e.value) for kind in TEXT_KINDS for e in getattr(at, kind))
    assert "secret detail" not in on_screen and "Traceback" not in on_screen and "RuntimeError" not in on_screen
    logged = [r for r in caplog.records if r.name == errors.LOGGER.name and error_id in r.getMessage()]
    assert len(logged) == 1
    text = logging.Formatter().format(logged[0])
    assert "RuntimeError: secret detail /srv/monitor/internal.py line 7" in text and "Traceback" in text


def test_error_ids_are_short_and_differ():
    ids = {errors.new_error_id() for _ in range(50)}
    assert len(ids) == 50 and all(re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", i) for i in ids)


def test_each_finding_starts_with_its_verdict_in_words(monkeypatch):
    """The Overview's findings lead with the verdict ("Too few to compare", not "Too" cut at the first space)."""
    from ui.findings import VERDICT_WORDS

    at = run("dashboard.py", "analyst", monkeypatch)
    leads = {m.group(1) for e in at.markdown for m in re.finditer(r"^- \*\*(.+?)\.\*\* ", str(e.value), re.MULTILINE)}
    assert leads and leads <= set(VERDICT_WORDS.values()), leads


@pytest.mark.slow  # builds its own database with the stop-and-search sample (about 30 s)
def test_the_stop_and_search_page_with_searches_shows_no_missing_value_code_or_internal_name(with_searches,
                                                                                            monkeypatch):
    for role in ("analyst", "scrutiny"):
        at = run("pages/stop_search.py", role, monkeypatch)
        assert not at.exception, [e.message for e in at.exception]
        assert at.dataframe, "the page shows its tables"
        assert leaks(shown_strings(at, "pages/stop_search.py")) == [], role


def test_the_pack_names_a_chosen_district(sample_store):
    """The pack's cover and methods annex state the filters with the district's name, not its ONS code."""
    from datetime import date

    from analytics import report
    from analytics.filters import Filters

    pack = report.build_pack(sample_store, date(2026, 9, 1), "scrutiny", Filters(areas=("E07000148",)))
    assert pack.html.count("district: Norwich") == 2
    assert "district: E07000148" not in pack.html


# --------------------------------------------------------------------------------------------
# Months in words
# --------------------------------------------------------------------------------------------
def test_month_name_reads_any_month_in_words():
    from datetime import date

    import pandas as pd

    from analytics.periods import month_name

    assert month_name(date(2026, 9, 1)) == month_name("2026-09") == month_name("2026-09-30") == "September 2026"
    assert month_name(pd.Timestamp("2026-09-01"), "%b %Y") == "Sep 2026"
    assert month_name(None) == month_name("") == month_name(float("nan")) == month_name(pd.NaT) == ""


@pytest.mark.parametrize("role", ["analyst", "scrutiny"])
def test_what_needs_attention_shows_months_in_words(role, monkeypatch):
    """'signalling since 2026-09' read as a code (and, to scrutiny, a bare '09' as a count): months in words."""
    at = run("pages/attention.py", role, monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    text = [readable(s) for s in shown_strings(at, "pages/attention.py")]
    assert [t for t in text if re.search(r"\b20\d\d-\d\d\b(?!-\d)", t) and "ata version" not in t] == []
    if role == "analyst":
        assert [t for t in text if re.search(r"signalling since (January|February|March|April|May|June|July|August|"
                                             r"September|October|November|December) 20\d\d", t)]


# --------------------------------------------------------------------------------------------
# Labels follow the counting unit (issue 15, part 3)
# --------------------------------------------------------------------------------------------
#: What says children are counted (wrong when records are) and what says records are (wrong when children are).
#: "per 1,000 children" (the population) and a group's name ("Black children: ratio to White") are neither.
SAYS_CHILDREN = re.compile(r"\b(?:Distinct children|children counted|Children recorded as|children whose ethnicity|"
                           r"children as (?:victims|suspects|offenders))\b|^[A-Z]\w* children \(events\)|^Children$")
SAYS_RECORDS = re.compile(r"\b(?:Records of (?:victims|suspects|offenders|[A-Z]\w+ children)|records counted|"
                          r"records whose ethnicity)\b|^Records$")
#: The pages whose "Not used on this page" does not list Count (seen on 2 December 2026; the other pages count
#: one fixed unit and say so).
UNIT_PAGES = ["dashboard.py", "pages/disproportionality.py", "pages/geography.py", "pages/crime_types.py",
              "pages/trends.py", "pages/monthly_pack.py", "pages/about.py"]


def unit_strings(at: AppTest) -> list[str]:
    """Headings, text, captions, metric labels, table headers and every chart's title, axis titles and legend."""
    found = [str(e.value) for kind in TEXT_KINDS for e in getattr(at, kind)] + [m.label for m in at.metric]
    found += [str(c) for frame in at.dataframe for c in frame.value.columns]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        layout = spec.get("layout", {})
        found += [str((layout.get(key) or {}).get("title", {}).get("text", "")) for key in ("xaxis", "yaxis")]
        found += [str(layout.get("title", {}).get("text", ""))]
        found += [str(t["name"]) for t in spec.get("data", []) if t.get("name") and t.get("showlegend", True)]
    return [" ".join(re.sub(r"<[^>]+>", " ", s).split()) for s in found]


@pytest.mark.parametrize("path", UNIT_PAGES, ids=[Path(p).stem for p in UNIT_PAGES])
def test_no_label_names_the_other_counting_unit(path, monkeypatch):
    """Counting records, no heading, caption, metric, table header or chart title, axis or legend says children are
    counted ('Distinct children', 'children counted', 'Black children (events)', a 'Children' column), and counting
    children none says records are."""
    for unit, wrong in (("records", SAYS_CHILDREN), ("persons", SAYS_RECORDS)):
        at = run(path, "analyst", monkeypatch, {"count": unit})
        assert not at.exception, [e.message for e in at.exception]
        assert [s for s in unit_strings(at) if wrong.search(s)] == [], (path, unit)


@pytest.mark.parametrize("path", ["dashboard.py", "pages/geography.py"])
def test_the_counting_unit_scan_is_not_vacuous(path, monkeypatch):
    """The same scan finds the counting unit named where it should be: records when records are counted, children
    when children are (Overview's metrics and table, Geography's table and funnel title)."""
    for unit, right in (("records", SAYS_RECORDS), ("persons", SAYS_CHILDREN)):
        assert [s for s in unit_strings(run(path, "analyst", monkeypatch, {"count": unit})) if right.search(s)]


def test_the_overview_states_when_the_data_were_loaded_in_words(monkeypatch):
    """'Loaded 2026-12-02T08:27:14+00:00' read as a code to a scrutiny member: the time is in words, to the minute,
    with its zone."""
    at = run("dashboard.py", "scrutiny", monkeypatch)
    line = next(m.value for m in at.markdown if m.value.startswith("**Period:**"))
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d", line)
    assert re.search(r"\*\*Loaded\*\* \d{2} (January|February|March|April|May|June|July|August|September|October|"
                     r"November|December) \d{4}, \d{2}:\d{2} UTC from", line), line
