"""The packages whose names are imported on first use (``analytics.lazy``, PEP 562): every listed name resolves
to its defining module's object, the lists agree with the imports mypy reads, and the child readers start
without pandas (the reason for the laziness: about 3 s of a 4 s start on the 2-core machine).
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
LAZY_PACKAGES = ("analytics.load", "analytics.store", "analytics.partners")
#: The child processes that read an extract or a flags file (``python -m MODULE REQUEST``).
CHILD_READERS = ("analytics.load.isolated", "analytics.partners.isolated")


def type_checking_imports(package: str) -> dict[str, str]:
    """Each name the package's ``if TYPE_CHECKING:`` block imports, and the submodule it comes from."""
    source = (PROJECT / package.replace(".", "/") / "__init__.py").read_text(encoding="utf-8")
    block = next(node for node in ast.parse(source).body
                 if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    return {alias.name: node.module.removeprefix(f"{package}.")
            for node in block.body if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names}


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_listed_name_is_its_modules_object_and_the_lists_agree(package):
    module = importlib.import_module(package)
    defined_in = module._DEFINED_IN  # noqa: SLF001  (the package's own table, read to check it)
    assert sorted(module.__all__) == sorted(defined_in)
    assert type_checking_imports(package) == defined_in
    for name, submodule in defined_in.items():
        assert getattr(module, name) is getattr(importlib.import_module(f"{package}.{submodule}"), name), name
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_no_listed_name_is_also_a_submodule(package):
    """Importing a submodule binds its name on the package, which would hide a listed name of the same spelling
    (``analytics.load.pseudonymise`` the module, not the function, once anything imported the module)."""
    folder = PROJECT / package.replace(".", "/")
    submodules = {path.stem for path in folder.glob("*.py")}
    submodules |= {path.parent.name for path in folder.glob("*/__init__.py")}
    assert set(importlib.import_module(package).__all__) & submodules == set()


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_an_unknown_name_is_an_attribute_error(package):
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package} import no_such_name")


def test_the_child_readers_start_without_pandas_scipy_or_plotly():
    code = ("import sys\n" + "".join(f"import {name}\n" for name in CHILD_READERS)
            + "print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True,
                                check=True).stdout.split())
    heavy = sorted(name for name in loaded if name.split(".")[0] in ("pandas", "scipy", "plotly", "streamlit"))
    assert heavy == []
    assert {"duckdb", "pyarrow"} <= loaded  # what they do need
