"""A setting or command that the README does not mention is a defect (DESIGN.md section 9, after datasette)."""

from __future__ import annotations

import re
from pathlib import Path

from analytics.cli.main import build_parser

PROJECT = Path(__file__).resolve().parents[1]
README = (PROJECT / "README.md").read_text(encoding="utf-8")
CODE = [*PROJECT.glob("analytics/**/*.py"), *PROJECT.glob("ui/*.py"), PROJECT / "dashboard.py",
        *PROJECT.glob("pages/*.py")]


def test_every_environment_setting_is_documented():
    used = {name for path in CODE for name in re.findall(r"\bMONITOR_[A-Z_]+\b", path.read_text(encoding="utf-8"))}
    assert used, "no settings found: the scan is broken"
    undocumented = sorted(name for name in used if not re.search(rf"`{name}`", README))
    assert undocumented == []


def test_every_configuration_key_is_documented():
    config = (PROJECT / "analytics" / "config.py").read_text(encoding="utf-8")
    access = (PROJECT / "analytics" / "access.py").read_text(encoding="utf-8")
    keys = (set(re.findall(r'values\.get\("([a-z_]+)"', config))
            | set(re.findall(r'_config_file_values\(\)\.get\("([a-z_]+)"', access)))
    assert {"database", "pseudonymisation_key_file", "ethnicity_source"} <= keys
    assert sorted(k for k in keys if f"`{k}`" not in README and f"[{k}]" not in README) == []


def test_every_command_is_documented():
    parser = build_parser()
    # argparse keeps its subcommands only in the parser's private list of actions
    subcommands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")  # noqa: SLF001
    assert isinstance(subcommands.choices, dict)
    for name, sub in subcommands.choices.items():
        assert f"python -m analytics {name}" in README, name
        nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]  # noqa: SLF001
        for inner in nested:
            for inner_name in inner.choices:
                assert f"python -m analytics {name} {inner_name}" in README, f"{name} {inner_name}"
