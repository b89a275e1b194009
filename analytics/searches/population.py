"""The denominators of search rates: children aged 10-17 by ethnic group in each force area (or district).

In order: a table given with ``--population``; the population already loaded for the force; for Norfolk,
the publication's own ``population`` table (age bands 10-13, 14-15 and 16-17 summed, by district) while there
is one; for any other of the 43 territorial forces of England and Wales (and Norfolk with no publication), the
shipped modelled table (``analytics.reference.FORCE_AREA_CHILD_POPULATION``, built by
``model_all_force_populations``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics import reference, schema
from analytics.filters import Filters
from analytics.load import LoadError, check_readable, fingerprint_and_check_text, normalise_column_name, read_population
from analytics.searches.filters import SearchFilters
from analytics.searches.parse import CHILD, force_slug
from analytics.store import DatabaseError, SearchStore

#: Forces whose population comes from the publication's own population table (age bands summed).
RECORDS_POPULATION_FORCES = ("norfolk",)
CHILD_AGE_BANDS = ("10-13", "14-15", "16-17")
#: data.police.uk force id (the file-name slug) -> the police force area's name in the Census 2021 table
#: (gov.uk Ethnicity facts and figures): the 43 territorial forces of England and Wales.
POLICE_UK_FORCE_AREAS = {
    "avon-and-somerset": "Avon and Somerset", "bedfordshire": "Bedfordshire", "cambridgeshire": "Cambridgeshire",
    "cheshire": "Cheshire", "city-of-london": "London, City of", "cleveland": "Cleveland", "cumbria": "Cumbria",
    "derbyshire": "Derbyshire", "devon-and-cornwall": "Devon and Cornwall", "dorset": "Dorset", "durham": "Durham",
    "dyfed-powys": "Dyfed-Powys", "essex": "Essex", "gloucestershire": "Gloucestershire",
    "greater-manchester": "Greater Manchester", "gwent": "Gwent", "hampshire": "Hampshire",
    "hertfordshire": "Hertfordshire", "humberside": "Humberside", "kent": "Kent", "lancashire": "Lancashire",
    "leicestershire": "Leicestershire", "lincolnshire": "Lincolnshire", "merseyside": "Merseyside",
    "metropolitan": "Metropolitan Police", "norfolk": "Norfolk", "north-wales": "North Wales",
    "north-yorkshire": "North Yorkshire", "northamptonshire": "Northamptonshire", "northumbria": "Northumbria",
    "nottinghamshire": "Nottinghamshire", "south-wales": "South Wales", "south-yorkshire": "South Yorkshire",
    "staffordshire": "Staffordshire", "suffolk": "Suffolk", "surrey": "Surrey", "sussex": "Sussex",
    "thames-valley": "Thames Valley", "warwickshire": "Warwickshire", "west-mercia": "West Mercia",
    "west-midlands": "West Midlands", "west-yorkshire": "West Yorkshire", "wiltshire": "Wiltshire",
}
#: data.police.uk forces with no resident population of their own (no modelled table is possible).
NO_RESIDENT_POPULATION = {"btp": "British Transport Police polices the railways, which have no resident population"}
#: Shipped modelled populations (force -> file): every territorial force, one table.
SHIPPED_POPULATIONS = {force: reference.FORCE_AREA_CHILD_POPULATION for force in POLICE_UK_FORCE_AREAS}
#: The columns of a search population table.
POPULATION_COLUMNS = ["force", "area_code", "ethnic_group", "age_range", "population", "source", "year"]


def model_force_population(force_name: str = "Gwent", year: int = 2021) -> pd.DataFrame:
    """The modelled 10–17 population of a police force area by 5 groups.

    Method: the force area's all-age population by group (gov.uk Ethnicity facts and figures, Census
    2021) × the England & Wales share of each group's all-age population that is aged 10–17 (same
    source, by age group; 10–17 = the 10–14 band plus 3/5 of the 15–19 band, i.e. single years spread
    evenly within 15–19), rounded to whole children. Not an official table: replace it with nomis RM032
    (or your own) through ``searches load --population``.
    """
    forces = pd.read_csv(reference.FORCE_AREA_POPULATION, thousands=",", dtype={"Census Year": int})
    forces = forces[(forces["Police Force Area"].str.casefold() == force_name.casefold())
                    & (forces["Census Year"] == year)]
    if forces.empty:
        raise ValueError(f"no {year} population for police force area {force_name!r}")
    names = {"Asian or Asian British": "Asian", "Black or Black British": "Black", "Mixed": "Mixed",
             "Other Ethnic Group": "Other", "White": "White"}
    all_ages = {names[k]: float(v) for k, v in zip(forces["Self-defined ethnicity"], forces["Population"], strict=True)}
    ew = pd.read_csv(reference.EW_POPULATION_BY_AGE, thousands=",").drop_duplicates()
    by_age = ew.pivot_table(index="Self-defined ethnicity", columns="Age group", values="Population", aggfunc="sum")
    children = by_age["10-14"] + 0.6 * by_age["15-19"]
    share = children / by_age.sum(axis=1)
    slugs = {name.casefold(): slug for slug, name in POLICE_UK_FORCE_AREAS.items()}
    slug = slugs.get(force_name.casefold(), force_slug(force_name))
    rows = [{
        "force": slug, "area_code": "", "ethnic_group": group, "age_range": CHILD,
        "population": round(all_ages[group] * share[group]),
        "source": (f"Modelled: {force_name} all-age population by ethnic group (Census 2021, gov.uk Ethnicity "
                   "facts and figures) x England and Wales share aged 10-17 by group (10-14 plus 3/5 of 15-19); "
                   "not an official table"),
        "year": year,
    } for group in schema.ETHNIC_GROUPS]
    return pd.DataFrame(rows)


def model_all_force_populations(year: int = 2021) -> pd.DataFrame:
    """``model_force_population`` for each of the 43 territorial police force areas, in data.police.uk id
    order: the content of ``analytics.reference.FORCE_AREA_CHILD_POPULATION``. Rebuild the file with
    ``python -m analytics.searches.population``."""
    return pd.concat([model_force_population(name, year) for name in POLICE_UK_FORCE_AREAS.values()],
                     ignore_index=True)


def shipped_population(force: str) -> pd.DataFrame:
    """The shipped modelled 10-17 rows of one force (empty if the force has none)."""
    if force not in SHIPPED_POPULATIONS:
        return pd.DataFrame(columns=POPULATION_COLUMNS)
    table = pd.read_csv(SHIPPED_POPULATIONS[force], dtype={"area_code": str}, keep_default_na=False)
    return table.loc[table["force"] == force, POPULATION_COLUMNS].reset_index(drop=True)


def read_search_population(path: Path, forces: list[str]) -> pd.DataFrame:
    """A population for the searches, as rows ``force, area_code, ethnic_group, age_range, population,
    source, year``. Accepts either the main population table (age bands 10-13, 14-15, 16-17 summed, by
    district) or a search population table (``ethnic_group, population`` and optionally ``force,
    area_code, age_range (10-17), source, year``)."""
    check_readable(path)
    fingerprint_and_check_text(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LoadError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    frame.columns = [normalise_column_name(c) for c in frame.columns]
    if "age_band" in frame.columns:
        main = read_population(path)
        children = main[main["age_band"].isin(CHILD_AGE_BANDS)]
        summed = children.groupby(["area_code", "ethnic_group"], as_index=False)[["population"]].sum()
        summed["source"] = "; ".join(sorted(set(children["source"].astype(str)))) + " (ages 10-17 summed)"
        summed["year"] = int(children["year"].max())
        summed["age_range"] = CHILD
        if len(forces) != 1:
            raise LoadError(f"{path.name}: a population table by district needs exactly one force in the load")
        summed["force"] = forces[0]
        return summed[POPULATION_COLUMNS]
    missing = [c for c in ("ethnic_group", "population") if c not in frame.columns]
    if missing:
        raise LoadError(f"{path.name}: population table lacks column(s): {', '.join(missing)}")
    if frame.empty:
        raise LoadError(f"{path.name}: population table has no rows")
    if "force" in frame.columns:
        frame["force"] = [force_slug(f) for f in frame["force"]]
    elif len(forces) == 1:
        frame["force"] = forces[0]
    else:
        raise LoadError(f"{path.name}: the load has several forces, so the population table needs a force column")
    frame["area_code"] = frame.get("area_code", pd.Series("", index=frame.index)).str.strip().str.upper()
    frame["age_range"] = frame.get("age_range", pd.Series(CHILD, index=frame.index)).str.strip()
    bad_age = frame.loc[frame["age_range"] != CHILD, "age_range"]
    if not bad_age.empty:
        raise LoadError(f"{path.name}: age_range {bad_age.iloc[0]!r} is not 10-17 (only children 10-17 are used)")
    bad_group = frame.loc[~frame["ethnic_group"].isin(schema.ETHNIC_GROUPS), "ethnic_group"]
    if not bad_group.empty:
        raise LoadError(f"{path.name}: unknown ethnic_group {bad_group.iloc[0]!r} in the population table")
    population = pd.to_numeric(frame["population"].str.replace(",", ""), errors="coerce")
    bad = population.isna() | (population < 0) | (population % 1 != 0)
    if bad.any():
        raise LoadError(f"{path.name}: population on line {int(population.index[bad][0]) + 2} is not a whole number "
                        "of 0 or more")
    frame["population"] = population.astype("int64")
    if frame.duplicated(["force", "area_code", "ethnic_group"]).any():
        cell = ["force", "area_code", "ethnic_group"]
        first = frame.loc[frame.duplicated(cell), cell]
        raise LoadError(f"{path.name}: population cell {'/'.join(first.iloc[0])} appears more than once")
    frame["source"] = frame.get("source", pd.Series(path.name, index=frame.index))
    year = pd.to_numeric(frame.get("year", pd.Series("0", index=frame.index)), errors="coerce")
    frame["year"] = year.fillna(0).astype(int)
    return frame[POPULATION_COLUMNS]


def forces_in_view(sstore: SearchStore, filters: SearchFilters) -> tuple[str, ...]:
    """The forces chosen, or every force loaded when none is."""
    return filters.forces or tuple(sstore.options()["forces"])


def population(sstore: SearchStore, filters: SearchFilters) -> tuple[pd.DataFrame, str]:
    """Children aged 10-17 by ``area_code`` ('' = whole force area) and group, for the forces in view,
    and a line saying where the figures come from."""
    forces = forces_in_view(sstore, filters)
    frames, sources = [], []
    explicit = sstore.population(forces)
    for force in forces:
        rows = explicit[explicit["force"] == force]
        if len(rows):
            frames.append(rows[["area_code", "ethnic_group", "population"]])
            sources += sorted(set(rows["source"].astype(str)))
        elif force in RECORDS_POPULATION_FORCES and len(by_area := _records_population(sstore)):
            frames.append(by_area.rename(columns={"area": "area_code"})[["area_code", "ethnic_group", "population"]])
            sources.append("the publication's population table, ages 10-17 (" +
                           str(sstore.store.publication().get("population_source", "")) + ")")
        elif len(modelled := shipped_population(force)):  # Norfolk's searches loaded with no publication
            frames.append(modelled[["area_code", "ethnic_group", "population"]])
            sources += sorted(set(modelled["source"].astype(str)))
    if not frames:
        return pd.DataFrame(columns=["area_code", "ethnic_group", "population"]), "no population table for this force"
    frame = pd.concat(frames, ignore_index=True)
    frame["area_code"] = frame["area_code"].fillna("").astype(str)
    if filters.areas:
        frame = frame[frame["area_code"].isin(filters.areas)]
    return frame, "; ".join(dict.fromkeys(sources))


def _records_population(sstore: SearchStore) -> pd.DataFrame:
    """The publication's children aged 10-17 by district (empty when it has no population table)."""
    try:
        by_area = sstore.store.population_counts(Filters(age_bands=CHILD_AGE_BANDS), ("area",))
    except DatabaseError:
        by_area = pd.DataFrame(columns=["area", "ethnic_group", "population"])
    return by_area if by_area["population"].sum() > 0 else by_area.iloc[0:0]


def whole_area_population(pop: pd.DataFrame) -> dict[str, int]:
    """Whole-force population: the force-level rows where given, else the sum of the districts."""
    if pop.empty:
        return {}
    whole = pop[pop["area_code"] == ""]
    use = whole if len(whole) else pop
    return {str(g): int(v) for g, v in use.groupby("ethnic_group")["population"].sum().items()}




if __name__ == "__main__":  # rebuild the shipped table from the two reference files
    model_all_force_populations().to_csv(reference.FORCE_AREA_CHILD_POPULATION, index=False)
    print(f"wrote {reference.FORCE_AREA_CHILD_POPULATION}")
