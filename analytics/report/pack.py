"""The monthly pack: its data, its charts and its HTML, made once and never changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from analytics.filters import Filters
from analytics.narrative import Finding
from analytics.report.build import build_data
from analytics.report.data import DEFAULT_AUDIENCE, PackData
from analytics.report.figures import ChartSpec, pack_charts
from analytics.report.render import render_html
from analytics.store import Store


@dataclass(frozen=True)
class Pack:
    """The pack's data (:class:`PackData`), its charts and the rendered HTML."""

    data: PackData
    charts: tuple[ChartSpec, ...]
    html: str

    @classmethod
    def from_data(cls, data: PackData) -> Pack:
        """Draw the charts of ``data`` and render its HTML."""
        charts = pack_charts(data)
        return cls(data, charts, render_html(data, charts))

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.data.findings

    @property
    def file_stem(self) -> str:
        return self.data.file_stem

    @property
    def period_label(self) -> str:
        return self.data.period_label


def build_pack(store: Store, month: date, audience: str = DEFAULT_AUDIENCE, filters: Filters | None = None,
               decision_denominator: str | None = None) -> Pack:
    """Compute, control and render the pack for ``month`` (a date in the month) and ``audience`` (outcome 22 over
    ``decision_denominator``, default the configured one)."""
    return Pack.from_data(build_data(store, month, audience, filters, decision_denominator=decision_denominator))
