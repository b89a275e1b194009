"""A package's public names imported on first use (PEP 562), so a process pays only for the modules it uses.

``lazy_loader`` (scientific-python) does the same, but mypy would then need a ``.pyi`` stub repeating the
package's names; here the package lists them once, imports them under ``TYPE_CHECKING`` for mypy and binds
``__getattr__``/``__dir__`` from ``exports``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def by_name(names_by_module: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """``{module: (name, ...)}`` turned round: each name and the module that defines it."""
    return {name: module for module, names in names_by_module.items() for name in names}


def exports(package: str, defined_in: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``defined_in`` maps each public name to the submodule
    (relative to ``package``) that defines it; a name is imported on first use and kept in the package."""

    def __getattr__(name: str) -> Any:  # noqa: N807  (PEP 562's name)
        module = defined_in.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807  (PEP 562's name)
        return sorted({*vars(sys.modules[package]), *defined_in})

    return __getattr__, __dir__
