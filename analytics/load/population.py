"""The population table (the denominators, DESIGN.md section 3): read and check a given file, or keep the
one already published."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics import schema
from analytics.load.read import LoadError, check_readable, fingerprint_and_check_text, normalise_column_name
from analytics.store import DatabaseError, NoDataError, Store


def read_population(path: Path) -> pd.DataFrame:
    """Read and check a population table (DESIGN.md section 3); any bad row refuses the file."""
    check_readable(path)
    fingerprint_and_check_text(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LoadError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    frame.columns = [normalise_column_name(c) for c in frame.columns]
    missing = [c for c in schema.POPULATION_COLUMNS if c not in frame.columns]
    if missing:
        raise LoadError(f"{path.name}: population table lacks column(s): {', '.join(missing)}")
    if frame.empty:
        raise LoadError(f"{path.name}: population table has no rows")
    for column, allowed in (
        ("ethnic_group", schema.ETHNIC_GROUPS),
        ("age_band", schema.AGE_BANDS),
        ("sex", schema.POPULATION_SEXES),
    ):
        bad = frame.loc[~frame[column].isin(allowed), column]
        if not bad.empty:
            raise LoadError(f"{path.name}: unknown {column} {bad.iloc[0]!r} in the population table")
    population = pd.to_numeric(frame["population"].str.replace(",", ""), errors="coerce")
    if population.isna().any() or (population < 0).any() or (population % 1 != 0).any():
        row = int(population.index[population.isna() | (population < 0) | (population % 1 != 0)][0]) + 2
        raise LoadError(f"{path.name}: population on line {row} is not a whole number of 0 or more")
    frame["population"] = population.astype("int64")
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").fillna(0).astype("int64")
    frame["area_code"] = frame["area_code"].str.strip().str.upper()
    key = ["area_code", "ethnic_group", "age_band", "sex"]
    duplicated = frame.duplicated(key)
    if duplicated.any():
        first = frame.loc[duplicated, key].iloc[0].tolist()
        raise LoadError(f"{path.name}: population cell {'/'.join(first)} appears more than once")
    expected = len(schema.ETHNIC_GROUPS) * len(schema.AGE_BANDS) * len(schema.POPULATION_SEXES)
    incomplete = frame.groupby("area_code").size()
    incomplete = incomplete[incomplete != expected]
    if not incomplete.empty:
        raise LoadError(
            f"{path.name}: area {incomplete.index[0]} has {incomplete.iloc[0]} population cells, "
            f"expected {expected} (5 groups x 4 age bands x 2 sexes)"
        )
    columns = list(schema.POPULATION_COLUMNS) + (["area_name"] if "area_name" in frame.columns else [])
    return frame[columns]


def area_names(population: pd.DataFrame) -> dict[str, str]:
    """Area code -> name: the population table's ``area_name`` if given, else known names, else the code."""
    given = {}
    if "area_name" in population.columns:
        given = dict(zip(population["area_code"], population["area_name"], strict=True))
    return {
        code: given.get(code) or schema.KNOWN_AREA_NAMES.get(code, code)
        for code in sorted(population["area_code"].unique())
    }


def current_population(database: Path) -> pd.DataFrame | None:
    """The population table of the current publication (with area names), or None when there is none."""
    try:
        store = Store(database)
        try:
            population = store.population_table()
            names = store.areas()
        finally:
            store.close()
    except (NoDataError, DatabaseError):
        return None
    return population.merge(names, on="area_code", how="left")

