"""Signatures checked against the city's key by every command that reads a scorecard (issue 12 #2):
a scorecard edited and re-signed with another key never reads as signed by the city."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from scorecard_factory import resealed

from harness.cli.main import main
from harness.scorecard.signing import fingerprint, load_public_key


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    assert main(["keygen", "--out", str(folder / "city")]) == 0
    assert main(["keygen", "--out", str(folder / "forger")]) == 0
    return {"city": folder / "city.key", "city_pub": folder / "city.pub", "forger": folder / "forger.key"}


@pytest.fixture
def genuine_and_forged(card_a: Path, keys: dict[str, Path], tmp_path: Path) -> tuple[Path, Path]:
    genuine = tmp_path / "genuine" / "scorecard.json"
    genuine.parent.mkdir()
    shutil.copy(card_a, genuine)
    assert main(["sign", str(genuine), "--key", str(keys["city"])]) == 0

    def improve(doc: dict) -> None:
        doc["results"]["accuracy"]["overall"]["exact_read_plate"]["value"] = 0.78
        doc["integrity"].pop("signature", None)

    forged = resealed(genuine, tmp_path / "forged" / "scorecard.json", improve)
    assert main(["sign", str(forged), "--key", str(keys["forger"])]) == 0
    return genuine, forged


def _city(keys: dict[str, Path]) -> str:
    return fingerprint(load_public_key(keys["city_pub"]))


def test_verify_rejects_the_forgery_and_accepts_the_genuine(
    genuine_and_forged: tuple[Path, Path], keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    genuine, forged = genuine_and_forged
    assert main(["verify", str(genuine), "--public-key", str(keys["city_pub"])]) == 0
    assert f"signed by {_city(keys)}, verified against the city's key" in capsys.readouterr().out
    assert main(["verify", str(forged), "--public-key", str(keys["city_pub"])]) == 1
    assert "wrong key" in capsys.readouterr().out


def test_report_marks_the_forgery_not_verified_and_names_fingerprints(
    genuine_and_forged: tuple[Path, Path], keys: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    genuine, forged = genuine_and_forged
    pub = ["--public-key", str(keys["city_pub"])]
    assert main(["report", str(genuine), "--out", str(tmp_path / "g"), *pub]) == 0
    assert main(["report", str(forged), "--out", str(tmp_path / "f"), *pub]) == 0
    assert "signature NOT verified" in capsys.readouterr().err
    good = (tmp_path / "g" / "scorecard.html").read_text()
    bad = (tmp_path / "f" / "scorecard.html").read_text()
    assert f"signed by {_city(keys)}, verified against the city&#39;s key" in good
    assert "signature NOT verified" in bad and "verified against the city" not in bad
    raw_key = json.loads(forged.read_text())["integrity"]["signature"]["public_key"]
    for page in (good, bad):
        assert raw_key not in page and "Signed: yes" not in page
        assert re.search(r"signed by SHA256:[0-9a-f]{16}", page)


def test_report_without_a_key_never_claims_verification(genuine_and_forged: tuple[Path, Path], tmp_path: Path) -> None:
    genuine, _ = genuine_and_forged
    assert main(["report", str(genuine), "--out", str(tmp_path)]) == 0
    assert "signature NOT verified" in (tmp_path / "scorecard.html").read_text()


def test_the_title_page_shows_the_fingerprint_not_the_raw_key(
    genuine_and_forged: tuple[Path, Path], keys: dict[str, Path]
) -> None:
    from harness.report.html import render_scorecard_html
    from harness.scorecard.reading import read_scorecard
    from harness.scorecard.signing import load_trusted_keys

    genuine, _ = genuine_and_forged
    read = read_scorecard(genuine, load_trusted_keys(keys["city_pub"]))
    html = render_scorecard_html(read.card, title_page=True, signature=read.signature)
    cover = html[html.index('class="title-page"') : html.index("</section>")]
    assert _city(keys) in cover and "verified against the city" in cover
    assert json.loads(genuine.read_text())["integrity"]["signature"]["public_key"] not in html


def test_compare_marks_each_bid_verified_or_not(
    genuine_and_forged: tuple[Path, Path], card_b: Path, keys: dict[str, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    genuine, forged = genuine_and_forged
    args = ["--public-key", str(keys["city_pub"]), "--out"]
    assert main(["compare", str(genuine), str(card_b), *args, str(tmp_path / "g")]) == 0
    assert main(["compare", str(forged), str(card_b), *args, str(tmp_path / "f")]) == 0
    assert "signature NOT verified" in capsys.readouterr().err
    for name in ("comparison.md", "comparison.html", "comparison.json"):
        good = (tmp_path / "g" / name).read_text()
        bad = (tmp_path / "f" / name).read_text()
        assert "verified against the city" in good, name
        assert "signature NOT verified" in bad and "verified against the city" not in bad, name
        assert "Signed: yes" not in bad and "| yes |" not in bad


def test_a_trusted_keys_file_may_hold_several_keys(keys: dict[str, Path], tmp_path: Path) -> None:
    from harness.scorecard.signing import load_trusted_keys

    assert main(["keygen", "--out", str(tmp_path / "second")]) == 0
    bundle = tmp_path / "trusted.pub"
    bundle.write_text(
        "# the city's keys\n" + keys["city_pub"].read_text() + (tmp_path / "second.pub").read_text()
    )
    assert [fingerprint(k) for k in load_trusted_keys(bundle)] == [
        _city(keys), fingerprint(load_public_key(tmp_path / "second.pub"))
    ]


def test_report_rewrites_the_markdown_with_the_checked_signature(
    genuine_and_forged: tuple[Path, Path], keys: dict[str, Path], tmp_path: Path
) -> None:
    genuine, _ = genuine_and_forged
    assert main(["report", str(genuine), "--markdown", "--out", str(tmp_path), "--public-key", str(keys["city_pub"])]) == 0
    md = (tmp_path / "scorecard.md").read_text()
    assert f"signed by {_city(keys)}, verified against the city's key" in md
    assert not (tmp_path / "scorecard.html").exists()  # only what was asked for
