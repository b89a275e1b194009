"""Seeded synthetic extract of child victims, suspects and offenders in Norfolk, with planted truths.

The extract follows the record contract of :mod:`analytics.schema` (one row per person per crime per
role) and is generated in vectorised numpy from the modelled population of
:func:`sample_data.population.model_population`. Nothing here is real police data.

How it is built
---------------
1. **Children.** For every population cell (district x ethnic group x age band x sex) the number of
   children who are ever a *suspect* in the period is Poisson(population x base rate(age band, sex) x
   planted ratio(district, group) x composition correction x scale), and likewise for *victims*. About
   15 % of the victims of a cell are the same children as suspects of that cell (a child can be a
   victim in one crime and a suspect in another), so each role's count of distinct children is exactly
   that Poisson draw. The composition correction (a factor per district, group and role) makes the
   *crude* expected rate ratio equal the planted value despite the groups' different age structure;
   ``scale`` makes the expected number of rows about ``n_records``. Consequence: *within* an age band
   and sex the ratio is planted x correction, where the correction is about 1.14 for Mixed suspects
   (1.09 victims; Mixed children are younger, so fewer are of offending age), 0.94 for Black suspects
   (0.95 victims), 1.01 for Asian and 1.00 for Other. A ratio adjusted for age band therefore differs
   from the crude planted one by that factor; that is the population's real age structure at work.
2. **Records.** Each child's first record in a role falls on an "anchor" date (uniform over the period,
   except for the Norwich trend below); further records follow at exponential gaps (a geometric number
   of them: about 0.9 more per suspect, 0.25 more per victim), dropped if they pass the end date or the
   child's 18th birthday. Ages come from the child's age at the anchor, so victims are younger on
   average and most suspects are 10-17.
3. **Crimes.** Suspect records of a district are grouped in date order into crimes of 1-5 suspects
   (62 % lone), with an offence group per crime. About half the victim records join the nearest crime
   of their district (within 14 days) whose offence has a victim; the rest are crimes with a child
   victim and no child suspect (adult or unknown suspect), which carry victim rows only.
4. **Outcomes.** Each crime's investigation concludes after a log-normal lag (longer for sexual offences
   and robbery); if that is after the end date the case is open (blank), so recent months have more
   open cases. Each concluded suspect record then gets outcome 22 with the planted probability for the
   child's group, otherwise under-10s get outcome 11 and others an outcome drawn from their offence
   group's mix (charge common for robbery and weapons, community resolution for theft and damage).
   The lag does not depend on the outcome or the group, so the outcome-22 share among *concluded*
   records is exactly the planted one in every offence group, area and period.
   **Victim rows carry the crime's outcome** (that of its first suspect, or for victim-only crimes a
   victim-crime mix dominated by 18/14/16): outcome analyses must use suspect rows.
   **Offender rows**: a suspect aged 10+ whose outcome is proven (charge/summons, caution, TIC, penalty
   notice, cannabis warning, community resolution or outcome 22: ``PROVEN_OUTCOMES``) gets a second row
   for the same crime with role ``offender`` and the same values. So "suspects" are all children
   suspected and "offenders" a subset of them.
5. **Ethnicity recording.** Each child has one self-defined 18+1 code (drawn from the district's TS021
   mix within the group) and one officer-perceived IC code (a confusion table: Mixed children are coded
   IC1 or IC3, Chinese IC5, Eastern European often IC2, ...). Per record, self-defined is stated with a
   probability depending only on district, role and date (higher for suspects than victims, rising
   about 22 points over the period); otherwise ``NS`` or blank. Officer-defined is present on most
   suspect records and fewer victim records, else ``IC9`` or blank. Because recording never depends on
   the child's ethnic group, rate ratios from self-defined stated records are unbiased.
6. **Risk markers** are set per crime with realistic co-occurrence (county lines with drug offences
   and CCE, knife crime with possession of weapons and robbery, CSE with sexual offences, gangs with
   county lines and knife crime); false is written ``false`` or left blank.
7. **Planted test rows** exercise the loader: ``round(0.005 x n_records)`` rows aged 18 (an existing
   child's record a year later), 10 rows with the unknown area code ``E07000999`` and 5 rows with
   impossible dates (``BAD_DATES``); both invalid kinds belong to new children and new crimes.

8. **The planted step** (issue 16) and a fix-up, from a random stream of their own (so every other row is as
   without them): White suspects in Breckland get 2.5 times as many records per day in the window's last six
   months (whole crimes move there from earlier days; see ``_plant_step``); linked victims whose first victim
   record was put on the last day move to a uniform day of the window.

Planted truths (``PLANTED``)
----------------------------
All truths are defined on the children's **true** ethnic group, which is what **self-defined
ethnicity** records when stated: they are recovered with the self-defined source (stated records only).
Officer-defined ethnicity cannot recover them (no Mixed code, misclassification).

*Person rate ratio* of group g to White for a role and area = (distinct children of g with at least
one row in that role over the whole period / children of g in ``model_population``) divided by the
same for White. Rows aged 18+ and invalid rows are excluded first. In each district the expected value
equals the planted ratio exactly (so does a Mantel-Haenszel ratio stratified by district); a crude
ratio over several districts is close to it but not exact: :func:`expected_rate_ratio` gives the
exact expected value for any set of areas. With self-defined ethnicity only, both numerator counts
shrink by the same expected completeness, so the ratio is unchanged (up to the small trend effect
noted below).

The Norwich trend redistributes the *first suspect record dates* of Black Norwich children so that the
ratio of new suspects per child (Black to White) is 2.6 in the 12 months to October 2025, 3.1 in the
12 months to October 2026 and, in the rest of the window, whatever keeps the whole-period ratio at 3.0
(3.163 for the default window). Rolling 12-month ratios of children with any record are close to
these values (later records spread over a few months). Because recording completeness rises over
time, the trend changes the self-defined-only whole-period ratio for Norwich by well under 1 %.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import reference
from analytics.schema import (
    AGE_BANDS,
    ALL_COLUMNS,
    ETHNIC_GROUPS,
    OFFENCE_GROUPS,
    OUTCOME_CODES,
    POPULATION_SEXES,
    RISK_MARKERS,
    SELF_DEFINED_ETHNICITY,
)
from sample_data.population import (
    NORFOLK_CODES,
    REFERENCE_DIR,
    base_area_code,
    model_population,
)

PLANTED_SEED = 20261130
DEFAULT_N_RECORDS = 25_000
DEFAULT_START = "2023-01-01"
DEFAULT_END = "2026-10-31"
NORWICH = "E07000148"
BRECKLAND = "E07000143"
UNKNOWN_AREA_CODE = "E07000999"
BAD_DATES: tuple[str, ...] = ("2024-02-30", "2025-13-01", "2023-11-31", "2024-06-00", "2026-04-31")
AGE_18_SHARE = 0.005


@dataclass(frozen=True)
class Truth:
    """A planted value and what it means in plain English."""

    value: Any
    description: str


def _trend_first_period(start: str = DEFAULT_START, end: str = DEFAULT_END) -> float:
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    return round((3.0 * days - (2.6 + 3.1) * 365) / (days - 2 * 365), 4)


def _step_start(end: str = DEFAULT_END, months: int = 6) -> str:
    """First day of the last ``months`` calendar months of the window (the planted step's start)."""
    return str((pd.Timestamp(end).to_period("M") - (months - 1)).to_timestamp().date())


PLANTED: Mapping[str, Truth] = MappingProxyType({
    "suspect_rr_black_white_norwich": Truth(
        3.0, "Suspects, Norwich (E07000148): person rate ratio Black vs White over the whole period."),
    "suspect_rr_black_white_other_districts": Truth(
        2.0, "Suspects, each of the other six districts: person rate ratio Black vs White."),
    "suspect_rr_mixed_white": Truth(1.8, "Suspects, every district: person rate ratio Mixed vs White."),
    "suspect_rr_asian_white": Truth(0.7, "Suspects, every district: person rate ratio Asian vs White."),
    "suspect_rr_other_white": Truth(1.0, "Suspects, every district: person rate ratio Other vs White."),
    "victim_rr_black_white": Truth(1.5, "Victims, every district: person rate ratio Black vs White."),
    "victim_rr_asian_white": Truth(
        1.0, "Victims, every district: person rate ratio Asian vs White (a null, to test false positives)."),
    "victim_rr_mixed_white": Truth(1.3, "Victims, every district: person rate ratio Mixed vs White."),
    "victim_rr_other_white": Truth(1.0, "Victims, every district: person rate ratio Other vs White."),
    "outcome22_share": Truth(
        MappingProxyType({"Asian": 0.20, "Black": 0.10, "Mixed": 0.20, "White": 0.20, "Other": 0.20}),
        "Share of suspect records with a concluded outcome (non-blank) whose outcome is 22, by group; "
        "the same in every offence group, district, age band and month."),
    "outcome22_rr_black_white": Truth(
        0.5, "Outcome 22 risk ratio Black vs White among concluded suspect records: crude and "
        "Mantel-Haenszel adjusted for offence group (or area, age band) alike."),
    "norwich_suspect_rr_black_white_trend": Truth(
        MappingProxyType({
            "2023-01-01/2024-10-31": _trend_first_period(),
            "2024-11-01/2025-10-31": 2.6,
            "2025-11-01/2026-10-31": 3.1,
        }),
        "Norwich, Black vs White ratio of children's first suspect record per child, by period of that "
        "date; the first value keeps the whole-period ratio at 3.0 (default window)."),
    "suspect_step_white_breckland": Truth(
        MappingProxyType({"role": "suspect", "area": BRECKLAND, "group": "White", "factor": 2.5, "months": 6,
                          "start": _step_start()}),
        "Suspects, Breckland (E07000143), White: a step change (issue 16). From the start of the last 6 months of "
        "the window (1 May 2026 in the default window) these children's suspect records are 2.5 times as frequent "
        "per day as before: crimes whose suspects are all White Breckland children are moved, with all their rows, "
        "from earlier days to uniform days of the last 6 months (no row is added or removed, except offender rows "
        "whose outcome would now fall after the end). The only planted change the alerts should find, with what "
        "contains or follows from it (the county's White suspects, Breckland's White offenders)."),
    "rows_aged_18": Truth(
        round(AGE_18_SHARE * DEFAULT_N_RECORDS),
        "Rows aged 18 (round(0.005 x n_records); 125 at 25,000): an existing child's record a year later. "
        "The loader must exclude and count them."),
    "rows_unknown_area": Truth(10, f"Rows with area code {UNKNOWN_AREA_CODE}, not in the population table."),
    "rows_bad_date": Truth(5, f"Rows whose recorded_date is an impossible date: {', '.join(BAD_DATES)}."),
})

#: The officer-code-dependent recording gap planted by ``generate_extract(ic_gap=True)``
#: (``python -m analytics sample --ic-recording-gap``).
IC_GAP = Truth(
    MappingProxyType({"stated_shift": MappingProxyType({"IC1": 0.15, "IC3": -0.40}), "officer_when_not_stated": 1.0}),
    "With the gap: the probability that a record's self-defined ethnicity is stated is the usual one (district, "
    "role, date) plus 0.15 for children whose officer-defined code is IC1 and minus 0.40 for IC3 (clipped to "
    "0.02-0.98), so not-stated is far more common for IC3 than for IC1; Mixed children are coded IC1 or IC3 "
    "(the confusion table). A record without a self-defined code always has the officer-defined code. Recording "
    "depends on the officer code and not otherwise on the group, so the concordance reallocation recovers the "
    "PLANTED ratios; self-defined only loses IC3-coded (Black, Mixed) children and the naive fallback turns "
    "not-stated Mixed children into White or Black ones.")

PROVEN_OUTCOMES: frozenset[str] = frozenset({"1", "1A", "2", "2A", "3", "3A", "4", "6", "7", "8", "22"})

# --------------------------------------------------------------------------------------------
# Model parameters (not truths): base rates, offence and outcome mixes, recording
# --------------------------------------------------------------------------------------------
#: Children ever a suspect / victim in the period per child, by age band (rows) and sex (F, M),
#: before the planted ratios and the scale. White children get exactly these.
_SUSPECT_RATE = np.array([[0.0006, 0.0015], [0.022, 0.055], [0.060, 0.150], [0.065, 0.175]])
_VICTIM_RATE = np.array([[0.010, 0.010], [0.040, 0.045], [0.075, 0.075], [0.080, 0.080]])
_LINK_SHARE = 0.15  # share of a cell's victims who are also suspects of that cell
_EXTRA_RECORDS_P = {"suspect": 1 / 1.9, "victim": 0.8}  # geometric p: mean extra = (1 - p) / p
_GAP_MEAN_DAYS = 75.0
#: Expected rows per child-role at scale 1 (calibrated: truncation, offender rows).
_ROWS_PER_SUSPECT = 2.76
_ROWS_PER_VICTIM = 1.22
#: Self-defined stated probability: role base + district effect + rise over the period.
_STATED_BASE = {"suspect": 0.55, "victim": 0.40}
_STATED_DISTRICT = dict(zip(NORFOLK_CODES, (-0.05, 0.03, -0.08, 0.00, 0.05, 0.04, 0.02), strict=True))
_STATED_RISE = 0.22
_OFFICER_PRESENT = {("suspect", True): 0.60, ("suspect", False): 0.80, ("victim", True): 0.20, ("victim", False): 0.35}
_MSOA_BLANK = 0.06

_OFFENCE_INDEX = {g: i for i, g in enumerate(OFFENCE_GROUPS)}
_SUSPECT_OFFENCE_P = np.array([0.17, 0.26, 0.05, 0.05, 0.04, 0.08, 0.08, 0.10, 0.12, 0.05])
_VICTIM_ONLY_OFFENCE_P = {  # by sex, crimes with a child victim and no child suspect
    "F": np.array([0.14, 0.30, 0.03, 0.0, 0.28, 0.0, 0.06, 0.03, 0.08, 0.08]),
    "M": np.array([0.22, 0.34, 0.10, 0.0, 0.08, 0.0, 0.06, 0.03, 0.09, 0.08]),
}
_HAS_VICTIM = np.array([g not in ("Possession of weapons", "Drug offences") for g in OFFENCE_GROUPS])
_LAG_MEDIAN_DAYS = np.array([75, 60, 110, 70, 220, 120, 45, 40, 45, 70])
_LAG_SIGMA = 1.0

_OUTCOMES = ("1", "1A", "2", "8", "10", "15", "16", "20", "21", "9")
#: Outcome mix of a concluded suspect record that is not outcome 22, per offence group (rows).
_NON22_P = np.array([
    [0.28, 0.02, 0.12, 0.12, 0.04, 0.08, 0.18, 0.04, 0.06, 0.06],  # violence with injury
    [0.15, 0.01, 0.10, 0.20, 0.05, 0.08, 0.22, 0.04, 0.10, 0.05],  # violence without injury
    [0.50, 0.02, 0.10, 0.04, 0.03, 0.12, 0.10, 0.05, 0.04, 0.00],  # robbery
    [0.45, 0.00, 0.20, 0.08, 0.05, 0.10, 0.00, 0.05, 0.07, 0.00],  # possession of weapons
    [0.30, 0.00, 0.08, 0.00, 0.05, 0.15, 0.20, 0.10, 0.12, 0.00],  # sexual offences
    [0.20, 0.00, 0.15, 0.30, 0.08, 0.12, 0.00, 0.05, 0.10, 0.00],  # drug offences
    [0.15, 0.00, 0.12, 0.28, 0.08, 0.08, 0.12, 0.05, 0.12, 0.00],  # public order
    [0.08, 0.00, 0.10, 0.40, 0.07, 0.06, 0.12, 0.05, 0.12, 0.00],  # criminal damage
    [0.10, 0.00, 0.12, 0.38, 0.07, 0.10, 0.08, 0.05, 0.10, 0.00],  # theft
    [0.20, 0.00, 0.12, 0.22, 0.09, 0.10, 0.10, 0.05, 0.12, 0.00],  # other
])
_VICTIM_ONLY_OUTCOMES = ("18", "14", "16", "15", "1", "21", "20", "8", "2", "10", "13")
_VICTIM_ONLY_OUTCOME_P = np.array([0.25, 0.20, 0.15, 0.08, 0.12, 0.05, 0.05, 0.04, 0.02, 0.02, 0.02])

_SELF_CODES = tuple(SELF_DEFINED_ETHNICITY)
_OFFICER_CODES = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9")
#: Officer-perceived IC code given the self-defined code (columns as _OFFICER_CODES).
_OFFICER_GIVEN_SELF = {
    "W1": [.93, .04, 0, 0, 0, .01, .02], "W2": [.93, .04, 0, 0, 0, .01, .02],
    "W3": [.90, .06, 0, 0, 0, .02, .02], "W9": [.55, .40, 0, 0, 0, .03, .02],
    "M1": [.35, .02, .58, 0, 0, .02, .03], "M2": [.30, .02, .62, 0, 0, .03, .03],
    "M3": [.50, .05, 0, .35, .03, .04, .03], "M9": [.45, .08, .20, .08, .02, .12, .05],
    "A1": [.03, .02, 0, .90, 0, .02, .03], "A2": [.02, .02, 0, .88, 0, .05, .03],
    "A3": [.02, .01, 0, .92, 0, .02, .03], "A4": [.02, .01, 0, .04, .90, 0, .03],
    "A9": [.03, .02, 0, .55, .33, .04, .03], "B1": [.03, 0, .93, 0, 0, .01, .03],
    "B2": [.01, 0, .94, 0, 0, .02, .03], "B9": [.02, 0, .92, 0, 0, .03, .03],
    "O2": [.04, .06, 0, .03, 0, .84, .03], "O9": [.15, .10, .05, .20, .10, .35, .05],
}
#: TS021 category code -> self-defined code (Roma has no 18+1 code and is W9).
_TS021_TO_SELF = {1: "A3", 2: "A4", 3: "A1", 4: "A2", 5: "A9", 6: "B2", 7: "B1", 8: "B9", 9: "M3", 10: "M2",
                  11: "M1", 12: "M9", 13: "W1", 14: "W2", 15: "W3", 16: "W9", 17: "W9", 18: "O2", 19: "O9"}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def generate_extract(
    seed: int = PLANTED_SEED,
    n_records: int = DEFAULT_N_RECORDS,
    areas_multiplier: int = 1,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    *,
    planted_rows: bool = True,
    ic_gap: bool = False,
) -> pd.DataFrame:
    """The synthetic input extract: columns exactly ``analytics.schema.ALL_COLUMNS``.

    Every column is a string except ``age`` (int64); dates are ISO ``YYYY-MM-DD``, blanks are ``""``.
    The same arguments give an identical frame. ``n_records`` is met in expectation (within a few %)
    for the default 46-month window; a shorter window fits fewer repeat records per child (one year:
    about 15 % fewer rows). Rates scale with ``n_records / areas_multiplier``, so keep that near 25,000
    for realistic rates (per child); the planted ratios hold at any scale.
    ``planted_rows=False`` leaves out the 18+ and invalid rows (see ``PLANTED``). ``ic_gap=True`` plants the
    recording gap ``IC_GAP`` (self-defined ethnicity stated with a probability that depends on the child's
    officer-defined code); the truths in ``PLANTED`` are unchanged.
    """
    if n_records < 100:
        raise ValueError("n_records must be at least 100")
    rng = np.random.default_rng(seed)
    window = _Window(start, end)
    extra = _planted_counts(n_records) if planted_rows else {"age18": 0, "area": 0, "date": 0}
    children = _draw_children(rng, model_population(areas_multiplier), n_records - sum(extra.values()), window)
    rows = _expand_records(rng, children, window)
    crimes = _group_suspects_into_crimes(rng, rows, children)
    crimes = _attach_victims(rng, rows, crimes, children)
    rows["age"] = _age(children, rows["child"], rows["day"]).clip(None, 17)  # days moved to the crime's day
    _set_outcomes(rng, rows, crimes, children, window)
    _record_ethnicity(rng, rows, children, window, ic_gap)
    table = _to_table(rng, _add_offender_rows(rows), crimes, children, window)
    table = _plant_step(table, children.group, window, seed)
    del rows, crimes, children  # free memory before the text columns are built
    if planted_rows:
        table = _add_planted_rows(rng, table, extra, window)
    return _finish(rng, table)


def write_sample(
    out_dir: str | Path, seed: int = PLANTED_SEED, n_records: int = DEFAULT_N_RECORDS, *, ic_gap: bool = False
) -> tuple[Path, Path]:
    """Write ``extract.csv`` and ``population.csv`` to ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    extract_path, population_path = out / "extract.csv", out / "population.csv"
    generate_extract(seed=seed, n_records=n_records, ic_gap=ic_gap).to_csv(extract_path, index=False)
    model_population().to_csv(population_path, index=False)
    return extract_path, population_path


def planted_rate_ratio(role: str, group: str, area_code: str) -> float:
    """The planted person rate ratio of ``group`` to White for a role ('suspect'/'victim') in an area."""
    if group == "White":
        return 1.0
    if role == "suspect" and group == "Black":
        key = "norwich" if base_area_code(area_code) == NORWICH else "other_districts"
        return PLANTED[f"suspect_rr_black_white_{key}"].value
    return PLANTED[f"{role}_rr_{group.lower()}_white"].value


def expected_rate_ratio(role: str, group: str, area_codes: tuple[str, ...] | None = None,
                        areas_multiplier: int = 1) -> float:
    """The exact expected crude person rate ratio of ``group`` to White for ``role`` ('suspect' or
    'victim') over ``area_codes`` (default: all areas), from the model's expected counts."""
    cells = _cell_arrays(model_population(areas_multiplier))
    mean = _expected_children(cells, role)
    chosen = np.isin(cells["areas"][cells["area"]], list(area_codes)) if area_codes else np.ones(len(mean), bool)

    def rate(name: str) -> float:
        pick = chosen & (cells["group"] == ETHNIC_GROUPS.index(name))
        return mean[pick].sum() / cells["pop"][pick].sum()

    return rate(group) / rate("White")


# --------------------------------------------------------------------------------------------
# Step 1: children per cell
# --------------------------------------------------------------------------------------------
class _Window:
    """The period as day offsets from ``start`` (0 .. days - 1)."""

    def __init__(self, start: str, end: str) -> None:
        self.start = np.datetime64(pd.Timestamp(start).date(), "D")
        self.end = np.datetime64(pd.Timestamp(end).date(), "D")
        self.days = int((self.end - self.start).astype(int)) + 1
        if self.days < 60:
            raise ValueError("the period must be at least 60 days")

    def iso(self, offsets: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(self.start + offsets.astype("timedelta64[D]"), unit="D")

    def trend_weights(self) -> np.ndarray:
        """Per-day weights of Black Norwich first-suspect dates (White: uniform); see the module docstring."""
        dates = self.start + np.arange(self.days).astype("timedelta64[D]")
        weights = np.full(self.days, np.nan)
        for period, ratio in list(PLANTED["norwich_suspect_rr_black_white_trend"].value.items())[1:]:
            lo, hi = (np.datetime64(d, "D") for d in period.split("/"))
            weights[(dates >= lo) & (dates <= hi)] = ratio
        rest = np.isnan(weights)
        total = PLANTED["suspect_rr_black_white_norwich"].value * self.days
        rest_ratio = (total - np.nansum(weights)) / rest.sum() if rest.any() else 0.0
        if rest_ratio <= 0:  # a window the trend cannot be fitted into: no trend
            return np.ones(self.days)
        weights[rest] = rest_ratio
        return weights


@dataclass
class _Children:
    """One entry per child: cell attributes and the role memberships."""

    area: np.ndarray  # index into areas
    areas: np.ndarray  # area codes
    base: np.ndarray  # index into NORFOLK_CODES
    group: np.ndarray
    band: np.ndarray
    sex: np.ndarray
    anchor: np.ndarray  # day of first record
    age_at_anchor: np.ndarray  # years, float
    self_code: np.ndarray  # index into _SELF_CODES
    officer_code: np.ndarray  # index into _OFFICER_CODES
    msoa: np.ndarray  # index into msoa_values
    msoa_values: np.ndarray  # MSOA codes, last one blank (synthetic areas)
    member_child: np.ndarray  # memberships: child index
    member_role: np.ndarray  # 0 suspect, 1 victim
    member_first: np.ndarray  # day of the membership's first record
    member_clipped: np.ndarray  # a linked victim whose first victim record was put on the last day (see _plant_step)


def _planted_counts(n_records: int) -> dict[str, int]:
    return {"age18": round(AGE_18_SHARE * n_records), "area": PLANTED["rows_unknown_area"].value,
            "date": PLANTED["rows_bad_date"].value}


def _cell_arrays(population: pd.DataFrame) -> dict[str, np.ndarray]:
    """Population cells as integer-coded arrays."""
    areas, area = np.unique(population["area_code"].to_numpy(dtype=str), return_inverse=True)
    base_codes = np.array([NORFOLK_CODES.index(base_area_code(a)) for a in areas])
    return {
        "areas": areas, "area": area, "base": base_codes[area],
        "group": pd.Categorical(population["ethnic_group"], categories=ETHNIC_GROUPS).codes.astype(np.int64),
        "band": pd.Categorical(population["age_band"], categories=AGE_BANDS).codes.astype(np.int64),
        "sex": pd.Categorical(population["sex"], categories=POPULATION_SEXES).codes.astype(np.int64),
        "pop": population["population"].to_numpy(dtype=float),
    }


def _expected_children(cells: dict[str, np.ndarray], role: str) -> np.ndarray:
    """Expected children per cell at scale 1: planted ratio x crude-rate composition correction."""
    rate = (_SUSPECT_RATE if role == "suspect" else _VICTIM_RATE)[cells["band"], cells["sex"]]
    planted = np.array([planted_rate_ratio(role, ETHNIC_GROUPS[g], cells["areas"][a])
                        for g, a in zip(cells["group"], cells["area"], strict=True)])
    key = cells["area"] * len(ETHNIC_GROUPS) + cells["group"]
    crude = np.bincount(key, cells["pop"] * rate) / np.bincount(key, cells["pop"])
    crude = crude.reshape(-1, len(ETHNIC_GROUPS))
    correction = crude[:, [ETHNIC_GROUPS.index("White")]] / crude
    return cells["pop"] * rate * planted * correction.reshape(-1)[key]


def _draw_children(rng: np.random.Generator, population: pd.DataFrame, target_rows: int, window: _Window) -> _Children:
    """Poisson children per cell and role (step 1), with anchors, ages and ethnicity codes."""
    cells = _cell_arrays(population)
    mean_s, mean_v = _expected_children(cells, "suspect"), _expected_children(cells, "victim")
    scale = target_rows / (mean_s.sum() * _ROWS_PER_SUSPECT + mean_v.sum() * _ROWS_PER_VICTIM)
    n_s, n_v = rng.poisson(mean_s * scale), rng.poisson(mean_v * scale)
    n_both = np.minimum(rng.binomial(n_v, _LINK_SHARE), n_s)
    per_cell = n_s + n_v - n_both
    cell = np.repeat(np.arange(len(per_cell)), per_cell)
    local = np.arange(len(cell)) - np.repeat(np.cumsum(per_cell) - per_cell, per_cell)
    is_suspect, is_victim = local < n_s[cell], local >= (n_s - n_both)[cell]
    in_norwich = cells["base"][cell] == NORFOLK_CODES.index(NORWICH)
    tilted = is_suspect & in_norwich & (cells["group"][cell] == ETHNIC_GROUPS.index("Black"))
    anchor = _draw_anchors(rng, tilted, window)
    low = np.array([int(b.split("-")[0]) for b in AGE_BANDS])[cells["band"][cell]]
    width = np.array([int(b.split("-")[1]) - int(b.split("-")[0]) + 1 for b in AGE_BANDS])[cells["band"][cell]]
    age = low + rng.random(len(cell)) * width
    victim_first, clipped = _victim_first_day(rng, anchor, age, is_suspect & is_victim, window)
    base, group = cells["base"][cell], cells["group"][cell]
    self_code = _draw_self_codes(rng, base, group)
    suspects, victims = np.flatnonzero(is_suspect), np.flatnonzero(is_victim)
    msoa, msoa_values = _draw_msoas(rng, cells["areas"][cells["area"][cell]])
    return _Children(
        area=cells["area"][cell], areas=cells["areas"], base=base, group=group, band=cells["band"][cell],
        sex=cells["sex"][cell], anchor=anchor, age_at_anchor=age, self_code=self_code,
        officer_code=_draw_officer_codes(rng, self_code), msoa=msoa, msoa_values=msoa_values,
        member_child=np.concatenate([suspects, victims]),
        member_role=np.concatenate([np.zeros(len(suspects), np.int8), np.ones(len(victims), np.int8)]),
        member_first=np.concatenate([anchor[suspects], victim_first[victims]]),
        member_clipped=np.concatenate([np.zeros(len(suspects), bool), clipped[victims]]),
    )


def _draw_anchors(rng: np.random.Generator, tilted: np.ndarray, window: _Window) -> np.ndarray:
    """Day of each child's first record: uniform, or the Norwich trend density for ``tilted``."""
    anchor = rng.integers(0, window.days, size=len(tilted))
    weights = window.trend_weights()
    anchor[tilted] = rng.choice(window.days, size=int(tilted.sum()), p=weights / weights.sum())
    return anchor


def _victim_first_day(rng, anchor, age, linked, window: _Window) -> tuple[np.ndarray, np.ndarray]:
    """A linked child's first victim record falls 0-180 days after the anchor, before 18 and the end."""
    offset = rng.integers(0, 181, size=len(anchor)) * linked
    to_18 = np.floor((18 - age) * 365.25).astype(np.int64) - 1
    day = anchor + np.minimum(offset, to_18)
    return np.minimum(day, window.days - 1), day > window.days - 1


def _draw_self_codes(rng: np.random.Generator, base: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each child's self-defined code, from the district's TS021 mix within the child's group."""
    ts021 = pd.read_csv(REFERENCE_DIR / "census2021_TS021_ethnic_group_norfolk_districts_long.csv")
    ts021["code"] = ts021["ethnic_group_20cat_code"].map(_TS021_TO_SELF)
    counts = ts021.pivot_table(index="lad_code", columns="code", values="count", aggfunc="sum")
    counts = counts.reindex(columns=_SELF_CODES)
    group_of = np.array([ETHNIC_GROUPS.index(SELF_DEFINED_ETHNICITY[c][1]) for c in _SELF_CODES])
    out = np.empty(len(base), np.int64)
    for b, code in enumerate(NORFOLK_CODES):
        for g in range(len(ETHNIC_GROUPS)):
            who = np.flatnonzero((base == b) & (group == g))
            options = np.flatnonzero(group_of == g)
            weights = counts.loc[code].to_numpy(dtype=float)[options]
            out[who] = rng.choice(options, size=len(who), p=weights / weights.sum())
    return out


def _draw_officer_codes(rng: np.random.Generator, self_code: np.ndarray) -> np.ndarray:
    """Each child's officer-perceived IC code given the self-defined code."""
    out = np.empty(len(self_code), np.int64)
    for i, code in enumerate(_SELF_CODES):
        who = np.flatnonzero(self_code == i)
        p = np.array(_OFFICER_GIVEN_SELF[code])
        out[who] = rng.choice(len(_OFFICER_CODES), size=len(who), p=p / p.sum())
    return out


def _draw_msoas(rng: np.random.Generator, area_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A home MSOA per child (an index into the returned codes, whose last entry is blank) from the
    geojson's MSOAs of the child's district, weighted by children aged 10-17; blank for synthetic areas."""
    with open(reference.NORFOLK_MSOAS, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    msoas = pd.DataFrame([f["properties"] for f in features])[["MSOA21CD", "LAD_CD"]]
    census = pd.read_csv(REFERENCE_DIR / "census2021_children_by_norfolk_msoa.csv")
    children = census.set_index("msoa21cd")["aged_10_17"]
    msoas["weight"] = msoas["MSOA21CD"].map(children).astype(float)
    out = np.full(len(area_codes), len(msoas), dtype=np.int64)
    for code, rows in msoas.groupby("LAD_CD", sort=True):
        who = np.flatnonzero(area_codes == code)
        weights = (rows["weight"] / rows["weight"].sum()).to_numpy()
        out[who] = rng.choice(rows.index.to_numpy(), size=len(who), p=weights)
    return out, np.array([*msoas["MSOA21CD"], ""], dtype=object)


# --------------------------------------------------------------------------------------------
# Step 2: records of each membership
# --------------------------------------------------------------------------------------------
def _expand_records(rng: np.random.Generator, children: _Children, window: _Window) -> dict[str, np.ndarray]:
    """Rows: each membership's first record plus a geometric number of later ones."""
    role = children.member_role
    p_extra = np.where(role == 0, _EXTRA_RECORDS_P["suspect"], _EXTRA_RECORDS_P["victim"])
    count = np.minimum(rng.geometric(p_extra), 40)
    member = np.repeat(np.arange(len(role)), count)
    j = np.arange(len(member)) - np.repeat(np.cumsum(count) - count, count)
    gaps = np.where(j == 0, 0, np.ceil(rng.exponential(_GAP_MEAN_DAYS, len(member)))).astype(np.int64)
    cum = np.cumsum(gaps)
    day = children.member_first[member] + cum - np.repeat(cum[np.cumsum(count) - count], count)
    child = children.member_child[member]
    age = _age(children, child, day)
    keep = (j == 0) | ((day < window.days) & (age < 18))
    clipped = children.member_clipped[member] & (j == 0)
    return {"child": child[keep], "role": role[member][keep], "day": day[keep], "age": age[keep],
            "clipped": clipped[keep]}


def _age(children: _Children, child: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Age in whole years on ``day``, at least 0."""
    years = children.age_at_anchor[child] + (day - children.anchor[child]) / 365.25
    return np.floor(years).astype(np.int64).clip(0, None)


# --------------------------------------------------------------------------------------------
# Step 3: crimes
# --------------------------------------------------------------------------------------------
_CRIME_SIZE_P = np.array([0.62, 0.22, 0.10, 0.04, 0.02])  # 1..5 child suspects
_MAX_DAYS_BETWEEN_CO_SUSPECTS = 7
_ATTACH_SHARE = 0.5  # share of victim records that join a crime with child suspects
_ATTACH_TOLERANCE_DAYS = 14


def _group_suspects_into_crimes(rng: np.random.Generator, rows: dict, children: _Children) -> dict[str, np.ndarray]:
    """Group suspect rows of an area in date order into crimes of 1-5 suspects (each row's crime and
    day are set in ``rows``); returns the crime table (area, day, offence, victim_only)."""
    suspects = np.flatnonzero(rows["role"] == 0)
    area = children.area[rows["child"]]
    order = suspects[np.lexsort((rng.random(len(suspects)), rows["day"][suspects], area[suspects]))]
    sizes = rng.choice(len(_CRIME_SIZE_P), size=len(order), p=_CRIME_SIZE_P) + 1
    chunk = np.searchsorted(np.cumsum(sizes), np.arange(len(order)), side="right")
    day = rows["day"][order]
    change = np.ones(len(order), dtype=bool)
    change[1:] = (chunk[1:] != chunk[:-1]) | (area[order][1:] != area[order][:-1]) | (
        np.diff(day) > _MAX_DAYS_BETWEEN_CO_SUSPECTS)
    crime = np.cumsum(change) - 1
    crime = _separate_repeats(crime, rows["child"][order])
    n_crimes = int(crime.max()) + 1 if len(crime) else 0
    crime_day = np.full(n_crimes, np.iinfo(np.int64).max)
    np.minimum.at(crime_day, crime, day)
    crime_area = np.zeros(n_crimes, np.int64)
    crime_area[crime] = area[order]
    rows["crime"] = np.full(len(rows["day"]), -1, np.int64)
    rows["crime"][order] = crime
    rows["day"][order] = crime_day[crime]
    return {"area": crime_area, "day": crime_day,
            "offence": rng.choice(len(OFFENCE_GROUPS), size=n_crimes, p=_SUSPECT_OFFENCE_P),
            "victim_only": np.zeros(n_crimes, dtype=bool)}


def _separate_repeats(crime: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Give a row whose child already has a row in the same crime a crime of its own."""
    repeat = pd.DataFrame({"crime": crime, "child": child}).duplicated().to_numpy()
    crime = crime.copy()
    crime[repeat] = (int(crime.max()) + 1 if len(crime) else 0) + np.arange(int(repeat.sum()))
    return crime


def _attach_victims(rng: np.random.Generator, rows: dict, crimes: dict, children: _Children) -> dict[str, np.ndarray]:
    """Victim rows join the nearest crime with a victim in their area (taking its day), or get a
    victim-only crime of their own; returns the extended crime table."""
    victims = np.flatnonzero(rows["role"] == 1)
    area = children.area[rows["child"]]
    wants = victims[rng.random(len(victims)) < _ATTACH_SHARE]
    candidates = np.flatnonzero(_HAS_VICTIM[crimes["offence"]])
    left = pd.DataFrame({"day": rows["day"][wants], "area": area[wants], "row": wants})
    left = left.sort_values("day", kind="stable")
    right = pd.DataFrame({"day": crimes["day"][candidates], "area": crimes["area"][candidates], "crime": candidates})
    matched = pd.merge_asof(left, right.sort_values("day", kind="stable"), on="day", by="area",
                            direction="nearest", tolerance=_ATTACH_TOLERANCE_DAYS).dropna(subset=["crime"])
    joined, crime = matched["row"].to_numpy(), matched["crime"].to_numpy(dtype=np.int64)
    repeat = pd.DataFrame({"crime": crime, "child": rows["child"][joined]}).duplicated().to_numpy()
    joined, crime = joined[~repeat], crime[~repeat]
    rows["crime"][joined] = crime
    rows["day"][joined] = crimes["day"][crime]
    return _add_victim_only_crimes(rng, rows, crimes, children, victims[rows["crime"][victims] < 0])


def _add_victim_only_crimes(rng, rows: dict, crimes: dict, children: _Children, own: np.ndarray) -> dict:
    """One crime per victim row in ``own`` (a child victim, no child suspect), offence by the victim's sex."""
    sex = children.sex[rows["child"][own]]
    offence = np.empty(len(own), np.int64)
    for s, name in enumerate(POPULATION_SEXES):
        who = np.flatnonzero(sex == s)
        offence[who] = rng.choice(len(OFFENCE_GROUPS), size=len(who), p=_VICTIM_ONLY_OFFENCE_P[name])
    rows["crime"][own] = len(crimes["day"]) + np.arange(len(own))
    return {
        "area": np.concatenate([crimes["area"], children.area[rows["child"][own]]]),
        "day": np.concatenate([crimes["day"], rows["day"][own]]),
        "offence": np.concatenate([crimes["offence"], offence]),
        "victim_only": np.concatenate([crimes["victim_only"], np.ones(len(own), dtype=bool)]),
    }


# --------------------------------------------------------------------------------------------
# Step 4: outcomes
# --------------------------------------------------------------------------------------------
#: Every outcome a row can carry; index 0 is blank (open).
_OUTCOME_TABLE: tuple[str, ...] = ("", *OUTCOME_CODES)
_OUTCOME_INDEX = {code: i for i, code in enumerate(_OUTCOME_TABLE)}


def _set_outcomes(rng: np.random.Generator, rows: dict, crimes: dict, children: _Children, window: _Window) -> None:
    """Crime lag -> open or concluded; suspect rows' outcomes; victim rows carry the crime's outcome."""
    offence = crimes["offence"]
    lag = np.ceil(_LAG_MEDIAN_DAYS[offence] * np.exp(_LAG_SIGMA * rng.standard_normal(len(offence)))).astype(np.int64)
    crimes["outcome_day"] = crimes["day"] + lag
    concluded = crimes["outcome_day"] < window.days
    outcome = np.zeros(len(rows["day"]), np.int64)
    suspects = np.flatnonzero((rows["role"] == 0) & concluded[rows["crime"]])
    outcome[suspects] = _suspect_outcomes(rng, offence[rows["crime"][suspects]],
                                          children.group[rows["child"][suspects]], rows["age"][suspects])
    crime_outcome = np.zeros(len(offence), np.int64)
    crimes_with_suspect, first = np.unique(rows["crime"][suspects], return_index=True)
    crime_outcome[crimes_with_suspect] = outcome[suspects[first]]  # the outcome of the crime's first suspect row
    own = np.flatnonzero(crimes["victim_only"] & concluded)
    codes = np.array([_OUTCOME_INDEX[c] for c in _VICTIM_ONLY_OUTCOMES])
    crime_outcome[own] = codes[rng.choice(len(codes), size=len(own), p=_VICTIM_ONLY_OUTCOME_P)]
    victims = rows["role"] == 1
    outcome[victims] = crime_outcome[rows["crime"][victims]]
    rows["outcome"] = outcome


def _suspect_outcomes(rng: np.random.Generator, offence: np.ndarray, group: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Outcome 22 with the planted share of the group; otherwise 11 under 10, else the offence's mix."""
    share = np.array([PLANTED["outcome22_share"].value[g] for g in ETHNIC_GROUPS])
    is_22 = rng.random(len(offence)) < share[group]
    codes = np.array([_OUTCOME_INDEX[c] for c in _OUTCOMES])
    out = np.empty(len(offence), np.int64)
    for o in range(len(OFFENCE_GROUPS)):
        who = np.flatnonzero(offence == o)
        p = _NON22_P[o] / _NON22_P[o].sum()
        out[who] = codes[rng.choice(len(codes), size=len(who), p=p)]
    out[age < 10] = _OUTCOME_INDEX["11"]
    out[is_22] = _OUTCOME_INDEX["22"]
    return out


# --------------------------------------------------------------------------------------------
# Step 5: ethnicity recording; step 6: risk markers; step 7: offender rows
# --------------------------------------------------------------------------------------------
_SELF_VALUES = (*_SELF_CODES, "NS", "")
_OFFICER_VALUES = (*_OFFICER_CODES, "")
_NS_AS_CODE = 0.6  # not stated written "NS" (else blank)
_IC9_AS_CODE = 0.3  # officer-defined unknown written "IC9" (else blank)


def _record_ethnicity(rng: np.random.Generator, rows: dict, children: _Children, window: _Window,
                      ic_gap: bool = False) -> None:
    """Per row: self-defined stated with a probability of district, role and date only (with ``ic_gap``: and of
    the child's officer-defined code, ``IC_GAP``); officer-defined."""
    child, role = rows["child"], rows["role"]
    base = children.base[child]
    district = np.array([_STATED_DISTRICT[c] for c in NORFOLK_CODES])[base]
    p_stated = np.where(role == 0, _STATED_BASE["suspect"], _STATED_BASE["victim"]) + district
    p_stated += _STATED_RISE * rows["day"] / (window.days - 1)
    if ic_gap:
        shift = np.array([IC_GAP.value["stated_shift"].get(code, 0.0) for code in _OFFICER_CODES])
        p_stated = np.clip(p_stated + shift[children.officer_code[child]], 0.02, 0.98)
    stated = rng.random(len(child)) < p_stated
    not_stated = np.where(rng.random(len(child)) < _NS_AS_CODE, len(_SELF_CODES), len(_SELF_CODES) + 1)
    rows["self"] = np.where(stated, children.self_code[child], not_stated)
    p_officer = np.select(
        [(role == 0) & stated, role == 0, stated],
        [_OFFICER_PRESENT[("suspect", True)], _OFFICER_PRESENT[("suspect", False)], _OFFICER_PRESENT[("victim", True)]],
        _OFFICER_PRESENT[("victim", False)],
    )
    if ic_gap:
        p_officer = np.where(stated, p_officer, 1.0)  # the officer records the code when the child does not
    present = rng.random(len(child)) < p_officer
    unknown = np.where(rng.random(len(child)) < _IC9_AS_CODE, _OFFICER_CODES.index("IC9"), len(_OFFICER_CODES))
    rows["officer"] = np.where(present, children.officer_code[child], unknown)


def _risk_markers(rng: np.random.Generator, offence: np.ndarray) -> dict[str, np.ndarray]:
    """Per-crime markers with realistic co-occurrence."""
    g = {name: offence == _OFFENCE_INDEX[name] for name in OFFENCE_GROUPS}
    u = lambda: rng.random(len(offence))  # noqa: E731 - one uniform per crime per marker
    county_lines = u() < np.select(
        [g["Drug offences"], g["Possession of weapons"], g["Robbery"]], [0.25, 0.08, 0.03], 0.003)
    cce = u() < np.where(county_lines, 0.6, np.select(
        [g["Drug offences"], g["Robbery"], g["Theft"]], [0.06, 0.04, 0.01], 0.005))
    knife = u() < np.maximum(np.select(
        [g["Possession of weapons"], g["Robbery"], g["Violence with injury"], g["Violence without injury"]],
        [0.55, 0.30, 0.12, 0.04], 0.003), 0.25 * county_lines)
    cse = u() < np.where(g["Sexual offences"], 0.22, 0.002)
    gangs = u() < np.select([county_lines, knife], [0.45, 0.15], 0.01)
    return {"knife_crime": knife, "cce": cce, "cse": cse, "county_lines": county_lines, "gangs": gangs}


def _add_offender_rows(rows: dict) -> dict:
    """A second row (role offender) for every suspect row aged 10+ with a proven outcome."""
    proven = np.array([code in PROVEN_OUTCOMES for code in _OUTCOME_TABLE])
    copy = np.flatnonzero((rows["role"] == 0) & proven[rows["outcome"]] & (rows["age"] >= 10))
    out = {key: np.concatenate([value, value[copy]]) for key, value in rows.items()}
    out["role"][len(rows["role"]):] = 2
    return out


# --------------------------------------------------------------------------------------------
# Step 8: the table (integer codes + value lists), planted rows, strings
# --------------------------------------------------------------------------------------------
_ROLE_NAMES = ("suspect", "victim", "offender")
_MARKER_VALUES = ("false", "true", "")
_BLANK_FALSE_SHARE = 0.25  # crimes whose false markers are left blank rather than "false"


@dataclass
class _Table:
    """The extract as integer codes per column; ``values[column]`` turns a code into its text."""

    codes: dict[str, np.ndarray]
    values: dict[str, np.ndarray]

    def take(self, index: np.ndarray) -> _Table:
        return _Table({k: v[index] for k, v in self.codes.items()}, self.values)

    def append(self, other: _Table) -> _Table:
        return _Table({k: np.concatenate([v, other.codes[k]]) for k, v in self.codes.items()}, self.values)


def _to_table(rng: np.random.Generator, rows: dict, crimes: dict, children: _Children, window: _Window) -> _Table:
    """Rows as coded contract columns. Dates index ``window`` days, then ``BAD_DATES``, then blank."""
    child, crime = rows["child"], rows["crime"]
    blank_date = window.days + len(BAD_DATES)
    msoa = np.where(rng.random(len(child)) < _MSOA_BLANK, len(children.msoa_values) - 1, children.msoa[child])
    codes = {
        "person_id": child, "crime_id": crime, "role": rows["role"], "recorded_date": rows["day"],
        "age": rows["age"], "sex": children.sex[child], "ethnicity_self": rows["self"],
        "ethnicity_officer": rows["officer"], "area_code": children.area[child], "msoa_code": msoa,
        "offence_group": crimes["offence"][crime], "outcome_code": rows["outcome"],
        "outcome_date": np.where(rows["outcome"] > 0, crimes["outcome_day"][crime], blank_date),
        "_order": rows["day"], "_clipped": rows["clipped"],
    }
    blank_false = rng.random(len(crimes["day"])) < _BLANK_FALSE_SHARE
    for name, flags in _risk_markers(rng, crimes["offence"]).items():
        codes[name] = np.where(flags, 1, np.where(blank_false, 2, 0))[crime]
    dates = np.concatenate([window.iso(np.arange(window.days)), BAD_DATES, [""]]).astype(object)
    values = {
        "role": _ROLE_NAMES, "recorded_date": dates, "outcome_date": dates, "sex": POPULATION_SEXES,
        "ethnicity_self": _SELF_VALUES, "ethnicity_officer": _OFFICER_VALUES,
        "area_code": np.array([*children.areas, UNKNOWN_AREA_CODE], dtype=object), "msoa_code": children.msoa_values,
        "offence_group": OFFENCE_GROUPS, "outcome_code": _OUTCOME_TABLE, **dict.fromkeys(RISK_MARKERS, _MARKER_VALUES),
    }
    return _Table(codes, {k: np.asarray(v, dtype=object) for k, v in values.items()})


def _plant_step(table: _Table, group_of_child: np.ndarray, window: _Window, seed: int) -> _Table:
    """The planted step (``PLANTED["suspect_step_white_breckland"]``), drawn from its own random stream so every
    other planted value and every other row is exactly as without it.

    Crimes before the step whose suspects are all children of the step's group and district move, each with all
    its rows (suspects, offenders, victims), to a uniform day from the step's start to the end, keeping their
    outcome lag; the share moved makes the rows per day after the start ``factor`` times those before. An outcome
    that would fall after the end becomes open (blank), and its offender rows go.
    """
    step = PLANTED["suspect_step_white_breckland"].value
    start = int((np.datetime64(_step_start(str(window.end), step["months"]), "D") - window.start).astype(int))
    c = table.codes
    areas = list(table.values["area_code"])
    if not 0 < start < window.days or step["area"] not in areas:
        return table
    rng = np.random.default_rng([seed, 16])
    in_cell = (c["area_code"] == areas.index(step["area"])) & (
        group_of_child[c["person_id"]] == ETHNIC_GROUPS.index(step["group"]))
    suspect = c["role"] == 0
    n_crimes = int(c["crime_id"].max()) + 1
    all_in_cell = np.ones(n_crimes, bool)
    np.logical_and.at(all_in_cell, c["crime_id"][suspect], in_cell[suspect])
    has_suspect = np.zeros(n_crimes, bool)
    has_suspect[c["crime_id"][suspect]] = True
    day = np.full(n_crimes, window.days)
    np.minimum.at(day, c["crime_id"], c["recorded_date"])
    n_before = int((suspect & in_cell & (c["recorded_date"] < start)).sum())
    n_after = int((suspect & in_cell & (c["recorded_date"] >= start)).sum())
    k = step["factor"] * (window.days - start) / start
    share = max(0.0, (k * n_before - n_after) / (n_before * (1 + k))) if n_before else 0.0
    eligible = np.flatnonzero(has_suspect & all_in_cell & (day < start))
    moved = eligible[rng.random(len(eligible)) < share]
    delta = np.zeros(n_crimes, np.int64)
    delta[moved] = rng.integers(start, window.days, size=len(moved)) - day[moved]
    shift = delta[c["crime_id"]]
    c["recorded_date"] = c["recorded_date"] + shift
    c["_order"] = c["_order"] + shift
    blank = window.days + len(BAD_DATES)
    has_outcome = c["outcome_date"] < window.days
    late = has_outcome & (c["outcome_date"] + shift >= window.days)
    c["outcome_date"] = np.where(late, blank, np.where(has_outcome, c["outcome_date"] + shift, c["outcome_date"]))
    c["outcome_code"] = np.where(late, 0, c["outcome_code"])
    table = table.take(np.flatnonzero(~(late & (c["role"] == 2))))
    return _spread_clipped_victims(rng, table, window)


def _spread_clipped_victims(rng: np.random.Generator, table: _Table, window: _Window) -> _Table:
    """A linked victim's first victim record that would fall after the end was put on the last day (and then
    joined a crime of the last fortnight), piling victims up in the last month. Each such row moves, as a crime
    of its own, to a uniform day of the window (the step's random stream), keeping an outcome only if it still
    falls inside the window."""
    c = table.codes
    rows = np.flatnonzero(c["_clipped"] & (c["role"] == 1))
    if not len(rows):
        return table
    new_day = rng.integers(0, window.days, size=len(rows))
    delta = new_day - c["recorded_date"][rows]
    c["recorded_date"][rows] = new_day
    c["_order"][rows] = new_day
    c["crime_id"][rows] = int(c["crime_id"].max()) + 1 + np.arange(len(rows))
    blank = window.days + len(BAD_DATES)
    outcome = c["outcome_date"][rows]
    keeps = (outcome < window.days) & (outcome + delta < window.days) & (outcome + delta >= new_day)
    c["outcome_date"][rows] = np.where(keeps, outcome + delta, blank)
    c["outcome_code"][rows] = np.where(keeps, c["outcome_code"][rows], 0)
    c["_clipped"][rows] = False
    return table


def _add_planted_rows(rng: np.random.Generator, table: _Table, counts: dict[str, int], window: _Window) -> _Table:
    """Rows aged 18 (a child's row a year later, a crime of its own) and invalid rows (unknown area,
    impossible date; new children and crimes); see ``PLANTED``."""
    c = table.codes
    next_person, next_crime = int(c["person_id"].max()) + 1, int(c["crime_id"].max()) + 1
    not_offender = c["role"] != 2
    late = np.flatnonzero(not_offender & (c["age"] == 17) & (c["recorded_date"] + 365 < window.days))
    adults = table.take(np.sort(rng.choice(late, size=min(counts["age18"], len(late)), replace=False)))
    a = adults.codes
    a["age"][:] = 18
    a["recorded_date"] += 365
    a["_order"] += 365
    blank_date = window.days + len(BAD_DATES)
    a["outcome_date"] = np.where(a["outcome_date"] + 365 < window.days, a["outcome_date"] + 365, blank_date)
    a["outcome_code"] = np.where(a["outcome_date"] == blank_date, 0, a["outcome_code"])
    n_invalid = counts["area"] + counts["date"]
    invalid = table.take(np.sort(rng.choice(np.flatnonzero(not_offender), size=n_invalid, replace=False)))
    v = invalid.codes
    v["person_id"] = next_person + np.arange(n_invalid)
    v["area_code"][: counts["area"]] = len(table.values["area_code"]) - 1
    v["msoa_code"][: counts["area"]] = len(table.values["msoa_code"]) - 1
    v["recorded_date"][counts["area"]:] = window.days + np.arange(counts["date"])
    planted = adults.append(invalid)
    planted.codes["crime_id"] = next_crime + np.arange(len(planted.codes["crime_id"]))
    return table.append(planted)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    """``prefix`` + zero-padded decimal ``numbers``, built as bytes (no Python loop over rows)."""
    chars = np.empty((len(numbers), width + 1), np.uint8)
    chars[:, 0] = ord(prefix)
    rest = numbers.astype(np.int64)
    for position in range(width, 0, -1):
        chars[:, position] = rest % 10 + ord("0")
        rest = rest // 10
    return pd.Series(pa.array(chars.view(f"S{width + 1}").ravel()).cast(pa.string()), dtype="str")


def _pseudonyms(prefix: str, rng: np.random.Generator, keys: np.ndarray) -> pd.Series:
    """Random identifiers for integer ``keys``, fixed by the seed; their order reveals nothing."""
    unique, inverse = np.unique(keys, return_inverse=True)
    width = max(8, len(str(len(unique))))
    return _ids(prefix, (rng.permutation(len(unique)) + 1)[inverse], width)


def _decode(codes: np.ndarray, values: np.ndarray) -> pd.Series:
    """Text column from codes via an Arrow dictionary array (fast for millions of rows)."""
    dictionary = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values), pa.string()))
    return pd.Series(dictionary.cast(pa.string()), dtype="str")


def _finish(rng: np.random.Generator, table: _Table) -> pd.DataFrame:
    """Sort by date, assign record ids and pseudonymous person and crime ids, decode the text columns."""
    n = len(table.codes["role"])
    table = table.take(np.lexsort((rng.random(n), table.codes["_order"])))
    c = table.codes
    columns = {
        "record_id": _ids("R", np.arange(1, n + 1), max(8, len(str(n)))),
        "person_id": _pseudonyms("P", rng, c["person_id"]),
        "crime_id": _pseudonyms("C", rng, c["crime_id"]),
        "age": pd.Series(c["age"].astype(np.int64)),
        "offence_code": pd.Series(pa.nulls(n, pa.string()).fill_null(""), dtype="str"),
    }
    columns.update({name: _decode(c[name], values) for name, values in table.values.items()})
    return pd.DataFrame({name: columns[name] for name in ALL_COLUMNS})
