"""Cumulative incidence of a next involvement by ethnic group (issue 17, part 4): Kaplan–Meier with lifelines.

Time origin: a child's first record (any role). Event: the child's next record on a later date (any role).
Censoring: at the end of the data, or at the child's 18th birthday if earlier (records from age 18 are not
loaded, so a child cannot be seen again after it); the birthday is the midpoint of the window the ages at the
child's records allow (``journeys.birth_windows``). With no competing event (death or emigration are not
recorded) the Aalen–Johansen estimator reduces to 1 − Kaplan–Meier, which is what is reported, with lifelines'
exponential Greenwood (log(−log)) confidence intervals.

Disclosure control: a curve is drawn only for a group with at least ``UNRELIABLE_BELOW`` events; for the scrutiny
audience, numbers at risk and events of 1-4 in the table are ``[c]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from analytics import schema, suppression
from analytics.partners.journeys import DAYS_PER_YEAR, birth_windows

TIMEPOINTS_MONTHS: tuple[int, ...] = (6, 12, 24)
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
METHOD = ("Kaplan–Meier (lifelines) cumulative incidence 1 − S(t) of a next involvement, censored at the end of "
          "the data and at the 18th birthday; exponential Greenwood intervals")


def follow_up(records: pd.DataFrame, end_of_data: date) -> pd.DataFrame:
    """Per child: group, days from the first record to the next record on a later date (event) or to censoring."""
    frame = records.assign(date=pd.to_datetime(records["recorded_date"]))
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
    return out


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
    curves, rows = [], []
    for group in groups:
        part = data[data["ethnic_group"] == group]
        if part.empty:
            continue
        fitter = KaplanMeierFitter(alpha=1 - confidence).fit(part["days"], part["event"], label=group)
        survival = fitter.survival_function_[group]
        bounds = fitter.confidence_interval_survival_function_
        events = int(part["event"].sum())
        if events >= schema.UNRELIABLE_BELOW or not suppression.audience_applies_suppression(audience):
            curves.append(pd.DataFrame({
                "group": group, "months": survival.index.to_numpy() / DAYS_PER_MONTH,
                "incidence": 1 - survival.to_numpy(), "lower": 1 - bounds.iloc[:, 1].to_numpy(),
                "upper": 1 - bounds.iloc[:, 0].to_numpy()}))
        for months in TIMEPOINTS_MONTHS:
            t = months * DAYS_PER_MONTH
            at_risk = int((part["days"] >= t).sum())
            value = 1 - float(fitter.survival_function_at_times(t).iloc[0])
            low_high = bounds[bounds.index <= t].iloc[-1]
            rows.append({"group": group, "months": months, "children": len(part), "events": events,
                         "at_risk": at_risk, "incidence": value, "lower": 1 - float(low_high.iloc[1]),
                         "upper": 1 - float(low_high.iloc[0])})
    table = pd.DataFrame(rows)
    if suppression.audience_applies_suppression(audience) and len(table):
        for column in ("children", "events", "at_risk"):
            mask = suppression.primary_mask(table[column].to_numpy())
            table[column] = table[column].astype(object).mask(pd.Series(mask, index=table.index),
                                                              suppression.SUPPRESSED)
        hidden = table["events"].eq(suppression.SUPPRESSED)
        table.loc[hidden, ["incidence", "lower", "upper"]] = np.nan
    return Incidence(pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["group", "months", "incidence", "lower", "upper"]), table)
