"""Page-level controls kept in the URL like the sidebar's slicers (issue 15, part 9): a link with ``split``,
``adjust``, ``map_group``, ``map``, ``funnel``, ``out_of`` or ``audience`` opens the page with that control set, a
control changed on the page is written to the URL (left out at its default), and an unknown value is reported and
dropped, never passed on."""

from __future__ import annotations

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
