"""The global slicers, drawn in the sidebar by every page (DESIGN.md sections 1 and 4)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import access, schema
from analytics.filters import MARKER_MODES, OPEN_OUTCOME_TOKEN, format_confidence
from ui import slicers, state

MARKER_MODE_LABELS = {"any": "Any", "only": "Only", "exclude": "Exclude"}


def _outcome_label(code: str) -> str:
    if code == OPEN_OUTCOME_TOKEN:
        return "Open (no outcome yet)"
    return f"{code}: {schema.OUTCOME_CODES[code]}"


def draw(values: dict, first: date | None, last: date | None, area_names: dict[str, str],
         uses: slicers.Uses, sources: tuple[str, ...] = tuple(schema.ETHNICITY_SOURCES)) -> None:
    """Draw every slicer, under a note naming those the page does not use; each change is copied into the
    session state by its callback. ``sources``: the ethnicity sources the role may choose (one: no choice drawn)."""
    state.copy_into_widgets(values)
    sidebar = st.sidebar
    sidebar.markdown("### Filters")
    slicers.sidebar_note(uses)
    sidebar.date_input("Date range (recorded)", min_value=first, max_value=last, key=state.widget_key("dates"),
                       on_change=_remember_dates, format="DD/MM/YYYY")
    _multi(sidebar, "Role", "roles", schema.ROLES, str.capitalize)
    _multi(sidebar, "District", "areas", tuple(area_names), lambda c: area_names.get(c, c))
    _multi(sidebar, "Ethnic group (rows shown)", "ethnic_groups", schema.ETHNIC_GROUPS_WITH_NOT_STATED, str)
    _multi(sidebar, "Age band", "age_bands", schema.AGE_BANDS, str)
    _multi(sidebar, "Sex", "sexes", tuple(schema.SEXES), lambda s: schema.SEXES[s])
    _multi(sidebar, "Offence group", "offence_groups", schema.OFFENCE_GROUPS, str)
    sidebar.toggle("Serious youth violence only", key=state.widget_key("serious_youth_violence_only"),
                   on_change=state.remember, args=("serious_youth_violence_only",),
                   help=schema.DEFAULT_SYV.describe())
    _multi(sidebar, "Outcome", "outcome_codes", (*schema.OUTCOME_CODES, OPEN_OUTCOME_TOKEN), _outcome_label)
    sidebar.button("Outcome 22 only", on_click=state.set_value, args=("outcome_codes", [schema.OUTCOME_22]),
                   help="Diversionary, educational or intervention activity", width="stretch")
    with sidebar.expander("Risk markers", expanded=any(values[m] != "any" for m in schema.RISK_MARKERS)):
        for marker in schema.RISK_MARKERS:
            st.segmented_control(schema.RISK_MARKER_LABELS[marker], MARKER_MODES, key=state.widget_key(marker),
                                 format_func=MARKER_MODE_LABELS.__getitem__, required=True,
                                 on_change=state.remember, args=(marker,))
    sidebar.markdown("### Definitions")
    sidebar.radio("Count", tuple(schema.COUNTING_UNITS), key=state.widget_key("counting_unit"),
                  format_func=schema.COUNTING_UNITS.get, horizontal=True,
                  on_change=state.remember, args=("counting_unit",))
    sidebar.selectbox("Reference group", schema.ETHNIC_GROUPS, key=state.widget_key("reference_group"),
                      on_change=state.remember, args=("reference_group",))
    if len(sources) > 1:
        sidebar.selectbox("Ethnicity from", sources, key=state.widget_key("ethnicity_source"),
                          format_func=schema.ETHNICITY_SOURCES.__getitem__, on_change=state.remember,
                          args=("ethnicity_source",),
                          help="Self-defined is what the child said; officer-defined is the officer's view "
                               "(no code for Mixed).")
    else:
        sidebar.caption(f"**Ethnicity from:** {access.ONE_SOURCE_NOTE}")
    sidebar.radio("Confidence level", schema.CONFIDENCE_LEVELS, key=state.widget_key("confidence"),
                  format_func=format_confidence, horizontal=True, on_change=state.remember, args=("confidence",))
    sidebar.button("Reset all filters", on_click=state.reset, args=(first, last), type="primary", width="stretch")


def _multi(container, label: str, name: str, options, format_func) -> None:
    container.multiselect(label, options, key=state.widget_key(name), format_func=format_func,
                          placeholder="All", on_change=state.remember, args=(name,))


def _remember_dates() -> None:
    value = st.session_state[state.widget_key("dates")]
    if isinstance(value, tuple | list) and len(value) == 2:  # ignore the half-chosen range while picking
        state.set_value("dates", tuple(value))
