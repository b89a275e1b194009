"""Partner data overlay and children's journeys (issue 17).

* ``contract``: the two CSV contracts (aggregate indicators; person-level flags) and their row checks.
* ``read``: a partner CSV read with the crime loader's file-level checks.
* ``load``: ``load_indicators`` (``partners load``) and ``link_flags`` (``partners link``) publish atomically.
* ``dfe``: ``convert_dfe``, the converter for DfE's exclusions-by-characteristic download.
* ``overlay``: partner ratios beside the police ratio (the table engine's intervals and verdicts).
* ``linkage``: cohort filtering by person-level flag and the match rate by group.
* ``journeys``, ``survival``, ``figures``: children's journeys (crossover, pathways, roles x markers,
  cumulative incidence with lifelines) and their charts.

``overlay``, ``linkage``, ``journeys``, ``survival`` and ``figures`` are imported where they are used
(``from analytics.partners import survival``), not here: loading partner files (``partners load|link``, the flags'
child reader) never needs lifelines, ``scipy.stats`` or plotly, which take about 3 s to import.

Pure Python; the SQL is in ``analytics.store.partners``.

The names below are imported on first use too (PEP 562, ``analytics.lazy``): the flags' child reader
(``python -m analytics.partners.isolated``) imports neither pandas nor the loaders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analytics import lazy

if TYPE_CHECKING:
    from analytics.partners.contract import (
        AGE_BANDS,
        ETHNIC_GROUPS,
        FLAG_COLUMNS,
        FLAG_LABELS,
        FLAG_OPTIONAL_COLUMNS,
        FLAGS,
        INDICATOR_COLUMNS,
        MEASURES,
        OVERLAY_MEASURES,
        SUPPRESSED_MARK,
        TOTAL_GROUP,
        UPPER_TIER_AREAS,
        Checked,
        validate_flags,
        validate_indicators,
    )
    from analytics.partners.dfe import DFE_CHARACTERISTICS, DFE_REQUIRED, Conversion, academic_year, convert_dfe
    from analytics.partners.load import PartnerLoadResult, link_flags, load_indicators

#: The module defining each public name, imported on first use (``analytics.lazy``).
_DEFINED_IN = lazy.by_name({
    "contract": (
        "AGE_BANDS", "Checked", "ETHNIC_GROUPS", "FLAGS", "FLAG_COLUMNS", "FLAG_LABELS",
        "FLAG_OPTIONAL_COLUMNS", "INDICATOR_COLUMNS", "MEASURES", "OVERLAY_MEASURES", "SUPPRESSED_MARK",
        "TOTAL_GROUP", "UPPER_TIER_AREAS", "validate_flags", "validate_indicators",
    ),
    "dfe": ("Conversion", "DFE_CHARACTERISTICS", "DFE_REQUIRED", "academic_year", "convert_dfe",),
    "load": ("PartnerLoadResult", "link_flags", "load_indicators",),
})
__all__ = [
    "AGE_BANDS",
    "DFE_CHARACTERISTICS",
    "DFE_REQUIRED",
    "ETHNIC_GROUPS",
    "FLAGS",
    "FLAG_COLUMNS",
    "FLAG_LABELS",
    "FLAG_OPTIONAL_COLUMNS",
    "INDICATOR_COLUMNS",
    "MEASURES",
    "OVERLAY_MEASURES",
    "SUPPRESSED_MARK",
    "TOTAL_GROUP",
    "UPPER_TIER_AREAS",
    "Checked",
    "Conversion",
    "PartnerLoadResult",
    "academic_year",
    "convert_dfe",
    "link_flags",
    "load_indicators",
    "validate_flags",
    "validate_indicators",
]
__getattr__, __dir__ = lazy.exports(__name__, _DEFINED_IN)
