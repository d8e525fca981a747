"""The contract-appendix PDF: printed by Chromium, with a title page naming RFP, vendor, corpus, rubric,
dates and the scorecard's sha256."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.cli.main import main


def _pdftotext(pdf: Path, *pages: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not found (apt-get install -y poppler-utils)")
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", *pages, str(pdf), "-"],
        capture_output=True,
        encoding="utf-8",
        check=True,
    ).stdout


def test_scorecard_pdf_title_page(chromium: str, card_a: Path, tmp_path: Path, artifacts: Path) -> None:
    assert main(["report", str(card_a), "--pdf", "--rfp", "RFP 2026-114", "--out", str(tmp_path)]) == 0
    pdf = tmp_path / "scorecard.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    shutil.copy(pdf, artifacts / "scorecard.pdf")
    doc = json.loads(card_a.read_text())
    title = _pdftotext(pdf, "-l", "1")
    p = doc["provenance"]
    for expected in (
        "RFP 2026-114",
        "Acme <b>LPR</b> | *A*",
        p["corpus"]["name"],
        p["rubric"]["name"],
        p["started_at"],
        doc["integrity"]["sha256"],
        p["corpus"]["manifest_sha256"],
    ):
        assert expected in title, expected
    body = _pdftotext(pdf, "-f", "2")
    assert "Does it read plates correctly?" in body and "How fast?" in body
    assert not (tmp_path / "scorecard.html").exists()  # --pdf alone writes only the PDF


def test_comparison_pdf(chromium: str, card_a: Path, card_b: Path, tmp_path: Path) -> None:
    assert (
        main(["compare", str(card_a), str(card_b), "--out", str(tmp_path), "--pdf", "--rfp", "RFP 2026-114"])
        == 0
    )
    title = _pdftotext(tmp_path / "comparison.pdf", "-l", "1")
    assert "RFP 2026-114" in title and json.loads(card_b.read_text())["integrity"]["sha256"] in title


def test_missing_chromium_is_a_clear_error(
    card_a: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLATEBENCH_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert main(["report", str(card_a), "--pdf", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "needs Chromium" in err and "apt-get install -y chromium" in err
