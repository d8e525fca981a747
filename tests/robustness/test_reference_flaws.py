"""The reference server's recognition flaws, through the real server on loopback and the evalapi adapter.

The quick tests show what each flaw does on the wire. The acceptance test runs the probes on 20 seeds: both
flaws flagged on every seed, the honest server on none (its false-flag rate, measured)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from harness.corpus.model import Corpus
from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus
from harness.probes.canaries import write_published_copy
from harness.reference_server.launcher import running_reference_server
from harness.run_options import RunRequest
from harness.runner.run import execute, prepare


def _recognize(base_url: str, data: bytes) -> dict:
    answer = httpx.post(f"{base_url}/v1/recognize", files={"image": ("a.jpg", data, "image/jpeg")}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def test_cache_by_hash_answers_repeated_bytes_at_once(corpus12: Corpus) -> None:
    data = corpus12.samples[0].path.read_bytes()
    with running_reference_server(flaws=("cache-by-hash",)) as server:
        first, again = _recognize(server.base_url, data), _recognize(server.base_url, data)
    assert again["reads"] == first["reads"] and again["processing_ms"] == 0 < first["processing_ms"]


def test_memorize_public_answers_the_published_labels_of_published_bytes_only(tmp_path: Path, corpus30: Corpus) -> None:
    manifest = write_published_copy(corpus30, 5, tmp_path)
    published = {s.sha256: s for s in load_corpus(manifest).samples}
    public = next(s for s in corpus30.samples if s.sha256 in published)
    with running_reference_server(flaws=("memorize-public",), published=manifest) as server:
        answer = _recognize(server.base_url, public.path.read_bytes())
    assert [r["plate"] for r in answer["reads"]] == [p.text for p in published[public.sha256].plates]
    assert answer["processing_ms"] > 0  # it reads anyway, so its time gives nothing away


def test_recognition_flaws_are_refused_for_the_in_process_reference() -> None:
    from harness.errors import USER_ERRORS

    with pytest.raises(USER_ERRORS, match="serve-reference --flaw"):
        prepare(RunRequest(vendor="reference", reference_flaws=("cache-by-hash",), load=False, limit=1))


def _probe_run(folder: Path, base_url: str, seed: int, corpus: Path) -> dict:
    vendors = folder / "vendors.toml"
    folder.mkdir(parents=True, exist_ok=True)
    vendors.write_text(f'[vendors.bidder]\nadapter = "evalapi"\nbase_url = "{base_url}"\n', encoding="utf-8")
    request = RunRequest(vendor="bidder", corpus_path=corpus, vendors_file=vendors, scorecard_dir=folder / "sc",
                         concurrency=1, privacy=False, load=False, probes=True, probe_seed=seed, canary_seed=seed)
    return execute(prepare(request)).document["results"]["probes"]


@pytest.mark.acceptance
@pytest.mark.parametrize("flaw", ["memorize-public", "cache-by-hash", None])
def test_probes_flag_both_flaws_on_20_of_20_seeds_and_the_honest_server_on_none(
        tmp_path_factory: pytest.TempPathFactory, flaw: str | None) -> None:
    """60 synthetic images (every canary of the published copy among them), 24 probed: 228 calls per seed through
    the real recognizer, about a minute a seed; each seed draws its own published copy, probed images and order."""
    corpus_path = tmp_path_factory.mktemp("synth60")
    synth_corpus(corpus_path, n=60, seed=2026)
    corpus = load_corpus(corpus_path)
    tmp_path = tmp_path_factory.mktemp(flaw or "honest")
    flagged: list[list[str]] = []
    for seed in range(20):
        manifest = write_published_copy(corpus, seed, tmp_path / f"published-{seed}")
        with running_reference_server(flaws=(flaw,) if flaw else (), published=manifest,
                                      engine_options={"threads": 1}) as server:  # one core per server: run several
            probes = _probe_run(tmp_path / f"run-{seed}", server.base_url, seed, corpus_path)
        flagged.append(probes["flagged"])
        p_values = {c: probes["checks"][c]["p_value"] for c in probes["checks"]}
        print(f"{flaw or 'honest'} seed {seed}: flagged {probes['flagged']}; p {p_values}", flush=True)
        if flaw is not None:  # the evidence names what was counted
            assert all(probes["checks"][p]["evidence"] for p in probes["flagged"])
    print(f"{flaw or 'honest'}: flagged on {sum(bool(f) for f in flagged)} of 20 seeds")
    if flaw is None:
        assert not any(flagged)
    else:
        assert all(flagged)
