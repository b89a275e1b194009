"""Slicer state: one plain dict kept in ``st.session_state`` under a key no widget owns, mirrored
to the URL query string so a link reproduces the view (DESIGN.md section 2, note on pages/).

Every value read from the URL is validated against the fixed code lists; anything unknown is dropped
and reported, never passed on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import streamlit as st

from analytics import schema
from analytics.config import load_settings
from analytics.filters import MARKER_MODES, OPEN_OUTCOME_TOKEN, Filters

STATE_KEY = "yvdm_filters"  # not a widget key: survives page changes
WIDGET_PREFIX = "slicer_"
LIST_FIELDS = {
    "roles": ("role", schema.ROLES),
    "age_bands": ("age", schema.AGE_BANDS),
    "sexes": ("sex", tuple(schema.SEXES)),
    "ethnic_groups": ("group", schema.ETHNIC_GROUPS_WITH_NOT_STATED),
    "areas": ("area", None),  # checked against the loaded areas
    "offence_groups": ("offence", schema.OFFENCE_GROUPS),
    "outcome_codes": ("outcome", (*schema.OUTCOME_CODES, OPEN_OUTCOME_TOKEN)),
}
CHOICE_FIELDS = {
    "counting_unit": ("count", tuple(schema.COUNTING_UNITS)),
    "reference_group": ("reference", schema.ETHNIC_GROUPS),
    "ethnicity_source": ("ethnicity", tuple(schema.ETHNICITY_SOURCES)),
    **{m: (m, MARKER_MODES) for m in schema.RISK_MARKERS},
}
MAX_PARAM_LENGTH = 2000
ALL_SOURCES: tuple[str, ...] = tuple(schema.ETHNICITY_SOURCES)


def choice_fields(sources: tuple[str, ...]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """``CHOICE_FIELDS`` with the ethnicity sources narrowed to ``sources`` (a role's own)."""
    return {**CHOICE_FIELDS, "ethnicity_source": ("ethnicity", sources)}


def defaults(first: date | None, last: date | None) -> dict:
    return {
        "dates": (first, last),
        **{name: [] for name in LIST_FIELDS},
        "serious_youth_violence_only": False,
        "counting_unit": "persons",
        "reference_group": schema.DEFAULT_REFERENCE_GROUP,
        "ethnicity_source": schema.DEFAULT_ETHNICITY_SOURCE,
        "confidence": schema.DEFAULT_CONFIDENCE,
        **{m: "any" for m in schema.RISK_MARKERS},
    }


def from_query(
    params: dict[str, str], first: date | None, last: date | None, areas: tuple[str, ...],
    sources: tuple[str, ...] = ALL_SOURCES,
) -> tuple[dict[str, Any], list[str]]:
    """State from URL parameters; returns it with a list of the values that were ignored. ``sources``: the
    ethnicity sources the role may choose (``access.ethnicity_sources``; scrutiny: one)."""
    state, ignored = defaults(first, last), []
    for name, (key, allowed) in LIST_FIELDS.items():
        raw = str(params.get(key, ""))[:MAX_PARAM_LENGTH]
        if not raw:
            continue
        values = [v for v in raw.split(",") if v]
        permitted = areas if allowed is None else allowed  # areas: the loaded ones
        state[name] = [v for v in values if v in permitted]
        ignored += [f"{key}={v[:40]}" for v in values if v not in permitted]
    for name, (key, allowed) in choice_fields(sources).items():
        raw = str(params.get(key, ""))[:MAX_PARAM_LENGTH]
        if raw:
            if raw in allowed:
                state[name] = raw
            else:  # a known value the role may not choose (scrutiny's ethnicity source) says so
                reason = " (not open to this role)" if raw in CHOICE_FIELDS[name][1] else ""
                ignored.append(f"{key}={raw[:40]}{reason}")
    state["serious_youth_violence_only"] = str(params.get("syv", "")) == "1"
    conf = str(params.get("conf", ""))
    if conf:
        try:
            value = float(conf)
            if value not in schema.CONFIDENCE_LEVELS:
                raise ValueError
            state["confidence"] = value
        except ValueError:
            ignored.append(f"conf={conf[:40]}")
    state["dates"] = (_date(params.get("from"), first, ignored, "from"), _date(params.get("to"), last, ignored, "to"))
    return state, ignored


def _date(raw, fallback: date | None, ignored: list[str], key: str) -> date | None:
    if not raw:
        return fallback
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        ignored.append(f"{key}={str(raw)[:40]}")
        return fallback


def to_query(state: dict, first: date | None, last: date | None) -> dict[str, str]:
    """The non-default parts of the state as URL parameters."""
    query: dict[str, str] = {}
    start, end = state["dates"]
    if start and start != first:
        query["from"] = start.isoformat()
    if end and end != last:
        query["to"] = end.isoformat()
    for name, (key, _) in LIST_FIELDS.items():
        if state[name]:
            query[key] = ",".join(state[name])
    base = defaults(first, last)
    for name, (key, _) in CHOICE_FIELDS.items():
        if state[name] != base[name]:
            query[key] = state[name]
    if state["serious_youth_violence_only"]:
        query["syv"] = "1"
    if state["confidence"] != schema.DEFAULT_CONFIDENCE:
        query["conf"] = f"{state['confidence']:g}"
    return query


def to_filters(state: dict) -> Filters:
    start, end = state["dates"]
    return Filters(
        date_from=start,
        date_to=end,
        roles=tuple(state["roles"]),
        age_bands=tuple(state["age_bands"]),
        sexes=tuple(state["sexes"]),
        ethnic_groups=tuple(state["ethnic_groups"]),
        areas=tuple(state["areas"]),
        offence_groups=tuple(state["offence_groups"]),
        serious_youth_violence_only=bool(state["serious_youth_violence_only"]),
        outcome_codes=tuple(state["outcome_codes"]),
        counting_unit=state["counting_unit"],
        reference_group=state["reference_group"],
        ethnicity_source=state.get("ethnicity_source", schema.DEFAULT_ETHNICITY_SOURCE),
        confidence=float(state["confidence"]),
        follow_up_days=load_settings().follow_up_days,  # outcome cohorts' follow-up, from monitor.toml
        **{m: state[m] for m in schema.RISK_MARKERS},
    )


def current(first: date | None, last: date | None, areas: tuple[str, ...],
            sources: tuple[str, ...] = ALL_SOURCES) -> dict:
    """The session's state, created from the URL on a session's first run; ``sources`` as ``from_query``."""
    if STATE_KEY not in st.session_state:
        state, ignored = from_query(dict(st.query_params), first, last, areas, sources)
        st.session_state[STATE_KEY] = state
        st.session_state["yvdm_ignored_params"] = ignored
    dropped = sanitise(st.session_state[STATE_KEY], first, last, areas, sources)
    if dropped:  # shown by the page as a warning, like unknown link values
        st.session_state["yvdm_ignored_params"] = [*st.session_state.get("yvdm_ignored_params", []), *dropped]
    return st.session_state[STATE_KEY]


def sanitise(state: dict, first: date | None, last: date | None, areas: tuple[str, ...],
             sources: tuple[str, ...] = ALL_SOURCES) -> list[str]:
    """Drop (in place) any value in the state outside the fixed lists (ethnicity sources: ``sources``) and return
    what was dropped.

    The widgets only offer known values and the URL is checked by ``from_query``, but the state lives in
    the session and may be set by other code: nothing unknown is passed on to a query.
    """
    dropped: list[str] = []
    base = defaults(first, last)
    for name, (key, allowed) in LIST_FIELDS.items():
        permitted = areas if allowed is None else allowed  # areas: the loaded ones
        values = state.get(name)
        values = list(values) if isinstance(values, list | tuple) else ([] if values is None else [values])
        state[name] = [v for v in values if isinstance(v, str) and v in permitted]
        dropped += [f"{key}={str(v)[:40]}" for v in values if not (isinstance(v, str) and v in permitted)]
    for name, (key, allowed) in choice_fields(sources).items():
        if state.get(name) not in allowed:
            dropped.append(f"{key}={str(state.get(name))[:40]}")
            state[name] = base[name]
    if state.get("confidence") not in schema.CONFIDENCE_LEVELS:
        dropped.append(f"conf={str(state.get('confidence'))[:40]}")
        state["confidence"] = base["confidence"]
    if not isinstance(state.get("serious_youth_violence_only"), bool):
        dropped.append(f"syv={str(state.get('serious_youth_violence_only'))[:40]}")
        state["serious_youth_violence_only"] = bool(state.get("serious_youth_violence_only") is True)
    dates = state.get("dates")
    if not (isinstance(dates, tuple | list) and len(dates) == 2
            and all(d is None or (isinstance(d, date) and not isinstance(d, datetime)) for d in dates)):
        dropped.append(f"dates={str(dates)[:40]}")
        state["dates"] = base["dates"]
    state["dates"] = clamp_dates(tuple(state["dates"]), first, last, dropped)
    return dropped


def clamp_dates(dates: tuple, first: date | None, last: date | None, notes: list[str]) -> tuple:
    """Keep a date range inside the data's period (a link or an older session may point outside it)."""
    start, end = dates
    if not (first and last):
        return (start, end)
    clamped = (min(max(start or first, first), last), max(min(end or last, last), first))
    if clamped[0] > clamped[1]:
        clamped = (first, last)
    if (start, end) != clamped and (start, end) != (None, None):
        notes.append(f"dates {start} to {end} (the data cover {first} to {last})")
    return clamped


def widget_key(name: str) -> str:
    return WIDGET_PREFIX + name


def copy_into_widgets(state: dict) -> None:
    """Streamlit forgets widget values when a page without them runs; restore them from the state."""
    for name, value in state.items():
        st.session_state[widget_key(name)] = list(value) if isinstance(value, list) else value


def remember(name: str) -> None:
    """Widget callback: copy the widget's new value into the state."""
    value = st.session_state[widget_key(name)]
    st.session_state[STATE_KEY][name] = list(value) if isinstance(value, list) else value


def set_value(name: str, value) -> None:
    st.session_state[STATE_KEY][name] = value


def reset(first: date | None, last: date | None) -> None:
    st.session_state[STATE_KEY] = defaults(first, last)


# Page controls in the URL (issue 15, part 9) -----------------------------------------------------------------------
#: The URL's parameters as this run started (``page.setup`` rewrites the URL to the sidebar's state before a page
#: draws its own controls, so each control reads the link from here).
LINK_KEY = "yvdm_link_params"


def stash_link(params: dict[str, str]) -> None:
    st.session_state[LINK_KEY] = params


def _token(value: Any) -> str:
    return "none" if value is None else str(value)


def month_token(value: Any) -> str:
    """A month (a date on its first day) in a link: ``2026-10``."""
    return f"{value:%Y-%m}"


def from_link(key: str, param: str, options: Sequence[Any], *, multi: bool = False,
              token: Callable[[Any], str] = _token, **default: Any) -> dict[str, Any]:
    """Before a page control (the widget ``key``) is drawn: when the widget has no value yet, take it from the
    link's ``param`` if every value is one of ``options`` (anything else is dropped and reported, never passed on).
    Returns the widget's default keyword (``index=`` / ``default=``, as given) unless the value came from the link
    (Streamlit warns when a widget has both)."""
    if key in st.session_state:
        return default
    raw = str(st.session_state.get(LINK_KEY, {}).get(param, ""))[:MAX_PARAM_LENGTH]
    if not raw:
        return default
    if multi and raw == "none":  # a link to a control with nothing chosen
        st.session_state[key] = []
        return {}
    by_token = {token(option): option for option in options}
    tokens = [t for t in raw.split(",") if t] if multi else [raw]
    unknown = [t for t in tokens if t not in by_token]
    if unknown:
        st.warning(f"Ignored unknown link values: {', '.join(f'{param}={t[:40]}' for t in unknown)}")
    chosen = [by_token[t] for t in tokens if t in by_token]
    if not chosen:
        return default
    st.session_state[key] = chosen if multi else chosen[0]
    return {}


def to_link(param: str, value: Any, default: Any, token: Callable[[Any], str] = _token) -> None:
    """After a page control is drawn: keep its value in the URL (left out while it is the default), beside the
    sidebar's slicers, so a link reproduces the view."""
    if isinstance(value, list | tuple):
        value, default = list(value), list(default)
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
        return
    if isinstance(value, list):
        st.query_params[param] = ",".join(token(v) for v in value) or "none"
    else:
        st.query_params[param] = token(value)
