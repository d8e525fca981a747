"""Sweeps and probes through a whole run: journal, scorecard, Markdown, resume, rescore, audit, rubric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oracle_vendor import oracle_vendors

from harness.corpus.model import Corpus
from harness.errors import UserError
from harness.perturb.audit import verify_recipes
from harness.probes.canaries import canaries, write_published_copy
from harness.report.html import render_scorecard_html
from harness.report.plots import render_plots
from harness.rubric import RubricError, load_rubric
from harness.run_options import RunRequest
from harness.runner.journal import JOURNAL_FILE, read_journal
from harness.runner.run import RunResult, execute, prepare, rescore
from harness.scorecard.model import Scorecard

SWEEPS = ("blur=3,25", "distance=6,24", "rotate=4")


def _run(tmp: Path, corpus: Corpus, vendor: str = "honest", **options: object) -> RunResult:
    vendors = oracle_vendors(tmp, corpus, honest={}, cache={"mode": "cache-pixels", "delay_s": 0.04},
                             looks={"mode": "cache-looks", "delay_s": 0.04},
                             memo={"mode": "memorise-pixels", "published": str(tmp / "published" / "manifest.jsonl")})
    request = RunRequest(vendor=vendor, corpus_path=corpus.root, vendors_file=vendors, scorecard_dir=tmp / "sc",
                         privacy=False, load=False, **options)
    return execute(prepare(request))


def test_a_sweep_is_scored_per_level_and_its_images_are_made_again(tmp_path: Path, corpus12: Corpus) -> None:
    result = _run(tmp_path, corpus12, perturb=SWEEPS, perturb_seed=3)
    section = result.document["results"]["robustness"]
    assert section["seed"] == 3 and list(section["operators"]) == ["blur", "distance", "rotate"]
    blur = section["operators"]["blur"]["points"]
    assert [p["key"] for p in blur] == ["3", "25"]
    assert all(p["figures"]["exact_read_plate"]["n"] == 12 for p in blur)
    assert blur[0]["figures"]["exact_read_plate"]["value"] > blur[1]["figures"]["exact_read_plate"]["value"]
    assert [p["key"] for p in section["operators"]["distance"]["points"]] == ["24", "6"]  # mildest first
    breaking = {b["requirement"]: b for b in section["operators"]["blur"]["breaking_points"]}
    first_below = next(p["level"] for p in blur if p["figures"]["exact_read_plate"]["value"] < 0.80)
    assert breaking["ACU-01"]["level"] == first_below
    audit = verify_recipes(read_journal(result.journal_path).derived, corpus12)
    assert audit.checked == 12 * 5 and audit.mismatched == ()
    markdown = result.markdown_path.read_text(encoding="utf-8")
    assert "## How it degrades" in markdown and "### Motion blur (`blur`)" in markdown
    assert rescore(result.run_dir).document["results"]["robustness"] == section
    svg = render_plots([("honest", Scorecard.model_validate(result.document))])["robustness"]
    assert ">blur<" in svg and ">distance<" in svg


def test_a_stopped_sweep_resumes_where_it_stopped(tmp_path: Path, corpus12: Corpus) -> None:
    whole = _run(tmp_path / "a", corpus12, perturb=SWEEPS)
    journal = whole.run_dir / JOURNAL_FILE
    lines = journal.read_bytes().splitlines(keepends=True)
    calls = [i for i, line in enumerate(lines) if b'"type":"call"' in line]
    journal.write_bytes(b"".join(lines[: calls[30] + 1]))  # 12 originals and 19 perturbed images journaled
    resumed = execute(prepare(RunRequest(vendor="honest", resume=whole.run_dir.name, vendors_file=tmp_path / "a" / "vendors.toml",
                                         scorecard_dir=tmp_path / "a" / "sc", privacy=False, load=False)))
    contents = read_journal(journal)
    assert contents.calls == 12 + 12 * 5 and contents.resumes == 1
    assert resumed.document["results"]["robustness"] == whole.document["results"]["robustness"]


def test_resuming_with_other_sweeps_is_refused(tmp_path: Path, corpus12: Corpus) -> None:
    whole = _run(tmp_path, corpus12, perturb=("blur=3",))
    with pytest.raises(UserError, match="--perturb"):
        prepare(RunRequest(vendor="honest", resume=whole.run_dir.name, vendors_file=tmp_path / "vendors.toml",
                           scorecard_dir=tmp_path / "sc", perturb=("blur=5",), privacy=False, load=False))


def test_the_honest_reader_is_not_flagged_and_a_pixel_cache_is(tmp_path: Path, corpus30: Corpus) -> None:
    # 24 probed images, one call at a time: a timing probe on a busy machine needs both
    honest = _run(tmp_path / "h", corpus30, probes=True, probe_seed=1, concurrency=1).document["results"]["probes"]
    assert honest["flagged"] == [] and honest["checks"]["PR-MEM-02"]["status"] == "not-run"
    assert honest["figures"]["agreement"]["value"] > 0.9
    cache = _run(tmp_path / "c", corpus30, "cache", probes=True, probe_seed=1, concurrency=1).document["results"]["probes"]
    assert cache["checks"]["PR-CACHE-02"]["flagged"] is True
    assert "under half the original's time" in cache["checks"]["PR-CACHE-02"]["evidence"]
    assert cache["checks"]["PR-CACHE-01"]["flagged"] is False  # same pixels under new bytes: cached too


def test_probes_too_small_to_flag_anything_say_so_instead_of_passing(tmp_path: Path, corpus12: Corpus) -> None:
    cache = _run(tmp_path, corpus12, "cache", probes=True, probe_seed=1, limit=6).document["results"]["probes"]
    for probe in ("PR-MEM-01", "PR-CACHE-01", "PR-CACHE-02"):  # 6 images: at best p = 2**-6, above 0.001
        assert cache["checks"][probe]["status"] == "not-run" and cache["checks"][probe]["flagged"] is None, probe
        assert "needs at least 10" in cache["checks"][probe]["evidence"]
    assert cache["flagged"] == []
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('name = "t"\n[[requirement]]\nid = "R1"\ntitle = "no cache"\nweight = 1\n'
                      'metric = "probes.checks.PR-CACHE-01.flagged"\ncomparator = "=="\nthreshold = false\n', encoding="utf-8")
    judged = _run(tmp_path / "r", corpus12, "cache", probes=True, probe_seed=1, limit=6, rubric_path=rubric)
    [verdict] = judged.document["results"]["requirements"]
    assert verdict["passed"] is False and "the probe did not run: only 6 images" in verdict["reason"]


def test_a_cache_of_look_alike_images_is_flagged_against_the_mirrored_control(tmp_path: Path, corpus30: Corpus) -> None:
    looks = _run(tmp_path, corpus30, "looks", probes=True, probe_seed=2, concurrency=1).document["results"]["probes"]
    assert looks["checks"]["PR-CACHE-02"]["flagged"] is True  # its repeats collapse, the mirrored images do not
    assert looks["checks"]["PR-CACHE-01"]["flagged"] is False  # the re-wrap looks alike: cached as well
    assert looks["checks"]["PR-MEM-01"]["flagged"] is False


def test_a_reader_echoing_the_published_labels_is_flagged_by_the_canaries(tmp_path: Path, corpus30: Corpus) -> None:
    write_published_copy(corpus30, 99, tmp_path / "published")
    memo = _run(tmp_path, corpus30, "memo", probes=True, probe_seed=1, canary_seed=99, limit=26)
    probes = memo.document["results"]["probes"]
    # the canaries are the published copy's (drawn over the whole corpus): those among the 26 samples sent count
    sent = [c for c in canaries(corpus30.samples, 99) if c.sample_id in {s.id for s in corpus30.samples[:26]}]
    assert 10 <= probes["canaries"] == len(sent) < 16
    assert probes["checks"]["PR-MEM-02"]["flagged"] is True
    assert probes["checks"]["PR-MEM-02"]["p_value"] == pytest.approx(0.5 ** len(sent))
    assert probes["checks"]["PR-MEM-01"]["flagged"] is False  # it answers near-duplicates alike: only canaries tell
    honest = _run(tmp_path / "h", corpus30, probes=True, probe_seed=1, canary_seed=99, limit=26).document["results"]["probes"]
    assert honest["flagged"] == []
    text = json.dumps(memo.document)
    assert all(p.text not in text for s in corpus30.samples for p in s.plates)  # no plate text
    page = render_scorecard_html(Scorecard.model_validate(memo.document))
    assert 'id="probes"' in page and "PR-MEM-02" in page and "flagged" in page
    assert all(p.text not in page for s in corpus30.samples for p in s.plates)
    header = read_journal(memo.run_dir / JOURNAL_FILE).header
    assert header["canary_seed"] == 99 and "99" not in json.dumps(memo.document["provenance"]["options"])


def test_canary_seed_without_probes_is_refused(tmp_path: Path, corpus12: Corpus) -> None:
    with pytest.raises(UserError, match="--canary-seed goes with --probes"):
        _run(tmp_path, corpus12, canary_seed=1)


def test_split_and_hotlist_sections_carry_counts_only(tmp_path: Path, corpus12: Corpus) -> None:
    document = _run(tmp_path, corpus12).document
    results = document["results"]
    page = render_scorecard_html(Scorecard.model_validate(document))  # the HTML shows both, no probes (none ran)
    assert 'id="split"' in page and 'id="hotlist"' in page and 'id="probes"' not in page
    assert results["split"]["public"]["exact_read_plate"]["n"] == 8
    assert results["split"]["sequestered"]["exact_read_plate"]["n"] == 4
    assert results["hotlist"]["alerts"] == 0 and results["hotlist"]["listed"] > 12


def test_the_rubric_sweeps_and_judges_the_worst_level(tmp_path: Path, corpus12: Corpus) -> None:
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('name = "sweeps"\n[perturb]\nsweeps = ["blur=3,25"]\nseed = 4\n'
                      '[[requirement]]\nid = "ROB-01"\ntitle = "Blur"\nmetric = "robustness.operators.blur.worst.exact_read_plate"\n'
                      'comparator = ">="\nthreshold = 0.5\nweight = 1\n'
                      '[[requirement]]\nid = "SEQ-01"\ntitle = "Sequestered"\nmetric = "split.sequestered.exact_read_plate"\n'
                      'comparator = ">="\nthreshold = 0.5\nweight = 1\n'
                      '[[requirement]]\nid = "MEM-01"\ntitle = "Canaries"\nmetric = "probes.checks.PR-MEM-02.flagged"\n'
                      'comparator = "=="\nthreshold = false\nweight = 1\n', encoding="utf-8")
    verdicts = {v["id"]: v for v in _run(tmp_path, corpus12, rubric_path=rubric).document["results"]["requirements"]}
    assert verdicts["ROB-01"]["passed"] is False and verdicts["ROB-01"]["observed"] < 0.5
    assert verdicts["SEQ-01"]["passed"] is True
    assert verdicts["MEM-01"]["applicable"] is False


def test_a_rubric_naming_an_unknown_operator_is_refused(tmp_path: Path) -> None:
    rubric = tmp_path / "bad.toml"
    rubric.write_text('[perturb]\nsweeps = ["sharpen=3"]\n[[requirement]]\nid = "X"\ntitle = "x"\n'
                      'metric = "robustness.operators.sharpen.worst.exact_read_plate"\ncomparator = ">="\nthreshold = 0.5\nweight = 1\n',
                      encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(rubric)
    assert "unknown operator" in str(caught.value) and "unknown path" in str(caught.value)


def test_the_comparison_tests_two_vendors_at_every_level(tmp_path: Path, corpus12: Corpus) -> None:
    from harness.compare import build_comparison
    from harness.report.comparison import render_markdown

    honest = _run(tmp_path, corpus12, perturb=("blur=3,25",))
    cache = _run(tmp_path, corpus12, "cache", perturb=("blur=3,25",))
    doc, _ = build_comparison([honest.scorecard_path, cache.scorecard_path])
    [sweep] = doc["robustness"]
    assert [level["key"] for level in sweep["levels"]] == ["3", "25"]
    for level in sweep["levels"]:
        [pair] = level["pairs"]
        assert pair["n"] == 12 and pair["p_value"] is not None  # the same perturbed images, joined by sha256
    assert "## How they degrade" in render_markdown(doc)
