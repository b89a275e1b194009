"""Detailed ethnic groups (issue 15 point 8): rates, ratios and disclosure control worked out by hand.

The denominators are recomputed here from the Census 2021 counts quoted below (read off the shipped files
``analytics/reference_data/population/``): a detailed group's share of its 5-group's children in a district is its
all-age count (TS021) times its England and Wales child-to-all-age ratio, over the same summed across the 5-group.
The exact rate-ratio interval is scipy's Clopper–Pearson interval on a / (a + b), transformed (as in
``tests/test_disparity.py``).
"""

from __future__ import annotations

import csv
import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analytics import access, detailed, schema, suppression
from analytics.filters import Filters
from analytics.load import load_extract
from analytics.store import Store
from tests.extracts import row, write_extract

NORWICH = "E07000148"
YEARS = 31 / 365.25  # every record is dated in March 2024: rates per year of its 31 days

# Norwich all ages (TS021): African 2,807, Caribbean 395, Other Black 376. England and Wales: all ages (TS021)
# 1,488,387 / 623,115 / 297,781; aged 10-17 217,965 / 51,330 / 64,310; aged 0-9 224,105 / 46,820 / 74,715.
NORWICH_ALL = {"B2": 2807, "B1": 395, "B9": 376}
EW_ALL = {"B2": 1488387, "B1": 623115, "B9": 297781}
EW_10_17 = {"B2": 217965, "B1": 51330, "B9": 64310}
EW_0_9 = {"B2": 224105, "B1": 46820, "B9": 74715}


def _share(code: str, band: dict[str, int]) -> float:
    weights = {c: NORWICH_ALL[c] * band[c] / EW_ALL[c] for c in NORWICH_ALL}
    return weights[code] / sum(weights.values())


def _black_children(code: str) -> float:
    """1,000 children per population cell: 2 cells (F, M) aged 0-9, 6 cells aged 10-17 (three bands x two sexes)."""
    return 2000 * _share(code, EW_0_9) + 6000 * _share(code, EW_10_17)


def _population(path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(schema.POPULATION_COLUMNS)
        for area, group, band, sex in itertools.product(schema.KNOWN_AREA_NAMES, schema.ETHNIC_GROUPS,
                                                        schema.AGE_BANDS, "FM"):
            writer.writerow([area, group, band, sex, 1000, "hand-made", 2021])
    return path


def _records() -> list[dict]:
    rows: list[dict[str, str]] = []

    def add(prefix: str, n: int, self_code: str, officer: str) -> None:
        rows.extend(row(record_id=f"{prefix}{i}", person_id=f"{prefix}{i}", crime_id=f"C{prefix}{i}",
                        area_code=NORWICH, ethnicity_self=self_code, ethnicity_officer=officer) for i in range(n))

    add("WB", 10, "W1", "IC1")
    add("WI", 2, "W2", "IC1")
    add("BC", 5, "B1", "IC3")
    add("BA", 9, "B2", "IC3")
    add("OF", 1, "NS", "IC3")  # an officer-defined code only: 'Not stated / officer-defined only', never dropped
    add("NS", 1, "", "")
    # a child first recorded as W1, later as B2: the latest stated code counts (10 Black African children in all)
    rows.append(row(record_id="SW1", person_id="SW", crime_id="CS1", recorded_date="2024-03-02", ethnicity_self="W1"))
    rows.append(row(record_id="SW2", person_id="SW", crime_id="CS2", recorded_date="2024-03-20", ethnicity_self="B2"))
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("detailed")
    extract = write_extract(folder / "extract.csv", _records())
    result = load_extract(extract, folder / "monitor.duckdb", population=_population(folder / "population.csv"),
                          today=date(2026, 11, 30))
    assert result.loaded == 30
    return Store(result.database)


def _row(table: pd.DataFrame, group: str) -> pd.Series:
    return table[table["group"] == group].iloc[0]


def test_black_african_against_black_caribbean_by_hand(store):
    result = detailed.detailed_rates(store, Filters(roles=("suspect",), areas=(NORWICH,)), reference="B1")
    assert result is not None
    african, caribbean = _row(result.table, "Black: African"), _row(result.table, "Black: Caribbean")
    t1, t0 = _black_children("B2"), _black_children("B1")
    assert african["events"] == 10 and caribbean["events"] == 5
    assert african["denominator"] == round(t1) and caribbean["denominator"] == round(t0)
    assert african["rate"] == pytest.approx(10 / t1 / YEARS * 1000)
    assert caribbean["rate"] == pytest.approx(5 / t0 / YEARS * 1000)
    assert african["ratio"] == pytest.approx((10 / t1) / (5 / t0))
    ci = sps.binomtest(10, 15, t1 / (t1 + t0)).proportion_ci(0.95, method="exact")
    to_ratio = lambda p: p / (1 - p) * t0 / t1  # noqa: E731
    assert african["ratio_lower_unadjusted"] == pytest.approx(to_ratio(ci.low), rel=1e-6)
    assert african["ratio_upper_unadjusted"] == pytest.approx(to_ratio(ci.high), rel=1e-6)
    assert caribbean["is_reference"] and result.metadata()["reference_group"] == "Black: Caribbean"
    assert african["reliability"] == "unreliable"  # 5 reference events: shown, marked


def test_not_stated_and_officer_only_children_are_one_row(store):
    result = detailed.detailed_rates(store, Filters(roles=("suspect",), areas=(NORWICH,)))
    assert result is not None
    unstated = _row(result.table, schema.DETAILED_NOT_STATED)
    assert (unstated["events"], unstated["denominator"]) == (2, 29)  # of the 29 children counted
    assert unstated["rate"] == pytest.approx(100 * 2 / 29) and unstated["verdict"] is None
    assert _row(result.table, "White: British")["events"] == 10  # the child later recorded as B2 is not here
    assert result.table["verdict"].notna().sum() == 17  # 18 groups, one of them the reference


def test_detailed_denominators_add_up_to_the_five_groups(store):
    population = detailed.detailed_population(store, Filters(areas=(NORWICH,)))
    assert population is not None
    for group in schema.ETHNIC_GROUPS:
        codes = [c for c, g in detailed.CODE_GROUP.items() if g == group]
        assert sum(population[c] for c in codes) == pytest.approx(8000)
    assert population["B2"] == pytest.approx(_black_children("B2"))


def test_a_district_without_census_shares_has_no_detailed_view(tmp_path):
    population = tmp_path / "population.csv"
    with population.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(schema.POPULATION_COLUMNS)
        for group, band, sex in itertools.product(schema.ETHNIC_GROUPS, schema.AGE_BANDS, "FM"):
            writer.writerow(["W06000021", group, band, sex, 100, "hand-made", 2021])
    extract = write_extract(tmp_path / "x.csv", [row(area_code="W06000021")])
    result = load_extract(extract, tmp_path / "m.duckdb", population=population, today=date(2026, 11, 30))
    assert detailed.detailed_rates(Store(result.database), Filters()) is None


# --------------------------------------------------------------------------------------------------------------
# Disclosure control
# --------------------------------------------------------------------------------------------------------------
def _table(counts: dict[str, int]) -> pd.DataFrame:
    """A finished-looking detailed table with ``counts`` by code (every other code 0) and a Not-stated row."""
    groups = [*schema.DETAILED_LABELS.values(), schema.DETAILED_NOT_STATED]
    events = [counts.get(code, 0) for code in schema.DETAILED_LABELS] + [counts.get("NS", 0)]
    return pd.DataFrame({
        "split": "All", "group": groups, "events": events, "denominator": [1000] * 18 + [sum(events)],
        "rate": 1.0, "rate_lower": 0.5, "rate_upper": 2.0, "ratio": 1.0, "ratio_lower": 0.5, "ratio_upper": 2.0,
        "p_value": 0.5, "p_adjusted": 0.5, "verdict": "similar",
        "is_reference": [g == "White: British" for g in groups],
    })


GROUP_OF = {label: detailed.CODE_GROUP[code] for code, label in schema.DETAILED_LABELS.items()}
BLACK = ["Black: Caribbean", "Black: African", "Black: Other Black"]


def _shown(table: pd.DataFrame, groups: list[str]) -> dict[str, object]:
    return {g: table.loc[table["group"] == g, "events"].iloc[0] for g in groups}


def test_a_detailed_cell_is_not_recoverable_from_its_five_group_total():
    """Black: Caribbean 3 (primary), African 12, Other Black 0; the Black total 15 is published by the 5-group table.
    Suppressing within the detailed table alone leaves 15 - 12 - 0 = 3; against the 5-group totals it does not."""
    counts = {"W1": 100, "W2": 7, "W9": 20, "M1": 9, "A1": 8, "B1": 3, "B2": 12, "O9": 6, "NS": 30}
    alone = suppression.apply_to_ratio_table(_table(counts), "scrutiny", split=None, reference_group="White: British")
    shown = _shown(alone, BLACK)
    assert shown == {"Black: Caribbean": "[c]", "Black: African": 12, "Black: Other Black": 0}
    assert 15 - 12 - 0 == 3  # the differencing attack on the table suppressed on its own
    controlled = suppression.apply_to_detailed_table(_table(counts), "scrutiny", GROUP_OF, "White: British")
    shown = _shown(controlled, BLACK)
    assert shown["Black: Caribbean"] == "[c]" and shown["Black: African"] == "[c]", shown
    hidden = [g for g in BLACK if shown[g] == "[c]"]
    assert len(hidden) >= 2  # two unknowns summing to 15 - (the shown ones): neither is determined
    assert controlled.loc[controlled["group"] == "Black: African", "rate"].isna().all()


def test_a_five_group_count_hidden_elsewhere_is_not_recovered_from_its_detailed_cells():
    """The 5-group table hid Asian (a complement there); its only non-zero detailed cell, Asian: Other Asian 6, would
    give it back, so it is hidden too, with a second cell so that neither can be worked out."""
    counts = {"W1": 100, "W2": 7, "W9": 20, "M1": 9, "A9": 6, "B2": 12, "O9": 6, "NS": 30}
    assert _shown(suppression.apply_to_detailed_table(_table(counts), "scrutiny", GROUP_OF, "White: British"),
                  ["Asian: Other Asian"]) == {"Asian: Other Asian": 6}
    controlled = suppression.apply_to_detailed_table(_table(counts), "scrutiny", GROUP_OF, "White: British",
                                                     hidden_groups={"Asian"})
    assert _shown(controlled, ["Asian: Other Asian"]) == {"Asian: Other Asian": "[c]"}
    assert controlled["suppressed"].sum() >= 2


def _differences(detailed_table: pd.DataFrame, five_table: pd.DataFrame) -> dict[str, object]:
    """The reader's subtraction: each 5-group's count less its detailed rows, and the detailed Not-stated row less the
    5-group Not stated; None where a term is not shown."""
    def shown(table: pd.DataFrame, group: str) -> int | None:
        value = table.loc[table["group"] == group, "events"].iloc[0]
        return None if str(value) == suppression.SUPPRESSED else int(value)

    found: dict[str, object] = {}
    for group in ("Black", schema.NOT_STATED):
        members = BLACK if group == "Black" else [schema.DETAILED_NOT_STATED]
        parts = [shown(detailed_table, m) for m in members]
        whole = shown(five_table, group)
        found[group] = None if whole is None or None in parts else \
            (whole - sum(parts) if group == "Black" else sum(parts) - whole)  # type: ignore[arg-type]
    return found


def test_officer_only_counts_are_not_recovered_by_differencing():
    """Black: Caribbean 6, African 12, Other Black 0, and 3 Black children with only an officer-defined code. The
    self-then-officer 5-group table shows Black 6 + 12 + 3 = 21 and Not stated 27 (neither code), the detailed table
    Not stated 30: 21 - 18 = 3 and 30 - 27 = 3, unless the officer-only cells are in the audit."""
    counts = {"W1": 100, "W2": 7, "W9": 20, "M1": 9, "A1": 8, "B1": 6, "B2": 12, "O9": 6, "NS": 30}
    five = pd.DataFrame({"group": ["Asian", "Black", "Mixed", "White", "Other", schema.NOT_STATED],
                         "events": [8, 21, 9, 127, 6, 27]})
    for audience in ("analyst", "officer"):  # exact figures: the subtraction gives the officer-only count
        exact = suppression.apply_to_detailed_table(_table(counts), audience, GROUP_OF, "White: British",
                                                    officer_only={"Black": 3}, neither=27)
        assert _differences(exact, five) == {"Black": 3, schema.NOT_STATED: 3}
    without = suppression.apply_to_detailed_table(_table(counts), "scrutiny", GROUP_OF, "White: British")
    assert _differences(without, five) == {"Black": 3, schema.NOT_STATED: 3}  # the leak the audit closes
    controlled = suppression.apply_to_detailed_table(_table(counts), "scrutiny", GROUP_OF, "White: British",
                                                     officer_only={"Black": 3}, neither=27)
    assert _differences(controlled, five) == {"Black": None, schema.NOT_STATED: None}
    hidden = set(controlled.loc[controlled["suppressed"], "group"])
    assert hidden == {"Black: Caribbean", "Black: African", schema.DETAILED_NOT_STATED}, hidden


def _officer_records() -> list[dict]:
    rows: list[dict[str, str]] = []

    def add(prefix: str, n: int, self_code: str, officer: str) -> None:
        rows.extend(row(record_id=f"{prefix}{i}", person_id=f"{prefix}{i}", crime_id=f"C{prefix}{i}",
                        area_code=NORWICH, ethnicity_self=self_code, ethnicity_officer=officer) for i in range(n))

    add("WB", 40, "W1", "IC1")
    add("WI", 6, "W2", "IC1")
    add("WO", 9, "W9", "IC1")
    add("MX", 6, "M1", "IC3")
    add("AI", 8, "A1", "IC4")
    add("BC", 7, "B1", "IC3")
    add("BA", 12, "B2", "IC3")
    add("OB", 3, "NS", "IC3")  # three Black children with an officer-defined code only
    add("NS", 7, "", "")
    return rows


@pytest.fixture(scope="module")
def officer_store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("officer")
    extract = write_extract(folder / "extract.csv", _officer_records())
    result = load_extract(extract, folder / "monitor.duckdb", population=_population(folder / "population.csv"),
                          today=date(2026, 11, 30))
    assert result.loaded == 98
    return Store(result.database)


@pytest.mark.parametrize("source", ["self_then_officer", "concordance"])
def test_officer_only_children_stay_hidden_from_scrutiny(officer_store, source):
    """The 3 Black children with only an officer code (Black: Caribbean 7, African 12; 22 Black children under the
    self-then-officer source; 7 with neither code; 10 in the detailed Not-stated row): analysts get 3 by subtraction,
    scrutiny (perturbed and controlled) gets no figure, and no self-then-officer table at all (one source)."""
    from analytics import disparity

    filters = Filters(roles=("suspect",), areas=(NORWICH,), ethnicity_source=source)
    exact = detailed.detailed_rates(officer_store, filters)
    assert exact is not None and (exact.officer_only, exact.neither) == ({"Black": 3}, 7)
    five = disparity.population_rates(officer_store, filters)
    analyst = access.controlled_detailed(exact, "analyst", five)
    expected = {"Black": 3, schema.NOT_STATED: 3} if source == "self_then_officer" else {schema.NOT_STATED: 3}
    assert {k: v for k, v in _differences(analyst.table, five.table).items() if k in expected} == expected
    perturbed = officer_store.perturbed()
    if source != schema.DEFAULT_ETHNICITY_SOURCE:  # scrutiny gets the default source only (issue 14): refused
        with pytest.raises(PermissionError, match="one source only"):
            disparity.population_rates(perturbed, filters)
        with pytest.raises(access.AccessDenied, match="one ethnicity source only"):
            access.controlled_detailed(exact, "scrutiny", five)
        return
    raw = detailed.detailed_rates(perturbed, filters)
    assert raw is not None
    five = access.controlled_table(disparity.population_rates(perturbed, filters), "scrutiny")
    if source == "concordance":  # the Not-stated cells share their noise: perturbation alone gives 3 back
        assert _differences(raw.table, five.table)[schema.NOT_STATED] == 3
    controlled = access.controlled_detailed(raw, "scrutiny", five)
    assert _differences(controlled.table, five.table) == {"Black": None, schema.NOT_STATED: None}


def test_no_published_sum_gives_back_a_single_hidden_count_on_random_tables():
    """On 40 random tables, the line rule checked independently of the algorithm: a 5-group total (the sum of its
    detailed cells, published by the 5-group table unless that table hides it) never has exactly one hidden cell,
    nor the grand total (the 5-group totals and Not stated) exactly one unknown term where Not stated holds 1-4 (a
    larger Not-stated row hidden for the officer-only total is the self-only 5-group table's own Not stated, shown
    there: hiding it protects against the other sources' tables). With officer-only counts
    (self-then-officer total = detailed cells + officer-only; detailed Not stated = neither + all officer-only): a
    group's officer-only count of 1-4 has a hidden detailed cell beside it; an officer-only total of 1-4 has the
    Not-stated row hidden, a partner for it on the grand total, and an unknown officer-only count (a group with some
    and a hidden cell) to add up to it."""
    rng = np.random.default_rng(15)
    codes = list(schema.DETAILED_LABELS)
    for _ in range(40):
        counts = {c: int(rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40])) for c in codes} | {"NS": int(rng.integers(0, 8))}
        officer = {g: int(rng.choice([0, 0, 1, 2, 3, 4, 6, 12])) for g in ("Asian", "Black", "White", "Other")}
        counts["NS"] += sum(officer.values())
        totals = {g: sum(n for c, n in counts.items() if detailed.CODE_GROUP.get(c) == g) for g in schema.ETHNIC_GROUPS}
        five = suppression.apply_to_ratio_table(pd.DataFrame({  # the 5-group table beside it (self-defined groups)
            "split": "All", "group": [*totals, schema.NOT_STATED], "events": [*totals.values(), counts["NS"]],
            "denominator": 1000, "rate": 1.0, "rate_lower": 0.5, "rate_upper": 2.0, "ratio": 1.0, "ratio_lower": 0.5,
            "ratio_upper": 2.0, "p_value": 0.5, "p_adjusted": 0.5, "verdict": "similar"}), "scrutiny")
        hidden_five = set(five.loc[five["suppressed"], "group"])
        controlled = suppression.apply_to_detailed_table(_table(counts), "scrutiny", GROUP_OF, "White: British",
                                                         hidden_groups=hidden_five, officer_only=officer,
                                                         neither=counts["NS"] - sum(officer.values()))
        hidden = dict(zip(controlled["group"], controlled["events"].astype(str).eq("[c]"), strict=True))
        hidden_in = {group: sum(hidden[m] for m, g in GROUP_OF.items() if g == group) for group in schema.ETHNIC_GROUPS}
        for group in schema.ETHNIC_GROUPS:
            assert group in hidden_five or hidden_in[group] != 1, (group, counts)
            assert not 1 <= officer.get(group, 0) <= 4 or hidden_in[group] >= 1, (group, counts, officer)
        unknown = sum(g in hidden_five for g in schema.ETHNIC_GROUPS) + hidden[schema.DETAILED_NOT_STATED]
        assert unknown != 1 or not 1 <= counts["NS"] <= 4, counts
        if 1 <= sum(officer.values()) <= 4:
            assert hidden[schema.DETAILED_NOT_STATED] and sum(hidden.values()) >= 2, (counts, officer)
            assert any(officer[g] and hidden_in[g] for g in officer), (counts, officer)


def test_scrutiny_sees_the_detailed_table_controlled(store):
    perturbed = store.perturbed()
    filters = Filters(roles=("suspect",), areas=(NORWICH,))
    result = detailed.detailed_rates(perturbed, filters)
    assert result is not None
    five = access.controlled_table(perturbed_five(perturbed, filters), "scrutiny")
    controlled = access.controlled_detailed(result, "scrutiny", five)
    numbers = pd.to_numeric(controlled.table["events"], errors="coerce")
    assert not numbers.between(1, 4).any()
    assert access.controlled_detailed(result, "analyst", five) is result


def perturbed_five(store: Store, filters: Filters):
    from analytics import disparity

    return disparity.population_rates(store, filters)


def test_the_detailed_rate_bars_are_one_row_per_group(store):
    from analytics import charts

    result = detailed.detailed_rates(store, Filters(roles=("suspect",), areas=(NORWICH,)))
    assert result is not None
    shown = result.table[result.table["group"] != schema.DETAILED_NOT_STATED]
    bars = charts.rate_bars(shown, "t", "per 1,000 children per year", 0.95, horizontal=True).data[0]
    assert bars.orientation == "h" and list(bars.y) == list(schema.DETAILED_LABELS.values())
    assert bars.x[list(bars.y).index("Black: African")] == pytest.approx(10 / _black_children("B2") / YEARS * 1000)


# --- the 'rows shown' filter does not change what is hidden (issue 14) ------------------------------------------------
ROWS_SHOWN = [("Asian",), ("Black",), ("Mixed",), ("Other",), ("Black", "Mixed")]


def _hidden(table: pd.DataFrame) -> set[str]:
    return set(table.loc[table["suppressed"].astype(bool), "group"])


@pytest.mark.parametrize("role", [pytest.param(r, marks=() if r == "suspect" else pytest.mark.slow)
                                  for r in schema.ROLES])
def test_what_scrutiny_hides_does_not_depend_on_the_rows_shown(role, sample_store, sample_db, capsys):
    """The sidebar's 'rows shown' (ethnic groups) narrows the detailed table's rows; the differencing audit runs on
    every detailed group whatever it is, so a row is hidden in a narrowed view exactly when it is hidden in the whole
    table, with the same counts shown. Audited on the rows shown alone, many views hid other cells (the reference,
    White: British, shown in one view and hidden in the other), so two views gave back a hidden count. The Not-stated
    row's share is of all the children counted, as SQL counts them, whatever the rows shown. Each role in every
    district (suspects, the pack's focus role, in ``make test``; victims and offenders in the slow tier)."""
    from analytics import disparity
    from tests.sql_support import query

    perturbed = sample_store.perturbed()
    views = before = 0
    for area in sample_store.areas()["area_code"]:
        base = Filters(roles=(role,), areas=(area,))
        five = access.controlled_table(disparity.population_rates(perturbed, base), "scrutiny")
        whole = access.controlled_detailed(detailed.detailed_rates(perturbed, base), "scrutiny", five).table
        children = int(query(sample_db, "SELECT COUNT(DISTINCT person_key) AS n FROM records WHERE role = $role "
                                        "AND area_code = $area AND sex IN ('M', 'F')",
                             {"role": role, "area": area})["n"][0])
        for groups in ROWS_SHOWN:
            raw = detailed.detailed_rates(perturbed, base.replace(ethnic_groups=groups))
            assert raw is not None
            shown = access.controlled_detailed(raw, "scrutiny", five).table
            expected_rows = {schema.DETAILED_LABELS[c] for c, g in detailed.CODE_GROUP.items() if g in groups}
            assert set(shown["group"]) == expected_rows | {"White: British", schema.DETAILED_NOT_STATED}
            assert _hidden(shown) == _hidden(whole) & set(shown["group"]), (role, area, groups)
            same = whole.set_index("group").loc[list(shown["group"]), "events"].astype(str)
            assert shown["events"].astype(str).tolist() == same.tolist()
            exact = detailed.detailed_rates(sample_store, base.replace(ethnic_groups=groups))
            assert exact is not None
            assert _row(exact.table, schema.DETAILED_NOT_STATED)["denominator"] == children
            alone = suppression.apply_to_detailed_table(  # the audit of the rows shown alone, as before
                raw.table, "scrutiny", raw.group_of(), "White: British", officer_only=raw.officer_only,
                neither=raw.neither, hidden_fallback=_hidden(five.table) & {schema.NOT_STATED},
                hidden_total=bool(five.table.attrs["suppressed_totals"]["overall"]))
            views += 1
            before += _hidden(alone) != _hidden(shown)
    with capsys.disabled():
        print(f"\nrows shown ({role}s): {views} narrowed views; audited on their own rows, {before} hid other cells "
              "than the whole table; now none")
    assert before >= views / 4


# --- the concordance shown beside scrutiny's tables (issue 14) --------------------------------------------------------
def _officer_only_from_shares(result, officer_group: str) -> list[int]:
    """The attack: a group's expected count (rate x population x years / 1,000) is its self-defined children plus
    each officer-only count times the concordance share, so the fractional parts fix ``officer_group``'s officer-only
    children (below its concordant children) where the other officer groups' shares are all 0 or 1."""
    rows = result.table.set_index("group")
    expected = rows["rate"].astype(float) * rows["denominator"].astype(float) * result.period.years / 1000
    shares = {r["officer_group"]: r["shares"] for r in result.concordance if r["stratum"] == "selection"}
    if any(share is None for share in shares[officer_group].values()):
        return []
    assert all(share in (0.0, 1.0) for other, values in shares.items() if other != officer_group
               for share in values.values())  # they add whole children: nothing in the fractional parts
    children = next(r["children"] for r in result.concordance if r["officer_group"] == officer_group)
    return [n for n in range(int(children)) if all(
        abs((n * share - expected[group] + 0.5) % 1 - 0.5) < 1e-9 for group, share in shares[officer_group].items())]


def test_the_concordance_shown_to_scrutiny_does_not_give_officer_only_children_back(officer_store, capsys):
    """The 3 Black children with an officer-defined code only (IC3 children with both codes: 6 Mixed, 19 Black, so
    shares 0.24 and 0.76, none resting on 1-4 children, which the earlier rule published): the shares and the
    perturbed table's expected counts (3 x 0.76 = 2.28 in Black, 0.72 in Mixed) give 3 back exactly. Scrutiny now
    gets the method and the concordant children, not the shares."""
    from analytics import disparity
    from tests.sql_support import query

    filters = Filters(roles=("suspect",), areas=(NORWICH,))
    truth = int(query(officer_store.path, "SELECT COUNT(DISTINCT person_key) AS n FROM records WHERE role = 'suspect' "
                                          "AND person_group_self IS NULL AND person_group_officer = 'Black'")["n"][0])
    raw = disparity.population_rates(officer_store.perturbed(), filters)
    implied = [share * r["children"] for r in raw.concordance for share in r["shares"].values()]
    assert not any(1 <= round(n) <= 4 for n in implied)  # the earlier rule withheld nothing here
    before = _officer_only_from_shares(raw, "Black")
    shown = access.controlled_table(raw, "scrutiny")
    after = _officer_only_from_shares(shown, "Black")
    with capsys.disabled():
        print(f"\nconcordance shares: officer-only Black children {truth}; solved before {before}, after {after}")
    assert truth == 3 and before == [truth]
    assert after == [] and all(set(r["shares"].values()) == {None} for r in shown.concordance)
    assert [r["children"] for r in shown.concordance] == [r["children"] for r in raw.concordance]
    assert "concordance" in shown.table["method"].iloc[0]
