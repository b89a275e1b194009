"""Data quality: ethnicity completeness (role, district, month), self/officer agreement, rejected rows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import charts, schema
from ui import cached, render
from ui.page import setup
from ui.slicers import Uses

page = setup("Data quality", ":material/fact_check:",
             "How well is ethnicity recorded? Every ratio in this monitor depends on it: inspectors found most "
             "crime records lacked ethnicity.",
             uses=Uses(("counting_unit", "reference_group", "ethnicity_source"), partly=(
                 ("dates", "the rows rejected or excluded always cover the whole of the last load."),)))
filters, version = page.filters, page.version

with st.spinner("Computing recording quality…"):
    by_role = cached.completeness(filters, version, ("role",))
    by_area = cached.completeness(filters, version, ("area",))
    by_month = cached.completeness(filters, version, ("month", "role"))
    agreement = cached.agreement(filters, version)
    rejected = cached.load_report(version)

if by_role.empty:
    render.nothing_matches(filters)
    st.stop()

# Scrutiny: counts of 1-4, and whatever would reveal one (a share of a known total, a line's last hidden count),
# as [c] or left out; the agreement only where no count behind it is hidden. No-op for roles with exact counts.
by_role, by_area = render.controlled_completeness(by_role), render.controlled_completeness(by_area)
by_month = render.controlled_completeness(by_month, ("role",))
crosstab, agreement_shown = render.controlled_agreement(agreement)


def _count(value) -> str:
    return value if isinstance(value, str) else f"{int(value):,}"


def _share(value, digits: int = 0) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}%}"


def _in_role_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the product's order of roles (victims, suspects, offenders), each named as everywhere else."""
    order = pd.CategoricalDtype([schema.ROLE_NAMES[r] for r in schema.ROLES], ordered=True)
    return frame.assign(role=frame["role"].map(schema.ROLE_NAMES).astype(order)).sort_values("role", kind="stable")


by_role, by_month = _in_role_order(by_role), _in_role_order(by_month)
target = schema.ETHNICITY_COMPLETENESS_TARGET
target_text = f"{target:.0%}".replace("%", " %")
st.caption(f"Share of each role's records with self-defined ethnicity; below it, the distance from the "
           f"{target_text} target in percentage points.")
columns = st.columns(len(by_role))
for column, row in zip(columns, by_role.to_dict("records"), strict=True):
    share = row["self_share"]
    column.metric(f"{row['role']}: self-defined ethnicity", _share(share),
                  delta=None if pd.isna(share) else f"{100 * (share - target):+.0f} percentage points",
                  delta_color="normal",
                  help=f"{_count(row['self_stated'])} of {_count(row['records'])} {str(row['role']).lower()} "
                       f"records; target {target_text}; any ethnicity (self or officer): {_share(row['any_share'])}")

render.chart(
    charts.completeness_lines(render.for_chart(by_month.assign(stated=by_month["self_stated"],
                                                               share=by_month["self_share"]), ("stated", "records")),
                              "role", "Share of records with self-defined ethnicity, by month", target),
    "The dashed red line is the target. Victims' ethnicity is usually recorded less often than suspects'."
    + render.suppressed_note(),
    key="quality-monthly",
)


def _completeness_table(frame: pd.DataFrame, label: str, column: str, names: dict | None = None) -> pd.DataFrame:
    return pd.DataFrame({
        label: frame[column].map(names).fillna(frame[column]) if names else frame[column],
        "Records": render.counts(frame["records"]),
        "Self-defined stated": frame["self_share"].map(lambda v: _share(v, 1)),
        f"{render.format_confidence(filters.confidence)} CI": ["–" if pd.isna(lo) else f"{lo:.1%} to {hi:.1%}"
                     for lo, hi in zip(frame["self_lower"], frame["self_upper"], strict=True)],
        "Any ethnicity stated": frame["any_share"].map(lambda v: _share(v, 1)),
        "Meets target": frame["meets_target"].map(render.yes_no),
    })


st.header("By role")  # counts read 6,396, not 6396 (render.table: whole_number_formats)
render.table(_completeness_table(by_role, "Role", "role"), hide_index=True, width="stretch")
st.header("By district")
render.table(_completeness_table(by_area, "District", "area", page.area_names), hide_index=True, width="stretch")
if render.controlling():
    st.caption("[c]: a count from 1 to 4, or one that would reveal such a count, is not shown (disclosure control); "
               "–: the share is not shown because its count is not.")

st.header("Self-defined against officer-defined ethnicity")
left, right = st.columns([1.2, 1])
with left:
    render.chart(charts.agreement_heatmap(crosstab, "Records by self-defined and officer-defined group"),
                 "Rows: what the child said; columns: what the officer recorded. Officers have no code for Mixed, so "
                 "Mixed children are always recorded as another group." + render.suppressed_note(),
                 key="quality-agreement", width=render.HALF_WIDTH)
with right:
    if not agreement_shown:
        st.info("Agreement and kappa are not shown for this selection: a count in the table behind them is "
                "suppressed (disclosure control).")
    else:
        both = "" if render.controlling() else f"{agreement.agreeing:,} of {agreement.both_stated:,} records; "
        st.metric("Agreement where both are recorded", f"{agreement.agreement.estimate:.1%}",
                  help=f"{both}Wilson interval {agreement.agreement.lower:.1%} to {agreement.agreement.upper:.1%}")
        st.metric("Cohen's kappa", f"{agreement.kappa:.2f}",
                  help=f"Agreement beyond chance (chance agreement {agreement.expected_agreement:.1%}). "
                       "Above 0.8 is usually read as strong agreement.")
        st.markdown(agreement.describe())

st.header("Concordance used to reallocate children without a self-defined code")
st.markdown("By default each table reallocates a child who has only an officer-defined code across the self-defined "
            "groups in these proportions, observed among the children of the selection with both codes (a district's "
            "own row where it has at least 30 such children for the code). Children with neither code stay "
            "Not stated.")
if render.audience() == "analyst":
    concordance = cached.concordance(filters, version)
    concordance = concordance.assign(stratum=concordance["stratum"].map(
        {"selection": "Whole selection", **page.area_names}).fillna(concordance["stratum"]))
    render.table(concordance.rename(columns={"stratum": "District (or whole selection)",
                                             "officer_group": "Officer-defined", "children": "Children with both"})
                 .rename_axis(columns=None),
                 hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in concordance.columns
                                if c.endswith("%")})
else:
    st.caption("The concordance table (exact counts of children) is shown to analysts.")

st.header("Rows rejected or excluded at the last load")
meta = page.publication
problems, shown = render.controlled_load_report(rejected[rejected["kind"] != "loaded"], meta)
st.markdown(f"Rows read **{_count(shown['rows_read'])}** = loaded **{_count(shown['loaded'])}** + rejected "
            f"**{_count(shown['rejected'])}** + excluded (aged 18 or over) **{_count(shown['excluded'])}**.")
if problems.empty:
    st.success("No rows were rejected or excluded.")
else:
    render.table(problems.assign(rows=render.counts(problems["rows"]))
                 .rename(columns={"kind": "Kind", "reason": "Reason", "rows": "Rows"}),
                 hide_index=True, width="stretch")
    render.download(problems, "load-rejections.csv", [f"Data version {version}", f"Source file {meta['source_file']}"],
                    key="download-rejections")
