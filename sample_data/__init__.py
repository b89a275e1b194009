"""Seeded synthetic sample data: the modelled Census 2021 child population of Norfolk's districts and a
generated extract of child victims, suspects and offenders with planted, documented disparities.

See ``sample_data/README.md``. Nothing generated is committed; ``write_sample`` writes it on demand.
"""

from sample_data.generator import (
    BAD_DATES,
    DEFAULT_END,
    DEFAULT_N_RECORDS,
    DEFAULT_START,
    IC_GAP,
    PLANTED,
    PLANTED_SEED,
    PROVEN_OUTCOMES,
    UNKNOWN_AREA_CODE,
    Truth,
    expected_rate_ratio,
    generate_extract,
    planted_rate_ratio,
    write_sample,
)
from sample_data.population import (
    AREA_NAMES,
    BOUNDARIES_DIR,
    POPULATION_COLUMNS,
    POPULATION_SOURCE,
    REFERENCE_DIR,
    area_names,
    model_population,
)

__all__ = [
    "AREA_NAMES",
    "BAD_DATES",
    "BOUNDARIES_DIR",
    "DEFAULT_END",
    "DEFAULT_N_RECORDS",
    "DEFAULT_START",
    "IC_GAP",
    "PLANTED",
    "PLANTED_SEED",
    "POPULATION_COLUMNS",
    "POPULATION_SOURCE",
    "PROVEN_OUTCOMES",
    "REFERENCE_DIR",
    "UNKNOWN_AREA_CODE",
    "Truth",
    "area_names",
    "expected_rate_ratio",
    "generate_extract",
    "model_population",
    "planted_rate_ratio",
    "write_sample",
]
