"""The house rules, executable (DESIGN.md section 2; docs/DECISIONS.md, "House rules and tests").

Each rule reads the source with ``ast`` (nothing is imported, so the whole project is checked in well under a
second) and reports every violation as ``path:line: what is wrong``. Each rule is also run on a small source
string that breaks it (``test_each_rule_fails_on_a_violation``), so a rule that could no longer fail is noticed.

1. ``analytics/`` never imports streamlit.
2. Only ``analytics/store/`` imports duckdb or sqlite3 or calls ``.execute(``, ``.executemany(`` or ``.sql(``
   (tests/ and benchmarks/ are not checked: they read what a load wrote through connections of their own).
3. No module imports or uses another module's ``_private`` name (``from x import _y``, ``x._y`` where ``x`` is a
   project module) in analytics/, ui/, pages/ and dashboard.py. An object reaching the private attribute of
   another instance of its own class (``source._connection`` in ``PublicationReader``) is not a module's name.
4. Imports point one way, pages -> ui -> analytics. analytics/ never imports ui/, pages/ or the dashboard; ui/
   never imports pages/ or the dashboard. Pages and dashboard.py import ui/ and, from analytics/, only names and
   figures: the code lists, filters, access rules and figure builders (``PAGE_MODULES``) and the constants
   (UPPER_CASE names, e.g. ``geography.ATTRIBUTION``) of other analytics modules, never the store, the loaders or
   the command line. They call no computation (disparity, tables, trends, geography, quality, searches, report,
   ...) and take no store from ui (``cached.store()``, ``auth.audit_log()``): a page draws, ui computes.
5. No module in analytics/ is longer than 520 lines (about 500), except stats.py.
7. Every plotly figure is built by ``analytics.chart_template`` (``figure``, ``subplots``), which draws it on the
   house template: no ``go.Figure(...)`` or ``make_subplots(...)`` elsewhere in analytics/, ui/ or pages/.
6. ``import analytics.cli`` loads neither pandas nor scipy.stats: checked in a fresh interpreter by
   tests/test_cli.py::test_importing_the_package_loads_nothing_heavy (not repeated here).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
#: The project's own top-level packages and modules (anything else is a library).
PROJECT_NAMES = frozenset({"analytics", "ui", "pages", "dashboard", "sample_data", "benchmarks", "tests"})
#: What runs in the product, checked for the data boundary; the layers are a subset.
PRODUCT = ("analytics", "ui", "pages", "dashboard.py", "sample_data")
LAYERS = ("analytics", "ui", "pages", "dashboard.py")

STORE_PACKAGE = "analytics/store/"
DATABASE_LIBRARIES = frozenset({"duckdb", "sqlite3"})
SQL_METHODS = frozenset({"execute", "executemany", "sql"})
#: The analytics modules a page may use freely: code lists, filters, access rules, figure builders.
PAGE_MODULES = frozenset({"analytics.schema", "analytics.filters", "analytics.access", "analytics.charts"})
#: Analytics packages a page may not touch at all, not even their constants.
PAGE_FORBIDDEN = ("analytics.store", "analytics.load", "analytics.cli")
#: ui functions that hand out a store: a page asks ui for results instead.
STORE_HANDLES = {"ui.cached": frozenset({"store"}), "ui.auth": frozenset({"audit_log"})}
MAX_LINES = 520
LONG_MODULES_ALLOWED = frozenset({"analytics/stats.py"})
CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")
FIGURE_BUILDERS = frozenset({"Figure", "make_subplots"})
CHART_TEMPLATE = "analytics/chart_template.py"


# --------------------------------------------------------------------------------------------
# Reading the source
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Source:
    """One file: its path relative to the project (``analytics/store/read.py``), text and syntax tree."""

    path: str
    text: str
    tree: ast.Module

    @property
    def module(self) -> str:
        parts = self.path.removesuffix(".py").split("/")
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    @property
    def package(self) -> str:
        return self.module if self.path.endswith("__init__.py") else self.module.rpartition(".")[0]

    @property
    def layer(self) -> str:
        return self.module.split(".")[0]


@dataclass(frozen=True)
class Import:
    """One import: ``module`` (``import module``) or ``name`` from ``module`` (``from module import name``), the
    local name it binds and the dotted name that local name stands for (``import a.b`` binds ``a`` to ``a``)."""

    line: int
    module: str
    name: str | None
    bound: str
    target: str

    @property
    def imported(self) -> str:
        """What is imported, in full: ``a.b`` for ``import a.b``, ``a.b.c`` for ``from a.b import c``."""
        return self.module if self.name is None else f"{self.module}.{self.name}"

    @property
    def used_module(self) -> str:
        """The module this import depends on: the imported module itself, or the one a name comes from."""
        return self.imported if self.name is None or is_module(self.imported) else self.module


def source(path: str, text: str | None = None) -> Source:
    """A project file (``text`` None) or a synthetic one for the rules' self-tests."""
    text = (PROJECT / path).read_text(encoding="utf-8") if text is None else text
    return Source(path, text, ast.parse(text, filename=path))


def project_sources(*roots: str) -> list[Source]:
    paths: list[Path] = []
    for root in roots:
        path = PROJECT / root
        paths.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return [source(p.relative_to(PROJECT).as_posix()) for p in paths]


def is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of the project (not a name inside one)."""
    base = PROJECT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def top(dotted: str) -> str:
    return dotted.split(".")[0]


def imports(src: Source) -> Iterator[Import]:
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or top(alias.name)
                yield Import(node.lineno, alias.name, None, bound, alias.name if alias.asname else bound)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package upwards
                package = src.package.split(".")
                base = ".".join([*package[:len(package) - node.level + 1], *filter(None, [base])])
            for alias in node.names:
                yield Import(node.lineno, base, alias.name, alias.asname or alias.name, f"{base}.{alias.name}")


def attribute_uses(src: Source) -> Iterator[tuple[int, str, str | None]]:
    """``(line, module, name)`` for each dotted use of an imported project module: ``stats.wilson_ci`` gives
    ``("analytics.stats", "wilson_ci")``; a chain of modules only (``analytics.store``) gives name None."""
    bound = {i.bound: i.target for i in imports(src) if top(i.target) in PROJECT_NAMES}
    inner = {id(n.value) for n in ast.walk(src.tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(src.tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue
        parts: list[str] = []
        value: ast.expr = node
        while isinstance(value, ast.Attribute):
            parts.insert(0, value.attr)
            value = value.value
        if not isinstance(value, ast.Name) or value.id not in bound:
            continue
        module, rest = bound[value.id], parts
        if not is_module(module):  # a name imported from a module: ``from analytics.stats import wilson_ci``
            module, rest = module.rpartition(".")[0], [module.rpartition(".")[2], *parts]
        while rest and is_module(f"{module}.{rest[0]}"):
            module, rest = f"{module}.{rest[0]}", rest[1:]
        yield node.lineno, module, rest[0] if rest else None


# --------------------------------------------------------------------------------------------
# The rules: each takes one file and returns what is wrong with it
# --------------------------------------------------------------------------------------------
def no_streamlit_in_analytics(src: Source) -> list[Violation]:
    if src.layer != "analytics":
        return []
    return [Violation(src.path, i.line, "imports streamlit: analytics/ is pure Python (the UI is ui/ and pages/)")
            for i in imports(src) if top(i.imported) == "streamlit"]


def sql_only_in_the_store(src: Source) -> list[Violation]:
    if src.path.startswith(STORE_PACKAGE):
        return []
    found = [Violation(src.path, i.line, f"imports {top(i.module)}: only analytics/store/ opens databases")
             for i in imports(src) if top(i.module) in DATABASE_LIBRARIES]
    for node in ast.walk(src.tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS):
            found.append(Violation(src.path, node.lineno,
                                   f"calls .{node.func.attr}(): only analytics/store/ runs SQL"))
    return found


def no_private_names_of_other_modules(src: Source) -> list[Violation]:
    found = []
    for i in imports(src):
        if top(i.imported) not in PROJECT_NAMES:
            continue
        private = [part for part in i.imported.split(".") if is_private(part)]
        if private:
            found.append(Violation(src.path, i.line, f"imports the private name {private[0]} ({i.imported})"))
    for line, module, name in attribute_uses(src):
        if name is not None and is_private(name):
            found.append(Violation(src.path, line, f"uses the private name {name} of {module}"))
    return found


def imports_point_one_way(src: Source) -> list[Violation]:
    """Imports point one way (analytics <- ui <- pages, dashboard); pages take only names and figures."""
    forbidden = {"analytics": {"ui", "pages", "dashboard"}, "ui": {"pages", "dashboard"}}.get(src.layer, set())
    found = [Violation(src.path, i.line, f"imports {i.used_module}: {src.layer} may not depend on {top(i.used_module)}")
             for i in imports(src) if top(i.used_module) in forbidden]
    if src.layer in ("pages", "dashboard"):
        found += page_imports(src)
    return found


def page_imports(src: Source) -> list[Violation]:
    found = []
    for i in imports(src):
        module = i.used_module
        if top(module) in PROJECT_NAMES - {"ui", "analytics"}:
            found.append(Violation(src.path, i.line, f"imports {module}: a page imports only ui and analytics"))
        elif top(module) == "analytics":
            name = None if module == i.imported else i.name
            found += page_use(src.path, i.line, module, name, imported=True)
        elif name_handed_out := STORE_HANDLES.get(module, frozenset()) & {i.name}:
            found.append(Violation(src.path, i.line, f"imports {module}.{min(name_handed_out)}, which hands out "
                                   "the store: ask ui for the result instead"))
    for line, module, name in attribute_uses(src):
        if top(module) == "analytics":
            found += page_use(src.path, line, module, name, imported=False)
        elif name in STORE_HANDLES.get(module, frozenset()):
            found.append(Violation(src.path, line, f"uses {module}.{name}, which hands out the store: ask ui for "
                                   "the result instead"))
    return found


def page_use(path: str, line: int, module: str, name: str | None, imported: bool) -> list[Violation]:
    """A page's use of ``module`` (and ``name`` from it): allowed modules freely, other modules' constants."""
    if module in PAGE_MODULES or module.startswith(tuple(f"{m}." for m in PAGE_MODULES)):
        return []
    if module.startswith(PAGE_FORBIDDEN) or module.startswith(tuple(f"{m}." for m in PAGE_FORBIDDEN)):
        return [Violation(path, line, f"uses {module}: pages never touch the store, the loaders or the CLI")]
    if name is None:  # the module itself, imported: its uses are checked one by one
        return [] if imported else [Violation(path, line, f"uses the module {module} itself")]
    if CONSTANT.fullmatch(name):
        return []
    return [Violation(path, line, f"uses {module}.{name}: a page takes only names and figures from analytics "
                      f"({', '.join(sorted(PAGE_MODULES))}, and constants); computations go through ui")]


def modules_are_short(src: Source) -> list[Violation]:
    lines = src.text.count("\n")
    if src.layer != "analytics" or src.path in LONG_MODULES_ALLOWED or lines <= MAX_LINES:
        return []
    return [Violation(src.path, lines, f"{lines} lines: split it (analytics/ modules stay under {MAX_LINES})")]


def figures_on_the_house_template(src: Source) -> list[Violation]:
    if src.path == CHART_TEMPLATE:
        return []
    found = []
    for node in ast.walk(src.tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if called in FIGURE_BUILDERS:
            found.append(Violation(src.path, node.lineno, f"calls {called}(): build figures with "
                                   "analytics.chart_template (figure, subplots), on the house template"))
    return found


Rule = Callable[[Source], list[Violation]]
#: Each rule and the part of the project it governs.
RULES: dict[str, tuple[Rule, tuple[str, ...]]] = {
    "no streamlit in analytics": (no_streamlit_in_analytics, ("analytics",)),
    "SQL only in the store": (sql_only_in_the_store, PRODUCT),
    "no private names of other modules": (no_private_names_of_other_modules, LAYERS),
    "imports point one way": (imports_point_one_way, LAYERS),
    "analytics modules are short": (modules_are_short, ("analytics",)),
    "figures on the house template": (figures_on_the_house_template, LAYERS),
}


# --------------------------------------------------------------------------------------------
# The project obeys every rule
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule_name", list(RULES))
def test_the_project_obeys(rule_name):
    rule, roots = RULES[rule_name]
    sources = project_sources(*roots)
    assert len(sources) > 3, roots  # the walk found the files
    violations = sorted((v for src in sources for v in rule(src)), key=lambda v: (v.path, v.line))
    assert not violations, f"{rule_name}:\n" + "\n".join(map(str, violations))


def test_the_cli_import_rule_is_checked_by_test_cli():
    text = (PROJECT / "tests" / "test_cli.py").read_text(encoding="utf-8")
    assert "def test_importing_the_package_loads_nothing_heavy" in text
    assert '"scipy.stats" not in loaded and "pandas" not in loaded' in text


# --------------------------------------------------------------------------------------------
# Each rule fails on a violation (and allows what it should)
# --------------------------------------------------------------------------------------------
VIOLATIONS = [
    # rule, file it pretends to be, source, the line that breaks it, what the message says
    ("no streamlit in analytics", "analytics/x.py", "import math\nimport streamlit as st\n", 2, "streamlit"),
    ("no streamlit in analytics", "analytics/x.py", "from streamlit.testing import v1\n", 1, "streamlit"),
    ("SQL only in the store", "analytics/x.py", "import duckdb\n", 1, "imports duckdb"),
    ("SQL only in the store", "ui/x.py", "from sqlite3 import connect\n", 1, "imports sqlite3"),
    ("SQL only in the store", "analytics/load/x.py", "def f(con):\n    return con.execute('DELETE FROM t')\n", 2,
     ".execute()"),
    ("SQL only in the store", "pages/x.py", "def f(c):\n    c.executemany('INSERT', [])\n", 2, ".executemany()"),
    ("SQL only in the store", "sample_data/x.py", "rel = con.sql('SELECT 1')\n", 1, ".sql()"),
    ("no private names of other modules", "analytics/x.py", "from analytics.stats import _z\n", 1, "_z"),
    ("no private names of other modules", "ui/x.py", "from analytics import stats\nstats._check_conf(1)\n", 2,
     "_check_conf of analytics.stats"),
    ("no private names of other modules", "pages/x.py", "import analytics.store.reader\n"
     "analytics.store.reader._Connection()\n", 2, "_Connection of analytics.store.reader"),
    ("no private names of other modules", "analytics/report/x.py", "from .build import _helper\n", 1,
     "_helper (analytics.report.build._helper)"),
    ("imports point one way", "analytics/x.py", "from ui import cached\n", 1, "may not depend on ui"),
    ("imports point one way", "analytics/x.py", "import pages.about\n", 1, "may not depend on pages"),
    ("imports point one way", "ui/x.py", "import dashboard\n", 1, "may not depend on dashboard"),
    ("imports point one way", "pages/x.py", "from analytics import disparity\n\ndisparity.population_rates(1, 2)\n",
     3, "uses analytics.disparity.population_rates"),
    ("imports point one way", "pages/x.py", "from analytics.trends import monthly_counts\n", 1,
     "analytics.trends.monthly_counts"),
    ("imports point one way", "dashboard.py", "import analytics.geography\nanalytics.geography.district_values()\n",
     2, "analytics.geography.district_values"),
    ("imports point one way", "pages/x.py", "from analytics.store import Store\n", 1, "never touch the store"),
    ("imports point one way", "pages/x.py", "from analytics.store import DEFAULT\n", 1, "never touch the store"),
    ("imports point one way", "pages/x.py", "from ui import cached\nrows = cached.store().records()\n", 2,
     "ui.cached.store, which hands out the store"),
    ("imports point one way", "pages/x.py", "from ui.auth import audit_log\n", 1, "hands out the store"),
    ("imports point one way", "pages/x.py", "from sample_data import generator\n", 1, "only ui and analytics"),
    ("analytics modules are short", "analytics/x.py", "x = 1\n" * (MAX_LINES + 1), MAX_LINES + 1, "split it"),
    ("figures on the house template", "analytics/x.py", "import plotly.graph_objects as go\nfig = go.Figure()\n",
     2, "calls Figure()"),
    ("figures on the house template", "ui/x.py", "from plotly.subplots import make_subplots\n\n"
     "fig = make_subplots(rows=2)\n", 3, "calls make_subplots()"),
]

ALLOWED = [
    # rule, file, source: what each rule must let through
    ("no streamlit in analytics", "ui/x.py", "import streamlit as st\n"),
    ("SQL only in the store", "analytics/store/x.py", "import duckdb\ncon.execute('SELECT 1')\n"),
    ("SQL only in the store", "analytics/x.py", "where = records_where(f)\ntext = where.sql\n"),
    ("no private names of other modules", "analytics/store/x.py",
     "class Reader:\n    def __init__(self, other):\n        self._c = other._c\n"),
    ("no private names of other modules", "ui/x.py", "import sys\nframe = sys._getframe(1)\n"),
    ("no private names of other modules", "analytics/x.py", "from __future__ import annotations\n"),
    ("imports point one way", "ui/x.py", "from analytics.store import Store\nfrom analytics import disparity\n"),
    ("imports point one way", "pages/x.py", "from analytics import charts, geography, schema\n"
     "from analytics.filters import format_confidence\nfrom ui import cached\n"
     "fig = charts.rate_bars(cached.population_rates(f, v).table)\ntext = geography.ATTRIBUTION\n"
     "labels = schema.COUNTING_UNITS\n"),
    ("imports point one way", "pages/x.py", "from analytics import report\nlabel = report.AUDIENCE_LABELS.get\n"),
    ("analytics modules are short", "analytics/stats.py", "x = 1\n" * (MAX_LINES + 1)),
    ("figures on the house template", "analytics/chart_template.py", "def figure():\n    return go.Figure()\n"),
    ("figures on the house template", "analytics/x.py", "fig = chart_template.figure(go.Bar(x=[1]))\n"),
]


@pytest.mark.parametrize(("rule_name", "path", "text", "line", "says"), VIOLATIONS,
                         ids=[f"{v[0]}: {v[1]} line {v[3]}" for v in VIOLATIONS])
def test_each_rule_fails_on_a_violation(rule_name, path, text, line, says):
    rule, _ = RULES[rule_name]
    violations = rule(source(path, text))
    assert any(v.line == line and says in v.message and str(v).startswith(f"{path}:{line}: ")
               for v in violations), violations


@pytest.mark.parametrize(("rule_name", "path", "text"), ALLOWED, ids=[f"{a[0]}: {a[1]}" for a in ALLOWED])
def test_each_rule_allows_what_the_house_allows(rule_name, path, text):
    rule, _ = RULES[rule_name]
    assert rule(source(path, text)) == []
