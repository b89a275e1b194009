"""Mature data and tests of change (issue 13, point 5): the cohort with a fixed follow-up, the incomplete months, and
the latest complete month against the month before and a year earlier with its test and verdict.

Independent checks: the cohort's shares recomputed with pandas from the loaded records; the conditional binomial
test from scipy's binomial distribution (twice the smaller tail, as R ``poisson.test``) and ``scipy.stats.binomtest``
where the two months have the same days; Fisher's exact test against R's ``fisher.test`` on Fisher's tea-tasting
table (p = 0.4857, Agresti 2002 section 3.5.2); the verdicts from the Benjamini–Hochberg step-up written out here.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analytics import change, disparity, periods, schema, stats
from analytics.filters import Filters


# --------------------------------------------------------------------------------------------
# The maturity rule
# --------------------------------------------------------------------------------------------
def test_maturity_cutoff_and_incomplete_months():
    maturity = periods.Maturity(date(2026, 10, 31), 90)
    assert maturity.cutoff == date(2026, 8, 2)
    assert maturity.first_incomplete_month == date(2026, 8, 1)  # 3-31 August are after the cut-off
    assert maturity.latest_complete_month == date(2026, 7, 1)
    assert maturity.is_complete(date(2026, 7, 31)) and not maturity.is_complete(date(2026, 8, 1))
    on_month_end = periods.Maturity(date(2026, 10, 30), 91)  # cut-off 31 July: July is whole
    assert on_month_end.first_incomplete_month == date(2026, 8, 1)
    none = periods.Maturity(date(2026, 10, 31), 0)
    assert none.first_incomplete_month is None and none.is_complete(date(2026, 10, 1))
    assert "no outcome dates" in periods.Maturity(date(2026, 10, 31), 90, outcome_dates=False).note


def test_follow_up_days_must_be_a_whole_number_in_range():
    for bad in (-1, schema.MAX_FOLLOW_UP_DAYS + 1, 1.5, True):
        with pytest.raises(ValueError, match="follow-up"):
            Filters(follow_up_days=bad)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def records(sample_store) -> pd.DataFrame:
    frame = sample_store.records(Filters())
    frame["recorded"] = pd.to_datetime(frame["recorded_date"]).dt.date
    frame["outcome_on"] = pd.to_datetime(frame["outcome_date"]).dt.date
    return frame


@pytest.mark.parametrize("follow_up", [0, 30, 90, 180])
def test_cohort_shares_match_a_hand_computation(sample_store, records, follow_up):
    """Suspects' outcome 22 share in the cohort: records made by the cut-off, outcomes within the follow-up."""
    end = max(records["recorded"].max(), records["outcome_on"].dropna().max())  # the latest date in the data
    cutoff = end - timedelta(days=follow_up)
    suspects = records[(records["role"] == "suspect") & (records["recorded"] <= cutoff)].copy()
    reached = suspects["outcome_code"].ne("")
    if follow_up:
        reached &= suspects["outcome_on"].isna() | (
            suspects["outcome_on"] <= suspects["recorded"] + timedelta(days=follow_up))
    concluded = suspects[reached]
    table = disparity.decision_ratios(sample_store, Filters(roles=("suspect",), ethnicity_source="self_only",
                                                            follow_up_days=follow_up), denominator="all")
    assert int(table.table["denominator"].sum()) == len(concluded)
    assert int(table.table["events"].sum()) == int((concluded["outcome_code"] == schema.OUTCOME_22).sum())
    assert any(note.startswith("Cohort with a") for note in table.notes) == bool(follow_up)


def test_the_latest_months_are_not_read_as_falls(sample_store):
    """Without the follow-up, October's share of outcomes rests on the few cases concluded fast; with it the
    cohort leaves the incomplete months out altogether, and the months are marked incomplete."""
    maturity = periods.outcome_maturity(sample_store, Filters())
    assert maturity.end_of_data == date(2026, 10, 31) and maturity.follow_up_days == 90
    october = Filters(roles=("suspect",), date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    assert sample_store.decision_counts(october, (schema.OUTCOME_22,))["denominator"].sum() == 0
    assert sample_store.decision_counts(october.replace(follow_up_days=0),
                                        (schema.OUTCOME_22,))["denominator"].sum() > 0
    assert not maturity.is_complete(date(2026, 10, 1)) and maturity.is_complete(date(2026, 7, 1))


# --------------------------------------------------------------------------------------------
# The tests of change
# --------------------------------------------------------------------------------------------
def _conditional_binomial_p(x1: int, d1: int, x0: int, d0: int) -> float:
    """Twice the smaller tail of x1 ~ Bin(x1 + x0, d1 / (d1 + d0)), capped at 1 (scipy's binomial)."""
    n, p = x1 + x0, d1 / (d1 + d0)
    return min(1.0, 2 * min(sps.binom.cdf(x1, n, p), sps.binom.sf(x1 - 1, n, p)))


def test_count_test_against_scipy():
    for x1, d1, x0, d0 in ((108, 31, 154, 31), (3, 30, 11, 31), (40, 28, 40, 31), (0, 31, 6, 30)):
        expected = _conditional_binomial_p(x1, d1, x0, d0)
        assert stats.rate_ratio(x1, d1, x0, d0, 0.95, method="exact").p_value == pytest.approx(expected, rel=1e-9)
    for x1, x0 in ((108, 154), (3, 11), (97, 100)):  # two months of 31 days: scipy's binomtest on p = 1/2
        row = change.count_row("Offenders", "a year earlier", date(2026, 7, 1), date(2025, 7, 1), x1, x0, 1000.0,
                               0.95)
        assert row["p_value"] == pytest.approx(sps.binomtest(x1, x1 + x0, 0.5).pvalue, rel=1e-9)
        assert row["ratio"] == pytest.approx(x1 / x0)
        assert row["now_value"] == pytest.approx(x1 / 1000 / (31 / 365.25) * 1000)  # per 1,000 per year


def test_fisher_exact_against_the_published_tea_tasting_value():
    assert change.fisher_exact_p(3, 4, 1, 4) == pytest.approx(0.4857, abs=5e-5)


def test_what_changed_on_the_sample(sample_store, records):
    table = change.what_changed(sample_store, Filters())
    assert list(table.columns) == list(change.COLUMNS)
    months: dict[str, date] = dict(zip(table["measure"], table["month"], strict=True))
    assert months["Victims"] == months["Suspects"] == date(2026, 10, 1)  # complete when recorded
    offenders = "Offenders (records concluded within 90 days)"
    assert months[offenders] == months["Suspects: outcome 22 share"] == date(2026, 7, 1)  # latest mature month
    year = table[(table["measure"] == offenders) & (table["comparison"] == "a year earlier")].iloc[0]
    assert year["earlier_month"] == date(2025, 7, 1)
    for month, count in ((date(2026, 7, 1), year["now"]), (date(2025, 7, 1), year["before"])):  # equally mature
        mine = records[(records["role"] == "offender") & (records["recorded"] >= month)
                       & (records["recorded"] <= periods.month_end(month)) & records["outcome_code"].ne("")
                       & (records["outcome_on"] <= records["recorded"] + timedelta(days=90))]
        assert count == len(mine)
    victims = table[(table["measure"] == "Victims") & (table["comparison"] == "month before")].iloc[0]
    children = records[(records["role"] == "victim")]
    for month, count in ((date(2026, 10, 1), victims["now"]), (date(2026, 9, 1), victims["before"])):
        in_month = children[(children["recorded"] >= month) & (children["recorded"] <= periods.month_end(month))]
        assert count == in_month["person_id"].nunique()
    assert victims["p_value"] == pytest.approx(_conditional_binomial_p(int(victims["now"]), 31,
                                                                       int(victims["before"]), 30), rel=1e-9)
    # the verdicts: Benjamini-Hochberg step-up over the table's p-values, written out here
    p = table["p_value"].to_numpy(dtype=float)
    order = np.argsort(p)
    m = len(p)
    passed = [k for k in range(m) if p[order[k]] <= (k + 1) / m * 0.05]
    rejected = set(order[: max(passed) + 1]) if passed else set()
    ratios = table["ratio"].to_numpy(dtype=float)
    for i, verdict in enumerate(table["verdict"]):
        expected = ("higher" if ratios[i] > 1 else "lower") if i in rejected else "similar"
        assert verdict == expected


# --------------------------------------------------------------------------------------------
# Where the follow-up is set
# --------------------------------------------------------------------------------------------
def test_follow_up_days_from_the_configuration(tmp_path):
    from analytics import config

    path = tmp_path / "monitor.toml"
    path.write_text("follow_up_days = 30\n", encoding="utf-8")
    assert config.load_settings(path).follow_up_days == 30
    path.write_text("follow_up_days = -5\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="follow_up_days"):
        config.load_settings(path)


def test_follow_up_days_on_the_command_line(sample_db, capsys):
    import json

    from analytics.cli.main import main

    def outcome_json(*extra: str) -> dict:
        code = main(["ratios", "--role", "suspect", "--measure", "outcome", "--count", "records", "--format", "json",
                     "--db", str(sample_db), *extra])
        out = capsys.readouterr().out
        assert code == 0
        return json.loads(out)

    default, none = outcome_json(), outcome_json("--follow-up-days", "0")
    assert any(note.startswith("Cohort with a 90-day follow-up") for note in default["metadata"]["notes"])
    assert sum(r["denominator"] for r in default["rows"]) < sum(r["denominator"] for r in none["rows"])
    assert main(["ratios", "--role", "suspect", "--follow-up-days", "30", "--db", str(sample_db)]) == 2
    assert "--follow-up-days applies to --measure outcome only" in capsys.readouterr().err
