"""Each native HTTP adapter scored end to end, as a technician would, against its documented imitation.

The imitation servers answer with the corpus's own plates in the vendor's documented shapes, so
after normalization every plate must be read exactly; the vendor's secret must appear in no file
of the run folder (journal included).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vendor_imitations import OA_SECRET, PR_TOKEN, Imitation, TruthPlate

from harness.cli.main import main
from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus

N_IMAGES = 6


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    synth_corpus(out, n=N_IMAGES, seed=11, workers=1)
    return out


def _register_truth(state: Imitation, corpus_dir: Path) -> None:
    for sample in load_corpus(corpus_dir):
        plates = []
        for plate in sample.plates:
            box = plate.box
            assert box is not None
            geometry = (int(box.x), int(box.y), int(box.x + box.width), int(box.y + box.height))
            plates.append(TruthPlate(text=plate.text, score=0.93, box=geometry))
        state.register(sample.path.read_bytes(), *plates)


def _vendors_toml(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "vendors.toml"
    path.write_text(table, encoding="utf-8")
    return path


def _run(tmp_path: Path, vendor: str, config: Path, corpus_dir: Path) -> dict:
    out = tmp_path / "scorecards"
    code = main(
        ["run", "--vendor", vendor, "--vendors-config", str(config), "--corpus", str(corpus_dir),
         "--scorecard-dir", str(out), "--no-privacy", "--no-load", "--concurrency", "1"]
    )
    assert code == 0
    (card_path,) = out.glob("*/*/scorecard.json")
    return json.loads(card_path.read_text(encoding="utf-8"))


def _no_file_contains(root: Path, secret: str) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), f"{secret[:4]}... leaked into {path.name}"


def test_platerecognizer_cloud_scored_end_to_end(
    pr_cloud: tuple[Imitation, str], corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = pr_cloud
    _register_truth(state, corpus_dir)
    monkeypatch.setenv("PR_TEST_TOKEN", PR_TOKEN)
    config = _vendors_toml(
        tmp_path,
        f'[vendors.pr]\nadapter = "platerecognizer"\nbase_url = "{url}"\ntoken_env = "PR_TEST_TOKEN"\n'
        "rate_limit_per_s = 50\n",
    )
    card = _run(tmp_path, "pr", config, corpus_dir)
    exact = card["results"]["accuracy"]["overall"]["exact_read_plate"]
    assert (exact["value"], exact["n"]) == (1.0, N_IMAGES)
    assert card["results"]["accuracy"]["errors"]["by_kind"] == {}
    _no_file_contains(tmp_path / "scorecards", PR_TOKEN)


def test_openalpr_cloud_scored_end_to_end(
    openalpr: tuple[Imitation, str], corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = openalpr
    _register_truth(state, corpus_dir)
    monkeypatch.setenv("OA_TEST_SECRET", OA_SECRET)
    config = _vendors_toml(
        tmp_path,
        f'[vendors.rekor]\nadapter = "openalpr"\nbase_url = "{url}/v3"\nsecret_key_env = "OA_TEST_SECRET"\n',
    )
    card = _run(tmp_path, "rekor", config, corpus_dir)
    exact = card["results"]["accuracy"]["overall"]["exact_read_plate"]
    assert (exact["value"], exact["n"]) == (1.0, N_IMAGES)
    _no_file_contains(tmp_path / "scorecards", OA_SECRET)


def test_missing_credential_names_the_variable_before_any_request(
    pr_cloud: tuple[Imitation, str], corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = pr_cloud
    config = _vendors_toml(
        tmp_path, f'[vendors.pr]\nadapter = "platerecognizer"\nbase_url = "{url}"\ntoken_env = "PR_UNSET_TOKEN"\n'
    )
    code = main(["run", "--vendor", "pr", "--vendors-config", str(config), "--corpus", str(corpus_dir),
                 "--scorecard-dir", str(tmp_path / "out"), "--no-privacy"])
    assert code == 2
    assert "PR_UNSET_TOKEN" in capsys.readouterr().err
    assert state.requests == []
