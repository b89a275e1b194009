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

Every count is under disclosure control for the scrutiny audience (``disclosure``: perturbed by the Cell Key Method,
then counts 1-4 as [c]).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analytics import schema, suppression, tables
from analytics.filters import format_confidence
from analytics.partners import disclosure
from analytics.suppression.perturbation import CKEY_SUFFIX, KEY_RANGE

VICTIM, SUSPECT = "victim", "suspect"
JOURNEY_ROLES: tuple[str, ...] = (VICTIM, SUSPECT)
WINDOWS_MONTHS: tuple[int, ...] = (12, 24)
DIRECTIONS = {"victim_to_suspect": (VICTIM, SUSPECT), "suspect_to_victim": (SUSPECT, VICTIM)}
DIRECTION_LABELS = {"victim_to_suspect": "Victims who later appear as suspects",
                    "suspect_to_victim": "Suspects who later appear as victims"}
NO_NEXT = "no further record"
#: A first (or next) day with records in both roles.
BOTH = f"{SUSPECT} and {VICTIM}"
DAYS_PER_YEAR = 365.25


def recorded_dates(records: pd.DataFrame) -> pd.Series:
    """The records' dates as datetime64 (``cache=False``: the store gives dates already, and pandas' cache check
    would turn each into a Python object first)."""
    return pd.to_datetime(records["recorded_date"], cache=False)


def journey_role(role: pd.Series) -> pd.Series:
    """Victim or suspect (an offender row is its suspect's)."""
    return role.where(role == VICTIM, SUSPECT)


def birth_windows(records: pd.DataFrame) -> pd.DataFrame:
    """Per child, the interval the date of birth must lie in given every (date, age) of its records, and its
    midpoint: age a on day d means birth in (d - (a + 1) years, d - a years]."""
    dates = recorded_dates(records)
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
    frame = records.assign(jrole=journey_role(records["role"]), date=recorded_dates(records))
    firsts = frame.groupby(["person_id", "jrole"])["date"].min().unstack()
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


def crossover_counts(records: pd.DataFrame, direction: str, months: int, end_of_data: date,
                     kids: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per child of the cohort (a first record in the first role, the whole window observed): its group and
    whether it has a record in the second role within ``months`` after (later than the first day). ``kids``:
    ``children(records)`` when already made."""
    first_role, second_role = DIRECTIONS[direction]
    frame = records.assign(jrole=journey_role(records["role"]), date=recorded_dates(records))
    kids = children(records) if kids is None else kids
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
    """Shares, ratios and verdicts for both windows (one family across the two windows' comparisons), from the
    counts ``audience`` may know (perturbed for scrutiny: ``disclosure``)."""
    keys, kids = disclosure.person_keys(records), children(records)
    rows = []
    for months in WINDOWS_MONTHS:
        cohort = crossover_counts(records, direction, months, end_of_data, kids)
        cohort[disclosure.PERSON_KEY] = keys.reindex(cohort.index)
        counts = disclosure.as_known(disclosure.count_children(cohort, ["ethnic_group"], subsets=("event",)),
                                     ("children", "event"), audience, parts={"event": "children"})
        events = dict(zip(counts["ethnic_group"].astype(str), counts["event"].astype(int), strict=True))
        totals = dict(zip(counts["ethnic_group"].astype(str), counts["children"].astype(int), strict=True))
        rows += tables.decision_rows(f"within {months} months", events, totals, reference_group, confidence)
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
             "with Koopman score intervals; verdicts across both windows (Benjamini–Hochberg).",
             *((disclosure.METHOD_NOTE,) if suppression.audience_applies_suppression(audience) else ()))
    return Crossover(direction, table, end_of_data, notes)


def pathways(records: pd.DataFrame) -> pd.DataFrame:
    """Children by first role and next involvement (``first``, ``next``, ``group``, ``children``): the role of a
    child's first record (victim, suspect, or both on the first day) and of its next record on a later date."""
    frame = records.assign(victim=journey_role(records["role"]) == VICTIM,
                           date=recorded_dates(records))
    days = frame.assign(suspect=~frame["victim"]).groupby(["person_id", "date"])[[VICTIM, SUSPECT]].any()
    days["jrole"] = np.select([days[VICTIM] & days[SUSPECT], days[VICTIM]], [BOTH, VICTIM], SUSPECT)
    days = days.reset_index()  # sorted by child, then date
    days["order"] = days.groupby("person_id").cumcount()
    first = days[days["order"] == 0].set_index("person_id")["jrole"]
    following = days[days["order"] == 1].set_index("person_id")["jrole"]
    out = pd.DataFrame({"first": first, "next": following.reindex(first.index).fillna(NO_NEXT)})
    out["group"] = frame.groupby("person_id")["ethnic_group"].first().reindex(out.index)
    out[disclosure.PERSON_KEY] = disclosure.person_keys(records).reindex(out.index)
    return disclosure.count_children(out, ["first", "next", "group"])


def pathway_totals(paths: pd.DataFrame, audience: str = "analyst") -> pd.DataFrame:
    """The Sankey's links (``first``, ``next``, ``children``) over every group, as ``audience`` may see them:
    for scrutiny perturbed, then 1-4 as [c] (the link is not drawn)."""
    totals = disclosure.with_keys_reduced(paths.groupby(["first", "next"], sort=True)[
        ["children", "children" + CKEY_SUFFIX]].sum().reset_index())
    return disclosure.controlled(totals, ("children",), audience)


SET_LABELS = {VICTIM: "Victim", SUSPECT: "Suspect", **schema.RISK_MARKER_LABELS}


def role_marker_sets(records: pd.DataFrame) -> pd.DataFrame:
    """One row per child: a boolean column per role (victim, suspect) and per risk marker (on any record)."""
    victim = journey_role(records["role"]) == VICTIM
    frame = records.assign(**{VICTIM: victim, SUSPECT: ~victim})
    return frame.groupby("person_id")[[*JOURNEY_ROLES, *schema.RISK_MARKERS]].any()


def intersections(sets: pd.DataFrame, keys: pd.Series, audience: str = "analyst", top: int = 15) -> pd.DataFrame:
    """The UpSet chart's bars: each combination of roles and markers held by at least one child, its exact
    membership (``members``, a tuple of set names) and size, largest first (as ``audience`` knows the sizes:
    perturbed for scrutiny, then 1-4 as [c]). ``keys``: each child's person key (``disclosure.person_keys``)."""
    columns = list(sets.columns)
    code = sum(sets[c].astype("int64").to_numpy() << bit for bit, c in enumerate(columns))
    children = pd.DataFrame({"code": code, disclosure.PERSON_KEY: keys.reindex(sets.index).to_numpy()})
    sizes = disclosure.as_known(disclosure.count_children(children, ["code"]), ("children",), audience)
    sizes.insert(0, "members", [tuple(c for bit, c in enumerate(columns) if int(k) >> bit & 1) for k in sizes["code"]])
    sizes = sizes.drop(columns="code")
    sizes = sizes[sizes["members"].map(len) > 0].sort_values("children", ascending=False, kind="stable")
    return disclosure.without_flag(disclosure.hide_small(sizes.head(top).reset_index(drop=True), ("children",),
                                                         audience))


def set_sizes(sets: pd.DataFrame, keys: pd.Series, audience: str = "analyst") -> pd.DataFrame:
    """Each set's size (children with the role or marker), as ``audience`` may see it."""
    keyed = keys.reindex(sets.index).astype("int64")
    frame = pd.DataFrame({"set": list(sets.columns), "children": [int(sets[c].sum()) for c in sets.columns],
                          "children" + CKEY_SUFFIX: [int(keyed[sets[c]].sum()) % KEY_RANGE for c in sets.columns]})
    return disclosure.controlled(frame, ("children",), audience)


def end_of_data(records: pd.DataFrame) -> date:
    return pd.Timestamp(np.max(recorded_dates(records))).date()
