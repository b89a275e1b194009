"""Modelled child population of the Norfolk districts by ethnic group, age band and sex (Census 2021).

No unsuppressed Census 2021 table of ethnic group x age exists for the Norfolk districts (the ONS
district cells for minority children are almost all suppressed), so the denominators are *modelled*
from real Census 2021 files copied into ``sample_data/reference/`` (see its SOURCES.md) and one gov.uk table
shared with the analytics package (``analytics.reference.EW_POPULATION_BY_AGE``):

1. **Child totals** per district and age band (0-9, 10-13, 14-15, 16-17): the sum of the single years
   of age in TS007 (``census2021_TS007_age_single_year_norfolk.csv``). These are exact census counts.
2. **Ethnic split** within a district and age band: the district's all-age ethnic mix (TS021, 5 groups)
   times each group's child-to-all-age ratio in England and Wales, renormalised to sum to 1. The ratio
   for group g and band b is (g's share of E&W children in b) / (g's share of all E&W residents), with
   children from the ONS ethnic group by age file (bands 0-9 and 10-17; 10-17 is used for 10-13, 14-15
   and 16-17) and all residents from the TS021 England and Wales row.
3. **Sex split**: each group's male share in England and Wales by age group (Ethnicity facts and
   figures population file): 0-9 for 0-9, 10-14 for 10-13, 10-14 and 15-19 pooled for 14-15, 15-19
   for 16-17.
4. **Rounding**: the 10 cells (5 groups x 2 sexes) of each district and age band are rounded by the
   largest-remainder method, so they add up to the census child total of that district and band.

The result is a model, not an official table: the ``source`` column says so. A force replaces it
with its own table (e.g. nomis RM032) when it has one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import reference
from analytics.schema import AGE_BAND_BOUNDS, AGE_BANDS, ETHNIC_GROUPS, KNOWN_AREA_NAMES, POPULATION_SEXES

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
BOUNDARIES_DIR = reference.BOUNDARIES_DIR  # the boundaries are runtime reference data of the analytics package

AREA_NAMES: dict[str, str] = dict(KNOWN_AREA_NAMES)
NORFOLK_CODES: tuple[str, ...] = tuple(AREA_NAMES)
EW_CODE = "K04000001"
CENSUS_YEAR = 2021
POPULATION_COLUMNS: tuple[str, ...] = (
    "area_code", "ethnic_group", "age_band", "sex", "population", "source", "year",
)
POPULATION_SOURCE = (
    "Modelled from Census 2021 TS007, TS021 and ONS ethnic group by age and sex (England and Wales); "
    "not an official table"
)

#: TS021 category code (1-19) -> 5 high-level groups (the crosswalk in ../shared/reference/codes).
_TS021_GROUP = {
    **dict.fromkeys(range(1, 6), "Asian"), **dict.fromkeys(range(6, 9), "Black"),
    **dict.fromkeys(range(9, 13), "Mixed"), **dict.fromkeys(range(13, 18), "White"),
    **dict.fromkeys(range(18, 20), "Other"),
}
#: Age band -> band of the ONS ethnic group by age file used for the child-to-all-age ratio.
_RATIO_BAND = {"0-9": "0-9", "10-13": "10-17", "14-15": "10-17", "16-17": "10-17"}
#: Age band -> age groups of the E&W age x ethnicity x sex file pooled for the sex split.
_SEX_BANDS = {"0-9": ("0-9",), "10-13": ("10-14",), "14-15": ("10-14", "15-19"), "16-17": ("15-19",)}


def copy_code(area_code: str, copy: int) -> str:
    """The code of synthetic copy ``copy`` (2, 3, ...) of a district: E07000143 -> X02000143."""
    return f"X{copy:02d}{area_code[-6:]}"


def area_names(areas_multiplier: int = 1) -> dict[str, str]:
    """Code -> name for the 7 districts and, if ``areas_multiplier`` > 1, their synthetic copies."""
    names = dict(AREA_NAMES)
    for copy in range(2, areas_multiplier + 1):
        names.update({copy_code(code, copy): f"{name} (copy {copy})" for code, name in AREA_NAMES.items()})
    return names


def base_area_code(area_code: str) -> str:
    """The real district a (possibly synthetic) area code stands for: X02000148 -> E07000148."""
    return "E07" + area_code[-6:] if area_code.startswith("X") else area_code


# --------------------------------------------------------------------------------------------
# Census inputs, each as a small numpy array in a fixed order (districts x bands x groups x sexes)
# --------------------------------------------------------------------------------------------
def child_totals() -> np.ndarray:
    """Census 2021 (TS007) children per district and age band: shape (7 districts, 4 bands)."""
    ts007 = pd.read_csv(REFERENCE_DIR / "census2021_TS007_age_single_year_norfolk.csv")
    ts007 = ts007.set_index("geography code").loc[list(NORFOLK_CODES)]
    single_years = {"Age: Aged under 1 year; measures: Value": 0}
    for column in ts007.columns:
        match = re.fullmatch(r"Age: Aged (\d+) years?; measures: Value", column)
        if match:
            single_years[column] = int(match.group(1))
    by_age = ts007[list(single_years)].rename(columns=single_years)  # districts x single years
    bands = [by_age[list(range(low, high + 1))].sum(axis=1) for low, high in (AGE_BAND_BOUNDS[b] for b in AGE_BANDS)]
    return np.column_stack(bands).astype(np.int64)


def _ts021_by_group() -> pd.DataFrame:
    """TS021 all-age counts per area (rows) and 5 groups (columns)."""
    ts021 = pd.read_csv(REFERENCE_DIR / "census2021_TS021_ethnic_group_norfolk_districts_long.csv")
    ts021["group"] = ts021["ethnic_group_20cat_code"].map(_TS021_GROUP)
    return ts021.pivot_table(index="lad_code", columns="group", values="count", aggfunc="sum")[list(ETHNIC_GROUPS)]


def district_ethnic_mix() -> np.ndarray:
    """Each district's all-age ethnic mix (TS021): shape (7, 5 groups), rows sum to 1."""
    counts = _ts021_by_group().loc[list(NORFOLK_CODES)].to_numpy(dtype=float)
    return counts / counts.sum(axis=1, keepdims=True)


def child_to_all_age_ratio() -> np.ndarray:
    """Each group's share of E&W children in a band over its share of all E&W residents: shape (4 bands, 5)."""
    by_age = pd.read_csv(REFERENCE_DIR / "census2021_ethnic_group_by_age_band_ONS_rounded_suppressed.csv")
    by_age = by_age[by_age["area_code"] == EW_CODE]
    children = by_age.pivot_table(
        index="age_band", columns="ethnic_group_5cat", values="count_published_cells", aggfunc="sum"
    )[list(ETHNIC_GROUPS)]
    child_share = children.div(children.sum(axis=1), axis=0)
    all_ages = _ts021_by_group().loc[EW_CODE]
    all_share = all_ages / all_ages.sum()
    return np.array([(child_share.loc[_RATIO_BAND[b]] / all_share).to_numpy() for b in AGE_BANDS])


def male_share() -> np.ndarray:
    """Share of males per age band and group, England and Wales: shape (4 bands, 5 groups)."""
    ew = pd.read_csv(reference.EW_POPULATION_BY_AGE, thousands=",")
    table = ew.pivot_table(
        index=["Age group", "Self-defined ethnicity"], columns="Sex", values="Population", aggfunc="sum"
    )
    shares = []
    for band in AGE_BANDS:
        pooled = table.loc[list(_SEX_BANDS[band])].groupby(level="Self-defined ethnicity").sum()
        pooled = pooled.loc[list(ETHNIC_GROUPS)]
        shares.append((pooled["Male"] / (pooled["Male"] + pooled["Female"])).to_numpy())
    return np.array(shares)


def largest_remainder(expected: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Round each row of ``expected`` to integers that sum to the row's entry of ``totals``."""
    floors = np.floor(expected).astype(np.int64)
    short = totals - floors.sum(axis=1)
    order = np.argsort(-(expected - floors), axis=1, kind="stable")
    ranks = np.argsort(order, axis=1, kind="stable")
    return floors + (ranks < short[:, None])


@lru_cache(maxsize=1)
def _norfolk_cells() -> np.ndarray:
    """Integer populations, shape (7 districts, 4 bands, 5 groups, 2 sexes: F, M)."""
    totals = child_totals()  # (7, 4)
    weights = district_ethnic_mix()[:, None, :] * child_to_all_age_ratio()[None, :, :]  # (7, 4, 5)
    weights /= weights.sum(axis=2, keepdims=True)
    male = male_share()[None, :, :]
    by_sex = np.stack([weights * (1 - male), weights * male], axis=-1)  # F, M
    expected = by_sex * totals[:, :, None, None]
    rounded = largest_remainder(expected.reshape(-1, 10), totals.reshape(-1))
    return rounded.reshape(expected.shape)


def model_population(areas_multiplier: int = 1) -> pd.DataFrame:
    """The modelled child population (see the module docstring), one row per area x group x band x sex.

    ``areas_multiplier=k`` > 1 adds k-1 synthetic copies of the 7 districts (codes ``X02000143`` ...,
    names from :func:`area_names`) with the same populations, for benchmarks at national scale.
    """
    if areas_multiplier < 1:
        raise ValueError("areas_multiplier must be at least 1")
    cells = _norfolk_cells()
    index = pd.MultiIndex.from_product(
        [NORFOLK_CODES, AGE_BANDS, ETHNIC_GROUPS, POPULATION_SEXES],
        names=["area_code", "age_band", "ethnic_group", "sex"],
    )
    base = pd.DataFrame({"population": cells.reshape(-1)}, index=index).reset_index()
    copies = [base]
    for copy in range(2, areas_multiplier + 1):
        copies.append(base.assign(area_code=[copy_code(c, copy) for c in base["area_code"]]))
    frame = pd.concat(copies, ignore_index=True)
    frame["source"] = POPULATION_SOURCE
    frame["year"] = CENSUS_YEAR
    return frame[list(POPULATION_COLUMNS)]
