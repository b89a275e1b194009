"""The Disproportionality page's detailed groups (issue 15 point 8): the 18 self-defined categories with the same
rates, intervals, verdicts (``analytics.detailed`` on ``analytics.tables``) and disclosure control as the 5 groups."""

from __future__ import annotations

import streamlit as st

from analytics import charts, detailed, schema
from analytics.tables import RatioTable
from ui import cached, render, state
from ui.page import PageContext

#: The page's views of the ethnic groups (URL parameter ``groups``).
VIEWS = {"five": "5 groups", "detailed": "Detailed groups (18+1)"}
REFERENCES = tuple(schema.DETAILED_LABELS)
UNAVAILABLE = ("Detailed groups are not available for this selection: their population denominators are modelled "
               "from Census 2021 detailed shares shipped for the Norfolk districts only "
               "(analytics/reference_data/SOURCES.md).")


def view_control(container) -> str:
    """The '5 groups / Detailed groups' control, kept in the URL."""
    view = container.radio("Ethnic groups", tuple(VIEWS), format_func=VIEWS.__getitem__, key="disp_view",
                           horizontal=True, **state.from_link("disp_view", "groups", tuple(VIEWS)))
    state.to_link("groups", view, "five")
    return str(view)


def section(page: PageContext, five_group: RatioTable) -> None:
    """The detailed view: its reference group, rates, forest plot, table and notes (``five_group``: the controlled
    5-group table of the same filters, whose hidden counts stay hidden here)."""
    filters = page.filters
    reference = st.selectbox("Reference group", REFERENCES, format_func=schema.DETAILED_LABELS.__getitem__,
                             key="disp_detail_reference",
                             **state.from_link("disp_detail_reference", "detail_ref", REFERENCES, index=0))
    state.to_link("detail_ref", reference, schema.DEFAULT_DETAILED_REFERENCE)
    st.info(detailed.SELF_ONLY_NOTE)
    result = cached.detailed_rates(filters, page.version, reference)
    if result is None:
        st.info(UNAVAILABLE)
        return
    result = render.controlled_detailed(result, five_group)
    label = schema.DETAILED_LABELS[reference]
    table = result.table
    period = f", {result.period.label}" if result.period else ""
    noun = render.counted(filters)
    render.chart(
        charts.rate_bars(table[table["group"] != schema.DETAILED_NOT_STATED],
                         f"{noun.capitalize()} per 1,000 children per year by detailed group{period}",
                         "per 1,000 children per year", filters.confidence, horizontal=True),
        f"Each bar: {noun} of the group (latest self-defined code) per 1,000 children of the group in the selected "
        "districts per year; the denominators are modelled (see the method note). Error bars: the confidence "
        "interval." + render.suppressed_note(), key="disp-detail-rates")
    render.chart(charts.forest_plot(table[~table["is_reference"]], f"Ratio to {label} children", label,
                                    filters.confidence),
                 f"Verdicts and intervals: {result.metadata()['multiple_comparisons']}." + render.suppressed_note(),
                 key="disp-detail-forest")
    different = render.different_groups(result)
    if different:
        st.success(f"Higher or lower than {label} after adjustment for every comparison of the table: "
                   f"{', '.join(different)}.")
    else:
        st.info(f"No clear difference from {label} for any detailed group after adjustment for every comparison.")
    render.ratio_table(result, key="disproportionality-detailed")
    render.method_note(result)
