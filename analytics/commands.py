"""The subcommands of ``python -m analytics``; each returns an exit status."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analytics import access, cli, disparity, quality, schema, searches, suppression
from analytics.config import ConfigError, load_settings
from analytics.filters import Filters, format_confidence
from analytics.load import LoadError, load_extract
from analytics.store import AuditLog, DatabaseError, NoDataError, Store

DEFAULT_SAMPLE_DIR = Path("data") / "sample"


def build_parser() -> argparse.ArgumentParser:
    parser = cli.OneLineParser(prog="python -m analytics", description=__doc__)
    add_access_option(parser, None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=cli.OneLineParser)

    sample = commands.add_parser("sample", help="write the synthetic sample extract and population table")
    sample.add_argument("--out", type=Path, default=DEFAULT_SAMPLE_DIR, help="folder (default: data/sample)")
    sample.add_argument("--seed", type=int, default=None, help="random seed (default: the documented one)")
    sample.add_argument("--records", type=int, default=25_000, help="approximate number of person-records")
    sample.add_argument("--load", action="store_true", help="also load it into the database")
    cli.add_database_option(sample)

    load = commands.add_parser("load", help="validate an extract and publish it as the new database")
    load.add_argument("file", type=Path, help="extract (CSV or Parquet)")
    load.add_argument("--population", type=Path, default=None,
                      help="population table CSV (default: keep the current one)")
    cli.add_database_option(load)

    info = commands.add_parser("info", help="what is loaded: version, period, counts, rejections, completeness")
    cli.add_database_option(info)

    ratios = commands.add_parser("ratios", help="rates and disproportionality ratios by ethnic group")
    ratios.add_argument("--role", required=True, choices=schema.ROLES)
    ratios.add_argument("--measure", choices=disparity.MEASURES, default="rate",
                        help="rate: per 1,000 children of the group; outcome: share of concluded records")
    ratios.add_argument("--outcome", nargs="+", default=[schema.OUTCOME_22], metavar="CODE",
                        help="outcome codes counted by --measure outcome (default 22)")
    ratios.add_argument("--split", choices=schema.SPLIT_DIMENSIONS, default=None)
    ratios.add_argument("--adjust-for", nargs="+", default=[], metavar="DIM",
                        choices=("area", "offence_group", "age_band", "sex"),
                        help="also print Mantel-Haenszel ratios adjusted for these strata")
    ratios.add_argument("--format", choices=("csv", "json"), default="csv")
    cli.add_filter_options(ratios)
    cli.add_database_option(ratios)

    quality = commands.add_parser("quality", help="ethnicity completeness and self/officer-defined agreement")
    quality.add_argument("--format", choices=("text", "json"), default="text")
    cli.add_filter_options(quality)
    cli.add_database_option(quality)

    searches.add_parser(commands)  # stop and search (issue 8): searches load, searches ratios

    report = commands.add_parser("report", help="write the monthly pack (HTML and PDF) for officers or scrutiny")
    report.add_argument("--month", required=True, help="the month the pack is for, YYYY-MM (e.g. 2026-10)")
    report.add_argument("--audience", choices=("officers", "scrutiny"), default="scrutiny",
                        help="scrutiny (default): disclosure-controlled; officers: exact counts, not for publication")
    report.add_argument("--out", type=Path, default=Path("reports"), help="folder to write to (default: reports)")
    report.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    report.add_argument("--role", nargs="+", default=[], choices=schema.ROLES, help="roles to include (default: all)")
    cli.add_filter_options(report)
    cli.add_database_option(report)

    for sub in (sample, load, info, ratios, quality, report):
        add_access_option(sub, argparse.SUPPRESS)
    return parser


def add_access_option(parser: argparse.ArgumentParser, default) -> None:
    """``--as-role``: run with a lower role than the configured one (MONITOR_ROLE, ``role`` in monitor.toml,
    else analyst). Named so as not to clash with ``--role`` (victim/suspect/offender)."""
    parser.add_argument("--as-role", dest="as_role", choices=access.ROLES, default=default,
                        help="user role for this command (may only lower the configured MONITOR_ROLE; "
                             "default: the configured role, else analyst)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"sample": run_sample, "load": run_load, "info": run_info, "ratios": run_ratios, "quality": run_quality,
                "searches": searches.run, "report": run_report}
    try:
        args.access_role = access.cli_role(args.as_role)
        access.check_command(args.access_role, args.command, audience=getattr(args, "audience", None),
                             subcommand=getattr(args, "searches_command", None))
    except access.AccessDenied as exc:
        return cli.fail(f"not allowed: {exc}")
    except (ConfigError, ValueError) as exc:
        return cli.fail(str(exc))
    try:
        return handlers[args.command](args)
    except (cli.UsageError, LoadError, ConfigError, NoDataError, ValueError) as exc:
        return cli.fail(str(exc))
    except DatabaseError as exc:
        return cli.fail(f"database error: {exc}")
    except BrokenPipeError:
        return 0


def database_path(args: argparse.Namespace) -> Path:
    return args.db if args.db is not None else load_settings().database


def run_sample(args: argparse.Namespace) -> int:
    from sample_data import PLANTED_SEED, write_sample

    if args.records < 100:
        raise cli.UsageError("--records must be at least 100")
    seed = PLANTED_SEED if args.seed is None else args.seed
    extract, population = write_sample(args.out, seed=seed, n_records=args.records)
    print(f"Wrote {extract} and {population} (seed {seed})")
    if args.load:
        result = load_extract(extract, database_path(args), population=population)
        print(result.report())
    return 0


def run_load(args: argparse.Namespace) -> int:
    result = load_extract(args.file, database_path(args), population=args.population)
    print(result.report())
    return 0


def run_info(args: argparse.Namespace) -> int:
    store = Store(database_path(args))
    print(describe_database(store))
    return 0


def run_ratios(args: argparse.Namespace) -> int:
    filters = cli.filters_from_args(args, roles=(args.role,))
    store = Store(database_path(args))
    store.check_areas(filters.areas)
    outcomes = tuple(c.strip().upper() for c in args.outcome)
    try:
        if args.measure == "rate":
            result = disparity.population_rates(store, filters, split=args.split)
        else:
            result = disparity.decision_ratios(store, filters, outcomes, split=args.split)
        adjusted = (
            disparity.adjusted_ratios(store, filters, args.measure, tuple(args.adjust_for), outcomes)
            if args.adjust_for else None
        )
    except ValueError as exc:
        raise cli.UsageError(str(exc)) from None
    if not access.can(args.access_role, access.EXACT_COUNTS):  # scrutiny: disclosure-controlled output only
        result = access.controlled_table(result, args.access_role)
        if adjusted is not None:
            adjusted = adjusted[adjusted["group"].isin(access.shown_groups(result))]
    if args.format == "json":
        document = json.loads(result.to_json())
        document["metadata"]["disclosure_control"] = suppression.rules_text(access.audience_for(args.access_role))
        if adjusted is not None:
            document["adjusted"] = json.loads(adjusted.to_json(orient="records"))
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(result.csv_frame().to_csv(index=False, float_format="%.6g"))
        if adjusted is not None:
            print()
            sys.stdout.write(adjusted.to_csv(index=False, float_format="%.6g"))
    return 0


def run_report(args: argparse.Namespace) -> int:
    from analytics import report

    database = database_path(args)
    filters = cli.filters_from_args(args, roles=tuple(args.role))
    report.parse_month(args.month)  # bad input is refused before anything is recorded
    if filters.date_from or filters.date_to:
        return report.run(args, database, filters)  # refused there (the period is the 12 months to --month)
    # Recorded before the pack is made: if the audit log cannot be written, no pack is made.
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(vars(args).items())
               if k not in ("access_role", "as_role", "command")}
    AuditLog(access.audit_path(database)).append(
        user=access.cli_user(), role=args.access_role, source="cli", action="pack",
        what=f"monthly pack {args.month} ({args.audience}) in {args.out}", kind="html" if args.no_pdf else "html+pdf",
        filters=filters.describe(), query=json.loads(json.dumps(options, default=str)),
        data_version=Store(database).data_version(), page="python -m analytics report")
    return report.run(args, database, filters)


def run_quality(args: argparse.Namespace) -> int:
    filters = cli.filters_from_args(args)
    store = Store(database_path(args))
    store.check_areas(filters.areas)
    by = {dim: quality.completeness(store, filters, (dim,)) for dim in ("role", "area", "month")}
    agreement = quality.agreement(store, filters)
    if args.format == "json":
        document = {dim: json.loads(frame.to_json(orient="records", date_format="iso")) for dim, frame in by.items()}
        document["agreement"] = {
            "crosstab": json.loads(agreement.crosstab.to_json(orient="index")),
            "both_stated": agreement.both_stated, "agreeing": agreement.agreeing,
            "agreement": agreement.agreement.estimate, "agreement_lower": agreement.agreement.lower,
            "agreement_upper": agreement.agreement.upper, "kappa": agreement.kappa,
        }
        print(json.dumps(document, indent=2, ensure_ascii=False, default=str))
        return 0
    print(f"Ethnicity recording ({filters.describe()})")
    print(f"Target: self-defined ethnicity stated on {schema.ETHNICITY_COMPLETENESS_TARGET:.0%} of records\n")
    for dim, frame in by.items():
        print(f"{'By ' + dim:<14}{'records':>9}{'self-defined':>14}{'interval':>18}{'any stated':>12}")
        for _, row in frame.iterrows():
            label = row[dim].strftime("%Y-%m") if dim == "month" else str(row[dim])
            print(f"{label:<14}{int(row['records']):>9,}{row['self_share']:>13.1%} "
                  f"{row['self_lower']:>8.1%} to {row['self_upper']:<6.1%}{row['any_share']:>11.1%}")
        print()
    print("Self-defined (rows) by officer-defined (columns), records:")
    print(agreement.crosstab.to_string())
    print()
    print(agreement.describe())
    return 0


def describe_database(store: Store) -> str:
    """The ``info`` text: version, period, counts by role, rejections and completeness."""
    meta = store.publication()
    first, last = store.period()
    everything = Filters()
    by_role = store.counts(everything, ("role",)).set_index("role")["events"]
    records = store.counts(everything.replace(counting_unit="records"), ("role",)).set_index("role")["events"]
    months = store.counts(everything.replace(counting_unit="records"), ("month",))
    completeness = store.ethnicity_completeness(everything, ("role",)).set_index("role")
    lines = [
        f"Data version     {meta['version']}",
        f"Loaded at        {meta['loaded_at']} from {meta['source_file']}",
        f"Period covered   {first} to {last} ({len(months)} months with records)",
        f"Rows             read {meta['rows_read']:,} = loaded {meta['loaded']:,} + rejected "
        f"{meta['rejected']:,} + excluded {meta['excluded']:,}",
        f"Population       {meta['population_source']}",
        "",
        f"{'Role':<10}{'children':>10}{'records':>10}{'self-defined stated':>22}{'any ethnicity stated':>22}",
    ]
    for role in schema.ROLES:
        if role not in records.index:
            lines.append(f"{role:<10}{0:>10}{0:>10}")
            continue
        row = completeness.loc[role]
        lines.append(
            f"{role:<10}{int(by_role[role]):>10,}{int(records[role]):>10,}"
            f"{row['self_stated'] / row['records']:>21.1%} {row['either_stated'] / row['records']:>21.1%}"
        )
    summary = store.load_summary()
    problems = summary[(summary["kind"] != "loaded") & (summary["rows"] > 0)]
    lines += ["", "Rejected and excluded rows by reason:" if len(problems) else "No rows rejected or excluded."]
    for _, row in problems.iterrows():
        lines.append(f"  {row['kind']:<9}{int(row['rows']):>8,}  {row['reason']}")
    lines += ["", f"Default confidence {format_confidence(schema.DEFAULT_CONFIDENCE)}; "
              f"serious youth violence: {store.definitions()['serious_youth_violence']}"]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
