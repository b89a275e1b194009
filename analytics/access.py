"""Access by role (issue 6, part 4): who may see what, and how a signed-in user gets a role.

Pure Python: no Streamlit here (``ui/auth.py`` applies these rules to a dashboard session and
``analytics/cli/`` to the command line).

Roles, most to least privileged:

* ``analyst``  — record-level data and exact counts; loads data; reads the audit log.
* ``officer``  — aggregates with exact counts (the officers' monthly pack); no records.
* ``scrutiny`` — aggregates under disclosure control only (counts 1–4 shown as ``[c]``, see
  ``analytics.suppression``): the scrutiny edition of the pack and the pages whose every figure passes
  through disclosure control.

Role mapping for a signed-in user (``[monitor]`` in ``.streamlit/secrets.toml``)::

    [monitor]
    role_claim = "roles"              # claim in the ID token holding the role(s); a string or a list
    role_file = "/etc/monitor/roles.toml"   # optional: email (or sub) -> role
    [monitor.claim_values]            # optional: the identity provider's values -> roles
    "YVDM-Analysts" = "analyst"

The role file (TOML) has one table::

    [users]
    "a.analyst@force.police.uk" = "analyst"
    "s.member@pcc.gov.uk" = "scrutiny"

A user listed in the role file gets that role (the monitor administrator's explicit decision);
otherwise the claim decides. When the claim carries several roles the *least* privileged one wins
(fail safe). A user with no recognised role is signed in but refused everything.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from analytics import schema

ANALYST, OFFICER, SCRUTINY = "analyst", "officer", "scrutiny"
#: Most to least privileged.
ROLES: tuple[str, ...] = (ANALYST, OFFICER, SCRUTINY)
ROLE_LABELS = {
    ANALYST: "Analyst (records and exact counts)",
    OFFICER: "Officer (aggregates, exact counts)",
    SCRUTINY: "Scrutiny (aggregates, small numbers suppressed)",
}
DEFAULT_LOCAL_ROLE = ANALYST
LOCAL_ROLE_ENV = "MONITOR_LOCAL_ROLE"  # the dashboard's single local user (no sign-in configured)
CLI_ROLE_ENV = "MONITOR_ROLE"  # the command line's operator
AUDIT_DB_ENV = "MONITOR_AUDIT_DB"
LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})

# Permissions -------------------------------------------------------------------------------------
RECORDS = "records"  # see and export record-level data
EXACT_COUNTS = "exact_counts"  # see and export counts without disclosure control
CONTROLLED_EXPORT = "controlled_export"  # export disclosure-controlled aggregates
PACK_OFFICERS = "pack_officers"  # the officers' edition of the monthly pack (exact counts)
PACK_SCRUTINY = "pack_scrutiny"  # the scrutiny edition (disclosure-controlled)
LOAD_DATA = "load_data"  # publish a new database (CLI load/sample)
AUDIT_LOG = "audit_log"  # read the audit log
ACKNOWLEDGE_ALERTS = "acknowledge_alerts"  # acknowledge an alert or watch with a note (issue 16)

PERMISSIONS: dict[str, frozenset[str]] = {
    ANALYST: frozenset({RECORDS, EXACT_COUNTS, CONTROLLED_EXPORT, PACK_OFFICERS, PACK_SCRUTINY, LOAD_DATA, AUDIT_LOG,
                        ACKNOWLEDGE_ALERTS}),
    OFFICER: frozenset({EXACT_COUNTS, CONTROLLED_EXPORT, PACK_OFFICERS, PACK_SCRUTINY}),
    SCRUTINY: frozenset({CONTROLLED_EXPORT, PACK_SCRUTINY}),
}
PERMISSION_TEXT = {
    RECORDS: "record-level data",
    EXACT_COUNTS: "exact (unsuppressed) counts",
    CONTROLLED_EXPORT: "disclosure-controlled exports",
    PACK_OFFICERS: "the officers' edition of the monthly pack",
    PACK_SCRUTINY: "the scrutiny edition of the monthly pack",
    LOAD_DATA: "loading data",
    AUDIT_LOG: "the audit log",
    ACKNOWLEDGE_ALERTS: "acknowledging alerts",
}

#: Pack audience (``analytics.report.AUDIENCES``) -> the permission it needs.
PACK_PERMISSION = {"officers": PACK_OFFICERS, "scrutiny": PACK_SCRUTINY}

# Pages ---------------------------------------------------------------------------------------------
_EVERYONE = frozenset(ROLES)
#: Page file (relative to the entry point) -> roles that may open it. A page opens to scrutiny only
#: once every figure on it passes through disclosure control (charts included: a bar's height times a
#: known population reveals a count). A page missing from this table is analysts only (deny by default).
PAGE_ROLES: dict[str, frozenset[str]] = {
    "dashboard.py": _EVERYONE,  # scrutiny: its home (the pack's findings and links), no counts
    "pages/disproportionality.py": _EVERYONE,
    "pages/attention.py": _EVERYONE,  # scrutiny: alerts only, through disclosure control (analytics.alerts.disclosure)
    "pages/geography.py": _EVERYONE,
    "pages/crime_types.py": _EVERYONE,
    "pages/outcomes.py": _EVERYONE,
    "pages/trends.py": _EVERYONE,
    "pages/data_quality.py": _EVERYONE,
    "pages/records.py": frozenset({ANALYST}),
    "pages/stop_search.py": _EVERYONE,
    "pages/journeys.py": _EVERYONE,  # issue 17: every count under disclosure control for scrutiny
    "pages/monthly_pack.py": _EVERYONE,
    "pages/audit_log.py": frozenset({ANALYST}),
    "pages/about.py": _EVERYONE,
}


class AccessDenied(PermissionError):
    """The role may not do this; the message says what and why, in one line."""


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    return role


def can(role: str | None, permission: str) -> bool:
    if permission not in PERMISSION_TEXT:
        raise ValueError(f"unknown permission {permission!r}")
    return role in PERMISSIONS and permission in PERMISSIONS[role]


def require(role: str | None, permission: str) -> None:
    if not can(role, permission):
        raise AccessDenied(f"the {role or 'unassigned'} role may not use {PERMISSION_TEXT[permission]}")


def page_roles(page: str) -> frozenset[str]:
    return PAGE_ROLES.get(page, frozenset({ANALYST}))


def can_open(role: str | None, page: str) -> bool:
    return role in page_roles(page)


def allowed_pages(role: str | None, pages: Iterable[str]) -> list[str]:
    return [p for p in pages if can_open(role, p)]


def least_privileged(roles: Iterable[str]) -> str | None:
    found = [r for r in roles if r in ROLES]
    return max(found, key=ROLES.index) if found else None


def more_privileged(role: str, than: str) -> bool:
    return ROLES.index(role) < ROLES.index(than)


def audience_for(role: str | None) -> str:
    """Disclosure-control audience (``analytics.suppression``) of a role's on-screen aggregates."""
    return "scrutiny" if not can(role, EXACT_COUNTS) else "analyst"


def pack_audiences(role: str | None) -> tuple[str, ...]:
    return tuple(a for a, p in PACK_PERMISSION.items() if can(role, p))


# Role mapping --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoleConfig:
    """How a signed-in user's role is found (``[monitor]`` in secrets.toml)."""

    role_claim: str | None = "roles"
    claim_values: Mapping[str, str] | None = None
    role_file: Path | None = None

    @classmethod
    def from_mapping(cls, values: Mapping | None) -> RoleConfig:
        values = dict(values or {})
        claim_values = {str(k): check_role(str(v)) for k, v in dict(values.get("claim_values") or {}).items()}
        role_file = values.get("role_file")
        return cls(role_claim=values.get("role_claim", "roles") or None, claim_values=claim_values or None,
                   role_file=Path(role_file) if role_file else None)


def read_role_file(path: Path) -> dict[str, str]:
    """``[users]`` of a role file: lower-cased email or subject -> role. Unknown roles are an error."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the role file {path}: {exc}") from None
    users = document.get("users", {})
    if not isinstance(users, dict):
        raise ValueError(f"the role file {path} needs a [users] table of email = role")
    mapping = {}
    for who, role in users.items():
        if role not in ROLES:
            raise ValueError(f"the role file {path} gives {who} the unknown role {role!r}")
        mapping[str(who).strip().lower()] = role
    return mapping


def _claim_roles(value, claim_values: Mapping[str, str] | None) -> list[str]:
    if isinstance(value, str):
        items = value.replace(",", " ").split()
    elif isinstance(value, (list, tuple, set)):
        items = [str(v) for v in value]
    else:
        return []
    mapped = []
    for item in items:
        if claim_values and item in claim_values:
            mapped.append(claim_values[item])
        elif item.strip().lower() in ROLES:
            mapped.append(item.strip().lower())
    return mapped


def role_from_claims(claims: Mapping, config: RoleConfig, role_file: Mapping[str, str] | None = None) -> str | None:
    """The role for a signed-in user's claims, or None (no recognised role: refuse everything)."""
    if role_file:
        for key in ("email", "sub"):
            who = claims.get(key)
            if isinstance(who, str) and who.strip().lower() in role_file:
                return role_file[who.strip().lower()]
    if config.role_claim and config.role_claim in claims:
        return least_privileged(_claim_roles(claims[config.role_claim], config.claim_values))
    return None


def user_label(claims: Mapping) -> str:
    for key in ("email", "preferred_username", "name", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "unknown user"


# Local use ----------------------------------------------------------------------------------------
def is_loopback(address: str | None) -> bool:
    """True for addresses that only this machine can reach. Unset means every interface: not loopback."""
    if not address:
        return False
    return address.strip().strip("[]").lower() in LOOPBACK_ADDRESSES


def local_role(environ: Mapping[str, str] = os.environ) -> str:
    return check_role(environ.get(LOCAL_ROLE_ENV, "").strip().lower() or DEFAULT_LOCAL_ROLE)


def local_user() -> str:
    try:
        return f"{getpass.getuser()} (local)"
    except (KeyError, OSError):
        return "local user"


def _config_file_values() -> dict:
    """``monitor.toml`` (or ``MONITOR_CONFIG``) as a dict; {} when there is none."""
    from analytics.config import CONFIG_ENV, ConfigError

    path = os.environ.get(CONFIG_ENV) or ("monitor.toml" if Path("monitor.toml").exists() else None)
    if not path:
        return {}
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from None


def cli_role(requested: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The command line's role: ``MONITOR_ROLE``, else ``role`` in monitor.toml, else analyst (a local
    operator). ``--as-role`` may only lower it: asking for more than is configured is refused."""
    configured = environ.get(CLI_ROLE_ENV, "").strip().lower() or str(_config_file_values().get("role", "")).lower()
    configured = check_role(configured or DEFAULT_LOCAL_ROLE)
    if requested is None:
        return configured
    check_role(requested)
    if more_privileged(requested, configured):
        raise AccessDenied(f"--as-role {requested} asks for more than the configured {configured} role")
    return requested


def audit_path(database: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """The audit log: ``MONITOR_AUDIT_DB``, else ``audit_database`` in monitor.toml, else ``audit.sqlite``
    beside the database. Never inside the published database, which each load replaces."""
    configured = environ.get(AUDIT_DB_ENV) or _config_file_values().get("audit_database")
    return Path(configured) if configured else Path(database).parent / "audit.sqlite"


# CLI policy ---------------------------------------------------------------------------------------
def check_command(role: str, command: str, *, audience: str | None = None, subcommand: str | None = None) -> None:
    """Raise ``AccessDenied`` if ``role`` may not run ``python -m analytics COMMAND``.

    ``ratios`` is open to every role (scrutiny gets disclosure-controlled output); ``info``, ``quality``
    and ``searches ratios`` print exact counts; ``load``, ``sample``, ``searches load`` and ``partners``
    (load, link, convert-dfe) publish or prepare data; ``alerts`` prints exact counts and ``alerts acknowledge`` is
    for analysts; ``audit verify`` reads the audit log (analysts).
    """
    if command in ("load", "sample", "partners") or (command == "searches" and subcommand == "load"):
        require(role, LOAD_DATA)
    elif command in ("info", "quality", "searches"):
        require(role, EXACT_COUNTS)
    elif command == "alerts" and subcommand == "acknowledge":
        require(role, ACKNOWLEDGE_ALERTS)
    elif command == "audit":
        require(role, AUDIT_LOG)
    elif command == "report":
        require(role, PACK_PERMISSION.get(audience or "scrutiny", PACK_OFFICERS))
    elif command != "ratios":
        require(role, EXACT_COUNTS)


# One ethnicity source for scrutiny (issue 14) -----------------------------------------------------
#: The only ethnicity source the scrutiny audience sees. Two tables of one selection under different sources differ
#: exactly by the children the sources place differently (self_then_officer minus self_only: the children with an
#: officer-defined code only, by group), and the Cell Key Method cannot hide that: cells holding the same children
#: carry the same key, so the same noise, and their difference is exact. One source leaves nothing to subtract.
SCRUTINY_ETHNICITY_SOURCE = schema.DEFAULT_ETHNICITY_SOURCE
ONE_SOURCE_REASON = (f"scrutiny sees one ethnicity source only, {SCRUTINY_ETHNICITY_SOURCE} (all the evidence), since "
                     "tables under two sources subtract to counts of children with an officer-defined code only")

#: What a page tells the scrutiny audience in place of the choice.
ONE_SOURCE_NOTE = (f"{schema.ETHNICITY_SOURCES[SCRUTINY_ETHNICITY_SOURCE].lower()}. Scrutiny sees this one source "
                   "only: tables under two sources could be subtracted to give back counts of children with an "
                   "officer-defined code only.")


def ethnicity_sources(role: str | None) -> tuple[str, ...]:
    """The ethnicity sources ``role`` may choose: every source with exact counts, else the default only."""
    return tuple(schema.ETHNICITY_SOURCES) if can(role, EXACT_COUNTS) else (SCRUTINY_ETHNICITY_SOURCE,)


def check_ethnicity_source(role: str | None, source: str | None) -> None:
    """Refuse (``AccessDenied``, one line) an ethnicity source ``role`` may not see; None is the default."""
    if source is not None and source not in ethnicity_sources(role):
        raise AccessDenied(f"--ethnicity-source {source}: {ONE_SOURCE_REASON}")


def edition_source(audience: str, source: str) -> str:
    """The ethnicity source a pack edition is built under: the scrutiny edition's own, else ``source``."""
    return SCRUTINY_ETHNICITY_SOURCE if audience == "scrutiny" else source


def check_edition_source(audience: str | None, source: str | None) -> None:
    """The scrutiny edition of the pack (whoever builds it) is under the scrutiny source only."""
    if audience == "scrutiny" and source is not None and source != SCRUTINY_ETHNICITY_SOURCE:
        raise AccessDenied(f"the scrutiny edition with ethnicity source {source}: {ONE_SOURCE_REASON}")


# Disclosure control by role ------------------------------------------------------------------------
def controlled_table(result, role: str | None):
    """A ``disparity.DisparityTable`` as ``role`` may see it: unchanged with exact counts; otherwise through
    ``suppression.apply_to_ratio_table`` for the scrutiny audience, refused (``AccessDenied``) under any ethnicity
    source but ``SCRUTINY_ETHNICITY_SOURCE``. Idempotent."""
    import dataclasses

    from analytics import suppression

    if can(role, EXACT_COUNTS):
        return result
    check_ethnicity_source(role, result.filters.ethnicity_source)
    if "suppressed" in result.table.columns:
        return result
    table = suppression.apply_to_ratio_table(result.table, "scrutiny", reference_group=result.filters.reference_group,
                                             denominator_is_count=result.measure != "rate")
    return dataclasses.replace(result, table=hide_split_totals(table),
                               concordance=suppression.controlled_concordance(tuple(result.concordance)))


def controlled_detailed(result, role: str | None, five_group=None):
    """A ``detailed.DetailedTable`` as ``role`` may see it: unchanged with exact counts; for scrutiny through
    ``suppression.apply_to_detailed_table``, against the self-defined and the self-then-officer 5-group totals
    (``result.officer_only``) whatever the source chosen (the detailed rows do not depend on it), keeping hidden
    what the 5-group table ``five_group`` (already controlled) hides: its suppressed groups and total. Refused
    under any ethnicity source but ``SCRUTINY_ETHNICITY_SOURCE``, as ``controlled_table``. Idempotent."""
    import dataclasses

    from analytics import suppression

    if can(role, EXACT_COUNTS):
        return result
    check_ethnicity_source(role, result.filters.ethnicity_source)
    if five_group is not None:
        check_ethnicity_source(role, five_group.filters.ethnicity_source)
    if "suppressed" in result.table.columns:
        return result
    hidden: set[str] = set()
    hidden_total = False
    if five_group is not None:
        table = five_group.table
        hidden = set(table.loc[table["events"].astype(str).eq(suppression.SUPPRESSED), "group"])
        margins = table.attrs.get("suppressed_totals", {})
        hidden_total = bool(margins.get("overall")) or bool(margins.get("splits"))
    # what the 5-group (concordance) table hides stays hidden in the totals it publishes: its Not stated, children
    # with neither code; any other total is taken as published, which only makes the audit stricter
    fallback = hidden & {schema.NOT_STATED}
    table = suppression.apply_to_detailed_table(result.table, "scrutiny", result.group_of(),
                                                schema.DETAILED_LABELS[result.reference], hidden_groups=(),
                                                hidden_total=hidden_total, officer_only=result.officer_only,
                                                neither=result.neither, hidden_fallback=fallback,
                                                full=result.full_table)
    return dataclasses.replace(result, table=table)


def hide_split_totals(table):
    """The 'Not stated' row of a population-rate table shows a share of all the split's children, so its
    denominator is the split's total: ``[c]`` where that total is 1-4 or listed as suppressed (issue 15)."""
    import pandas as pd

    from analytics import suppression

    hidden = set(table.attrs.get("suppressed_totals", {}).get("splits", []))
    numeric = pd.to_numeric(table["denominator"], errors="coerce")
    small = numeric.between(1, schema.SUPPRESSION_THRESHOLD - 1)
    in_hidden = table["split"].isin(hidden) if "split" in table.columns else pd.Series(False, index=table.index)
    mask = (table["group"] == schema.NOT_STATED) & (small | in_hidden)
    if mask.any():
        table = table.copy()
        table["denominator"] = table["denominator"].astype(object).mask(mask, suppression.SUPPRESSED)
        table.loc[mask, [c for c in ("rate", "rate_lower", "rate_upper") if c in table.columns]] = float("nan")
    return table


def shown_groups(result) -> set:
    """Groups whose ratio survives disclosure control (an adjusted ratio is shown only for these)."""
    table = result.table
    return set(table.loc[table["ratio"].notna(), "group"])


def cli_user() -> str:
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command-line user"
