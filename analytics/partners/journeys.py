"""Children's journeys from the loaded records (issue 17, part 4): roles over time for each child.

Input: ``PartnerStore.journey_records`` (one row per record of the children in view: person, role, date, age,
area, the child's group, the risk markers). Offender rows are the same children and crimes as suspect rows, so a
journey has two roles: **victim** and **suspect** (suspect or offender). Pure pandas; no SQL, no Streamlit.

* ``crossover``: victims who later appear as suspects (and suspects who later appear as victims) within 12 and 24
  months of their first record in the first role, by group: shares (Wilson), ratios to the reference group
  (Koopman) and verdicts from the table engine (``tables.decision_rows``/``finish_table``). A child enters a window's
  cohort only with the whole window observed: before the end of the data and before the 18th birthday (estimated
  from the ages at the child's records, ``birth_windows``), since records from age 18 are not loaded.
* ``pathways``: first role -> next involvement (the role of the next record on a later date, or none) for the Sankey.
* ``role_marker_sets``: each child's roles and risk markers, and the intersections' sizes for the UpSet chart.

Every count is under disclosure control for the scrutiny audience (``suppression``: counts 1-4 as [c]).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analytics import schema, suppression, tables
from analytics.filters import format_confidence

VICTIM, SUSPECT = "victim", "suspect"
JOURNEY_ROLES: tuple[str, ...] = (VICTIM, SUSPECT)
WINDOWS_MONTHS: tuple[int, ...] = (12, 24)
DIRECTIONS = {"victim_to_suspect": (VICTIM, SUSPECT), "suspect_to_victim": (SUSPECT, VICTIM)}
DIRECTION_LABELS = {"victim_to_suspect": "Victims who later appear as suspects",
                    "suspect_to_victim": "Suspects who later appear as victims"}
NO_NEXT = "no further record"
DAYS_PER_YEAR = 365.25


def journey_role(role: pd.Series) -> pd.Series:
    """Victim or suspect (an offender row is its suspect's)."""
    return role.where(role == VICTIM, SUSPECT)


def birth_windows(records: pd.DataFrame) -> pd.DataFrame:
    """Per child, the interval the date of birth must lie in given every (date, age) of its records, and its
    midpoint: age a on day d means birth in (d - (a + 1) years, d - a years]."""
    dates = pd.to_datetime(records["recorded_date"])
    ages = records["age"].astype(float)
    earliest = dates - pd.to_timedelta((ages + 1) * DAYS_PER_YEAR, unit="D")
    latest = dates - pd.to_timedelta(ages * DAYS_PER_YEAR, unit="D")
    frame = pd.DataFrame({"person_id": records["person_id"], "earliest": earliest, "latest": latest})
    bounds = frame.groupby("person_id").agg(earliest=("earliest", "max"), latest=("latest", "min"))
    bounds["birth"] = bounds["earliest"] + (bounds["latest"] - bounds["earliest"]) / 2
    bounds["turns_18"] = bounds["birth"] + pd.to_timedelta(schema.ADULT_AGE * DAYS_PER_YEAR, unit="D")
    return bounds


def children(records: pd.DataFrame) -> pd.DataFrame:
    """One row per child: group, first dates in each role, 18th birthday (estimated)."""
    frame = records.assign(jrole=journey_role(records["role"]), date=pd.to_datetime(records["recorded_date"]))
    firsts = frame.pivot_table(index="person_id", columns="jrole", values="date", aggfunc="min")
    firsts = firsts.reindex(columns=list(JOURNEY_ROLES)).rename(columns={VICTIM: "first_victim",
                                                                          SUSPECT: "first_suspect"})
    group = frame.groupby("person_id")["ethnic_group"].first()
    out = firsts.join(group).join(birth_windows(records)[["turns_18"]])
    out["first"] = out[["first_victim", "first_suspect"]].min(axis=1)
    return out


@dataclass(frozen=True)
class Crossover:
    """One direction and window: the table (split = window) and the cohort rule."""

    direction: str
    table: pd.DataFrame
    end_of_data: date
    notes: tuple[str, ...]


def crossover_counts(records: pd.DataFrame, direction: str, months: int, end_of_data: date) -> pd.DataFrame:
    """Per child of the cohort (a first record in the first role, the whole window observed): its group and
    whether it has a record in the second role within ``months`` after (later than the first day)."""
    first_role, second_role = DIRECTIONS[direction]
    frame = records.assign(jrole=journey_role(records["role"]), date=pd.to_datetime(records["recorded_date"]))
    kids = children(records)
    start = kids[f"first_{first_role}"].dropna()
    window_end = start + pd.DateOffset(months=months)
    observed = (window_end <= pd.Timestamp(end_of_data)) & (window_end <= kids.loc[start.index, "turns_18"])
    cohort = pd.DataFrame({"start": start[observed], "window_end": window_end[observed]})
    second = frame[frame["jrole"] == second_role][["person_id", "date"]].merge(
        cohort, left_on="person_id", right_index=True)
    hit = second[(second["date"] > second["start"]) & (second["date"] <= second["window_end"])]["person_id"].unique()
    cohort["event"] = cohort.index.isin(hit)
    cohort["ethnic_group"] = kids.loc[cohort.index, "ethnic_group"]
    return cohort


def crossover(records: pd.DataFrame, direction: str, end_of_data: date,
              reference_group: str = schema.DEFAULT_REFERENCE_GROUP, confidence: float = schema.DEFAULT_CONFIDENCE,
              audience: str = "analyst") -> Crossover:
    """Shares, ratios and verdicts for both windows (one family across the two windows' comparisons)."""
    rows = []
    for months in WINDOWS_MONTHS:
        cohort = crossover_counts(records, direction, months, end_of_data)
        events = cohort[cohort["event"]].groupby("ethnic_group").size().to_dict()
        totals = cohort.groupby("ethnic_group").size().to_dict()
        rows += tables.decision_rows(f"within {months} months", {str(k): int(v) for k, v in events.items()},
                                     {str(k): int(v) for k, v in totals.items()}, reference_group, confidence)
    table = tables.finish_table(pd.DataFrame(rows), confidence, reference_group)
    if audience != "analyst":
        table = suppression.apply_to_ratio_table(table, audience, reference_group=reference_group,
                                                 denominator_is_count=True)
    first_role, second_role = DIRECTIONS[direction]
    notes = (f"Cohort: children with a {first_role} record whose whole window after their first {first_role} record "
             f"is observed: it ends by the end of the data ({end_of_data:%d %b %Y}) and before the child's 18th "
             "birthday (estimated from the ages at the child's records). Event: a "
             f"{second_role} record later than that first day and within the window.",
             f"Shares with Wilson {format_confidence(confidence)} intervals; ratios to {reference_group} children "
             "with Koopman score intervals; verdicts across both windows (Benjamini–Hochberg).")
    return Crossover(direction, table, end_of_data, notes)


def pathways(records: pd.DataFrame) -> pd.DataFrame:
    """Children by first role and next involvement (``first``, ``next``, ``group``, ``children``): the role of a
    child's first record (victim, suspect, or both on the first day) and of its next record on a later date."""
    frame = records.assign(jrole=journey_role(records["role"]), date=pd.to_datetime(records["recorded_date"]))
    days = frame.groupby(["person_id", "date"])["jrole"].agg(lambda r: " and ".join(sorted(set(r)))).reset_index()
    days = days.sort_values(["person_id", "date"])
    days["order"] = days.groupby("person_id").cumcount()
    first = days[days["order"] == 0].set_index("person_id")["jrole"]
    following = days[days["order"] == 1].set_index("person_id")["jrole"]
    out = pd.DataFrame({"first": first, "next": following.reindex(first.index).fillna(NO_NEXT)})
    out["group"] = frame.groupby("person_id")["ethnic_group"].first().reindex(out.index)
    return out.groupby(["first", "next", "group"]).size().rename("children").reset_index()


def controlled_counts(frame: pd.DataFrame, column: str, audience: str) -> pd.DataFrame:
    """``column`` of counts as ``audience`` may see it: for scrutiny, 1-4 become [c] (the cell is not drawn)."""
    out = frame.copy()
    if suppression.audience_applies_suppression(audience):
        mask = suppression.primary_mask(out[column].to_numpy())
        out[column] = out[column].astype(object).mask(pd.Series(mask, index=out.index), suppression.SUPPRESSED)
    return out


SET_LABELS = {VICTIM: "Victim", SUSPECT: "Suspect", **schema.RISK_MARKER_LABELS}


def role_marker_sets(records: pd.DataFrame) -> pd.DataFrame:
    """One row per child: a boolean column per role (victim, suspect) and per risk marker (on any record)."""
    frame = records.assign(jrole=journey_role(records["role"]))
    roles = pd.crosstab(frame["person_id"], frame["jrole"]).reindex(columns=list(JOURNEY_ROLES), fill_value=0) > 0
    markers = frame.groupby("person_id")[list(schema.RISK_MARKERS)].any()
    return roles.join(markers)


def intersections(sets: pd.DataFrame, audience: str = "analyst", top: int = 15) -> pd.DataFrame:
    """The UpSet chart's bars: each combination of roles and markers held by at least one child, its exact
    membership (``members``, a tuple of set names) and size, largest first; under disclosure control."""
    columns = list(sets.columns)
    keys = sets[columns].apply(lambda r: tuple(c for c in columns if r[c]), axis=1)
    sizes = keys.value_counts().rename_axis("members").rename("children").reset_index()
    sizes = sizes[sizes["members"].map(len) > 0].head(top).reset_index(drop=True)
    return controlled_counts(sizes, "children", audience)


def set_sizes(sets: pd.DataFrame, audience: str = "analyst") -> pd.DataFrame:
    frame = pd.DataFrame({"set": list(sets.columns), "children": [int(sets[c].sum()) for c in sets.columns]})
    return controlled_counts(frame, "children", audience)


def end_of_data(records: pd.DataFrame) -> date:
    return pd.Timestamp(np.max(pd.to_datetime(records["recorded_date"]))).date()
