"""The partner data contracts (issue 17): aggregate indicators and person-level flags.

Pure Python: the column lists, the code lists, and the row checks that give each rejected row its reason.
``validate_indicators``/``validate_flags`` take the rows of a CSV as text and return the loaded rows (typed)
and the rejected rows (with the line number, the reason and the raw text). Nothing here touches a database.

Aggregate indicators (one row per source, measure, area, period, age band and ethnic group)::

    source, measure, area_code, period_start, period_end, age_band, ethnic_group, numerator, denominator,
    suppressed, licence

A suppressed cell (``c`` in the numerator or denominator, as DfE and MoJ publish them, or ``suppressed`` true)
is kept as suppressed: its counts are stored as missing, never as zero.

Person-level flags (one row per child, flag and period)::

    person_id | person_ref, flag, flag_start, flag_end, ethnic_group (optional), source (optional)

``person_ref`` is hashed with the shared key exactly as the crime loader hashes it (``load.pseudonymise``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from analytics import schema

if TYPE_CHECKING:  # pandas is imported where a frame is built: the flags' child reader never needs it
    import pandas as pd

INDICATOR_COLUMNS: tuple[str, ...] = (
    "source", "measure", "area_code", "period_start", "period_end", "age_band", "ethnic_group",
    "numerator", "denominator", "suppressed", "licence",
)
#: Measure -> (label, what the numerator counts, what the denominator counts).
MEASURES = MappingProxyType({
    "permanent_exclusion": ("Permanent exclusion rate", "pupils permanently excluded", "pupils on roll"),
    "suspension": ("Suspension rate", "suspensions", "pupils on roll"),
    "one_plus_suspension": ("Pupils with one or more suspensions", "pupils suspended at least once",
                            "pupils on roll"),
    "first_time_entrant": ("First-time entrants to the youth justice system", "children entering the youth "
                           "justice system for the first time", "children aged 10-17 in the population"),
})
#: The partner ratios shown beside the police ratio (issue 17, part 2), in this order.
OVERLAY_MEASURES: tuple[str, ...] = ("permanent_exclusion", "suspension", "first_time_entrant")
#: Norfolk's upper-tier local authority (county council): the geography DfE and the YJB publish at.
UPPER_TIER_AREAS = MappingProxyType({"E10000020": "Norfolk"})
AGE_BANDS: tuple[str, ...] = ("all", "10-17", "10-13", "14-15", "16-17")
TOTAL_GROUP = "Total"
ETHNIC_GROUPS: tuple[str, ...] = (*schema.ETHNIC_GROUPS_WITH_NOT_STATED, TOTAL_GROUP)
#: What DfE and MoJ print in place of a count: c = confidential (suppressed). x (not available) and z (not
#: applicable) are not counts either and are rejected.
SUPPRESSED_MARK = "c"
UNAVAILABLE_MARKS = MappingProxyType({"x": "not available", "z": "not applicable", "u": "low reliability"})

FLAGS: tuple[str, ...] = ("known_to_yjs", "excluded", "child_in_need", "looked_after")
FLAG_LABELS = MappingProxyType({
    "known_to_yjs": "Known to the youth justice service", "excluded": "Excluded from school",
    "child_in_need": "Child in need", "looked_after": "Looked after",
})
FLAG_COLUMNS: tuple[str, ...] = ("person_id", "flag", "flag_start", "flag_end")
FLAG_OPTIONAL_COLUMNS: tuple[str, ...] = ("ethnic_group", "source")

_WHOLE = re.compile(r"^[+]?[0-9]+(\.0*)?$")


@dataclass(frozen=True)
class Checked:
    """The rows of one file after the row checks: loaded (typed) and rejected (line, reason, raw text)."""

    loaded: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def reasons(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.rejected["reason"].value_counts().items()} if len(self.rejected) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _count(text: str, name: str) -> tuple[int | None, bool, str | None]:
    """(value, suppressed, reason): a whole number, ``c`` (suppressed) or a reason for rejecting the row."""
    lowered = text.lower()
    if lowered == SUPPRESSED_MARK:
        return None, True, None
    if lowered in UNAVAILABLE_MARKS:
        return None, False, f"{name} is {lowered} ({UNAVAILABLE_MARKS[lowered]}), not a count"
    if text == "":
        return None, False, f"{name} missing"
    if not _WHOLE.match(text):
        return None, False, f"{name} is not a whole number"
    return int(float(text)), False, None


def _boolean(text: str) -> bool | None:
    lowered = text.lower()
    if lowered in schema.TRUE_VALUES:
        return True
    if lowered in schema.FALSE_VALUES:
        return False
    return None


def indicator_row(raw: dict[str, str], areas: Iterable[str]) -> tuple[dict[str, Any] | None, str | None]:
    """One indicator row checked: (typed row, None) or (None, reason)."""
    row = {c: _text(raw.get(c)) for c in INDICATOR_COLUMNS}
    if not row["source"]:
        return None, "source missing"
    measure = row["measure"].lower()
    if measure not in MEASURES:
        return None, "unknown measure (expected one of " + ", ".join(MEASURES) + ")"
    area = row["area_code"].upper()
    if not area:
        return None, "area_code missing"
    if area not in set(areas) and area not in UPPER_TIER_AREAS:
        return None, "unknown area_code (not a district of the population table or the upper-tier authority)"
    start, end = parse_date(row["period_start"]), parse_date(row["period_end"])
    if not row["period_start"] or not row["period_end"]:
        return None, "period_start or period_end missing"
    if start is None or end is None:
        return None, "period_start or period_end is not a valid YYYY-MM-DD date"
    if end < start:
        return None, "period_end is before period_start"
    band = row["age_band"].lower() or ""
    if band not in AGE_BANDS:
        return None, "unknown age_band (expected one of " + ", ".join(AGE_BANDS) + ")"
    group = next((g for g in ETHNIC_GROUPS if g.lower() == row["ethnic_group"].lower()), None)
    if group is None:
        return None, "unknown ethnic_group (expected one of " + ", ".join(ETHNIC_GROUPS) + ")"
    numerator, numerator_c, reason = _count(row["numerator"], "numerator")
    if reason and not (row["numerator"] == "" and _boolean(row["suppressed"])):
        return None, reason
    denominator, denominator_c, reason = _count(row["denominator"], "denominator")
    if reason:
        return None, reason
    flag = _boolean(row["suppressed"])
    if flag is None:
        return None, "suppressed is not true or false"
    if flag and numerator is not None and denominator is not None:
        return None, "suppressed is true but both counts are given (a suppressed cell carries c)"
    suppressed = flag or numerator_c or denominator_c
    if denominator == 0:
        return None, "denominator is zero"
    if numerator is not None and denominator is not None and numerator > denominator and measure != "suspension":
        return None, "numerator exceeds denominator"
    if not row["licence"]:
        return None, "licence missing"
    return {
        "source": row["source"], "measure": measure, "area_code": area, "period_start": start, "period_end": end,
        "age_band": band, "ethnic_group": group,
        "numerator": None if suppressed else numerator, "denominator": denominator,
        "suppressed": bool(suppressed), "licence": row["licence"],
    }, None


INDICATOR_KEY: tuple[str, ...] = ("source", "measure", "area_code", "period_start", "period_end", "age_band",
                                  "ethnic_group")


def validate_indicators(rows: Sequence[tuple[int, dict[str, str] | None, str]], areas: Iterable[str]) -> Checked:
    """Check every ``(line, fields or None when malformed, raw text)``; the first of duplicate keys is kept."""
    known = set(areas)
    loaded: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for line, fields, raw in rows:
        if fields is None:
            rejected.append({"source_line": line, "reason": "wrong number of fields", "raw_line": raw})
            continue
        row, reason = indicator_row(fields, known)
        if row is not None:
            key = tuple(row[c] for c in INDICATOR_KEY)
            if key in seen:
                row, reason = None, f"duplicate of line {seen[key]} (same source, measure, area, period, " \
                                    "age band and group)"
            else:
                seen[key] = line
        if row is None:
            rejected.append({"source_line": line, "reason": reason, "raw_line": raw})
        else:
            loaded.append({**row, "source_line": line})
    return Checked(_frame(loaded, (*INDICATOR_COLUMNS, "source_line")),
                   _frame(rejected, ("source_line", "reason", "raw_line")))


def flag_row(raw: dict[str, str], today: date) -> tuple[dict[str, Any] | None, str | None]:
    """One person-level flag row checked (``person_id`` already hashed if it came as ``person_ref``)."""
    person = _text(raw.get("person_id"))
    if not person:
        return None, "person_id missing"
    flag = _text(raw.get("flag")).lower()
    if flag not in FLAGS:
        return None, "unknown flag (expected one of " + ", ".join(FLAGS) + ")"
    start_text, end_text = _text(raw.get("flag_start")), _text(raw.get("flag_end"))
    if not start_text:
        return None, "flag_start missing"
    start = parse_date(start_text)
    end = parse_date(end_text) if end_text else None
    if start is None or (end_text and end is None):
        return None, "flag_start or flag_end is not a valid YYYY-MM-DD date"
    if start > today:
        return None, "flag_start is in the future"
    if end is not None and end < start:
        return None, "flag_end is before flag_start"
    group_text = _text(raw.get("ethnic_group"))
    group = next((g for g in schema.ETHNIC_GROUPS_WITH_NOT_STATED if g.lower() == group_text.lower()), None)
    if group_text and group is None:
        return None, "unknown ethnic_group"
    return {"person_id": person, "flag": flag, "flag_start": start, "flag_end": end,
            "ethnic_group": group or schema.NOT_STATED, "source": _text(raw.get("source"))}, None


def validate_flags(rows: Sequence[tuple[int, dict[str, str] | None, str]], today: date) -> Checked:
    loaded: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for line, fields, raw in rows:
        if fields is None:
            rejected.append({"source_line": line, "reason": "wrong number of fields", "raw_line": raw})
            continue
        row, reason = flag_row(fields, today)
        if row is not None:
            key = (row["person_id"], row["flag"], row["flag_start"])
            if key in seen:
                row, reason = None, f"duplicate of line {seen[key]} (same person, flag and start date)"
            else:
                seen[key] = line
        if row is None:
            rejected.append({"source_line": line, "reason": reason, "raw_line": raw})
        else:
            loaded.append({**row, "source_line": line})
    return Checked(_frame(loaded, (*FLAG_COLUMNS, *FLAG_OPTIONAL_COLUMNS, "source_line")),
                   _frame(rejected, ("source_line", "reason", "raw_line")))


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=list(columns)) if rows else pd.DataFrame({c: [] for c in columns})
