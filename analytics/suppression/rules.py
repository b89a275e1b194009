"""The plain-English statement of the disclosure and reliability rules applied, printed in every export."""

from __future__ import annotations

from analytics.schema import SUPPRESSION_THRESHOLD, UNRELIABLE_BELOW, WITHHOLD_RATIO_BELOW
from analytics.suppression.audience import SUPPRESSED, audience_applies_suppression, check_audience
from analytics.suppression.cells import check_threshold

#: Why a comparison in a perturbed edition can be classed differently from exact counts (issue 13). Measured on the
#: sample: 12 of 560 comparisons of population rates (three roles, persons and records, five splits) differ
#: (17 before the co-offending variance widened the children's intervals). The text gives no figure: a scrutiny
#: export must show no number from 1 to 4 (tests/test_report.py scans for them).
PERTURBED_VERDICTS = (
    "Because the comparisons (higher, similar or lower than the reference group) are made from the perturbed "
    "counts, so that they always agree with the figures shown, a comparison based on few events, or whose interval "
    "only just includes or excludes equal rates, can occasionally be classed differently from the officers' "
    "edition, which uses exact counts."
)


def rules_text(
    audience: str,
    threshold: int = SUPPRESSION_THRESHOLD,
    unreliable_below: int = UNRELIABLE_BELOW,
    withhold_below: int = WITHHOLD_RATIO_BELOW,
) -> list[str]:
    """Plain-English sentences stating the disclosure and reliability rules applied, for every export."""
    check_audience(audience)
    check_threshold(threshold)
    small = f"Counts from 1 to {threshold - 1}" if threshold > 2 else "Counts of 1"
    sentences = []
    if audience_applies_suppression(audience):
        sentences.append(
            "Every count is perturbed first (the Cell Key Method, as used for Census 2021 outputs): a small "
            "amount of noise, at most two either way and fixed for the same children or records, is added, so a "
            "count shown may differ from the true count by up to two and the same count always shows the same "
            "value; a true zero is always shown as 0, and a 0 may also stand for one or two."
        )
        if threshold > 1:
            sentences += [
                f"{small} (after perturbation) are shown as {SUPPRESSED} to protect the children concerned "
                "(primary suppression).",
                "Where a total would reveal a suppressed count, a further cell is suppressed "
                "(secondary suppression).",
                "Rates and ratios are not shown for a suppressed count, because with the population "
                "figure they would reveal it; rates, ratios and intervals are computed from the perturbed counts.",
                PERTURBED_VERDICTS,
            ]
        else:
            sentences.append("No counts are suppressed.")
    else:
        sentences.append(
            f"Exact counts are shown for the {audience} audience; this output is not for publication. "
            f"Before publication, {small.lower()} are shown as {SUPPRESSED}, with secondary suppression "
            "where a total would reveal them."
        )
    sentences += [
        f"Rates and ratios based on fewer than {unreliable_below} events are marked as unreliable.",
        f"Ratios based on fewer than {withhold_below} events are not shown.",
    ]
    return sentences
