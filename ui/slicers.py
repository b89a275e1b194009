"""Honest pages (issue 15, part 3): each page declares which of the sidebar's slicers it uses, and a slicer that
does not apply is shown as not applying, in the sidebar and at the top of the page, never silently ignored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from analytics import access, schema
from ui import auth, state

#: Every sidebar slicer, by its name in the slicer state, with the label the sidebar gives it.
LABELS: dict[str, str] = {
    "dates": "Date range", "roles": "Role", "areas": "District", "ethnic_groups": "Ethnic group",
    "age_bands": "Age band", "sexes": "Sex", "offence_groups": "Offence group",
    "serious_youth_violence_only": "Serious youth violence only", "outcome_codes": "Outcome",
    "risk_markers": "Risk markers", "counting_unit": "Count", "reference_group": "Reference group",
    "ethnicity_source": "Ethnicity from", "confidence": "Confidence level",
}
DECISION_POINT_NOTE = (
    "The outcome filter narrows the children counted in these population rates, so a group's rate mixes how often "
    "its children are recorded with how often their cases end in that outcome. Whether a group's cases end in an "
    "outcome (e.g. diversion) more or less often is the decision-point ratio on *Outcomes and diversion*.")


@dataclass(frozen=True)
class Uses:
    """The sidebar slicers a page uses: ``unused`` names slicers the page ignores; ``partly`` pairs a slicer with
    a sentence saying where on the page it does not apply; ``population_rates``: the page shows rates per
    1,000 children, so an outcome filter on it carries the note pointing to the decision-point ratio."""

    unused: tuple[str, ...] = ()
    partly: tuple[tuple[str, str], ...] = ()
    population_rates: bool = False

    def __post_init__(self) -> None:
        unknown = [name for name in (*self.unused, *(n for n, _ in self.partly)) if name not in LABELS]
        if unknown:
            raise ValueError(f"unknown slicer: {', '.join(unknown)}")

    @classmethod
    def only(cls, *used: str, partly: tuple[tuple[str, str], ...] = (), population_rates: bool = False) -> Uses:
        """A page that uses just these slicers."""
        return cls(tuple(name for name in LABELS if name not in used), partly, population_rates)

    @property
    def used(self) -> tuple[str, ...]:
        return tuple(name for name in LABELS if name not in self.unused)

    def unused_labels(self) -> list[str]:
        return [LABELS[name] for name in self.unused]


NONE = Uses(tuple(LABELS))


def is_set(name: str, values: dict, first: date | None, last: date | None) -> bool:
    """Whether the slicer differs from its default (a set slicer that a page ignores gets a warning)."""
    base = state.defaults(first, last)
    if name == "risk_markers":
        return any(values[m] != base[m] for m in schema.RISK_MARKERS)
    return bool(values[name] != base[name])


def sidebar_note(uses: Uses) -> None:
    """Under the sidebar's heading: the slicers this page does not use."""
    if not uses.unused:
        st.sidebar.caption("Every filter below is used on this page.")
    elif not uses.used:
        st.sidebar.caption("No filter below is used on this page.")
    else:
        st.sidebar.caption(f"Not used on this page: {', '.join(uses.unused_labels())}.")


def page_notes(uses: Uses, values: dict, first: date | None, last: date | None) -> None:
    """At the top of the page: the slicers not used (a warning where one of them is set), where a slicer applies
    only in part, and the decision-point note for an outcome filter on population rates."""
    ignored_set = [LABELS[name] for name in uses.unused if is_set(name, values, first, last)]
    if ignored_set:
        st.warning(f"Set in the sidebar but not used on this page: {', '.join(ignored_set)}. The figures below do "
                   "not depend on them.", icon=":material/filter_alt_off:")
    if uses.unused and uses.used:
        st.caption(f"**Not used on this page:** {', '.join(uses.unused_labels())}.")
    elif uses.unused:
        st.caption("**Not used on this page:** any of the sidebar's filters.")
    for name, sentence in uses.partly:
        st.caption(f"**{LABELS[name]}:** {sentence}")
    if uses.population_rates and values["outcome_codes"]:
        st.info(DECISION_POINT_NOTE, icon=":material/info:")
        if access.can_open(auth.current().role, "pages/outcomes.py"):
            st.page_link("pages/outcomes.py", label="Open the decision-point ratio (Outcomes and diversion)",
                         icon=":material/alt_route:")
