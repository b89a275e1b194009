"""Children's journeys and partner flags (issue 17, parts 3-5). Every figure is recomputed here from the raw CSV
files with pandas, written from the README's definitions without the product's code; the planted victim -> suspect
overlap (``sample_data.journeys``) is recovered; the planting leaves every per-role count unchanged; every count
shown to scrutiny passes disclosure control; the Journeys page runs (AppTest)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import schema
from analytics.filters import Filters
from analytics.load import load_extract
from analytics.partners import disclosure, journeys, link_flags, linkage, survival
from analytics.store import PartnerStore, Store
from sample_data import PLANTED_SEED, generate_extract
from sample_data.journeys import JOURNEY_PLANTED, plant_victim_suspect
from tests.conftest import SAMPLE_TODAY
from tests.guards import STEP_GUARD_S

ROOT = Path(__file__).resolve().parents[1]
YEAR = 365.25


@pytest.fixture(scope="module")
def journey_db(sample_files, tmp_path_factory) -> Path:
    extract, population = sample_files
    database = tmp_path_factory.mktemp("journeys") / "monitor.duckdb"
    load_extract(extract, database, population=population, today=SAMPLE_TODAY)
    link_flags(extract.parent / "partner_flags.csv", database, today=SAMPLE_TODAY)
    return database


@pytest.fixture(scope="module")
def raw(sample_files) -> pd.DataFrame:
    """The valid child rows of the raw extract, with each child's self-defined group (latest stated code)."""
    extract, population = sample_files
    frame = pd.read_csv(extract, dtype=str, keep_default_na=False)
    areas = set(pd.read_csv(population, dtype=str)["area_code"])
    frame["date"] = pd.to_datetime(frame["recorded_date"], format="%Y-%m-%d", errors="coerce")
    frame["age_n"] = pd.to_numeric(frame["age"], errors="coerce")
    frame = frame[frame["date"].notna() & (frame["age_n"] < 18) & frame["area_code"].isin(areas)].copy()
    self_group = {c: g for c, (_, g) in schema.SELF_DEFINED_ETHNICITY.items()}
    frame["self_group"] = frame["ethnicity_self"].map(self_group)
    latest = (frame.dropna(subset=["self_group"]).sort_values(["date", "record_id"])
              .groupby("person_id")["self_group"].last())
    frame["group"] = frame["person_id"].map(latest).fillna(schema.NOT_STATED)
    return frame


def product_records(database: Path, **filters) -> pd.DataFrame:
    return PartnerStore(Store(database)).journey_records(Filters(ethnicity_source="self_only", **filters))


def raw_crossover(raw: pd.DataFrame, first_role: str, months: int) -> pd.DataFrame:
    """By group: children whose first record in ``first_role`` has the whole window observed (before the end of the
    data and the estimated 18th birthday), and how many have a record in the other role later within it."""
    is_first = (raw["role"] == "victim") if first_role == "victim" else (raw["role"] != "victim")
    end = raw["date"].max()
    earliest = (raw["date"] - pd.to_timedelta((raw["age_n"] + 1) * YEAR, unit="D")).groupby(raw["person_id"]).max()
    latest = (raw["date"] - pd.to_timedelta(raw["age_n"] * YEAR, unit="D")).groupby(raw["person_id"]).min()
    turns_18 = earliest + (latest - earliest) / 2 + pd.to_timedelta(18 * YEAR, unit="D")
    first = raw[is_first].groupby("person_id")["date"].min()
    stop = first + pd.DateOffset(months=months)
    keep = (stop <= end) & (stop <= turns_18.reindex(first.index))
    first, stop = first[keep], stop[keep]
    later = raw[~is_first][["person_id", "date"]]
    later = later[later["person_id"].isin(first.index)]
    hit = later[(later["date"] > later["person_id"].map(first)) & (later["date"] <= later["person_id"].map(stop))]
    cohort = pd.DataFrame({"event": first.index.isin(hit["person_id"].unique())}, index=first.index)
    cohort["group"] = raw.groupby("person_id")["group"].first().reindex(cohort.index)
    return cohort.groupby("group")["event"].agg(["sum", "size"])


@pytest.mark.parametrize("direction", list(journeys.DIRECTIONS))
def test_crossover_counts_equal_the_raw_recomputation(journey_db, raw, direction):
    records = product_records(journey_db)
    result = journeys.crossover(records, direction, journeys.end_of_data(records))
    first_role = journeys.DIRECTIONS[direction][0]
    for months in journeys.WINDOWS_MONTHS:
        expected = raw_crossover(raw, first_role, months)
        shown = result.table[result.table["split"] == f"within {months} months"].set_index("group")
        assert shown.loc[expected.index, "events"].astype(int).to_dict() == expected["sum"].astype(int).to_dict()
        assert shown.loc[expected.index, "denominator"].astype(int).to_dict() == expected["size"].to_dict()


def test_the_planted_victim_suspect_overlap_is_recovered(journey_db, sample_files):
    truth = json.loads((sample_files[0].parent / "journeys_truth.json").read_text())
    black = truth["by_self_defined_group"]["Black"]
    assert black["planted"] / black["eligible"] > 0.4  # the plant reached most of its 60 % target
    records = product_records(journey_db)
    table = journeys.crossover(records, "victim_to_suspect", journeys.end_of_data(records)).table
    year = table[table["split"] == "within 12 months"].set_index("group")
    assert year.loc["Black", "verdict"] == "higher" and year.loc["Mixed", "verdict"] == "higher"
    assert year.loc["Asian", "verdict"] != "higher"
    # planted shares: Black 0.60 > Mixed 0.40 > White 0.10 of the eligible victims: the ratios keep that order
    ratios = year["ratio"].astype(float).to_dict()
    assert ratios["Black"] > ratios["Mixed"] > 1.5
    assert JOURNEY_PLANTED["Black"] > JOURNEY_PLANTED["Mixed"] > JOURNEY_PLANTED["White"]


def _role_counts(frame: pd.DataFrame) -> pd.Series:
    valid = frame[pd.to_numeric(frame["age"], errors="coerce") < 18]
    valid = valid.assign(jrole=np.where(valid["role"] == "victim", "victim", "suspect"))
    return valid.groupby(["jrole", "area_code", "ethnicity_self", "ethnicity_officer"])["person_id"].nunique()


def test_planting_changes_no_per_role_count():
    base = generate_extract(seed=PLANTED_SEED, n_records=4000)
    planted, truth = plant_victim_suspect(base)
    assert sum(t["planted"] for t in truth.values()) > 0
    assert planted["person_id"].nunique() < base["person_id"].nunique()
    assert len(planted) == len(base)
    pd.testing.assert_frame_equal(planted.drop(columns="person_id"), base.drop(columns="person_id"))
    # distinct children per role and area (and per recorded code) are unchanged
    by_role = ["jrole", "area_code"]
    assert _role_counts(planted).groupby(level=by_role).sum().equals(_role_counts(base).groupby(level=by_role).sum())


def test_pathways_equal_the_raw_recomputation(journey_db, raw):
    paths = journeys.pathways(product_records(journey_db))
    frame = raw.assign(jrole=np.where(raw["role"] == "victim", "victim", "suspect"))
    days = frame.groupby(["person_id", "date"])["jrole"].agg(lambda r: " and ".join(sorted(set(r)))).reset_index()
    days = days.sort_values(["person_id", "date"])
    first = days.groupby("person_id").nth(0).set_index("person_id")["jrole"]
    second = days.groupby("person_id").nth(1).set_index("person_id")["jrole"]
    pairs = pd.DataFrame({"first": first, "next": second.reindex(first.index).fillna(journeys.NO_NEXT)})
    expected = pairs.value_counts().to_dict()
    got = paths.groupby(["first", "next"])["children"].sum().to_dict()
    assert {k: int(v) for k, v in expected.items()} == {k: int(v) for k, v in got.items()}


def test_upset_set_sizes_equal_the_raw_recomputation(journey_db, raw):
    records = product_records(journey_db)
    sets, keys = journeys.role_marker_sets(records), disclosure.person_keys(records)
    sizes = journeys.set_sizes(sets, keys).set_index("set")["children"]
    assert sizes["victim"] == raw[raw["role"] == "victim"]["person_id"].nunique()
    assert sizes["suspect"] == raw[raw["role"] != "victim"]["person_id"].nunique()
    for marker in schema.RISK_MARKERS:
        marked = raw[raw[marker].str.lower().isin(schema.TRUE_VALUES)]
        assert sizes[marker] == marked["person_id"].nunique(), marker
    combos = journeys.intersections(sets, keys, top=100)
    assert combos["children"].sum() == len(sets)  # every child in exactly one combination


def test_cumulative_incidence_equals_a_kaplan_meier_by_hand(journey_db, raw):
    records = product_records(journey_db)
    result = survival.cumulative_incidence(records, journeys.end_of_data(records))
    end = raw["date"].max()
    days = raw[["person_id", "date"]].drop_duplicates().sort_values(["person_id", "date"])
    first = days.groupby("person_id")["date"].nth(0).pipe(lambda s: pd.Series(s.to_numpy(), days.groupby(
        "person_id").nth(0)["person_id"].to_numpy()))
    second = days.groupby("person_id").nth(1).set_index("person_id")["date"].reindex(first.index)
    earliest = (raw["date"] - pd.to_timedelta((raw["age_n"] + 1) * YEAR, unit="D")).groupby(raw["person_id"]).max()
    latest = (raw["date"] - pd.to_timedelta(raw["age_n"] * YEAR, unit="D")).groupby(raw["person_id"]).min()
    censor = (earliest + (latest - earliest) / 2 + pd.to_timedelta(18 * YEAR, unit="D")).reindex(first.index)
    censor = censor.where(censor < end, end)
    event = second.notna() & (second <= censor)
    time = ((second.where(event, censor)) - first).dt.days.clip(lower=0)
    group = raw.groupby("person_id")["group"].first().reindex(first.index)
    for name in ("White", "Black"):
        t, e = time[group == name].to_numpy(), event[group == name].to_numpy()
        at = 12 * YEAR / 12
        s = 1.0
        for u in np.unique(t[e & (t <= at)]):  # product-limit: prod (1 - d_u / n_u) over event times up to 12 months
            s *= 1 - ((t == u) & e).sum() / (t >= u).sum()
        row = result.table[(result.table["group"] == name) & (result.table["months"] == 12)].iloc[0]
        assert row["incidence"] == pytest.approx(1 - s, abs=1e-12), name


def test_match_rates_and_the_flag_cohort_equal_the_raw_recomputation(journey_db, raw, sample_files):
    flags = pd.read_csv(sample_files[0].parent / "partner_flags.csv", dtype=str, keep_default_na=False)
    police = set(raw["person_id"])  # children with a loaded record (rejected and 18+ rows are not loaded)
    pstore = PartnerStore(Store(journey_db))
    shown = linkage.partner_match_rates(pstore.linked_persons()).set_index("ethnic_group")
    persons = flags.sort_values("flag_start").groupby("person_id")["ethnic_group"].last()
    for group, members in persons.groupby(persons):
        assert shown.loc[group, "children"] == len(members)
        matched = sum(p in police for p in members.index)
        assert shown.loc[group, "matched"] == matched, group
    # the planted linkage gap: Black children's flags fail to match more often than White children's
    shares = shown["share"].astype(float).to_dict()
    assert shares["Black"] < shares["White"]
    # the cohort with a flag: its period overlaps the child's first-to-last record
    records = product_records(journey_db)
    span = raw.groupby("person_id")["date"].agg(["min", "max"])
    yjs = flags[flags["flag"] == "known_to_yjs"].merge(span, left_on="person_id", right_index=True)
    ends = pd.to_datetime(yjs["flag_end"].replace("", None))
    overlap = (pd.to_datetime(yjs["flag_start"]) <= yjs["max"]) & (ends.isna() | (ends >= yjs["min"]))
    assert set(linkage.with_flag(records, pstore.flags(), "known_to_yjs")["person_id"]) == set(
        yjs.loc[overlap, "person_id"])


def test_scrutiny_sees_no_small_count(journey_db):
    records = product_records(journey_db)
    end = journeys.end_of_data(records)
    crossover = journeys.crossover(records, "victim_to_suspect", end, audience="scrutiny").table
    paths = journeys.pathway_totals(journeys.pathways(records), "scrutiny")
    sets, keys = journeys.role_marker_sets(records), disclosure.person_keys(records)
    km = survival.cumulative_incidence(records, end, audience="scrutiny").table
    for frame, column in ((crossover, "events"), (crossover, "denominator"), (paths, "children"),
                          (journeys.intersections(sets, keys, "scrutiny", top=200), "children"),
                          (km, "events"), (km, "at_risk"), (km, "children")):
        numbers = [v for v in frame[column] if not isinstance(v, str)]
        assert not [v for v in numbers if 1 <= v <= 4], column
    assert (paths["children"] == "[c]").any()  # the sample has small pathways (a real test of the rule)


@pytest.fixture()
def app_db(journey_db):
    previous = os.environ.get("MONITOR_DB")
    os.environ["MONITOR_DB"] = str(journey_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield journey_db
    st.cache_data.clear()
    st.cache_resource.clear()
    if previous is None:
        os.environ.pop("MONITOR_DB", None)
    else:
        os.environ["MONITOR_DB"] = previous


@pytest.mark.parametrize("role", ["analyst", "scrutiny"])
def test_the_journeys_page(app_db, monkeypatch, role):
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", role)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)
    at.switch_page("pages/journeys.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    headings = [s.value for s in at.header]
    assert headings[:2] == ["Match rate of the partner flags", "Victims who later appear as suspects, and the reverse"]
    at.selectbox(key="journey_flag").set_value("known_to_yjs").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("known to the youth justice service" in c.value.lower() for c in at.caption)
    if role == "scrutiny":
        for frame in (d.value for d in at.dataframe):
            for column in frame.columns:
                numbers = pd.to_numeric(frame[column].astype(str).str.replace(",", ""), errors="coerce")
                if column in ("Children", "Matched", "With a flag", "With the later role",
                              "Children in the cohort", "Next involvements", "Still followed"):
                    assert not numbers.between(1, 4).any(), column


def test_the_partner_flag_is_kept_in_the_link(app_db, monkeypatch):
    """Issue 15 part 9: ``flag=known_to_yjs`` opens the page on that cohort; a flag chosen goes into the URL."""
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", "analyst")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=STEP_GUARD_S)
    at.query_params["flag"] = "known_to_yjs"
    at.switch_page("pages/journeys.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="journey_flag").value == "known_to_yjs"
    assert any("known to the youth justice service" in c.value.lower() for c in at.caption)
    at.selectbox(key="journey_flag").set_value("excluded").run()
    assert at.query_params["flag"] == "excluded"
    at.selectbox(key="journey_flag").set_value(None).run()
    assert "flag" not in at.query_params, "all children is the default"
