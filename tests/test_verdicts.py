"""One verdict per comparison (issue 13): the family adjustment, the false-coverage-rate intervals and their
duality with the verdict on every table the sample produces, and the same verdict in every view.

Independent references:

* Benjamini & Hochberg (1995), JRSS B 57:289-300, section 4: the 15 p-values of the myocardial-infarction
  example; BH at q = 0.05 rejects the 4 smallest, the Bonferroni-type procedures (Bonferroni, Holm) 3.
* R ``p.adjust(p, "BH")`` / ``"holm"`` / ``"bonferroni"`` on that vector (the values below are R's definitions
  worked by hand: BH p_(i) m / i with a running minimum from the top; Holm (m - i + 1) p_(i) with a running
  maximum; Bonferroni m p), capped at 1.
* Benjamini & Yekutieli (2005), JASA 100:71-81, definition 1: after BH selects R of m parameters at level q, the
  marginal intervals at level 1 - R q / m keep the false coverage rate at q; with the interval inverting the
  same test as the p-value, the selected intervals are exactly those that exclude the null value.
"""

from __future__ import annotations

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

from analytics import disparity, schema, tables, verdicts
from analytics.filters import Filters
from analytics.verdicts import Verdict
from tests.conftest import report_line

#: Benjamini & Hochberg (1995) section 4.
BH_EXAMPLE = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
              0.6528, 0.7590, 1.000]
BH_EXAMPLE_ADJUSTED = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571428571, 0.0638571428571, 0.0645, 0.0765,
                       0.486, 0.581181818182, 0.714875, 0.753230769231, 0.813214285714, 1.0]
HOLM_EXAMPLE_ADJUSTED = [0.0015, 0.0056, 0.0247, 0.114, 0.2211, 0.278, 0.278, 0.278, 0.3213, 1.0, 1.0, 1.0, 1.0,
                         1.0, 1.0]


# --------------------------------------------------------------------------------------------
# The family adjustment and the shown level
# --------------------------------------------------------------------------------------------
def test_bh_on_the_published_example_rejects_four():
    family = verdicts.adjust_family(BH_EXAMPLE, 0.05, "bh")
    assert family.p_adjusted == pytest.approx(BH_EXAMPLE_ADJUSTED, rel=1e-9)
    assert family.rejected.tolist() == [True] * 4 + [False] * 11
    assert (family.family_size, family.rejections) == (15, 4)
    assert family.interval_level == pytest.approx(1 - 4 * 0.05 / 15)  # Benjamini & Yekutieli (2005)


def test_holm_and_bonferroni_on_the_published_example_reject_three():
    holm = verdicts.adjust_family(BH_EXAMPLE, 0.05, "holm")
    assert holm.p_adjusted == pytest.approx(HOLM_EXAMPLE_ADJUSTED, rel=1e-9)
    assert holm.rejections == 3 and holm.interval_level == pytest.approx(1 - 0.05 / 12)
    bonferroni = verdicts.adjust_family(BH_EXAMPLE, 0.05, "bonferroni")
    assert bonferroni.p_adjusted == pytest.approx(np.minimum(np.array(BH_EXAMPLE) * 15, 1.0), rel=1e-12)
    assert bonferroni.rejections == 3 and bonferroni.interval_level == pytest.approx(1 - 0.05 / 15)


def test_the_shown_level_separates_rejected_from_kept_p_values():
    """For each method the level's alpha lies between the largest rejected and the smallest kept p-value, so an
    interval inverting the same test excludes the null exactly for the rejected comparisons."""
    rng = np.random.default_rng(20261201)
    for _ in range(300):
        m = int(rng.integers(1, 40))
        p = np.where(rng.random(m) < 0.3, rng.random(m) * 0.01, rng.random(m))
        for method in verdicts.FAMILY_METHODS:
            family = verdicts.adjust_family(p, 0.05, method)
            alpha = 1 - family.interval_level
            assert np.all(p[family.rejected] <= alpha + 1e-15), method
            assert np.all(p[~family.rejected] > alpha), method
            expected = sps.false_discovery_control(p, method="bh") <= 0.05 if method == "bh" else None
            if expected is not None:
                assert family.rejected.tolist() == expected.tolist()


def test_missing_p_values_are_not_in_the_family():
    family = verdicts.adjust_family([0.001, math.nan, 0.04], 0.05)
    assert family.family_size == 2 and math.isnan(family.p_adjusted[1]) and not family.rejected[1]
    assert family.p_adjusted[[0, 2]] == pytest.approx([0.002, 0.04])


def test_verdicts_and_labels():
    family, decided = verdicts.decide([2.0, 0.5, 1.3, math.nan, math.inf], [0.001, 0.002, 0.6, math.nan, 0.01], 0.05)
    assert decided == [Verdict.HIGHER, Verdict.LOWER, Verdict.SIMILAR, Verdict.NOT_ESTIMABLE, Verdict.HIGHER]
    assert family.family_size == 4
    assert [v.label for v in Verdict] == ["Higher", "No clear difference", "Lower", "Not estimable"]
    assert verdicts.label_of("lower") == "Lower" and verdicts.label_of(None) == "" and verdicts.label_of(np.nan) == ""
    assert verdicts.format_level(0.95) == "95 %" and verdicts.format_level(1 - 0.05 / 28) == "99.821 %"


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5, math.nan])
def test_bad_q_is_refused(bad):
    with pytest.raises(ValueError, match="q"):
        verdicts.adjust_family([0.1], bad)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown family adjustment"):
        verdicts.adjust_family([0.1], 0.05, "hochberg")


# --------------------------------------------------------------------------------------------
# Duality on every table of the sample
# --------------------------------------------------------------------------------------------
SPLITS = (None, *schema.SPLIT_DIMENSIONS)
TABLES = [("rate", role, split) for role in schema.ROLES for split in SPLITS] + [
    ("outcome", role, split) for role in ("suspect", "offender") for split in SPLITS]


def _table(store, measure: str, role: str, split: str | None) -> disparity.DisparityTable:
    filters = Filters(roles=(role,))
    if measure == "rate":
        return disparity.population_rates(store, filters, split=split)
    return disparity.decision_ratios(store, filters, split=split)


def assert_duality(frame: pd.DataFrame, label: str) -> int:
    """Every comparison: the shown interval (or, where withheld for display, the interval recomputed at the
    table's level from the same counts) excludes 1 exactly when the verdict is higher or lower, on the side the
    verdict says; the unadjusted interval is nested inside the shown one. Returns the comparisons checked."""
    checked = 0
    for row in frame.to_dict("records"):
        verdict = verdicts.parse(row["verdict"])
        if verdict is None or verdict == Verdict.NOT_ESTIMABLE:
            continue
        lower, upper = row["ratio_lower"], row["ratio_upper"]
        if pd.isna(lower):  # withheld for display: its verdict stands, so its interval must agree too
            lower, upper, _ = tables.ratio_interval(row, row["interval_level"])
        else:
            assert row["ratio_lower"] <= row["ratio_lower_unadjusted"] + 1e-12, (label, row)
            assert row["ratio_upper_unadjusted"] <= row["ratio_upper"] + 1e-12 or math.isinf(row["ratio_upper"])
        assert verdicts.excludes_one(lower, upper) == verdict.is_difference, (label, row["split"], row["group"],
                                                                              verdict, lower, upper)
        if verdict == Verdict.HIGHER:
            assert lower > 1, (label, row)
        if verdict == Verdict.LOWER:
            assert upper < 1, (label, row)
        checked += 1
    return checked


def test_shown_interval_and_verdict_agree_on_every_table_of_the_sample(sample_store, request):
    """Every role x measure x split the ``ratios`` command offers, on the sample: no row where the shown
    interval and the verdict disagree."""
    checked = differences = 0
    for measure, role, split in TABLES:
        frame = _table(sample_store, measure, role, split).table
        checked += assert_duality(frame, f"{measure} {role} {split}")
        differences += int(frame["verdict"].map(verdicts.is_difference).sum())
        levels = frame["interval_level"].dropna().unique()
        assert len(levels) <= 1, "one level per table"
    assert differences > 0 and checked > 500  # the check has something to bite on
    print(f"duality: {len(TABLES)} tables, {checked} comparisons, {differences} higher/lower")


def test_withholding_is_for_display_only(sample_store):
    """The verdicts of a table with small ratios withheld equal those of the same family decided on the raw
    p-values (withheld rows included): withholding changes neither the family nor any verdict."""
    frame = _table(sample_store, "rate", "suspect", "area").table
    compared = frame[frame["verdict"].notna()]
    assert (compared["reliability"] == "withheld").any()
    family, decided = verdicts.decide(compared["ratio"].fillna(
        compared["events"] / compared["denominator"]).to_numpy(), compared["p_value"].to_numpy(), 0.05)
    assert family.family_size == int(compared["p_value"].notna().sum())
    assert compared["p_adjusted"].to_numpy() == pytest.approx(family.p_adjusted, nan_ok=True)
    assert [v.is_difference for v in decided] == compared["verdict"].map(verdicts.is_difference).tolist()


def test_mantel_haenszel_verdicts_agree_with_their_intervals(sample_store):
    for measure, strata in (("rate", ("area", "age_band", "sex")), ("outcome", ("offence_group", "age_band"))):
        adjusted = disparity.adjusted_ratios(sample_store, Filters(roles=("suspect",)), measure, strata)
        for row in adjusted.to_dict("records"):
            verdict = verdicts.parse(row["verdict"])
            if verdict is None or verdict == Verdict.NOT_ESTIMABLE:
                continue
            assert verdicts.excludes_one(row["adjusted_lower"], row["adjusted_upper"]) == verdict.is_difference
            # the Wald p-value is the one the Greenland-Robins interval inverts: z from the unadjusted interval
            z = sps.norm.isf(0.025)
            se = (math.log(row["adjusted_upper_unadjusted"]) - math.log(row["adjusted_lower_unadjusted"])) / (2 * z)
            assert row["p_value"] == pytest.approx(2 * sps.norm.sf(abs(math.log(row["adjusted_ratio"])) / se))


# --------------------------------------------------------------------------------------------
# False discoveries over null tables (slow tier)
# --------------------------------------------------------------------------------------------
def null_table(rng: np.random.Generator, splits: int = 7, expected: float = 2.0, population: int = 1000,
               reference_population: int = 50_000) -> pd.DataFrame:
    """A rate table with no true difference: every group of every split has the same rate, ``expected`` events
    in each compared group and a large reference group (as White children are), 100 expected events."""
    parts = []
    sizes = {g: reference_population if g == "White" else population for g in schema.ETHNIC_GROUPS}
    for split in range(splits):
        events = {g: int(rng.poisson(expected * sizes[g] / population)) for g in schema.ETHNIC_GROUPS}
        parts.append((f"S{split}", events, sizes))
    rows = tables.rate_rows(parts, "White", 0.95, years=1.0)  # verdicts only: the period does not matter
    return tables.finish_table(pd.DataFrame(rows), 0.95, "White")


def withhold_then_bh(table: pd.DataFrame) -> bool:
    """The old order, for comparison: ratios from fewer than 5 events dropped first, BH over the rest."""
    reference = table[table["is_reference"]].set_index("split")["events"]
    compared = table[table["verdict"].notna() & table["p_value"].notna()]
    basis = np.minimum(compared["events"].to_numpy(), reference.loc[compared["split"]].to_numpy())
    shown = compared["p_value"].to_numpy()[basis >= 5]
    return bool(len(shown) and (sps.false_discovery_control(shown, method="bh") <= 0.05).any())


@pytest.mark.slow
def test_null_tables_rarely_show_a_false_difference(request):
    """1,000 null tables of 28 comparisons (7 splits x 4 groups against White), about 2 expected events per group:
    the share of tables with any false higher/lower stays at or below about 5 % (BH controls the false discovery
    rate at q = 0.05, which under the complete null is the chance of any false call). The old order (withhold,
    then BH over the ratios shown) is measured beside it."""
    rng = np.random.default_rng(13)
    runs = 1000
    any_false = old_false = 0
    for _ in range(runs):
        table = null_table(rng)
        assert int(table["verdict"].notna().sum()) == 28
        any_false += bool(table["verdict"].map(verdicts.is_difference).any())
        old_false += withhold_then_bh(table)
    share, old_share = any_false / runs, old_false / runs
    report_line(request, f"null tables with a false higher/lower: {share:.1%} (family fixed first); "
                         f"{old_share:.1%} withholding first")
    assert share <= 0.05 + 1.96 * math.sqrt(0.05 * 0.95 / runs)


# --------------------------------------------------------------------------------------------
# The same verdict in the dashboard, the pack and `ratios`
# --------------------------------------------------------------------------------------------
PROJECT = Path(__file__).resolve().parents[1]
PACK_MONTH = date(2026, 10, 1)
PACK_PERIOD = ("2025-11-01", "2026-10-31")  # the 12 months to October 2026


def ratios_cli(db: Path, *args: str) -> pd.DataFrame:
    """``python -m analytics ratios ... --format json`` as a table."""
    result = subprocess.run([sys.executable, "-m", "analytics", "ratios", *args, "--format", "json", "--db", str(db)],
                            capture_output=True, text=True, cwd=PROJECT, check=True)
    return pd.DataFrame(json.loads(result.stdout)["rows"])


def cli_verdicts(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    compared = frame[frame["verdict"].notna()]
    return {(str(s), str(g)): str(v) for s, g, v in zip(compared["split"], compared["group"], compared["verdict"],
                                                       strict=True)}


def test_dashboard_and_ratios_give_the_same_verdicts(app_data):
    """The Overview's headline table against ``ratios --role R`` for each role (the same filters: everything)."""
    from tests.test_app import open_page, table_with

    at = open_page("dashboard.py")
    shown = table_with(at, "Role", "Group", "Verdict")
    labels = {v.label: str(v) for v in Verdict}
    compared = 0
    for role in schema.ROLES:
        expected = cli_verdicts(ratios_cli(app_data, "--role", role))
        rows = shown[shown["Role"] == schema.ROLE_NAMES[role]]
        assert len(rows) == len(expected) == 4
        for group, label in zip(rows["Group"], rows["Verdict"], strict=True):
            assert labels[label] == expected[("All", group)], (role, group)
            compared += 1
    assert compared == 12


def test_pack_and_ratios_give_the_same_verdicts(sample_store, sample_db):
    """Every role finding and every district finding of the officers' pack for October 2026 against
    ``ratios`` for the same 12 months (county-wide per role; by district for the district role)."""
    from analytics import report

    pack = report.build_pack(sample_store, PACK_MONTH, "officers", Filters())
    period = ("--from", PACK_PERIOD[0], "--to", PACK_PERIOD[1])
    checked = differences = 0
    for role in schema.ROLES:
        expected = cli_verdicts(ratios_cli(sample_db, "--role", role, *period))
        for finding in (f for f in pack.data.findings if f.kind == "role" and f.key[0] == role):
            assert finding.verdict == expected[("All", finding.group)], (role, finding.group)
            checked += 1
            differences += verdicts.is_difference(finding.verdict)
    by_district = cli_verdicts(ratios_cli(sample_db, "--role", pack.data.districts.role, "--split", "area", *period))
    for finding in (f for f in pack.data.findings if f.kind == "district"):
        assert finding.verdict == by_district[(finding.key[0], finding.group)], finding.key
        checked += 1
        differences += verdicts.is_difference(finding.verdict)
    assert checked == 12 + 28 and differences > 0


def test_stop_and_search_tables_keep_the_duality(tmp_path):
    """Every stop-and-search measure x split on the six real Gwent months: shown interval and verdict agree."""
    from analytics import searches
    from analytics.searches import SearchFilters
    from analytics.store import SearchStore, Store

    database = tmp_path / "monitor.duckdb"
    assert searches.load_searches([PROJECT / "sample_data" / "police_uk_stop_search"], database,
                                  today=date(2026, 11, 30)).reconciles()
    sstore = SearchStore(Store(database))
    checked = 0
    for measure in searches.MEASURES:
        for split in (None, *searches.SPLITS):
            if (measure, split) == ("weapons", "object"):  # refused: the measure is about one object
                continue
            frame = searches.ratios(sstore, SearchFilters(), measure, split).table
            checked += assert_duality(frame, f"searches {measure} {split}")
    assert checked > 50
