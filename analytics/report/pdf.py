"""Printing the pack's HTML to PDF with headless Chromium (A4 and page numbers from the page's CSS)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_ENV = "MONITOR_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT = 180


class PdfError(RuntimeError):
    """Chromium could not print the pack."""


def find_chromium() -> str | None:
    """The headless Chromium to print with: ``MONITOR_CHROMIUM``, else the first on the PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if Path(configured).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html_path: Path, pdf_path: Path, chromium: str, timeout: int = PDF_TIMEOUT) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (A4 from the page's CSS)."""
    with tempfile.TemporaryDirectory(prefix="pack-chromium-") as profile:
        partial = pdf_path.with_suffix(".pdf.partial")
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-extensions", "--no-first-run",
            "--no-default-browser-check", "--hide-scrollbars", f"--user-data-dir={profile}",
            "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=20000", f"--print-to-pdf={partial}", html_path.resolve().as_uri(),
        ]
        try:
            completed = subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                                       env={**os.environ, "HOME": profile})
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            raise PdfError(f"Chromium did not finish printing within {timeout} s") from None
        except OSError as exc:
            raise PdfError(f"cannot run Chromium ({exc.strerror})") from None
        if not partial.exists() or partial.stat().st_size == 0 or partial.read_bytes()[:5] != b"%PDF-":
            partial.unlink(missing_ok=True)
            detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PdfError(f"Chromium exited with status {completed.returncode} without writing a PDF"
                           + (f": {detail[-1][:200]}" if detail else ""))
        partial.replace(pdf_path)
    return pdf_path
