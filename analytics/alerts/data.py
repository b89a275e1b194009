"""The grid's counts from the published database (through ``analytics.store.AlertStore``)."""

from __future__ import annotations

import os

import pandas as pd

from analytics import schema
from analytics.alerts.config import DEFAULT_ALERT_SETTINGS, AlertSettings
from analytics.alerts.grid import AlertData
from analytics.store.alerts import AlertStore
from analytics.store.errors import NoDataError


def last_complete_month(last_date: pd.Timestamp) -> pd.Timestamp:
    """The last month wholly inside the recording period."""
    last_date = pd.Timestamp(last_date)
    month = last_date.to_period("M").to_timestamp()
    return month if last_date.is_month_end else month - pd.DateOffset(months=1)


def last_mature_month(last_date: pd.Timestamp, follow_up_days: int) -> pd.Timestamp:
    """The last month whose every record has had ``follow_up_days`` days to reach an outcome by ``last_date``."""
    return last_complete_month(pd.Timestamp(last_date) - pd.Timedelta(days=follow_up_days))


def load(database: str | os.PathLike[str], settings: AlertSettings = DEFAULT_ALERT_SETTINGS,
         ethnicity_source: str = schema.DEFAULT_ETHNICITY_SOURCE,
         reference_group: str = schema.DEFAULT_REFERENCE_GROUP,
         decision_denominator: str = schema.DEFAULT_DECISION_DENOMINATOR) -> AlertData:
    """Read the grid's counts from the publication ``database`` points to (outcome-22 shares over
    ``decision_denominator``, ``schema.DECISION_DENOMINATORS``, as the Outcomes page and ``ratios``)."""
    store = AlertStore(database)
    try:
        first, last = store.recording_period()
        if first is None or pd.isna(first):
            raise NoDataError("the published database holds no records")
        return AlertData(
            events=store.events_by_month(ethnicity_source, settings.follow_up_days),
            population=store.population_by_group(),
            decisions=store.outcome22_by_month(ethnicity_source, settings.follow_up_days,
                                               schema.DECISION_DENOMINATORS[decision_denominator]),
            decision_denominator=decision_denominator,
            first_month=pd.Timestamp(first).to_period("M").to_timestamp(),
            last_month=last_complete_month(pd.Timestamp(last)),
            last_mature_month=last_mature_month(pd.Timestamp(last), settings.follow_up_days),
            reference_group=reference_group, area_names=store.area_names(), data_version=store.version(),
        )
    finally:
        store.close()
