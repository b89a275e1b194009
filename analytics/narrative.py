"""Plain-English sentences for the monthly pack, written from the statistics (no Streamlit, no SQL).

Rules the sentences follow (the pack's "key findings"):

* A finding is stated as a difference only when its **verdict** says higher or lower: the verdict of
  the table the figure comes from (``analytics.verdicts``, adjusted for every comparison of that table),
  the same verdict the dashboard and ``ratios`` show. Otherwise the sentence says there is not enough
  data to say whether there is a real difference, which is the truth: the shown interval (adjusted the
  same way) includes 1. No sentence decides a verdict of its own.
* A ratio from fewer than 5 events is never quoted (its verdict still stands and is said); one from
  fewer than 10 is marked as resting on few events (DESIGN.md section 8). For the scrutiny audience a
  row whose count is suppressed gives no numbers and no verdict at all.
* Numbers are rounded to one decimal place for ratios and whole percentages for shares; the interval
  is printed beside every ratio with its confidence level.
* A change from the previous 12 months is called up or down from the rounded figures; whether the
  change itself is statistically significant is tested separately (a z-test on the difference of the
  two log ratios, the two periods being independent; Altman & Bland, BMJ 2003;326:219) and said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as scipy_stats

from analytics import verdicts
from analytics.filters import format_confidence

UNRELIABLE_NOTE = "based on fewer than 10 events, so treat it with caution"


@dataclass
class Finding:
    """One candidate finding: a ratio with its shown (adjusted) interval, the unadjusted interval, and the
    verdict of the table it comes from (``verdict``: a ``verdicts.Verdict`` value, ``None`` if hidden)."""

    kind: str  # "role", "outcome22", "district", "marker"
    key: tuple
    group: str
    ratio: float
    lower: float
    upper: float
    p_value: float
    reliability: str = "reliable"
    suppressed: bool = False
    context: dict = field(default_factory=dict)
    p_adjusted: float = float("nan")
    verdict: str | None = None
    interval_level: float = float("nan")
    lower_unadjusted: float = float("nan")
    upper_unadjusted: float = float("nan")

    @property
    def is_difference(self) -> bool:
        """The table's verdict says higher or lower (and disclosure control does not hide the row)."""
        return not self.suppressed and verdicts.is_difference(self.verdict)


def ratio_text(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "not estimable"
    return f"{value:.1f}"


def interval_text(lower: float, upper: float, confidence: float, level: float | None = None) -> str:
    """'95 % CI 1.1 to 2.3', or with ``level`` (a shown interval adjusted for its table's comparisons)
    '99.821 % adjusted interval 1.1 to 2.3'."""
    upper_text = "infinity" if upper is None or not np.isfinite(upper) else f"{upper:.1f}"
    if level is not None and np.isfinite(level):
        return f"{verdicts.format_level(level)} adjusted interval {lower:.1f} to {upper_text}"
    return f"{format_confidence(confidence)} CI {lower:.1f} to {upper_text}"


def shown_interval(finding: Finding, confidence: float) -> str:
    """The finding's shown interval in words, with its level."""
    return interval_text(finding.lower, finding.upper, confidence, finding.interval_level)


def change_test(current: tuple[float, float, float], previous: tuple[float, float, float], confidence: float) -> float:
    """Two-sided p-value for a change between two independent ratios given as (ratio, lower, upper).

    The standard error of each log ratio is recovered from its interval, (log upper - log lower) / 2z;
    ``nan`` if either interval is not finite.
    """
    z = scipy_stats.norm.ppf(0.5 + confidence / 2)
    try:
        (r1, l1, u1), (r0, l0, u0) = current, previous
        values = [r1, l1, u1, r0, l0, u0]
        if not all(v is not None and np.isfinite(v) and v > 0 for v in values):
            return float("nan")
        se1 = (math.log(u1) - math.log(l1)) / (2 * z)
        se0 = (math.log(u0) - math.log(l0)) / (2 * z)
    except (TypeError, ValueError):
        return float("nan")
    if se1 <= 0 and se0 <= 0:
        return float("nan")
    statistic = (math.log(r1) - math.log(r0)) / math.hypot(se1, se0)
    return float(2 * scipy_stats.norm.sf(abs(statistic)))


def trend_clause(finding: Finding, confidence: float) -> str:
    """' and up from 2.6 a year earlier' (+ whether the change is significant), or ''."""
    previous = finding.context.get("previous")
    if not previous or previous.get("ratio") is None or not np.isfinite(previous["ratio"]):
        return ""
    now, before = ratio_text(finding.ratio), ratio_text(previous["ratio"])
    if now == before:
        direction = f"the same as a year earlier ({before})"
    elif finding.ratio > previous["ratio"]:
        direction = f"up from {before} a year earlier"
    else:
        direction = f"down from {before} a year earlier"
    p = change_test((finding.ratio, finding.lower_unadjusted, finding.upper_unadjusted),
                    (previous["ratio"], previous["lower"], previous["upper"]), confidence)
    if now == before or not np.isfinite(p):
        return f" and {direction}"
    if p < 1 - confidence:
        return f" and {direction}, a statistically significant change"
    return f" and {direction}, though that change is within what chance alone could produce"


def _unreliable(finding: Finding) -> str:
    return f" (this figure is {UNRELIABLE_NOTE})" if finding.reliability == "unreliable" else ""


def role_sentence(finding: Finding, confidence: float) -> str:
    """A county-wide (or district) rate-ratio finding for one role and group."""
    c = finding.context
    period, reference, role_text = c["period"], c["reference"], c["role_text"]
    where = f"In {c['district']}, in the {period}" if c.get("district") else f"In the {period}"
    if finding.suppressed:
        return (f"{where}, the figures for {finding.group} children recorded as {role_text} are withheld to "
                "protect small numbers.")
    if not np.isfinite(finding.ratio) or finding.reliability == "withheld":
        if finding.is_difference:
            more = "more" if finding.verdict == verdicts.Verdict.HIGHER else "less"
            return (f"{where}, {finding.group} children were {more} likely than {reference} children to be "
                    f"recorded as {role_text}, a clear difference after allowing for the number of comparisons, "
                    "but on too few events (fewer than 5) to quote a ratio.")
        return (f"{where}, too few {finding.group} children were recorded as {role_text} "
                f"to compare them with {reference} children: not enough data to say.")
    less = " (that is, less likely)" if finding.ratio < 1 else ""
    body = (f"{where}, {finding.group} children were {ratio_text(finding.ratio)} times "
            f"({shown_interval(finding, confidence)}) as likely as {reference} children "
            f"to be recorded as {role_text}{less}")
    if finding.is_difference:
        return body + f"; this is statistically significant{trend_clause(finding, confidence)}{_unreliable(finding)}."
    return (body + "; this is not statistically significant after allowing for the number of comparisons, "
            f"so there is not enough data to say whether there is a real difference{_unreliable(finding)}.")


def outcome22_sentence(finding: Finding, confidence: float) -> str:
    """Outcome 22 fairness for one group: the adjusted risk ratio, with the crude shares where publishable. The
    cases compared are named with their denominator (``case_scope``: e.g. " in which diversion was an option")."""
    c = finding.context
    reference, period, role_text = c["reference"], c["period"], c["role_text"]
    cases = f"concluded cases of {finding.group} {role_text}{c.get('case_scope', '')}"
    if not np.isfinite(finding.ratio) and finding.is_difference:
        more = "more" if finding.verdict == verdicts.Verdict.HIGHER else "less"
        return (f"In the {period}, {cases} were {more} likely than those of "
                f"{reference} children to end in outcome 22 (diversion instead of prosecution) after allowing for "
                "offence group and age band, a clear difference after allowing for the number of comparisons, but on "
                "too few events (fewer than 5) to quote a ratio.")
    if finding.suppressed or (c.get("shares") is None and not np.isfinite(finding.ratio)):
        return (f"In the {period}, too few {cases} ended in outcome 22 to "
                f"compare them with {reference} children: not enough data to say.")
    shares = c.get("shares")
    share_text = (f" ({shares[0]:.0f} % of these cases against {shares[1]:.0f} % for {reference} children)"
                  if shares else "")
    if not np.isfinite(finding.ratio):
        return (f"In the {period}, {cases} ended in outcome 22 "
                f"(diversion instead of prosecution){share_text}, but there is not enough data to compare them "
                f"with {reference} children after allowing for offence group and age band.")
    body = (f"In the {period}, {cases} were "
            f"{ratio_text(finding.ratio)} times as likely ({shown_interval(finding, confidence)}) "
            f"as those of {reference} children to end in outcome 22 (diversion instead of prosecution), after "
            f"allowing for offence group and age band{share_text}")
    if finding.is_difference:
        return body + f"; this is statistically significant{_unreliable(finding)}."
    return (body + "; this is not statistically significant, so there is not enough data to say whether "
            f"outcome 22 is used differently{_unreliable(finding)}.")


def marker_sentence(finding: Finding, confidence: float) -> str:
    c = finding.context
    scoped = dict(c, role_text=f"{c['role_text']} in crimes flagged as {c['marker'].lower()}")
    return role_sentence(Finding(**{**finding.__dict__, "context": scoped}), confidence)


def sentence(finding: Finding, confidence: float) -> str:
    if finding.kind == "outcome22":
        return outcome22_sentence(finding, confidence)
    if finding.kind == "marker":
        return marker_sentence(finding, confidence)
    return role_sentence(finding, confidence)


def not_enough_item(finding: Finding, confidence: float) -> str:
    """A short entry for the 'not enough data to say' list."""
    c = finding.context
    what = {
        "role": f"{finding.group} children as {c.get('role_text', '')}",
        "district": f"{finding.group} children as {c.get('role_text', '')} in {c.get('district', '')}",
        "marker": f"{finding.group} children as {c.get('role_text', '')}, {c.get('marker', '').lower()}",
        "outcome22": f"outcome 22 for {finding.group} {c.get('role_text', '')}",
    }[finding.kind]
    if finding.suppressed:
        return f"{what} (withheld to protect small numbers)"
    if not np.isfinite(finding.ratio) or finding.reliability == "withheld":
        return f"{what} (too few to compare)"
    mark = ", fewer than 10 events" if finding.reliability == "unreliable" else ""
    interval = shown_interval(finding, confidence)
    return f"{what} (ratio {ratio_text(finding.ratio)}, {interval}{mark})"


def completeness_sentence(this_share: float, previous_share: float, month_label: str, previous_label: str,
                          target: float) -> str:
    if not np.isfinite(this_share):
        return f"No records were made in {month_label}, so ethnicity recording cannot be assessed."
    verdict = "meeting" if this_share >= target else "below"
    change = ""
    if np.isfinite(previous_share):
        diff = round(100 * this_share) - round(100 * previous_share)
        change = (f", {'up' if diff > 0 else 'down'} from {previous_share:.0%} in {previous_label}" if diff
                  else f", the same as in {previous_label}")
    return (f"Self-defined ethnicity was recorded on {this_share:.0%} of records made in {month_label}{change}; "
            f"this is {verdict} the {target:.0%} target.").replace("%", " %")


# --------------------------------------------------------------------------------------------
# Plain words (issue 15): higher / similar / lower than the reference group, the numbers after
# --------------------------------------------------------------------------------------------
HIGHER, SIMILAR, LOWER, NOT_ESTIMABLE, WITHHELD = "higher", "similar", "lower", "not estimable", "withheld"
#: The heading each verdict is listed under, in the order the pack and the Overview list them.
VERDICT_HEADINGS = {HIGHER: "Higher than {reference} children", LOWER: "Lower than {reference} children",
                    SIMILAR: "Similar to {reference} children", NOT_ESTIMABLE: "Too few to compare",
                    WITHHELD: "Withheld to protect small numbers"}
CAUTION = " Few children are involved, so treat this with caution."


def verdict(finding: Finding) -> str:
    """Higher / similar / lower than the reference group, not estimable, or withheld (scrutiny, small numbers):
    the table's verdict (``analytics.verdicts``) in the pack's words, never decided here. A ratio withheld for
    few events keeps a higher or lower verdict (withholding is for display only)."""
    if finding.suppressed:
        return WITHHELD
    if finding.is_difference:
        return HIGHER if finding.verdict == verdicts.Verdict.HIGHER else LOWER
    if not np.isfinite(finding.ratio) or finding.reliability == "withheld":
        return NOT_ESTIMABLE
    return SIMILAR


def _plain_range(finding: Finding) -> str:
    upper = "more" if finding.upper is None or not np.isfinite(finding.upper) else f"{finding.upper:.1f}"
    return f"{finding.lower:.1f} to {upper}"


def _who(finding: Finding) -> tuple[str, str]:
    """(where, what): " in Norwich" and "recorded as suspects in crimes flagged as knife crime"."""
    c = finding.context
    where = f"In {c['district']}, " if c.get("district") else ""
    what = f"recorded as {c.get('role_text', '')}"
    if finding.kind == "marker":
        what += f" in crimes flagged as {str(c.get('marker', '')).lower()}"
    return where, what


def plain_sentence(finding: Finding, confidence: float = 0.95) -> str:
    """One finding in plain words: the verdict first, then the ratio with its likely range.

    The same words serve the pack's key findings and the dashboard's Overview; the statistical detail (interval
    level, adjustment for multiple comparisons) is stated once, in the pack's annex and the Overview's note.
    """
    c = finding.context
    reference, group, kind = c.get("reference", "White"), finding.group, verdict(finding)
    caution = CAUTION if finding.reliability == "unreliable" and kind != WITHHELD else ""
    if finding.kind == "outcome22":
        subject = f"Concluded cases of {group} {c.get('role_text', '')}{c.get('case_scope', '')}"
        if kind == WITHHELD:
            return f"{subject}: withheld to protect small numbers."
        if kind == NOT_ESTIMABLE:
            return f"{subject}: too few ended in outcome 22 to compare with {reference} children."
        ratio = (f"{finding.ratio:.1f} times as often, allowing for offence group and age band "
                 f"(likely range {_plain_range(finding)})")
        if kind == SIMILAR:
            return (f"{subject} ended in outcome 22 (diversion instead of prosecution) about as often as those of "
                    f"{reference} children; the difference could be chance: {ratio}.{caution}")
        word = "more" if kind == HIGHER else "less"
        if not np.isfinite(finding.ratio):
            return (f"{subject} ended in outcome 22 (diversion instead of prosecution) {word} often than those of "
                    f"{reference} children, on too few events to quote a ratio.")
        return (f"{subject} ended in outcome 22 (diversion instead of prosecution) {word} often than those of "
                f"{reference} children: {ratio}.{caution}")
    where, what = _who(finding)
    subject = f"{where}{group} children {what}"
    if kind == WITHHELD:
        return f"{subject}: withheld to protect small numbers."
    if kind == NOT_ESTIMABLE:
        return f"{subject}: too few to compare with {reference} children."
    ratio = f"{finding.ratio:.1f} times as often (likely range {_plain_range(finding)})"
    if kind == SIMILAR:
        return (f"{subject}: similar to {reference} children; the difference could be chance: {finding.ratio:.1f} "
                f"times as often, likely range {_plain_range(finding)}.{caution}")
    word = "more" if kind == HIGHER else "less"
    if not np.isfinite(finding.ratio):
        return (f"{where}{group} children were {what} {word} often than {reference} children, on too few events "
                "to quote a ratio.")
    change = _plain_change(finding, confidence)
    body = f"{where}{group} children were {what} {word} often than {reference} children: {ratio}"
    return f"{body}{change}.{caution}"


def _plain_change(finding: Finding, confidence: float) -> str:
    """'; a year earlier it was 2.6, a change larger than chance would explain' (or could be chance), or ''."""
    previous = finding.context.get("previous")
    if not previous or previous.get("ratio") is None or not np.isfinite(previous["ratio"]):
        return ""
    before = ratio_text(previous["ratio"])
    if before == ratio_text(finding.ratio):
        return f"; the same as a year earlier ({before})"
    p = change_test((finding.ratio, finding.lower_unadjusted, finding.upper_unadjusted),
                    (previous["ratio"], previous["lower"], previous["upper"]), confidence)
    judged = ("" if not np.isfinite(p) else ", a change larger than chance would explain" if p < 1 - confidence
              else ", a change that could be chance")
    return f"; a year earlier it was {before}{judged}"
