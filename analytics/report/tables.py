"""The pack's tables as text cells, ready for the ``table`` macro of the templates.

Count tables carry what a checker needs to rebuild them from the HTML (``data-counts``): cells of class
``n`` are counts, the row of class ``total`` and the header of class ``total`` are the published totals
(``tests/test_report.py`` rebuilds every such table and checks no suppressed cell can be recovered).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import geography, narrative, periods, schema, suppression, trends, verdicts
from analytics.filters import format_confidence
from analytics.narrative import Finding
from analytics.report.data import ROLE_PLURAL, MarkerRates, MonthCompleteness, PackData, RatioResult
from analytics.report.formatting import (
    DASH,
    count_text,
    estimate,
    interval,
    mark,
    month_label,
    num,
    p_text,
    reliability_note,
    verdict_text,
)


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    classes: tuple[str, ...]  # one per cell
    css: str = ""  # "sig" for a significant row, "total" for the total row

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.cells, self.classes, strict=True))


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    caption: str = ""
    counts: bool = False  # a count table (data-counts), with its totals named
    total_row: str | None = None
    total_col: str | None = None


def row(cells: Iterable[object], classes: Sequence[str], css: str = "") -> Row:
    return Row(tuple(str(c) for c in cells), tuple(classes), css)


# --------------------------------------------------------------------------------------------
# Rate and ratio tables (roles, outcome 22, markers, stop and search)
# --------------------------------------------------------------------------------------------
def ratio_table(data: PackData, table: pd.DataFrame, raw: pd.DataFrame, unit: str, caption: str, count_label: str,
                denominator_label: str, total_label: str, denominator_is_count: bool = False) -> Table:
    """A published rate/ratio table with its total row; the reference row is read from ``raw``."""
    conf = format_confidence(data.confidence)
    rate_label = f"Share, % ({conf} CI)" if unit == "%" else f"Rate {unit} ({conf} CI)"
    ratio_label = f"Ratio ({verdicts.interval_heading(table['interval_level']).lower()})"
    headers = ("Group", count_label, denominator_label, rate_label, ratio_label, "Verdict", "Note")
    rows = ratio_rows(table, raw, unit, total_label, denominator_is_count)
    return Table(headers, rows, caption, counts=True, total_row=total_label)


def ratio_rows(table: pd.DataFrame, raw: pd.DataFrame, unit: str, total_label: str,
               denominator_is_count: bool = False) -> tuple[Row, ...]:
    digits = 1 if unit == "%" else 2
    classes = ("label", "n", "n" if denominator_is_count else "", "ci", "ci", "", "note")
    rows = []
    for (_, shown), (_, raw_row) in zip(table.iterrows(), raw.iterrows(), strict=True):
        group, rel = shown["group"], shown["reliability"]
        is_ref = bool(raw_row["is_reference"])
        if group == schema.NOT_STATED and not denominator_is_count:
            denominator = DASH
            rate = f"{num(shown['rate'], 1)} % of all" if pd.notna(shown["rate"]) else DASH
        else:
            denominator = count_text(shown["denominator"])
            rate = estimate(shown["rate"], shown["rate_lower"], shown["rate_upper"], rel, digits)
        ratio = "reference" if is_ref else estimate(shown["ratio"], shown["ratio_lower"], shown["ratio_upper"], rel)
        cells = [f"{group} (reference)" if is_ref else str(group), count_text(shown["events"]), denominator, rate,
                 ratio, DASH if is_ref else verdict_text(shown["verdict"]), reliability_note(rel)]
        rows.append(row(cells, classes, "sig" if verdicts.is_difference(shown.get("verdict")) else ""))
    totals = table.attrs.get("suppressed_totals", {})
    hidden = totals.get("overall") or bool(totals.get("splits"))
    events_total: int | str = suppression.SUPPRESSED if hidden else int(raw["events"].sum())
    den_total: int | str = DASH
    rate_total = ""
    if denominator_is_count:
        den_total = suppression.SUPPRESSED if hidden else int(raw["denominator"].sum())
        if not hidden and raw["denominator"].sum():
            rate_total = f"{100 * raw['events'].sum() / raw['denominator'].sum():.1f}"
    rows.append(row([total_label, count_text(events_total), count_text(den_total), rate_total, "", "", ""], classes,
                    "total"))
    return tuple(rows)


def role_tables(data: PackData) -> list[Table]:
    unit = schema.COUNTING_UNITS[data.filters.counting_unit]
    return [ratio_table(data, ratios.published, ratios.current.table, periods.RATE_UNIT,
                        f"{role.capitalize()}s: {rate_period_label(data, ratios.current)}", unit, "Population",
                        f"All {role}s")
            for role, ratios in data.roles.items()]


def outcome22_table(data: PackData) -> Table:
    role_text = " or ".join(ROLE_PLURAL[r] for r in data.outcome22.roles)
    crude = data.outcome22.crude
    cases = schema.DECISION_DENOMINATOR_SHORT[crude.decision_denominator]
    return ratio_table(data, data.outcome22.published, crude.table, "%",
                       f"{cases[0].upper()}{cases[1:]} of child {role_text}: {data.period_label}", "Outcome 22",
                       "Cases", "All groups", denominator_is_count=True)


def marker_tables(data: PackData, role: str, rates: MarkerRates) -> list[Table]:
    """One table per marker: its rows of the published table, with that marker's hidden total."""
    unit = schema.COUNTING_UNITS[data.filters.counting_unit]
    table, raw_all = rates.published, rates.rates.table
    out = []
    for marker in table["split"].unique():
        part = table[table["split"] == marker].reset_index(drop=True)
        hidden = [s for s in table.attrs["suppressed_totals"]["splits"] if s == marker]
        part.attrs = {"suppressed_totals": {"splits": hidden, "overall": False}}
        raw = raw_all[raw_all["split"] == marker].reset_index(drop=True)
        out.append(ratio_table(data, part, raw, periods.RATE_UNIT,
                               f"{role.capitalize()}s: {marker}, {rate_period_label(data, rates.rates)}",
                               unit, "Population", f"All {role}s, {marker.split(' (')[0].lower()}"))
    return out


SEARCH_CAPTIONS = {  # measure: (caption, unit, count, denominator, total)
    "rate": ("Searches per 1,000 children aged 10-17 per year, {period}", periods.RATE_UNIT, "Searches",
             "Children 10-17",
             "All searches of children"),
    "find": ("Searches leading to action, {period}", "%", "Led to action", "Outcome recorded",
             "All searches with an outcome"),
}


def search_table(data: PackData, measure: str, result: RatioResult, published: pd.DataFrame) -> Table:
    caption, unit, count_label, denominator_label, total_label = SEARCH_CAPTIONS[measure]
    return ratio_table(data, published, result.table, unit, caption.format(period=rate_period_label(data, result)),
                       count_label,
                       denominator_label, total_label, denominator_is_count=measure == "find")


def rate_period_label(data: PackData, result: object) -> str:
    """The period a rate table covers, e.g. '1 Nov 2025 to 31 Oct 2026, 12 months' (the pack's 12 months cut
    to the data), else the pack's period."""
    period = getattr(result, "period", None)
    return period.label if isinstance(period, periods.Period) else data.period_label


# --------------------------------------------------------------------------------------------
# Other tables
# --------------------------------------------------------------------------------------------
def month_on_month_table(data: PackData) -> Table:
    counts, shown = data.month_on_month.counts, data.month_on_month.shown
    unit = schema.COUNTING_UNITS[data.base_filters.counting_unit]
    rows = []
    for role in counts.index:
        now, before = counts.loc[role, "this_month"], counts.loc[role, "previous_month"]
        hidden = suppression.SUPPRESSED in (shown.loc[role, "this_month"], shown.loc[role, "previous_month"])
        change = DASH if hidden or before == 0 else f"{100 * (now - before) / before:+.0f} %"
        rows.append(row([role.capitalize() + "s", shown.loc[role, "this_month"], shown.loc[role, "previous_month"],
                         change], ("label", "n", "n", "")))
    headers = ("Role", month_label(data.month), month_label(trends.months_back(data.month, 1)), "Change")
    return Table(headers, tuple(rows), f"{unit} recorded in each role, by month", counts=True)


def what_changed_table(data: PackData) -> Table:
    """The latest complete month against the month before and a year earlier (``analytics.change``): counts (as
    published: 1-4 hidden for scrutiny, with the figures built on them), the change, its test and the verdict."""
    table = data.what_changed
    rows = []
    for r in table.itertuples():
        hidden = data.suppressing and any(0 < int(n) < schema.SUPPRESSION_THRESHOLD for n in (r.now, r.before))
        digits = 1 if r.unit == "%" else 2
        now_value = DASH if hidden or pd.isna(r.now_value) else num(r.now_value, digits)
        then_value = DASH if hidden or pd.isna(r.before_value) else num(r.before_value, digits)
        rows.append(row([
            r.measure, r.comparison,
            f"{month_label(r.month)} ({_published_count(int(r.now), data.suppressing)})",
            f"{month_label(r.earlier_month)} ({_published_count(int(r.before), data.suppressing)})",
            now_value, then_value, DASH if hidden or pd.isna(r.ratio) else num(r.ratio),
            DASH if pd.isna(r.p_adjusted) else p_text(r.p_adjusted), verdict_text(r.verdict),
        ], ("label", "", "", "", "", "", "", "", ""), "sig" if verdicts.is_difference(r.verdict) else ""))
    maturity = data.maturity
    incomplete = (f" Months from {maturity.first_incomplete_month:%B %Y} are incomplete for offenders and outcomes "
                  f"(under the {maturity.follow_up_days}-day follow-up) and are not compared."
                  if maturity is not None and _incomplete_by(maturity, data.month) else "")
    # nine columns (eleven ran off the PDF page): each month with its count in brackets, units in the caption
    return Table(("Measure", "Compared with", "Latest complete month (count)", "Earlier month (count)", "Now", "Then",
                  "Change (ratio)", "Adjusted p", "Verdict"), tuple(rows),
                 f"Now and Then: rates {periods.RATE_UNIT} over each month's days (exact conditional test of two "
                 "Poisson counts), or outcome 22 shares, % of concluded suspect records in the cohort (Fisher's exact "
                 "test); each month's count in brackets; "
                 f"verdicts adjusted for every comparison in the table.{incomplete}", counts=True)


def _incomplete_by(maturity: object, month: object) -> bool:
    """Whether the pack's month reaches the incomplete months."""
    first = getattr(maturity, "first_incomplete_month", None)
    return first is not None and first <= month


def _published_count(n: int, suppressing: bool) -> str:
    return suppression.SUPPRESSED if suppressing and 0 < n < schema.SUPPRESSION_THRESHOLD else count_text(n)


def outcome22_adjusted_table(data: PackData) -> Table:
    """Crude and Mantel–Haenszel adjusted ratios side by side, with the homogeneity test and the pack's verdict."""
    published = data.outcome22.published.set_index("group")
    format_confidence(data.confidence)
    rows = []
    for _, adjusted in data.outcome22.adjusted.iterrows():
        group = adjusted["group"]
        finding = _finding(data.findings, "outcome22", ("outcome22", group))
        suppressed = bool(published.loc[group, "suppressed"]) if group in published.index else False
        hidden = suppressed or finding is None or not np.isfinite(finding.ratio)
        dagger = mark(finding.reliability) if finding else ""
        crude_ratio, crude_interval = DASH, DASH
        if group in published.index and pd.notna(published.loc[group, "ratio"]):
            crude = published.loc[group]
            crude_ratio = num(crude["ratio"]) + dagger
            crude_interval = interval(crude["ratio_lower"], crude["ratio_upper"])
        verdict = DASH if finding is None else verdict_text(finding.verdict)
        rows.append(row([
            group, crude_ratio, crude_interval,
            DASH if hidden else num(adjusted["adjusted_ratio"]) + dagger,
            DASH if hidden else interval(adjusted["adjusted_lower"], adjusted["adjusted_upper"]),
            DASH if hidden or pd.isna(adjusted["homogeneity_p"]) else p_text(adjusted["homogeneity_p"]),
            verdict,
        ], ("label", "", "", "", "", "", ""), "sig" if finding and finding.is_difference else ""))
    return Table(("Group", "Crude ratio", "Interval (adjusted)", "Adjusted ratio", "Interval (adjusted)",
                  "Homogeneity p", "Verdict"), tuple(rows),
                 f"Outcome 22 ratio to {data.reference_group}: crude and Mantel–Haenszel adjusted for offence group "
                 "and age band")


def _finding(findings: Iterable[Finding], kind: str, key: tuple[str, ...]) -> Finding | None:
    return next((f for f in findings if f.kind == kind and f.key == key), None)


def district_codes(data: PackData) -> list[str]:
    """The districts of the published grid, by name."""
    return sorted(data.districts.published["split"].unique(), key=data.districts.name)


def district_grid_table(data: PackData) -> Table:
    """Children of each stated group by district, with the published totals."""
    districts = data.districts
    grid = districts.published
    raw = districts.rates.table
    raw = raw[raw["group"].isin(schema.ETHNIC_GROUPS)].reset_index(drop=True)
    hidden = grid.attrs.get("suppressed_totals", {})
    groups = list(schema.ETHNIC_GROUPS)
    classes = ["label"] + ["n"] * (len(groups) + 1)
    rows = []
    for code in district_codes(data):
        part = grid[grid["split"] == code].set_index("group")
        cells = [districts.name(code)] + [count_text(part.loc[g, "events"]) if g in part.index else "0" for g in groups]
        rows.append(row([*cells, count_text(districts.totals.get(code, 0))], classes))
    column_sums = raw.groupby("group")["events"].sum()
    hidden_groups = set(hidden.get("groups", []))
    total_cells = ["All districts"] + [
        suppression.SUPPRESSED if g in hidden_groups else count_text(int(column_sums.get(g, 0))) for g in groups]
    total_cells.append(suppression.SUPPRESSED if hidden.get("overall") else count_text(int(raw["events"].sum())))
    rows.append(row(total_cells, classes, "total"))
    return Table(("District", *groups, "All stated"), tuple(rows),
                 f"Child {ROLE_PLURAL[districts.role]} by district and ethnic group, {data.period_label}",
                 counts=True, total_row="All districts", total_col="All stated")


def district_focus_table(data: PackData) -> Table:
    """The focus group's rate and ratio in each district."""
    districts, conf = data.districts, format_confidence(data.confidence)
    grid, focus = districts.published, districts.focus_group
    rows = []
    for code in district_codes(data):
        match = grid[(grid["split"] == code) & (grid["group"] == focus)]
        if match.empty:
            continue
        shown = match.iloc[0]
        rel = shown["reliability"]
        rows.append(row([
            districts.name(code), count_text(shown["events"]),
            estimate(shown["rate"], shown["rate_lower"], shown["rate_upper"], rel),
            estimate(shown["ratio"], shown["ratio_lower"], shown["ratio_upper"], rel),
            verdict_text(shown["verdict"]), reliability_note(rel),
        ], ("label", "n", "ci", "ci", "", "note"), "sig" if verdicts.is_difference(shown["verdict"]) else ""))
    ratio_label = f"Ratio ({verdicts.interval_heading(grid['interval_level']).lower()})"
    return Table(("District", focus, f"Rate {periods.RATE_UNIT} ({conf} CI)", ratio_label, "Verdict", "Note"),
                 tuple(rows),
                 f"{focus} to {data.reference_group} ratio by district, child {ROLE_PLURAL[districts.role]}, "
                 f"{rate_period_label(data, districts.rates)}",
                 counts=True)


def funnel_position(outside_95: bool, outside_998: bool, above: bool) -> str:
    if outside_998:
        return "outside the 99.8 % limits" + (" (above)" if above else " (below)")
    if outside_95:
        return "outside the 95 % limits" + (" (above)" if above else " (below)")
    return "within the limits"


def funnel_table(data: PackData) -> Table:
    """Each district's rate of children in the district role and where it sits on the funnel plot."""
    districts = data.districts
    funnel, totals = districts.funnel, districts.totals
    rows = []
    for r in geography.funnel_points(funnel.points.sort_values("label")):
        shown = totals.get(r.area_code, r.events)
        hidden = shown == suppression.SUPPRESSED or (data.suppressing and r.area_code not in totals)
        value = f"{r.value:.2f}{mark(suppression.reliability(int(r.events)))}"
        position = funnel_position(r.outside_95, r.outside_998, r.value > funnel.centre)
        rows.append(row([r.label, count_text(shown), f"{int(r.n):,}", DASH if hidden else value,
                         DASH if hidden else position, DASH if hidden else verdict_text(r.verdict)],
                        ("label", "n", "", "", "", ""), "sig" if verdicts.is_difference(r.verdict) else ""))
    return Table(("District", "Children", "Population", "Per 1,000 per year", "Funnel plot",
                  "Against the force average"), tuple(rows),
                 f"Child {ROLE_PLURAL[districts.role]} {periods.RATE_UNIT} by district, "
                 f"{rate_period_label(data, districts.rates)} (force average {funnel.centre:.2f})", counts=True)


def trend_table(data: PackData) -> Table:
    """Each group's ratio now against a year earlier, with the test of the change."""
    conf = format_confidence(data.confidence)
    rows = []
    for role, ratios in data.roles.items():
        previous = ratios.previous_published.set_index("group")
        for _, now in ratios.published.iterrows():
            group = now["group"]
            if group in (schema.NOT_STATED, data.reference_group):
                continue
            before = previous.loc[group] if group in previous.index else None
            finding = _finding(data.findings, "role", (role, group))
            p = float("nan")
            if before is not None and pd.notna(now["ratio"]) and pd.notna(before["ratio"]):
                p = narrative.change_test((now["ratio"], now["ratio_lower_unadjusted"], now["ratio_upper_unadjusted"]),
                                          (before["ratio"], before["ratio_lower_unadjusted"],
                                           before["ratio_upper_unadjusted"]), data.confidence)
            before_ratio, before_interval = DASH, DASH
            if before is not None:
                before_interval = interval(before["ratio_lower_unadjusted"], before["ratio_upper_unadjusted"])
                if pd.notna(before["ratio"]):
                    before_ratio = num(before["ratio"]) + mark(before["reliability"])
            rows.append(row([
                f"{role.capitalize()}s · {group}",
                num(now["ratio"]) + mark(now["reliability"]) if pd.notna(now["ratio"]) else DASH,
                interval(now["ratio_lower_unadjusted"], now["ratio_upper_unadjusted"]), before_ratio, before_interval,
                DASH if not np.isfinite(p) else p_text(p),
            ], ("label", "", "", "", "", ""), "sig" if finding and finding.is_difference else ""))
    previous_label = f"12 months to {trends.months_back(data.month, 12):%B %Y}"
    maturity = data.maturity
    incomplete = (f" Offenders: months from {maturity.first_incomplete_month:%B %Y} are incomplete (cases still "
                  "concluding), so the latest offender ratios rest on fewer offenders."
                  if maturity is not None and _incomplete_by(maturity, data.month) and "offender" in data.roles else "")
    return Table(("Role · group", "Ratio now", f"{conf} CI", "A year earlier", f"{conf} CI", "Change p"), tuple(rows),
                 f"Ratio to {data.reference_group}: {data.period_label} against the {previous_label}.{incomplete}")


def completeness_table(month: MonthCompleteness) -> Table:
    """Records made in one month with self-defined ethnicity stated, by role."""
    grid, shown = month.grid, month.shown
    rows = []
    for role in shown.index:
        hidden = suppression.SUPPRESSED in (shown.loc[role, "Stated"], shown.loc[role, "Records"])
        records = grid.loc[role, "Records"]
        share = DASH if hidden or records == 0 else f"{100 * grid.loc[role, 'Stated'] / records:.1f} %"
        name = role.capitalize() + "s" if role in schema.ROLES else role
        rows.append(row([name, shown.loc[role, "Stated"], shown.loc[role, "Not stated"], shown.loc[role, "Records"],
                         share], ("label", "n", "n", "n", ""), "total" if role == "All roles" else ""))
    return Table(("Role", "Stated", "Not stated", "Records", "Self-defined stated"), tuple(rows),
                 f"Records made in {month_label(month.month)}: self-defined ethnicity", counts=True,
                 total_row="All roles", total_col="Records")
