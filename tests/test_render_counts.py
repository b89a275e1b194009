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
