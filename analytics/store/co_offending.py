"""The pairs of children who share a crime (co-offending): the input of the two-way variance of group counts
(``analytics.ethnicity``; issue 13). Values are bound parameters; column names come from ``analytics.store.where``."""

from __future__ import annotations

from analytics.filters import Filters
from analytics.store.where import Statement, dimension_columns, records_where

#: A child's class: the unit of ``read.ethnicity_units_statement`` (district of its latest record in the cell,
#: person-level self-defined and officer-defined groups).
_CLASS = ("district", "self_group", "officer_group")


def co_offending_statement(filters: Filters, dims: tuple[str, ...] = ()) -> Statement:
    """The pairs of distinct children of a ``dims`` cell who share at least one crime of the selection, by cell and
    the two children's classes (``district``, ``self_group``, ``officer_group`` and ``other_district``,
    ``other_self_group``, ``other_officer_group``): ``pairs`` (each pair once) and ``record_pairs`` (the sum over
    the pairs of the product of the two children's records in the cell)."""
    columns = dimension_columns(dims)
    where = records_where(filters, include_ethnic_group=False)
    cell = "".join(f"{c}, " for c in columns)
    same_cell = _same("i", "j", columns)
    pair_cell = "".join(f"i.{c}, " for c in columns)
    pair_columns = "".join(f"p.{c}, " for c in columns)
    classes = ", ".join([*(f"ui.{c} AS {c}" for c in _CLASS), *(f"uj.{c} AS other_{c}" for c in _CLASS)])
    sql = (
        f"WITH units AS (SELECT {cell}person_key, arg_max(area_code, (recorded_date, record_id)) AS district, "
        "COALESCE(any_value(person_group_self), 'Not stated') AS self_group, "
        "COALESCE(any_value(person_group_officer), 'Not stated') AS officer_group, COUNT(*) AS m "
        f"FROM records WHERE {where.sql} GROUP BY {cell}person_key), "
        f"links AS (SELECT DISTINCT {cell}person_key, crime_id FROM records WHERE {where.sql}), "
        f"pairs AS (SELECT DISTINCT {pair_cell}i.person_key AS first_key, j.person_key AS second_key "
        "FROM links i JOIN links j "
        f"ON {same_cell}i.crime_id = j.crime_id AND i.person_key < j.person_key) "
        f"SELECT {pair_columns}{classes}, "
        "COUNT(*) AS pairs, SUM(ui.m * uj.m) AS record_pairs FROM pairs p "
        f"JOIN units ui ON {_same('ui', 'p', columns)}ui.person_key = p.first_key "
        f"JOIN units uj ON {_same('uj', 'p', columns)}uj.person_key = p.second_key "
        "GROUP BY ALL ORDER BY ALL"
    )
    return Statement(sql, where.params)


def _same(left: str, right: str, columns: list[str]) -> str:
    """The condition that two aliases are in the same cell (NULL-safe), each followed by AND."""
    return "".join(f"{left}.{c} IS NOT DISTINCT FROM {right}.{c} AND " for c in columns)
