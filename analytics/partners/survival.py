"""Cumulative incidence of a next involvement by ethnic group (issue 17, part 4): Kaplan–Meier with lifelines.

Time origin: a child's first record (any role). Event: the child's next record on a later date (any role).
Censoring: at the end of the data, or at the child's 18th birthday if earlier (records from age 18 are not
loaded, so a child cannot be seen again after it); the birthday is the midpoint of the window the ages at the
child's records allow (``journeys.birth_windows``). With no competing event (death or emigration are not
recorded) the Aalen–Johansen estimator reduces to 1 − Kaplan–Meier, which is what is reported, with lifelines'
exponential Greenwood (log(−log)) confidence intervals.

Disclosure control for the scrutiny audience: the estimate is made from perturbed counts, not from the children
(the approach of OpenSAFELY's ``kaplan-meier-function`` action, which re-estimates from rounded counts; here the
counts are perturbed by the Cell Key Method, ``disclosure``). Times are rounded up to whole months; the children
with a next involvement, and those censored, in each month of follow-up are counted and perturbed, each cell by
its own cell key, and the product-limit estimate and its intervals are lifelines' on those counts (as weights). A
curve is drawn only for a group with at least ``UNRELIABLE_BELOW`` (perturbed) events; children, events and numbers
at risk of 1-4 in the table are ``[c]``, and an incidence from a hidden number of events is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from analytics import schema, suppression
from analytics.partners import disclosure
from analytics.partners.journeys import DAYS_PER_YEAR, birth_windows, recorded_dates

TIMEPOINTS_MONTHS: tuple[int, ...] = (6, 12, 24)
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
METHOD = ("Kaplan–Meier (lifelines) cumulative incidence 1 − S(t) of a next involvement, censored at the end of "
          "the data and at the 18th birthday; exponential Greenwood intervals")
CONTROLLED_METHOD = (METHOD + "; for scrutiny, estimated from perturbed counts of children by month of follow-up "
                     "(times rounded up to whole months), so that no child can be told apart")


def follow_up(records: pd.DataFrame, end_of_data: date) -> pd.DataFrame:
    """Per child: group, days from the first record to the next record on a later date (event) or to censoring."""
    frame = records.assign(date=recorded_dates(records))
    days = frame[["person_id", "date"]].drop_duplicates().sort_values(["person_id", "date"])
    days["order"] = days.groupby("person_id").cumcount()
    first = days[days["order"] == 0].set_index("person_id")["date"]
    second = days[days["order"] == 1].set_index("person_id")["date"].reindex(first.index)
    turns_18 = birth_windows(records)["turns_18"].reindex(first.index)
    censor = turns_18.where(turns_18 < pd.Timestamp(end_of_data), pd.Timestamp(end_of_data))
    event = second.notna() & (second <= censor)
    stop = second.where(event, censor)
    out = pd.DataFrame({"days": (stop - first).dt.days.clip(lower=0).astype(float), "event": event})
    out["ethnic_group"] = frame.groupby("person_id")["ethnic_group"].first().reindex(out.index)
    out[disclosure.PERSON_KEY] = disclosure.person_keys(records).reindex(out.index)
    return out


@dataclass(frozen=True)
class Weighted:
    """What a group's estimate is made from: follow-up times (days), events, and the children each stands for,
    with the group's children and events as published."""

    days: pd.Series
    event: pd.Series
    weight: pd.Series
    children: int
    events: int


def exact(part: pd.DataFrame) -> Weighted:
    """One row per child (analysts and officers)."""
    return Weighted(part["days"], part["event"], pd.Series(1, index=part.index), len(part), int(part["event"].sum()))


def perturbed_life_table(part: pd.DataFrame) -> Weighted:
    """The scrutiny audience's: children counted by whole month of follow-up (rounded up) and event, each count
    perturbed by its cell key; the group's children and events perturbed as counts of their own."""
    months = np.ceil(part["days"] / DAYS_PER_MONTH).astype("int64")
    cells = disclosure.count_children(part.assign(months=months, event=part["event"].astype(bool)),
                                      ["months", "event"])
    cells = disclosure.as_known(cells, ("children",), "scrutiny")
    cells = cells[cells["children"] > 0]
    totals = disclosure.as_known(disclosure.count_children(part.assign(all=True), ["all"], subsets=("event",)),
                                 ("children", "event"), "scrutiny", parts={"event": "children"})
    return Weighted(cells["months"] * DAYS_PER_MONTH, cells["event"], cells["children"],
                    int(totals["children"].iloc[0]), int(totals["event"].iloc[0]))


@dataclass(frozen=True)
class Incidence:
    """The curves (``months``, ``incidence``, ``lower``, ``upper`` by group) and the table at fixed times."""

    curves: pd.DataFrame
    table: pd.DataFrame
    method: str = METHOD


def cumulative_incidence(records: pd.DataFrame, end_of_data: date, confidence: float = schema.DEFAULT_CONFIDENCE,
                         audience: str = "analyst",
                         groups: tuple[str, ...] = schema.ETHNIC_GROUPS_WITH_NOT_STATED) -> Incidence:
    data = follow_up(records, end_of_data)
    controlled = suppression.audience_applies_suppression(audience)
    curves, rows = [], []
    for group in groups:
        part = data[data["ethnic_group"] == group]
        weighted = perturbed_life_table(part) if controlled and len(part) else exact(part)
        if weighted.weight.sum() == 0:
            continue
        fitter = KaplanMeierFitter(alpha=1 - confidence).fit(weighted.days, weighted.event, weights=weighted.weight,
                                                             label=group)
        survival = fitter.survival_function_[group]
        bounds = fitter.confidence_interval_survival_function_
        if weighted.events >= schema.UNRELIABLE_BELOW or not controlled:
            curves.append(pd.DataFrame({
                "group": group, "months": survival.index.to_numpy() / DAYS_PER_MONTH,
                "incidence": 1 - survival.to_numpy(), "lower": 1 - bounds.iloc[:, 1].to_numpy(),
                "upper": 1 - bounds.iloc[:, 0].to_numpy()}))
        for months in TIMEPOINTS_MONTHS:
            t = months * DAYS_PER_MONTH
            at_risk = int(weighted.weight[weighted.days >= t].sum())
            value = 1 - float(fitter.survival_function_at_times(t).iloc[0])
            low_high = bounds[bounds.index <= t].iloc[-1]
            rows.append({"group": group, "months": months, "children": weighted.children, "events": weighted.events,
                         "at_risk": at_risk, "incidence": value, "lower": 1 - float(low_high.iloc[1]),
                         "upper": 1 - float(low_high.iloc[0])})
    table = pd.DataFrame(rows)
    if controlled and len(table):
        table = disclosure.without_flag(disclosure.hide_small(table, ("children", "events", "at_risk"), audience))
        hidden = table["events"].eq(suppression.SUPPRESSED)
        table.loc[hidden, ["incidence", "lower", "upper"]] = np.nan
    return Incidence(pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["group", "months", "incidence", "lower", "upper"]), table,
        CONTROLLED_METHOD if controlled else METHOD)
