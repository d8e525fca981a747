"""PDF for the contract appendix: the HTML report with a title page, printed by headless Chromium.

The PDF holds exactly the content of the HTML page (same template, same redaction), preceded by a
title page naming the RFP, the bid(s), verdict, corpus, rubric, dates, the scorecard's sha256 and
who signed it (the key's ``SHA256:`` fingerprint, verified or not).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.compare.inputs import Bid
from harness.report.chromium import print_to_pdf, require_chromium
from harness.report.html import render_comparison_html, render_scorecard_html
from harness.scorecard.model import Scorecard
from harness.scorecard.signing import SignatureStatus


def _print(html: str, pdf: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="platebench-pdf-") as tmp:
        page = Path(tmp) / "appendix.html"
        page.write_text(html, encoding="utf-8")
        return print_to_pdf(page, pdf)


def write_scorecard_pdf(
    card: Scorecard,
    pdf: Path,
    *,
    rfp: str | None = None,
    plates: tuple[str, ...] = (),
    signature: SignatureStatus | None = None,
) -> Path:
    """One scorecard as a PDF with a title page (``rfp`` defaults to the rubric's name)."""
    require_chromium()  # fail before rendering anything when it is missing
    html = render_scorecard_html(card, plates=plates, title_page=True, rfp=rfp, signature=signature)
    return _print(html, pdf)


def write_comparison_pdf(comparison: Mapping[str, Any], bids: list[Bid], pdf: Path) -> Path:
    """A comparison (already redacted) as a PDF with a title page."""
    require_chromium()
    return _print(render_comparison_html(comparison, bids, title_page=True), pdf)
