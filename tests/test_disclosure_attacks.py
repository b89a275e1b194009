"""The Cell Key Method for the scrutiny audience (issue 14): the perturbation table, the keys, and attacks.

Independent checks: the record and person keys are recomputed here with ``hashlib`` from the pseudonymised
records (not with the store's SQL), and the perturbed tables are recomputed from those keys by the ONS
Statistical Methods Library's own implementation (PyPI ``cell-key-perturbation``, ``create_perturbed_table``)
with the published perturbation table in its layout.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.suppression import perturbation
from analytics.suppression.perturbation import KEY_RANGE, PTABLE_ROWS, perturb, ptable, read_ptable


# --- the perturbation table --------------------------------------------------------------------------------
def test_the_published_table_keeps_its_stated_rules():
    table = ptable()
    assert table.noise.shape == (PTABLE_ROWS + 1, KEY_RANGE)
    assert (table.noise[0] == 0).all(), "a zero stays zero"
    assert table.max_noise == 2
    assert ((np.arange(PTABLE_ROWS + 1)[:, None] + table.noise) >= 0).all()
    # the stated distributions (reference_data/SOURCES.md): counts of 1, and every count from 2
    one = dict(zip(*np.unique(table.noise[1], return_counts=True), strict=True))
    assert one == {-1: 102, 0: 78, 1: 50, 2: 26}
    for n in (2, 3, 4, 5, 10, 500, 750):
        row = dict(zip(*np.unique(table.noise[n], return_counts=True), strict=True))
        assert row == {-2: 38, -1: 51, 0: 78, 1: 51, 2: 38}, n
    assert table.variance(1) == pytest.approx(256 / 256)
    assert table.variance(7) == pytest.approx(406 / 256)
    assert table.same_noise_probability(7) == pytest.approx((78**2 + 2 * 51**2 + 2 * 38**2) / 256**2)


@pytest.mark.parametrize(("rows", "message"), [
    ("1,750,0,255,0\n0,0,0,255,1\n", "zero"),
    ("1,750,0,254,0\n", "exactly once"),
    ("1,750,0,255,0\n1,1,0,0,1\n", "exactly once"),
    ("1,1,0,127,-2\n1,1,128,255,2\n2,750,0,255,0\n", "negative"),
    ("1,750,0,127,1\n1,750,128,255,0\n", "mean 0"),
    ("1,751,0,255,0\n", "out of range"),
])
def test_a_table_breaking_a_rule_is_refused(tmp_path: Path, rows: str, message: str):
    path = tmp_path / "ptable.csv"
    path.write_text("pcv_from,pcv_to,ckey_from,ckey_to,pvalue\n" + rows, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_ptable(path)


def test_perturb_looks_up_the_row_and_the_key_and_loops_above_750():
    table = ptable()
    # row 1: keys 0-101 take -1, 102-179 0, 180-229 +1, 230-255 +2 (the published file, read by eye)
    assert perturb([1, 1, 1, 1], [0, 102, 180, 255]).tolist() == [0, 1, 2, 3]
    # rows from 2: keys 0-37 take -2, 38-88 -1, 89-166 0, 167-217 +1, 218-255 +2
    assert perturb([9, 9, 9, 9, 9], [37, 38, 100, 200, 218]).tolist() == [7, 8, 9, 10, 11]
    assert perturb([0, 0], [0, 255]).tolist() == [0, 0]
    # 751 uses row 501, 1001 row 501, 1250 row 750 (ONS: ((n - 1) mod 250) + 501)
    assert perturbation.ptable_row(np.array([750, 751, 1001, 1250])).tolist() == [750, 501, 501, 750]
    assert perturb([751], [0]).tolist() == [751 + table.noise[501, 0]]


def test_perturb_refuses_what_is_not_a_count_or_a_key():
    with pytest.raises(ValueError):
        perturb([-1], [0])
    with pytest.raises(ValueError):
        perturb([1.5], [0])
    with pytest.raises(ValueError):
        perturb([3], [256])


def test_the_ons_layout_holds_the_same_noise():
    long = ptable().ons_format()
    assert len(long) == PTABLE_ROWS * KEY_RANGE
    assert long.set_index(["pcv", "ckey"]).loc[(1, 0), "pvalue"] == -1
    assert long.set_index(["pcv", "ckey"]).loc[(750, 255), "pvalue"] == 2


# --- the keys and the store ----------------------------------------------------------------------------------
def first_byte(text: str) -> int:
    return hashlib.sha256(text.encode("utf-8")).digest()[0]


@pytest.fixture(scope="module")
def microdata(sample_store) -> pd.DataFrame:
    """Every loaded record with its record and person key, recomputed in Python from the pseudonyms."""
    records = sample_store.records(Filters()).copy()
    records["record_key"] = [first_byte(f"ckm-record:{p}:{r}") for p, r in
                             zip(records["person_id"], records["record_id"], strict=True)]
    records["person_key"] = [first_byte(f"ckm-person:{p}") for p in records["person_id"]]
    return records


def ons_table(data: pd.DataFrame, tab_vars: list[str], record_key: str) -> pd.DataFrame:
    """The ONS package's perturbed table of ``data`` by ``tab_vars`` with the published ptable, no threshold."""
    from cell_key_perturbation.create_perturbed_table import create_perturbed_table

    with contextlib.redirect_stdout(io.StringIO()):  # it prints a line per validation
        table = create_perturbed_table(data=data, ptable=ptable().ons_format(), geog=[], tab_vars=tab_vars,
                                       record_key=record_key, use_existing_ons_id=False, threshold=0)
    return table


def test_record_counts_match_the_ons_implementation(sample_store, microdata):
    filters = Filters(counting_unit="records")
    ours = sample_store.perturbed().event_counts(filters, ("area",))
    theirs = ons_table(microdata, ["area_code", "ethnic_group"], "record_key")
    theirs = theirs[theirs["pre_sdc_count"] > 0]
    merged = ours.merge(theirs, left_on=["area", "ethnic_group"], right_on=["area_code", "ethnic_group"],
                        how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["events"] == merged["count"]).all()
    exact = sample_store.event_counts(filters, ("area",))
    assert (ours["events"] != exact["events"]).any(), "some counts must move"


def test_child_counts_match_the_ons_implementation_on_children(sample_store, microdata):
    filters = Filters(counting_unit="persons")
    ours = sample_store.perturbed().event_counts(filters, ("role",))
    children = microdata.drop_duplicates(["person_id", "role"])
    theirs = ons_table(children, ["role", "ethnic_group"], "person_key")
    theirs = theirs[theirs["pre_sdc_count"] > 0]
    merged = ours.merge(theirs, on=["role", "ethnic_group"], how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["events"] == merged["count"]).all()


def test_the_same_cell_always_shows_the_same_value(sample_store):
    """The same records give the same value whichever query counts them (a month as a cell of a monthly
    table, as the whole of a one-month table, and in the trend query)."""
    store = sample_store.perturbed()
    month = pd.Timestamp("2024-06-01")
    monthly = store.event_counts(Filters(counting_unit="records"), ("month",))
    monthly = monthly[monthly["month"] == month].set_index("ethnic_group")["events"]
    alone = store.event_counts(Filters(counting_unit="records", date_from=month.date(),
                                       date_to=pd.Timestamp("2024-06-30").date())).set_index("ethnic_group")["events"]
    trend, _ = store.monthly_and_rolling_counts(Filters(counting_unit="records"))
    trend = trend[trend["month"] == month].set_index("ethnic_group")["events"]
    pd.testing.assert_series_equal(monthly.sort_index(), alone.sort_index(), check_names=False)
    pd.testing.assert_series_equal(monthly.sort_index(), trend.sort_index(), check_names=False)
    again = store.event_counts(Filters(counting_unit="records"), ("month",))
    assert again.equals(store.event_counts(Filters(counting_unit="records"), ("month",)))


@pytest.mark.parametrize("unit", ["records", "persons"])
def test_rolling_windows_are_perturbed_as_if_counted_directly(sample_store, unit):
    store = sample_store.perturbed()
    _, rolling = store.monthly_and_rolling_counts(Filters(counting_unit=unit))
    end = pd.Timestamp("2024-12-01")
    window = rolling[rolling["month"] == end].set_index("ethnic_group")["events"].sort_index()
    direct = store.event_counts(Filters(counting_unit=unit, date_from=pd.Timestamp("2024-01-01").date(),
                                        date_to=pd.Timestamp("2024-12-31").date()))
    direct = direct.set_index("ethnic_group")["events"].sort_index()
    pd.testing.assert_series_equal(window, direct, check_names=False)


def test_a_perturbed_store_never_returns_records(sample_store):
    with pytest.raises(PermissionError):
        sample_store.perturbed().records(Filters())
    assert sample_store.perturbed().perturbed().perturbing
    assert not sample_store.perturbing
