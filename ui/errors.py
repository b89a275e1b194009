"""Unexpected errors on a page (issue 14, point 8): the user reads one plain sentence with a short error id, the
full traceback is logged on the server under that id, and no exception text or traceback reaches the browser.

The app is a classic ``pages/`` app, so there is no ``st.App(on_script_error=...)`` to pass the handler to: the
page helper sets the same handler on the run's ``ScriptRunContext.on_script_error``, which Streamlit calls for
an uncaught exception of the script (returning True keeps its own error element off the page).
"""

from __future__ import annotations

import logging
import secrets

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

LOGGER = logging.getLogger("yvdm.errors")


def new_error_id() -> str:
    """A short id to quote, e.g. '7F3A-21C9' (32 random bits)."""
    raw = secrets.token_hex(4).upper()
    return f"{raw[:4]}-{raw[4:]}"


def sentence(error_id: str) -> str:
    return f"Something went wrong on this page. Quote error id {error_id} to your analyst team."


def install(page: str) -> None:
    """Handle any uncaught exception of this run of ``page`` with ``report``."""
    context = get_script_run_ctx()
    if context is not None:
        context.on_script_error = lambda exc: report(exc, page)


def report(exc: BaseException, page: str) -> bool:
    """Log the traceback under a new id, show the user the id sentence; True: Streamlit shows nothing else."""
    error_id = new_error_id()
    LOGGER.error("error id %s on page %s", error_id, page, exc_info=(type(exc), exc, exc.__traceback__))
    st.error(sentence(error_id), icon=":material/error:")
    return True
