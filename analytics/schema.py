"""The data contract in one place: columns, code lists, categories and definitions.

Code lists come from ``../shared/reference/codes/`` (copied into the project as constants here):
the police self-defined "18+1" ethnicity codes and the ONS 2021 5 high-level groups
(``ref_ethnicity_ons2021_sde18plus1_policeuk.csv``), PNC officer-defined IC codes
(``ref_officer_defined_ethnicity.csv``) and Home Office crime outcome codes
(``ref_home_office_crime_outcome_types.csv``). See DESIGN.md section 3 and the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

# --------------------------------------------------------------------------------------------
# Record contract
# --------------------------------------------------------------------------------------------
ROLES: tuple[str, ...] = ("victim", "suspect", "offender")
#: A role as every table, legend and heading names it.
ROLE_NAMES = MappingProxyType({"victim": "Victims", "suspect": "Suspects", "offender": "Offenders"})

#: Columns every extract must have (``person_ref``/``crime_ref`` may stand in for the ids).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "record_id",
    "person_id",
    "crime_id",
    "role",
    "recorded_date",
    "age",
    "sex",
    "ethnicity_self",
    "ethnicity_officer",
    "area_code",
    "offence_group",
    "outcome_code",
)
RISK_MARKERS: tuple[str, ...] = ("knife_crime", "cce", "cse", "county_lines", "gangs")
OPTIONAL_COLUMNS: tuple[str, ...] = ("msoa_code", "offence_code", "outcome_date", *RISK_MARKERS)
ALL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: Raw identifiers the loader replaces by a keyed hash (HMAC-SHA256); the raw value is never stored.
RAW_IDENTIFIER_COLUMNS = MappingProxyType({"person_ref": "person_id", "crime_ref": "crime_id"})

#: Column names that mean direct identifiers: a file carrying any of them is refused whole.
DIRECT_IDENTIFIER_COLUMNS: frozenset[str] = frozenset(
    {
        "name", "full_name", "first_name", "forename", "forenames", "given_name", "surname",
        "last_name", "family_name", "date_of_birth", "dob", "birth_date", "address",
        "address_line_1", "address_1", "street", "home_address", "postcode", "post_code",
        "postal_code", "nhs_number", "pnc_id", "pnc_number", "phone", "telephone", "email",
    }
)

RISK_MARKER_LABELS = MappingProxyType(
    {
        "knife_crime": "Knife crime",
        "cce": "Child criminal exploitation (CCE)",
        "cse": "Child sexual exploitation (CSE)",
        "county_lines": "County lines",
        "gangs": "Gangs",
    }
)
TRUE_VALUES: frozenset[str] = frozenset({"true", "t", "1", "y", "yes"})
FALSE_VALUES: frozenset[str] = frozenset({"false", "f", "0", "n", "no", ""})

#: Norfolk's districts (ONS codes; boundaries unchanged since 1974). Used for names where the
#: population table carries none.
KNOWN_AREA_NAMES = MappingProxyType(
    {
        "E07000143": "Breckland",
        "E07000144": "Broadland",
        "E07000145": "Great Yarmouth",
        "E07000146": "King's Lynn and West Norfolk",
        "E07000147": "North Norfolk",
        "E07000148": "Norwich",
        "E07000149": "South Norfolk",
    }
)
POPULATION_COLUMNS: tuple[str, ...] = ("area_code", "ethnic_group", "age_band", "sex", "population", "source", "year")

# --------------------------------------------------------------------------------------------
# Sex, age
# --------------------------------------------------------------------------------------------
SEXES = MappingProxyType({"F": "Female", "M": "Male", "X": "Other", "U": "Unknown"})
#: Sexes the population table has denominators for.
POPULATION_SEXES: tuple[str, ...] = ("F", "M")

AGE_BANDS: tuple[str, ...] = ("0-9", "10-13", "14-15", "16-17")
AGE_BAND_BOUNDS = MappingProxyType({"0-9": (0, 9), "10-13": (10, 13), "14-15": (14, 15), "16-17": (16, 17)})
ADULT_AGE = 18
#: Records dated earlier are rejected as implausible (a typo such as 0024 would otherwise stretch every trend).
EARLIEST_RECORDED_DATE = date(1990, 1, 1)


def age_band(age: int) -> str:
    """The age band of a child's age at the offence (0-17); ``ValueError`` otherwise."""
    for band, (low, high) in AGE_BAND_BOUNDS.items():
        if low <= age <= high:
            return band
    raise ValueError(f"age {age} is not a child's age (0-17)")


# --------------------------------------------------------------------------------------------
# Ethnicity
# --------------------------------------------------------------------------------------------
ETHNIC_GROUPS: tuple[str, ...] = ("Asian", "Black", "Mixed", "White", "Other")
NOT_STATED = "Not stated"
ETHNIC_GROUPS_WITH_NOT_STATED: tuple[str, ...] = (*ETHNIC_GROUPS, NOT_STATED)
DEFAULT_REFERENCE_GROUP = "White"

#: Self-defined 18+1 code -> (label, 5-group). NS/blank = not stated.
SELF_DEFINED_ETHNICITY = MappingProxyType(
    {
        "W1": ("White: English, Welsh, Scottish, Northern Irish or British", "White"),
        "W2": ("White: Irish", "White"),
        "W3": ("White: Gypsy or Irish Traveller", "White"),
        "W9": ("White: Any other White background (incl. Roma)", "White"),
        "M1": ("Mixed: White and Black Caribbean", "Mixed"),
        "M2": ("Mixed: White and Black African", "Mixed"),
        "M3": ("Mixed: White and Asian", "Mixed"),
        "M9": ("Mixed: Any other Mixed or Multiple background", "Mixed"),
        "A1": ("Asian: Indian", "Asian"),
        "A2": ("Asian: Pakistani", "Asian"),
        "A3": ("Asian: Bangladeshi", "Asian"),
        "A4": ("Asian: Chinese", "Asian"),
        "A9": ("Asian: Any other Asian background", "Asian"),
        "B1": ("Black: Caribbean", "Black"),
        "B2": ("Black: African", "Black"),
        "B9": ("Black: Any other Black, Black British or Caribbean background", "Black"),
        "O2": ("Other: Arab", "Other"),
        "O9": ("Other: Any other ethnic group", "Other"),
    }
)
SELF_NOT_STATED_CODES: frozenset[str] = frozenset({"NS", ""})

#: The detailed groups (issue 15 point 8): the 2021 Census categories of the self-defined 18+1 codes, by short name
#: (Roma, which has no code of its own, is within W9). Officer-defined codes have none: 5 groups only.
DETAILED_LABELS = MappingProxyType(
    {
        "W1": "White: British", "W2": "White: Irish", "W3": "White: Gypsy or Irish Traveller",
        "W9": "White: Other White (incl. Roma)", "M1": "Mixed: White and Black Caribbean",
        "M2": "Mixed: White and Black African", "M3": "Mixed: White and Asian", "M9": "Mixed: Other Mixed",
        "A1": "Asian: Indian", "A2": "Asian: Pakistani", "A3": "Asian: Bangladeshi", "A4": "Asian: Chinese",
        "A9": "Asian: Other Asian", "B1": "Black: Caribbean", "B2": "Black: African", "B9": "Black: Other Black",
        "O2": "Other: Arab", "O9": "Other: Any other ethnic group",
    }
)
#: The detailed view's row for children with no self-defined code (none stated, or an officer-defined code only).
DETAILED_NOT_STATED = "Not stated / officer-defined only"
#: The rows of a table that are a not-stated share, never a comparison.
NOT_STATED_GROUPS: tuple[str, ...] = (NOT_STATED, DETAILED_NOT_STATED)
DEFAULT_DETAILED_REFERENCE = "W1"

#: Officer-defined PNC identity code -> (label, 5-group). There is no officer code for Mixed.
OFFICER_DEFINED_ETHNICITY = MappingProxyType(
    {
        "IC1": ("White - North European", "White"),
        "IC2": ("White - South European", "White"),
        "IC3": ("Black", "Black"),
        "IC4": ("Asian - Indian subcontinent", "Asian"),
        "IC5": ("Chinese, Japanese, Korean or other South East Asian", "Asian"),
        "IC6": ("Arab or North African", "Other"),
    }
)
OFFICER_UNKNOWN_CODES: frozenset[str] = frozenset({"IC9", ""})

#: How a record's 5-group ethnicity is chosen. The default prefers self-defined.
ETHNICITY_SOURCES = MappingProxyType(
    {
        "concordance": "All the evidence: self-defined, children with only an officer-defined code reallocated "
                       "through the self/officer concordance",
        "self_then_officer": "Self-defined, officer-defined where self-defined is not stated",
        "self_only": "Self-defined only",
        "officer_only": "Officer-defined only",
    }
)
DEFAULT_ETHNICITY_SOURCE = "concordance"

# --------------------------------------------------------------------------------------------
# Offences and outcomes
# --------------------------------------------------------------------------------------------
OFFENCE_GROUPS: tuple[str, ...] = (
    "Violence with injury",
    "Violence without injury",
    "Robbery",
    "Possession of weapons",
    "Sexual offences",
    "Drug offences",
    "Public order",
    "Criminal damage",
    "Theft",
    "Other",
)

#: Home Office crime outcome codes (short names from the Home Office outcomes framework).
OUTCOME_CODES = MappingProxyType(
    {
        "1": "Charged/summonsed",
        "1A": "Charged/summonsed (alternative offence)",
        "2": "Youth caution",
        "2A": "Youth caution (alternative offence)",
        "3": "Adult caution",
        "3A": "Adult caution (alternative offence)",
        "4": "Taken into consideration",
        "5": "Offender died",
        "6": "Penalty notice for disorder",
        "7": "Cannabis/khat warning",
        "8": "Community resolution",
        "9": "Prosecution not in the public interest (CPS)",
        "10": "Formal action not in the public interest (police)",
        "11": "Prosecution prevented: suspect under age",
        "12": "Prosecution prevented: suspect too ill",
        "13": "Prosecution prevented: victim/witness unavailable",
        "14": "Evidential difficulties: suspect not identified, victim does not support",
        "15": "Evidential difficulties: suspect identified, victim supports",
        "16": "Evidential difficulties: suspect identified, victim does not support",
        "17": "Prosecution time limit expired",
        "18": "Investigation complete: no suspect identified",
        "19": "National Fraud Intelligence Bureau filed",
        "20": "Action undertaken by another body/agency",
        "21": "Further investigation not in the public interest",
        "22": "Diversionary, educational or intervention activity",
    }
)
OPEN_OUTCOME = ""  # blank outcome_code = investigation open
OUTCOME_22 = "22"

#: The outcomes where diversion was a live option (issue 13, point 7): the case ended against a named child who
#: could have been prosecuted or diverted. Charge or summons (1, 1A), cautions (2, 2A, 3, 3A), community
#: resolution (8), outcome 22 itself, and outcomes 20 (action by another body or agency) and 21 (further
#: investigation not in the public interest), under which forces recorded referrals to youth offending teams and
#: diversion schemes before outcome 22 existed (Home Office crime outcomes framework;
#: ``ref_home_office_crime_outcome_types.csv``). Left out: evidential difficulties (14-16), prosecution prevented
#: or time-barred (11-13, 17), no suspect (18), the public-interest decisions of 9 and 10, TIC (4), the offender's
#: death (5), penalty notices and cannabis/khat warnings (6, 7: not open to most children) and NFIB (19).
LIVE_DIVERSION_OUTCOMES: tuple[str, ...] = ("1", "1A", "2", "2A", "3", "3A", "8", "20", "21", "22")
#: The denominators of a decision-point share, by name: the outcome codes counted in the denominator. The labels
#: name the outcomes in words (a code such as 1 or 2A would read as a small count in a published pack).
DECISION_DENOMINATORS = MappingProxyType(
    {
        "live": LIVE_DIVERSION_OUTCOMES,
        "all": tuple(OUTCOME_CODES),
    }
)
DECISION_DENOMINATOR_LABELS = MappingProxyType(
    {
        "live": "concluded outcomes where diversion was a live option (charge or summons, caution, community "
                "resolution, action by another agency, further investigation not in the public interest, outcome "
                "22)",
        "all": "every concluded outcome (evidential difficulties, no suspect and prosecution prevented included)",
    }
)
#: The same in a few words (row methods, captions, chart axes).
DECISION_DENOMINATOR_SHORT = MappingProxyType(
    {"live": "concluded cases where diversion was an option", "all": "all concluded cases"}
)
#: How a sentence names the cases of a group that the share counts ("concluded cases of Black child suspects{}").
DECISION_CASE_SCOPE = MappingProxyType({"live": " in which diversion was an option", "all": ""})
DEFAULT_DECISION_DENOMINATOR = "live"

#: Default outcome groups (DESIGN.md section 3); order is the display order.
DEFAULT_OUTCOME_GROUPS = MappingProxyType(
    {
        "Charge/summons": ("1", "1A"),
        "Youth caution": ("2", "2A"),
        "Community resolution": ("8",),
        "Outcome 22": ("22",),
        "Other out-of-court": ("3", "3A", "4", "6", "7"),
        "Not in the public interest": ("9", "10", "21"),
        "Prosecution prevented": ("11", "12", "13", "17"),
        "Evidential difficulties": ("14", "15", "16"),
        "No suspect identified": ("18",),
        "Other": ("5", "19", "20"),
    }
)
OPEN_OUTCOME_GROUP = "Open"
OUTCOME_GROUPS: tuple[str, ...] = (*DEFAULT_OUTCOME_GROUPS, OPEN_OUTCOME_GROUP)


def outcome_group(code: str) -> str:
    """The outcome group of a Home Office outcome code (blank = open)."""
    if code == OPEN_OUTCOME:
        return OPEN_OUTCOME_GROUP
    for group, codes in DEFAULT_OUTCOME_GROUPS.items():
        if code in codes:
            return group
    raise ValueError(f"unknown outcome code {code!r}")


# --------------------------------------------------------------------------------------------
# Serious youth violence
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeriousYouthViolence:
    """A configurable definition: a record is SYV if its offence group is listed or any listed marker is set."""

    offence_groups: tuple[str, ...] = ("Violence with injury", "Robbery", "Possession of weapons")
    markers: tuple[str, ...] = ("knife_crime",)

    def __post_init__(self) -> None:
        unknown = [g for g in self.offence_groups if g not in OFFENCE_GROUPS]
        unknown += [m for m in self.markers if m not in RISK_MARKERS]
        if unknown:
            raise ValueError(f"unknown offence group or marker in serious youth violence definition: {unknown}")

    def describe(self) -> str:
        groups = ", ".join(self.offence_groups[:-1]) + (" or " if len(self.offence_groups) > 1 else "")
        groups += self.offence_groups[-1] if self.offence_groups else ""
        markers = " or ".join(RISK_MARKER_LABELS[m].lower() for m in self.markers)
        text = f"Offence group {groups}" if self.offence_groups else ""
        if markers:
            text += (", or any offence flagged " if text else "Any offence flagged ") + markers
        return text + "."


DEFAULT_SYV = SeriousYouthViolence()

# --------------------------------------------------------------------------------------------
# Definitions a user can see and change (DESIGN.md section 4)
# --------------------------------------------------------------------------------------------
COUNTING_UNITS = MappingProxyType({"persons": "Distinct children", "records": "Records"})
#: What a count is of, in a title or caption: "Children recorded as suspects ..." / "Records of suspects ..."
COUNTED_NOUNS = MappingProxyType({"persons": "children", "records": "records"})
CONFIDENCE_LEVELS: tuple[float, ...] = (0.95, 0.998)
DEFAULT_CONFIDENCE = 0.95
SUPPRESSION_THRESHOLD = 5  # counts 1..4 shown as [c] for scrutiny/publication
UNRELIABLE_BELOW = 10  # rates and ratios from fewer events are marked unreliable
WITHHOLD_RATIO_BELOW = 5  # ratios from fewer events are not shown
ETHNICITY_COMPLETENESS_TARGET = 0.90
#: Outcome shares are measured on cohorts with a fixed follow-up (issue 13): a record counts only if it was made at
#: least this many days before the end of the data, and its outcome only if reached within as many days of recording
#: (``follow_up_days`` in monitor.toml, ``--follow-up-days``; 0 switches the cohort rule off).
DEFAULT_FOLLOW_UP_DAYS = 90
MAX_FOLLOW_UP_DAYS = 3650

#: Dimensions a table can be split or stratified by; the SQL column for each is fixed in store.py.
SPLIT_DIMENSIONS: tuple[str, ...] = ("area", "offence_group", "age_band", "sex", "month")
#: The split and stratum dimensions as users read them (a column name is never shown).
DIMENSION_LABELS = MappingProxyType({"area": "district", "offence_group": "offence group", "age_band": "age band",
                                     "sex": "sex", "month": "month", "role": "role"})


@dataclass(frozen=True)
class Definitions:
    """The definitions in force, printed with every export."""

    reference_group: str = DEFAULT_REFERENCE_GROUP
    counting_unit: str = "persons"
    ethnicity_source: str = DEFAULT_ETHNICITY_SOURCE
    serious_youth_violence: SeriousYouthViolence = field(default_factory=SeriousYouthViolence)
    suppression_threshold: int = SUPPRESSION_THRESHOLD
    confidence: float = DEFAULT_CONFIDENCE
