"""The pack's HTML: Jinja2 templates (``templates/``, autoescaped) with the CSS, plotly.js and loader inline.

The document is self-contained so it opens offline: the stylesheet (``static/pack.css``), plotly.js (once)
and the loader (``static/loader.js``) sit inline, and each figure's JSON sits in a
``<script type="application/json" class="figure-data">`` block, which the loader draws and the tests read.
Every value reaches the HTML through autoescaping; only the stylesheet, scripts and figure JSON are marked
safe, after escaping what could close their element.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from analytics import geography
from analytics.report import sections
from analytics.report.data import PackData
from analytics.report.figures import ChartSpec, figure_json
from analytics.report.formatting import month_label
from analytics.report.partners import partner_notes, partner_tables
from analytics.report.tables import trend_table

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
FOOTER_SLOT = "__FOOTER__"
MARKING_SLOT = "__MARKING__"


@dataclass(frozen=True)
class ChartView:
    key: str
    title: str
    caption: str
    json: Markup


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True,
                      undefined=StrictUndefined)
    env.filters["month"] = month_label
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


@cache
def static_text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@cache
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def css_string(text: str) -> str:
    """``text`` for a double-quoted CSS string inside ``<style>``: no quote, backslash or ``<`` left raw."""
    return text.replace("\\", "\\5c ").replace('"', "'").replace("<", "\\3c ")


def stylesheet(data: PackData) -> Markup:
    footer = f"{data.force} · Youth violence disproportionality · {month_label(data.month)} · {data.audience} edition"
    css = static_text("pack.css").replace(FOOTER_SLOT, css_string(footer))
    if data.marking:  # the officers' edition: the marking at the top and bottom of every printed page
        css += static_text("marking.css").replace(MARKING_SLOT, css_string(data.marking))
    return Markup(css)  # our own files


def render_html(data: PackData, charts: Sequence[ChartSpec]) -> str:
    """The pack as one HTML document."""
    views = {spec.key: ChartView(spec.key, spec.title, spec.caption, Markup(figure_json(spec.figure)))
             for spec in charts}
    return environment().get_template("pack.html").render(
        data=data, charts=views, attribution=geography.ATTRIBUTION,
        css=stylesheet(data), plotly_js=Markup(plotly_js()), loader=Markup(static_text("loader.js")),
        cover=sections.cover(data), findings=sections.key_findings(data), roles=sections.roles(data),
        outcome22=sections.outcome22(data), districts=sections.districts(data), markers=sections.markers(data),
        trend_table=trend_table(data), recording=sections.recording(data), searches=sections.stop_search(data),
        methods=sections.methods(data), partners=_partners_view(data), attention=data.attention,
    )


@dataclass(frozen=True)
class PartnersView:
    tables: tuple
    notes: tuple[str, ...]


def _partners_view(data: PackData) -> PartnersView:
    """The partners section (issue 17): empty (and left out) when no partner data is loaded."""
    if data.partners is None:
        return PartnersView((), ())
    return PartnersView(partner_tables(data.partners), partner_notes(data.partners))
