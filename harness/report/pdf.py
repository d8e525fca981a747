"""PDF for the contract appendix: the HTML report with a title page, printed by headless Chromium.

The PDF holds exactly the content of the HTML page (same template, same redaction), preceded by a
title page naming the RFP, the vendor(s), corpus, rubric, dates and the scorecard's sha256.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.compare.inputs import Bid
from harness.report.chromium import print_to_pdf, require_chromium
from harness.report.html import render_comparison_html, render_scorecard_html


def _print(html: str, pdf: Path) -> Path:
    require_chromium()  # fail before rendering anything when it is missing
    with tempfile.TemporaryDirectory(prefix="platebench-pdf-") as tmp:
        page = Path(tmp) / "appendix.html"
        page.write_text(html, encoding="utf-8")
        return print_to_pdf(page, pdf)


def write_scorecard_pdf(
    doc: Mapping[str, Any], pdf: Path, *, rfp: str | None = None, plates: tuple[str, ...] = ()
) -> Path:
    """One scorecard as a PDF with a title page (``rfp`` defaults to the rubric's name)."""
    require_chromium()
    return _print(render_scorecard_html(doc, plates=plates, title_page=True, rfp=rfp), pdf)


def write_comparison_pdf(
    comparison: Mapping[str, Any], bids: list[Bid], pdf: Path, *, plates: tuple[str, ...] = ()
) -> Path:
    """A comparison as a PDF with a title page."""
    require_chromium()
    return _print(render_comparison_html(comparison, bids, plates=plates, title_page=True), pdf)
