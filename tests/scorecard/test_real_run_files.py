"""A run on the real OpenALPR US labels: no plate text in the scorecard files, and verify catches edits.

The vendor is scripted (right on most images, wrong or silent on others) so the journal does hold
plate text and the scorecard files must not. Plates shorter than 5 characters are not searched:
such strings occur by chance inside hashes and numbers. Plates are searched as whole tokens
(not preceded or followed by a letter or digit).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.corpus.validate import load_corpus
from harness.runner.run import RunRequest, RunResult, run
from harness.scorecard.integrity import verify

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"


@pytest.fixture(scope="module")
def us_run(openalpr_us: Path, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    sys.path.insert(0, str(RUNNER_TESTS))
    try:
        from scripted_vendor import script, write_vendors_toml
    finally:
        sys.path.remove(str(RUNNER_TESTS))
    folder = tmp_path_factory.mktemp("us-run")
    corpus = load_corpus(openalpr_us)
    vendors = write_vendors_toml(folder, script(corpus.samples, ("right", "right", "right", "wrong", "none")))
    sys.path.insert(0, str(RUNNER_TESTS))
    try:
        return run(RunRequest(load=False, vendor="scripted", corpus_path=openalpr_us, scorecard_dir=folder / "sc", vendors_file=vendors))
    finally:
        sys.path.remove(str(RUNNER_TESTS))


@pytest.mark.realdata
def test_no_plate_text_in_any_scorecard_file_but_the_journal(us_run: RunResult, openalpr_us: Path) -> None:
    corpus = load_corpus(openalpr_us)
    plates = {p.text for s in corpus.samples for p in s.plates if len(p.text) >= 5}
    assert len(plates) > 150
    token = re.compile(r"(?<![A-Z0-9])(" + "|".join(sorted(plates, key=len, reverse=True)) + r")(?![A-Z0-9])")
    journal = us_run.journal_path.read_text(encoding="utf-8")
    assert len(set(token.findall(journal))) > 100  # the check can see plates where they are
    for path in us_run.run_dir.iterdir():
        if path.name != "journal.jsonl":
            leaked = set(token.findall(path.read_text(encoding="utf-8").upper()))
            assert leaked == set(), f"{path.name} contains plate text"


@pytest.mark.realdata
def test_scorecard_holds_the_headline_figures(us_run: RunResult) -> None:
    doc = us_run.document
    overall = doc["results"]["accuracy"]["overall"]
    assert doc["provenance"]["corpus"]["samples"] == 222 and len(doc["samples"]) == 222
    assert overall["exact_read_plate"]["n"] >= 222 and overall["exact_read_plate"]["ci_low"] is not None
    assert overall["detection_recall"]["value"] is not None
    assert overall["wrong_plate_per_1000"]["value"] > 0
    assert doc["results"]["accuracy"]["calibration"]["ece"]["n"] > 0
    assert doc["results"]["latency"]["accuracy_pass"]["client_ms"]["n"] == 222


@pytest.mark.realdata
def test_verify_accepts_the_file_and_rejects_a_changed_byte_in_its_results(us_run: RunResult, tmp_path: Path, capsys) -> None:
    original = us_run.scorecard_path.read_text(encoding="utf-8")
    assert main(["verify", str(us_run.run_dir)]) == 0
    start, end = original.index('\n  "results"'), original.index('\n  "samples"')
    positions = [i for i in range(start, end) if original[i].isalnum()]
    rng = random.Random(0)
    target = tmp_path / "scorecard.json"
    for i in rng.sample(positions, 150):
        char = original[i]
        swap = ("1" if char != "1" else "2") if char.isdigit() else ("x" if char != "x" else "y")
        target.write_text(original[:i] + swap + original[i + 1 :], encoding="utf-8")
        assert main(["verify", str(target)]) == 1, f"change at {i} ({char!r} -> {swap!r}) not detected"
    out = capsys.readouterr().out
    assert "FAILED" in out and ("hash mismatch" in out or "not valid JSON" in out)


@pytest.mark.realdata
def test_a_digit_beyond_float_precision_or_an_upper_case_exponent_is_still_a_change(us_run: RunResult, tmp_path: Path) -> None:
    original = us_run.scorecard_path.read_text(encoding="utf-8")
    swapped = None
    for literal in re.finditer(r"\d\.\d{15,17}(?=[,\n])", original):
        last = literal.end() - 1
        for digit in "0123456789":
            candidate = original[:last] + digit + original[last + 1 :]
            if digit != original[last] and json.loads(candidate) == json.loads(original):
                swapped = candidate
                break
        if swapped:
            break
    assert swapped is not None  # the same numbers to a JSON parser...
    target = tmp_path / "scorecard.json"
    target.write_text(swapped, encoding="utf-8")
    assert main(["verify", str(target)]) == 1  # ...but not the bytes that were sealed
    target.write_text(original.replace("\n  ", "\n\t"), encoding="utf-8")
    assert main(["verify", str(target)]) == 0  # whitespace between tokens is not content


def test_changing_one_result_value_is_named_as_a_hash_mismatch(us_run: RunResult) -> None:
    doc = json.loads(us_run.scorecard_path.read_text(encoding="utf-8"))
    doc["results"]["accuracy"]["overall"]["exact_read_plate"]["value"] += 0.01
    assert "hash mismatch" in verify(doc)[0]
