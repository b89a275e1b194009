"""Converter for DfE's "exclusions by characteristic" open data layout (explore-education-statistics).

A force drops in the real download (``exc_characteristics.csv`` of "Suspensions and permanent exclusions in
England"): one row per time period, geography, school type and pupil characteristic, with the columns
``time_period, time_identifier, geographic_level, ..., new_la_code, la_name, school_type, characteristic_group,
characteristic, headcount, perm_excl, perm_excl_rate, susp, susp_rate, one_plus_susp, one_plus_susp_rate``.
The converter keeps the local-authority rows (all school types) of the ethnicity major groups and the total,
and writes one contract row (``partners.contract.INDICATOR_COLUMNS``) per measure: ``perm_excl``,
``susp`` and ``one_plus_susp`` over ``headcount``. ``c`` stays ``c`` (suppressed, never zero); ``x`` and
``z`` are passed through and rejected with their reason by the loader. DfE's separate "Chinese" major group
is added to Asian (the ONS 2021 groups); a sum with a ``c`` part is ``c``. Academic year ``202223`` is
1 September 2022 to 31 August 2023.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from analytics import schema
from analytics.load import LoadError, normalise_column_name
from analytics.partners.contract import INDICATOR_COLUMNS, TOTAL_GROUP
from analytics.partners.read import read_partner_csv

DFE_REQUIRED: tuple[str, ...] = ("time_period", "geographic_level", "new_la_code", "la_name", "characteristic",
                                 "headcount", "perm_excl", "susp")
DFE_OPTIONAL: tuple[str, ...] = ("time_identifier", "school_type", "characteristic_group", "one_plus_susp",
                                 "old_la_code", "perm_excl_rate", "susp_rate", "one_plus_susp_rate")
DFE_SOURCE = "DfE Suspensions and permanent exclusions in England: exclusions by characteristic"
DFE_LICENCE = "Open Government Licence v3.0"
#: DfE characteristic (lower case, spaces collapsed) -> the monitor's group.
DFE_CHARACTERISTICS = {
    "ethnicity major white total": "White",
    "ethnicity major black total": "Black",
    "ethnicity major asian total": "Asian",
    "ethnicity major mixed total": "Mixed",
    "ethnicity major any other ethnic group": "Other",
    "ethnicity major chinese": "Asian",  # DfE's separate Chinese group is Asian in the ONS 2021 groups
    "ethnicity major unclassified": schema.NOT_STATED,
    "total": TOTAL_GROUP,
}
#: DfE count column -> contract measure.
DFE_MEASURES = {"perm_excl": "permanent_exclusion", "susp": "suspension", "one_plus_susp": "one_plus_suspension"}
LOCAL_AUTHORITY = "local authority"
ALL_SCHOOLS = ("total", "state-funded total", "")


@dataclass(frozen=True)
class Conversion:
    out: Path
    rows_read: int
    written: int
    skipped: dict[str, int]

    def report(self) -> str:
        lines = [f"Converted {self.rows_read:,} DfE rows to {self.written:,} contract rows ({self.out.name})"]
        lines += [f"  skipped: {reason}: {count:,}" for reason, count in sorted(self.skipped.items())]
        return "\n".join(lines)


def academic_year(time_period: str) -> tuple[date, date] | None:
    """``202223`` -> (2022-09-01, 2023-08-31); None if not an academic year code."""
    text = time_period.strip()
    if len(text) != 6 or not text.isdigit() or (int(text[:4]) + 1) % 100 != int(text[4:]):
        return None
    start = int(text[:4])
    return date(start, 9, 1), date(start + 1, 8, 31)


def convert_dfe(source: str | Path, out: str | Path) -> Conversion:
    """Write the contract file for a DfE exclusions-by-characteristic download; ``LoadError`` if the file is
    not in that layout. Rows the monitor does not use are counted by reason, never silently."""
    parsed = read_partner_csv(Path(source), DFE_REQUIRED, DFE_OPTIONAL)
    skipped: dict[str, int] = {}
    cells: dict[tuple[str, str, str, date, date], tuple[list[str], list[str]]] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for _, fields, _ in parsed.rows:
        if fields is None:
            skip("wrong number of fields")
            continue
        if fields["geographic_level"].strip().lower() != LOCAL_AUTHORITY:
            skip("not a local-authority row (national or regional)")
            continue
        if fields.get("school_type", "").strip().lower() not in ALL_SCHOOLS:
            skip("one school type (the total over school types is used)")
            continue
        group = DFE_CHARACTERISTICS.get(" ".join(fields["characteristic"].lower().split()))
        if group is None:
            skip("not an ethnicity major group or the total")
            continue
        period = academic_year(fields["time_period"])
        if period is None:
            skip("time_period is not an academic year such as 202223")
            continue
        for column, measure in DFE_MEASURES.items():
            if column in fields:
                key = (measure, fields["new_la_code"].strip(), group, *period)
                numerators, denominators = cells.setdefault(key, ([], []))
                numerators.append(fields[column].strip())
                denominators.append(fields["headcount"].strip())
    written = []
    for (measure, area, group, start, end), (numerators, denominators) in cells.items():
        numerator = _sum(numerators)
        written.append({
            "source": DFE_SOURCE, "measure": measure, "area_code": area, "period_start": start.isoformat(),
            "period_end": end.isoformat(), "age_band": "all", "ethnic_group": group, "numerator": numerator,
            "denominator": _sum(denominators), "suppressed": "true" if numerator == "c" else "false",
            "licence": DFE_LICENCE,
        })
    if not written:
        raise LoadError(f"{parsed.path.name}: no local-authority ethnicity rows in the DfE layout to convert")
    out = Path(out)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(INDICATOR_COLUMNS))
        writer.writeheader()
        writer.writerows(written)
    return Conversion(out, len(parsed.rows), len(written), skipped)


def _sum(parts: list[str]) -> str:
    """The sum of DfE count cells as text: a mark (c, x, z) or a non-number part makes the sum that part."""
    if len(parts) == 1:
        return parts[0]
    for part in parts:
        if not part.replace(",", "").isdigit():
            return part.lower() if part.lower() in ("c", "x", "z") else part
    return str(sum(int(p.replace(",", "")) for p in parts))


def looks_like_dfe(path: str | Path) -> bool:
    """Whether a CSV's header has the DfE layout's required columns."""
    with Path(path).open("r", encoding="utf-8-sig", newline="") as handle:
        header = {normalise_column_name(c) for c in next(csv.reader(handle), [])}
    return set(DFE_REQUIRED) <= header
