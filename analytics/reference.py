"""Every reference file the monitor reads at run time, named in one place.

The files live in ``analytics/reference_data/`` (what each is and where it came from:
``reference_data/SOURCES.md``). Runtime code (``analytics``, ``ui``, ``pages``) reads reference data only
through these names; the sample generator (``sample_data``) may read them too, never the other way round.
"""

from __future__ import annotations

from pathlib import Path

REFERENCE_DATA = Path(__file__).resolve().parent / "reference_data"

#: District and MSOA boundaries (GeoJSON, clockwise exterior rings; properties ``areacd``/``areanm``).
BOUNDARIES_DIR = REFERENCE_DATA / "boundaries"
NORFOLK_DISTRICTS = BOUNDARIES_DIR / "norfolk_districts.geojson"
NORFOLK_MSOAS = BOUNDARIES_DIR / "norfolk_msoa_2021.geojson"

#: Ethnicity crosswalks for the data.police.uk strings (edit them to map other strings).
CODES_DIR = REFERENCE_DATA / "codes"
SELF_DEFINED_CROSSWALK = CODES_DIR / "ref_ethnicity_ons2021_sde18plus1_policeuk.csv"
OFFICER_DEFINED_CROSSWALK = CODES_DIR / "ref_officer_defined_ethnicity.csv"
STOP_SEARCH_FIELD_VALUES = CODES_DIR / "ref_police_uk_stop_search_field_values_observed.csv"

#: Populations: the modelled force population shipped for Gwent and the two tables it is modelled from.
POPULATION_DIR = REFERENCE_DATA / "population"
GWENT_POPULATION = POPULATION_DIR / "gwent_population_10_17_by_ethnic_group_modelled.csv"
FORCE_AREA_CHILD_POPULATION = POPULATION_DIR / "force_area_population_10_17_by_ethnic_group_modelled.csv"
FORCE_AREA_POPULATION = POPULATION_DIR / "effandf_population_by_police_force_area_by_ethnicity_2011_2021.csv"
EW_POPULATION_BY_AGE = POPULATION_DIR / "effandf_population_EW_by_age_group_ethnicity_sex_2021.csv"
#: Detailed ethnic groups (issue 15 point 8): Census 2021 TS021 all ages for the Norfolk districts (and England and
#: Wales), and England and Wales children aged 0-9 and 10-17 by the 19 categories (``analytics.detailed``).
DETAILED_ALL_AGES = POPULATION_DIR / "census2021_TS021_ethnic_group_norfolk_districts_long.csv"
DETAILED_AGE_BANDS_EW = POPULATION_DIR / "census2021_ethnic_group_by_age_band_england_wales_children.csv"
