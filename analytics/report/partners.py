"""The pack's partners section (issue 17): each partner measure's ratios by period for the pack's area, with the
same intervals, verdicts and disclosure control as the police tables, sources, licences and periods stated."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.filters import Filters
from analytics.partners import contract
from analytics.partners import overlay as partner_overlay
from analytics.report.formatting import DASH, count_text, estimate, reliability_note, verdict_text
from analytics.report.tables import Table, row
from analytics.store import PartnerStore, Store


@dataclass(frozen=True)
class PartnerSection:
    """The partner tables of the pack (empty when no partner data is loaded)."""

    tables: tuple[partner_overlay.PartnerTable, ...] = ()


def partner_section(store: Store, filters: Filters, audience: str) -> PartnerSection:
    indicators = PartnerStore(store).indicators()
    if indicators.empty:
        return PartnerSection()
    result = partner_overlay.overlay(indicators, filters.areas, filters.reference_group, filters.confidence,
                                     "analyst" if audience == "officers" else audience)
    return PartnerSection(result.tables)


def partner_tables(section: PartnerSection) -> tuple[Table, ...]:
    """Each partner measure as a pack table: period, group, count, denominator, rate, ratio (interval), verdict."""
    out = []
    for result in section.tables:
        table = result.table
        rate_units = set(table["unit"].astype(str)) - {"%"}
        shared = rate_units.pop() if len(rate_units) == 1 else None  # named once in the header, not in every cell
        headers = ("Period", "Group", "Count", "Denominator", f"Rate {shared} or share" if shared else "Rate or share",
                   "Ratio (adjusted interval)", "Verdict", "Note")
        classes = ("label", "label", "n", "", "", "ci", "", "note")  # the rate may wrap: eight columns fit the page
        rows = []
        for _, shown in table.iterrows():
            rel = str(shown["reliability"])
            unit = str(shown["unit"])
            digits = 2 if unit == "%" else 1
            source_suppressed = bool(shown.get("source_suppressed", False))
            rate = (DASH if source_suppressed or pd.isna(shown["rate"]) else
                    estimate(shown["rate"], shown["rate_lower"], shown["rate_upper"], rel, digits)
                    + (" %" if unit == "%" else "" if unit == shared else f" {unit}"))
            is_ref = bool(shown["is_reference"])
            ratio = "reference" if is_ref else estimate(shown["ratio"], shown["ratio_lower"], shown["ratio_upper"], rel)
            cells = [shown["split"], f"{shown['group']} (reference)" if is_ref else shown["group"],
                     "c (at source)" if source_suppressed else count_text(shown["events"]),
                     DASH if pd.isna(shown["denominator"]) else count_text(shown["denominator"]), rate, ratio,
                     DASH if is_ref else verdict_text(shown["verdict"]),
                     "suppressed at source" if source_suppressed else reliability_note(rel)]
            rows.append(row(cells, classes))
        area = contract.UPPER_TIER_AREAS.get(result.area_used, result.area_used)  # by name, never the ONS code
        ages = "all ages" if result.age_band == "all" else f"aged {result.age_band}"
        caption = (f"{result.measure}: {result.numerator} per {result.denominator}, {area}, {ages}. "
                   f"Source: {', '.join(result.sources)} ({', '.join(result.licences)}).")
        out.append(Table(headers, tuple(rows), caption))
    return tuple(out)


def partner_notes(section: PartnerSection) -> tuple[str, ...]:
    return tuple(n for t in section.tables for n in t.notes)
