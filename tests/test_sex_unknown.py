"""Children of sex U (unknown) or X (indeterminate/other) and population rates (issue 13, point 6).

The population table has girls and boys only (F, M), so a child recorded as U or X cannot be in a rate's
denominator and is left out of its numerator too; their number is stated in the table's notes. Decision-point shares
(the denominator is the records themselves) keep them. Every figure below is counted by hand from the extract.
"""

from __future__ import annotations

from datetime import date

import pytest

from analytics import disparity
from analytics.filters import Filters
from analytics.load import load_extract
from analytics.store import Store
from tests.extracts import row, write_extract, write_population

NORWICH = "E07000148"
#: Every record is dated 15 March 2024 (``tests.extracts``), so a rate's period is March 2024: 31 days, and a rate
#: per 1,000 per year is events / population x 1,000 / (31 / 365.25) (issue 13, point 5).
YEARS = 31 / 365.25


def _records() -> list[dict]:
    """Norwich suspects: White 3 girls, 3 boys, 1 child of sex U and 1 with sex left blank (loaded as U);
    Black 4 girls and 1 child of sex X. Every record ends in outcome 22."""
    rows = []
    people = ([("W", "W1", "F")] * 3 + [("W", "W1", "M")] * 3 + [("W", "W2", "U"), ("W", "W2", "")]
              + [("B", "B1", "F")] * 4 + [("B", "B2", "X")])
    for i, (prefix, code, sex) in enumerate(people):
        rows.append(row(record_id=f"R{i}", person_id=f"{prefix}{i}", crime_id=f"C{i}", sex=sex,
                        ethnicity_self=code, ethnicity_officer="IC1" if prefix == "W" else "IC3"))
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("sex_unknown")
    result = load_extract(write_extract(folder / "extract.csv", _records()), folder / "monitor.duckdb",
                          population=write_population(folder / "population.csv"), today=date(2026, 11, 30))
    assert result.loaded == 13
    return Store(result.database)


@pytest.mark.parametrize("source", ["concordance", "self_then_officer", "self_only"])
def test_population_rates_leave_out_children_of_sex_u_or_x_and_say_how_many(store, source):
    filters = Filters(roles=("suspect",), areas=(NORWICH,), ethnicity_source=source)
    table = disparity.population_rates(store, filters)
    rows = table.table.set_index("group")
    # 1,000 children per cell: 4 age bands x 2 sexes = 8,000 per group in Norwich
    assert (rows.loc["White", "events"], rows.loc["White", "denominator"]) == (6, 8000)
    assert (rows.loc["Black", "events"], rows.loc["Black", "denominator"]) == (4, 8000)
    assert rows.loc["White", "rate"] == pytest.approx(6 / 8 / YEARS)
    assert rows.loc["Black", "rate"] == pytest.approx(4 / 8 / YEARS)
    notes = " ".join(table.notes)
    assert "Children with sex recorded as unknown or indeterminate (U or X): 3. They are not in the numerators" in notes
    assert table.metadata()["sex_not_in_population"] == 3


def test_a_chosen_sex_is_kept_and_nothing_is_left_out(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",), areas=(NORWICH,), sexes=("F",)))
    rows = table.table.set_index("group")
    assert (rows.loc["White", "events"], rows.loc["Black", "events"]) == (3, 4)
    assert rows.loc["White", "denominator"] == 4000
    assert table.metadata()["sex_not_in_population"] == 0
    assert not any("unknown or indeterminate sex" in note for note in table.notes)


def test_counting_records_leaves_out_their_records(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",), areas=(NORWICH,),
                                                      counting_unit="records"))
    rows = table.table.set_index("group")
    assert (rows.loc["White", "events"], rows.loc["Black", "events"]) == (6, 4)
    assert "Records with sex recorded as unknown or indeterminate (U or X): 3." in " ".join(table.notes)


def test_decision_shares_keep_children_of_sex_u_or_x(store):
    """A decision point's denominator is the records, not the population: all 8 White and 5 Black records."""
    # every record is within the 90-day follow-up of the data's end (one day): the whole period, no cohort cut
    filters = Filters(roles=("suspect",), areas=(NORWICH,), follow_up_days=0)
    rows = disparity.decision_ratios(store, filters).table.set_index("group")
    assert (rows.loc["White", "events"], rows.loc["White", "denominator"]) == (8, 8)
    assert (rows.loc["Black", "events"], rows.loc["Black", "denominator"]) == (5, 5)


def test_rates_by_role_agree(store):
    filters = Filters(areas=(NORWICH,))
    roles = disparity.rates_by_role(store, filters)
    alone = disparity.population_rates(store, filters.replace(roles=("suspect",)))
    assert roles.tables["suspect"].table.equals(alone.table)
    assert roles.tables["suspect"].metadata() == alone.metadata()


def test_adjusted_rate_ratio_counts_girls_and_boys_only(store):
    """Mantel–Haenszel over one stratum (Norwich) is the crude ratio of girls and boys: (4 / 8000) / (6 / 8000)."""
    filters = Filters(roles=("suspect",), areas=(NORWICH,), ethnicity_source="self_then_officer")
    adjusted = disparity.adjusted_ratios(store, filters, "rate", ("area",)).set_index("group")
    assert float(adjusted["adjusted_ratio"].to_dict()["Black"]) == pytest.approx(4 / 6)


def test_scrutiny_sees_a_small_number_as_suppressed(store):
    """The scrutiny audience's store perturbs every count; a note's count of 1 to 4 is shown as [c], never exact."""
    table = disparity.population_rates(store.perturbed(), Filters(roles=("suspect",), areas=(NORWICH,)))
    shown = table.metadata()["sex_not_in_population"]
    assert shown == "[c]" or shown == 0 or shown >= 5
    assert not any("(U or X): 3." in note for note in table.notes)
