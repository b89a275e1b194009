"""The subcommands of ``python -m analytics``; each returns an exit status."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from analytics import access, schema
from analytics.cli import choices
from analytics.cli.options import (
    OneLineParser,
    add_access_option,
    add_database_option,
    add_decision_denominator_option,
    add_filter_options,
    add_follow_up_option,
    add_list_option,
    confidence_level,
    error_message,
    fail,
    iso_date,
)
from analytics.config import ConfigError

DEFAULT_SAMPLE_DIR = Path("data") / "sample"
#: Command -> the module with its ``run(args) -> int``, imported only when that command runs.
RUNNERS = {command: f"analytics.cli.{command}"
           for command in ("sample", "load", "info", "ratios", "quality", "searches", "report", "partners",
                           "alerts", "audit")}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m analytics", description=__doc__)
    add_access_option(parser, None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    sample = commands.add_parser("sample", help="write the synthetic sample extract and population table")
    sample.add_argument("--out", type=Path, default=DEFAULT_SAMPLE_DIR, help="folder (default: data/sample)")
    sample.add_argument("--seed", type=int, default=None, help="random seed (default: the documented one)")
    sample.add_argument("--records", type=int, default=25_000, help="approximate number of person-records")
    sample.add_argument("--load", action="store_true", help="also load it into the database")
    sample.add_argument("--ic-recording-gap", action="store_true",
                        help="plant a recording gap that depends on the officer-defined code (self-defined ethnicity "
                             "not stated far more often for IC3 than IC1; see sample_data.generator.IC_GAP)")
    add_database_option(sample)

    load = commands.add_parser("load", help="validate an extract and publish it as the new database")
    load.add_argument("file", type=Path, help="extract (CSV or Parquet)")
    load.add_argument("--population", type=Path, default=None,
                      help="population table CSV (default: keep the current one)")
    add_database_option(load)

    info = commands.add_parser("info", help="what is loaded: version, period, counts, rejections, completeness")
    add_database_option(info)

    ratios = commands.add_parser("ratios", help="rates and disproportionality ratios by ethnic group")
    ratios.add_argument("--role", required=True, choices=schema.ROLES)
    ratios.add_argument("--measure", choices=choices.RATIO_MEASURES, default="rate",
                        help="rate: per 1,000 children of the group per year; outcome: share of concluded records "
                             "(see --decision-denominator)")
    add_list_option(ratios, "--outcome", default=None, metavar="CODE",
                    help="outcome codes counted by --measure outcome (default 22); refused with --measure rate")
    add_decision_denominator_option(ratios, "--measure outcome only")
    ratios.add_argument("--split", choices=schema.SPLIT_DIMENSIONS, default=None)
    add_list_option(ratios, "--adjust-for", metavar="DIM", choices=choices.ADJUST_FOR,
                    help="also print Mantel-Haenszel ratios adjusted for these strata")
    ratios.add_argument("--format", choices=("csv", "json"), default="csv")
    ratios.add_argument("--concordance", action="store_true",
                        help="print the self/officer concordance the default ethnicity estimate uses for these "
                             "filters (analysts only) instead of the table")
    add_filter_options(ratios)
    add_follow_up_option(ratios)
    add_database_option(ratios)

    quality = commands.add_parser("quality", help="ethnicity completeness and self/officer-defined agreement")
    quality.add_argument("--format", choices=("text", "json"), default="text")
    add_filter_options(quality)
    add_database_option(quality)

    searches = commands.add_parser("searches", help="stop and search: load data.police.uk monthly files, print ratios")
    add_searches_commands(searches)  # stop and search (issue 8): searches load, searches ratios

    report = commands.add_parser("report", help="write the monthly pack (HTML and PDF) for officers or scrutiny")
    report.add_argument("--month", required=True, help="the month the pack is for, YYYY-MM (e.g. 2026-10)")
    report.add_argument("--audience", choices=("officers", "scrutiny"), default="scrutiny",
                        help="scrutiny (default): disclosure-controlled; officers: exact counts, not for publication")
    report.add_argument("--out", type=Path, default=Path("reports"), help="folder to write to (default: reports)")
    report.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    add_list_option(report, "--role", choices=schema.ROLES, help="roles to include (default: all)")
    add_decision_denominator_option(report, "the outcome-22 section")
    add_filter_options(report)
    add_follow_up_option(report)
    add_database_option(report)

    partners = commands.add_parser("partners", help="partner data: load indicators, convert DfE files, link flags")
    add_partners_commands(partners)  # partner data overlay (issue 17)

    alerts = commands.add_parser("alerts", help="this month's alerts and watches (early warning); alerts acknowledge")
    add_alerts_options(alerts)

    audit = commands.add_parser("audit", help="audit log: audit verify checks its keyed chain and anchor")
    audit_actions = audit.add_subparsers(dest="audit_command", required=True, parser_class=OneLineParser)
    verify = audit_actions.add_parser(
        "verify", help="check the audit log: exit 0 intact, 1 tampering detected, 2 the log cannot be read")
    add_database_option(verify)
    add_access_option(verify, argparse.SUPPRESS)

    for sub in (sample, load, info, ratios, quality, report, alerts):
        add_access_option(sub, argparse.SUPPRESS)
    return parser


def add_alerts_options(alerts: argparse.ArgumentParser) -> None:
    """``alerts [list]`` and ``alerts acknowledge``: one parser, an optional action first."""
    alerts.add_argument("action", nargs="?", choices=("list", "acknowledge"), default="list",
                        help="list (default): print the month's alerts and watches; acknowledge: note one of them")
    alerts.add_argument("--month", default=None, help="month, YYYY-MM (default: the last complete month)")
    add_list_option(alerts, "--role", choices=schema.ROLES, default=None,
                        help="roles to show (default all; acknowledge: exactly one)")
    alerts.add_argument("--level", choices=("alert", "watch"), default=None, help="show only this level")
    alerts.add_argument("--format", choices=("csv", "json", "text"), default="csv")
    alerts.add_argument("--measure", choices=("rate", "ratio", "count", "outcome22"), default=None,
                        help="acknowledge: the cell's measure")
    alerts.add_argument("--area", default=None, metavar="CODE", help="acknowledge: district code, or 'all'")
    alerts.add_argument("--group", default=None, metavar="GROUP", help="acknowledge: ethnic group (or 'Not stated')")
    alerts.add_argument("--note", default=None, help="acknowledge: what was found or done (recorded and audited)")
    add_database_option(alerts)


def add_searches_commands(searches: argparse.ArgumentParser) -> None:
    """``searches load`` and ``searches ratios``."""
    sub = searches.add_subparsers(dest="searches_command", required=True, parser_class=OneLineParser)

    load = sub.add_parser("load", help="validate monthly stop-and-search CSVs and publish them with the database")
    load.add_argument("sources", nargs="+", type=Path, metavar="FILE_OR_FOLDER",
                      help="monthly CSVs as downloaded, or folders holding them (*stop-and-search.csv)")
    load.add_argument("--force", default=None, metavar="NAME",
                      help="police force (default: from the file names, e.g. 2023-01-gwent-stop-and-search.csv)")
    load.add_argument("--population", type=Path, default=None, metavar="FILE",
                      help="children 10-17 by ethnic group for the force area: columns ethnic_group, population "
                           "(optional force, area_code, age_range, source, year), or a main population table "
                           "(age bands 10-13, 14-15, 16-17 are summed). Default: the one already loaded, (Norfolk) "
                           "the publication's population table, or the shipped modelled table of the force area "
                           "(any of the 43 territorial forces of England and Wales)")
    add_database_option(load)

    ratios = sub.add_parser("ratios", help="search rates, weapons shares and find rates by ethnic group")
    ratios.add_argument("--measure", choices=choices.SEARCH_MEASURES, default="rate",
                        help="rate: searches of children per 1,000 children aged 10-17 per year; weapons: share of "
                             "searches for offensive weapons; find: share with an outcome other than no "
                             "further action (the outcome test)")
    ratios.add_argument("--linked", action="store_true",
                        help="find: count only outcomes linked to the object of search")
    add_list_option(ratios, "--age-range", type=choices.age_range, default=[choices.CHILD], metavar="RANGE",
                        help=f"age ranges (default 10-17; one of {', '.join(choices.AGE_RANGES)})")
    ratios.add_argument("--from", dest="date_from", type=iso_date, help="first search date (YYYY-MM-DD)")
    ratios.add_argument("--to", dest="date_to", type=iso_date, help="last search date (YYYY-MM-DD)")
    ratios.add_argument("--split", choices=choices.SEARCH_SPLITS, default=None)
    add_list_option(ratios, "--force", metavar="NAME", help="police force(s) (default all)")
    add_list_option(ratios, "--object", metavar="OBJECT",
                        help="object(s) of search, e.g. 'Offensive weapons' ('Not recorded' = blank)")
    add_list_option(ratios, "--legislation", metavar="ACT")
    add_list_option(ratios, "--type", choices=(*choices.SEARCH_TYPES, choices.NOT_RECORDED))
    add_list_option(ratios, "--area", metavar="CODE",
                        help=f"district code(s), or '{choices.LOCATION_NOT_PUBLISHED}'")
    ratios.add_argument("--reference", default=schema.DEFAULT_REFERENCE_GROUP, choices=schema.ETHNIC_GROUPS)
    ratios.add_argument("--confidence", type=confidence_level, default=schema.DEFAULT_CONFIDENCE,
                        help="confidence level, 0.95 (default) or 0.998")
    ratios.add_argument("--ethnicity-source", choices=tuple(schema.ETHNICITY_SOURCES),
                        default=schema.DEFAULT_ETHNICITY_SOURCE)
    ratios.add_argument("--format", choices=("csv", "json"), default="csv")
    add_database_option(ratios)


def add_partners_commands(partners: argparse.ArgumentParser) -> None:
    """``partners load``, ``partners convert-dfe`` and ``partners link``."""
    sub = partners.add_subparsers(dest="partners_command", required=True, parser_class=OneLineParser)
    load = sub.add_parser("load", help="validate an aggregate partner indicator CSV and publish it")
    load.add_argument("file", type=Path, help="CSV: source, measure, area_code, period_start, period_end, age_band, "
                                              "ethnic_group, numerator, denominator, suppressed, licence")
    load.add_argument("--layout", choices=("contract", "dfe"), default="contract",
                      help="contract (default), or dfe: a DfE exclusions-by-characteristic download, converted first")
    add_database_option(load)
    convert = sub.add_parser("convert-dfe", help="write the contract CSV for a DfE exclusions-by-characteristic file")
    convert.add_argument("file", type=Path, help="the DfE download (exc_characteristics.csv layout)")
    convert.add_argument("--out", type=Path, default=None, help="output CSV (default: FILE-contract.csv beside it)")
    link = sub.add_parser("link", help="validate a person-level partner flags extract and publish it")
    link.add_argument("file", type=Path, help="CSV: person_id or person_ref, flag, flag_start, flag_end "
                                              "(optional ethnic_group, source)")
    add_database_option(link)


def main(argv: list[str] | None = None) -> int:
    """Parse, check the role may run the command, run it; bad input is one line on stderr and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        args.access_role = access.cli_role(args.as_role)
        access.check_command(args.access_role, args.command, audience=getattr(args, "audience", None),
                             subcommand=getattr(args, "searches_command", None)
                             or getattr(args, "partners_command", None) or getattr(args, "audit_command", None)
                             or getattr(args, "action", None))
        access.check_ethnicity_source(args.access_role, getattr(args, "ethnicity_source", None))
        if args.command == "report":
            access.check_edition_source(args.audience, args.ethnicity_source)
    except access.AccessDenied as exc:
        return fail(f"not allowed: {exc}")
    except (ConfigError, ValueError) as exc:
        return fail(str(exc))
    try:
        return importlib.import_module(RUNNERS[args.command]).run(args)
    except BrokenPipeError:
        return 0
    except Exception as exc:
        message = error_message(exc)
        if message is None:
            raise
        return fail(message)
