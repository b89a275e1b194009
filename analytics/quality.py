"""How good the ethnicity recording is (DESIGN.md section 5.6).

* Completeness: the share of records with self-defined ethnicity stated (and with any ethnicity, self-
  or officer-defined), by role, district or month, with Wilson intervals, against a target.
* Agreement: self-defined 5-group × officer-defined 5-group cross-table, observed agreement with its
  Wilson interval, and Cohen's kappa (Cohen 1960) on records where both are stated. Officers have no
  code for Mixed, so Mixed self-defined records can never agree; that is shown, not hidden.
* Load quality: rows rejected and excluded by reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import schema, stats
from analytics.filters import Filters
from analytics.store import Store


def completeness(store: Store, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
    """Records, and the share with self-defined / any ethnicity stated, by ``dims``, with Wilson intervals."""
    frame = store.ethnicity_completeness(filters, dims)
    for stated, prefix in (("self_stated", "self"), ("either_stated", "any")):
        intervals = [stats.wilson_ci(int(x), int(n), filters.confidence)
                     for x, n in zip(frame[stated], frame["records"], strict=True)]
        frame[f"{prefix}_share"] = [r.estimate for r in intervals]
        frame[f"{prefix}_lower"] = [r.lower for r in intervals]
        frame[f"{prefix}_upper"] = [r.upper for r in intervals]
    frame["target"] = schema.ETHNICITY_COMPLETENESS_TARGET
    frame["meets_target"] = frame["self_share"] >= schema.ETHNICITY_COMPLETENESS_TARGET
    return frame


@dataclass(frozen=True)
class Agreement:
    crosstab: pd.DataFrame  # self-defined (rows) × officer-defined (columns), Not stated included
    both_stated: int
    agreeing: int
    agreement: stats.ProportionResult
    kappa: float
    expected_agreement: float

    def describe(self) -> str:
        return (
            f"Of {self.both_stated:,} records with both self- and officer-defined ethnicity, "
            f"{self.agreement.estimate:.1%} agree (Cohen's kappa {self.kappa:.2f})."
        )


def cohens_kappa(table: np.ndarray) -> tuple[float, float]:
    """Cohen's kappa and the chance agreement for a square table of counts (Cohen 1960)."""
    table = np.asarray(table, dtype=float)
    total = table.sum()
    if total == 0:
        return float("nan"), float("nan")
    observed = np.trace(table) / total
    expected = float((table.sum(axis=1) * table.sum(axis=0)).sum() / total**2)
    if expected == 1:
        return float("nan"), expected
    return float((observed - expected) / (1 - expected)), expected


def agreement(store: Store, filters: Filters) -> Agreement:
    """Self- vs officer-defined agreement on the filtered records."""
    long = store.self_officer_crosstab(filters)
    order = list(schema.ETHNIC_GROUPS_WITH_NOT_STATED)
    crosstab = (
        long.pivot_table(index="self_defined", columns="officer_defined", values="records", aggfunc="sum", fill_value=0)
        .reindex(index=order, columns=order, fill_value=0)
        .astype(int)
    )
    stated = crosstab.loc[list(schema.ETHNIC_GROUPS), list(schema.ETHNIC_GROUPS)].to_numpy()
    both, agreeing = int(stated.sum()), int(np.trace(stated))
    kappa, expected = cohens_kappa(stated)
    return Agreement(
        crosstab=crosstab,
        both_stated=both,
        agreeing=agreeing,
        agreement=stats.wilson_ci(agreeing, both, filters.confidence),
        kappa=kappa,
        expected_agreement=expected,
    )


def load_report(store: Store) -> pd.DataFrame:
    """Rows read, loaded, rejected and excluded by reason, from the current publication."""
    summary = store.load_summary()
    return summary[summary["rows"] > 0].reset_index(drop=True)
