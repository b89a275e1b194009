"""Who is using the dashboard and what their role allows (issue 6, parts 4 and 5).

Two modes, decided by ``.streamlit/secrets.toml``:

* ``[auth]`` present: Streamlit's built-in OpenID Connect login (``st.login`` / ``st.user`` /
  ``st.logout``). Nothing but a sign-in screen is served until the user has signed in; the role comes
  from a claim or the role file (``analytics.access``, configured under ``[monitor]``).
* no ``[auth]``: one local user (role ``analyst``, or ``MONITOR_LOCAL_ROLE``), and only while the
  server listens on loopback: any other ``server.address`` (or none, which means every interface)
  gets an error and nothing else, on every page.

``ui.page.setup`` calls :func:`identify` and :func:`require_page` before anything else is drawn, so a
role's limits hold for deep links too; ``ui.render`` asks :func:`current` before every download.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import access
from analytics.config import load_settings
from analytics.store import AUDIT_FIELDS, AuditCheck, AuditError, AuditLog

IDENTITY_KEY = "yvdm_identity"  # no widget owns these keys; setup() rewrites them on every run
CONTEXT_KEY = "yvdm_audit_context"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Identity:
    user: str
    role: str | None
    signed_in: bool  # True: through the identity provider; False: the local single user

    @property
    def role_label(self) -> str:
        return access.ROLE_LABELS.get(self.role or "", "no role assigned")


def _section(name: str) -> dict | None:
    """A section of secrets.toml as a plain dict, or None (no secrets file, or no such section)."""
    try:
        if name not in st.secrets:
            return None
        section = st.secrets[name]
    except (FileNotFoundError, KeyError):
        return None
    return section.to_dict() if hasattr(section, "to_dict") else dict(section)


def auth_configured() -> bool:
    return _section("auth") is not None


def _stop_with(message: str, *, title: str = "Youth Disproportionality Monitor") -> None:
    st.title(title)
    st.error(message)
    st.stop()


def identify() -> Identity:
    """The user of this session; stops the script with a sign-in screen or an error when they may not go on."""
    if auth_configured():
        identity = _signed_in_identity()
    else:
        address = st.get_option("server.address")
        if not access.is_loopback(address):
            _stop_with(f"This dashboard has no sign-in configured, so it only serves this computer (127.0.0.1), "
                       f"but the server is listening on {address or 'every network interface'}. Restart it with "
                       "`--server.address 127.0.0.1`, or configure sign-in ([auth] in .streamlit/secrets.toml).")
        try:
            role = access.local_role()
        except ValueError as exc:
            _stop_with(f"{access.LOCAL_ROLE_ENV}: {exc}")
        identity = Identity(access.local_user(), role, signed_in=False)
    st.session_state[IDENTITY_KEY] = identity
    return identity


def _signed_in_identity() -> Identity:
    if not st.user.is_logged_in:
        st.title("Youth Disproportionality Monitor")
        st.markdown("This monitor holds sensitive information about children. Sign in with your organisation's "
                    "account to continue.")
        provider = (_section("monitor") or {}).get("provider")
        st.button("Sign in", type="primary", icon=":material/login:", key="yvdm_sign_in",
                  on_click=st.login, args=(provider,) if provider else ())
        st.stop()
    claims = st.user.to_dict()
    try:
        config = access.RoleConfig.from_mapping(_section("monitor"))
        role_file = access.read_role_file(config.role_file) if config.role_file else None
    except ValueError as exc:
        _stop_with(f"The role configuration ([monitor] in secrets.toml) is wrong: {exc}")
    identity = Identity(access.user_label(claims), access.role_from_claims(claims, config, role_file), signed_in=True)
    if identity.role is None:
        st.session_state[IDENTITY_KEY] = identity
        st.title("Youth Disproportionality Monitor")
        st.error(f"You are signed in as {identity.user}, but no role in this monitor is assigned to you. "
                 "Ask the monitor's administrator for access.")
        st.button("Log out", on_click=st.logout, key="yvdm_log_out_norole", icon=":material/logout:")
        st.stop()
    return identity


def current() -> Identity:
    """The identity ``identify`` found in this run; an unidentified session has no role (denied everything)."""
    identity = st.session_state.get(IDENTITY_KEY)
    return identity if isinstance(identity, Identity) else Identity("unidentified", None, signed_in=False)


def can(permission: str) -> bool:
    return access.can(current().role, permission)


def caller_page(depth: int = 2) -> str:
    """The page file (relative to the entry point) of the script that called our caller."""
    filename = Path(sys._getframe(depth).f_code.co_filename).resolve()  # noqa: SLF001 - CPython's documented way
    try:
        return filename.relative_to(ROOT).as_posix()
    except ValueError:
        return filename.name


def require_page(identity: Identity, page: str, title: str, pages: tuple[tuple[str, str, str], ...]) -> None:
    """Stop unless the role may open ``page``: the refusal lists the pages it may open instead."""
    if access.can_open(identity.role, page):
        return
    st.title(title)
    st.info(f"This page is not open to the {identity.role} role: it shows figures or records that role does not "
            "see. Choose one of these instead:", icon=":material/lock:")
    for path, label, icon in pages:
        if access.can_open(identity.role, path) and (ROOT / path).exists():
            st.page_link(path, label=label, icon=icon)
    st.stop()


def sidebar(identity: Identity) -> None:
    """Who is signed in, with their role, and the log-out button."""
    if identity.signed_in:
        st.caption(f"Signed in as **{identity.user}** · {identity.role_label}")
        st.button("Log out", on_click=st.logout, key="yvdm_log_out", icon=":material/logout:")
    else:
        st.caption(f"Local user **{identity.user}** · {identity.role_label}. No sign-in is configured, so this "
                   "dashboard serves this computer only.")


# Audit ---------------------------------------------------------------------------------------------
def set_context(page: str, filters_text: str, version: str | None) -> None:
    """What an export from this run is of: filters (described and as the URL's query) and data version."""
    st.session_state[CONTEXT_KEY] = {
        "page": page, "filters": filters_text, "data_version": version,
        "query": json.dumps(st.query_params.to_dict(), ensure_ascii=False, sort_keys=True),
    }


def audit_log() -> AuditLog:
    return AuditLog(access.audit_path(load_settings().database))


@dataclass(frozen=True)
class AuditView:
    """What the audit log page shows: whether the hash chain is intact (and its summary), where the log is
    stored, and the newest entries."""

    intact: bool
    summary: str
    path: Path
    entries: pd.DataFrame


def audit_view(limit: int) -> AuditView:
    """The audit log checked (keyed chain and anchor) and its newest ``limit`` entries, for the audit log page.
    A log that cannot be read gives its one-line reason and no entries, never a traceback."""
    log = audit_log()
    check = log.verify()
    try:
        entries = log.entries(limit=limit) if check.exit_status != 2 else None
    except AuditError as exc:
        check = AuditCheck(str(exc), exit_status=exc.exit_status)
        entries = None
    if entries is None:
        entries = pd.DataFrame(columns=["id", *AUDIT_FIELDS])
    return AuditView(check.intact, check.summary, log.path, entries)


def audit_entry(action: str, what: str, kind: str, rows: int | None = None, **overrides) -> dict:
    """An audit record for this session's identity and page context (the time is added when written)."""
    identity = current()
    context: Mapping = st.session_state.get(CONTEXT_KEY) or {}
    entry = {"user": identity.user, "role": identity.role or "none", "source": "dashboard", "action": action,
             "what": what, "kind": kind, "rows": rows, "filters": context.get("filters"),
             "query": context.get("query"), "data_version": context.get("data_version"), "page": context.get("page")}
    entry.update(overrides)
    return entry
