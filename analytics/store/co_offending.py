"""The pairs of children who share a crime (co-offending): the input of the two-way variance of group counts and of
decision-point shares (``analytics.ethnicity``; issue 13). Values are bound parameters; column names come from
``analytics.store.where``."""

from __future__ import annotations

from analytics import schema
from analytics.filters import Filters
from analytics.store.where import DECISION_CONDITIONS, Statement, decision_source, dimension_columns, records_where

#: A child's class: the unit of ``read.ethnicity_units_statement`` (district of its latest record in the cell,
#: person-level self-defined and officer-defined groups).
_CLASS = ("district", "self_group", "officer_group")


def co_offending_statement(filters: Filters, dims: tuple[str, ...] = ()) -> Statement:
    """The pairs of distinct children of a ``dims`` cell who share at least one crime of the selection, by cell and
    the two children's classes (``district``, ``self_group``, ``officer_group`` and ``other_district``,
    ``other_self_group``, ``other_officer_group``): ``pairs`` (each pair once) and ``record_pairs`` (the sum over
    the pairs of the product of the two children's records in the cell)."""
    where = records_where(filters, include_ethnic_group=False)
    sql = _pairs_sql(dimension_columns(dims), "records", where.sql, "COUNT(*) AS m", None,
                     "SUM(ui.m * uj.m) AS record_pairs")
    return Statement(sql, where.params)


def decision_co_offending_statement(filters: Filters, outcome_codes: tuple[str, ...], dims: tuple[str, ...] = (),
                                    denominator_codes: tuple[str, ...] = schema.DECISION_DENOMINATORS["all"]
                                    ) -> Statement:
    """For a decision-point share (the records of ``read.ethnicity_units_statement`` with ``outcome_codes``: the
    cohort, records whose outcome is one of ``denominator_codes``): the pairs of distinct children of a ``dims``
    cell who share a crime in which both have a record in the denominator, by cell and the two children's classes
    (as ``co_offending_statement``), with ``pairs`` and the sums over the pairs of a_i a_j (``aa``),
    a_i d_j + d_i a_j (``ad``) and d_i d_j (``dd``), where d is a child's records in the cell's denominator and a
    those of them ending in ``outcome_codes``."""
    where = records_where(filters.replace(outcome_codes=()), include_ethnic_group=False)
    source = decision_source(filters)  # the cohort with a fixed follow-up, as the shares
    params = {**where.params, **source.params, "chosen_outcomes": list(outcome_codes),
              "denominator_outcomes": list(denominator_codes)}
    measures = (f"COUNT(*) FILTER (WHERE {DECISION_CONDITIONS['events']}) AS a, "
                f"COUNT(*) FILTER (WHERE {DECISION_CONDITIONS['denominator']}) AS d")
    sums = "SUM(ui.a * uj.a) AS aa, SUM(ui.a * uj.d + ui.d * uj.a) AS ad, SUM(ui.d * uj.d) AS dd"
    sql = _pairs_sql(dimension_columns(dims), source.sql, where.sql, measures, DECISION_CONDITIONS["denominator"],
                     sums)
    return Statement(sql, params)


def _pairs_sql(columns: list[str], source: str, where: str, measures: str, link: str | None, sums: str) -> str:
    """The pairs of distinct children of a cell sharing a crime (through records meeting ``link``, where given),
    from ``source`` rows meeting ``where``; each child's ``measures`` over its rows of the cell, summed over the
    pairs as ``sums`` (``ui``, ``uj``: the two children)."""
    cell = "".join(f"{c}, " for c in columns)
    pair_cell = "".join(f"i.{c}, " for c in columns)
    pair_columns = "".join(f"p.{c}, " for c in columns)
    linked = f"({where}) AND ({link})" if link else where
    classes = ", ".join([*(f"ui.{c} AS {c}" for c in _CLASS), *(f"uj.{c} AS other_{c}" for c in _CLASS)])
    return (
        f"WITH units AS (SELECT {cell}person_key, arg_max(area_code, (recorded_date, record_id)) AS district, "
        "COALESCE(any_value(person_group_self), 'Not stated') AS self_group, "
        "COALESCE(any_value(person_group_officer), 'Not stated') AS officer_group, "
        f"{measures} FROM {source} WHERE {where} GROUP BY {cell}person_key), "
        f"links AS (SELECT DISTINCT {cell}person_key, crime_id FROM {source} WHERE {linked}), "
        f"pairs AS (SELECT DISTINCT {pair_cell}i.person_key AS first_key, j.person_key AS second_key "
        "FROM links i JOIN links j "
        f"ON {_same('i', 'j', columns)}i.crime_id = j.crime_id AND i.person_key < j.person_key) "
        f"SELECT {pair_columns}{classes}, COUNT(*) AS pairs, {sums} FROM pairs p "
        f"JOIN units ui ON {_same('ui', 'p', columns)}ui.person_key = p.first_key "
        f"JOIN units uj ON {_same('uj', 'p', columns)}uj.person_key = p.second_key "
        "GROUP BY ALL ORDER BY ALL"
    )


def _same(left: str, right: str, columns: list[str]) -> str:
    """The condition that two aliases are in the same cell (NULL-safe), each followed by AND."""
    return "".join(f"{left}.{c} IS NOT DISTINCT FROM {right}.{c} AND " for c in columns)
