"""Configuration: where the data lives, the pseudonymisation key, and the definitions in force.

Settings come from an optional TOML file (``monitor.toml`` in the working directory, or the path in
``MONITOR_CONFIG``) and environment variables. The pseudonymisation key is read from
``MONITOR_PSEUDONYMISATION_KEY`` or from the file named by ``MONITOR_PSEUDONYMISATION_KEY_FILE`` (or
``pseudonymisation_key_file`` in the TOML). The key itself is never logged, printed or stored.

Example ``monitor.toml``::

    database = "data/monitor.duckdb"
    force_name = "Norfolk Constabulary"
    pseudonymisation_key_file = "/etc/monitor/key"
    ethnicity_source = "concordance"  # the default; self_then_officer, self_only, officer_only for sensitivity
    decision_denominator = "live"  # outcome-22 shares: "live" (diversion was an option, default) or "all"
    follow_up_days = 90  # outcome shares: records at least this old, outcomes within this many days
    [serious_youth_violence]
    offence_groups = ["Violence with injury", "Robbery", "Possession of weapons"]
    markers = ["knife_crime"]
    [alerts]  # early-warning thresholds (analytics.alerts.config.AlertSettings documents each default)
    baseline_months = 24
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analytics import schema
from analytics.alerts.config import DEFAULT_ALERT_SETTINGS, AlertSettings, alert_settings

DEFAULT_DATABASE = Path("data") / "monitor.duckdb"
KEY_ENV = "MONITOR_PSEUDONYMISATION_KEY"
KEY_FILE_ENV = "MONITOR_PSEUDONYMISATION_KEY_FILE"
CONFIG_ENV = "MONITOR_CONFIG"
DATABASE_ENV = "MONITOR_DB"
#: The shortest pseudonymisation key accepted, from any source (128 bits).
MIN_KEY_BYTES = 16


class ConfigError(ValueError):
    """A configuration problem, reported in one line."""


@dataclass(frozen=True)
class Settings:
    database: Path = DEFAULT_DATABASE
    key_file: Path | None = None
    ethnicity_source: str = schema.DEFAULT_ETHNICITY_SOURCE
    #: the denominator of decision-point shares (``schema.DECISION_DENOMINATORS``)
    decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR
    force_name: str | None = None
    serious_youth_violence: schema.SeriousYouthViolence = field(default_factory=schema.SeriousYouthViolence)
    alerts: AlertSettings = DEFAULT_ALERT_SETTINGS  # the [alerts] table (analytics.alerts.config)
    follow_up_days: int = schema.DEFAULT_FOLLOW_UP_DAYS  # outcome cohorts' follow-up (issue 13)

    def key_configured(self) -> bool:
        """Whether a pseudonymisation key is configured (its value is not read): the loaders then read an
        extract in a separate process (``analytics.load.isolated``), since it may carry raw identifiers."""
        return bool(os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV) or self.key_file)

    def pseudonymisation_key(self) -> bytes | None:
        """The HMAC key, or None when none is configured. Never print the returned value.

        ``MONITOR_PSEUDONYMISATION_KEY`` (as given), else the key file (surrounding white space removed); a key
        of fewer than ``MIN_KEY_BYTES`` bytes from either is refused."""
        raw = os.environ.get(KEY_ENV)
        if raw:
            key, source = raw.encode("utf-8"), KEY_ENV
        else:
            path = os.environ.get(KEY_FILE_ENV) or (str(self.key_file) if self.key_file else None)
            if not path:
                return None
            try:
                key, source = Path(path).read_bytes().strip(), "the pseudonymisation key file"
            except OSError as exc:
                raise ConfigError(f"cannot read the pseudonymisation key file ({exc.strerror})") from None
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"the pseudonymisation key in {source} is too short "
                              f"({len(key)} bytes; at least {MIN_KEY_BYTES})")
        return key


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Settings from the TOML file (if any) and the environment."""
    path = path or os.environ.get(CONFIG_ENV) or ("monitor.toml" if Path("monitor.toml").exists() else None)
    values: dict = {}
    if path:
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read configuration {path}: {exc}") from None
    syv = values.get("serious_youth_violence", {})
    try:
        definition = schema.SeriousYouthViolence(
            offence_groups=tuple(syv.get("offence_groups", schema.DEFAULT_SYV.offence_groups)),
            markers=tuple(syv.get("markers", schema.DEFAULT_SYV.markers)),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    source = values.get("ethnicity_source", schema.DEFAULT_ETHNICITY_SOURCE)
    if source not in schema.ETHNICITY_SOURCES:
        raise ConfigError(f"unknown ethnicity_source {source!r}")
    denominator = values.get("decision_denominator", schema.DEFAULT_DECISION_DENOMINATOR)
    if denominator not in schema.DECISION_DENOMINATORS:
        raise ConfigError(f"unknown decision_denominator {str(denominator)[:40]!r} "
                          f"(expected one of {', '.join(schema.DECISION_DENOMINATORS)})")
    try:
        alerts = alert_settings(values.get("alerts"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    follow_up = values.get("follow_up_days", schema.DEFAULT_FOLLOW_UP_DAYS)
    if isinstance(follow_up, bool) or not isinstance(follow_up, int) or not 0 <= follow_up <= schema.MAX_FOLLOW_UP_DAYS:
        raise ConfigError(f"follow_up_days must be a whole number of days from 0 to {schema.MAX_FOLLOW_UP_DAYS}")
    database = os.environ.get(DATABASE_ENV) or values.get("database") or DEFAULT_DATABASE
    key_file = values.get("pseudonymisation_key_file")
    return Settings(
        force_name=os.environ.get("MONITOR_FORCE_NAME") or values.get("force_name"),
        database=Path(database),
        key_file=Path(key_file) if key_file else None,
        ethnicity_source=source,
        decision_denominator=denominator,
        serious_youth_violence=definition,
        alerts=alerts,
        follow_up_days=follow_up,
    )
