"""A whole run through the public API: files, resume, rescore, and everything checked before any call."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from scripted_vendor import script, write_vendors_toml

from harness.corpus.model import Corpus
from harness.rubric import RubricError
from harness.runner.journal import read_journal
from harness.runner.run import RunError, RunRequest, execute, prepare, rescore, run
from harness.scorecard.integrity import verify_path

PLAN = ("right", "right", "wrong", "none", "timeout")


def request(tmp_path: Path, corpus: Corpus, **kwargs: object) -> RunRequest:
    vendors = kwargs.pop("vendors_file", None) or write_vendors_toml(tmp_path, script(corpus.samples, PLAN))
    kwargs.setdefault("corpus_path", corpus.root)
    return RunRequest(load=False, vendor="scripted", scorecard_dir=tmp_path / "sc", vendors_file=vendors, **kwargs)  # type: ignore[arg-type]


def test_a_run_writes_journal_scorecard_and_report(tmp_path: Path, small_corpus: Corpus) -> None:
    result = run(request(tmp_path, small_corpus))
    assert result.run_dir.parent == tmp_path / "sc" / "scripted"
    assert {p.name for p in result.run_dir.iterdir()} == {"journal.jsonl", "scorecard.json", "scorecard.md"}
    assert stat.S_IMODE(result.journal_path.stat().st_mode) == 0o600
    assert verify_path(result.run_dir) == []
    doc = json.loads(result.scorecard_path.read_text(encoding="utf-8"))
    assert doc["provenance"]["corpus"]["samples"] == 12
    assert doc["provenance"]["corpus"]["manifest_sha256"] == small_corpus.manifest_sha256
    assert doc["results"]["accuracy"]["overall"]["exact_read_plate"]["n"] == 12
    assert doc["results"]["errors"] == {"calls": 12, "ok": 10, "by_kind": {"timeout": 2}, "availability": 10 / 12}
    assert set(doc["samples"]) == {s.sha256 for s in small_corpus.samples}
    assert sorted(doc["samples"].values()).count("error") == 2
    assert [r["id"] for r in doc["results"]["requirements"]][:2] == ["ACU-01", "ACU-02"]
    assert "Scripted \\| \\*Test\\* \\<Vendor\\>" in result.markdown_path.read_text(encoding="utf-8")


def test_limit_runs_the_first_n_samples(tmp_path: Path, small_corpus: Corpus) -> None:
    result = run(request(tmp_path, small_corpus, limit=5))
    assert set(result.document["samples"]) == {s.sha256 for s in small_corpus.samples[:5]}
    assert result.document["provenance"]["options"]["limit"] == 5


def test_resume_sends_only_what_the_journal_lacks(tmp_path: Path, small_corpus: Corpus) -> None:
    (tmp_path / "a").mkdir()
    baseline = run(request(tmp_path / "a", small_corpus))
    # Cut the baseline's journal back to its header, 4 calls and a torn fifth, as a kill would leave it.
    interrupted = prepare(request(tmp_path, small_corpus))
    lines = baseline.journal_path.read_bytes().split(b"\n")
    header = json.loads(lines[0])
    header.update(run_id=interrupted.header["run_id"], vendor="scripted")
    interrupted.run_dir.mkdir(parents=True)
    journal = interrupted.journal_path
    journal.write_bytes(json.dumps(header).encode() + b"\n" + b"\n".join(lines[1:5]) + b"\n" + lines[5][:20])
    interrupted.adapter.close()
    resumed = prepare(request(tmp_path, small_corpus, resume=interrupted.header["run_id"]))
    assert len(resumed.todo) == 8 and resumed.warnings
    result = execute(resumed)
    contents = read_journal(journal)
    assert contents.calls == 12 and contents.resumes == 1 and not contents.warnings
    assert result.document["results"]["accuracy"] == baseline.document["results"]["accuracy"]
    assert result.document["samples"] == baseline.document["samples"]
    assert result.document["provenance"]["options"]["resumed"] is True


def test_resume_refuses_another_corpus_vendor_or_options(tmp_path: Path, small_corpus: Corpus) -> None:
    first = run(request(tmp_path, small_corpus, limit=3))
    run_id = first.document["provenance"]["run_id"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "labels.csv").write_text("", encoding="utf-8")
    with pytest.raises(RunError, match="--limit 4"):
        prepare(request(tmp_path, small_corpus, resume=run_id, limit=4))
    with pytest.raises(RunError, match="not a run id"):
        prepare(request(tmp_path, small_corpus, resume="../../etc"))
    with pytest.raises(RunError, match="no journal"):
        prepare(request(tmp_path, small_corpus, resume="20200101T000000Z-abcdef"))
    assert prepare(request(tmp_path, small_corpus, resume=run_id)).todo == []


def test_rescore_rebuilds_the_same_scorecard_without_the_vendor(tmp_path: Path, small_corpus: Corpus) -> None:
    result = run(request(tmp_path, small_corpus))
    (tmp_path / "answers.json").unlink()  # the vendor is gone
    again = rescore(result.run_dir)
    assert again.document == result.document
    assert verify_path(again.scorecard_path) == []


def test_rescore_of_an_unfinished_run_says_how_to_finish_it(tmp_path: Path, small_corpus: Corpus) -> None:
    result = run(request(tmp_path, small_corpus))
    lines = result.journal_path.read_text(encoding="utf-8").splitlines(keepends=True)
    result.journal_path.write_text("".join(lines[:6]), encoding="utf-8")
    with pytest.raises(RunError, match="--resume"):
        rescore(result.run_dir)


def test_unknown_metric_path_fails_at_start_before_any_call(tmp_path: Path, small_corpus: Corpus) -> None:
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(
        '[[requirement]]\nid = "X"\ntitle = "t"\nmetric = "accuracy.overall.exact_raed.value"\n'
        'comparator = ">="\nthreshold = 0.9\nmandatory = true\n',
        encoding="utf-8",
    )
    with pytest.raises(RubricError, match="exact_raed"):
        prepare(request(tmp_path, small_corpus, rubric_path=rubric))
    assert not (tmp_path / "sc").exists()


def test_invalid_corpus_is_refused_with_its_problems(tmp_path: Path, small_corpus: Corpus) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "labels.csv").write_text("image,plate\nmissing.jpg,ABC123\n", encoding="utf-8")
    with pytest.raises(RunError, match="corpus"):
        prepare(request(tmp_path, small_corpus, corpus_path=broken))
