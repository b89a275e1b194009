"""Files for people to open: CSV with the definitions and disclosure rules stated, and no live formulas.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return would be run as a formula
by a spreadsheet (OWASP "CSV injection"); such cells (and column names, and note lines) are prefixed with
a single quote. Numbers are left as numbers (a negative number stays a number). Lines end in CRLF, so a
cell holding a line break of either kind is quoted and cannot start a new row.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Prefix a text value that a spreadsheet would treat as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and column names) cannot start a formula."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    return safe


def csv_bytes(frame: pd.DataFrame, notes: list[str] | None = None) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets read it as UTF-8), ``# `` note lines first."""
    buffer = io.StringIO()
    for note in notes or []:
        buffer.write("# " + " ".join(str(neutralise_cell(note)).splitlines()) + "\r\n")
    # CRLF line ends (RFC 4180) also make the writer quote a cell holding a bare CR: with LF line ends a CR
    # is written unquoted, a spreadsheet starts a new row there, and "\r=1+2" would become a live formula
    neutralise(frame).to_csv(buffer, index=False, float_format=None, lineterminator="\r\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def json_value(value: Any) -> Any:
    """A cell as a JSON value at full precision: floats as Python's shortest round-trip repr (so a p-value of
    2.9e-12 stays 2.9e-12, never 0.0 as pandas' ``to_json`` prints it), missing and non-finite values as null,
    dates in ISO form, numpy scalars as Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    return value


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts at full precision (``json_value``)."""
    return [{str(k): json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
