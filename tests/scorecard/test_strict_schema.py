"""The scorecard schema constrains every headline figure, and every reader refuses what it does
not allow, and duplicate JSON keys, with a clear message (issue 12 #5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from scorecard_factory import resealed

from harness.cli.main import main
from harness.scorecard.model import json_schema


def _overall(doc: dict) -> dict:
    return doc["results"]["accuracy"]["overall"]


EDITS: dict[str, tuple[Callable[[dict], object], str]] = {
    "proportion above 1": (lambda d: _overall(d)["exact_read_plate"].update(value=1.7), "exact_read_plate.value"),
    "negative n": (lambda d: _overall(d)["exact_read_plate"].update(n=-3), "exact_read_plate.n"),
    "figure as a string": (lambda d: _overall(d)["cer"].update(value="0.01"), "cer.value"),
    "plate text member": (lambda d: d["results"]["accuracy"].update(plate_text="ABC123"), "plate_text"),
    "unknown latency member": (
        lambda d: d["results"]["latency"]["single_stream"]["client_ms"].update(p42=1.0), "p42"
    ),
    "weighted score above 1": (lambda d: d["results"]["score"].update(weighted=1.5), "score.weighted"),
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_schema_violations_are_refused_by_verify_report_and_compare(
    what: str, card_a: Path, card_b: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, where = EDITS[what]
    bad = resealed(card_a, tmp_path / "bad" / "scorecard.json", edit)
    doc = json.loads(bad.read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema())  # the published schema says no, too
    capsys.readouterr()
    assert main(["verify", str(bad)]) == 1
    assert where in capsys.readouterr().out
    assert main(["report", str(bad), "--out", str(tmp_path / "r")]) == 2
    assert main(["compare", str(bad), str(card_b), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert where in err and "Traceback" not in err


@pytest.mark.parametrize("where", ["integrity", "signature"])
def test_extra_members_in_integrity_and_signature_are_refused(
    where: str, card_a: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = tmp_path / "signed.json"
    signed.write_bytes(card_a.read_bytes())
    assert main(["keygen", "--out", str(tmp_path / "city")]) == 0
    assert main(["sign", str(signed), "--key", str(tmp_path / "city.key")]) == 0
    doc = json.loads(signed.read_text())
    target = doc["integrity"] if where == "integrity" else doc["integrity"]["signature"]
    target["approved_by"] = "the mayor"  # outside the hashed content, so only the schema can catch it
    bad = tmp_path / "scorecard.json"
    bad.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["verify", str(bad)]) == 1
    assert "approved_by" in capsys.readouterr().out


def test_a_scorecard_without_integrity_is_refused(card_a: Path, tmp_path: Path, capsys) -> None:
    doc = json.loads(card_a.read_text())
    del doc["integrity"]
    bad = tmp_path / "scorecard.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(jsonschema.ValidationError, match="integrity"):
        jsonschema.validate(doc, json_schema())  # the published schema requires it
    assert main(["verify", str(bad)]) == 1
    assert "never sealed" in capsys.readouterr().out


def test_duplicate_keys_are_refused_by_every_reader(
    card_a: Path, card_b: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = card_a.read_text()
    value = json.loads(text)["results"]["accuracy"]["overall"]["exact_read_plate"]["value"]
    needle = f'"value": {value},'
    start = text.index('"exact_read_plate"')
    at = text.index(needle, start)
    bad = tmp_path / "dup" / "scorecard.json"
    bad.parent.mkdir()
    bad.write_text(text[:at] + '"value": 0.99, ' + text[at:])  # first-wins and last-wins parsers now disagree
    capsys.readouterr()
    assert main(["verify", str(bad)]) == 1
    assert "duplicate JSON key" in capsys.readouterr().out
    assert main(["report", str(bad), "--out", str(tmp_path / "r")]) == 2
    assert main(["compare", str(bad), str(card_b), "--out", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err.count("duplicate JSON key") == 2


def test_a_real_scorecard_is_valid_against_the_published_schema(card_a: Path) -> None:
    jsonschema.validate(json.loads(card_a.read_text()), json_schema())
