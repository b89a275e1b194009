"""``Store``: the named queries on the published database's crime-record tables (DESIGN.md section 2).

Every value reaches DuckDB as a bound parameter; column names come only from the fixed vocabularies
of ``analytics.store.where``. The statements of the main counts are built by the module-level
``*_statement`` functions, so the golden SQL files (``tests/golden_sql/``) can pin their text.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import schema
from analytics.filters import Filters
from analytics.store.co_offending import co_offending_statement, decision_co_offending_statement
from analytics.store.errors import NoDataError, printable
from analytics.store.one_source import perturbed_view
from analytics.store.reader import PublicationReader
from analytics.store.where import (
    CELL_KEY_EXPRESSIONS,
    COUNT_EXPRESSIONS,
    DECISION_CONDITIONS,
    DIMENSION_COLUMNS,
    END_OF_DATA,
    GROUP_EXPRESSIONS,
    POPULATION_DIMENSIONS,
    Statement,
    decision_source,
    dimension_columns,
    population_where,
    record_cell_key,
    records_where,
)
from analytics.suppression.perturbation import perturb_cells, perturb_columns

#: Every outcome code: the denominator of a share of all concluded records.
ALL_OUTCOMES: tuple[str, ...] = schema.DECISION_DENOMINATORS["all"]


def event_counts_statement(filters: Filters, dims: tuple[str, ...] = (), cell_keys: bool = False) -> Statement:
    """Events (children or records, per the counting unit) by ethnic group and ``dims`` (with ``cell_keys``,
    each count's cell key too, as ``events_ckey``)."""
    columns = dimension_columns(dims)
    group = GROUP_EXPRESSIONS[filters.ethnicity_source]
    where = records_where(filters, include_ethnic_group=False)
    select = ", ".join([*columns, f"{group} AS ethnic_group"])
    keys = f", {CELL_KEY_EXPRESSIONS[filters.counting_unit]} AS events_ckey" if cell_keys else ""
    sql = (
        f"SELECT {select}, {COUNT_EXPRESSIONS[filters.counting_unit]} AS events{keys} "
        f"FROM records WHERE {where.sql} GROUP BY ALL"
    )
    return Statement(sql, where.params)


def detailed_event_counts_statement(filters: Filters, cell_keys: bool = False) -> Statement:
    """Events (children or records) by each child's detailed self-defined code (issue 15 point 8): the latest stated
    18+1 code across all their records, as ``person_group_self`` is its group; ``NS`` where none is stated."""
    where = records_where(filters, include_ethnic_group=False)
    keys = f", {CELL_KEY_EXPRESSIONS[filters.counting_unit]} AS events_ckey" if cell_keys else ""
    sql = ("WITH codes AS (SELECT person_key, arg_max(ethnicity_self, (recorded_date, record_id)) FILTER "
           "(WHERE ethnicity_self <> 'NS') AS code FROM records GROUP BY person_key) "
           f"SELECT COALESCE(code, 'NS') AS code, {COUNT_EXPRESSIONS[filters.counting_unit]} AS events{keys} "
           f"FROM records LEFT JOIN codes USING (person_key) WHERE {where.sql} GROUP BY ALL")
    return Statement(sql, where.params)


def decision_counts_statement(filters: Filters, outcome_codes: tuple[str, ...], dims: tuple[str, ...] = (),
                              cell_keys: bool = False, denominator_codes: tuple[str, ...] | None = None) -> Statement:
    """Records ending in ``outcome_codes`` (``events``) among those whose outcome is one of ``denominator_codes``
    (``denominator``; default every outcome code, i.e. every concluded record), by ethnic group and ``dims``, with
    the open records (``open``) and the concluded records outside the denominator (``outside``). With
    ``cell_keys``, each count's cell key too."""
    columns = dimension_columns(dims)
    group = GROUP_EXPRESSIONS[filters.ethnicity_source]
    where = records_where(filters.replace(outcome_codes=()), include_ethnic_group=False)
    source = decision_source(filters)  # the cohort with a fixed follow-up (issue 13)
    params = {**where.params, **source.params, "chosen_outcomes": list(outcome_codes),
              "denominator_outcomes": list(denominator_codes if denominator_codes is not None else ALL_OUTCOMES)}
    select = ", ".join([*columns, f"{group} AS ethnic_group"])
    keys = "".join(f", {record_cell_key(c)} AS {name}_ckey" for name, c in DECISION_CONDITIONS.items()) \
        if cell_keys else ""
    counts = ", ".join(f"COUNT(*) FILTER (WHERE {c}) AS {name}" for name, c in DECISION_CONDITIONS.items())
    sql = f"SELECT {select}, {counts}{keys} FROM {source.sql} WHERE {where.sql} GROUP BY ALL"
    return Statement(sql, params)


def ethnicity_units_statement(filters: Filters, dims: tuple[str, ...] = (),
                              outcome_codes: tuple[str, ...] | None = None, cell_keys: bool = False,
                              denominator_codes: tuple[str, ...] | None = None) -> Statement:
    """Children by ``dims``, district, person-level self-defined group and officer-defined group, with the moments of
    their record counts: the input of the concordance reallocation and of the cluster (records per child) variance
    (``analytics.ethnicity``).

    A unit is a child within a ``dims`` cell; its district is the area of its latest record in the cell. Per cell
    and (district, self group, officer group): ``children``, ``records`` (sum of the children's records) and
    ``records_squared`` (sum of squares). With ``outcome_codes`` (decision points) also the records in the
    denominator ``d`` (outcome one of ``denominator_codes``, default every concluded record) and those ending in the
    outcomes ``a``, with ``a``, ``d``, ``a2``, ``ad``, ``d2`` sums, the ``open`` records and the concluded records
    ``outside`` the denominator.
    With ``cell_keys``, each count's sum of keys (``children_ckey``, ``records_ckey``, ``a_ckey``, ``d_ckey``; not
    yet modulo 256, since a published cell adds up several rows: ``perturbation.perturb_cells``)."""
    columns = dimension_columns(dims)
    where = records_where(filters.replace(outcome_codes=()) if outcome_codes is not None else filters,
                          include_ethnic_group=False)
    source = decision_source(filters) if outcome_codes is not None else None  # decision points: the cohort
    params = {**where.params, **(source.params if source else {})}
    cell = "".join(f"{c}, " for c in columns)
    measures = "COUNT(*) AS y"
    sums = "SUM(y) AS records, SUM(y * y) AS records_squared"
    if cell_keys:
        measures += ", any_value(person_ckey) AS pk, SUM(record_ckey) AS rk"
        sums += ", SUM(pk)::BIGINT AS children_ckey, SUM(rk)::BIGINT AS records_ckey"
    if outcome_codes is not None:
        params["chosen_outcomes"] = list(outcome_codes)
        params["denominator_outcomes"] = list(denominator_codes if denominator_codes is not None else ALL_OUTCOMES)
        measures += "".join(f", COUNT(*) FILTER (WHERE {DECISION_CONDITIONS[name]}) AS {short}"
                            for name, short in (("events", "a"), ("denominator", "d"), ("open", "o"),
                                                ("outside", "x")))
        sums += (", SUM(a) AS a, SUM(d) AS d, SUM(a * a) AS a2, SUM(a * d) AS ad, SUM(d * d) AS d2, "
                 "SUM(o) AS open, SUM(x) AS outside")
        if cell_keys:
            measures += "".join(f", COALESCE(SUM(record_ckey) FILTER (WHERE {DECISION_CONDITIONS[name]}), 0) AS {k}"
                                for name, k in (("events", "ak"), ("denominator", "dk"), ("open", "ok"),
                                                ("outside", "xk")))
            sums += (", SUM(ak)::BIGINT AS a_ckey, SUM(dk)::BIGINT AS d_ckey, SUM(ok)::BIGINT AS open_ckey, "
                     "SUM(xk)::BIGINT AS outside_ckey")
    sql = (
        f"WITH units AS (SELECT {cell}person_key, arg_max(area_code, (recorded_date, record_id)) AS district, "
        "any_value(person_group_self) AS self_group, any_value(person_group_officer) AS officer_group, "
        f"{measures} FROM {source.sql if source else 'records'} WHERE {where.sql} GROUP BY {cell}person_key) "
        f"SELECT {cell}district, COALESCE(self_group, 'Not stated') AS self_group, "
        f"COALESCE(officer_group, 'Not stated') AS officer_group, COUNT(*) AS children, {sums} "
        "FROM units GROUP BY ALL"
    )
    return Statement(sql, params)


class Store(PublicationReader):
    """Read-only access to the published database; safe to share between threads.

    ``store.perturbed()`` is the same store for the scrutiny audience: every count it returns is perturbed
    by the Cell Key Method (``analytics.suppression.perturbation``), from cell keys computed in the same
    query; it refuses records, and counts under any ethnicity source but the default (``one_source``).
    """

    def __init__(self, path: str | os.PathLike[str] | PublicationReader):
        super().__init__(path)
        self._publication: tuple[Path, dict[str, Any]] | None = None
        self.perturbing = False

    def perturbed(self) -> Store:
        """The same store (sharing its connection) with every count perturbed; idempotent."""
        if self.perturbing:
            return self
        return perturbed_view(Store(self))  # under the default ethnicity source only (issue 14)

    def _counts_query(self, sql: str, params: dict[str, Any], columns: tuple[str, ...]) -> pd.DataFrame:
        """Run a count query whose SQL carries ``<column>_ckey`` for each count column when perturbing, and
        give back the perturbed counts (the cell keys dropped)."""
        frame = self._query(sql, params)
        return perturb_columns(frame, columns) if self.perturbing else frame

    def _keys(self, sql: str) -> str:
        """``, sql`` when perturbing (a cell-key column to add to a SELECT list), else nothing."""
        return f", {sql}" if self.perturbing else ""

    # metadata ---------------------------------------------------------------------------------
    def publication(self) -> dict[str, Any]:
        """Data version, load time, source and the load's reconciliation counts.

        Read once per publication file (a publication never changes; a new load is a new file), since
        every rate table states its population source from it."""
        current = self._current_file()
        cached = self._publication
        if cached is not None and cached[0] == current:
            return dict(cached[1])
        frame = self._query("SELECT * FROM publication")
        if len(frame) != 1:  # an altered file: never a traceback
            raise NoDataError(f"{printable(current.name)} is not a database the monitor published (its publication "
                              f"table has {len(frame)} rows, not 1): check --db")
        row = {str(name): value for name, value in frame.iloc[0].to_dict().items()}
        self._publication = (current, row)
        return dict(row)

    def data_version(self) -> str:
        versions = self._query("SELECT version FROM publication")["version"]
        if len(versions) != 1:
            raise NoDataError(f"{printable(self.path.name)} is not a database the monitor published (its publication "
                              f"table has {len(versions)} rows, not 1): check --db")
        return str(versions.iloc[0])

    def areas(self) -> pd.DataFrame:
        return self._query("SELECT area_code, area_name FROM areas ORDER BY area_name")

    def check_areas(self, codes: tuple[str, ...]) -> None:
        """Refuse district codes that are not in the population table, naming the first."""
        if not codes:
            return
        known = set(self.areas()["area_code"])
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown district code {unknown[0][:60]!r} (not in the population table)")

    def period(self) -> tuple[date | None, date | None]:
        frame = self._query("SELECT MIN(recorded_date) AS first, MAX(recorded_date) AS last FROM records")
        first, last = frame.iloc[0]
        return (None if pd.isna(first) else first.date(), None if pd.isna(last) else last.date())

    def end_of_data(self) -> date | None:
        """The latest date a record was made or an outcome reached (``where.END_OF_DATA``); None without records."""
        last = self._query(f"SELECT ({END_OF_DATA}) AS last")["last"].iloc[0]
        return None if pd.isna(last) else pd.Timestamp(last).date()

    def outcome_dates_recorded(self) -> bool:
        """Whether any concluded record carries an outcome date (the follow-up rule can use them)."""
        frame = self._query("SELECT COUNT(*) FILTER (WHERE outcome_code <> '' AND outcome_date IS NOT NULL) AS n "
                            "FROM records")
        return bool(frame["n"].iloc[0])

    def load_summary(self) -> pd.DataFrame:
        return self._query("SELECT kind, reason, rows FROM load_summary ORDER BY kind, rows DESC, reason")

    def rejected_rows(self, limit: int | None = None) -> pd.DataFrame:
        sql = "SELECT * FROM rejected_rows ORDER BY source_row"
        if limit is not None:
            return self._query(sql + " LIMIT $limit", {"limit": int(limit)})
        return self._query(sql)

    def definitions(self) -> dict:
        frame = self._query("SELECT name, value FROM definitions")
        return dict(zip(frame["name"], frame["value"], strict=True))

    def population_table(self) -> pd.DataFrame:
        """The whole ``population`` table as loaded (every column), e.g. to carry it into a new load."""
        return self._query("SELECT * FROM population")

    # analytic queries -----------------------------------------------------------------------
    def event_counts(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Events (children or records, per the counting unit) by ethnic group and ``dims``."""
        statement = event_counts_statement(filters, dims, cell_keys=self.perturbing)
        return self._renamed(self._counts_query(statement.sql, statement.params, ("events",)), dims)

    def detailed_event_counts(self, filters: Filters) -> pd.DataFrame:
        """Events by detailed self-defined code (``detailed_event_counts_statement``)."""
        statement = detailed_event_counts_statement(filters, cell_keys=self.perturbing)
        return self._counts_query(statement.sql, statement.params, ("events",))

    def total_events(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Events over all groups (a child counted once even if their group is ambiguous)."""
        columns = dimension_columns(dims)
        where = records_where(filters, include_ethnic_group=False)
        select = ", ".join([*columns, f"{COUNT_EXPRESSIONS[filters.counting_unit]} AS events"])
        select += self._keys(f"{CELL_KEY_EXPRESSIONS[filters.counting_unit]} AS events_ckey")
        group_by = " GROUP BY ALL" if columns else ""
        sql = f"SELECT {select} FROM records WHERE {where.sql}{group_by}"
        return self._renamed(self._counts_query(sql, where.params, ("events",)), dims)

    def population_counts(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Children in the population by ethnic group and ``dims`` (area, age band, sex only)."""
        columns = dimension_columns(dims, POPULATION_DIMENSIONS)
        where = population_where(filters)
        select = ", ".join([*columns, "ethnic_group"])
        sql = f"SELECT {select}, SUM(population)::BIGINT AS population FROM population WHERE {where.sql} GROUP BY ALL"
        return self._renamed(self._query(sql, where.params), dims)

    def decision_counts(self, filters: Filters, outcome_codes: tuple[str, ...], dims: tuple[str, ...] = (),
                        denominator_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Records whose outcome is one of ``denominator_codes`` (default: every concluded record) and those ending
        in ``outcome_codes``, by ethnic group and ``dims``.

        The unit is the record (one decision per child per crime); open investigations and concluded records
        outside the denominator are counted separately in ``open`` and ``outside``.
        """
        statement = decision_counts_statement(filters, outcome_codes, dims, cell_keys=self.perturbing,
                                              denominator_codes=denominator_codes)
        frame = self._counts_query(statement.sql, statement.params, tuple(DECISION_CONDITIONS))
        if self.perturbing:  # a part never exceeds its whole after perturbation
            frame["events"] = frame["events"].clip(upper=frame["denominator"])
        return self._renamed(frame, dims)

    def ethnicity_units(self, filters: Filters, dims: tuple[str, ...] = (),
                        outcome_codes: tuple[str, ...] | None = None,
                        denominator_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Children by ``dims``, district, self-defined and officer-defined group, with their record moments
        (``ethnicity_units_statement``): the concordance and the reallocation of not-stated children."""
        statement = ethnicity_units_statement(filters, dims, outcome_codes, cell_keys=self.perturbing,
                                              denominator_codes=denominator_codes)
        frame = self._query(statement.sql, statement.params)
        if self.perturbing:  # each published cell (dims x the source's group) perturbed, as event_counts' cells
            frame = self._perturbed_units(frame, filters, dims, outcome_codes is not None)
        return self._renamed(frame, dims)

    def co_offending(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """The pairs of children of a cell who share a crime (``co_offending_statement``). Not perturbed: these
        second moments only widen intervals, like ``records_squared``."""
        statement = co_offending_statement(filters, dims)
        return self._renamed(self._query(statement.sql, statement.params), dims)

    def decision_co_offending(self, filters: Filters, outcome_codes: tuple[str, ...], dims: tuple[str, ...] = (),
                              denominator_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The pairs of children of a cell who share a crime in a decision point's denominator, with their outcome
        moments (``decision_co_offending_statement``). Not perturbed, as ``co_offending``."""
        statement = decision_co_offending_statement(filters, outcome_codes, dims, denominator_codes or ALL_OUTCOMES)
        return self._renamed(self._query(statement.sql, statement.params), dims)

    @staticmethod
    def _perturbed_units(frame: pd.DataFrame, filters: Filters, dims: tuple[str, ...],
                         decisions: bool) -> pd.DataFrame:
        """``ethnicity_units`` rows with the published cells' counts perturbed: children, records, outcome and
        concluded records (outcomes never above the concluded records of their row), and the notes' two totals."""
        self_group, officer_group = frame["self_group"], frame["officer_group"]
        published = {"officer_only": officer_group,
                     "self_then_officer": self_group.where(self_group != "Not stated", officer_group)}
        # a cell's noise goes first to its children with no officer code: they enter neither the concordance nor
        # the reallocation, so each group's estimate moves by its own cell's noise alone (where such rows exist)
        frame = frame.assign(published_group=published.get(filters.ethnicity_source, self_group),
                             no_officer_code=officer_group == "Not stated")
        cells = [*dimension_columns(dims), "published_group"]
        frame = perturb_cells(frame, cells, ("children", "records", *(("a", "d") if decisions else ())),
                              first="no_officer_code")
        if decisions:
            frame["a"] = frame["a"].clip(upper=frame["d"])
            # the notes publish one total each (open; concluded outside the denominator): one cell each
            frame = perturb_cells(frame.assign(note=0), ["note"], ("open", "outside")).drop(columns="note")
        return frame.drop(columns=["published_group", "no_officer_code"])

    def counts(self, filters: Filters, dims: tuple[str, ...]) -> pd.DataFrame:
        """Counts of the counting unit by arbitrary fixed dimensions (e.g. role by month)."""
        columns = dimension_columns(dims)
        where = records_where(filters)
        select = ", ".join([*columns, f"{COUNT_EXPRESSIONS[filters.counting_unit]} AS events"])
        select += self._keys(f"{CELL_KEY_EXPRESSIONS[filters.counting_unit]} AS events_ckey")
        sql = f"SELECT {select} FROM records WHERE {where.sql} GROUP BY ALL ORDER BY ALL"
        return self._renamed(self._counts_query(sql, where.params, ("events",)), dims)

    def ethnicity_completeness(self, filters: Filters, dims: tuple[str, ...] = ()) -> pd.DataFrame:
        """Records with self-defined, officer-defined, and either ethnicity stated, by ``dims``."""
        columns = dimension_columns(dims)
        where = records_where(filters, include_ethnic_group=False)
        select = ", ".join([*columns, "COUNT(*) AS records"]) if columns else "COUNT(*) AS records"
        conditions = {"records": "TRUE", "self_stated": "group_self IS NOT NULL",
                      "officer_stated": "group_officer IS NOT NULL",
                      "either_stated": "group_self IS NOT NULL OR group_officer IS NOT NULL"}
        keys = "".join(self._keys(f"{record_cell_key(c)} AS {name}_ckey") for name, c in conditions.items())
        sql = (
            f"SELECT {select}, "
            "COUNT(*) FILTER (WHERE group_self IS NOT NULL) AS self_stated, "
            "COUNT(*) FILTER (WHERE group_officer IS NOT NULL) AS officer_stated, "
            f"COUNT(*) FILTER (WHERE group_self IS NOT NULL OR group_officer IS NOT NULL) AS either_stated{keys} "
            f"FROM records WHERE {where.sql}" + (" GROUP BY ALL ORDER BY ALL" if columns else "")
        )
        frame = self._counts_query(sql, where.params, tuple(conditions))
        if self.perturbing:  # a part never exceeds its whole after perturbation
            frame["either_stated"] = frame["either_stated"].clip(upper=frame["records"])
            for part in ("self_stated", "officer_stated"):
                frame[part] = frame[part].clip(upper=frame["either_stated"])
        return self._renamed(frame, dims)

    def self_officer_crosstab(self, filters: Filters) -> pd.DataFrame:
        """Records by self-defined group × officer-defined group (Not stated included)."""
        where = records_where(filters, include_ethnic_group=False)
        sql = (
            "SELECT COALESCE(group_self, 'Not stated') AS self_defined, "
            "COALESCE(group_officer, 'Not stated') AS officer_defined, COUNT(*) AS records"
            + self._keys(f"{CELL_KEY_EXPRESSIONS['records']} AS records_ckey")
            + f" FROM records WHERE {where.sql} GROUP BY ALL"
        )
        return self._counts_query(sql, where.params, ("records",))

    def rolling_event_counts(self, filters: Filters, window_months: int = 12) -> pd.DataFrame:
        """Events per group in the ``window_months`` months ending at each month (one query, so a child
        is counted once per window). Only complete windows within the filter's date range are returned."""
        return self.monthly_and_rolling_counts(filters, window_months)[1]

    def monthly_and_rolling_counts(self, filters: Filters,
                                   window_months: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(event_counts(filters, ("month",)), rolling_event_counts(filters, window_months))`` from one
        scan of the records: both come from the same children-by-month (or records-by-month) table."""
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters.replace(date_from=None, date_to=None), include_ethnic_group=False)
        dates = records_where(Filters(date_from=filters.date_from, date_to=filters.date_to))
        in_range = dates.sql
        params = {**where.params, **dates.params, "window": window_months,
                  "first_end": filters.date_from, "last_end": filters.date_to}
        # Each window's count is a running sum of steps (one pass over the records instead of joining
        # every record to each of the 12 windows it falls in). Records: +n in a month, -n twelve months
        # later. Children: a child's months covered by some window are the union of [m, m + 11] over the
        # months m they appear in, so +1 at max(m, previous month + 12) and -1 at m + 12. A month's own
        # count keeps only the records inside the date range (``in_range``).
        # With cell keys (a perturbing store) each +n/-n step carries the matching sum of keys, so a window's
        # key is the sum of its records' (children's) keys, as if it had been counted directly.
        k = self.perturbing
        if filters.counting_unit == "persons":
            steps = (
                f"person_months AS MATERIALIZED (SELECT person_key, {group} AS ethnic_group, month, "
                + ("any_value(person_ckey) AS ckey, " if k else "")
                + f"bool_or({in_range}) AS in_range FROM records WHERE {where.sql} GROUP BY ALL), "
                "monthly AS (SELECT month, ethnic_group, COUNT(*) FILTER (WHERE in_range) AS events"
                + (", SUM(ckey) FILTER (WHERE in_range) AS events_ckey" if k else "")
                + " FROM person_months GROUP BY ALL), "
                "spans AS (SELECT ethnic_group, month, " + ("ckey, " if k else "")
                + "lag(month) OVER (PARTITION BY person_key, ethnic_group "
                "ORDER BY month) AS previous FROM person_months), "
                "deltas AS (SELECT ethnic_group, CASE WHEN previous IS NULL THEN month "
                "ELSE greatest(month, CAST(previous + to_months($window) AS DATE)) END AS step_month, "
                "1 AS delta" + (", ckey AS key_delta" if k else "") + " FROM spans "
                "UNION ALL SELECT ethnic_group, CAST(month + to_months($window) AS DATE), -1"
                + (", -ckey" if k else "") + " FROM spans), "
            )
        else:
            steps = (
                f"month_counts AS MATERIALIZED (SELECT {group} AS ethnic_group, month, COUNT(*) AS n, "
                + (f"SUM(record_ckey) AS k, SUM(record_ckey) FILTER (WHERE {in_range}) AS in_range_k, " if k else "")
                + f"COUNT(*) FILTER (WHERE {in_range}) AS in_range_n FROM records WHERE {where.sql} GROUP BY ALL), "
                "monthly AS (SELECT month, ethnic_group, in_range_n AS events"
                + (", in_range_k AS events_ckey" if k else "") + " FROM month_counts), "
                "deltas AS (SELECT ethnic_group, month AS step_month, n AS delta" + (", k AS key_delta" if k else "")
                + " FROM month_counts "
                "UNION ALL SELECT ethnic_group, CAST(month + to_months($window) AS DATE), -n"
                + (", -k" if k else "") + " FROM month_counts), "
            )
        key_sum = ", SUM(key_delta) AS key_delta" if k else ""
        window_key = ", CAST(((SUM(s.key_delta) % 256) + 256) % 256 AS INTEGER) AS events_ckey" if k else ""
        month_key = ", CAST(COALESCE(events_ckey, 0) % 256 AS INTEGER) AS events_ckey" if k else ""
        sql = (
            "WITH bounds AS (SELECT MIN(month) AS first_month, MAX(month) AS last_month FROM records), "
            "windows AS (SELECT CAST(unnest(generate_series(first_month + to_months($window - 1), last_month, "
            "INTERVAL 1 MONTH)) AS DATE) AS window_end FROM bounds), "
            f"{steps}"
            f"steps AS (SELECT ethnic_group, step_month, SUM(delta) AS delta{key_sum} FROM deltas GROUP BY ALL), "
            "rolling AS (SELECT w.window_end AS month, s.ethnic_group, CAST(SUM(s.delta) AS BIGINT) AS events"
            f"{window_key} "
            "FROM windows w JOIN steps s ON s.step_month <= w.window_end "
            "WHERE ($first_end IS NULL OR w.window_end >= date_trunc('month', CAST($first_end AS DATE))) "
            "AND ($last_end IS NULL OR w.window_end <= CAST($last_end AS DATE)) "
            "GROUP BY ALL HAVING SUM(s.delta) > 0) "
            f"SELECT 'month' AS kind, month, ethnic_group, CAST(events AS BIGINT) AS events{month_key} "
            "FROM monthly WHERE events > 0 "
            "UNION ALL SELECT 'window' AS kind, month, ethnic_group, events"
            + (", events_ckey" if k else "") + " FROM rolling ORDER BY ALL"
        )
        both = self._counts_query(sql, params, ("events",))
        monthly, rolling = (both[both["kind"] == kind].drop(columns="kind").reset_index(drop=True)
                            for kind in ("month", "window"))
        return monthly, rolling

    def rolling_event_counts_by_join(self, filters: Filters, window_months: int = 12) -> pd.DataFrame:
        """The reference form of ``rolling_event_counts`` (each record joined to its windows; slow at
        scale): kept so a test can check the two agree."""
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters.replace(date_from=None, date_to=None), include_ethnic_group=False)
        params = {**where.params, "window": window_months,
                  "first_end": filters.date_from, "last_end": filters.date_to}
        sql = (
            "WITH bounds AS (SELECT MIN(month) AS first_month, MAX(month) AS last_month FROM records), "
            "windows AS (SELECT CAST(unnest(generate_series(first_month + to_months($window - 1), last_month, "
            "INTERVAL 1 MONTH)) AS DATE) AS window_end FROM bounds) "
            f"SELECT w.window_end AS month, {group} AS ethnic_group, "
            f"{COUNT_EXPRESSIONS[filters.counting_unit]} AS events "
            "FROM windows w JOIN records r ON r.month > w.window_end - to_months($window) AND r.month <= w.window_end "
            f"WHERE {where.sql} "
            "AND ($first_end IS NULL OR w.window_end >= date_trunc('month', CAST($first_end AS DATE))) "
            "AND ($last_end IS NULL OR w.window_end <= CAST($last_end AS DATE)) "
            "GROUP BY ALL ORDER BY ALL"
        )
        return self._query(sql, params)

    def outcome_mix(self, filters: Filters) -> pd.DataFrame:
        """Concluded records by ethnic group and outcome group (the cohort with a fixed follow-up)."""
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        where = records_where(filters, include_ethnic_group=False)
        source = decision_source(filters)
        sql = (
            f"SELECT {group} AS ethnic_group, outcome_group, COUNT(*) AS records"
            + self._keys(f"{CELL_KEY_EXPRESSIONS['records']} AS records_ckey")
            + f" FROM {source.sql} WHERE {where.sql} AND outcome_code <> '' GROUP BY ALL ORDER BY ALL"
        )
        return self._counts_query(sql, {**where.params, **source.params}, ("records",))

    def month_range(self) -> tuple[date | None, date | None]:
        frame = self._query("SELECT MIN(month) AS first, MAX(month) AS last FROM records")
        first, last = frame.iloc[0]
        return (None if pd.isna(first) else first.date(), None if pd.isna(last) else last.date())

    def record_count(self, filters: Filters) -> int:
        """How many records match (without fetching them)."""
        where = records_where(filters)
        keys = self._keys(f"{CELL_KEY_EXPRESSIONS['records']} AS n_ckey")
        frame = self._counts_query(f"SELECT COUNT(*) AS n{keys} FROM records WHERE {where.sql}", where.params, ("n",))
        return int(frame["n"].iloc[0])

    def records(self, filters: Filters, limit: int | None = None) -> pd.DataFrame:
        """The filtered pseudonymised records (for analysts), newest first; refused by a perturbed store."""
        if self.perturbing:
            raise PermissionError("records are not available to the scrutiny audience")
        where = records_where(filters)
        group = GROUP_EXPRESSIONS[filters.ethnicity_source]
        sql = (
            "SELECT record_id, person_id, crime_id, role, recorded_date, age, age_band, sex, "
            f"ethnicity_self, ethnicity_officer, {group} AS ethnic_group, area_code, msoa_code, "
            "offence_group, offence_code, outcome_code, outcome_group, outcome_date, "
            "knife_crime, cce, cse, county_lines, gangs, serious_youth_violence "
            f"FROM records WHERE {where.sql} ORDER BY recorded_date DESC, record_id"
        )
        params = dict(where.params)
        if limit is not None:
            sql += " LIMIT $limit"
            params["limit"] = int(limit)
        return self._large_query(sql, params)

    @staticmethod
    def _renamed(frame: pd.DataFrame, dims: tuple[str, ...]) -> pd.DataFrame:
        return frame.rename(columns={DIMENSION_COLUMNS[d]: d for d in dims})


