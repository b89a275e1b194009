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

from analytics import schema, stats, suppression
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


# Disclosure control for the scrutiny audience (issue 15, part 4) ------------------------------------------------
def controlled_completeness(frame: pd.DataFrame, lines: tuple[str, ...] = ()) -> pd.DataFrame:
    """``completeness`` as the scrutiny audience may see it.

    Each block of rows (one per value of ``lines``; the whole frame without) is a 2-D table of records with and
    without the ethnicity stated, whose row totals (``records``) and column totals (the block's sums, published
    elsewhere on the page: by role, by district and by month add up to the same records) are taken as shown.
    ``suppression.secondary_suppression`` decides which counts to hide, separately for self-defined and for any
    ethnicity; a hidden ``records`` (from either) is ``[c]``, and so is a hidden ``self_stated``. A share, its
    interval and whether it meets the target are blanked wherever its count, its complement or its total is hidden
    (a share of a known total reveals its count).
    """
    out = frame.copy()
    hidden_records = np.zeros(len(out), dtype=bool)
    hidden_share = {"self": np.zeros(len(out), dtype=bool), "any": np.zeros(len(out), dtype=bool)}
    blocks = out.groupby(list(lines), sort=False).indices if lines else {None: np.arange(len(out))}
    for positions in blocks.values():
        block = out.iloc[positions]
        for stated, prefix in (("self_stated", "self"), ("either_stated", "any")):
            table = pd.DataFrame({"stated": block[stated].to_numpy(dtype="int64"),
                                  "missing": (block["records"] - block[stated]).to_numpy(dtype="int64"),
                                  "records": block["records"].to_numpy(dtype="int64")})
            table.loc["total"] = table.sum()
            mask = suppression.known_totals_mask(table, "total", "records", total_column_shown=True).to_numpy()[:-1]
            hidden_records[positions] |= mask[:, 2]
            hidden_share[prefix][positions] |= mask.any(axis=1)
    for prefix, rows in hidden_share.items():
        for column in (f"{prefix}_share", f"{prefix}_lower", f"{prefix}_upper"):
            out[column] = out[column].mask(rows)
    out["meets_target"] = out["meets_target"].astype(object).mask(hidden_share["self"])
    out["self_stated"] = out["self_stated"].astype(object).mask(hidden_share["self"], suppression.SUPPRESSED)
    out["records"] = out["records"].astype(object).mask(hidden_records, suppression.SUPPRESSED)
    return out.drop(columns=["either_stated", "officer_stated"], errors="ignore")


def controlled_agreement(result: Agreement) -> tuple[pd.DataFrame, bool]:
    """The self/officer crosstab for scrutiny (``suppression.suppress_crosstab``, its margins taken as published),
    and whether the agreement and kappa may be shown: not when a count of the both-stated block is hidden (the
    agreeing count is the sum of its diagonal, so it would reveal a hidden diagonal cell) or when the agreeing or
    disagreeing records number 1 to 4."""
    shown = suppression.suppress_crosstab(result.crosstab)
    block = shown.loc[list(schema.ETHNIC_GROUPS), list(schema.ETHNIC_GROUPS)]
    small = suppression.primary_mask(np.array([result.agreeing, result.both_stated - result.agreeing,
                                               result.both_stated]))
    return shown, not ((block == suppression.SUPPRESSED).to_numpy().any() or small.any())


def controlled_load_report(report: pd.DataFrame, publication: dict) -> tuple[pd.DataFrame, dict]:
    """``load_report``'s problem rows and the publication's row counts with ``[c]`` for scrutiny: each kind's
    reasons sum to its total, and loaded + rejected + excluded to the rows read (both taken as published)."""
    problems = suppression.suppress_counts(report, ("rows",), ("kind",), totals_published=True)
    forced = set(problems.attrs["suppressed_totals"]["rows"])
    parts = pd.Series({k: int(publication[k]) for k in ("loaded", "rejected", "excluded")})
    mask, total_hidden = suppression.secondary_suppression_series(parts, int(publication["rows_read"]))
    mask |= parts.index.isin(forced)
    if mask.sum() == 1:  # a kind hidden only for its reasons' sake: the line's total goes too
        total_hidden = True
    counts: dict[str, int | str] = {str(k): (suppression.SUPPRESSED if hidden else int(v))
                                    for k, v, hidden in zip(parts.index, parts, mask, strict=True)}
    counts["rows_read"] = suppression.SUPPRESSED if total_hidden else int(publication["rows_read"])
    return problems.drop(columns="suppressed"), counts
