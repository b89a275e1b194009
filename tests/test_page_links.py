"""Page-level controls kept in the URL like the sidebar's slicers (issue 15, part 9): a link with ``split``,
``adjust``, ``groups``, ``detail_ref``, ``partner_group``, ``map_group``, ``map``, ``funnel``, ``partner_area``,
``out_of``, ``decision``, ``audience``, ``month`` or the stop-and-search ``ss_*`` slicers opens the page with that
control set, a
control changed on the page is written to the URL (left out at its default), and an unknown value is reported and
dropped, never passed on."""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_scrutiny_pages import run

pytestmark = pytest.mark.usefixtures("app_data")


def test_a_link_sets_the_disproportionality_split_and_adjustment(monkeypatch):
    at = run("pages/disproportionality.py", "analyst", monkeypatch,
             {"split": "age_band", "adjust": "area,sex", "role": "suspect"})
    assert at.selectbox(key="disp_split").value == "age_band"
    assert at.multiselect(key="disp_strata").value == ["area", "sex"]
    table = next(f.value for f in at.dataframe if "Split" in f.value.columns)
    assert set(table["Split"]) >= {"10-13", "14-15", "16-17"}
    assert at.query_params["split"] == "age_band" and at.query_params["adjust"] == "area,sex"
    assert at.query_params["role"] == "suspect", "the sidebar's slicers stay in the link beside the page's"


def test_a_control_changed_on_the_page_goes_into_the_url(monkeypatch):
    at = run("pages/geography.py", "analyst", monkeypatch)
    assert "map_group" not in at.query_params, "a control at its default is left out of the link"
    at.selectbox(key="geo_group").set_value("Asian").run()
    at.radio(key="geo_value").set_value("rate").run()
    assert at.query_params["map_group"] == "Asian" and at.query_params["map"] == "rate"
    link = {key: str(value) for key, value in at.query_params.items()}
    again = run("pages/geography.py", "analyst", monkeypatch, link)  # the link reproduces the view
    assert again.selectbox(key="geo_group").value == "Asian" and again.radio(key="geo_value").value == "rate"
    title = "Asian children: rate per 1,000 children per year by district"  # annual rates (issue 13, point 5)
    assert title in str(again.get("plotly_chart")[0].proto.spec)
    again.selectbox(key="geo_group").set_value("Black").run()
    assert "map_group" not in again.query_params


def test_clearing_a_multiselect_is_kept_in_the_link(monkeypatch):
    at = run("pages/disproportionality.py", "analyst", monkeypatch)
    at.multiselect(key="disp_strata").set_value([]).run()
    assert at.query_params["adjust"] == "none"
    again = run("pages/disproportionality.py", "analyst", monkeypatch, {"adjust": "none"})
    assert again.multiselect(key="disp_strata").value == []


@pytest.mark.parametrize(("query", "shown"), [({"split": "postcode"}, "split=postcode"),
                                              ({"out_of": "everything"}, "out_of=everything")])
def test_an_unknown_link_value_is_reported_and_dropped(query, shown, monkeypatch):
    page = "pages/disproportionality.py" if "split" in query else "pages/outcomes.py"
    at = run(page, "analyst", monkeypatch, query)
    assert any(shown in w.value for w in at.warning), [w.value for w in at.warning]
    if "split" in query:
        assert at.selectbox(key="disp_split").value is None
    else:
        assert at.radio(key="decision_denominator").value in ("live", "all")


def test_the_pack_audience_link_cannot_lift_a_role(monkeypatch):
    """A link to the officers' edition gives an officer that edition; for scrutiny it is reported and ignored."""
    officer = run("pages/monthly_pack.py", "officer", monkeypatch, {"audience": "officers"})
    assert next(r for r in officer.radio if r.key == "pack_audience").value == "officers"
    assert officer.query_params["audience"] == "officers"
    scrutiny = run("pages/monthly_pack.py", "scrutiny", monkeypatch, {"audience": "officers"})
    assert next(r for r in scrutiny.radio if r.key == "pack_audience").value == "scrutiny"
    assert any("audience=officers" in w.value for w in scrutiny.warning)


def test_the_detailed_groups_view_from_a_link(monkeypatch):
    """Issue 15 point 8: ``groups=detailed`` opens the 18+1 view; ``detail_ref`` its reference group."""
    at = run("pages/disproportionality.py", "analyst", monkeypatch,
             {"groups": "detailed", "detail_ref": "B1", "role": "suspect"})
    assert at.radio(key="disp_view").value == "detailed"
    assert at.selectbox(key="disp_detail_reference").value == "B1"
    table = next(f.value for f in at.dataframe if "Group" in f.value.columns)
    assert "Black: Caribbean (reference)" in set(table["Group"])
    assert {"Black: African", "White: Gypsy or Irish Traveller", "Not stated / officer-defined only"} <= set(
        table["Group"])
    assert any("self-defined codes only" in i.value for i in at.info)
    at.radio(key="disp_view").set_value("five").run()
    assert "groups" not in at.query_params, "the default view is left out of the link"
    assert "detail_ref" not in at.query_params, "the detailed reference is kept only while its view is shown"


def test_scrutiny_sees_no_small_count_in_the_detailed_view(monkeypatch):
    from tests.test_scrutiny_pages import small_cells

    at = run("pages/disproportionality.py", "scrutiny", monkeypatch,
             {"groups": "detailed", "role": "suspect", "area": "E07000145"})
    table = next(f.value for f in at.dataframe if "Group" in f.value.columns)
    assert (table["Events"] == "[c]").any(), "Great Yarmouth's suspects have detailed groups of 1-4 children"
    assert small_cells(at) == []


# Issue 15 part 9, the rest of the page controls ---------------------------------------------------------------------
def test_a_link_sets_the_pack_month_and_a_changed_month_goes_into_the_url(monkeypatch):
    at = run("pages/monthly_pack.py", "officer", monkeypatch, {"month": "2026-03"})
    assert at.selectbox(key="pack_month").value == date(2026, 3, 1)
    assert at.query_params["month"] == "2026-03"
    at.selectbox(key="pack_month").set_value(date(2025, 12, 1)).run()
    assert at.query_params["month"] == "2025-12"
    latest = at.selectbox(key="pack_month").options[0]
    at.selectbox(key="pack_month").select_index(0).run()
    assert "month" not in at.query_params, f"the latest month ({latest}) is the default"


def test_a_link_sets_the_outcomes_counted_as_the_decision(monkeypatch):
    at = run("pages/outcomes.py", "analyst", monkeypatch, {"out_of": "all", "decision": "22,8"})
    assert at.radio(key="decision_denominator").value == "all"
    assert at.multiselect(key="outcome_codes_chosen_all").value == ["22", "8"]
    assert any("outcomes 22, 8" in s.value for s in [*at.header, *at.caption, *at.markdown]), "the view follows"
    at.multiselect(key="outcome_codes_chosen_all").set_value(["22"]).run()
    assert "decision" not in at.query_params, "outcome 22 alone is the default"
    at.multiselect(key="outcome_codes_chosen_all").set_value(["22", "21"]).run()
    assert at.query_params["decision"] == "22,21"


def test_the_partner_overlay_selects_are_kept_in_the_link(monkeypatch):
    at = run("pages/disproportionality.py", "analyst", monkeypatch, {"partner_group": "Mixed"})
    assert at.selectbox(key="disp_partner_group").value == "Mixed"
    at.selectbox(key="disp_partner_group").set_value("Asian").run()
    assert at.query_params["partner_group"] == "Asian"
    geo = run("pages/geography.py", "analyst", monkeypatch, {"partner_area": "E07000148"})
    assert geo.selectbox(key="geo_partner_area").value == "E07000148"
    geo.selectbox(key="geo_partner_area").set_value("E07000145").run()
    assert geo.query_params["partner_area"] == "E07000145"
    geo.selectbox(key="geo_partner_area").set_value("").run()
    assert "partner_area" not in geo.query_params, "the force area is the default"


def test_the_stop_and_search_filters_are_kept_in_the_link(with_searches, monkeypatch):
    at = run("pages/stop_search.py", "analyst", monkeypatch,
             {"ss_months": "2023-02,2023-05", "ss_age": "10-17,under 10", "ss_area": "nowhere"})
    assert at.select_slider(key="search_slicer_months").value == (date(2023, 2, 1), date(2023, 5, 1))
    assert at.multiselect(key="search_slicer_age_ranges").value == ["10-17", "under 10"]
    assert any("ss_area=nowhere" in w.value for w in at.warning), "an unknown value is reported and dropped"
    assert at.multiselect(key="search_slicer_areas").value == []
    assert at.query_params["ss_months"] == "2023-02,2023-05" and at.query_params["ss_age"] == "10-17,under 10"
    at.multiselect(key="search_slicer_age_ranges").set_value(["10-17"]).run()
    assert "ss_age" not in at.query_params, "10-17 alone is the default"
    at.select_slider(key="search_slicer_months").set_range(date(2023, 1, 1), date(2023, 6, 1)).run()
    assert "ss_months" not in at.query_params, "the whole period is the default"
