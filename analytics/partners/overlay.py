"""Partner ratios beside the police ratio (issue 17, part 2).

For one partner measure and area: per period, each group's rate and its ratio to the reference group with the
table engine's intervals and verdicts (``analytics.tables``: ``decision_rows`` for people counted once, a share of
pupils or children with the Koopman score ratio; ``rate_rows`` for suspensions, which count events, with the exact
conditional Poisson ratio; ``finish_table``: every comparison of every period in one Benjamini–Hochberg family).

A cell suppressed at source (``c``) is never a zero: the group has no rate and its comparison is *not estimable
(suppressed at source)*; when the reference group's cell is suppressed, every ratio of that period is. For the
scrutiny audience the table then passes through ``suppression.apply_to_ratio_table`` like every police table.

Area: the partner rows of the area asked for; where a partner publishes only for the upper-tier authority (DfE and
the YJB publish for Norfolk, E10000020), a district or the whole force area gets Norfolk's figures, and the note
says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics import schema, suppression, tables, verdicts
from analytics.filters import format_confidence
from analytics.partners.contract import MEASURES, OVERLAY_MEASURES, TOTAL_GROUP, UPPER_TIER_AREAS

#: Measures counting events (a pupil can be suspended several times): rates per 1,000, Poisson ratio.
EVENT_MEASURES = frozenset({"suspension"})
#: Age bands used, broadest first (one band per table).
BAND_PREFERENCE = ("all", "10-17", "10-13", "14-15", "16-17")
SUPPRESSED_AT_SOURCE = "suppressed at source (c)"
UPPER_TIER = next(iter(UPPER_TIER_AREAS))


@dataclass(frozen=True)
class PartnerFilters:
    """What a partner table was computed for (the ``TableFilters`` protocol of ``analytics.tables``)."""

    reference_group: str = schema.DEFAULT_REFERENCE_GROUP
    confidence: float = schema.DEFAULT_CONFIDENCE
    ethnicity_source: str = schema.DEFAULT_ETHNICITY_SOURCE
    counting_unit: str = "persons"
    area_code: str = UPPER_TIER

    def describe(self) -> str:
        return f"area {self.area_code}; reference group {self.reference_group}; {format_confidence(self.confidence)}"


@dataclass(frozen=True)
class PartnerTable(tables.RatioTable):
    """One partner measure's ratio table (split = period) and where its figures come from."""

    measure_key: str = ""
    area_used: str = ""
    age_band: str = ""
    sources: tuple[str, ...] = ()
    licences: tuple[str, ...] = ()
    periods: tuple[tuple[date, date], ...] = field(default=())

    def measure_metadata(self) -> dict[str, Any]:
        return {"partner_measure": self.measure_key, "area_used": self.area_used, "age_band": self.age_band,
                "sources": list(self.sources), "licences": list(self.licences),
                "periods": [f"{a.isoformat()} to {b.isoformat()}" for a, b in self.periods]}


def period_label(start: date, end: date) -> str:
    """``2022/23`` for an academic or financial year, else ``2022-09-01 to 2023-08-31``."""
    if (end - start).days in (364, 365) and end.year == start.year + 1:
        return f"{start.year}/{str(end.year)[2:]}"
    return f"{start.isoformat()} to {end.isoformat()}"


def choose_area(indicators: pd.DataFrame, measure: str, areas: tuple[str, ...]) -> tuple[str | None, str]:
    """The area whose rows answer for ``areas`` (one district, or all when empty) and a note on the choice."""
    held = set(indicators.loc[indicators["measure"] == measure, "area_code"])
    if len(areas) == 1 and areas[0] in held:
        return areas[0], ""
    if UPPER_TIER in held:
        name = UPPER_TIER_AREAS[UPPER_TIER]
        if not areas:
            return UPPER_TIER, ""
        return UPPER_TIER, (f"{MEASURES[measure][0]} is published for {name} as a whole ({UPPER_TIER}), not for "
                            "the district(s) selected: the partner figures are the county's.")
    return None, f"No {MEASURES[measure][0].lower()} figures are loaded for this area."


def partner_table(indicators: pd.DataFrame, measure: str, areas: tuple[str, ...] = (),
                  reference_group: str = schema.DEFAULT_REFERENCE_GROUP,
                  confidence: float = schema.DEFAULT_CONFIDENCE, audience: str = "analyst") -> PartnerTable | None:
    """The ratio table of ``measure`` (one row per period and group) for ``areas``; None when nothing is loaded."""
    if measure not in MEASURES:
        raise ValueError(f"unknown partner measure {measure!r}")
    area, note = choose_area(indicators, measure, areas)
    if area is None:
        return None
    rows = indicators[(indicators["measure"] == measure) & (indicators["area_code"] == area)
                      & (indicators["ethnic_group"] != TOTAL_GROUP)]
    band = next(b for b in BAND_PREFERENCE if b in set(rows["age_band"]))
    rows = rows[rows["age_band"] == band].sort_values(["period_start", "period_end"])
    periods = list(dict.fromkeys(zip(rows["period_start"].map(_day), rows["period_end"].map(_day), strict=True)))
    parts: list[dict[str, Any]] = []
    hidden: list[tuple[str, str]] = []  # (period label, group) suppressed at source
    for start, end in periods:
        label = period_label(start, end)
        cells = rows[(rows["period_start"].map(_day) == start) & (rows["period_end"].map(_day) == end)]
        events = {str(r.ethnic_group): int(r.numerator) for r in cells.itertuples() if not r.suppressed}
        denominators = {str(r.ethnic_group): int(r.denominator) for r in cells.itertuples()
                        if not r.suppressed and pd.notna(r.denominator)}
        hidden += [(label, str(r.ethnic_group)) for r in cells.itertuples() if r.suppressed]
        if measure in EVENT_MEASURES:
            # each row is one published period (an academic year): its rate as published, per 1,000
            parts += tables.rate_rows([(label, events, denominators)], reference_group, confidence, years=1.0,
                                      unit="per 1,000")
        else:
            parts += tables.decision_rows(label, events, denominators, reference_group, confidence)
    table = _mark_suppressed(pd.DataFrame(parts), hidden, reference_group, rows)
    table = tables.finish_table(table, confidence, reference_group)
    if audience != "analyst":
        table = suppression.apply_to_ratio_table(table, audience, reference_group=reference_group,
                                                 denominator_is_count=False)
    table = _restore_source_suppression(table, hidden)
    label, numerator, denominator = MEASURES[measure]
    notes = [n for n in (note, _suppressed_note(hidden)) if n]
    return PartnerTable(
        table=table, measure=label, filters=PartnerFilters(reference_group, confidence, area_code=area),
        numerator=numerator, denominator=denominator,
        denominator_source="; ".join(sorted(set(rows["source"]))), split="period", notes=tuple(notes),
        measure_key=measure, area_used=area, age_band=band, sources=tuple(sorted(set(rows["source"]))),
        licences=tuple(sorted(set(rows["licence"]))), periods=tuple(periods))


def _day(value: Any) -> date:
    return pd.Timestamp(value).date()


def _mark_suppressed(table: pd.DataFrame, hidden: list[tuple[str, str]], reference_group: str,
                     rows: pd.DataFrame) -> pd.DataFrame:
    """Rows suppressed at source: no rate, no ratio, no p-value (so not estimable), and every ratio of a period
    whose reference cell is suppressed likewise."""
    table = table.copy()
    keys = list(zip(table["split"], table["group"], strict=True))
    at = np.array([k in set(hidden) for k in keys], dtype=bool)
    no_reference = table["split"].isin({p for p, g in hidden if g == reference_group}).to_numpy()
    blank = [c for c in ("rate", "rate_lower", "rate_upper", "ratio", "ratio_lower", "ratio_upper", "p_value")
             if c in table.columns]
    table.loc[at, blank] = np.nan
    table.loc[no_reference, [c for c in blank if c.startswith("ratio") or c == "p_value"]] = np.nan
    for column in ("events_effective", "denominator_effective"):
        if column in table.columns:
            table.loc[at, column] = np.nan
    table.loc[at, "method"] = SUPPRESSED_AT_SOURCE
    table.loc[no_reference & ~at, "method"] = f"reference group's count {SUPPRESSED_AT_SOURCE}: ratio not estimable"
    return table


def _restore_source_suppression(table: pd.DataFrame, hidden: list[tuple[str, str]]) -> pd.DataFrame:
    table = table.copy()
    at = np.array([k in set(hidden) for k in zip(table["split"], table["group"], strict=True)], dtype=bool)
    table["source_suppressed"] = at
    table["events"] = table["events"].astype(object)
    table.loc[at, "events"] = "c"
    table.loc[at, "denominator"] = np.nan
    table.loc[at, "verdict"] = verdicts.Verdict.NOT_ESTIMABLE.value
    table.loc[at, "reliability"] = "suppressed at source"
    return table


def _suppressed_note(hidden: list[tuple[str, str]]) -> str:
    if not hidden:
        return ""
    cells = ", ".join(f"{g} {p}" for p, g in hidden)
    return f"Suppressed at source (c), shown as not estimable, never as zero: {cells}."


@dataclass(frozen=True)
class Overlay:
    """The partner tables for one area (one per overlay measure loaded) and their rows for one group."""

    tables: tuple[PartnerTable, ...]

    def rows_for(self, group: str, latest_only: bool = True) -> pd.DataFrame:
        """One row per measure (and period) for ``group``: rate, ratio, shown interval, verdict, period."""
        out = []
        for result in self.tables:
            part = result.table[result.table["group"] == group]
            if latest_only and len(part):
                part = part.tail(1)
            for row in part.itertuples():
                out.append({"measure": result.measure, "measure_key": result.measure_key,
                            "period": row.split, "area": result.area_used, "events": row.events,
                            "denominator": row.denominator, "rate": row.rate, "unit": row.unit,
                            "ratio": row.ratio, "ratio_lower": row.ratio_lower, "ratio_upper": row.ratio_upper,
                            "interval_level": row.interval_level, "verdict": row.verdict,
                            "reliability": row.reliability, "source": "; ".join(result.sources),
                            "source_suppressed": bool(row.source_suppressed)})
        return pd.DataFrame(out)

    @property
    def notes(self) -> list[str]:
        return [n for t in self.tables for n in t.notes]


def overlay(indicators: pd.DataFrame, areas: tuple[str, ...] = (), reference_group: str = "White",
            confidence: float = schema.DEFAULT_CONFIDENCE, audience: str = "analyst",
            measures: tuple[str, ...] = OVERLAY_MEASURES) -> Overlay:
    """The partner tables of ``measures`` for ``areas`` (those with data loaded)."""
    found = [partner_table(indicators, m, areas, reference_group, confidence, audience)
             for m in measures if m in set(indicators["measure"])]
    return Overlay(tuple(t for t in found if t is not None))


POLICE = "Police"


def side_by_side(police: pd.DataFrame, police_label: str, police_period: str, partners: Overlay,
                 group: str) -> pd.DataFrame:
    """The police ratio of ``group`` (a row of a finished police ratio table) and the partner ratios of the same
    group and area, one row each, with the period of each stated: the overlay's table."""
    rows = []
    mine = police[police["group"] == group]
    if len(mine):
        row = mine.iloc[0]
        rows.append({"measure": police_label, "measure_key": POLICE.lower(), "period": police_period,
                     "area": "", "events": row["events"], "denominator": row["denominator"], "rate": row["rate"],
                     "unit": row["unit"], "ratio": row["ratio"], "ratio_lower": row["ratio_lower"],
                     "ratio_upper": row["ratio_upper"], "interval_level": row.get("interval_level", np.nan),
                     "verdict": row["verdict"], "reliability": row["reliability"], "source": POLICE,
                     "source_suppressed": False})
    partner_rows = partners.rows_for(group)
    frame = pd.concat([pd.DataFrame(rows), partner_rows], ignore_index=True) if len(partner_rows) else \
        pd.DataFrame(rows)
    if len(frame):
        frame["group"] = group
        frame["label"] = frame["measure"] + " (" + frame["period"].astype(str) + ")"
    return frame
