"""The command line's package (``analytics.cli``): a fast start, code lists in step with the domain, one-line errors.

``--help``, each subcommand's ``--help`` and an argument error must not load pandas, scipy, duckdb or plotly (they
take seconds to import); each subcommand's module is imported only when that command runs. Checked in a fresh
interpreter, by what is in ``sys.modules`` afterwards (never by the clock).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.cli import choices, options
from analytics.cli.main import RUNNERS, build_parser, main

PROJECT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "numpy", "duckdb", "plotly", "pyarrow", "streamlit")
SUBCOMMANDS = (["sample"], ["load"], ["info"], ["ratios"], ["quality"], ["searches"], ["searches", "load"],
               ["searches", "ratios"], ["report"])


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
