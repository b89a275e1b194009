"""Children of sex U (unknown) or X (indeterminate) and population rates (issue 13, point 6).

The population table has girls and boys only (``schema.POPULATION_SEXES``), so a population rate counts only them in
its numerator (``population_sexes``) and states how many children (records) of sex U or X it left out
(``sex_outside_population``, ``sex_note``). Decision-point shares, whose denominators are records, keep every child.
"""

from __future__ import annotations

import pandas as pd

from analytics import schema
from analytics.filters import Filters
from analytics.store import Store


def population_sexes(filters: Filters) -> Filters:
    """The filters a population rate's numerator is counted with: only the sexes the population table has (F, M;
    issue 13, point 6), since a child recorded as U (unknown) or X (indeterminate) has no denominator. A selection of
    U or X alone is kept as it is (no population: the rates are not estimable)."""
    chosen = filters.sexes or tuple(schema.SEXES)
    kept = tuple(s for s in chosen if s in schema.POPULATION_SEXES)
    return filters.replace(sexes=kept) if kept and kept != filters.sexes else filters


def sex_outside_population(store: Store, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
    """Children (or records) of the selection recorded with a sex the population does not have (U or X), by ``dims``
    (column ``events``; one count per cell, perturbed like any other for the scrutiny audience)."""
    counted = population_sexes(filters)
    outside = tuple(s for s in (filters.sexes or tuple(schema.SEXES)) if s not in counted.sexes)
    if counted == filters or not outside:
        return pd.DataFrame({**{d: [] for d in dims}, "events": []})
    return store.total_events(filters.replace(sexes=outside), dims)


def shown_count(store: Store, count: int) -> int | str:
    """A count for a note: as counted, but 1 to 4 shown as [c] where the store perturbs (the scrutiny audience)."""
    count = max(count, 0)
    if store.perturbing and 0 < count < schema.SUPPRESSION_THRESHOLD:
        return "[c]"
    return count


def count_text(count: int | str) -> str:
    """A note's count as text: with thousands separators, or ``[c]`` as given."""
    return f"{count:,}" if isinstance(count, int) else count


def sex_note(outside: int | str, counting_unit: str) -> tuple[str, ...]:
    """The note stating how many children (records) recorded with sex U or X a rate left out of its numerators."""
    if not outside:
        return ()
    number = count_text(outside)
    what = "children" if counting_unit == "persons" else "records"
    return (f"{what.capitalize()} with sex recorded as unknown or indeterminate (U or X): {number}. They are not in "
            "the numerators, since the population has girls and boys only; decision-point shares, whose denominators "
            "are records, keep them.",)
