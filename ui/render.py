"""Rendering helpers shared by the pages: charts with captions, ratio tables, downloads, notices."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import access, chart_access, chart_text, exports, quality, schema, suppression, verdicts
from analytics.filters import Filters, format_confidence
from analytics.tables import RatioTable
from ui import auth

_Table = TypeVar("_Table", bound=RatioTable)

#: No "download plot as PNG" in the chart toolbar: every export goes through ``download_file`` and is audited.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d", "toImage"],
                                 "responsive": True}


#: The label that opens a chart's table (the text alternative of issue 15, part 7), followed by the chart's title.
TABLE_LABEL = "Show as a table:"


#: The narrowest a chart is drawn (pixels): across the page, and in one of two columns, on a 1280-pixel screen.
FULL_WIDTH, HALF_WIDTH = 800, 390


def chart(fig: go.Figure, caption: str, key: str | None = None, width: int = FULL_WIDTH) -> None:
    """A plotly chart, a plain-language caption under it (its description), and the chart's data as a table in an
    expander labelled with the chart's title (``chart_access.figure_table``: the numbers the chart itself draws,
    after the same disclosure control). ``theme=None``: the figure's own colours, whose contrast is tested, not
    Streamlit's chart theme (light grey ticks). Titles are wrapped to ``width``, the narrowest the chart is drawn
    (``HALF_WIDTH`` in one of two columns), so none is cut at the chart's edge."""
    chart_text.fit(fig, width)
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key, theme=None)
    st.caption(caption)
    table = chart_access.figure_table(fig)
    if len(table):
        with st.expander(f"{TABLE_LABEL} {chart_access.figure_title(fig)}", icon=":material/table:"):
            st.dataframe(table, hide_index=True, width="stretch", column_config=whole_number_formats(table))


def counted(filters: Filters) -> str:
    """What the figures count, for titles and captions: "children" or "records" (issue 15 point 3)."""
    return schema.COUNTED_NOUNS[filters.counting_unit]


def counted_as(filters: Filters, roles: str) -> str:
    """A rate title's subject: "Children recorded as suspects" or "Records of suspects"."""
    return f"Records of {roles}" if filters.counting_unit == "records" else f"Children recorded as {roles}"


def counted_of(filters: Filters, children: str) -> str:
    """A group's count in a title: "Black children" or "Records of Black children"."""
    return f"Records of {children}" if filters.counting_unit == "records" else children


def yes_no(value) -> str:
    """'Yes'/'No' for a flag, '' where it does not apply (missing)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "Yes" if bool(value) else "No"


MISSING = "–"  # a missing value on screen (Streamlit's grid shows "None" for a null), explained under its table


def interval(low: float | None, high: float | None, digits: int = 2) -> str:
    """An interval in words ("0.85 to 1.20"; an infinite upper limit as ∞); "–" when there is none (e.g. the
    reference group's), "– (not estimable)" when only one limit could be computed."""
    low_missing, high_missing = low is None or pd.isna(low), high is None or pd.isna(high)
    if low_missing or high_missing:
        return MISSING if low_missing and high_missing else f"{MISSING} (not estimable)"
    high_text = "∞" if math.isinf(high) else f"{high:.{digits}f}"  # type: ignore[arg-type]
    return f"{low:.{digits}f} to {high_text}"


def missing_reason() -> str:
    """Why a cell shows "–", for the caption under a table that has one."""
    withheld = " or withheld by disclosure control" if controlling() else ""
    return (f"{MISSING}: no value for this row: not estimable (no events, too few, or none in the reference "
            f"group){withheld}.")


def without_nulls(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every missing value (NaN, None, NaT) shown as "–" instead of Streamlit's "None"; a column
    with one becomes text throughout (the grid needs one type a column)."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if values.isna().any():
            shown[column] = values.map(_cell_text)
    return shown


def _cell_text(value: object) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return MISSING
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


#: The record-level columns as people read them (the CSV download keeps the data contract's names).
RECORD_LABELS = {
    "record_id": "Record", "person_id": "Person (pseudonym)", "crime_id": "Crime (pseudonym)", "role": "Role",
    "recorded_date": "Recorded", "age": "Age", "age_band": "Age band", "sex": "Sex",
    "ethnicity_self": "Self-defined ethnicity code", "ethnicity_officer": "Officer-defined ethnicity code",
    "ethnic_group": "Ethnic group", "area_code": "District", "msoa_code": "MSOA", "offence_group": "Offence group",
    "offence_code": "Offence code", "outcome_code": "Outcome code", "outcome_group": "Outcome group",
    "outcome_date": "Outcome date", **schema.RISK_MARKER_LABELS, "serious_youth_violence": "Serious youth violence",
}


def records_display(rows: pd.DataFrame, area_names: dict[str, str]) -> pd.DataFrame:
    """Records as people read them: plain column names, districts by name, dates as DD/MM/YYYY."""
    shown = rows.assign(area_code=rows["area_code"].map(area_names).fillna(rows["area_code"]))
    for column in ("recorded_date", "outcome_date"):
        dates = pd.to_datetime(shown[column])
        shown[column] = dates.dt.strftime("%d/%m/%Y").where(dates.notna(), None)
    for column in (*schema.RISK_MARKERS, "serious_youth_violence"):
        shown[column] = shown[column].map({True: "Yes", False: "No"})
    return shown.rename(columns=RECORD_LABELS)


#: Column names whose plain form is not just the words of the name.
PLAIN_NAMES = {"source_sha256": "Source file SHA-256", "ethnic_group": "Ethnic group", "age_range": "Age range"}


def plain_names(frame: pd.DataFrame) -> pd.DataFrame:
    """A table straight from the store with its column and axis names in words ('rows_read' -> 'Rows read')."""
    def plain(name: Any) -> Any:
        if not isinstance(name, str) or "_" not in name:
            return name
        return PLAIN_NAMES.get(name, name.replace("_", " ").capitalize())
    shown = frame.rename(columns=plain)
    shown.index = shown.index.rename(plain(frame.index.name))  # new index objects: the cached frame is untouched
    shown.columns = shown.columns.rename(plain(frame.columns.name))
    return shown


def table(frame: pd.DataFrame, where: Any = None, missing: str | None = None, **options: Any) -> None:
    """``st.dataframe`` with missing values as "–" and, where there are any, a caption saying why (``missing``,
    else ``missing_reason``)."""
    where = where or st
    shown = without_nulls(frame)
    options["column_config"] = {**whole_number_formats(shown), **options.get("column_config", {})}
    where.dataframe(shown, **options)
    if frame.isna().to_numpy().any():
        where.caption(missing or missing_reason())


def whole_number_formats(frame: pd.DataFrame) -> dict[str, Any]:
    """Thousands separators ("152,201") on every numeric column that holds only whole numbers (counts and
    denominators), so they read as the text columns beside them do (a count column that disclosure control or a
    missing value has made text already has them, ``counts``, ``without_nulls``); the values stay numbers, sortable."""
    return {name: st.column_config.NumberColumn(format="localized") for name, values in frame.items()
            if isinstance(name, str) and _whole_numbers(values)}


def _whole_numbers(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    return pd.api.types.is_integer_dtype(values) or bool((values.dropna() % 1 == 0).all())


def compared(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a ratio table compared with the reference group (neither the reference itself nor "Not stated")."""
    return table[~table["is_reference"] & ~table["group"].isin(schema.NOT_STATED_GROUPS)]


def intervals(lower: pd.Series, upper: pd.Series) -> list[str]:
    """:func:`interval` for each row of a table's lower and upper limits."""
    return [interval(low, high) for low, high in zip(lower, upper, strict=True)]


def ratio_display(result: RatioTable, label: str = "Group") -> pd.DataFrame:
    """The table as people read it: one row per group (and split), rounded, intervals in words."""
    table = result.table
    conf = format_confidence(result.confidence)
    frame = pd.DataFrame({
        "Split": table["split"],
        label: table["group"] + table["is_reference"].map({True: " (reference)", False: ""}),
        "Events": counts(table["events"]),
        "Denominator": counts(table["denominator"]),
        "Rate or share": [_value_with_unit(v, u) for v, u in zip(table["rate"], table["unit"], strict=True)],
        f"{conf} CI": intervals(table["rate_lower"], table["rate_upper"]),
        "Ratio": [_ratio_text(r, ref) for r, ref in zip(table["ratio"], table["is_reference"], strict=True)],
        verdicts.interval_heading(table["interval_level"]): intervals(table["ratio_lower"], table["ratio_upper"]),
        f"Unadjusted {conf} CI": intervals(table["ratio_lower_unadjusted"], table["ratio_upper_unadjusted"]),
        "Adjusted p": table["p_adjusted"].map(p_text),
        "Verdict": table["verdict"].map(verdicts.label_of),
        "Reliability": table["reliability"],
    })
    if result.split is None:
        frame = frame.drop(columns="Split")
    return frame


def verdict_label(value: object) -> str:
    """A verdict in words ("Higher", "No clear difference", "Lower", "Not estimable"; '' for no comparison)."""
    return verdicts.label_of(value)


def verdict_labels(column: pd.Series) -> pd.Series:
    """:func:`verdict_label` for each row of a table's ``verdict`` column."""
    return column.map(verdicts.label_of)


def p_text(p: float | None) -> str:
    """A p-value for a table cell ('<0.001' below 0.001, '' where there is none)."""
    if p is None or pd.isna(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def counts(column: pd.Series) -> pd.Series:
    """Counts as they are; a column that disclosure control has mixed with ``[c]`` becomes text throughout, every
    whole number in it with thousands separators (a count held as text, '4709', too)."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    return column.map(_count_text)


def _count_text(value: object) -> str:
    if isinstance(value, str):
        return f"{int(value):,}" if value.isdigit() else value
    return MISSING if pd.isna(value) else f"{int(value):,}"  # type: ignore[call-overload]


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


def controlled(result: _Table) -> _Table:
    """The table as this session's role may see it: unchanged for roles with exact counts; for scrutiny,
    through ``suppression.apply_to_ratio_table`` (counts 1-4 as [c], secondary suppression, rates and ratios
    blanked where they would reveal a count). Idempotent. Pages build their charts from it too."""
    return access.controlled_table(result, auth.current().role)


def what_changed_display(table: pd.DataFrame) -> pd.DataFrame:
    """``analytics.change.what_changed`` as people read it: each measure's latest complete month against the month
    before and a year earlier, the change, its test and the verdict (counts 1-4 hidden for scrutiny)."""
    hide = suppression.audience_applies_suppression(audience())

    def count(value: object) -> object:
        n = int(value)  # type: ignore[call-overload]
        return suppression.SUPPRESSED if hide and 0 < n < schema.SUPPRESSION_THRESHOLD else f"{n:,}"

    def value(number: float, unit: str) -> str:
        return "–" if pd.isna(number) else _value_with_unit(number, "per 1,000 per year" if unit != "%" else "%")

    return pd.DataFrame({
        "Measure": table["measure"],
        "Compared with": table["comparison"],
        "Latest complete month": [f"{m:%b %Y}" for m in table["month"]],
        "Count": table["now"].map(count),
        "Earlier month": [f"{m:%b %Y}" for m in table["earlier_month"]],
        "Earlier count": table["before"].map(count),
        "Now": [value(v, u) for v, u in zip(table["now_value"], table["unit"], strict=True)],
        "Then": [value(v, u) for v, u in zip(table["before_value"], table["unit"], strict=True)],
        "Change (ratio)": table["ratio"].map(lambda r: "–" if pd.isna(r) else f"{r:.2f}"),
        "Adjusted p": table["p_adjusted"].map(p_text),
        "Verdict": table["verdict"].map(verdicts.label_of),
    })


def what_changed_caption(table: pd.DataFrame, maturity: Any) -> str:
    """How the what-changed table was made: equally mature months, the tests, the family."""
    family = table.attrs.get("multiple_comparisons", "Benjamini–Hochberg across the table")
    return (f"Victims and suspects are complete when recorded, so their latest whole month is compared. Offenders "
            f"and outcome shares compare {maturity.latest_complete_month:%B %Y}, the latest month whose cases have "
            f"all had the {maturity.follow_up_days}-day follow-up (months from "
            f"{maturity.first_incomplete_month or maturity.end_of_data:%B %Y} are incomplete and not compared), with "
            "the months before measured the same way. Counts: exact conditional test of two Poisson counts "
            "(rates per 1,000 children per year, each month's own days); shares: Fisher's exact test. "
            f"Verdicts: {family}.")


def controlled_detailed(result: Any, five_group: RatioTable | None) -> Any:
    """A detailed-groups table as this session's role may see it (``access.controlled_detailed``), keeping hidden what
    the controlled 5-group table ``five_group`` hides."""
    return access.controlled_detailed(result, auth.current().role, five_group)


def audience() -> str:
    """The disclosure-control audience of this session's role (``analyst`` = exact counts)."""
    return access.audience_for(auth.current().role)


def controlling() -> bool:
    """Whether this session's figures go through disclosure control (the scrutiny audience)."""
    return suppression.audience_applies_suppression(audience())


def controlled_counts(frame: pd.DataFrame, columns: tuple[str, ...], lines: tuple[str, ...] = (), *,
                      totals_published: bool = False, derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """A long frame of counts as this session's role may see it: unchanged with exact counts; for scrutiny, the
    ``columns`` through ``suppression.suppress_counts`` (``[c]``, secondary suppression within each line of
    ``lines`` when its total is shown) and the ``derived`` values of a suppressed row (shares, rates) blanked."""
    if not controlling():
        return frame
    shown = suppression.suppress_counts(frame, columns, lines, totals_published=totals_published)
    return suppression.blank(shown, derived)


def controlled_completeness(frame: pd.DataFrame, lines: tuple[str, ...] = ()) -> pd.DataFrame:
    """``quality.completeness`` as this session's role may see it (``quality.controlled_completeness`` for scrutiny)."""
    return quality.controlled_completeness(frame, lines) if controlling() else frame


def controlled_agreement(result: quality.Agreement) -> tuple[pd.DataFrame, bool]:
    """The self/officer crosstab as this role may see it, and whether its agreement and kappa may be shown."""
    return quality.controlled_agreement(result) if controlling() else (result.crosstab, True)


def controlled_load_report(problems: pd.DataFrame, publication: dict) -> tuple[pd.DataFrame, dict]:
    """The load's rejected/excluded rows by reason and its row counts as this role may see them."""
    if controlling():
        return quality.controlled_load_report(problems, publication)
    return problems, {k: publication[k] for k in ("rows_read", "loaded", "rejected", "excluded")}


def for_chart(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with its (possibly ``[c]``) count columns as numbers, suppressed counts missing, for a chart."""
    return frame.assign(**{c: suppression.numeric(frame[c]) for c in columns if c in frame.columns})


def suppressed_note() -> str:
    """The sentence a caption adds for scrutiny ('' otherwise)."""
    return (" [c]: a count from 1 to 4, or one that would reveal such a count, is not shown (disclosure control); "
            "its point or segment is left out." if controlling() else "")


def ratio_table(result: RatioTable, key: str, label: str = "Group") -> None:
    """The table under a chart, with its download (CSV with the definitions stated)."""
    result = controlled(result)
    table(ratio_display(result, label), hide_index=True, width="stretch")
    download(result.csv_frame(), f"{key}.csv", export_notes(result), key=f"download-{key}",
             permission=access.EXACT_COUNTS if audience() == "analyst" else access.CONTROLLED_EXPORT)


def export_notes(result: RatioTable) -> list[str]:
    meta = result.metadata()
    notes = [
        "Youth Violence Disproportionality Monitor",
        f"Filters: {meta['filters']}",
        f"Numerator: {meta['numerator']}",
        f"Denominator: {meta['denominator']} (source: {meta['denominator_source']})",
        f"Reference group: {meta['reference_group']}; confidence level {format_confidence(meta['confidence'])}",
        f"Ethnicity: {meta['ethnicity_method']}",
        *([f"Concordance used: {json.dumps(meta['concordance'])}"] if meta.get("concordance") else []),
        f"Multiple comparisons: {meta['multiple_comparisons']}",
        *meta["notes"],
        *suppression.rules_text(audience()),
    ]
    return notes


def download(frame: pd.DataFrame, file_name: str, notes: list[str], key: str, label: str = "Download CSV", *,
             permission: str = access.EXACT_COUNTS) -> None:
    """A CSV download, offered only to roles with ``permission`` (default: exact counts) and audited."""
    download_file(label, lambda: exports.csv_bytes(frame, notes), file_name, "text/csv", key, kind="csv",
                  permission=permission, rows=len(frame))


def download_file(label: str, data: bytes | Callable[[], bytes], file_name: str, mime: str, key: str, *, kind: str,
                  permission: str, rows: int | None = None, action: str = "export", container=None, **button) -> None:
    """Every download goes through here (issue 6): a role without ``permission`` gets a note instead of the
    button (no data is sent), and the file is made only when the user clicks, in the same step that appends
    the audit record (who, role, what, filters, data version). If the record cannot be written, the download
    fails rather than go unrecorded."""
    where = container if container is not None else st
    role = auth.current().role
    if not access.can(role, permission):
        where.caption(f"Download not available to the {role or 'unassigned'} role "
                      f"({access.PERMISSION_TEXT[permission]}).")
        return
    entry = auth.audit_entry(action, what=file_name, kind=kind, rows=rows)
    log = auth.audit_log()

    def deliver() -> bytes:
        log.append(**entry)
        return data() if callable(data) else data

    where.download_button(label, deliver, file_name=file_name, mime=mime, key=key, on_click="ignore",
                          **({"icon": ":material/download:"} | button))


def dimension_names(names: str) -> str:
    """'area, age_band' -> 'district, age band': dimensions by their plain names."""
    return ", ".join(schema.DIMENSION_LABELS.get(n.strip(), n.strip()) for n in str(names).split(",") if n.strip())


def adjusted_table(adjusted: pd.DataFrame) -> None:
    """Crude beside Mantel–Haenszel adjusted ratios, with the homogeneity test."""
    table(pd.DataFrame({
        "Group": adjusted["group"],
        "Crude ratio": adjusted["crude_ratio"].round(2),
        "Crude interval": intervals(adjusted["crude_lower"], adjusted["crude_upper"]),
        "Adjusted ratio": adjusted["adjusted_ratio"].round(2),
        verdicts.interval_heading(adjusted.get("interval_level", pd.Series(dtype=float))):
            intervals(adjusted["adjusted_lower"], adjusted["adjusted_upper"]),
        "Adjusted for": adjusted["adjusted_for"].map(dimension_names),
        "Strata used": adjusted["strata_used"],
        "Homogeneity p": adjusted["homogeneity_p"].map(lambda p: "" if pd.isna(p) else f"{p:.3f}"),
        "Verdict": adjusted["verdict"].map(verdicts.label_of),
    }), hide_index=True, width="stretch")
    st.caption("A small homogeneity p-value means the ratio differs between strata (for example between districts): "
               "then read the split table rather than the single pooled figure.")


def method_note(result: RatioTable) -> None:
    """How these figures are calculated, in an expander beside the table."""
    meta = result.metadata()
    with st.expander("How these figures are calculated"):
        st.markdown(
            f"- **Numerator:** {meta['numerator']}.\n"
            f"- **Denominator:** {meta['denominator']}; source: {meta['denominator_source']}.\n"
            f"- **Methods:** rates use exact Poisson limits below 10 events and Byar's approximation from 10; "
            "population ratios use the exact conditional (binomial) interval; shares use Wilson score intervals; "
            "ratios of shares use the Koopman score interval.\n"
            f"- **Verdicts:** {meta['multiple_comparisons']}. A group is *higher* or *lower* than the reference "
            "when its adjusted p-value is at most q; otherwise *no clear difference*. The shown interval excludes 1 "
            f"exactly when the verdict is higher or lower; the unadjusted {format_confidence(meta['confidence'])} "
            "interval is beside it. A ratio withheld for few events keeps its verdict.\n"
            f"- **Ethnicity:** {meta['ethnicity_method']} "
            "A child's stated codes are the latest across their records.\n"
            + "".join(f"- {note}\n" for note in meta["notes"])
            + "".join(f"- {rule}\n" for rule in suppression.rules_text(audience()))
        )


def disclosure_rules(audience: str) -> list[str]:
    """The disclosure and reliability rules applied for ``audience`` (analyst, officer, scrutiny), as sentences."""
    return suppression.rules_text(audience)


def nothing_matches(filters: Filters) -> None:
    st.info("No records match these filters. Widen the date range or clear some filters (Reset all filters).")


def funnel_verdicts(points: pd.DataFrame) -> str:
    """The districts of a funnel whose verdict against the force average is higher or lower, in words ('' if
    none): 'higher: Norwich; lower: Breckland'."""
    if points.empty or "verdict" not in points.columns:
        return ""
    parts = []
    for verdict in (verdicts.Verdict.HIGHER, verdicts.Verdict.LOWER):
        labels = points.loc[points["verdict"] == str(verdict), "label"].astype(str).tolist()
        if labels:
            parts.append(f"{verdict.label.lower()}: {', '.join(labels)}")
    return "; ".join(parts)


def different_groups(result: RatioTable) -> list[str]:
    """The groups whose verdict is higher or lower, with the ratio where it is shown: 'Black 2.71× (higher)'."""
    rows = result.table[result.table["verdict"].map(verdicts.is_difference)]
    return [(f"{group} {float(ratio):.2f}× ({verdicts.label_of(verdict).lower()})" if pd.notna(ratio)
             else f"{group} ({verdicts.label_of(verdict).lower()}; ratio withheld: fewer than 5 events)")
            for group, ratio, verdict in zip(rows["group"], rows["ratio"], rows["verdict"], strict=True)]


