"""Police powers: youth stop-and-search disproportionality from the public data.police.uk files (issue 8).

Every force publishes its stop-and-search records monthly on data.police.uk in one national 15-column
format. This package loads such files into the published database beside the crime records and computes
the measures on the same table engine as the crime records (``analytics.tables``). Pure Python; the SQL is
in ``analytics.store`` (``SearchBuilder``, ``SearchStore``).

* ``parse``: one monthly file read, each row loaded or rejected with its reason; the ethnicity crosswalks.
* ``districts``: each geolocated search placed in a district by point-in-polygon (Norfolk's boundaries).
* ``population``: the denominators (children aged 10-17 by group), given, shipped or from the publication.
* ``load``: ``load_searches`` publishes a new database with the files' force-months added or replaced.
* ``filters``, ``measures``: ``SearchFilters`` and the ``rate``, ``weapons`` and ``find`` tables.

Every age range is kept; the measures default to children (``10-17``); ``under 10`` is shown separately.
"""

from analytics.reference import GWENT_POPULATION
from analytics.searches.districts import (
    FORCE_BOUNDARIES,
    LOCATION_NOT_PUBLISHED,
    NO_BOUNDARIES,
    OUTSIDE_DISTRICTS,
    assign_districts,
    assign_locations,
)
from analytics.searches.filters import SearchFilters
from analytics.searches.load import SearchLoadResult, load_searches
from analytics.searches.measures import (
    MEASURES,
    SPLITS,
    SearchTable,
    age_range_counts,
    agreement,
    find_rates,
    load_summary,
    monthly_counts,
    ratios,
    search_rates,
    weapons_shares,
)
from analytics.searches.parse import (
    AGE_RANGES,
    BOOLEAN_TEXT,
    CHILD,
    FILE_NAME,
    GENDERS,
    MONTH_PREFIX,
    NO_FURTHER_ACTION,
    NOT_RECORDED,
    OFFENSIVE_WEAPONS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SEARCH_TYPES,
    UNDER_10,
    ParsedFile,
    find_files,
    force_slug,
    officer_defined_groups,
    parse_file,
    self_defined_groups,
)
from analytics.searches.population import (
    CHILD_AGE_BANDS,
    NO_RESIDENT_POPULATION,
    POLICE_UK_FORCE_AREAS,
    POPULATION_COLUMNS,
    RECORDS_POPULATION_FORCES,
    SHIPPED_POPULATIONS,
    forces_in_view,
    model_all_force_populations,
    model_force_population,
    population,
    read_search_population,
    shipped_population,
    whole_area_population,
)

__all__ = [
    "AGE_RANGES",
    "BOOLEAN_TEXT",
    "CHILD",
    "CHILD_AGE_BANDS",
    "FILE_NAME",
    "FORCE_BOUNDARIES",
    "GENDERS",
    "GWENT_POPULATION",
    "LOCATION_NOT_PUBLISHED",
    "MEASURES",
    "MONTH_PREFIX",
    "NOT_RECORDED",
    "NO_BOUNDARIES",
    "NO_FURTHER_ACTION",
    "NO_RESIDENT_POPULATION",
    "OFFENSIVE_WEAPONS",
    "OPTIONAL_COLUMNS",
    "OUTSIDE_DISTRICTS",
    "POLICE_UK_FORCE_AREAS",
    "POPULATION_COLUMNS",
    "RECORDS_POPULATION_FORCES",
    "REQUIRED_COLUMNS",
    "SEARCH_TYPES",
    "SHIPPED_POPULATIONS",
    "SPLITS",
    "UNDER_10",
    "ParsedFile",
    "SearchFilters",
    "SearchLoadResult",
    "SearchTable",
    "age_range_counts",
    "agreement",
    "assign_districts",
    "assign_locations",
    "find_files",
    "find_rates",
    "force_slug",
    "forces_in_view",
    "load_searches",
    "load_summary",
    "model_all_force_populations",
    "model_force_population",
    "monthly_counts",
    "officer_defined_groups",
    "parse_file",
    "population",
    "ratios",
    "read_search_population",
    "search_rates",
    "self_defined_groups",
    "shipped_population",
    "weapons_shares",
    "whole_area_population",
]
