"""Detailed ethnic groups (issue 15 point 8): rates and ratios for the 18 self-defined "18+1" categories.

The 2021 Census's 19 categories are the self-defined codes' groups (Roma, which has no code, is within W9 "Other
White"). Only self-defined codes have them: officer-defined codes are 5 groups only, so a child with no self-defined
code (none stated, or an officer-defined code only) is counted in one row, ``schema.DETAILED_NOT_STATED``, with its
share of all the children counted, never dropped and never reallocated. A child's code is the latest stated across
their records (``Store.detailed_event_counts``), as their self-defined 5-group is.

Denominators are **modelled**: no unsuppressed Census 2021 table gives children by detailed group for the districts.
Each cell of the population table (district x 5-group x age band x sex) is split among its detailed groups in
proportion to the district's all-age count of each (TS021) times the category's child-to-all-age ratio in England and
Wales (its share of children aged 0-9 or 10-17 over its share of all residents), the method the 5-group population
is modelled by (``sample_data/README.md``). So the detailed denominators add up to the 5-group ones exactly. Rows,
intervals, the family adjustment and the verdicts are those of every rate table (``analytics.tables``,
``analytics.verdicts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd

from analytics import periods, schema
from analytics.filters import Filters
from analytics.population_sex import population_sexes
from analytics.reference import DETAILED_AGE_BANDS_EW, DETAILED_ALL_AGES, SELF_DEFINED_CROSSWALK
from analytics.store import Store
from analytics.tables import RatioTable, finish_table, rate_rows

ENGLAND_AND_WALES = "K04000001"
#: The population table's age bands and the Census band whose child share models them.
CENSUS_BAND = {"0-9": "0-9", "10-13": "10-17", "14-15": "10-17", "16-17": "10-17"}
CODE_GROUP = {code: group for code, (_, group) in schema.SELF_DEFINED_ETHNICITY.items()}
DENOMINATOR_SOURCE = ("modelled: the population table's children of each 5-group split among its detailed groups by "
                      "the district's Census 2021 mix (TS021) and each category's child share in England and Wales "
                      "(ONS ethnic group by age); not an official table")
SELF_ONLY_NOTE = ("Detailed groups come from self-defined codes only (officer-defined codes have 5 groups only); "
                  f"children with no self-defined code are the '{schema.DETAILED_NOT_STATED}' row.")


@dataclass(frozen=True)
class DetailedTable(RatioTable):
    """A rate/ratio table over the detailed groups; ``reference`` is the reference group's code (W1 by default)."""

    filters: Filters
    reference: str = schema.DEFAULT_DETAILED_REFERENCE
    #: the children (records) of the Not-stated row with an officer-defined code, by its 5-group, and those with
    #: neither code: what the 5-group tables add to the detailed rows (``suppression.apply_to_detailed_table``)
    officer_only: Mapping[str, int] = field(default_factory=dict)
    neither: int = 0
    #: every detailed group's rows whatever the rows shown (``filters.ethnic_groups``): disclosure control audits
    #: this table, so what it hides never depends on the display filter (``access.controlled_detailed``)
    full_table: pd.DataFrame | None = None

    def metadata(self) -> dict[str, Any]:
        return {**super().metadata(), "reference_group": schema.DETAILED_LABELS[self.reference]}

    def group_of(self) -> dict[str, str]:
        """Each detailed row's 5-group (by label)."""
        return {schema.DETAILED_LABELS[code]: group for code, group in CODE_GROUP.items()}


@cache
def child_shares() -> pd.DataFrame:
    """``area, code, census_band, share``: each detailed group's share of its 5-group's children in each district and
    Census band (0-9, 10-17), from the shipped Census 2021 files (``reference_data/SOURCES.md``)."""
    crosswalk = pd.read_csv(SELF_DEFINED_CROSSWALK, dtype=str).dropna(subset=["ons2021_ts021_code"])
    code_of = dict(zip(crosswalk["ons2021_label"], crosswalk["police_sde_18plus1_code"], strict=True))
    all_ages = pd.read_csv(DETAILED_ALL_AGES).assign(code=lambda f: f["ethnic_group_20cat"].map(code_of))
    bands = pd.read_csv(DETAILED_AGE_BANDS_EW, dtype={"age_band": str})
    bands = bands.assign(code=bands["ethnic_group_19cat"].map(code_of))
    national = all_ages[all_ages["lad_code"] == ENGLAND_AND_WALES].set_index("ethnic_group_20cat")["count"]
    frames = []
    for band, part in bands.groupby("age_band"):
        children = part.set_index("ethnic_group_19cat")["count_published_cells"]
        ratio = (children / children.sum()) / (national / national.sum())  # child share over all-age share
        districts = all_ages[all_ages["lad_code"].str.startswith("E07")]
        weights = districts["count"] * districts["ethnic_group_20cat"].map(ratio)
        frames.append(districts.assign(census_band=band, weight=weights))
    weights = (pd.concat(frames).rename(columns={"lad_code": "area"})
               .groupby(["area", "census_band", "code"], as_index=False)["weight"].sum())
    weights["ethnic_group"] = weights["code"].map(CODE_GROUP)
    totals = weights.groupby(["area", "census_band", "ethnic_group"])["weight"].transform("sum")
    return weights.assign(share=weights["weight"] / totals)[["area", "census_band", "ethnic_group", "code", "share"]]


def detailed_population(store: Store, filters: Filters) -> dict[str, float] | None:
    """Modelled children of each detailed code in the selection (None where a selected district has no Census
    shares: the shipped files cover the Norfolk districts)."""
    population = store.population_counts(filters, ("area", "age_band"))
    shares = child_shares()
    if not len(population) or not set(population["area"]) <= set(shares["area"]):
        return None
    cells = population.assign(census_band=population["age_band"].map(CENSUS_BAND)).merge(
        shares, on=["area", "census_band", "ethnic_group"], how="left")
    cells["children"] = cells["population"] * cells["share"].fillna(0.0)
    return {str(code): float(n) for code, n in cells.groupby("code")["children"].sum().items()}


def detailed_codes(filters: Filters, reference: str) -> tuple[str, ...]:
    """The codes a table shows: every code of the chosen 5-groups (all without a choice) and the reference."""
    chosen = set(filters.ethnic_groups) if filters.ethnic_groups else set(schema.ETHNIC_GROUPS)
    return tuple(c for c in schema.DETAILED_LABELS if CODE_GROUP[c] in chosen or c == reference)


def detailed_rates(store: Store, filters: Filters, reference: str = schema.DEFAULT_DETAILED_REFERENCE,
                   ) -> DetailedTable | None:
    """Children (or records) per 1,000 children of each detailed group per year, and the exact rate ratio to the
    ``reference`` code's group, with the table's verdicts; None where the population has no detailed shares."""
    if reference not in schema.DETAILED_LABELS:
        raise ValueError(f"unknown detailed reference group {str(reference)[:10]!r}")
    population = detailed_population(store, filters)
    if population is None:
        return None
    counted = store.detailed_event_counts(population_sexes(filters))
    events = dict(zip(counted["code"], counted["events"].astype(int), strict=True))
    labels = dict(schema.DETAILED_LABELS)
    part = ("All", {labels[c]: events.get(c, 0) for c in labels} | {schema.DETAILED_NOT_STATED: events.get("NS", 0)},
            {labels[c]: round(population.get(c, 0.0), 6) for c in labels})
    period = periods.rate_period_of(store, filters)
    officer_only = officer_only_counts(store, filters)
    rows = pd.DataFrame(rate_rows([part], labels[reference], filters.confidence, years=period.years,
                                  groups=tuple(labels.values()), not_stated=schema.DETAILED_NOT_STATED))
    shown = (*(labels[c] for c in detailed_codes(filters, reference)), schema.DETAILED_NOT_STATED)
    unit = schema.COUNTING_UNITS[filters.counting_unit].lower()
    return DetailedTable(
        table=finish_table(rows.copy(), filters.confidence, labels[reference], shown),
        full_table=finish_table(rows.copy(), filters.confidence, labels[reference]),
        measure="rate", filters=filters, reference=reference, period=period,
        officer_only={g: n for g, n in officer_only.items() if g != schema.NOT_STATED},
        neither=officer_only.get(schema.NOT_STATED, 0),
        numerator=f"{unit} (girls and boys) recorded in the period, by their latest self-defined code",
        denominator="children of the detailed group in the selected districts, age bands and sexes (modelled)",
        denominator_source=DENOMINATOR_SOURCE,
        ethnicity_method="self-defined 18+1 codes only; the latest stated code of each child",
        notes=(periods.rate_note(period), SELF_ONLY_NOTE,
               f"{schema.DETAILED_NOT_STATED}: its share of all the children counted (Wilson interval); it has no "
               "population denominator."),
    )


def officer_only_counts(store: Store, filters: Filters) -> dict[str, int]:
    """Children (records) with no self-defined code by officer-defined 5-group (``Not stated``: neither code), as
    the default concordance table counts them (with a perturbing store, that table's noise on its Not-stated cell
    goes to the children with neither code first, so these are the counts its Not stated differs from the detailed
    one by)."""
    units = store.ethnicity_units(population_sexes(filters).replace(ethnicity_source="concordance", ethnic_groups=()))
    unit = "records" if filters.counting_unit == "records" else "children"
    unstated = units[units["self_group"] == schema.NOT_STATED]
    return {str(g): int(n) for g, n in unstated.groupby("officer_group")[unit].sum().items()}
