"""Partner data on the pages (issue 17): the overlay beside the police ratio, its table and its notes.

Pages call :func:`overlay_section` with the police ratio table they already show; the partner tables come from
``analytics.partners.overlay`` (cached on the data version) and pass through the same disclosure control.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, verdicts
from analytics.filters import Filters
from analytics.partners import overlay as partner_overlay
from analytics.store import PartnerStore
from ui import cached, render


@cached.analytics_cache()
def indicators(version: str) -> pd.DataFrame:
    return PartnerStore(cached.store()).indicators()


@cached.analytics_cache()
def overlay(version: str, areas: tuple[str, ...], reference_group: str, confidence: float,
            audience: str) -> partner_overlay.Overlay:
    return partner_overlay.overlay(indicators(version), areas, reference_group, confidence, audience)


def period_text(filters: Filters, first, last) -> str:
    start, end = filters.date_from or first, filters.date_to or last
    return f"{start:%d %b %Y} to {end:%d %b %Y}" if start and end else "the whole period"


def overlay_table(frame: pd.DataFrame, reference_group: str) -> pd.DataFrame:
    """The overlay as people read it: one row per measure, its period, its ratio, interval and verdict."""
    return pd.DataFrame({
        "Measure": frame["measure"],
        "Period": frame["period"].astype(str),
        "Events": frame["events"].map(lambda v: v if isinstance(v, str) else ("" if pd.isna(v) else f"{int(v):,}")),
        "Denominator": frame["denominator"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"),
        "Rate or share": [("not estimable" if pd.isna(v) else (f"{v:.2f} %" if u == "%" else f"{v:.2f} {u}"))
                          for v, u in zip(frame["rate"], frame["unit"], strict=True)],
        f"Ratio to {reference_group}": frame["ratio"].map(lambda r: "—" if pd.isna(r) else f"{r:.2f}"),
        "Interval (level, adjusted for each table's comparisons)": [
            "" if pd.isna(low) else f"{render.interval(low, high)} ({verdicts.format_level(level)})"
            for low, high, level in zip(frame["ratio_lower"], frame["ratio_upper"], frame["interval_level"],
                                        strict=True)],
        "Verdict": frame["verdict"].map(verdicts.label_of),
        "Reliability": frame["reliability"],
        "Source": frame["source"],
    })


def overlay_section(page, police: pd.DataFrame, police_label: str, group: str, areas: tuple[str, ...],
                    key: str) -> None:
    """The partner ratios for ``group`` and ``areas`` beside the police ratio (a row of ``police``, a finished and
    disclosure-controlled ratio table), as a forest plot and a table with every period and source stated."""
    filters, version = page.filters, page.version
    st.header("Partner data beside the police ratio")
    result = overlay(version, areas, filters.reference_group, filters.confidence, render.audience())
    if not result.tables:
        st.info("No partner data is loaded. An analyst loads it with `python -m analytics partners load FILE` "
                "(DfE exclusions by characteristic: `--layout dfe`).")
        return
    frame = partner_overlay.side_by_side(police, police_label, period_text(filters, page.first, page.last),
                                         result, group)
    render.chart(
        charts.forest_plot(frame, f"{group} children: police and partner ratios to {filters.reference_group}",
                           filters.reference_group, filters.confidence, label_column="label"),
        "Each point is the ratio of the group's rate to the reference group's, from the police records and from "
        "each partner's published figures for the same group and area, each over its own period (in brackets). "
        "The bars are each table's shown intervals: a bar clear of 1 is a verdict of higher or lower.",
        key=f"{key}-forest",
    )
    render.table(overlay_table(frame, filters.reference_group), hide_index=True, width="stretch")
    for note in result.notes:
        st.caption(note)
    st.caption("Partner figures: the latest period loaded for each measure; every period is in the monthly pack's "
               "partners section. Sources and licences: " + "; ".join(
                   f"{t.measure}: {', '.join(t.sources)} ({', '.join(t.licences)})" for t in result.tables))
