"""Tests of disclosure control (analytics/suppression.py, DESIGN.md section 8).

Expected masks are worked by hand; each example says why each cell is suppressed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import schema
from analytics.suppression import (
    SUPPRESSED,
    apply_to_ratio_table,
    audience_applies_suppression,
    find_disclosures,
    primary_mask,
    reliability,
    reliability_series,
    rules_text,
    secondary_suppression,
    secondary_suppression_series,
    suppress_table,
)


def with_totals(cells: list[list[int]], rows: Sequence[str], cols: Sequence[str], *, total_row=True,
                total_col=True) -> pd.DataFrame:
    """A table of counts with a "Total" column (row sums) and/or a "Total" row (column sums)."""
    table = pd.DataFrame(cells, index=list(rows), columns=list(cols))
    if total_col:
        table["Total"] = table.sum(axis=1)
    if total_row:
        table.loc["Total"] = table.sum()
    return table


def expected_mask(table: pd.DataFrame, cells: list[tuple[str, str]]) -> pd.DataFrame:
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for row, col in cells:
        mask.loc[row, col] = True
    return mask


# --------------------------------------------------------------------------------------------
# Audiences and reliability
# --------------------------------------------------------------------------------------------
def test_only_scrutiny_audience_is_suppressed():
    assert audience_applies_suppression("scrutiny")
    assert not audience_applies_suppression("analyst")
    assert not audience_applies_suppression("officer")
    with pytest.raises(ValueError, match="unknown audience"):
        audience_applies_suppression("public")


@pytest.mark.parametrize(
    ("events", "label"),
    [(0, "withheld"), (4, "withheld"), (5, "unreliable"), (9, "unreliable"), (10, "reliable"), (1000, "reliable")],
)
def test_reliability_thresholds(events, label):
    assert reliability(events) == label


def test_reliability_defaults_are_the_schema_constants_and_configurable():
    assert (schema.WITHHOLD_RATIO_BELOW, schema.UNRELIABLE_BELOW) == (5, 10)
    assert reliability(12, unreliable_below=20) == "unreliable"
    assert reliability(5, withhold_below=6) == "withheld"
    with pytest.raises(ValueError):
        reliability(-1)
    with pytest.raises(ValueError):
        reliability(5, unreliable_below=3, withhold_below=4)


def test_reliability_series_matches_scalar():
    events = pd.Series([0, 4, 5, 9, 10, 11], index=list("abcdef"))
    result = reliability_series(events)
    assert list(result.index) == list("abcdef")
    assert list(result) == [reliability(e) for e in events]


# --------------------------------------------------------------------------------------------
# Primary suppression
# --------------------------------------------------------------------------------------------
def test_primary_mask_suppresses_one_to_four_but_not_zero():
    counts = pd.Series([0, 1, 4, 5, 120])
    assert list(primary_mask(counts)) == [False, True, True, False, False]


def test_primary_threshold_is_configurable():
    counts = pd.Series([0, 1, 2, 3, 7, 9, 10])
    assert list(primary_mask(counts, threshold=3)) == [False, True, True, False, False, False, False]
    assert list(primary_mask(counts, threshold=10)) == [False, True, True, True, True, True, False]
    assert not primary_mask(counts, threshold=1).any()  # threshold 1: nothing is small
    with pytest.raises(ValueError):
        primary_mask(counts, threshold=0)


# --------------------------------------------------------------------------------------------
# Secondary suppression, 2-D (hand-worked)
# --------------------------------------------------------------------------------------------
def test_one_small_cell_needs_complements_in_its_row_and_column():
    #         A   B   C | Total
    #   X     3  10  12 |   25      X,A = 3 is primary.
    #   Y     8  20  15 |   43
    #   Z     9  11  30 |   50
    # Rows first: row X has one [c], so suppress its smallest other cell X,B = 10.
    # Column A has one [c] (X,A): candidates Y,A = 8 and Z,A = 9 -> smallest, Y,A.
    # Column B now has one [c] (X,B): candidates Y,B = 20 and Z,B = 11; Y,B is preferred although
    # larger because row Y already has exactly one [c] (Y,A), so Y,B protects both lines.
    # Every row and column now has 0 or 2 [c]; the four cells form a rectangle (a cycle).
    table = with_totals([[3, 10, 12], [8, 20, 15], [9, 11, 30]], "XYZ", "ABC")
    mask = secondary_suppression(table, row_total="Total", col_total="Total")
    pd.testing.assert_frame_equal(mask, expected_mask(table, [("X", "A"), ("X", "B"), ("Y", "A"), ("Y", "B")]))


def test_a_row_whose_other_cells_are_zero_loses_its_total():
    #         A   B   C | Total
    #   X     2   6  20 |   28      X,A = 2 is primary.
    #   Y     0   9   0 |    9
    #   Z    30   0  50 |   80
    # Total  32  15  70 |  117
    # Pass 1: row X -> X,B (6, smallest); column A -> Z,A (only non-zero); column B -> Y,B (only non-zero).
    # Pass 2: row Y has one [c] (Y,B) and its other cells are zeros: its total (9) must go.
    #   Row Z has one [c] (Z,A) -> Z,C (50, the only non-zero). Column C now has one [c] (Z,C) ->
    #   X,C (20; Y,C is zero). The total column has one [c] (Y's total) -> X's total 28 (smaller than 80).
    # Pass 3: every line has 0, 2 or 4 [c]; cycles X-A-Z-C and X-B-Y-Total cover every [c].
    table = with_totals([[2, 6, 20], [0, 9, 0], [30, 0, 50]], "XYZ", "ABC")
    mask = secondary_suppression(table, row_total="Total", col_total="Total")
    expected = [("X", "A"), ("X", "B"), ("X", "C"), ("X", "Total"), ("Y", "B"), ("Y", "Total"), ("Z", "A"), ("Z", "C")]
    pd.testing.assert_frame_equal(mask, expected_mask(table, expected))
    shown = suppress_table(table, row_total="Total", col_total="Total")
    assert find_disclosures(shown, row_total="Total", col_total="Total") == []


def test_combination_of_lines_is_also_protected():
    #         c0  c1  c2  c3
    #   r0     2   3   4  20     nine primary cells (1-4) form two rectangles, {r0,r1}x{c0,c1} and
    #   r1     1   2   5  30     {r2,r3}x{c2,c3}, joined by r0,c2. Every row and column has 0 or >= 2 [c],
    #   r2    40  50   3   4     yet r0,c2 is recoverable: (row r0 + row r1) - (col c0 + col c1) leaves
    #   r3    60  70   2   1     only r0,c2 unknown. It is a bridge between the two rectangles, so a cell
    # joining them is suppressed: candidates r0,c3 = 20, r1,c2 = 5, r1,c3 = 30, r2/r3 x c0/c1 -> r1,c2 = 5.
    cells = [[2, 3, 4, 20], [1, 2, 5, 30], [40, 50, 3, 4], [60, 70, 2, 1]]
    table = with_totals(cells, ["r0", "r1", "r2", "r3"], ["c0", "c1", "c2", "c3"])
    naive = table.astype(object).mask(primary_mask(table), SUPPRESSED)
    problems = find_disclosures(naive, row_total="Total", col_total="Total")
    assert len(problems) == 1 and "('r0', 'c2')" in problems[0] and "combining" in problems[0]

    mask = secondary_suppression(table, row_total="Total", col_total="Total")
    primaries = [("r0", "c0"), ("r0", "c1"), ("r0", "c2"), ("r1", "c0"), ("r1", "c1")]
    primaries += [("r2", "c2"), ("r2", "c3"), ("r3", "c2"), ("r3", "c3")]
    pd.testing.assert_frame_equal(mask, expected_mask(table, [*primaries, ("r1", "c2")]))


def test_zeros_are_shown_and_never_needed_as_complements_when_avoidable():
    #         A   B   C | Total
    #   X     0   0   0 |    0     zeros everywhere in X: nothing to protect
    #   Y     4   0  12 |   16     Y,A = 4 primary -> row Y: Y,C = 12 (Y,B is zero)
    #   Z     7   0  30 |   37     column A: Z,A = 7 (X,A is zero); column C: Z,C (row Z needs a partner)
    table = with_totals([[0, 0, 0], [4, 0, 12], [7, 0, 30]], "XYZ", "ABC")
    shown = suppress_table(table, row_total="Total", col_total="Total")
    assert (shown.loc["X"] == "0").all() and (shown["B"] == "0").all()
    pd.testing.assert_frame_equal(
        shown == SUPPRESSED, expected_mask(table, [("Y", "A"), ("Y", "C"), ("Z", "A"), ("Z", "C")])
    )


def test_table_without_totals_has_only_primary_suppression():
    table = pd.DataFrame({"A": [3, 50], "B": [40, 60]}, index=["X", "Y"])
    pd.testing.assert_frame_equal(secondary_suppression(table), expected_mask(table, [("X", "A")]))


def test_threshold_is_configurable_in_tables():
    #   A   B | Total        threshold 3: 3 and 4 are shown, nothing is suppressed.
    #   3   4 |     7        threshold 8: 3, 4 and the total 7 are suppressed.
    table = with_totals([[3, 4]], "X", "AB", total_row=False)
    assert not secondary_suppression(table, threshold=3, col_total="Total").any().any()
    assert secondary_suppression(table, threshold=8, col_total="Total").all().all()


def test_small_totals_are_suppressed_too():
    #   A  B | Total    the total 3 is itself a small count; with A=3 and B=0 it equals A.
    table = with_totals([[3, 0]], "X", "AB", total_row=False)
    pd.testing.assert_frame_equal(
        secondary_suppression(table, col_total="Total"), expected_mask(table, [("X", "A"), ("X", "Total")])
    )


def test_suppress_table_formats_counts():
    table = with_totals([[1234, 2], [5000, 10]], "XY", "AB")
    shown = suppress_table(table, row_total="Total", col_total="Total")
    # X,B = 2 primary; row X -> X,A; column B -> Y,B; row Y then has 2 [c].
    assert list(shown.loc["X"]) == [SUPPRESSED, SUPPRESSED, "1,236"]
    assert list(shown.loc["Y"]) == [SUPPRESSED, SUPPRESSED, "5,010"]
    assert list(shown.loc["Total"]) == ["6,234", "12", "6,246"]


def test_invalid_tables_are_refused():
    with pytest.raises(ValueError):
        secondary_suppression(pd.DataFrame({"A": [-1, 3]}))
    with pytest.raises(ValueError):
        secondary_suppression(pd.DataFrame({"A": [np.nan, 3.0]}))
    with pytest.raises(ValueError):
        secondary_suppression(pd.DataFrame({"A": [1, 3]}), col_total="Total")


# --------------------------------------------------------------------------------------------
# Secondary suppression, 1-D
# --------------------------------------------------------------------------------------------
def test_series_with_total_gets_a_complement():
    # 3 is primary; the total 21 is published, so the smallest other non-zero count (6) goes too.
    mask, total_hidden = secondary_suppression_series(pd.Series([3, 6, 0, 12], index=list("abcd")), total=21)
    assert mask.tolist() == [True, True, False, False] and list(mask.index) == list("abcd")
    assert total_hidden is False


def test_series_whose_other_counts_are_zero_loses_its_total():
    # 3 with only zeros beside it: the total (3) would reveal it, so the total is suppressed.
    mask, total_hidden = secondary_suppression_series(pd.Series([3, 0, 0]), total=3)
    assert mask.tolist() == [True, False, False] and total_hidden is True


def test_series_without_total_has_primary_only():
    mask, total_hidden = secondary_suppression_series(pd.Series([3, 6, 0]), total=None)
    assert mask.tolist() == [True, False, False] and total_hidden is False


def test_series_zeros_and_large_counts_are_untouched():
    mask, total_hidden = secondary_suppression_series(pd.Series([0, 7, 0]), total=7)
    assert not mask.any() and total_hidden is False


# --------------------------------------------------------------------------------------------
# Ratio tables
# --------------------------------------------------------------------------------------------
def ratio_table(events: list[int], groups: list[str], splits: list[str] | None = None) -> pd.DataFrame:
    n = len(events)
    frame = pd.DataFrame(
        {
            "group": groups,
            "events": events,
            "denominator": [10_000] * n,
            "rate": [e / 10 for e in events],
            "rate_lower": [e / 20 for e in events],
            "rate_upper": [e / 5 for e in events],
            "ratio": [1.5] * n,
            "ratio_lower": [1.1] * n,
            "ratio_upper": [2.0] * n,
            "p_value": [0.01] * n,
            "p_adjusted": [0.03] * n,
            "verdict": ["higher"] * n,
        }
    )
    if splits is not None:
        frame.insert(0, "split", splits)
    return frame


GROUPS = ["Asian", "Black", "White", "Not stated"]


def test_ratio_table_for_officers_keeps_counts_and_marks_reliability():
    df = ratio_table([3, 7, 40, 0], GROUPS)
    out = apply_to_ratio_table(df, "officer")
    assert list(out.columns) == [*df.columns, "reliability", "suppressed"]
    assert out["events"].tolist() == [3, 7, 40, 0]
    assert out["reliability"].tolist() == ["withheld", "unreliable", "reliable", "withheld"]
    assert not out["suppressed"].any()
    # Withheld (< 5 events): ratio and interval blanked for display; the verdict and its p-values stand
    # (decided over the whole family before withholding, issue 13); the rate stays.
    withheld = out.loc[[0, 3]]
    assert withheld[["ratio", "ratio_lower", "ratio_upper"]].isna().all().all()
    assert withheld["verdict"].tolist() == ["higher", "higher"] and withheld["p_adjusted"].tolist() == [0.03, 0.03]
    assert withheld["rate"].tolist() == [0.3, 0.0]
    assert out.loc[1, "ratio"] == 1.5 and out.loc[1, "verdict"] == "higher"
    assert df["events"].tolist() == [3, 7, 40, 0] and "suppressed" not in df  # input untouched


def test_ratio_table_for_scrutiny_suppresses_counts_and_rates():
    # Asian 3 is primary; the total (sum of the rows) is published, so the smallest other non-zero
    # count, Black 7, goes too. 'Not stated' 0 is a true zero and stays.
    df = ratio_table([3, 7, 40, 0], GROUPS)
    out = apply_to_ratio_table(df, "scrutiny")
    assert list(out.columns) == [*df.columns, "reliability", "suppressed"]
    assert out["events"].tolist() == [SUPPRESSED, SUPPRESSED, 40, 0]
    assert out["suppressed"].tolist() == [True, True, False, False]
    hidden = out.loc[[0, 1]]
    blanked = ["rate", "rate_lower", "rate_upper", "ratio", "ratio_lower", "ratio_upper", "p_value", "p_adjusted"]
    assert hidden[blanked].isna().all().all() and hidden["verdict"].isna().all()
    assert out["reliability"].tolist() == ["suppressed", "suppressed", "reliable", "withheld"]
    assert out.loc[2, "rate"] == 4.0 and out.loc[3, "rate"] == 0.0
    assert out["denominator"].tolist() == [10_000] * 4  # population denominators are public
    assert out.attrs["suppression_rules"] == rules_text("scrutiny")
    assert out.attrs["suppressed_totals"] == {"splits": [], "groups": [], "overall": False}


def test_ratio_table_not_stated_counts_as_a_row():
    # Asian 3 primary; Not stated 6 is the smallest other non-zero count, so it is the complement.
    out = apply_to_ratio_table(ratio_table([3, 20, 40, 6], GROUPS), "scrutiny", across_splits=False)
    assert out["suppressed"].tolist() == [True, False, False, True]


def test_ratio_table_split_suppression_within_and_across_splits():
    #            Asian Black White | (split total, published)
    #   North      2     9    50
    #   South     30    12    60
    # (group totals across splits, published elsewhere: 32, 21, 110)
    # Within splits only: North -> Asian (primary) + Black 9 (smallest other); South untouched.
    # Across splits too: column Asian has one [c] -> South Asian 30; column Black -> South Black 12;
    # South then has two [c] and the rectangle is closed.
    splits = ["North"] * 3 + ["South"] * 3
    df = ratio_table([2, 9, 50, 30, 12, 60], ["Asian", "Black", "White"] * 2, splits)
    within = apply_to_ratio_table(df, "scrutiny", across_splits=False)
    assert within["suppressed"].tolist() == [True, True, False, False, False, False]
    across = apply_to_ratio_table(df, "scrutiny")
    assert across["suppressed"].tolist() == [True, True, False, True, True, False]
    assert across["events"].tolist() == [SUPPRESSED, SUPPRESSED, 50, SUPPRESSED, SUPPRESSED, 60]


def test_ratio_table_reports_totals_that_must_be_hidden_elsewhere():
    # North: Asian 3 with zeros beside it: the North total (3) reveals it, so it must be [c] wherever shown.
    df = ratio_table([3, 0, 0, 40, 30, 60], ["Asian", "Black", "White"] * 2, ["North"] * 3 + ["South"] * 3)
    out = apply_to_ratio_table(df, "scrutiny", across_splits=False)
    assert out["suppressed"].tolist() == [True, False, False, False, False, False]
    assert out.attrs["suppressed_totals"]["splits"] == ["North"]


def test_suppressed_reference_group_blanks_every_ratio_in_its_split():
    # White (reference) 4 is primary and Black 8 its complement; Asian's ratio = Asian rate / White rate
    # would reveal White's count, so every ratio in the table is blanked. Asian's rate stays.
    df = ratio_table([20, 8, 4], ["Asian", "Black", "White"])
    out = apply_to_ratio_table(df, "scrutiny", reference_group="White")
    assert out["suppressed"].tolist() == [False, True, True]
    assert out["ratio"].isna().all() and out["verdict"].isna().all()
    assert out.loc[0, "rate"] == 2.0 and out.loc[0, "events"] == 20
    assert apply_to_ratio_table(df, "scrutiny").loc[0, "ratio"] == 1.5  # without the reference named


def test_decision_point_denominators_can_be_suppressed():
    # Denominators 3 (primary) and 8 (complement) are counts of children; their rows are hidden.
    df = ratio_table([0, 6, 30], ["Asian", "Black", "White"])
    df["denominator"] = [3, 8, 60]
    out = apply_to_ratio_table(df, "scrutiny", denominator_is_count=True)
    assert out["denominator"].tolist() == [SUPPRESSED, SUPPRESSED, 60]
    assert out["suppressed"].tolist() == [True, True, False]
    assert out["events"].tolist() == [0, 6, 30]


def test_ratio_table_validation():
    with pytest.raises(ValueError, match="missing columns"):
        apply_to_ratio_table(pd.DataFrame({"group": ["A"], "events": [3]}), "scrutiny")
    with pytest.raises(ValueError, match="unknown audience"):
        apply_to_ratio_table(ratio_table([3], ["Asian"]), "press")
    with pytest.raises(ValueError, match="more than one row"):
        apply_to_ratio_table(ratio_table([3, 4], ["Asian", "Asian"]), "scrutiny")


# --------------------------------------------------------------------------------------------
# Rules text
# --------------------------------------------------------------------------------------------
def test_rules_text_for_scrutiny():
    text = " ".join(rules_text("scrutiny"))
    assert "Counts from 1 to 4 (after perturbation) are shown as [c]" in text
    assert "Cell Key Method" in text and "at most two either way" in text  # issue 14
    secondary = "Where a total would reveal a suppressed count, a further cell is suppressed (secondary suppression)."
    assert secondary in text
    assert "Rates and ratios based on fewer than 10 events are marked as unreliable." in text
    assert "Ratios based on fewer than 5 events are not shown." in text
    assert "zero" in text


def test_rules_text_for_officers_and_thresholds():
    officer = " ".join(rules_text("officer"))
    assert "Exact counts are shown" in officer and "not for publication" in officer
    assert "fewer than 10 events are marked as unreliable" in officer
    assert "Counts from 1 to 9 (after perturbation) are shown as [c]" in " ".join(rules_text("scrutiny", threshold=10))
    assert "Counts of 1 (after perturbation) are shown" in " ".join(rules_text("scrutiny", threshold=2))
    assert all(s.endswith(".") for s in rules_text("analyst") + rules_text("scrutiny"))


# --------------------------------------------------------------------------------------------
# The independent checker
# --------------------------------------------------------------------------------------------
def test_find_disclosures_reports_visible_small_counts_and_lone_suppressions():
    published = pd.DataFrame(
        {"A": ["[c]", "12", "15"], "B": ["20", "3", "23"], "Total": ["24", "15", "39"]}, index=["X", "Y", "Total"]
    )
    problems = find_disclosures(published, row_total="Total", col_total="Total")
    assert any("visible small count 3 at ('Y', 'B')" in p for p in problems)
    assert any("[c] at ('X', 'A') is recoverable from its line as 4" in p for p in problems)
    assert find_disclosures(published) == ["visible small count 3 at ('Y', 'B')"]  # no totals: no lines


def test_find_disclosures_accepts_a_safe_table_and_rejects_garbage():
    safe = pd.DataFrame({"A": ["[c]", "[c]"], "B": ["[c]", "[c]"], "Total": ["1,020", "2,000"]}, index=["X", "Y"])
    assert find_disclosures(safe, col_total="Total") == []
    with pytest.raises(ValueError):
        find_disclosures(pd.DataFrame({"A": ["n/a"]}))


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------
small_counts = st.integers(0, 12) | st.integers(0, 3) | st.integers(0, 2000)


@st.composite
def count_tables(draw):
    n_rows, n_cols = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    cells = [[draw(small_counts) for _ in range(n_cols)] for _ in range(n_rows)]
    totals = draw(st.sampled_from(["both", "row", "col", "none"]))
    table = with_totals(
        cells, [f"r{i}" for i in range(n_rows)], [f"c{j}" for j in range(n_cols)],
        total_row=totals in ("both", "row"), total_col=totals in ("both", "col"),
    )
    row_total = "Total" if totals in ("both", "row") else None
    col_total = "Total" if totals in ("both", "col") else None
    return table, row_total, col_total, draw(st.sampled_from([2, 5, 5, 5, 10]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count_tables())
def test_published_tables_disclose_nothing(case):
    table, row_total, col_total, threshold = case
    shown = suppress_table(table, threshold, row_total, col_total)
    assert find_disclosures(shown, threshold, row_total, col_total) == []
    hidden = shown == SUPPRESSED
    assert (hidden | ~primary_mask(table, threshold)).all().all()  # every small count is hidden
    visible = table.to_numpy()[~hidden.to_numpy()]
    assert not ((visible >= 1) & (visible < threshold)).any()
    assert (shown.to_numpy()[~hidden.to_numpy()] == [f"{v:,}" for v in visible]).all()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 15), min_size=3, max_size=3), min_size=1, max_size=4),
    st.booleans(),
)
def test_scrutiny_ratio_tables_disclose_nothing(grid, across):
    groups = ["Asian", "White", "Not stated"]
    splits = [f"s{i}" for i in range(len(grid))]
    events = [e for row in grid for e in row]
    df = ratio_table(events, groups * len(grid), [s for s in splits for _ in groups])
    out = apply_to_ratio_table(df, "scrutiny", across_splits=across)
    shown = out["events"].to_numpy().reshape(len(grid), 3)
    # Rebuild the publication: the grid, each split's total, and (across splits) the group totals,
    # with any total the function says must be hidden shown as [c].
    margins = out.attrs["suppressed_totals"]
    rows = [
        [*shown[i], SUPPRESSED if s in margins["splits"] else sum(grid[i])] for i, s in enumerate(splits)
    ]
    row_total = None
    if across and len(grid) > 1:
        row_total = "Total"
        sums = [SUPPRESSED if g in margins["groups"] else sum(r[j] for r in grid) for j, g in enumerate(groups)]
        rows.append([*sums, SUPPRESSED if margins["overall"] else sum(events)])
    index = splits + (["Total"] if row_total else [])
    published = pd.DataFrame(rows, index=index, columns=[*groups, "Total"], dtype=object)
    assert find_disclosures(published, 5, row_total, "Total") == []
    assert out.loc[out["suppressed"], ["rate", "ratio"]].isna().all().all()
