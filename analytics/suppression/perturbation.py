"""The Cell Key Method: deterministic noise on every count the scrutiny audience sees (issue 14).

The method of the Australian Bureau of Statistics' TableBuilder (Fraser & Wooton 2005; Thompson,
Broadfoot & Elazar 2013) and of the ONS for Census 2021 outputs (ONS Statistical Methods Library,
``cell-key-perturbation``):

* every record carries a fixed **record key** from 0 to 255, and every child a **person key**, given at
  load from the pseudonymised identifiers (``analytics.store.build``), so the same data always gets the
  same keys;
* a cell's **cell key** is the sum of its records' keys (children's keys when counting children) modulo
  256, computed in SQL by ``analytics.store`` next to the count;
* the **perturbation table** (``reference_data/perturbation/ptable_ckm_d2.csv``) gives, for each count
  and cell key, the noise added. The same cell (the same records) always shows the same value, on every
  page and in every file, and the difference of two overlapping queries is the true difference plus the
  difference of two noises, so it no longer gives a hidden count back.

The published table's rules (checked when it is read): a zero is never perturbed; no count becomes
negative; the noise is at most :data:`MAX_NOISE` in absolute value; the noise of each count has mean 0.
After perturbation the primary suppression rule still applies (counts 1-4 are shown as ``[c]``).
Cell values above 750 use row ``((n - 1) mod 250) + 501``, as the ONS package does.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.reference import REFERENCE_DATA

#: The published perturbation table (key ranges; see ``reference_data/SOURCES.md``).
PTABLE_FILE = REFERENCE_DATA / "perturbation" / "ptable_ckm_d2.csv"
#: Record keys and cell keys run from 0 to ``KEY_RANGE - 1`` (as for Census 2021).
KEY_RANGE = 256
#: The largest cell value with its own row; larger values reuse rows 501-750 (the ONS convention).
PTABLE_ROWS = 750
#: Suffix of the column holding a count's cell key in a query's result (``events`` -> ``events_ckey``).
CKEY_SUFFIX = "_ckey"

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PerturbationTable:
    """The noise for each count 0..750 (rows) and cell key 0..255 (columns)."""

    noise: Ints  # shape (PTABLE_ROWS + 1, KEY_RANGE)
    source: Path

    @property
    def max_noise(self) -> int:
        return int(np.abs(self.noise).max())

    def variance(self, count: int) -> float:
        """The variance of the noise added to ``count`` (each cell key equally likely)."""
        row = self.noise[ptable_row(np.array([count], dtype=np.int64))[0]]
        return float(np.mean(row.astype(np.float64) ** 2) - np.mean(row.astype(np.float64)) ** 2)

    def same_noise_probability(self, count: int) -> float:
        """Chance that two cells of ``count`` with independent keys get the same noise (sum of p squared)."""
        row = self.noise[ptable_row(np.array([count], dtype=np.int64))[0]]
        _, frequency = np.unique(row, return_counts=True)
        return float(((frequency / KEY_RANGE) ** 2).sum())

    def ons_format(self) -> pd.DataFrame:
        """The table in the ONS package's long layout (``pcv``, ``ckey``, ``pvalue``), rows 1..750."""
        pcv, ckey = np.meshgrid(np.arange(PTABLE_ROWS + 1), np.arange(KEY_RANGE), indexing="ij")
        frame = pd.DataFrame({"pcv": pcv.ravel(), "ckey": ckey.ravel(), "pvalue": self.noise.ravel()})
        return frame[frame["pcv"] > 0].reset_index(drop=True)


def ptable_row(counts: Ints) -> Ints:
    """The table row of each count: the count itself up to 750, then ``((n - 1) mod 250) + 501``."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.where(counts <= PTABLE_ROWS, counts, ((counts - 1) % 250) + 501)


def read_ptable(path: Path = PTABLE_FILE) -> PerturbationTable:
    """Read and check a perturbation table given as key ranges (``ValueError`` if it breaks a rule)."""
    noise = np.zeros((PTABLE_ROWS + 1, KEY_RANGE), dtype=np.int64)
    covered = np.zeros(noise.shape, dtype=np.int64)
    with path.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            p0, p1, k0, k1, value = (int(line[c]) for c in ("pcv_from", "pcv_to", "ckey_from", "ckey_to", "pvalue"))
            if not (0 <= p0 <= p1 <= PTABLE_ROWS and 0 <= k0 <= k1 < KEY_RANGE):
                raise ValueError(f"{path.name}: row out of range: {line}")
            noise[p0:p1 + 1, k0:k1 + 1] = value
            covered[p0:p1 + 1, k0:k1 + 1] += 1
    check_ptable(noise, covered, path.name)
    return PerturbationTable(noise, path)


def check_ptable(noise: Ints, covered: Ints, name: str) -> None:
    """The rules every perturbation table keeps (see the module docstring)."""
    if (covered[1:] != 1).any():
        raise ValueError(f"{name}: every count from 1 and cell key must appear exactly once")
    if (covered[0] != 0).any() or (noise[0] != 0).any():
        raise ValueError(f"{name}: a zero must not be perturbed")
    values = np.arange(PTABLE_ROWS + 1)[:, None] + noise
    if (values < 0).any():
        raise ValueError(f"{name}: a count must not become negative")
    if (noise.sum(axis=1) != 0).any():
        raise ValueError(f"{name}: the noise of each count must have mean 0")


@cache
def ptable() -> PerturbationTable:
    """The published perturbation table (read once per process)."""
    return read_ptable()


def perturb(counts: Any, cell_keys: Any, table: PerturbationTable | None = None) -> Ints:
    """The perturbed value of each count given its cell key (same shape; missing keys count as 0)."""
    table = table or ptable()
    values = np.asarray(counts, dtype=np.float64)
    keys = np.nan_to_num(np.asarray(cell_keys, dtype=np.float64), nan=0.0)
    if np.isnan(values).any() or (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("perturbation needs non-negative whole counts")
    if (keys < 0).any() or (keys >= KEY_RANGE).any() or (keys != np.round(keys)).any():
        raise ValueError(f"cell keys must be whole numbers from 0 to {KEY_RANGE - 1}")
    whole = values.astype(np.int64)
    return whole + table.noise[ptable_row(whole), keys.astype(np.int64)]


def perturb_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` perturbed by its ``<column>_ckey`` column, the keys dropped."""
    out = frame.copy()
    for column in columns:
        key_column = column + CKEY_SUFFIX
        if len(out):
            out[column] = perturb(out[column].to_numpy(), out[key_column].to_numpy())
        else:
            out[column] = out[column].astype("int64")
        out = out.drop(columns=key_column)
    return out


def perturb_cells(frame: pd.DataFrame, cells: list[str], columns: tuple[str, ...],
                  first: str | None = None) -> pd.DataFrame:
    """``frame`` (rows that are parts of published cells) with each cell's total of each of ``columns`` perturbed.

    Rows sharing the values of ``cells`` make one published cell; ``<column>_ckey`` holds each row's sum of record
    (or child) keys, so a cell's key is their sum modulo 256, the key of the same count queried directly. The
    cell's noise is taken from its largest rows first (never below zero; rows where the boolean column ``first`` is
    true before the others), so the rows add up to the perturbed total and the estimators built on the rows
    (``analytics.ethnicity``) publish perturbed counts. The keys are dropped."""
    out = frame.copy().reset_index(drop=True)
    for column in columns:
        key_column = column + CKEY_SUFFIX
        if len(out):
            values = out[column].to_numpy(dtype=np.int64).copy()
            keys = pd.to_numeric(out[key_column]).fillna(0).to_numpy(dtype=np.int64)
            preferred = out[first].to_numpy(dtype=bool) if first else np.zeros(len(out), dtype=bool)
            for rows in out.groupby(cells, dropna=False, sort=False).indices.values():
                total = int(values[rows].sum())
                noise = int(perturb([total], [int(keys[rows].sum()) % KEY_RANGE])[0]) - total
                order = np.lexsort((-values[rows], ~preferred[rows]))  # preferred rows, then the largest
                for row in np.asarray(rows)[order].tolist():
                    if noise == 0:
                        break
                    step = max(noise, -int(values[row]))
                    values[row] += step
                    noise -= step
            out[column] = values
        out = out.drop(columns=key_column)
    return out
