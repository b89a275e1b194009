"""Rate and ratio tables on a hand-made extract whose every figure is worked out by hand here.

Independent checks: rates and ratios are recomputed from the counts with plain arithmetic; the exact
rate-ratio interval with scipy's Clopper–Pearson interval for a binomial proportion (the conditional
method: given a + b events, a ~ Bin(a + b, t1 / (t1 + t0))); Byar's limits from the published formula.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analytics import disparity, schema
from analytics.filters import Filters
from analytics.load import load_extract
from analytics.store import Store
from tests.extracts import row, write_extract

NORWICH, BRECKLAND = "E07000148", "E07000143"
#: Every record is dated 15 March 2024, so the data cover March 2024: rates are per year of its 31 days
#: (issue 13: events / population / (31 / 365.25) x 1,000).
YEARS = 31 / 365.25
PROJECT = Path(__file__).resolve().parents[1]


def _population(path: Path) -> Path:
    """1,000 children per cell (8,000 per group per district), except Black children in Breckland: 250 per cell."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(schema.POPULATION_COLUMNS)
        cells = itertools.product(schema.KNOWN_AREA_NAMES, schema.ETHNIC_GROUPS, schema.AGE_BANDS, "FM")
        for area, group, band, sex in cells:
            count = 250 if (area, group) == (BRECKLAND, "Black") else 1000
            writer.writerow([area, group, band, sex, count, "hand-made", 2021])
    return path


def _records() -> list[dict]:
    rows = []

    def add(prefix, n, area, self_code, officer, outcomes, repeat_first=False):
        for i in range(n):
            rows.append(row(record_id=f"{prefix}{i}", person_id=f"{prefix}{i}", crime_id=f"C{prefix}{i}",
                            area_code=area, ethnicity_self=self_code, ethnicity_officer=officer,
                            outcome_code=outcomes[i],
                            outcome_date="2024-04-01" if outcomes[i] else ""))
        if repeat_first:
            rows.append(row(record_id=f"{prefix}0-again", person_id=f"{prefix}0", crime_id="CX", area_code=area,
                            ethnicity_self=self_code, ethnicity_officer=officer, outcome_code="", outcome_date=""))

    # Norwich: 10 White children (4 outcome 22, 6 charged), 12 Black children (2 outcome 22, 10 charged; one
    # of them has a second, open record), 3 not stated (outcome 1).
    add("NW", 10, NORWICH, "W1", "IC1", ["22"] * 4 + ["1"] * 6)
    add("NB", 12, NORWICH, "B2", "IC3", ["22"] * 2 + ["1"] * 10, repeat_first=True)
    add("NN", 3, NORWICH, "NS", "", ["1"] * 3)
    # Breckland: 5 White children, 1 Black child, all charged.
    add("BW", 5, BRECKLAND, "W2", "IC1", ["1"] * 5)
    add("BB", 1, BRECKLAND, "B1", "IC3", ["1"])
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("disparity")
    extract = write_extract(folder / "extract.csv", _records())
    result = load_extract(extract, folder / "monitor.duckdb", population=_population(folder / "population.csv"),
                          today=date(2026, 11, 30))
    assert result.loaded == 32
    return Store(result.database)


def _row(table, group, split="All"):
    frame = table.table
    return frame[(frame["group"] == group) & (frame["split"] == split)].iloc[0]


def _exact_ratio_interval(a, t1, b, t0, conf=0.95):
    """Conditional binomial (Clopper–Pearson) interval transformed to the rate-ratio scale, via scipy."""
    ci = sps.binomtest(a, a + b, t1 / (t1 + t0)).proportion_ci(conf, method="exact")
    to_ratio = lambda p: p / (1 - p) * t0 / t1  # noqa: E731
    return to_ratio(ci.low), to_ratio(ci.high)


def _byar(x, conf=0.95):
    z = sps.norm.ppf(1 - (1 - conf) / 2)
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return lower, upper


def test_norwich_suspect_rates_and_ratio_by_hand(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",), areas=(NORWICH,)))
    white, black = _row(table, "White"), _row(table, "Black")
    assert (white["events"], white["denominator"], white["rate"]) == (10, 8000, pytest.approx(1.25 / YEARS))
    assert (black["events"], black["denominator"], black["rate"]) == (12, 8000, pytest.approx(1.5 / YEARS))
    assert table.period is not None and table.period.label == "March 2024, one month"
    assert black["ratio"] == pytest.approx(1.2)
    low, high = _exact_ratio_interval(12, 8000, 10, 8000)
    assert (black["ratio_lower_unadjusted"], black["ratio_upper_unadjusted"]) == (
        pytest.approx(low, rel=1e-6), pytest.approx(high, rel=1e-6))
    assert black["p_value"] == pytest.approx(sps.binomtest(12, 22, 0.5).pvalue, rel=1e-9)
    # The family: Asian, Mixed and Other have 0 events against White's 10 in equal populations, p = 2 x 0.5^10
    # each; Black p = 0.83. BH by hand: 3 x 0.00195 x 4/3 < 0.05 -> R = 3 rejections (lower) of m = 4, so the
    # shown intervals are at 1 - 3 x 0.05 / 4 = 96.25 % (Benjamini & Yekutieli 2005) and Black's includes 1.
    null_p = 2 * 0.5**10
    for group in ("Asian", "Mixed", "Other"):
        other = _row(table, group)
        assert other["p_value"] == pytest.approx(null_p, rel=1e-9)
        assert other["p_adjusted"] == pytest.approx(null_p * 4 / 3, rel=1e-9)
        assert other["verdict"] == "lower" and other["reliability"] == "withheld" and pd_isna(other["ratio"])
    assert black["interval_level"] == pytest.approx(0.9625)
    shown_low, shown_high = _exact_ratio_interval(12, 8000, 10, 8000, conf=0.9625)
    assert (black["ratio_lower"], black["ratio_upper"]) == (
        pytest.approx(shown_low, rel=1e-6), pytest.approx(shown_high, rel=1e-6))
    assert shown_low < low < 1 < high < shown_high
    byar_low, byar_high = _byar(10)
    assert white["rate_lower"] == pytest.approx(byar_low / (8000 * YEARS) * 1000, rel=1e-9)  # per person-year
    assert white["rate_upper"] == pytest.approx(byar_high / (8000 * YEARS) * 1000, rel=1e-9)
    assert white["method"].startswith("Byar") and pd_isna(white["ratio"])
    assert (black["reliability"], white["reliability"]) == ("reliable", "reliable")
    assert black["verdict"] == "similar" and black["p_adjusted"] == pytest.approx(black["p_value"], rel=1e-9)


def pd_isna(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def test_not_stated_is_its_own_row_with_count_and_share(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",), areas=(NORWICH,), ethnic_groups=("Black",)))
    assert set(table.table["group"]) == {"Black", "White", "Not stated"}  # reference and Not stated always kept
    missing = _row(table, "Not stated")
    assert (missing["events"], missing["denominator"], missing["unit"]) == (3, 25, "%")
    assert missing["rate"] == pytest.approx(12.0)


def test_counting_records_counts_the_repeat(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",), areas=(NORWICH,), counting_unit="records"))
    assert _row(table, "Black")["events"] == 13
    assert _row(table, "Black")["ratio"] == pytest.approx(1.3)


def test_split_by_area_uses_each_districts_population(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",)), split="area")
    breckland_black = _row(table, "Black", BRECKLAND)
    assert (breckland_black["events"], breckland_black["denominator"]) == (1, 2000)
    assert breckland_black["ratio"] != breckland_black["ratio"]  # withheld: fewer than 5 events
    assert breckland_black["reliability"] == "withheld"
    assert _row(table, "White", BRECKLAND)["rate"] == pytest.approx(5 / 8000 / YEARS * 1000)
    assert set(table.table["split"]) == set(schema.KNOWN_AREA_NAMES)


def test_mantel_haenszel_by_area_by_hand(store):
    # Norwich: a=12, t1=8000, b=10, t0=8000 (T=16000); Breckland: a=1, t1=2000, b=5, t0=8000 (T=10000)
    # MH = sum(a t0 / T) / sum(b t1 / T) = (6 + 0.8) / (5 + 1.0); crude = (13/50000) / (15/56000)
    adjusted = disparity.adjusted_ratios(store, Filters(roles=("suspect",)), "rate", ("area",)).set_index("group")
    assert adjusted.loc["Black", "adjusted_ratio"] == pytest.approx(6.8 / 6.0)
    assert adjusted.loc["Black", "crude_ratio"] == pytest.approx((13 / 50000) / (15 / 56000))
    assert adjusted.loc["Black", "strata_used"] == 2


def test_mantel_haenszel_with_an_ethnic_group_chosen_gives_that_group_only(store):
    # choosing Black in the slicer used to raise KeyError('Mixed'): the crude table had no Mixed row
    chosen = Filters(roles=("suspect",), ethnic_groups=("Black",))
    adjusted = disparity.adjusted_ratios(store, chosen, "rate", ("area",)).set_index("group")
    assert list(adjusted.index) == ["Black"]
    assert adjusted.loc["Black", "adjusted_ratio"] == pytest.approx(6.8 / 6.0)
    assert adjusted.loc["Black", "crude_ratio"] == pytest.approx((13 / 50000) / (15 / 56000))


def test_mantel_haenszel_uses_a_crude_table_passed_in_and_refuses_one_for_other_filters(store):
    filters = Filters(roles=("suspect",))
    crude = disparity.population_rates(store, filters)
    passed = disparity.adjusted_ratios(store, filters, "rate", ("area",), crude=crude)
    computed = disparity.adjusted_ratios(store, filters, "rate", ("area",))
    assert passed.equals(computed)
    other = disparity.population_rates(store, Filters(roles=("victim",)))
    with pytest.raises(ValueError, match="crude table was computed for other filters"):
        disparity.adjusted_ratios(store, filters, "rate", ("area",), crude=other)


def test_outcome_22_decision_ratio_by_hand(store):
    # every record here is dated 15 March 2024, weeks before the end of the data (1 April 2024, the outcomes):
    # the 90-day cohort rule (issue 13) would leave none, so this by-hand table is without it
    table = disparity.decision_ratios(store, Filters(areas=(NORWICH,), follow_up_days=0))
    white, black = _row(table, "White"), _row(table, "Black")
    assert (white["events"], white["denominator"], white["rate"]) == (4, 10, pytest.approx(40.0))
    # the Black child's second record is still open, so it is not in the denominator
    assert (black["events"], black["denominator"]) == (2, 12)
    assert black["rate"] == pytest.approx(100 * 2 / 12)
    assert black["reliability"] == "withheld" and pd_isna(black["ratio"])  # 2 events: ratio not shown
    assert "open investigation" in " ".join(table.notes) and table.notes[0].startswith("1 records")
    # charge/summons: White 6 of 10, Black 10 of 12 -> shown, but unreliable (fewer than 10 reference events)
    charged = disparity.decision_ratios(store, Filters(areas=(NORWICH,), follow_up_days=0), outcome_codes=("1",))
    black = _row(charged, "Black")
    assert black["ratio"] == pytest.approx((10 / 12) / (6 / 10))
    assert black["reliability"] == "unreliable" and black["ratio_lower"] < black["ratio"] < black["ratio_upper"]


def test_missing_ethnicity_bounds_by_hand(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",), areas=(NORWICH,)))
    bounds = disparity.missing_ethnicity_bounds(table).set_index("group").loc["Black"]
    assert bounds["if_proportional"] == pytest.approx(1.2)
    assert bounds["if_all_to_group"] == pytest.approx(15 / 10)  # 12 + 3 not stated vs 10
    assert bounds["if_all_to_reference"] == pytest.approx(12 / 13)  # 12 vs 10 + 3


def test_a_filter_that_matches_nothing_gives_zero_rows_not_an_error(store):
    table = disparity.population_rates(store, Filters(roles=("victim",), areas=(NORWICH,)))
    assert table.table["events"].sum() == 0
    assert table.table["ratio"].isna().all()


def test_benjamini_hochberg_is_applied_across_rows(store):
    table = disparity.population_rates(store, Filters(roles=("suspect",)), split="area").table
    tested = table.dropna(subset=["p_value"])
    p = tested["p_value"].to_numpy()
    expected = sps.false_discovery_control(p, method="bh")
    assert tested["p_adjusted"].to_numpy() == pytest.approx(expected)


def test_cli_csv_matches_the_hand_computed_table(store):
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "ratios", "--role", "suspect", "--area", NORWICH, "--db", str(store.path)],
        capture_output=True, text=True, cwd=PROJECT, check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join(disparity.COLUMNS)
    black = next(r for r in csv.DictReader(lines) if r["group"] == "Black")
    low, high = _exact_ratio_interval(12, 8000, 10, 8000)
    assert (black["split"], black["events"], black["denominator"], black["unit"]) == (
        "All", "12", "8000", "per 1,000 children per year")
    assert float(black["rate"]) == pytest.approx(1.5 / YEARS) and float(black["ratio"]) == pytest.approx(1.2)
    assert float(black["ratio_lower_unadjusted"]) == pytest.approx(low, rel=1e-5)
    assert float(black["ratio_upper_unadjusted"]) == pytest.approx(high, rel=1e-5)
    shown_low, shown_high = _exact_ratio_interval(12, 8000, 10, 8000, conf=0.9625)  # see the by-hand test above
    assert float(black["ratio_lower"]) == pytest.approx(shown_low, rel=1e-5)
    assert float(black["ratio_upper"]) == pytest.approx(shown_high, rel=1e-5)
    assert black["verdict"] == "similar"


def test_cli_json_carries_method_confidence_and_denominator(store):
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "ratios", "--role", "suspect", "--measure", "outcome", "--confidence",
         "0.998", "--format", "json", "--db", str(store.path)],
        capture_output=True, text=True, cwd=PROJECT, check=True,
    )
    document = json.loads(result.stdout)
    assert document["metadata"]["confidence"] == 0.998
    # issue 13 point 7: by default the denominator is the concluded outcomes where diversion was a live option
    assert document["metadata"]["denominator"].startswith(
        "records of suspects with concluded outcomes where diversion was a live option")
    assert document["metadata"]["decision_denominator"] == "live"
    assert document["metadata"]["denominator_outcome_codes"] == ["1", "1A", "2", "2A", "3", "3A", "8", "20", "21",
                                                                 "22"]
    assert all("99.8 % CI" in r["method"] for r in document["rows"])


RATIOS_USAGE_ERROR = "python -m analytics ratios: error:"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "E07000999"], "error: unknown district code 'E07000999' (not in the population table)"),
        (["--offence-group", "Arson"], "error: unknown offence group: 'Arson' (expected one of"),
        (["--from", "2024-13-01"], f"{RATIOS_USAGE_ERROR} argument --from: not a date in YYYY-MM-DD form"),
        (["--confidence", "1.5"], f"{RATIOS_USAGE_ERROR} argument --confidence: confidence must be between 0 and 1"),
        (["--reference", "Purple"], f"{RATIOS_USAGE_ERROR} argument --reference: invalid choice: 'Purple'"),
    ],
)
def test_cli_refuses_unknown_values_in_one_line(store, args, message):
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "ratios", "--role", "suspect", *args, "--db", str(store.path)],
        capture_output=True, text=True, cwd=PROJECT,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("filters", [
    Filters(),
    Filters(counting_unit="records", confidence=0.998),
    Filters(roles=("victim",), ethnic_groups=("Black", "Not stated"), reference_group="Asian"),
    Filters(knife_crime="only", date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), areas=("E07000148",)),
])
def test_rates_by_role_equal_one_table_per_role_and_the_role_counts(sample_store, filters):
    roles = disparity.rates_by_role(sample_store, filters)
    for role in schema.ROLES:
        alone = disparity.population_rates(sample_store, filters.replace(roles=(role,)))
        assert roles.tables[role].table.equals(alone.table), role
        assert roles.tables[role].metadata() == alone.metadata()
    counted = sample_store.counts(filters.replace(roles=()), ("role",)).set_index("role")["events"]
    assert roles.counts.to_dict() == {role: int(counted.get(role, 0)) for role in schema.ROLES}
    assert roles.counts.sum() > 0


def _brute_force_share_extremes(a, n1, c, n0, x, m):
    """Every allocation of x not-stated events and m - x non-events to the group, the reference group or
    elsewhere: the smallest and largest ratio of shares."""
    ratios = []
    for i, k in itertools.product(range(x + 1), repeat=2):
        if i + k > x:
            continue
        for j, l_ in itertools.product(range(m - x + 1), repeat=2):
            if j + l_ > m - x or c + k == 0:
                continue
            ratios.append(((a + i) / (n1 + i + j)) / ((c + k) / (n0 + k + l_)))
    return min(ratios), max(ratios)


def _share_result(a, n1, c, n0, x, m):
    from types import SimpleNamespace

    from analytics import tables

    events = {"Black": a, "White": c, schema.NOT_STATED: x}
    concluded = {"Black": n1, "White": n0, schema.NOT_STATED: m}
    rows = tables.decision_rows("All", events, concluded, "White", 0.95)
    table = tables.finish_table(pd.DataFrame(rows), 0.95, "White")
    return SimpleNamespace(table=table, measure="outcome", filters=SimpleNamespace(reference_group="White"))


@pytest.mark.parametrize("case", [(6, 20, 10, 25, 4, 9), (9, 15, 5, 30, 6, 8), (5, 40, 12, 18, 3, 12)])
def test_share_bounds_are_the_true_extremes_found_by_brute_force(case):
    """Issue 13: for shares the not-stated events *and* non-events go to the extremes (Black 0.570-0.763 was
    shown where the true extremes were 0.361-1.152). Checked against every allocation, by brute force."""
    a, n1, c, n0, x, m = case
    bounds = disparity.missing_ethnicity_bounds(_share_result(*case)).set_index("group").loc["Black"]
    low, high = _brute_force_share_extremes(a, n1, c, n0, x, m)
    assert (bounds["lowest"], bounds["highest"]) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
    assert bounds["lowest"] <= bounds["ratio"] <= bounds["highest"]


def test_share_bounds_contain_every_ratio_on_the_sample(sample_store):
    for role in ("suspect", "offender"):
        for split in (None, "area", "offence_group"):
            bounds = disparity.missing_ethnicity_bounds(
                disparity.decision_ratios(sample_store, Filters(roles=(role,)), split=split))
            finite = bounds[np.isfinite(bounds["highest"])]
            inside = (finite["lowest"] <= finite["ratio"] + 1e-12) & (finite["ratio"] <= finite["highest"] + 1e-12)
            assert inside.all()
