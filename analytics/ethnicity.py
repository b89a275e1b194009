"""Ethnicity from all the evidence, and the variance of counts clustered in children and crimes (issue 13).

**The default estimate** (``ethnicity_source = "concordance"``). A child's self-defined group is used where it is
stated. A child with no self-defined code but an officer-defined code is reallocated across the self-defined
groups in the proportions observed, among the children of the same selection who have *both* codes, for that
officer-defined code (the concordance: P(self-defined group | officer-defined code)); by district where the district
has at least ``MIN_CONCORDANT`` such children with that officer code, else over the whole selection (every ratio
table is computed for one role selection, so the concordance is by role). Children with neither code stay
"Not stated". The expected count of group g is

    E_g = S_g + sum_o M_o p(g | o),

S_g the children (or records) self-defined as g, M_o those with only officer code o. This is the limit, as the
number of imputations grows, of multiple imputation of each child's group from the concordance with Rubin's
rules (Rubin 1987, *Multiple Imputation for Nonresponse in Surveys*, ch. 3; a proper imputation draws p from its
posterior); its variance is Rubin's total variance

    V_g = W_g + B_g,  W_g = sum of y_i^2 over the children counted in g (their expectation),
    B_g = sum_o p(1 - p) sum_{i in M_o} y_i^2  +  sum_k p(1 - p) / n_k (sum_{i in M_k} y_i)^2,

where y_i is a child's contribution (1 for distinct children, their number of records for records), the first part
of B the spread of the allocation of the children and the second the estimation error of the concordance shares
(n_k concordant children in stratum k). W_g is the Poisson variance for distinct children (y = 1) and the
cluster variance of a sum of records over children (a compound Poisson count: Var = E[sum y_i^2]; Kish 1965,
*Survey Sampling*, section 6.4; Cochran 1977, *Sampling Techniques* 3rd ed., section 6.4) for records. The estimate
and its variance reach the tables as effective counts (``analytics.tables.effective_counts``), so intervals widen.
Because the index group and the reference group share the reallocated children, their estimates are negatively
correlated; the covariance is folded into the index group's variance, V_g - 2 Cov(g, r) E_g / E_r, so the log
ratio's variance is the right one with the reference group's effective counts left as they are.

**Children share crimes (co-offending)**, so the children (and records) of one group are not independent events
either: in the sample 38 % of suspect crimes (2,660 of 6,968) have two or more suspects. A group's count is a sum
over its children of y_i (1 for distinct children, the child's records for records) and the observations are
clustered two ways, in children and in the crimes they share, a child belonging to several crimes. Its variance is
the two-way cluster-robust variance of Cameron, Gelbach & Miller (2011, *J. Business & Economic Statistics* 29(2),
238-249), in its pairwise form for observations that belong to several clusters (Aronow, Samii & Assenova 2015,
*Political Analysis* 23(4), 564-577): two children may be correlated when they share a crime, so

    V = sum_i y_i^2 + sum_{i != j sharing a crime} y_i y_j,

the first part the variance over children (W_g above), the second every pair of distinct co-offenders of the group
once, however many crimes they share, with all their records in the cell. For records this is more conservative than
CGM's record-level form, which would correlate only the two children's records in the crimes they share: a child's
other crimes are taken as correlated with its co-offender's too (the group they offend in). Reallocated children
enter with their concordance shares, imputed independently: E[y_i y_j Z_ig Z_jg] = y_i y_j p_ig p_jg
(``co_offending_terms``, from ``Store.co_offending``). Every term is non-negative, so V is never below the one-way
variance. One-way clustering over co-offending components (connected components of the child-crime graph, which
would also correlate children linked only through a chain of others) was rejected: suspects' components chain into a
few giant ones (the largest holds 542 of the sample's 6,470 suspect children, the five largest 2,414), so it would
rest on few effective clusters (Cameron & Miller 2015, *J. Human Resources* 50(2), 317-372). The positive covariance
that mixed-group crimes give the index and reference counts is left out of the ratio's variance, which makes the
ratio's interval conservative (wider).

**Decision-point shares** (outcome 22 among concluded records) are ratio estimators A_g / D_g over children: the
same reallocation of A and D, and the linearised variance sum_i (a_i - p d_i)^2 / D^2 (the ratio-estimator variance
over clusters; Cochran 1977 section 6.4), plus the imputation terms in z_i = a_i - p d_i. Co-defendants share one
crime and usually one decision, so their records are correlated too: as for counts, the variance is the pairwise
two-way one, plus 2 sum p_ig p_jg z_i z_j / D^2 over the pairs of distinct children who share a crime in which both
have a record in the share's denominator (``decision_pair_terms``, from ``Store.decision_co_offending``). Unlike the
counts' terms these can be negative (co-defendants on either side of the share); a variance below the binomial
one gives the binomial interval (``tables.share_effective_counts``). The index-reference covariance is not folded
for shares (it is of the order of the reallocated share of the smaller group).

**The sensitivity sources** (self-defined only, officer-defined only, the naive fallback) assign each child one
group; their record counts get the cluster variance W_g alone (for distinct children it is the Poisson variance,
and the tables are the raw ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics import schema

SOURCE = "concordance"
#: A district's own concordance for an officer code is used from this many concordant children.
MIN_CONCORDANT = 30
ALL_STRATA = "selection"
NOT_STATED = schema.NOT_STATED
GROUPS = schema.ETHNIC_GROUPS

METHOD_TEXT = (
    "Ethnicity from all the evidence: self-defined where stated; a child with only an officer-defined code is "
    "reallocated across the self-defined groups through the concordance observed among the children of the "
    "selection with both codes (by district where it has at least {min} such children for the code, else over the "
    "selection); children with neither code stay Not stated. Expected counts with Rubin's multiple-imputation "
    "variance (analytical limit), carried into the intervals as effective counts."
)
#: The clustering beside a table: rates by counting unit, and decision shares (``method_text``).
CLUSTER_TEXT = {
    "persons": ("Children counted: several children share one crime (co-offending), so the variance of each "
                "group's count is two-way clustered, over children and over the crimes they share (pairwise form: "
                "Cameron, Gelbach & Miller 2011; Aronow, Samii & Assenova 2015), carried into the intervals as "
                "effective counts."),
    "records": ("Records counted: several records belong to one child and several children share one crime, so "
                "the variance of each group's count is two-way clustered, over children and over the crimes they "
                "share (pairwise form: Cameron, Gelbach & Miller 2011; Aronow, Samii & Assenova 2015), carried into "
                "the intervals as effective counts."),
    "decision": ("Records counted (one decision per child per crime): several records belong to one child, and "
                 "co-defendants share one crime and usually one decision, so each share's variance (ratio "
                 "estimator, linearised) is two-way clustered, over children and over the crimes they share "
                 "(pairwise form: Cameron, Gelbach & Miller 2011; Aronow, Samii & Assenova 2015), carried into the "
                 "intervals as effective counts."),
}


@dataclass(frozen=True)
class Concordance:
    """P(self-defined group | officer-defined group) among the children with both codes, for the whole selection
    and for each district with at least ``MIN_CONCORDANT`` concordant children for a code."""

    #: one row per (stratum, officer group): ``children`` (concordant) and a column per self-defined group (counts)
    counts: pd.DataFrame
    min_children: int = MIN_CONCORDANT

    def shares(self, stratum: str, officer_group: str) -> tuple[np.ndarray, float]:
        """The self-defined groups' shares (in ``GROUPS`` order) and the concordant children behind them."""
        at = self.counts.index.get_loc((stratum, officer_group))
        values = np.array(self.counts[list(GROUPS)].to_numpy(dtype=float)[at], dtype=float).reshape(-1)
        children = float(values.sum())
        return (values / children if children > 0 else np.zeros(len(GROUPS))), children

    def stratum(self, district: str, officer_group: str) -> str | None:
        """The district's own concordance where it has enough children, else the selection's (None: no child of
        the selection has both codes with this officer group, so such children cannot be reallocated)."""
        if (district, officer_group) in self.counts.index:
            return district
        if (ALL_STRATA, officer_group) in self.counts.index:
            return ALL_STRATA
        return None

    def strata(self, districts: Any, officer_groups: Any) -> np.ndarray:
        """:meth:`stratum` of each (district, officer group) pair at once: the row of ``counts`` whose shares apply
        to it, or -1 where none does."""
        districts = np.asarray(districts, dtype=object).astype(str)
        officers = np.asarray(officer_groups, dtype=object).astype(str)
        if not len(self.counts) or not len(officers):
            return np.full(len(officers), -1)
        index = self.counts.index
        own = index.get_indexer(pd.MultiIndex.from_arrays([districts, officers]))
        whole = index.get_indexer(pd.MultiIndex.from_arrays([np.full(len(officers), ALL_STRATA), officers]))
        return np.where(own >= 0, own, whole)

    def share_rows(self) -> np.ndarray:
        """:meth:`shares` of every row of ``counts`` (zeros where no child), in its order."""
        values = self.counts[list(GROUPS)].to_numpy(dtype=float)
        children = values.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(children > 0, values / children, 0.0)

    def table(self) -> pd.DataFrame:
        """For analysts: per stratum and officer-defined group, the concordant children and the percentage of them
        in each self-defined group."""
        frame = self.counts.reset_index()
        with np.errstate(invalid="ignore", divide="ignore"):
            for group in GROUPS:
                frame[f"{group} %"] = 100 * frame[group] / frame["children"]
        return frame[["stratum", "officer_group", "children", *[f"{g} %" for g in GROUPS]]]

    def records(self) -> list[dict[str, Any]]:
        """The concordance as JSON-ready rows (shares as fractions, full precision)."""
        rows = []
        values = self.counts[list(GROUPS)].to_numpy(dtype=float)
        for (stratum, officer), counts in zip(_pairs(self.counts.index), values, strict=True):
            children = float(counts.sum())
            rows.append({"stratum": stratum, "officer_group": officer, "children": int(children),
                         "shares": {g: (float(c) / children if children else None)
                                    for g, c in zip(GROUPS, counts, strict=True)}})
        return rows

    def describe(self) -> str:
        selection = self.counts.xs(ALL_STRATA, level="stratum") if len(self.counts) else self.counts
        total = int(selection["children"].sum()) if len(selection) else 0
        districts = sorted({s for s, _ in self.counts.index if s != ALL_STRATA})
        own = f"; district concordances used in {len(districts)} district(s)" if districts else ""
        return f"concordance from {total:,} children with both codes{own}"


def _pairs(index: pd.Index) -> list[tuple[str, str]]:
    """A two-level index's entries as (str, str) pairs."""
    return [(str(a), str(b)) for a, b in index.tolist()]


def concordance(units: pd.DataFrame, min_children: int = MIN_CONCORDANT) -> Concordance:
    """The concordance from ``Store.ethnicity_units(filters)`` (no dims: each child once)."""
    both = units[(units["self_group"] != NOT_STATED) & (units["officer_group"] != NOT_STATED)]
    pieces = []
    whole = both.groupby(["officer_group", "self_group"])["children"].sum().unstack(fill_value=0)
    pieces.append(pd.concat({ALL_STRATA: whole}, names=["stratum"]))
    by_district = both.groupby(["district", "officer_group", "self_group"])["children"].sum().unstack(fill_value=0)
    by_district.index = by_district.index.set_names(["stratum", "officer_group"])
    enough = by_district.sum(axis=1) >= min_children
    pieces.append(by_district[enough])
    counts = pd.concat(pieces).reindex(columns=list(GROUPS), fill_value=0).fillna(0).astype(float)
    counts["children"] = counts[list(GROUPS)].sum(axis=1)
    counts = counts[counts["children"] > 0]
    counts.index = counts.index.set_names(["stratum", "officer_group"])
    return Concordance(counts, min_children)


# --------------------------------------------------------------------------------------------
# Estimates
# --------------------------------------------------------------------------------------------
@dataclass
class CellEstimate:
    """One table cell's estimates by group: the expected count, its variance (index-reference covariance folded in
    for ratios), and for shares the events and denominators and the share's variance."""

    events: dict[str, float] = field(default_factory=dict)
    variance: dict[str, float] = field(default_factory=dict)
    denominator: dict[str, float] = field(default_factory=dict)
    share_variance: dict[str, float] = field(default_factory=dict)
    open: float = 0.0


def hard_group(units: pd.DataFrame, source: str) -> pd.Series:
    """The one group each row of ``units`` has under a single-assignment source."""
    self_group, officer_group = units["self_group"], units["officer_group"]
    if source == "self_only":
        return self_group
    if source == "officer_only":
        return officer_group
    return self_group.where(self_group != NOT_STATED, officer_group)  # self_then_officer


def rate_estimates(units: pd.DataFrame, dims: tuple[str, ...], source: str, counting_unit: str,
                   reference_group: str, concordance_: Concordance | None,
                   pairs: pd.DataFrame | None = None) -> dict[Any, CellEstimate]:
    """Expected events and their variances by ``dims`` cell (``None`` without dims) and group; with ``pairs``
    (``Store.co_offending``, same filters and dims) the variances are two-way, children and crimes (module doc)."""
    cells = _child_clustered_estimates(units, dims, source, counting_unit, reference_group, concordance_)
    for key, extra in co_offending_terms(pairs, dims, source, counting_unit, concordance_).items():
        cell = cells.get(key)
        if cell is not None:
            for group, value in extra.items():
                cell.variance[group] = cell.variance.get(group, 0.0) + value
    return cells


def co_offending_terms(pairs: pd.DataFrame | None, dims: tuple[str, ...], source: str, counting_unit: str,
                       concordance_: Concordance | None) -> dict[Any, dict[str, float]]:
    """By cell and group (``GROUPS`` and Not stated), the co-offending part of the two-way variance: twice the sum,
    over the pairs of distinct children sharing a crime (``Store.co_offending``), of y_i y_j p_ig p_jg (y = 1 for
    children, the child's records in the cell for records; p_ig the chance child i is in group g: 1 or 0 but for
    reallocated children, whose imputations are independent)."""
    column = "pairs" if counting_unit == "persons" else "record_pairs"
    return {key: {str(group): 2 * float(value) for group, value in sums[column].items()}
            for key, sums in pair_sums(pairs, dims, source, concordance_, [column]).items()}


def decision_pair_terms(pairs: pd.DataFrame | None, dims: tuple[str, ...], source: str,
                        concordance_: Concordance | None) -> dict[Any, dict[str, tuple[float, float, float]]]:
    """By cell and group, the sums over the pairs of distinct children sharing a crime in a decision share's
    denominator (``Store.decision_co_offending``) of p_ig p_jg times a_i a_j, a_i d_j + d_i a_j and d_i d_j: the
    share's cross terms sum z_i z_j = aa - p ad + p^2 dd, z = a - p d (``share_estimates``)."""
    return {key: {str(group): (float(row["aa"]), float(row["ad"]), float(row["dd"]))
                  for group, row in sums.iterrows()}
            for key, sums in pair_sums(pairs, dims, source, concordance_, ["aa", "ad", "dd"]).items()}


def pair_sums(pairs: pd.DataFrame | None, dims: tuple[str, ...], source: str, concordance_: Concordance | None,
              columns: list[str]) -> dict[Any, pd.DataFrame]:
    """By cell, a frame indexed by group (``GROUPS`` and Not stated) of the sums over the pairs of children of
    ``columns`` (pair moments from the store) times p_ig p_jg, the chance both children are in group g
    (``group_weights``; independent imputations)."""
    if pairs is None or not len(pairs):
        return {}
    first = group_weights(pairs, source, concordance_)
    other = pairs[["other_district", "other_self_group", "other_officer_group"]]
    second = group_weights(other.set_axis(["district", "self_group", "officer_group"], axis=1), source, concordance_)
    both = first * second
    labels = [*GROUPS, NOT_STATED]
    values = pairs[columns].to_numpy(dtype=float)
    products = pd.DataFrame({(column, group): values[:, c] * both[:, g] for c, column in enumerate(columns)
                             for g, group in enumerate(labels)})
    if not dims:
        return {None: products.sum().unstack(0)}
    keys = pairs[list(dims)].reset_index(drop=True)
    by = list(dims) if len(dims) > 1 else dims[0]
    sums = pd.concat([keys, products], axis=1).groupby(by, sort=False, dropna=False)[list(products.columns)].sum()
    sums.columns = products.columns
    return {key: row.unstack(0) for key, row in sums.iterrows()}


def group_weights(rows: pd.DataFrame, source: str, concordance_: Concordance | None) -> np.ndarray:
    """Each row's chance of being in each group of ``GROUPS`` and Not stated (columns in that order): 1 for its
    one group under a single-assignment source; under the default, the concordance shares of a child with only
    an officer-defined code (Not stated where it cannot be reallocated)."""
    labels = [*GROUPS, NOT_STATED]
    weights = np.zeros((len(rows), len(labels)))
    if source != SOURCE or concordance_ is None:
        groups = hard_group(rows, source).map(labels.index).to_numpy()
        weights[np.arange(len(rows)), groups] = 1.0
        return weights
    self_group = rows["self_group"].to_numpy(dtype=object).astype(str)
    officer = rows["officer_group"].to_numpy(dtype=object).astype(str)
    stated = self_group != NOT_STATED
    positions = pd.Index(labels).get_indexer(self_group[stated])
    if (positions < 0).any():
        raise ValueError(f"unknown self-defined group in {sorted(set(self_group[stated]) - set(labels))}")
    weights[np.flatnonzero(stated), positions] = 1.0
    row = np.where(officer != NOT_STATED, concordance_.strata(rows["district"].to_numpy(), officer), -1)
    weights[~stated & (row < 0), -1] = 1.0
    reallocated = ~stated & (row >= 0)
    weights[reallocated, :-1] = concordance_.share_rows()[row[reallocated]]
    return weights


def _child_clustered_estimates(units: pd.DataFrame, dims: tuple[str, ...], source: str, counting_unit: str,
                               reference_group: str, concordance_: Concordance | None) -> dict[Any, CellEstimate]:
    """``rate_estimates`` with the variances clustered in children only (the one-way terms W_g and B_g)."""
    frame = units.copy()
    frame["y"], frame["y2"] = ((frame["children"], frame["children"]) if counting_unit == "persons"
                               else (frame["records"], frame["records_squared"]))
    cells: dict[Any, CellEstimate] = {}
    for key, part in _cells(frame, dims):
        cell = cells.setdefault(key, CellEstimate())
        if source == SOURCE and concordance_ is not None:
            _reallocate_counts(part, concordance_, reference_group, cell)
        else:
            sums = part.assign(group=hard_group(part, source)).groupby("group")[["y", "y2"]].sum()
            cell.events = {str(g): float(v) for g, v in sums["y"].items()}
            cell.variance = {str(g): float(v) for g, v in sums["y2"].items()}
    return cells


def share_estimates(units: pd.DataFrame, dims: tuple[str, ...], source: str, concordance_: Concordance | None,
                    pairs: pd.DataFrame | None = None) -> dict[Any, CellEstimate]:
    """Expected events (records ending in the outcomes) and denominators (concluded records) by cell and group,
    and each share's variance (ratio estimator over children, plus the imputation terms); with ``pairs``
    (``Store.decision_co_offending``, same filters, outcomes and dims) two-way, children and crimes: plus
    2 sum p_ig p_jg z_i z_j / D^2 over the pairs of co-defendants (module doc)."""
    cells = _child_clustered_shares(units, dims, source, concordance_)
    for key, terms in decision_pair_terms(pairs, dims, source, concordance_).items():
        cell = cells.get(key)
        if cell is None:
            continue
        for group, (aa, ad, dd) in terms.items():
            d = cell.denominator.get(group, 0.0)
            if d > 0:
                share = cell.events[group] / d
                cell.share_variance[group] += 2 * (aa - share * ad + share * share * dd) / d**2
    return cells


def _child_clustered_shares(units: pd.DataFrame, dims: tuple[str, ...], source: str,
                            concordance_: Concordance | None) -> dict[Any, CellEstimate]:
    """``share_estimates`` with the variances clustered in children only."""
    cells: dict[Any, CellEstimate] = {}
    for key, part in _cells(units, dims):
        cell = cells.setdefault(key, CellEstimate())
        cell.open = float(part["open"].sum())
        if source == SOURCE and concordance_ is not None:
            _reallocate_shares(part, concordance_, cell)
            continue
        sums = part.assign(group=hard_group(part, source)).groupby("group")[["a", "d", "a2", "ad", "d2"]].sum()
        for group, row in sums.iterrows():
            a, d = float(row["a"]), float(row["d"])
            cell.events[str(group)], cell.denominator[str(group)] = a, d
            if d > 0:
                p = a / d
                cell.share_variance[str(group)] = float(row["a2"] - 2 * p * row["ad"] + p * p * row["d2"]) / d**2
    return cells


def _cells(frame: pd.DataFrame, dims: tuple[str, ...]) -> list[tuple[Any, pd.DataFrame]]:
    if not len(frame):
        return []
    if not dims:
        return [(None, frame)]
    by = list(dims) if len(dims) > 1 else dims[0]
    return list(frame.groupby(by, sort=False, dropna=False))


def _allocation(part: pd.DataFrame, concordance_: Concordance,
                columns: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """The children with only an officer code, summed by (stratum, officer group): (stratum, officer group,
    sums of ``columns``); stratum '' where no child of the selection has both codes with that officer group."""
    only_officer = part[(part["self_group"] == NOT_STATED) & (part["officer_group"] != NOT_STATED)]
    rows = concordance_.strata(only_officer["district"].to_numpy(), only_officer["officer_group"].to_numpy())
    # each row's stratum name; the last, "", is where -1 (no row) points
    names = np.array([str(s) for s in concordance_.counts.index.get_level_values(0)] + [""], dtype=object)
    sums = only_officer.assign(stratum=names[rows]).groupby(["stratum", "officer_group"])[columns].sum()
    values = sums.to_numpy(dtype=float)
    return [(stratum, officer, values[i]) for i, (stratum, officer) in enumerate(_pairs(sums.index))]


def _stated_sums(part: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Sums of ``columns`` over the children with a self-defined group: one row per group of ``GROUPS``."""
    stated = part[part["self_group"] != NOT_STATED].groupby("self_group")[columns].sum()
    return np.array(stated.reindex(list(GROUPS), fill_value=0).to_numpy(dtype=float))


def _neither_sums(part: pd.DataFrame, columns: list[str]) -> np.ndarray:
    neither = part[(part["self_group"] == NOT_STATED) & (part["officer_group"] == NOT_STATED)]
    return np.array(neither[columns].to_numpy(dtype=float).sum(axis=0))


def _reallocate_counts(part: pd.DataFrame, concordance_: Concordance, reference_group: str,
                       cell: CellEstimate) -> None:
    k = len(GROUPS)
    stated = _stated_sums(part, ["y", "y2"])
    events, within = stated[:, 0].copy(), stated[:, 1].copy()
    between = np.zeros(k)
    covariance = np.zeros((k, k))
    not_stated = float(_neither_sums(part, ["y"])[0])
    for stratum, officer, sums in _allocation(part, concordance_, ["y", "y2"]):
        y, y2 = float(sums[0]), float(sums[1])
        if not stratum:
            not_stated += y  # no child of the selection has both codes with this officer group
            continue
        p, n = concordance_.shares(stratum, officer)
        events += p * y
        within += p * y2
        between += p * (1 - p) * (y2 + y * y / n)
        covariance -= np.outer(p, p) * (y2 + y * y / n)
    np.fill_diagonal(covariance, 0.0)
    variance = within + between
    r = GROUPS.index(reference_group)
    for i, group in enumerate(GROUPS):
        cell.events[group] = float(events[i])
        folded = float(variance[i])
        if i != r and events[r] > 0:
            folded -= 2 * float(covariance[i, r] * events[i] / events[r])
        cell.variance[group] = folded
    cell.events[NOT_STATED] = not_stated
    cell.variance[NOT_STATED] = not_stated


#: a, d, a2, ad, d2: a child's records ending in the outcomes (a) and concluded records (d), and their products
MOMENTS = ["a", "d", "a2", "ad", "d2"]


def _z2(m: np.ndarray, share: float) -> float:
    """Sum of (a_i - p d_i)^2 from the moments (a, d, a2, ad, d2)."""
    return float(m[2] - 2 * share * m[3] + share * share * m[4])


def _reallocate_shares(part: pd.DataFrame, concordance_: Concordance, cell: CellEstimate) -> None:
    totals = _stated_sums(part, MOMENTS)
    allocation = _allocation(part, concordance_, MOMENTS)
    leftover = _neither_sums(part, MOMENTS)
    allocated = []
    for stratum, officer, sums in allocation:
        if not stratum:
            leftover = leftover + sums
            continue
        p, n = concordance_.shares(stratum, officer)
        totals = totals + np.outer(p, sums)
        allocated.append((p, n, sums))
    for i, group in enumerate(GROUPS):
        a, d = float(totals[i, 0]), float(totals[i, 1])
        cell.events[group], cell.denominator[group] = a, d
        if d <= 0:
            continue
        share = a / d
        extra = 0.0
        for p, n, sums in allocated:
            row_z = float(sums[0] - share * sums[1])
            extra += float(p[i] * (1 - p[i])) * (_z2(sums, share) + row_z * row_z / n)
        cell.share_variance[group] = (_z2(totals[i], share) + extra) / d**2
    a, d = float(leftover[0]), float(leftover[1])
    cell.events[NOT_STATED], cell.denominator[NOT_STATED] = a, d
    if d > 0:
        cell.share_variance[NOT_STATED] = _z2(leftover, a / d) / d**2


def method_text(source: str, counting_unit: str, concordance_: Concordance | None, decision: bool = False) -> str:
    """The ethnicity and clustering method beside a table: rates' counts (children or records), or with
    ``decision`` a decision share's records, clustered in children and in the crimes they share."""
    parts = [schema.ETHNICITY_SOURCES[source] + "."]
    if source == SOURCE:
        parts.append(METHOD_TEXT.format(min=MIN_CONCORDANT))
        if concordance_ is not None:
            parts.append(concordance_.describe().capitalize() + ".")
    parts.append(CLUSTER_TEXT["decision" if decision else counting_unit])
    return " ".join(parts)


def row_method(source: str, records: bool, decision: bool = False) -> str:
    """The ethnicity and clustering method in each row's ``method`` text (the CSV states it beside every number):
    counts (``records`` or children), or with ``decision`` a share's records, clustered in children and in the
    crimes they share."""
    parts = []
    if source == SOURCE:
        parts.append("ethnicity: self-defined, only-officer-coded children reallocated through the self/officer "
                     "concordance (Rubin variance; see metadata)")
    counted = "the share's records" if decision else "records" if records else "children"
    parts.append(f"{counted} clustered in children and in the crimes they share (two-way cluster variance, pairwise "
                 "form: Cameron, Gelbach & Miller 2011; Aronow, Samii & Assenova 2015)")
    return "".join(f"; {p}" for p in parts)


def as_rate_part(split_value: object, estimate: CellEstimate | None,
                 population: Mapping[str, int]) -> tuple[object, dict[str, float], dict[str, int], dict[str, float]]:
    """A ``tables.rate_rows`` part from one cell's estimates."""
    if estimate is None:
        return split_value, {}, dict(population), {}
    return split_value, dict(estimate.events), dict(population), dict(estimate.variance)
