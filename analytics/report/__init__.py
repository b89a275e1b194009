"""The monthly pack for senior officers and PCC scrutiny: one self-contained HTML file, and a PDF.

``build_pack(store, month, audience, filters)`` computes every figure with the same analytics functions
and the same ``Filters`` the dashboard uses (the 12 months to ``month`` set as the date range), applies
disclosure control for the scrutiny audience (:mod:`analytics.suppression`), writes the key findings in
plain English (:mod:`analytics.narrative`) and renders an HTML document. ``write_pack`` saves it and
prints it to PDF with headless Chromium (A4, page numbers in the page margin; charts and tables are
never split across pages). Without Chromium only the HTML is written and ``write_pack`` says why.

Disclosure control (scrutiny): every count shown comes from a table passed through
:func:`suppression.apply_to_ratio_table` (or :func:`suppression.suppress_table`): counts from 1 to 4
are ``[c]``, complementary cells and totals are suppressed so no ``[c]`` can be recovered, rates and
ratios of suppressed rows are blanked, and the charts and sentences are built from those suppressed
tables only. Rates and ratios from fewer than 10 events carry a dagger (†) for every audience.

The modules, in the order a pack is made:

* :mod:`~analytics.report.build`: the pack's data from the store (:class:`PackData`, typed and frozen,
  defined in :mod:`~analytics.report.data`), with the findings from :mod:`~analytics.report.findings`;
* :mod:`~analytics.report.figures`: the charts (the project's plotly figures, fed with published tables);
* :mod:`~analytics.report.sections` and :mod:`~analytics.report.tables`: what each section's template shows;
* :mod:`~analytics.report.render`: the HTML from the Jinja2 templates in ``templates/`` (autoescaped),
  with ``static/pack.css``, plotly.js and ``static/loader.js`` inline, so the file opens offline;
* :mod:`~analytics.report.pdf` and :mod:`~analytics.report.output`: the files, HTML and PDF.
"""

from analytics.report.build import build_data, check_month, force_name, pack_filters, parse_month
from analytics.report.data import AUDIENCE_LABELS, AUDIENCES, DEFAULT_AUDIENCE, PackData
from analytics.report.figures import ChartSpec
from analytics.report.formatting import DAGGER, esc
from analytics.report.output import DEFAULT_OUT, Written, pdf_bytes, write_pack
from analytics.report.pack import Pack, build_pack
from analytics.report.pdf import CHROMIUM_ENV, PdfError, find_chromium, html_to_pdf
from analytics.report.render import render_html
from analytics.report.sections import VerdictList, plain_findings

__all__ = [
    "AUDIENCES",
    "AUDIENCE_LABELS",
    "CHROMIUM_ENV",
    "DAGGER",
    "DEFAULT_AUDIENCE",
    "DEFAULT_OUT",
    "ChartSpec",
    "Pack",
    "PackData",
    "PdfError",
    "VerdictList",
    "Written",
    "build_data",
    "build_pack",
    "check_month",
    "esc",
    "find_chromium",
    "force_name",
    "html_to_pdf",
    "pack_filters",
    "parse_month",
    "pdf_bytes",
    "plain_findings",
    "render_html",
    "write_pack",
]
