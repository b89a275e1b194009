"""Planted children's journeys (issue 17, part 5): victims who later appear as suspects, more often in some groups.

The base generator links victims and suspects within a cell in one direction only (suspect first, victim within
six months), so a child victim almost never appears later as a suspect. ``plant_victim_suspect`` adds that path
with a probability that differs by group, **without changing any per-role count**: it takes a child who is only
ever a victim (V) and a child who is only ever a suspect (S) and gives S's records V's pseudonym, so V is now a
victim who later appears as a suspect. Per role, per area, per age band and per month the numbers of records and of
distinct children are unchanged; the pair is matched so that the merged child's ethnic group is the same under
every ethnicity source (the same latest self-defined group and the same latest officer-defined group, or none),
so every planted rate ratio of ``sample_data.PLANTED`` is unchanged. S's first suspect record falls 14 to 360
days after V's first victim record, and their ages agree within 1.5 years.

Truth (``JOURNEY_PLANTED``): for each self-defined group g, a share p_g of the *eligible* victim-only children
(first victim record at least 12 months before the end of the data, aged 16 or under then) is planted, as far as
suitable suspects exist; ``plant_victim_suspect`` returns the counts (eligible, planted) by group and
``write_journey_truth`` writes them to ``journeys_truth.json`` beside the sample.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from analytics.schema import OFFICER_DEFINED_ETHNICITY, SELF_DEFINED_ETHNICITY

JOURNEY_SEED = 20261117
#: Share of eligible victim-only children of each self-defined group given a later suspect record (the truth).
JOURNEY_PLANTED: Mapping[str, float] = MappingProxyType(
    {"White": 0.10, "Black": 0.60, "Mixed": 0.40, "Asian": 0.10, "Other": 0.10, "": 0.10})
MIN_GAP_DAYS, MAX_GAP_DAYS = 14, 360
ELIGIBLE_MAX_AGE = 16
AGE_TOLERANCE = 1.5  # years: whole-year ages at two dates differ from the elapsed time by up to one year


def _children(extract: pd.DataFrame) -> pd.DataFrame:
    """Per child of the valid child rows: roles, first dates, age at them, the latest stated groups."""
    ages = pd.to_numeric(extract["age"], errors="coerce")
    dates = pd.to_datetime(extract["recorded_date"], errors="coerce", format="%Y-%m-%d")
    rows = extract.assign(date=dates, age_n=ages)[(ages < 18) & dates.notna()].copy()
    rows["jrole"] = np.where(rows["role"] == "victim", "victim", "suspect")
    rows["self_group"] = rows["ethnicity_self"].map({c: g for c, (_, g) in SELF_DEFINED_ETHNICITY.items()})
    rows["officer_group"] = rows["ethnicity_officer"].map({c: g for c, (_, g) in OFFICER_DEFINED_ETHNICITY.items()})
    rows = rows.sort_values(["date", "record_id"])
    latest_self = rows.dropna(subset=["self_group"]).groupby("person_id")["self_group"].last()
    latest_officer = rows.dropna(subset=["officer_group"]).groupby("person_id")["officer_group"].last()
    roles = rows.groupby("person_id")["jrole"].agg(lambda r: "+".join(sorted(set(r))))
    first = rows.groupby(["person_id", "jrole"]).agg(date=("date", "min"), age=("age_n", "first")).unstack("jrole")
    out = pd.DataFrame({"roles": roles})
    out["self_group"] = latest_self.reindex(out.index).fillna("")
    out["officer_group"] = latest_officer.reindex(out.index).fillna("")
    for role in ("victim", "suspect"):
        out[f"{role}_date"] = first[("date", role)].reindex(out.index) if ("date", role) in first else pd.NaT
        out[f"{role}_age"] = first[("age", role)].reindex(out.index) if ("age", role) in first else np.nan
    return out


def plant_victim_suspect(extract: pd.DataFrame, seed: int = JOURNEY_SEED,
                         end: str | None = None) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """The extract with planted victim -> suspect journeys, and the truth: {group: {eligible, planted}}."""
    rng = np.random.default_rng(seed)
    kids = _children(extract)
    last_day = pd.Timestamp(end) if end else kids[["victim_date", "suspect_date"]].max().max()
    victims = kids[(kids["roles"] == "victim") & (kids["victim_date"] + pd.Timedelta(days=365) <= last_day)
                   & (kids["victim_age"] <= ELIGIBLE_MAX_AGE)]
    suspects = kids[kids["roles"] == "suspect"].sort_values("suspect_date")
    pools: dict[tuple[str, str], tuple[list[pd.Timestamp], list[str], list[float]]] = {}
    for key, part in suspects.groupby(["self_group", "officer_group"]):
        pools[(str(key[0]), str(key[1]))] = (list(part["suspect_date"]), list(part.index), list(part["suspect_age"]))
    used: set[str] = set()
    rename: dict[str, str] = {}
    truth: dict[str, dict[str, int]] = {}
    for group, part in victims.groupby("self_group"):
        chosen = part.index[rng.permutation(len(part))][: round(JOURNEY_PLANTED[str(group)] * len(part))]
        planted = 0
        for person in chosen:
            v = part.loc[person]
            dates, ids, ages = pools.get((str(group), str(v["officer_group"])), ([], [], []))
            start = bisect.bisect_right(dates, v["victim_date"] + pd.Timedelta(days=MIN_GAP_DAYS))
            stop = bisect.bisect_right(dates, v["victim_date"] + pd.Timedelta(days=MAX_GAP_DAYS))
            for k in range(start, stop):
                elapsed = (dates[k] - v["victim_date"]).days / 365.25
                if ids[k] not in used and abs(ages[k] - (v["victim_age"] + elapsed)) <= AGE_TOLERANCE:
                    used.add(ids[k])
                    rename[ids[k]] = str(person)
                    planted += 1
                    break
        truth[str(group) or "Not stated"] = {"eligible": len(part), "planted": planted}
    out = extract.copy()
    out["person_id"] = out["person_id"].map(lambda p: rename.get(p, p))
    return out, truth


def write_journey_truth(truth: Mapping[str, Mapping[str, int]], out_dir: str | Path) -> Path:
    path = Path(out_dir) / "journeys_truth.json"
    document = {"planted_share": dict(JOURNEY_PLANTED), "by_self_defined_group": truth,
                "rule": __doc__.split("Truth (")[1].strip() if __doc__ else ""}
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path
