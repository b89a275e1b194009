"""Seeded partner sample data (issue 17): DfE exclusions by characteristic and YJB first-time entrants for
Norfolk, modelled (not real figures), with a planted disparity; and a person-level flags extract for the
generated crime extract, with a planted linkage gap.

* ``dfe_exclusions_frame()``: a file in the layout of DfE's "exclusions by characteristic" open data
  (``time_period, time_identifier, geographic_level, country_code, ..., new_la_code, la_name, school_type,
  characteristic_group, characteristic, headcount, perm_excl, perm_excl_rate, susp, susp_rate, one_plus_susp,
  one_plus_susp_rate``) for Norfolk (E10000020), academic years 2021/22 to 2023/24, with the national and
  regional rows, school-type rows and minor ethnicity rows a real download has (the converter skips them).
* ``first_time_entrants_frame()``: youth justice first-time entrants aged 10-17 by ethnic group for Norfolk,
  financial years 2022/23 to 2024/25, already in the monitor's contract layout.
* ``generate_flags(extract)``: dated partner flags for children of the extract (and children police never
  recorded), keyed by the extract's ``person_id``; a share of the flags of some groups carry a pseudonym that
  does not match (as when a name is spelt differently at the partner), so the match rate differs by group.

Counts are binomial draws around the planted rates (``PARTNER_PLANTED``) on headcounts and populations
scaled from the modelled Census 2021 population; counts of 1 or 2 are published as ``c`` (suppressed), as
DfE and MoJ do. The files under ``sample_data/partners/`` are written by ``write_partner_sample``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from analytics.schema import ETHNIC_GROUPS, NOT_STATED
from sample_data.population import model_population

PARTNER_SEED = 20261117
PARTNERS_DIR = Path(__file__).resolve().parent / "partners"
DFE_FILE = "dfe_exclusions_by_characteristic_norfolk_modelled.csv"
FTE_FILE = "yjb_first_time_entrants_by_ethnicity_norfolk_modelled.csv"
NORFOLK = "E10000020"
#: Rates of the reference group (White) and each group's planted ratio to it.
WHITE_RATES = MappingProxyType({"perm_excl": 0.0012, "susp": 0.085, "one_plus_susp": 0.035,
                                "first_time_entrant": 0.0013})
PARTNER_PLANTED: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "permanent_exclusion": MappingProxyType({"Black": 1.8, "Mixed": 1.6, "Asian": 0.4, "Other": 0.8}),
    "suspension": MappingProxyType({"Black": 1.5, "Mixed": 1.4, "Asian": 0.4, "Other": 0.7}),
    "one_plus_suspension": MappingProxyType({"Black": 1.5, "Mixed": 1.4, "Asian": 0.4, "Other": 0.7}),
    "first_time_entrant": MappingProxyType({"Black": 2.4, "Mixed": 1.8, "Asian": 0.8, "Other": 1.3}),
})
#: Share of pupils whose ethnicity is unclassified (DfE's "Ethnicity Major Unclassified").
UNCLASSIFIED_SHARE = 0.015
PUPILS_PER_CHILD = 0.70  # pupils on roll per child aged 0-17 (school ages 4-15 plus sixth forms)
ACADEMIC_YEARS: tuple[str, ...] = ("202122", "202223", "202324")
FINANCIAL_YEARS: tuple[tuple[str, str], ...] = (("2022-04-01", "2023-03-31"), ("2023-04-01", "2024-03-31"),
                                                ("2024-04-01", "2025-03-31"))
_DFE_MEASURE_OF = {"perm_excl": "permanent_exclusion", "susp": "suspension", "one_plus_susp": "one_plus_suspension"}
_MAJOR = {"White": "Ethnicity Major White Total", "Black": "Ethnicity Major Black Total",
          "Asian": "Ethnicity Major Asian Total", "Mixed": "Ethnicity Major Mixed Total",
          "Other": "Ethnicity Major Any Other Ethnic Group", NOT_STATED: "Ethnicity Major Unclassified"}
#: Planted person-level flags: the share of children with each flag, by role (suspects more often) ...
FLAG_SHARES = MappingProxyType({
    "known_to_yjs": {"suspect": 0.30, "victim": 0.04},
    "excluded": {"suspect": 0.12, "victim": 0.04},
    "child_in_need": {"suspect": 0.20, "victim": 0.15},
    "looked_after": {"suspect": 0.06, "victim": 0.03},
})
#: ... and the share of a group's flagged children whose partner pseudonym fails to match (the linkage gap).
LINK_FAILURE = MappingProxyType({"White": 0.05, "Black": 0.25, "Mixed": 0.15, "Asian": 0.10, "Other": 0.10,
                                 NOT_STATED: 0.05})
UNMATCHED_PARTNER_CHILDREN = 400  # children known to partners and never recorded by police
_LAST_DAY = date(2026, 10, 31)  # the sample extract's last day


def _suppress(count: int) -> str:
    return "c" if 1 <= count <= 2 else str(count)


def _rate_text(count: int, headcount: int, per: float = 100) -> str:
    return "c" if 1 <= count <= 2 else f"{per * count / headcount:.2f}"


def _children_by_group(age_bands: tuple[str, ...]) -> dict[str, int]:
    population = model_population()
    part = population[population["age_band"].isin(age_bands)]
    return {str(k): int(v) for k, v in part.groupby("ethnic_group")["population"].sum().items()}


def dfe_exclusions_frame(seed: int = PARTNER_SEED) -> pd.DataFrame:
    """Norfolk's rows (and the national/regional and other rows a download has) in DfE's layout."""
    rng = np.random.default_rng(seed)
    children = _children_by_group(("0-9", "10-13", "14-15", "16-17"))
    rows = []
    for year in ACADEMIC_YEARS:
        growth = 1 + 0.01 * ACADEMIC_YEARS.index(year)
        headcounts = {g: round(PUPILS_PER_CHILD * children[g] * growth * (1 - UNCLASSIFIED_SHARE))
                      for g in ETHNIC_GROUPS}
        headcounts[NOT_STATED] = round(UNCLASSIFIED_SHARE * sum(headcounts.values()))
        counts: dict[str, dict[str, int]] = {}
        for group, headcount in headcounts.items():
            ratios = {m: PARTNER_PLANTED[_DFE_MEASURE_OF[m]].get(group, 1.0) for m in _DFE_MEASURE_OF}
            counts[group] = {"perm_excl": int(rng.binomial(headcount, WHITE_RATES["perm_excl"] * ratios["perm_excl"])),
                             "one_plus_susp": int(rng.binomial(headcount, WHITE_RATES["one_plus_susp"]
                                                               * ratios["one_plus_susp"]))}
            # suspensions are events: about 2.4 per pupil suspended
            counts[group]["susp"] = int(rng.poisson(headcount * WHITE_RATES["susp"] * ratios["susp"]))
        for group in [*ETHNIC_GROUPS, NOT_STATED, "Total"]:
            if group == "Total":
                headcount = sum(headcounts.values())
                values = {m: sum(c[m] for c in counts.values()) for m in _DFE_MEASURE_OF}
                characteristic, characteristic_group = "Total", "Total"
            else:
                headcount, values = headcounts[group], counts[group]
                characteristic, characteristic_group = _MAJOR[group], "Ethnicity Major"
            rows.append(_dfe_row(year, "Local authority", characteristic_group, characteristic, "Total", headcount,
                                 values))
        # what a real download also holds: the other levels, school types and minor groups (all skipped)
        rows.append(_dfe_row(year, "Local authority", "Ethnicity Minor", "Ethnicity Minor White British", "Total",
                             round(0.9 * headcounts["White"]), counts["White"]))
        rows.append(_dfe_row(year, "Local authority", "Total", "Total", "State-funded secondary",
                             round(0.45 * sum(headcounts.values())),
                             {m: round(0.8 * sum(c[m] for c in counts.values())) for m in _DFE_MEASURE_OF}))
        rows.append(_dfe_row(year, "Regional", "Total", "Total", "Total", 950_000,
                             {"perm_excl": 1_200, "susp": 80_000, "one_plus_susp": 33_000}))
        rows.append(_dfe_row(year, "National", "Total", "Total", "Total", 8_200_000,
                             {"perm_excl": 9_400, "susp": 700_000, "one_plus_susp": 290_000}))
    return pd.DataFrame(rows)


def _dfe_row(year: str, level: str, characteristic_group: str, characteristic: str, school_type: str,
             headcount: int, values: dict[str, int]) -> dict[str, object]:
    local = level == "Local authority"
    regional = level != "National"
    return {
        "time_period": year, "time_identifier": "Academic year", "geographic_level": level,
        "country_code": "E92000001", "country_name": "England",
        "region_code": "E12000006" if regional else "", "region_name": "East of England" if regional else "",
        "new_la_code": NORFOLK if local else "", "old_la_code": "926" if local else "",
        "la_name": "Norfolk" if local else "", "school_type": school_type,
        "characteristic_group": characteristic_group, "characteristic": characteristic, "headcount": headcount,
        "perm_excl": _suppress(values["perm_excl"]), "perm_excl_rate": _rate_text(values["perm_excl"], headcount),
        "susp": _suppress(values["susp"]), "susp_rate": _rate_text(values["susp"], headcount),
        "one_plus_susp": _suppress(values["one_plus_susp"]),
        "one_plus_susp_rate": _rate_text(values["one_plus_susp"], headcount),
    }


def first_time_entrants_frame(seed: int = PARTNER_SEED) -> pd.DataFrame:
    """First-time entrants aged 10-17 by group in Norfolk, in the contract layout (``c`` for 1 or 2)."""
    rng = np.random.default_rng(seed + 1)
    population = _children_by_group(("10-13", "14-15", "16-17"))
    rows = []
    for start, end in FINANCIAL_YEARS:
        counts = {g: int(rng.binomial(population[g], WHITE_RATES["first_time_entrant"]
                                      * PARTNER_PLANTED["first_time_entrant"].get(g, 1.0))) for g in ETHNIC_GROUPS}
        counts[NOT_STATED] = int(rng.binomial(sum(counts.values()), 0.04))
        for group, count in [*counts.items(), ("Total", sum(counts.values()))]:
            denominator = (sum(population.values()) if group == "Total"
                           else population.get(group, sum(population.values())))
            text = _suppress(count)
            rows.append({
                "source": "YJB/MoJ Youth justice statistics: first-time entrants by ethnicity (modelled)",
                "measure": "first_time_entrant", "area_code": NORFOLK, "period_start": start, "period_end": end,
                "age_band": "10-17", "ethnic_group": group, "numerator": text, "denominator": denominator,
                "suppressed": "true" if text == "c" else "false", "licence": "Open Government Licence v3.0",
            })
    return pd.DataFrame(rows)


def generate_flags(extract: pd.DataFrame, seed: int = PARTNER_SEED) -> pd.DataFrame:
    """Dated partner flags for the children of ``extract`` (columns ``person_id, flag, flag_start, flag_end,
    ethnic_group, source``), plus children police never recorded; ``LINK_FAILURE`` of a group's flagged
    children carry a pseudonym that matches nothing (the planted linkage gap)."""
    rng = np.random.default_rng(seed + 2)
    ages = pd.to_numeric(extract["age"], errors="coerce")
    valid = extract[(ages < 18) & extract["role"].isin(["victim", "suspect"])]
    children = (valid.assign(date=pd.to_datetime(valid["recorded_date"], errors="coerce"))
                .dropna(subset=["date"]).sort_values("date")
                .groupby("person_id").agg(role=("role", lambda r: "suspect" if (r == "suspect").any() else "victim"),
                                          first=("date", "min"), self_code=("ethnicity_self", "last")))
    group_of = _self_groups()
    children["ethnic_group"] = children["self_code"].map(group_of).fillna(NOT_STATED)
    rows = []
    for person, child in children.iterrows():
        for flag, shares in FLAG_SHARES.items():
            if rng.random() >= shares[child["role"]]:
                continue
            start = min(child["first"] + timedelta(days=int(rng.integers(-365, 365))), pd.Timestamp(_LAST_DAY))
            end = start + timedelta(days=int(rng.integers(60, 720)))
            failed = rng.random() < LINK_FAILURE[child["ethnic_group"]]
            rows.append({"person_id": f"{person}-X" if failed else person, "flag": flag,
                         "flag_start": start.date().isoformat(),
                         "flag_end": "" if end.date() > _LAST_DAY else end.date().isoformat(),
                         "ethnic_group": child["ethnic_group"], "source": "Norfolk partners (modelled)"})
    groups = rng.choice([*ETHNIC_GROUPS], size=UNMATCHED_PARTNER_CHILDREN, p=[0.03, 0.02, 0.05, 0.89, 0.01])
    for k, group in enumerate(groups):
        start = date(2023, 1, 1) + timedelta(days=int(rng.integers(0, 1300)))
        rows.append({"person_id": f"PARTNER{k:05d}", "flag": str(rng.choice(list(FLAG_SHARES))),
                     "flag_start": start.isoformat(), "flag_end": "", "ethnic_group": str(group),
                     "source": "Norfolk partners (modelled)"})
    return pd.DataFrame(rows)


def _self_groups() -> dict[str, str]:
    from analytics.schema import SELF_DEFINED_ETHNICITY
    return {code: group for code, (_, group) in SELF_DEFINED_ETHNICITY.items()}


def write_partner_sample(out_dir: str | Path = PARTNERS_DIR, seed: int = PARTNER_SEED) -> tuple[Path, Path]:
    """Write the DfE-layout and first-time-entrant files (the shipped ones: ``python -m sample_data.partners``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dfe, fte = out / DFE_FILE, out / FTE_FILE
    dfe_exclusions_frame(seed).to_csv(dfe, index=False)
    first_time_entrants_frame(seed).to_csv(fte, index=False)
    return dfe, fte


def write_flags(extract_path: str | Path, out: str | Path, seed: int = PARTNER_SEED) -> Path:
    """Write the flags extract for a written sample extract."""
    extract = pd.read_csv(extract_path, dtype=str, keep_default_na=False)
    path = Path(out)
    generate_flags(extract, seed).to_csv(path, index=False)
    return path


if __name__ == "__main__":
    print(*write_partner_sample(), sep="\n")
