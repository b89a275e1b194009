"""The command line's package (``analytics.cli``): a fast start, code lists in step with the domain, one-line errors.

``--help``, each subcommand's ``--help`` and an argument error must not load pandas, scipy, duckdb or plotly (they
take seconds to import); each subcommand's module is imported only when that command runs. Checked in a fresh
interpreter, by what is in ``sys.modules`` afterwards (never by the clock).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.cli import choices, options
from analytics.cli.main import RUNNERS, build_parser, main
from tests import cli_batch

PROJECT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "numpy", "duckdb", "plotly", "pyarrow", "streamlit")
SUBCOMMANDS = (["sample"], ["load"], ["info"], ["ratios"], ["quality"], ["searches"], ["searches", "load"],
               ["searches", "ratios"], ["report"], ["audit"], ["audit", "verify"])


def modules_after(argv: list[str]) -> dict:
    """Run ``analytics.cli.main.main(argv)`` in a fresh interpreter; its exit status, stderr and loaded modules."""
    code = (
        "import json, sys\n"
        "from analytics.cli.main import main\n"
        "try:\n"
        f"    status = main({argv!r})\n"
        "except SystemExit as exit:\n"
        "    status = exit.code\n"
        "sys.stdout.flush()\n"
        "print('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
        "sys.exit(status)\n"
    )
    process = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True)
    modules = json.loads(process.stdout.rsplit("MODULES ", 1)[1])
    return {"status": process.returncode, "stderr": process.stderr, "modules": modules}


def heavy(modules: list[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules if name.split(".")[0] in HEAVY})


def test_importing_the_package_loads_nothing_heavy():
    code = "import sys, analytics.cli, analytics.cli.main; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert heavy(loaded) == []
    assert "scipy.stats" not in loaded and "pandas" not in loaded
    assert not [name for name in RUNNERS.values() if name in loaded]  # no subcommand's module either


@pytest.mark.parametrize("module", ["analytics.schema", "analytics.filters", "analytics.config", "analytics.access"])
def test_the_modules_the_parser_uses_load_nothing_heavy(module):
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert heavy(loaded) == []


def test_help_loads_nothing_heavy():
    result = modules_after(["--help"])
    assert result["status"] == 0
    assert heavy(result["modules"]) == []
    assert not [name for name in RUNNERS.values() if name in result["modules"]]


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=" ".join)
def test_each_subcommands_help_loads_nothing_heavy(command):
    result = modules_after([*command, "--help"])
    assert result["status"] == 0, result["stderr"]
    assert heavy(result["modules"]) == []
    assert not [name for name in RUNNERS.values() if name in result["modules"]]


@pytest.mark.parametrize("argv", [["ratios", "--role", "nobody"], ["ratios"], ["bogus"],
                                  ["ratios", "--role", "suspect", "--confidence", "2"],
                                  ["searches", "ratios", "--age-range", "nonsense"], ["report"]], ids=" ".join)
def test_an_argument_error_is_one_line_and_loads_nothing_heavy(argv):
    result = modules_after(argv)
    assert result["status"] == 2
    assert len(result["stderr"].strip().splitlines()) == 1, result["stderr"]
    assert heavy(result["modules"]) == []


def test_a_subcommands_module_is_imported_when_it_runs(tmp_path):
    result = modules_after(["info", "--db", str(tmp_path / "missing.duckdb")])
    assert result["status"] == 2  # nothing loaded there: one line
    assert "analytics.cli.info" in result["modules"]
    assert not [name for command, name in RUNNERS.items() if command != "info" and name in result["modules"]]


def test_every_command_has_a_module_with_run():
    import importlib

    parser = build_parser()
    # argparse keeps its subcommands only in the parser's private list of actions
    subcommands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")  # noqa: SLF001
    assert subcommands.choices is not None
    assert set(subcommands.choices) == set(RUNNERS)
    for name in RUNNERS.values():
        assert callable(importlib.import_module(name).run)


# --------------------------------------------------------------------------------------------
# The parser's code lists are the domain's
# --------------------------------------------------------------------------------------------
def test_ratio_choices_match_disparity():
    from analytics import disparity

    assert choices.RATIO_MEASURES == disparity.MEASURES
    assert set(choices.ADJUST_FOR) == set(disparity.RATE_STRATA) | set(disparity.DECISION_STRATA)


def test_search_choices_match_searches():
    from analytics import searches

    assert choices.SEARCH_MEASURES == searches.MEASURES
    assert choices.SEARCH_SPLITS == searches.SPLITS
    assert choices.SEARCH_TYPES == searches.SEARCH_TYPES
    assert choices.AGE_RANGES == searches.AGE_RANGES
    assert (choices.CHILD, choices.UNDER_10, choices.NOT_RECORDED, choices.LOCATION_NOT_PUBLISHED) == (
        searches.CHILD, searches.UNDER_10, searches.NOT_RECORDED, searches.LOCATION_NOT_PUBLISHED)
    for written in ("10-17", "10 - 17", "UNDER 10", "under_10", "Over 34", "not recorded", "18-24", "25-34"):
        assert choices.age_range(written) in searches.AGE_RANGES


# --------------------------------------------------------------------------------------------
# Errors: the domain's bad-input errors become one line and exit status 2; anything else propagates
# --------------------------------------------------------------------------------------------
def test_error_messages_for_the_domains_errors():
    from analytics.load import LoadError
    from analytics.store import NoDataError

    assert options.error_message(ValueError("bad value")) == "bad value"
    assert options.error_message(options.UsageError("bad option")) == "bad option"
    assert options.error_message(LoadError("bad file")) == "bad file"
    assert options.error_message(NoDataError("no data")) == "no data"
    assert options.error_message(RuntimeError("a defect")) is None
    assert options.error_message(KeyError("a defect")) is None


def test_a_database_error_is_one_line(tmp_path):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database\n" * 400)
    result = modules_after(["ratios", "--role", "suspect", "--db", str(broken)])
    assert result["status"] == 2
    lines = result["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: database error:"), result["stderr"]


def test_loaded_classes_looks_up_without_importing():
    assert options.loaded_classes(("builtins.ValueError", "no_such_module_here.Error")) == (ValueError,)
    assert "no_such_module_here" not in sys.modules
    assert options.loaded_classes(("builtins.len",)) == ()  # not an exception class


def test_a_defect_is_not_swallowed(monkeypatch):
    from analytics.cli import info

    def broken(args):
        raise RuntimeError("a defect")

    monkeypatch.setattr(info, "run", broken)
    with pytest.raises(RuntimeError, match="a defect"):
        main(["info"])


def test_python_m_analytics_runs_the_package():
    process = subprocess.run([sys.executable, "-m", "analytics", "ratios", "--role", "nobody"], cwd=PROJECT,
                             capture_output=True, text=True)
    assert process.returncode == 2
    assert process.stderr.startswith("python -m analytics ratios: error: argument --role: invalid choice: 'nobody'")


# --------------------------------------------------------------------------------------------
# Issue 13: repeatable options, full precision, options that do not apply refused
# --------------------------------------------------------------------------------------------
#: (the command's words before the option, the option, two values, the parsed attribute, what they parse to)
REPEATABLE = [
    (["ratios", "--role", "suspect", "--measure", "outcome"], "--outcome", ("22", "1"), "outcome", ["22", "1"]),
    (["ratios", "--role", "suspect"], "--adjust-for", ("area", "sex"), "adjust_for", ["area", "sex"]),
    *[(["ratios", "--role", "suspect"], option, values, attribute, list(values)) for option, values, attribute in [
        ("--area", ("E07000148", "E07000149"), "area"),
        ("--offence-group", ("Robbery", "Violence with injury"), "offence_group"),
        ("--age-band", ("10-13", "14-15"), "age_band"),
        ("--sex", ("F", "M"), "sex"),
        ("--ethnic-group", ("Black", "Mixed"), "ethnic_group"),
        ("--outcome-filter", ("1", "22"), "outcome_filter"),
        ("--flag", ("knife_crime", "gangs"), "flag"),
        ("--exclude-flag", ("cce", "cse"), "exclude_flag"),
    ]],
    (["quality"], "--age-band", ("10-13", "16-17"), "age_band", ["10-13", "16-17"]),
    (["report", "--month", "2026-10"], "--role", ("victim", "offender"), "role", ["victim", "offender"]),
    (["report", "--month", "2026-10"], "--area", ("E07000148", "E07000149"), "area", ["E07000148", "E07000149"]),
    (["alerts"], "--role", ("suspect", "offender"), "role", ["suspect", "offender"]),
    (["searches", "ratios"], "--age-range", ("10-17", "under 10"), "age_range", ["10-17", "under 10"]),
    (["searches", "ratios"], "--force", ("norfolk", "suffolk"), "force", ["norfolk", "suffolk"]),
    (["searches", "ratios"], "--object", ("Offensive weapons", "Stolen goods"), "object",
     ["Offensive weapons", "Stolen goods"]),
    (["searches", "ratios"], "--legislation", ("Misuse of Drugs Act 1971 (section 23)", "Police and Criminal "
                                               "Evidence Act 1984 (section 1)"), "legislation",
     ["Misuse of Drugs Act 1971 (section 23)", "Police and Criminal Evidence Act 1984 (section 1)"]),
    (["searches", "ratios"], "--type", ("Person search", "Vehicle search"), "type",
     ["Person search", "Vehicle search"]),
    (["searches", "ratios"], "--area", ("E07000148", "Location not published"), "area",
     ["E07000148", "Location not published"]),
]


#: The shared filter options (``options.add_filter_options``): tested on ``ratios``, the same code on every command.
FILTERS = {o for w, o, *_ in REPEATABLE if w[0] == "ratios"} - {"--outcome", "--adjust-for"}


@pytest.mark.parametrize(("words", "option", "values", "attribute", "expected"), REPEATABLE,
                         ids=[f"{' '.join(w[:1 + (w[0] == 'searches')])} {o}" for w, o, *_ in REPEATABLE])
def test_every_repeatable_option_takes_both_forms(words, option, values, attribute, expected):
    """``--opt a b`` and ``--opt a --opt b`` mean the same, both values (not the last one alone)."""
    parser = build_parser()
    together = parser.parse_args([*words, option, *values])
    repeated = parser.parse_args([*words, option, values[0], option, values[1]])
    last_only = parser.parse_args([*words, option, values[1]])
    assert getattr(together, attribute) == expected
    assert getattr(repeated, attribute) == expected
    assert getattr(last_only, attribute) == expected[1:]


def test_every_multi_value_option_is_repeatable():
    """No list option escapes the test above: each one in every (sub)parser uses the extending action."""
    def parsers(parser):
        yield parser
        for action in parser._actions:  # noqa: SLF001 - argparse keeps its actions only here
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                for sub in action.choices.values():
                    yield from parsers(sub)

    found = {(parser.prog, action.option_strings[0])
             for parser in parsers(build_parser()) for action in parser._actions  # noqa: SLF001
             if action.option_strings and action.nargs == "+"}
    assert found and all(
        isinstance(action, options.Extend)
        for parser in parsers(build_parser()) for action in parser._actions  # noqa: SLF001
        if action.option_strings and action.nargs == "+")
    tested = {(" ".join(words[:2] if words[0] == "searches" else words[:1]), option)
              for words, option, *_ in REPEATABLE}
    untested = {(prog, option) for prog, option in found if (prog.removeprefix("python -m analytics "), option)
                not in tested and (prog.endswith(("ratios", "quality", "report")) is False or option not in FILTERS)}
    assert not untested, untested


def test_a_default_list_is_replaced_not_extended():
    parser = build_parser()
    assert parser.parse_args(["searches", "ratios"]).age_range == ["10-17"]
    assert parser.parse_args(["searches", "ratios", "--age-range", "18-24"]).age_range == ["18-24"]


def ratios_json(db, *arg_lists: tuple[str, ...]) -> list[dict]:
    """Each of ``arg_lists`` as ``python -m analytics ratios --format json --db DB *args``, the runs in one process
    (tests/cli_batch.py); each run's JSON document."""
    processes = cli_batch.run([["ratios", "--format", "json", "--db", str(db), *args] for args in arg_lists])
    for process in processes:
        assert process.returncode == 0, process.stderr
    return [json.loads(process.stdout) for process in processes]


def test_repeated_age_bands_count_both_bands(sample_db):
    """The defect: ``--age-band 10-13 --age-band 14-15`` meant 14-15 alone."""
    bands = ("10-13", "14-15")
    together, repeated, *each = ratios_json(
        sample_db, ("--role", "suspect", "--age-band", "10-13", "14-15"),
        ("--role", "suspect", "--age-band", "10-13", "--age-band", "14-15"),
        *[("--role", "suspect", "--age-band", band) for band in bands])
    alone = dict(zip(bands, each, strict=True))
    assert together == repeated
    assert "age: 10-13, 14-15" in repeated["metadata"]["filters"]
    for i, row in enumerate(repeated["rows"]):  # children are in one age band per record; no child is in both here
        parts = [alone[band]["rows"][i] for band in ("10-13", "14-15")]
        assert row["group"] == parts[0]["group"] == parts[1]["group"]
        if row["unit"] == "per 1,000 children per year":  # the population of the two bands together
            assert row["denominator"] == parts[0]["denominator"] + parts[1]["denominator"]
        assert max(p["events"] for p in parts) <= row["events"] <= sum(p["events"] for p in parts)


def test_json_and_csv_keep_full_precision(sample_db, sample_store):
    """Every p-value, rate and ratio printed equals the computed float exactly (repr), none printed as 0."""
    from analytics import disparity
    from analytics.filters import Filters

    computed = disparity.population_rates(sample_store, Filters(roles=("suspect",))).table
    json_run, csv_run = cli_batch.run([["ratios", "--format", "json", "--db", str(sample_db), "--role", "suspect"],
                                       ["ratios", "--role", "suspect", "--db", str(sample_db)]])
    assert json_run.returncode == csv_run.returncode == 0, json_run.stderr + csv_run.stderr
    document, csv_text = json.loads(json_run.stdout), csv_run.stdout
    csv_rows = list(__import__("csv").DictReader(csv_text.splitlines()))
    tiny = 0
    for row, csv_row, (_, expected) in zip(document["rows"], csv_rows, computed.iterrows(), strict=True):
        for column in ("rate", "ratio", "ratio_lower", "ratio_upper", "p_value", "p_adjusted"):
            value = expected[column]
            if value != value:  # NaN: null in JSON, blank in CSV
                assert row[column] is None and csv_row[column] == ""
                continue
            assert row[column] == value and float(csv_row[column]) == value
        tiny += 0 < expected["p_value"] < 1e-6
    assert tiny  # the sample has Black suspects' p of about 3e-40: it must not print as 0


def test_a_p_value_of_2_9e_12_is_never_printed_as_0():
    import pandas as pd

    from analytics import exports

    frame = pd.DataFrame({"p_value": [2.9e-12, float("nan"), float("inf")], "n": [1, 2, 3]})
    assert exports.json_records(frame) == [{"p_value": 2.9e-12, "n": 1}, {"p_value": None, "n": 2},
                                           {"p_value": None, "n": 3}]
    assert json.loads(json.dumps(exports.json_records(frame)))[0]["p_value"] == 2.9e-12
    assert frame.to_json(orient="records").startswith('[{"p_value":0.0')  # the defect this replaces
    from analytics.cli.ratios import FLOAT_FORMAT

    assert frame.to_csv(index=False, float_format=FLOAT_FORMAT).splitlines()[1] == "2.9e-12,1"
    assert exports.csv_bytes(frame).decode("utf-8-sig").splitlines()[1] == "2.9e-12,1"


OPTIONS_THAT_DO_NOT_APPLY = [
    (["--role", "suspect", "--measure", "outcome", "--count", "persons"],
     "error: --count persons does not apply to --measure outcome"),
    (["--role", "suspect", "--measure", "outcome", "--outcome-filter", "22"],
     "error: --outcome-filter does not apply to --measure outcome"),
    (["--role", "victim", "--measure", "outcome"], "error: --measure outcome does not apply to --role victim"),
    (["--role", "suspect", "--outcome", "22"], "error: --outcome applies to --measure outcome only"),
]


@pytest.fixture(scope="module")
def refused_options(sample_db) -> dict[tuple[str, ...], subprocess.CompletedProcess]:
    """Each of ``OPTIONS_THAT_DO_NOT_APPLY`` as ``python -m analytics ratios``, in one process (tests/cli_batch.py)."""
    argvs = [["ratios", *args, "--db", str(sample_db)] for args, _ in OPTIONS_THAT_DO_NOT_APPLY]
    return {tuple(args): process
            for (args, _), process in zip(OPTIONS_THAT_DO_NOT_APPLY, cli_batch.run(argvs), strict=True)}


@pytest.mark.parametrize(("args", "message"), OPTIONS_THAT_DO_NOT_APPLY)
def test_options_that_do_not_apply_are_refused_in_one_line(refused_options, args, message):
    process = refused_options[tuple(args)]
    assert process.returncode == 2 and process.stdout == ""
    assert process.stderr.startswith(message) and len(process.stderr.strip().splitlines()) == 1, process.stderr


def test_outcome_metadata_states_what_was_computed(sample_db):
    """Records are the unit of a decision point whatever ``--count`` says by default; no outcome filter is claimed."""
    document, explicit = ratios_json(sample_db, ("--role", "offender", "--measure", "outcome"),
                                     ("--role", "offender", "--measure", "outcome", "--count", "records"))
    metadata = document["metadata"]
    assert metadata["counting_unit"] == "records"
    assert "counting records" in metadata["filters"] and "outcome:" not in metadata["filters"]
    assert explicit["rows"] == document["rows"]
