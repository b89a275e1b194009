"""The partner overlay (issue 17, part 2): partner ratios recomputed from the raw files with pandas (not the
product's code), suppressed-at-source cells never zero, the planted partner disparity recovered, the police ratio
beside them, disclosure control for scrutiny, the pack's partners section and the two pages (AppTest)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from scipy import stats
from streamlit.testing.v1 import AppTest

from analytics import disparity
from analytics.filters import Filters
from analytics.load import load_extract
from analytics.partners import convert_dfe, load_indicators
from analytics.partners.overlay import overlay, partner_table, side_by_side
from analytics.report import build_pack
from analytics.store import PartnerStore, Store
from sample_data.partners import DFE_FILE, FTE_FILE, PARTNER_PLANTED, PARTNERS_DIR
from tests.conftest import SAMPLE_TODAY
from tests.guards import STEP_GUARD_S

DFE = PARTNERS_DIR / DFE_FILE
FTE = PARTNERS_DIR / FTE_FILE
ROOT = Path(__file__).resolve().parents[1]
YEARS = {"202122": "2021/22", "202223": "2022/23", "202324": "2023/24"}
DFE_GROUPS = {"Ethnicity Major White Total": "White", "Ethnicity Major Black Total": "Black",
              "Ethnicity Major Asian Total": "Asian", "Ethnicity Major Mixed Total": "Mixed",
              "Ethnicity Major Any Other Ethnic Group": "Other"}


@pytest.fixture(scope="module")
def partner_db(sample_files, tmp_path_factory) -> Path:
    extract, population = sample_files
    folder = tmp_path_factory.mktemp("partners")
    database = folder / "monitor.duckdb"
    load_extract(extract, database, population=population, today=SAMPLE_TODAY)
    load_indicators(convert_dfe(DFE, folder / DFE_FILE).out, database)
    load_indicators(FTE, database)
    return database


@pytest.fixture(scope="module")
def indicators(partner_db) -> pd.DataFrame:
    return PartnerStore(Store(partner_db)).indicators()


def n(value: object) -> int:
    """A count cell of a raw file read as text."""
    return int(str(value))


def raw_dfe() -> pd.DataFrame:
    raw = pd.read_csv(DFE, dtype=str, keep_default_na=False)
    raw = raw[(raw["geographic_level"] == "Local authority") & (raw["school_type"] == "Total")
              & raw["characteristic"].isin(list(DFE_GROUPS))]
    return raw.assign(group=raw["characteristic"].map(DFE_GROUPS), period=raw["time_period"].map(YEARS))


def test_suspension_ratios_equal_the_raw_file_and_recover_the_planted_disparity(indicators):
    result = partner_table(indicators, "suspension")
    assert result is not None
    raw = raw_dfe()
    z_squared = []
    for period, part in raw.groupby("period"):
        part = part.set_index("group")
        white = n(part.loc["White", "susp"]) / n(part.loc["White", "headcount"])
        for group in ("Black", "Mixed", "Asian", "Other"):
            expected = (n(part.loc[group, "susp"]) / n(part.loc[group, "headcount"])) / white
            shown = result.table[(result.table["split"] == period) & (result.table["group"] == group)].iloc[0]
            assert shown["ratio"] == pytest.approx(expected, rel=1e-9)
            assert 1000 * n(part.loc[group, "susp"]) / n(part.loc[group, "headcount"]) == pytest.approx(
                shown["rate"], rel=1e-9)
            truth = PARTNER_PLANTED["suspension"][group]
            assert shown["verdict"] == ("higher" if truth > 1 else "lower"), (period, group)
            # log rate ratio of two Poisson counts: standard error sqrt(1/a + 1/b) (Rothman, Modern Epidemiology)
            se = np.sqrt(1 / n(part.loc[group, "susp"]) + 1 / n(part.loc["White", "susp"]))
            z_squared.append(((np.log(expected) - np.log(truth)) / se) ** 2)
    # the 12 ratios agree with the planted ones: sum of z^2 against chi-squared with 12 df (the White count is
    # shared within a period, which makes the statistic conservative); 99.9 % point 32.9
    assert sum(z_squared) < stats.chi2.ppf(0.999, len(z_squared)), z_squared


def test_suppressed_at_source_is_not_estimable_never_zero(indicators):
    result = partner_table(indicators, "permanent_exclusion")
    assert result is not None
    raw = raw_dfe()
    for row in raw.itertuples():
        shown = result.table[(result.table["split"] == row.period) & (result.table["group"] == row.group)].iloc[0]
        if row.perm_excl == "c":
            assert shown["events"] == "c" and shown["verdict"] == "not_estimable"
            assert pd.isna(shown["rate"]) and pd.isna(shown["ratio"]) and bool(shown["source_suppressed"])
        else:
            assert shown["events"] == n(row.perm_excl)
            assert shown["rate"] == pytest.approx(100 * n(row.perm_excl) / n(row.headcount), rel=1e-9)
    assert any(raw["perm_excl"] == "c") and "Suppressed at source" in " ".join(result.notes)


def test_first_time_entrant_ratio_from_the_raw_file(indicators):
    raw = pd.read_csv(FTE, dtype=str, keep_default_na=False)
    year = raw[raw["period_start"] == "2023-04-01"].set_index("ethnic_group")
    expected = (n(year.loc["Mixed", "numerator"]) / n(year.loc["Mixed", "denominator"])) / (
        n(year.loc["White", "numerator"]) / n(year.loc["White", "denominator"]))
    result = partner_table(indicators, "first_time_entrant")
    assert result is not None
    shown = result.table[(result.table["split"] == "2023/24") & (result.table["group"] == "Mixed")].iloc[0]
    assert shown["ratio"] == pytest.approx(expected, rel=1e-9)
    assert shown["ratio_lower"] <= PARTNER_PLANTED["first_time_entrant"]["Mixed"] <= shown["ratio_upper"]
    assert result.area_used == "E10000020" and result.age_band == "10-17"


def test_a_district_gets_the_county_figures_with_a_note(indicators):
    result = partner_table(indicators, "suspension", ("E07000148",))
    assert result is not None and result.area_used == "E10000020"
    assert "published for Norfolk as a whole" in result.notes[0]


def test_scrutiny_sees_no_small_count(indicators):
    for result in overlay(indicators, audience="scrutiny").tables:
        numbers = [v for v in result.table["events"] if not isinstance(v, str)]
        assert not [v for v in numbers if 1 <= v <= 4], result.measure


def test_the_police_ratio_stands_beside_the_partner_ratios(partner_db, indicators):
    police = disparity.population_rates(Store(partner_db), Filters(roles=("suspect",)))
    frame = side_by_side(police.table, "Police: suspects", "whole period", overlay(indicators), "Black")
    black = police.table[police.table["group"] == "Black"].iloc[0]
    assert frame["measure_key"].tolist() == ["police", "permanent_exclusion", "suspension", "first_time_entrant"]
    assert frame.iloc[0]["ratio"] == black["ratio"] and frame.iloc[0]["verdict"] == black["verdict"]
    assert frame["period"].tolist()[1:] == ["2023/24", "2023/24", "2024/25"]


@pytest.mark.parametrize("audience", ["scrutiny", "officers"])
def test_the_pack_has_a_partners_section(partner_db, audience):
    from datetime import date

    html = build_pack(Store(partner_db), date(2026, 10, 1), audience).html
    section = html[html.index('id="partners"'):]
    section = section[:section.index("</section>")]
    assert "Suspension rate" in section and "First-time entrants" in section and "c (at source)" in section
    assert "2021/22" in section and "2024/25" in section and "Open Government Licence" in section
    assert ("[c]" in section) == (audience == "scrutiny")


@pytest.fixture()
def app_db(partner_db):
    previous = os.environ.get("MONITOR_DB")
    os.environ["MONITOR_DB"] = str(partner_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield partner_db
    st.cache_data.clear()
    st.cache_resource.clear()
    if previous is None:
        os.environ.pop("MONITOR_DB", None)
    else:
        os.environ["MONITOR_DB"] = previous


def overlay_frame(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Measure" in d.value.columns)


@pytest.mark.parametrize("page", ["pages/disproportionality.py", "pages/geography.py"])
def test_pages_show_the_overlay(app_db, page):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Partner data beside the police ratio" in [s.value for s in at.header]
    frame = overlay_frame(at)
    assert frame["Measure"].str.startswith("Police").iloc[0]
    assert frame["Period"].tolist()[1:] == ["2023/24", "2023/24", "2024/25"]


def test_scrutiny_overlay_on_disproportionality(app_db, monkeypatch):
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", "scrutiny")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)
    at.switch_page("pages/disproportionality.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    frame = overlay_frame(at)
    counts = pd.to_numeric(frame["Events"].str.replace(",", ""), errors="coerce")
    assert not counts.between(1, 4).any()


def test_the_packs_partner_caption_names_the_area_and_ages(indicators):
    """The pack's caption said 'area E10000020, age band 10-17': the county by name (Norfolk is E10000020 in the
    Census files, analytics/reference_data/SOURCES.md) and the ages in words."""
    from analytics.report.partners import PartnerSection, partner_tables

    result = partner_table(indicators, "first_time_entrant")
    assert result is not None and result.area_used == "E10000020"
    (table,) = partner_tables(PartnerSection((result,)))
    assert ", Norfolk, aged 10-17. Source:" in table.caption and "E10000020" not in table.caption
