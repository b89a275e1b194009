"""Writing the pack: the HTML file, and the PDF when Chromium is available."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from analytics.report.pack import Pack
from analytics.report.pdf import PdfError, find_chromium, html_to_pdf

DEFAULT_OUT = Path("reports")


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path | None
    message: str  # why there is no PDF, or ""


def write_pack(pack: Pack, out_dir: Path, pdf: bool = True, chromium: str | None = None) -> Written:
    """Write the HTML and, if Chromium is available, the PDF; returns the paths and any reason for no PDF."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{pack.file_stem}.html"
    partial = html_path.with_suffix(".html.partial")
    partial.write_text(pack.html, encoding="utf-8")
    partial.replace(html_path)
    if not pdf:
        return Written(html_path, None, "PDF not requested")
    chromium = chromium or find_chromium()
    if chromium is None:
        return Written(html_path, None, "no PDF: Chromium was not found (install chromium or set MONITOR_CHROMIUM)")
    try:
        pdf_path = html_to_pdf(html_path, out_dir / f"{pack.file_stem}.pdf", chromium)
    except PdfError as exc:
        return Written(html_path, None, f"no PDF: {exc}")
    return Written(html_path, pdf_path, "")


def pdf_bytes(pack: Pack, chromium: str | None = None) -> bytes | None:
    """The pack printed to PDF in a temporary folder (for the dashboard's download), or None without Chromium."""
    with tempfile.TemporaryDirectory(prefix="pack-") as folder:
        written = write_pack(pack, Path(folder), chromium=chromium)
        return written.pdf.read_bytes() if written.pdf else None
