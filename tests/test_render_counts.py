"""Counts in the page tables (ui.render.counts): one style whether or not disclosure control mixed in ``[c]``."""

from __future__ import annotations

import pandas as pd

from ui import render


def test_a_column_mixed_with_suppressed_cells_has_thousands_separators_throughout() -> None:
    """Scrutiny's Disproportionality table showed its events as '8,470' but its denominators as '152201': a
    perturbed denominator arrives as text. Every whole number of a mixed column reads with separators; '[c]' and a
    missing value ('–') stay as they are."""
    mixed = pd.Series(["152201", "[c]", 8470, None, "4709", 12], dtype=object)
    assert list(render.counts(mixed)) == ["152,201", "[c]", "8,470", render.MISSING, "4,709", "12"]


def test_a_numeric_column_is_left_numeric() -> None:
    """An analyst's exact counts stay numbers, so the table sorts them as numbers."""
    exact = pd.Series([152201, 8470])
    assert render.counts(exact) is exact


def test_whole_number_columns_are_shown_with_thousands_separators() -> None:
    """A numeric column of counts or denominators reads '152,201' like the text counts beside it (the grid's
    'localized' number format), and stays a number; rates, flags and text are left to their own formats."""
    frame = pd.DataFrame({
        "Events": [8470, 3],                     # exact counts (int)
        "Denominator": [152201.0, 4709.0],       # a whole-number float (a modelled population)
        "Rate": [55.65, 0.64],                   # not whole: its own format
        "Meets target": [True, False],           # bool is not a count
        "Group": ["White", "Black"],
        "Withheld": ["[c]", "8,470"],            # already text (render.counts)
    })
    formats = render.whole_number_formats(frame)
    assert sorted(formats) == ["Denominator", "Events"]
    assert all(config["type_config"]["format"] == "localized" for config in formats.values())
