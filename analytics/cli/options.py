"""What the subcommands share: the one-line parser, the filter and database options, one-line errors.

Filter options mirror the dashboard's sidebar slicers one for one (DESIGN.md section 7). Standard library and the
code lists only: ``python -m analytics --help`` loads nothing heavier.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

from analytics import access, schema
from analytics.config import load_settings
from analytics.filters import MARKER_MODES, OPEN_OUTCOME_TOKEN, Filters
from analytics.messages import printable

EXIT_BAD_INPUT = 2
MAX_MESSAGE = 300

#: What the domain raises for bad input, as ``module.Class``: one line on stderr and exit status 2. ``ValueError``
#: (and ``config.ConfigError``, a ``ValueError``) and ``UsageError`` are caught directly.
BAD_INPUT_ERRORS = ("analytics.load.LoadError", "analytics.store.NoDataError")
#: A database that cannot be read: "database error: …" and exit status 2 (the store wraps every DuckDB error).
DATABASE_ERRORS = ("analytics.store.DatabaseError",)


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2. Raised by the command line only."""


class Extend(argparse.Action):
    """A repeatable list option: ``--opt a b`` and ``--opt a --opt b`` both give ``[a, b]`` (argparse's
    ``extend``), and the first use replaces the default rather than adding to it (``--outcome 1`` means outcome 1,
    not 22 and 1)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        current = getattr(namespace, self.dest, None)
        items = [] if current is None or current is self.default else list(current)
        items.extend(values if isinstance(values, list) else [values])
        setattr(namespace, self.dest, items)


def add_list_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup, flag: str,
                    default: list[str] | tuple[()] | None = (), **kwargs: object) -> None:
    """A repeatable list option (``Extend``, one or more values each time); ``default`` when never given (an empty
    list unless stated; ``None`` lets the command tell "not given" from any value)."""
    parser.add_argument(flag, nargs="+", action=Extend, default=[] if default == () else default,
                        **kwargs)  # type: ignore[arg-type]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)}\n")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def confidence_level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if 50 <= value < 100:
        value /= 100  # accept 95 or 99.8 as well as 0.95
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"confidence must be between 0 and 1: {text!r}")
    return value


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help="database file (default: data/monitor.duckdb)")


def add_access_option(parser: argparse.ArgumentParser, default: str | None) -> None:
    """``--as-role``: run with a lower role than the configured one (MONITOR_ROLE, ``role`` in monitor.toml,
    else analyst). Named so as not to clash with ``--role`` (victim/suspect/offender)."""
    parser.add_argument("--as-role", dest="as_role", choices=access.ROLES, default=default,
                        help="user role for this command (may only lower the configured MONITOR_ROLE; "
                             "default: the configured role, else analyst)")


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The sidebar's slicers, one option each."""
    group = parser.add_argument_group("filters (as the dashboard's sidebar)")
    group.add_argument("--from", dest="date_from", type=iso_date, help="first recorded date (YYYY-MM-DD)")
    group.add_argument("--to", dest="date_to", type=iso_date, help="last recorded date (YYYY-MM-DD)")
    add_list_option(group, "--area", metavar="CODE", help="district code(s), e.g. E07000148")
    add_list_option(group, "--offence-group", metavar="G", help="Home Office offence group(s)")
    add_list_option(group, "--age-band", choices=schema.AGE_BANDS)
    add_list_option(group, "--sex", choices=tuple(schema.SEXES))
    add_list_option(group, "--ethnic-group", metavar="GROUP",
                       help="limit the rows shown to these groups (the reference group is always computed)")
    group.add_argument("--syv", action="store_true", help="serious youth violence only")
    add_list_option(group, "--outcome-filter", metavar="CODE",
                       help=f"only records with these outcome codes ('{OPEN_OUTCOME_TOKEN}' = investigation open)")
    add_list_option(group, "--flag", choices=schema.RISK_MARKERS,
                       help="only records with these risk markers")
    add_list_option(group, "--exclude-flag", choices=schema.RISK_MARKERS,
                       help="exclude records with these risk markers")
    group.add_argument("--count", choices=tuple(schema.COUNTING_UNITS), default=None,
                       help="count distinct children (default) or records (--measure outcome: records only)")
    group.add_argument("--reference", default=schema.DEFAULT_REFERENCE_GROUP, choices=schema.ETHNIC_GROUPS)
    group.add_argument("--confidence", type=confidence_level, default=schema.DEFAULT_CONFIDENCE,
                       help="confidence level, 0.95 (default) or 0.998")
    group.add_argument("--ethnicity-source", choices=tuple(schema.ETHNICITY_SOURCES),
                       default=schema.DEFAULT_ETHNICITY_SOURCE)


def add_decision_denominator_option(parser: argparse.ArgumentParser, applies_to: str) -> None:
    """``--decision-denominator live|all``: the denominator of outcome-22 (decision-point) shares; default the
    configured one (``decision_denominator`` in monitor.toml, else live)."""
    parser.add_argument("--decision-denominator", choices=tuple(schema.DECISION_DENOMINATORS), default=None,
                        help=f"{applies_to}: the share's denominator; live (default unless configured): concluded "
                             "outcomes where diversion was a live option (1, 1A, 2, 2A, 3, 3A, 8, 20, 21, 22); all: "
                             "every concluded outcome")


def decision_denominator(args: argparse.Namespace) -> str:
    """``--decision-denominator``, else the configured one."""
    return args.decision_denominator or load_settings().decision_denominator


def filters_from_args(args: argparse.Namespace, roles: tuple[str, ...] = ()) -> Filters:
    """A validated ``Filters`` from the parsed options; ``UsageError`` names any unknown value."""
    both = set(args.flag) & set(args.exclude_flag)
    if both:
        raise UsageError(f"a risk marker cannot be both required and excluded: {', '.join(sorted(both))}")
    markers = {m: "only" for m in args.flag} | {m: "exclude" for m in args.exclude_flag}
    assert all(mode in MARKER_MODES for mode in markers.values())
    try:
        return Filters(
            date_from=args.date_from,
            date_to=args.date_to,
            roles=roles,
            age_bands=tuple(args.age_band),
            sexes=tuple(args.sex),
            ethnic_groups=tuple(args.ethnic_group),
            areas=tuple(a.strip().upper() for a in args.area),
            offence_groups=tuple(args.offence_group),
            serious_youth_violence_only=args.syv,
            outcome_codes=tuple(c.strip().upper() if c != OPEN_OUTCOME_TOKEN else c for c in args.outcome_filter),
            counting_unit=args.count or "persons",
            reference_group=args.reference,
            confidence=args.confidence,
            ethnicity_source=args.ethnicity_source,
            follow_up_days=follow_up_days(args),
            **markers,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def add_follow_up_option(parser: argparse.ArgumentParser) -> None:
    """``--follow-up-days N``: outcome shares on records at least N days old, outcomes within N days (issue 13)."""
    parser.add_argument("--follow-up-days", type=follow_up_value, default=None, metavar="N",
                        help="outcome shares: only records made at least N days before the end of the data, each "
                             "with its outcome as it stood N days after recording (default: follow_up_days in "
                             f"monitor.toml, else {schema.DEFAULT_FOLLOW_UP_DAYS}; 0: no cohort rule)")


def follow_up_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--follow-up-days must be a whole number of days, got {text[:20]!r}") from None
    if not 0 <= value <= schema.MAX_FOLLOW_UP_DAYS:
        raise argparse.ArgumentTypeError(f"--follow-up-days must be from 0 to {schema.MAX_FOLLOW_UP_DAYS}, got {value}")
    return value


def follow_up_days(args: argparse.Namespace) -> int:
    """The option's value, else the configuration's."""
    given = getattr(args, "follow_up_days", None)
    return int(given) if given is not None else load_settings().follow_up_days


def database_path(args: argparse.Namespace) -> Path:
    """``--db``, else the configured database (``MONITOR_DB``, ``database`` in monitor.toml, the default)."""
    return args.db if args.db is not None else load_settings().database


def one_line(message: object) -> str:
    """A message flattened to one line and cut to a readable length (hostile values can be huge)."""
    text = printable(" ".join(str(message).split())) or "error"  # control characters escaped, not echoed
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def fail(message: object) -> int:
    """Print a one-line error and return the bad-input exit status."""
    print(f"error: {one_line(message)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def error_message(error: BaseException) -> str | None:
    """The one-line message for an error the domain raises for bad input or an unreadable database; ``None`` for
    anything else (a defect, left to propagate)."""
    if isinstance(error, (UsageError, ValueError, *loaded_classes(BAD_INPUT_ERRORS))):
        return str(error)
    if isinstance(error, loaded_classes(DATABASE_ERRORS)):
        return f"database error: {error}"
    return None


def loaded_classes(names: tuple[str, ...]) -> tuple[type, ...]:
    """The classes named ``module.Class`` whose module is loaded. An exception can only have been raised if its
    module is loaded, so the command line looks its classes up rather than importing them: handling an error
    costs no import, and no command imports the store, the loader or duckdb just to name their errors."""
    found = []
    for name in names:
        module, _, attribute = name.rpartition(".")
        cls = getattr(sys.modules.get(module), attribute, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)
