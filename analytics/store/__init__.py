"""The only package that imports duckdb or sqlite3 or runs SQL (DESIGN.md section 2).

* ``where``: the fixed SQL vocabularies and the WHERE clauses ``Filters``/``SearchFilters`` stand for.
* ``reader``/``read``: ``Store``, read-only named queries on the published database.
* ``build``: ``PublicationBuilder``, which builds a new database file for the loaders.
* ``staging``: the SQL that reads an extract, and ``ExtractReader``, which reads one without writing any file.
* ``searches``: the stop-and-search tables (``SearchBuilder``, ``SearchStore``).
* ``partners``: the partner tables and the children's journeys (``PartnerBuilder``, ``PartnerStore``).
* ``audit``: ``AuditLog``, the append-only audit log (SQLite, a keyed chain and an anchor).

Every value is a bound parameter; column names come only from fixed lists. The raw query methods
and the connections are private: callers use the named methods. A DuckDB error leaves the package
as ``DatabaseError`` (one-line message).

The names are imported on first use (PEP 562, ``analytics.lazy``): a process that reads an extract does not
import pandas for the read queries or the audit log it never uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analytics import lazy

if TYPE_CHECKING:
    from analytics.store.audit import AUDIT_FIELDS, AuditCheck, AuditError, AuditLog, AuditTampered, AuditUnusable
    from analytics.store.build import (
        BUILD_MEMORY_LIMIT,
        PARTNER_TABLE_COLUMNS,
        PARTNER_TABLES,
        SEARCH_TABLE_COLUMNS,
        SEARCH_TABLES,
        PublicationBuilder,
        current_publication,
    )
    from analytics.store.errors import DatabaseError, NoDataError, printable
    from analytics.store.partners import JOURNEY_COLUMNS, PartnerBuilder, PartnerStore
    from analytics.store.read import (
        Store,
        co_offending_statement,
        decision_co_offending_statement,
        decision_counts_statement,
        ethnicity_units_statement,
        event_counts_statement,
    )
    from analytics.store.reader import not_a_publication
    from analytics.store.searches import SearchBuilder, SearchOptions, SearchStore, search_counts_statement
    from analytics.store.staging import CSV_OPTIONS, IDENTIFIER_WHITESPACE, ExtractReader, Pads
    from analytics.store.where import (
        COUNT_EXPRESSIONS,
        DIMENSION_COLUMNS,
        GROUP_EXPRESSIONS,
        POPULATION_DIMENSIONS,
        RECORD_GROUP_EXPRESSIONS,
        SEARCH_DIMENSIONS,
        SEARCH_GROUP_EXPRESSIONS,
        SEARCH_LIST_FILTERS,
        Statement,
        Where,
        records_where,
        search_where,
    )

#: The module defining each public name, imported on first use (``analytics.lazy``).
_DEFINED_IN = lazy.by_name({
    "audit": ("AUDIT_FIELDS", "AuditCheck", "AuditError", "AuditLog", "AuditTampered", "AuditUnusable",),
    "build": (
        "BUILD_MEMORY_LIMIT", "PARTNER_TABLES", "PARTNER_TABLE_COLUMNS", "PublicationBuilder", "SEARCH_TABLES",
        "SEARCH_TABLE_COLUMNS", "current_publication",
    ),
    "errors": ("DatabaseError", "NoDataError", "printable",),
    "partners": ("JOURNEY_COLUMNS", "PartnerBuilder", "PartnerStore",),
    "read": (
        "Store", "co_offending_statement", "decision_co_offending_statement", "decision_counts_statement",
        "ethnicity_units_statement", "event_counts_statement",
    ),
    "reader": ("not_a_publication",),
    "searches": ("SearchBuilder", "SearchOptions", "SearchStore", "search_counts_statement",),
    "staging": ("CSV_OPTIONS", "ExtractReader", "IDENTIFIER_WHITESPACE", "Pads",),
    "where": (
        "COUNT_EXPRESSIONS", "DIMENSION_COLUMNS", "GROUP_EXPRESSIONS", "POPULATION_DIMENSIONS",
        "RECORD_GROUP_EXPRESSIONS", "SEARCH_DIMENSIONS", "SEARCH_GROUP_EXPRESSIONS", "SEARCH_LIST_FILTERS",
        "Statement", "Where", "records_where", "search_where",
    ),
})
__all__ = [
    "AUDIT_FIELDS",
    "BUILD_MEMORY_LIMIT",
    "COUNT_EXPRESSIONS",
    "CSV_OPTIONS",
    "DIMENSION_COLUMNS",
    "GROUP_EXPRESSIONS",
    "IDENTIFIER_WHITESPACE",
    "JOURNEY_COLUMNS",
    "PARTNER_TABLES",
    "PARTNER_TABLE_COLUMNS",
    "POPULATION_DIMENSIONS",
    "RECORD_GROUP_EXPRESSIONS",
    "SEARCH_DIMENSIONS",
    "SEARCH_GROUP_EXPRESSIONS",
    "SEARCH_LIST_FILTERS",
    "SEARCH_TABLES",
    "SEARCH_TABLE_COLUMNS",
    "AuditCheck",
    "AuditError",
    "AuditLog",
    "AuditTampered",
    "AuditUnusable",
    "DatabaseError",
    "ExtractReader",
    "NoDataError",
    "Pads",
    "PartnerBuilder",
    "PartnerStore",
    "PublicationBuilder",
    "SearchBuilder",
    "SearchOptions",
    "SearchStore",
    "Statement",
    "Store",
    "Where",
    "co_offending_statement",
    "current_publication",
    "decision_co_offending_statement",
    "decision_counts_statement",
    "ethnicity_units_statement",
    "event_counts_statement",
    "not_a_publication",
    "printable",
    "records_where",
    "search_counts_statement",
    "search_where",
]
__getattr__, __dir__ = lazy.exports(__name__, _DEFINED_IN)
