"""What each section's template receives: sentences, labels and tables worked out from the pack's data.

The templates (``templates/*.html``) hold the prose and the markup; this module holds the decisions: which
findings a section states, which counts may be printed, how a number is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics import ethnicity, geography, narrative, schema, suppression, trends
from analytics.filters import format_confidence
from analytics.report import tables
from analytics.report.data import AUDIENCE_LABELS, AUDIENCES, ROLE_PLURAL, PackData
from analytics.report.findings import ordered
from analytics.report.formatting import month_label, percent
from analytics.report.tables import Table


@dataclass(frozen=True)
class Cover:
    audience: str
    ethnicity: str
    produced: str
    confidence: str


@dataclass(frozen=True)
class VerdictList:
    """The plain-words findings of one verdict (higher, lower, similar, ...), under their heading."""

    verdict: str
    heading: str
    sentences: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # each sentence's finding kind (role, outcome22, district, marker)


@dataclass(frozen=True)
class KeyFindings:
    plain: tuple[VerdictList, ...]  # higher, lower, similar, too few, withheld: the non-empty lists, in that order
    significant: tuple[str, ...]  # the statistical sentences (the annex), largest differences first
    unclear: tuple[str, ...]  # county-wide roles and outcome 22 with not enough data to say
    tested: int  # the comparisons adjusted together
    recording: str  # the ethnicity recording sentence
    previous_month: str
    month_on_month: Table


@dataclass(frozen=True)
class Roles:
    unit: str
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class Outcome22:
    role_text: str
    open_cases: str  # the number of open investigations left out
    crude: Table
    adjusted: Table
    cases: str  # the cases compared ("concluded cases ... in which diversion was an option")
    denominator: str  # the share's denominator in words, and what it leaves out


@dataclass(frozen=True)
class Districts:
    sentences: tuple[str, ...]
    funnel_text: str
    funnel: Table
    focus: Table
    grid: Table


@dataclass(frozen=True)
class Markers:
    sentences: tuple[str, ...]
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class Recording:
    this_month: str
    previous_month: str
    target: str
    tables: tuple[Table, ...]
    agreement: str  # share of records where self- and officer-defined agree
    kappa: str


@dataclass(frozen=True)
class StopSearch:
    forces: str  # the forces' names, comma-separated ("" when unknown)
    tables: tuple[Table, ...]  # none when no searches are loaded for the period


@dataclass(frozen=True)
class Methods:
    counting_unit: str
    ethnicity: str
    syv: str
    confidence: str
    threshold: int
    rules: tuple[str, ...]
    tested: int
    decision_denominator: str  # the outcome-22 share's denominator in words
    sex: str  # children of sex U or X: left out of the rates, by role


def tested(data: PackData) -> int:
    """How many findings had a p-value (each adjusted within its own table's family)."""
    return int(sum(np.isfinite(f.p_value) for f in data.findings))


def cover(data: PackData) -> Cover:
    produced = data.produced.strftime("%B %Y" if data.suppressing else "%d %B %Y")
    return Cover(AUDIENCE_LABELS[data.audience], schema.ETHNICITY_SOURCES[data.filters.ethnicity_source], produced,
                 format_confidence(data.confidence))


def key_findings(data: PackData) -> KeyFindings:
    conf = data.confidence
    significant = [f for f in ordered(data.findings) if f.is_difference]
    headline = [f for f in data.findings if f.kind in ("role", "outcome22")]
    unclear = [f for f in ordered(headline) if not f.is_difference]
    previous = trends.months_back(data.month, 1)
    recording = narrative.completeness_sentence(
        data.quality.this_month.share, data.quality.previous_month.share, month_label(data.month),
        month_label(previous), schema.ETHNICITY_COMPLETENESS_TARGET)
    return KeyFindings(plain_findings(data), tuple(narrative.sentence(f, conf) for f in significant),
                       tuple(narrative.not_enough_item(f, conf) for f in unclear), tested(data), recording,
                       month_label(previous), tables.what_changed_table(data))


def plain_findings(data: PackData) -> tuple[VerdictList, ...]:
    """Every higher or lower finding (any kind), and the county-wide roles and outcome 22 whatever their verdict,
    in plain words under their verdict's heading."""
    listed: dict[str, list[tuple[str, str]]] = {v: [] for v in narrative.VERDICT_HEADINGS}
    for finding in ordered(data.findings):
        verdict = narrative.verdict(finding)
        if verdict in (narrative.HIGHER, narrative.LOWER) or finding.kind in ("role", "outcome22"):
            listed[verdict].append((narrative.plain_sentence(finding, data.confidence), finding.kind))
    return tuple(VerdictList(v, narrative.VERDICT_HEADINGS[v].format(reference=data.reference_group),
                             tuple(text for text, _ in items), tuple(kind for _, kind in items))
                 for v, items in listed.items() if items)


def roles(data: PackData) -> Roles:
    return Roles(schema.COUNTING_UNITS[data.filters.counting_unit].lower(), tuple(tables.role_tables(data)))


def outcome22(data: PackData) -> Outcome22:
    role_text = " or ".join(ROLE_PLURAL[r] for r in data.outcome22.roles)
    crude = data.outcome22.crude
    left_out = [note for note in crude.notes if "live choice of diversion" in note]
    return Outcome22(role_text, crude.notes[0].split(" records")[0], tables.outcome22_table(data),
                     tables.outcome22_adjusted_table(data),
                     f"concluded cases of child {role_text}{schema.DECISION_CASE_SCOPE[crude.decision_denominator]}",
                     f"The share's denominator: {crude.denominator}." + (f" {left_out[0]}" if left_out else ""))


def significant_sentences(data: PackData, kind: str) -> tuple[str, ...]:
    """A section's higher or lower findings in plain words (the statistical wording is in Annex A)."""
    return tuple(narrative.plain_sentence(f, data.confidence) for f in ordered(data.findings)
                 if f.kind == kind and f.is_difference)


def funnel_text(data: PackData) -> str:
    """Which districts are higher or lower than the force average: their verdicts (``analytics.verdicts``,
    adjusted over the districts; outside the funnel's adjusted limits exactly when higher or lower)."""
    funnel = data.districts.funnel
    points = geography.funnel_points(funnel.points)
    high = [p.label for p in points if p.verdict == "higher"]
    low = [p.label for p in points if p.verdict == "lower"]
    if len(points) < 2:
        return "With a single district selected there is no other district to compare it with."
    if not high and not low:
        return ("No district differs clearly from the force average after allowing for the "
                f"{len(points)} districts compared.")
    parts = [f"higher than the force average: {', '.join(high)}"] if high else []
    if low:
        parts.append(f"lower: {', '.join(low)}")
    return "After allowing for every district compared, " + "; ".join(parts) + "."


def districts(data: PackData) -> Districts:
    return Districts(significant_sentences(data, "district"), funnel_text(data), tables.funnel_table(data),
                     tables.district_focus_table(data), tables.district_grid_table(data))


def markers(data: PackData) -> Markers:
    marker_tables = [t for role, rates in data.markers.items() for t in tables.marker_tables(data, role, rates)]
    return Markers(significant_sentences(data, "marker"), tuple(marker_tables))


def recording(data: PackData) -> Recording:
    this, previous = data.quality.this_month, data.quality.previous_month
    agreement = data.quality.agreement
    kappa = "not estimable" if not np.isfinite(agreement.kappa) else f"{agreement.kappa:.2f}"
    return Recording(month_label(this.month), month_label(previous.month),
                     percent(schema.ETHNICITY_COMPLETENESS_TARGET),
                     (tables.completeness_table(this), tables.completeness_table(previous)),
                     percent(agreement.agreement.estimate), kappa)


def stop_search(data: PackData) -> StopSearch:
    forces = ", ".join(str(f).replace("-", " ").title() for f in data.searches.forces)
    return StopSearch(forces, tuple(tables.search_table(data, measure, ratios.result, ratios.published)
                                    for measure, ratios in data.searches.measures.items()))


def methods(data: PackData) -> Methods:
    f = data.filters
    counting = (schema.COUNTING_UNITS[f.counting_unit] + " (a child is counted once per role however many records "
                "they have)." if f.counting_unit == "persons" else "Records.")
    return Methods(counting, ethnicity.method_text(f.ethnicity_source, f.counting_unit, None).rstrip("."),
                   schema.DEFAULT_SYV.describe(),
                   format_confidence(f.confidence), schema.SUPPRESSION_THRESHOLD,
                   tuple(suppression.rules_text(AUDIENCES[data.audience])), tested(data),
                   schema.DECISION_DENOMINATOR_LABELS[data.outcome22.crude.decision_denominator], sex_text(data))


def sex_text(data: PackData) -> str:
    """How children of sex U or X are treated, with their number by role (as each role table counted them)."""
    counts = [f"{ROLE_PLURAL[role]} {_count_text(getattr(ratios.current, 'sex_not_in_population', 0))}"
              for role, ratios in data.roles.items()]
    return ("Population rates count girls and boys only, the sexes the population table has. Children with sex "
            "recorded as unknown or indeterminate (U or X) are left out of the rates' numerators (in the 12 months: "
            + ", ".join(counts) + "); outcome-22 shares, whose denominators are records, keep them.")


def _count_text(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value or 0)
