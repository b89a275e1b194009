"""What changed: the latest complete month against the month before and the same month a year earlier, each with a
test of change and its verdict (issue 13, point 5).

Both months of a comparison are equally mature: counts of victims and suspects are complete when recorded, so
they compare the data's latest whole month; offenders (a child becomes an offender when the case concludes) and
outcome shares compare the latest month whose outcomes have had the full follow-up
(``analytics.periods.Maturity``), with the months before it measured the same way.

* Counts (children, or records, in a role in the month; offenders: their records concluded within the
  follow-up, so a month a year ago is counted as it stood after the same follow-up): the rates per 1,000
  children per year of the two months (the same population, each month's own days) compared by the exact
  conditional test for two Poisson counts given their sum (Przyborowski & Wilenski 1940; R ``poisson.test``):
  x1 ~ Bin(x1 + x0, d1 / (d1 + d0)) under no change, two-sided p twice the smaller tail
  (``analytics.stats.rate_ratio``, method "exact").
* Outcome shares (suspects' concluded records ending in outcome 22, the cohort with the follow-up): the ratio of
  the two months' shares with Fisher's exact test (Fisher 1935; two-sided, as R ``fisher.test``).

The verdicts (higher / similar / lower / not estimable) come from ``analytics.verdicts`` over the family of every
comparison in the table (Benjamini–Hochberg at q = 1 − confidence).
"""

from __future__ import annotations

import calendar
from datetime import date

import numpy as np
import pandas as pd

from analytics import periods, schema, stats, verdicts
from analytics.filters import Filters
from analytics.store import Store

#: The table's columns.
COLUMNS: tuple[str, ...] = (
    "measure", "comparison", "month", "earlier_month", "now", "before", "now_denominator", "before_denominator",
    "unit", "now_value", "before_value", "ratio", "p_value", "p_adjusted", "verdict", "method",
)
COMPARISONS = {"month before": 1, "a year earlier": 12}
#: Roles whose count in a month depends on outcomes (still coming in for recent months).
OUTCOME_DEPENDENT_ROLES = ("offender",)
COUNT_TEST = ("exact conditional test of two Poisson counts given their sum (Przyborowski & Wilenski 1940), "
              "rates per 1,000 children per year over each month's days")
SHARE_TEST = "Fisher's exact test (Fisher 1935) of the two months' shares, cohort with the follow-up"


def months_back(month: date, months: int) -> date:
    total = month.year * 12 + month.month - 1 - months
    return date(total // 12, total % 12 + 1, 1)


def days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def latest_whole_month(end_of_data: date) -> date:
    """The latest month the data cover whole (the end of data's month when it is the month's last day)."""
    month = end_of_data.replace(day=1)
    return month if end_of_data == periods.month_end(end_of_data) else months_back(month, 1)


def comparison_months(store: Store, filters: Filters, as_of: date | None = None) -> dict[str, date]:
    """The latest complete month, up to ``as_of`` (default: the end of the data), for counts complete at recording
    (``counts``) and for outcome-dependent figures (``outcomes``: offenders, outcome shares)."""
    maturity = periods.outcome_maturity(store, filters)
    end = min(maturity.end_of_data, as_of) if as_of else maturity.end_of_data
    whole = latest_whole_month(end)
    return {"counts": whole, "outcomes": min(whole, maturity.latest_complete_month)}


def what_changed(store: Store, filters: Filters, as_of: date | None = None) -> pd.DataFrame:
    """Every role's count and the suspects' outcome 22 share: the latest complete month (up to ``as_of``, e.g. a
    pack's month end) against the month before and a year earlier, with the test of change and the verdict
    (``COLUMNS``)."""
    base = filters.replace(date_from=None, date_to=None)
    months = comparison_months(store, base, as_of)
    population = float(store.population_counts(base)["population"].sum())
    rows = []
    for role in filters.roles or schema.ROLES:
        month = months["outcomes" if role in OUTCOME_DEPENDENT_ROLES else "counts"]
        for comparison, back in COMPARISONS.items():
            earlier = months_back(month, back)
            mature = role in OUTCOME_DEPENDENT_ROLES
            count = _mature_count if mature else _count
            now, before = (count(store, base.replace(roles=(role,)), m) for m in (month, earlier))
            label = (f"{role.capitalize()}s (records concluded within {base.follow_up_days} days)" if mature
                     else f"{role.capitalize()}s")
            rows.append(count_row(label, comparison, month, earlier, now, before, population, base.confidence))
    decision = base.replace(roles=("suspect",), counting_unit="records", outcome_codes=())
    if "suspect" in (filters.roles or schema.ROLES):
        month = months["outcomes"]
        for comparison, back in COMPARISONS.items():
            earlier = months_back(month, back)
            (a, n), (b, m) = (_share(store, decision, when) for when in (month, earlier))
            rows.append(_share_row("Suspects: outcome 22 share", comparison, month, earlier, a, n, b, m))
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("p_adjusted", "verdict")])
    family, decided = verdicts.decide(table["ratio"].to_numpy(dtype=float), table["p_value"].to_numpy(dtype=float),
                                      1 - filters.confidence)
    table["p_adjusted"] = family.p_adjusted
    table["verdict"] = [str(v) for v in decided]
    table.attrs["multiple_comparisons"] = family.description
    return table[list(COLUMNS)]


def _count(store: Store, filters: Filters, month: date) -> int:
    counts = store.counts(filters.replace(date_from=month, date_to=periods.month_end(month)), ("role",))
    return int(counts["events"].sum()) if len(counts) else 0


def _mature_count(store: Store, filters: Filters, month: date) -> int:
    """Records of the month concluded within the follow-up (the cohort rule): equally mature in any month."""
    counts = store.decision_counts(filters.replace(counting_unit="records", outcome_codes=(), date_from=month,
                                                   date_to=periods.month_end(month)), tuple(schema.OUTCOME_CODES))
    return int(counts["denominator"].sum()) if len(counts) else 0


def _share(store: Store, filters: Filters, month: date) -> tuple[int, int]:
    counts = store.decision_counts(filters.replace(date_from=month, date_to=periods.month_end(month)),
                                   (schema.OUTCOME_22,))
    return int(counts["events"].sum()), int(counts["denominator"].sum())


def count_row(measure: str, comparison: str, month: date, earlier: date, now: int, before: int,
               population: float, confidence: float) -> dict[str, object]:
    d1, d0 = days_in(month), days_in(earlier)
    row: dict[str, object] = {"measure": measure, "comparison": comparison, "month": month, "earlier_month": earlier,
                              "now": now, "before": before, "now_denominator": population,
                              "before_denominator": population, "unit": periods.RATE_UNIT,
                              "ratio": np.nan, "p_value": np.nan, "method": COUNT_TEST}
    if population > 0:
        row["now_value"] = now / population / (d1 / periods.DAYS_PER_YEAR) * 1000
        row["before_value"] = before / population / (d0 / periods.DAYS_PER_YEAR) * 1000
    if before > 0 and now + before > 0:
        result = stats.rate_ratio(now, d1, before, d0, confidence, method="exact")
        row |= {"ratio": result.estimate, "p_value": result.p_value}
    return row


def _share_row(measure: str, comparison: str, month: date, earlier: date, a: int, n: int, b: int,
               m: int) -> dict[str, object]:
    row: dict[str, object] = {"measure": measure, "comparison": comparison, "month": month, "earlier_month": earlier,
                              "now": a, "before": b, "now_denominator": n, "before_denominator": m, "unit": "%",
                              "now_value": 100 * a / n if n else np.nan, "before_value": 100 * b / m if m else np.nan,
                              "ratio": np.nan, "p_value": np.nan, "method": SHARE_TEST}
    if n and m and b > 0:
        row |= {"ratio": (a / n) / (b / m), "p_value": fisher_exact_p(a, n, b, m)}
    return row


def fisher_exact_p(a: int, n: int, b: int, m: int) -> float:
    """Two-sided Fisher's exact test of a / n against b / m (the table [[a, n − a], [b, m − b]]): the sum of the
    probabilities of every table with the same margins no more likely than the one seen (as R ``fisher.test``)."""
    from scipy.stats import fisher_exact  # imported here: scipy.stats takes a second to import

    return float(fisher_exact([[a, n - a], [b, m - b]]).pvalue)
