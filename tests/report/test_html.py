"""The HTML pages as files: self-contained, escaped, plain-language, printable."""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.cli.main import main
from harness.report.html import render_scorecard_html
from harness.scorecard.model import Scorecard


def _external_references(html: str) -> list[str]:
    """URLs the page would fetch (SVG namespace declarations are names, not fetches)."""
    refs = re.findall(r"""(?:src|href|url)\s*[=(]\s*["']?([^"')\s>]+)""", html, flags=re.IGNORECASE)
    return [r for r in refs if not r.startswith(("data:", "#"))]


def test_report_writes_a_self_contained_page_beside_the_scorecard(card_a: Path, tmp_path: Path) -> None:
    card = tmp_path / "scorecard.json"
    card.write_bytes(card_a.read_bytes())
    assert main(["report", str(card)]) == 0
    html = (tmp_path / "scorecard.html").read_text()
    assert _external_references(html) == []
    assert "<script" not in html.lower() and "@import" not in html
    assert "default-src 'none'" in html and "@media print" in html
    for heading in ("Does it read plates correctly?", "How fast?", "Does it protect privacy?"):
        assert heading in html
    assert html.count("<svg") >= 3
    assert {p.name for p in (tmp_path / "plots").glob("*.svg")} >= {"accuracy-by-tag.svg", "latency-cdf.svg"}


def test_vendor_strings_are_escaped(card_a: Path) -> None:
    doc = json.loads(card_a.read_text())
    doc["provenance"]["vendor"]["product"] = "<script>alert(1)</script>"
    doc["provenance"]["vendor"]["version"] = '"><img src=x onerror=alert(2)>'
    html = render_scorecard_html(Scorecard.model_validate(doc))
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>LPR" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Acme &lt;b&gt;LPR&lt;/b&gt;" in html


def test_unsealed_or_tampered_scorecard_is_not_reported(card_a: Path, tmp_path: Path, capsys) -> None:
    doc = json.loads(card_a.read_text())
    doc["results"]["score"]["weighted"] = 1.0
    bad = tmp_path / "scorecard.json"
    bad.write_text(json.dumps(doc))
    assert main(["report", str(bad)]) == 2
    assert "integrity hash mismatch" in capsys.readouterr().err
    assert not (tmp_path / "scorecard.html").exists()


def test_title_page_names_rfp_vendor_corpus_rubric_and_hash(card_a: Path) -> None:
    doc = json.loads(card_a.read_text())
    html = render_scorecard_html(Scorecard.model_validate(doc), title_page=True, rfp="RFP 2026-114")
    cover = html[html.index('class="title-page"') : html.index("</section>")]
    for text in (
        "RFP 2026-114",
        "Acme &lt;b&gt;LPR&lt;/b&gt;",
        doc["provenance"]["corpus"]["name"],
        doc["provenance"]["rubric"]["name"],
        doc["integrity"]["sha256"],
        doc["provenance"]["started_at"],
    ):
        assert text in cover, text


def test_privacy_controls_show_their_result_codes(card_a: Path, tmp_path: Path) -> None:
    from scorecard_factory import with_privacy_and_load

    card = tmp_path / "scorecard.json"
    card.write_bytes(card_a.read_bytes())
    doc = json.loads(with_privacy_and_load(card, ["PASS", "ATTESTED"]).read_text())
    html = render_scorecard_html(Scorecard.model_validate(doc))
    cells = re.findall(r'<td class="num (\w*)\s*">([^<]*)', html[html.index("Does it protect privacy?") :])
    assert cells[:2] == [("pass", "PASS"), ("attested", "ATTESTED")]
