"""Findings as rows (the ``alerts`` command's columns) with a plain-English sentence each."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analytics import schema
from analytics.alerts import spc
from analytics.alerts.config import AlertSettings
from analytics.alerts.grid import COLUMNS, COUNTY, Finding, SeriesResult

ROLE_PLURAL = schema.ROLE_NAMES
RULE_SHORT = {"beyond_limits": "beyond limits", "shift": "shift", "trend": "trend", "two_of_three": "two of three"}


def area_label(area: str, names: dict[str, str]) -> str:
    return "the county" if area == COUNTY else names.get(area, area)


def displayed(result: SeriesResult) -> dict[str, np.ndarray]:
    """The series' values, centre and limits on the scale shown (rate per 1,000 per year, ratio, percent)."""
    assert result.values is not None and result.limits is not None
    show = result.series.display
    limits = result.limits
    return {"value": show(result.values), "centre": show(limits.centre), "lower": show(limits.lower),
            "upper": show(limits.upper)}


def rule_names(result: SeriesResult, settings: AlertSettings) -> str:
    """The rules that fired at the month, e.g. ``beyond_limits+two_of_three`` (each with its direction)."""
    return "+".join(f"{rule}_{'up' if sign > 0 else 'down'}" for rule, sign in result.rules)


def rule_sentence(rule: str, sign: int, settings: AlertSettings) -> str:
    text = spc.RULE_TEXT[rule]
    n = settings.shift_run if rule == "shift" else settings.trend_run
    return text.format(n=n, direction="higher" if sign > 0 else "lower")


def _number(value: float, measure: str) -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "–"
    return f"{value:.2f}" if measure == "ratio" else f"{value:.1f}"


def message(finding: Finding, settings: AlertSettings, names: dict[str, str], reference: str,
            decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> str:
    """One sentence a senior officer can read: what moved, where, by which rule, and how sure we are."""
    result = finding.result
    s = result.series
    shown = displayed(result)
    what = {
        "rate": f"the {s.group} {s.role} rate per 1,000 children per year",
        "ratio": f"the {s.group} {s.role} rate ratio to {reference} children",
        "count": f"the number of {s.role}s whose ethnicity was not stated",
        "outcome22": (f"the share of {s.group} suspects' {schema.DECISION_DENOMINATOR_SHORT[decision_denominator]} "
                      "ending in outcome 22 (%)"),
    }[s.measure]
    moved = "rose" if result.direction > 0 else "fell"
    rules = "; ".join(rule_sentence(rule, sign, settings) for rule, sign in result.rules)
    value, centre, lower, upper = (_number(float(shown[k][-1]), s.measure)
                                   for k in ("value", "centre", "lower", "upper"))
    sentence = (f"{ROLE_PLURAL[s.role]}, {s.group}, {area_label(s.area, names)}: {what} {moved} to {value} in "
                f"{result.month:%B %Y} against a centre line of {centre} (limits {lower} to {upper}): {rules}.")
    test = result.test
    if test is not None:
        unit = "records" if s.measure == "outcome22" else "children"
        verdict = ("significant after the false discovery rate correction" if finding.level == "alert"
                   else "not an alert: " + _why_not(finding, settings))
        sentence += (f" {result.recent_events} {unit} in the last {settings.recent_months} months against "
                     f"{test.expected:.1f} expected from the baseline (exact test p = {test.p_value:.2g}, "
                     f"q = {finding.q_value:.2g}; {verdict}).")
    return sentence


def _why_not(finding: Finding, settings: AlertSettings) -> str:
    result, test = finding.result, finding.result.test
    if test is None or math.isnan(finding.q_value) or finding.q_value > settings.fdr:
        return "the change over the recent window is not significant"
    if test.direction != result.direction:
        return "the recent window moved the other way"
    return f"fewer than {settings.min_recent_events} events in the recent window"


def rows(findings: list[Finding], settings: AlertSettings, names: dict[str, str] | None = None,
         reference: str = schema.DEFAULT_REFERENCE_GROUP,
         decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> pd.DataFrame:
    """The ``alerts`` command's table: one row per signalling cell, columns ``COLUMNS``."""
    names = names or {}
    out: list[dict[str, Any]] = []
    for finding in findings:
        result = finding.result
        s = result.series
        shown = displayed(result)
        out.append({
            "level": finding.level, "role": s.role, "measure": s.measure, "area": s.area, "group": s.group,
            "first_month": f"{finding.first_month:%Y-%m}" if finding.first_month is not None else "",
            "month": f"{result.month:%Y-%m}", "rule": rule_names(result, settings),
            "value": _finite(shown["value"][-1]), "expected": _finite(shown["centre"][-1]),
            "lower_limit": _finite(shown["lower"][-1]), "upper_limit": _finite(shown["upper"][-1]),
            "events": result.recent_events,
            "message": message(finding, settings, names, reference, decision_denominator),
        })
    return pd.DataFrame(out, columns=list(COLUMNS))


def details(finding: Finding) -> dict[str, Any]:
    """What the register keeps beside the row: chart, baseline, test, q-value, months active."""
    result = finding.result
    test = result.test
    return {
        "chart": result.series.chart,
        "baseline_from": f"{result.baseline[0]:%Y-%m}" if result.baseline else "",
        "baseline_to": f"{result.baseline[1]:%Y-%m}" if result.baseline else "",
        "p_value": test.p_value if test else float("nan"), "q_value": finding.q_value,
        "method": test.method if test else "", "observed_recent": test.observed if test else float("nan"),
        "expected_recent": test.expected if test else float("nan"), "months_active": finding.months_active,
    }


def _finite(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value
