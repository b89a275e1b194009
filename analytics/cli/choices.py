"""The code lists the parser offers that belong to modules too heavy to import for ``--help``.

``disparity`` and ``searches`` load pandas, numpy, scipy and duckdb; ``python -m analytics --help`` and a usage error
must not. Their lists are repeated here and ``tests/test_cli.py`` checks that each equals the domain's own, so a
change there fails a test rather than drifting.
"""

from __future__ import annotations

import argparse
import re

#: ``disparity.MEASURES``
RATIO_MEASURES: tuple[str, ...] = ("rate", "outcome")
#: The strata ``disparity.adjusted_ratios`` accepts.
ADJUST_FOR: tuple[str, ...] = ("area", "offence_group", "age_band", "sex")

#: ``searches.MEASURES``, ``searches.SPLITS``, ``searches.SEARCH_TYPES``
SEARCH_MEASURES: tuple[str, ...] = ("rate", "weapons", "find")
SEARCH_SPLITS: tuple[str, ...] = ("area", "month", "object")
SEARCH_TYPES: tuple[str, ...] = ("Person search", "Person and Vehicle search", "Vehicle search")
#: ``searches.CHILD``, ``searches.UNDER_10``, ``searches.NOT_RECORDED``, ``searches.LOCATION_NOT_PUBLISHED``
CHILD = "10-17"
UNDER_10 = "under 10"
NOT_RECORDED = "Not recorded"
LOCATION_NOT_PUBLISHED = "Location not published"
#: ``searches.AGE_RANGES``: in display order (blank in the file = "Not recorded").
AGE_RANGES: tuple[str, ...] = (UNDER_10, CHILD, "18-24", "25-34", "over 34", NOT_RECORDED)
AGE_RANGE_ALIASES = {"under 10": UNDER_10, "10 17": CHILD, "18 24": "18-24", "25 34": "25-34", "over 34": "over 34",
                     "not recorded": NOT_RECORDED}


def age_range(text: str) -> str:
    """``--age-range``: an age range as data.police.uk writes it, spaces, hyphens and case aside."""
    value = re.sub(r"[\s_-]+", " ", text.strip().lower())
    if value not in AGE_RANGE_ALIASES:
        raise argparse.ArgumentTypeError(f"unknown age range {text!r} (expected one of {', '.join(AGE_RANGES)})")
    return AGE_RANGE_ALIASES[value]
