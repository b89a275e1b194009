"""One ethnicity source for the perturbed (scrutiny) store (issue 14): two sources' counts of one selection subtract
to exactly the children the sources place differently (self-defined then officer-defined minus self-defined only:
the children with an officer-defined code only, by group), since cells holding the same children carry the same
cell key and so the same noise. ``Store.perturbed()`` therefore answers under the default source only
(``analytics.access.ethnicity_sources`` gives each role its choices; this is the last line behind it)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from analytics import schema

Reader = TypeVar("Reader")


def one_source_only(query: Callable[..., Any]) -> Callable[..., Any]:
    """``query`` (a bound method taking ``filters`` first) refusing every ethnicity source but the default."""

    @functools.wraps(query)
    def checked(filters: Any, *args: Any, **kwargs: Any) -> Any:
        if filters.ethnicity_source != schema.DEFAULT_ETHNICITY_SOURCE:
            raise PermissionError(f"ethnicity source {filters.ethnicity_source}: perturbed (scrutiny) counts are "
                                  f"under one source only, {schema.DEFAULT_ETHNICITY_SOURCE}")
        return query(filters, *args, **kwargs)

    return checked


def filtered_queries(reader: object) -> list[str]:
    """The public methods of ``reader``'s class whose first argument is ``filters``."""
    names = []
    for name, function in inspect.getmembers(type(reader), inspect.isfunction):
        parameters = list(inspect.signature(function).parameters)
        if not name.startswith("_") and parameters[1:2] == ["filters"]:
            names.append(name)
    return names


def perturbed_view(view: Reader) -> Reader:
    """``view`` (a fresh store sharing its connection) made the perturbed one: counts perturbed, one source."""
    view.perturbing = True  # type: ignore[attr-defined]  # a Store
    for name in filtered_queries(view):
        setattr(view, name, one_source_only(getattr(view, name)))
    return view
