"""Rendering helpers shared by the pages: charts with captions, ratio tables, downloads, notices."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import exports, suppression
from analytics.disparity import DisparityTable
from analytics.filters import Filters, format_confidence

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"], "responsive": True}


def chart(fig: go.Figure, caption: str, key: str | None = None) -> None:
    """A plotly chart and a plain-language caption under it."""
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key)
    st.caption(caption)


def yes_no(value) -> str:
    """'Yes'/'No' for a flag, '' where it does not apply (missing)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "Yes" if bool(value) else "No"


def interval(low, high, digits: int = 2) -> str:
    if low is None or pd.isna(low):
        return ""
    high_text = "∞" if high is not None and not pd.isna(high) and math.isinf(high) else f"{high:.{digits}f}"
    return f"{low:.{digits}f} to {high_text}"


def ratio_display(result: DisparityTable, label: str = "Group") -> pd.DataFrame:
    """The table as people read it: one row per group (and split), rounded, intervals in words."""
    table = result.table
    conf = format_confidence(result.confidence)
    frame = pd.DataFrame({
        "Split": table["split"],
        label: table["group"] + table["is_reference"].map({True: " (reference)", False: ""}),
        "Events": table["events"],
        "Denominator": table["denominator"],
        "Rate or share": [_value_with_unit(v, u) for v, u in zip(table["rate"], table["unit"], strict=True)],
        f"{conf} CI": [interval(lo, hi) for lo, hi in zip(table["rate_lower"], table["rate_upper"], strict=True)],
        "Ratio": [_ratio_text(r, ref) for r, ref in zip(table["ratio"], table["is_reference"], strict=True)],
        f"Ratio {conf} CI": [interval(lo, hi) for lo, hi in zip(table["ratio_lower"], table["ratio_upper"], strict=True)],
        "Adjusted p": table["p_adjusted"].map(lambda p: "" if pd.isna(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")),
        "Significant": table["significant"].map(yes_no),
        "Reliability": table["reliability"],
    })
    if result.split is None:
        frame = frame.drop(columns="Split")
    return frame


def _value_with_unit(value, unit: str) -> str:
    if value is None or pd.isna(value):
        return "not estimable"
    return f"{value:.1f} %" if unit == "%" else f"{value:.2f} {unit}"


def _ratio_text(ratio, is_reference: bool) -> str:
    if is_reference:
        return "1 (reference)"
    if ratio is None or pd.isna(ratio):
        return "—"
    return "∞" if math.isinf(ratio) else f"{ratio:.2f}"


def ratio_table(result: DisparityTable, key: str, label: str = "Group") -> None:
    """The table under a chart, with its download (CSV with the definitions stated)."""
    st.dataframe(ratio_display(result, label), hide_index=True, width="stretch")
    download(result.csv_frame(), f"{key}.csv", export_notes(result), key=f"download-{key}")


def export_notes(result: DisparityTable) -> list[str]:
    meta = result.metadata()
    notes = [
        "Youth Violence Disproportionality Monitor",
        f"Filters: {meta['filters']}",
        f"Numerator: {meta['numerator']}",
        f"Denominator: {meta['denominator']} (source: {meta['denominator_source']})",
        f"Reference group: {meta['reference_group']}; confidence level {format_confidence(meta['confidence'])}",
        f"Ethnicity: {meta['ethnicity_source']}",
        f"Multiple comparisons: {meta['multiple_comparisons']}",
        *meta["notes"],
        *suppression.rules_text("analyst"),
    ]
    return notes


def download(frame: pd.DataFrame, file_name: str, notes: list[str], key: str, label: str = "Download CSV") -> None:
    st.download_button(label, exports.csv_bytes(frame, notes), file_name=file_name, mime="text/csv", key=key,
                       icon=":material/download:", on_click="ignore")


def method_note(result: DisparityTable) -> None:
    """How these figures are calculated, in an expander beside the table."""
    meta = result.metadata()
    with st.expander("How these figures are calculated"):
        st.markdown(
            f"- **Numerator:** {meta['numerator']}.\n"
            f"- **Denominator:** {meta['denominator']}; source: {meta['denominator_source']}.\n"
            f"- **Methods:** rates use exact Poisson limits below 10 events and Byar's approximation from 10; "
            "population ratios use the exact conditional (binomial) interval; shares use Wilson score intervals; "
            "ratios of shares use the Koopman score interval.\n"
            f"- **Confidence level:** {format_confidence(meta['confidence'])}, not adjusted for multiplicity; "
            f"p-values are adjusted by {meta['multiple_comparisons']}, and a row is significant when its adjusted "
            f"p-value is below {1 - meta['confidence']:.3g}.\n"
            f"- **Ethnicity:** {meta['ethnicity_source']}; a child's group is the latest stated code across their records.\n"
            + "".join(f"- {note}\n" for note in meta["notes"])
            + "".join(f"- {rule}\n" for rule in suppression.rules_text("analyst"))
        )


def nothing_matches(filters: Filters) -> None:
    st.info("No records match these filters. Widen the date range or clear some filters (Reset all filters).")


def significant_groups(result: DisparityTable) -> list[str]:
    rows = result.table[(result.table["significant"] == True) & result.table["ratio"].notna()]  # noqa: E712
    return [f"{r.group} {r.ratio:.2f}×" for r in rows.itertuples()]


