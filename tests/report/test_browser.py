"""The HTML pages in a real headless Chromium: no console errors, no fetches, tables and plots visible."""

from __future__ import annotations

from pathlib import Path

from cdp_browser import inspect_page
from scorecard_factory import with_privacy_and_load

from harness.cli.main import main

SELECTORS = {"tables": "table", "plots": "figure svg", "rows": "tbody tr", "verdicts": "#verdicts li"}


def test_comparison_page_loads_cleanly_with_tables_and_plots(
    chromium: str, card_a: Path, card_b: Path, tmp_path: Path, artifacts: Path
) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(card_a), str(card_b), "--out", str(out)]) == 0
    shot = artifacts / "comparison.png"
    report = inspect_page(chromium, out / "comparison.html", shot, SELECTORS)
    assert report.errors == []
    assert report.counts["tables"] >= 4 and report.counts["rows"] >= 30
    assert report.counts["plots"] >= 4 and report.counts["verdicts"] == 1
    assert report.title.startswith("Comparison of 2 bids")
    assert shot.stat().st_size > 50_000


def test_scorecard_page_with_privacy_and_load_loads_cleanly(
    chromium: str, card_a: Path, tmp_path: Path, artifacts: Path
) -> None:
    card = tmp_path / "scorecard.json"
    card.write_bytes(card_a.read_bytes())
    with_privacy_and_load(card, ["PASS", "FAIL", "ATTESTED"])
    assert main(["report", str(card)]) == 0
    shot = artifacts / "scorecard.png"
    report = inspect_page(
        chromium, tmp_path / "scorecard.html", shot, {**SELECTORS, "privacy": "#plot-privacy-grid svg"}
    )
    assert report.errors == []
    assert report.counts["tables"] >= 5 and report.counts["plots"] == 5 and report.counts["privacy"] == 1
    assert report.title.startswith("Scorecard: Acme")


def test_the_check_sees_console_errors_and_fetches(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>bad</title></head><body><img src="http://127.0.0.1:9/x.png">'
        '<script>console.error("boom"); undefined_function();</script></body></html>'
    )
    report = inspect_page(chromium, page, tmp_path / "bad.png", {})
    text = " ".join(report.errors)
    assert (
        "boom" in text and "undefined_function" in text and "network fetch: http://127.0.0.1:9/x.png" in text
    )
