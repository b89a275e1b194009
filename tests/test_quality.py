"""Ethnicity recording quality: Cohen's kappa against a published example, completeness recomputed from the
raw CSV, and the ``quality`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import quality
from analytics.filters import Filters

PROJECT = Path(__file__).resolve().parents[1]


def test_cohens_kappa_matches_the_published_example():
    # Wikipedia, "Cohen's kappa", worked example: 50 proposals, two readers, yes/yes 20, yes/no 5, no/yes 10,
    # no/no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
    kappa, expected = quality.cohens_kappa(np.array([[20, 5], [10, 15]]))
    assert expected == pytest.approx(0.5)
    assert kappa == pytest.approx(0.4)


def test_perfect_and_chance_agreement():
    assert quality.cohens_kappa(np.diag([10, 20, 30]))[0] == pytest.approx(1.0)
    assert quality.cohens_kappa(np.full((2, 2), 25))[0] == pytest.approx(0.0)
    assert np.isnan(quality.cohens_kappa(np.zeros((2, 2)))[0])


def _loaded_rows(sample_files) -> pd.DataFrame:
    """The extract's rows that the loader keeps (valid districts and dates, under 18)."""
    extract, population = sample_files
    raw = pd.read_csv(extract, dtype=str, keep_default_na=False)
    areas = set(pd.read_csv(population)["area_code"])
    dates = pd.to_datetime(raw["recorded_date"], format="%Y-%m-%d", errors="coerce")
    return raw[raw["area_code"].isin(areas) & dates.notna() & (raw["age"].astype(int) < 18)]


def test_completeness_by_role_equals_a_count_of_the_raw_csv(sample_store, sample_files):
    rows = _loaded_rows(sample_files)
    stated = ~rows["ethnicity_self"].isin(["", "NS"])
    expected = stated.groupby(rows["role"]).mean()
    table = quality.completeness(sample_store, Filters(), ("role",)).set_index("role")
    for role, share in expected.items():
        assert table["self_share"][str(role)] == pytest.approx(share)
        assert table["self_lower"][str(role)] < share < table["self_upper"][str(role)]


def test_agreement_counts_equal_the_raw_csv(sample_store, sample_files):
    rows = _loaded_rows(sample_files)
    self_group = rows["ethnicity_self"].map(lambda c: {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black",
                                                       "O": "Other"}.get(c[:1]) if c not in ("", "NS") else None)
    officer_group = rows["ethnicity_officer"].map({"IC1": "White", "IC2": "White", "IC3": "Black", "IC4": "Asian",
                                                   "IC5": "Asian", "IC6": "Other"})
    both = self_group.notna() & officer_group.notna()
    result = quality.agreement(sample_store, Filters())
    assert result.both_stated == int(both.sum())
    assert result.agreeing == int((self_group[both] == officer_group[both]).sum())
    assert int(result.crosstab.to_numpy().sum()) == len(rows)


def test_quality_command_prints_completeness_and_agreement(sample_db):
    run = subprocess.run([sys.executable, "-m", "analytics", "quality", "--format", "json", "--db", str(sample_db)],
                         capture_output=True, text=True, cwd=PROJECT, check=True)
    document = json.loads(run.stdout)
    assert {"role", "area", "month", "agreement"} <= set(document)
    assert len(document["area"]) == 7 and len(document["role"]) == 3
    agreement = document["agreement"]
    assert agreement["agreement"] == pytest.approx(agreement["agreeing"] / agreement["both_stated"])
    assert 0 < agreement["kappa"] < 1
