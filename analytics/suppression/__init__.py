"""Disclosure control: applied before anything reaches a screen, a file or a report (DESIGN.md section 8).

The rules follow the GSS/ONS statistical disclosure control guidance for tables of counts:

* **Primary suppression.** A count from 1 to ``threshold - 1`` (1 to 4 by default) is shown as ``[c]``
  in anything for scrutiny or publication. A zero is a true zero and is shown. Totals are counts too
  and are suppressed by the same rule.
* **Secondary (complementary) suppression.** Where a published total would let a reader recover a
  suppressed count by subtraction, further cells are suppressed (see :func:`secondary_suppression`).
* **Reliability.** Rates and ratios from fewer than 10 events are marked unreliable; ratios from fewer
  than 5 events are not shown ("withheld"), following the PHE/OHID practice of flagging small numbers.

Analysts and officers see exact counts; the scrutiny audience (a PCC's public panel) sees
disclosure-controlled counts. Reliability marks apply to every audience, and every export prints
:func:`rules_text`.

One concept per module:

* ``audience``: who sees disclosure-controlled counts, and the ``[c]`` marker;
* ``reliability``: the reliable / unreliable / withheld marks;
* ``cells``: primary and secondary suppression of a count matrix (the algorithm);
* ``count_tables``: that algorithm on labelled tables and breakdowns of counts;
* ``ratio_tables``: reliability and disclosure control of rate/ratio tables (detailed groups too);
* ``equations``: secondary suppression audited over any published sums (a nested table);
* ``rules``: the plain-English statement of the rules, printed in every export;
* ``frames``: that algorithm on the long count frames a page shows (monthly counts, mixes, crosstabs);
* ``disclosures``: :func:`find_disclosures`, an independent checker of a *published* table, written
  without reference to the suppression algorithm, for tests of reports.

Callers use this package's names (``from analytics import suppression; suppression.apply_to_ratio_table``).
"""

from __future__ import annotations

from analytics.suppression.audience import (
    AUDIENCES,
    SUPPRESSED,
    SUPPRESSING_AUDIENCES,
    audience_applies_suppression,
)
from analytics.suppression.cells import primary_mask
from analytics.suppression.count_tables import secondary_suppression, secondary_suppression_series, suppress_table
from analytics.suppression.disclosures import find_disclosures
from analytics.suppression.equations import recoverable, suppress_with_equations
from analytics.suppression.frames import blank, known_totals_mask, numeric, suppress_counts, suppress_crosstab
from analytics.suppression.ratio_tables import (
    RATE_COLUMNS,
    RATIO_COLUMNS,
    RATIO_TABLE_COLUMNS,
    SUPPRESSED_METHOD,
    WITHHELD_RATIO_COLUMNS,
    apply_to_detailed_table,
    apply_to_ratio_table,
    controlled_concordance,
)
from analytics.suppression.reliability import (
    RELIABLE,
    SUPPRESSED_RELIABILITY,
    UNRELIABLE,
    WITHHELD,
    reliability,
    reliability_series,
)
from analytics.suppression.rules import rules_text

__all__ = [
    "AUDIENCES",
    "RATE_COLUMNS",
    "RATIO_COLUMNS",
    "RATIO_TABLE_COLUMNS",
    "RELIABLE",
    "SUPPRESSED",
    "SUPPRESSED_METHOD",
    "SUPPRESSED_RELIABILITY",
    "SUPPRESSING_AUDIENCES",
    "UNRELIABLE",
    "WITHHELD",
    "WITHHELD_RATIO_COLUMNS",
    "apply_to_detailed_table",
    "apply_to_ratio_table",
    "audience_applies_suppression",
    "blank",
    "controlled_concordance",
    "find_disclosures",
    "known_totals_mask",
    "numeric",
    "primary_mask",
    "recoverable",
    "reliability",
    "reliability_series",
    "rules_text",
    "secondary_suppression",
    "secondary_suppression_series",
    "suppress_counts",
    "suppress_crosstab",
    "suppress_table",
    "suppress_with_equations",
]
