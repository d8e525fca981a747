"""``platebench run --bench``: a recorded bench folder scored into the scorecard (results.roadside, the
"At the roadside" Markdown section, roadside requirements judged), kept on rescore; without --bench
the roadside requirements do not apply."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.corpus.synth import synth_corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
from scripted_vendor import script, write_vendors_toml
from test_metrics import T0, bench

from harness.corpus.validate import load_corpus


def corpus_of(tmp_path: Path, n: int):
    synth_corpus(tmp_path / "corpus", n=n, seed=5)
    return load_corpus(tmp_path / "corpus")


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    corpus = corpus_of(tmp_path, 3)
    vendors = write_vendors_toml(tmp_path, script(corpus.samples, ("right", "right", "wrong")))
    args = ["run", "--no-load", "--no-privacy", "--vendor", "scripted", "--corpus", str(corpus.root),
            "--vendors-config", str(vendors), "--scorecard-dir", str(tmp_path / "sc"), *extra]
    assert main(args) == 0
    path = Path(capsys.readouterr().out.strip().splitlines()[-1])
    return {"path": path, "doc": json.loads(path.read_text())}


def test_run_with_a_recorded_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = bench(tmp_path / "bench", [("KXB4521", T0 + 0.5, T0), ("TRM7730", T0 + 10.4, T0 + 10)])
    result = run(tmp_path, capsys, "--bench", str(tmp_path / "bench"))
    doc, path = result["doc"], result["path"]
    roadside = doc["results"]["roadside"]
    assert roadside["capture_rate"]["value"] == 0.5
    verdicts = {r["id"]: r for r in doc["results"]["requirements"]}
    assert verdicts["RS-01"]["applicable"] and verdicts["RS-01"]["passed"] is False
    markdown = (path.parent / "scorecard.md").read_text()
    assert "## At the roadside" in markdown
    assert not any(p in markdown or p in json.dumps(doc) for p in records.truth.values())
    assert main(["rescore", str(path.parent)]) == 0
    capsys.readouterr()
    assert json.loads(path.read_text())["results"]["roadside"]["capture_rate"]["value"] == 0.5


def test_run_without_a_bench_marks_roadside_requirements_not_applicable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run(tmp_path, capsys)["doc"]
    assert "roadside" not in doc["results"] or doc["results"]["roadside"] is None
    verdicts = {r["id"]: r for r in doc["results"]["requirements"]}
    assert verdicts["RS-01"]["applicable"] is False and verdicts["RS-01"]["reason"].startswith("not applicable")


def test_a_bad_bench_argument_stops_the_run_before_any_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    corpus = corpus_of(tmp_path, 2)
    vendors = write_vendors_toml(tmp_path, script(corpus.samples, ("right", "right")))
    code = main(["run", "--no-load", "--no-privacy", "--vendor", "scripted", "--corpus", str(corpus.root),
                 "--vendors-config", str(vendors), "--scorecard-dir", str(tmp_path / "sc"), "--bench", str(tmp_path / "empty")])
    assert code == 2 and "bench journal" in capsys.readouterr().err
