"""``platebench keygen / sign / verify``: the right key accepts, a wrong key or any edit rejects, and
reordering keys or changing whitespace (the same canonical form) still verifies."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.cli.main import main
from harness.scorecard.integrity import seal
from harness.scorecard.signing import load_private_key, sign


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    assert main(["keygen", "--out", str(folder / "city")]) == 0
    assert main(["keygen", "--out", str(folder / "other")]) == 0
    return {
        "key": folder / "city.key",
        "pub": folder / "city.pub",
        "other_key": folder / "other.key",
        "other_pub": folder / "other.pub",
    }


@pytest.fixture
def signed(card_a: Path, keys: dict[str, Path], tmp_path: Path) -> Path:
    path = tmp_path / "scorecard.json"
    shutil.copy(card_a, path)
    assert main(["sign", str(path), "--key", str(keys["key"])]) == 0
    return path


def _verify(path: Path, pub: Path | None, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["verify", str(path), *(["--public-key", str(pub)] if pub else [])])
    return code, capsys.readouterr().out


def test_keygen_writes_a_private_key_only_the_owner_can_read(
    keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert stat.S_IMODE(keys["key"].stat().st_mode) == 0o600
    assert keys["key"].read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert keys["pub"].read_text().startswith("-----BEGIN PUBLIC KEY-----")
    capsys.readouterr()
    assert main(["keygen", "--out", str(keys["key"].with_suffix(""))]) == 2  # never overwrites a key
    assert "already exists" in capsys.readouterr().err


def test_right_key_accepts(signed: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(signed.read_text())
    assert doc["integrity"]["signature"]["alg"] == "ed25519"
    code, out = _verify(signed, keys["pub"], capsys)
    assert code == 0 and "verified against the city's key" in out and out.startswith(f"OK: {signed}; signature")


def test_wrong_key_rejects(signed: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(signed, keys["other_pub"], capsys)
    assert code == 1 and "FAILED" in out and "wrong key" in out


def test_without_a_key_the_signature_is_not_taken_as_proof(
    signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _verify(signed, None, capsys)
    assert code == 0 and "signature NOT verified" in out and "no trusted key" in out


def test_a_key_given_for_an_unsigned_scorecard_reports_the_missing_signature(
    card_a: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _verify(card_a, keys["pub"], capsys)
    assert code == 1 and "missing signature" in out


EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "vendor name": lambda d: d["provenance"]["vendor"].update(vendor="Someone Else"),
    "a sample verdict": lambda d: d["samples"].update(
        {
            next(iter(d["samples"])): "incorrect"
            if next(iter(d["samples"].values())) == "correct"
            else "correct"
        }
    ),
    "eligibility": lambda d: d["results"]["score"].update(eligible=not d["results"]["score"]["eligible"]),
    "an observed value": lambda d: d["results"]["requirements"][0].update(observed=0.999),
    "a float's last digit": lambda d: d["results"]["accuracy"]["overall"]["exact_read_plate"].update(
        value=d["results"]["accuracy"]["overall"]["exact_read_plate"]["value"] + 1e-12
    ),
    "the corpus hash": lambda d: d["provenance"]["corpus"].update(manifest_sha256="0" * 64),
}


@pytest.mark.parametrize("what", EDITS)
def test_any_edited_value_is_rejected(
    what: str, signed: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(signed.read_text())
    EDITS[what](doc)
    signed.write_text(json.dumps(doc, indent=2))
    code, out = _verify(signed, keys["pub"], capsys)
    assert code == 1 and "integrity hash mismatch" in out and "signature invalid" in out

    # An editor who also recomputes the hash still cannot forge the signature.
    resealed = seal(doc)
    resealed["integrity"]["signature"] = json.loads(signed.read_text())["integrity"]["signature"]
    signed.write_text(json.dumps(resealed))
    code, out = _verify(signed, keys["pub"], capsys)
    assert code == 1 and "signature invalid" in out and "hash mismatch" not in out


def test_re_signing_an_edited_scorecard_with_another_key_is_caught(
    signed: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(signed.read_text())
    doc["results"]["score"]["eligible"] = True
    forged = sign(doc, load_private_key(keys["other_key"]))
    signed.write_text(json.dumps(forged))
    code, out = _verify(signed, None, capsys)
    assert code == 0  # self-consistent: proves nothing without a trusted key, and says so
    assert "signature NOT verified" in out
    code, out = _verify(signed, keys["pub"], capsys)
    assert code == 1 and "wrong key" in out


def test_key_order_and_whitespace_do_not_matter(
    signed: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(signed.read_text())

    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    signed.write_text(json.dumps(reverse(doc), indent=7, ensure_ascii=True).replace(",\n", " ,\n\t") + "\n\n")
    assert list(json.loads(signed.read_text())) != list(doc)
    code, out = _verify(signed, keys["pub"], capsys)
    assert code == 0 and "verified against the city's key" in out


def test_a_malformed_signature_is_reported(
    signed: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(signed.read_text())
    doc["integrity"]["signature"]["value"] = "not base64!"
    signed.write_text(json.dumps(doc))
    code, out = _verify(signed, keys["pub"], capsys)
    assert code == 1 and "signature invalid" in out and "not base64" in out


def test_sign_refuses_a_tampered_scorecard(
    card_a: Path, keys: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(card_a.read_text())
    doc["results"]["score"]["eligible"] = True
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc))
    assert main(["sign", str(path), "--key", str(keys["key"])]) == 2
    assert "integrity hash mismatch" in capsys.readouterr().err
    assert "signature" not in json.loads(path.read_text())["integrity"]
