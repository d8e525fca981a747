"""Failures charged fairly (issue 11), each against a real fault-injecting vendor on loopback:
stale keep-alive connections are re-sent, never charged; a vendor's NaN is a protocol error of its
sample; a harness fault (an image removed mid-run) stops the run without charging the vendor, and
the resumed figures equal an undisturbed run's; a run that mostly fails stops early with a
diagnosis and no scorecard; a token echoed by the vendor appears in no output.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from fault_vendor import Faults, FaultVendor

from harness.cli.main import main
from harness.corpus.model import Corpus
from harness.corpus.validate import load_corpus
from harness.load.stub_server import closed_port
from harness.runner.journal import read_journal
from harness.runner.run import SCORECARD_JSON, RunError, RunRequest, RunResult, run

N = 12


STUB = "harness.load.stub_adapter:StubAdapter"


def vendors_toml(folder: Path, url: str, adapter: str = STUB, extra: str = "") -> Path:
    path = folder / "vendors.toml"
    where = f'url = "{url}"' if adapter == STUB else f'base_url = "{url.removesuffix("/recognize")}"'
    path.write_text(f'[vendors.faulty]\nadapter = "{adapter}"\n{where}\nread_timeout = 2\n{extra}', encoding="utf-8")
    return path


def request(tmp_path: Path, corpus: Corpus, url: str, **kwargs: object) -> RunRequest:
    return RunRequest(vendor="faulty", corpus_path=corpus.root, limit=N, scorecard_dir=tmp_path / "sc",
                      vendors_file=vendors_toml(tmp_path, url), privacy=False, load=False,
                      **{"concurrency": 2, **kwargs})  # type: ignore[arg-type]


def records(result_dir: Path) -> list[dict[str, object]]:
    lines = (result_dir / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def figures(result: RunResult) -> dict[str, object]:
    """The vendor's figures, without timing."""
    results = result.document["results"]
    return {k: v for k, v in results.items() if k in ("errors", "accuracy", "detection", "plates")}


@pytest.fixture
def undisturbed(tmp_path_factory: pytest.TempPathFactory, small_corpus: Corpus) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("undisturbed")
    with FaultVendor() as vendor:
        return figures(run(request(folder, small_corpus, vendor.url)))


@pytest.mark.parametrize("faults", [Faults(silent_stale_s=0.0), Faults(idle_close_s=0.02)], ids=["silent", "fin-20ms"])
def test_connections_closed_while_idle_are_never_charged(tmp_path: Path, small_corpus: Corpus, faults: Faults) -> None:
    faults.hooks = {n: (lambda: time.sleep(0.03)) for n in range(1, N + 1, 3)}  # idle gaps on the other lane
    with FaultVendor(faults) as vendor:
        result = run(request(tmp_path, small_corpus, vendor.url))
        assert vendor.received == N  # the vendor answered every sample once
    assert result.document["results"]["accuracy"]["errors"]["by_kind"] == {}
    if faults.silent_stale_s is not None:  # every reused connection was dropped: re-sent, and counted
        resent = [r for r in records(result.run_dir) if r["type"] == "connections"]
        assert resent and resent[0]["reused_resent"] > 0


def test_non_finite_numbers_are_protocol_errors_and_a_retry_equals_an_undisturbed_run(
    tmp_path: Path, small_corpus: Corpus, undisturbed: dict[str, object]
) -> None:
    with FaultVendor(Faults(bad_numbers={3: "NaN", 5: "Infinity", 7: "1e999"})) as vendor:
        first = run(request(tmp_path, small_corpus, vendor.url))
    errors = first.document["results"]["accuracy"]["errors"]
    assert {kind: round(e["value"] * e["n"]) for kind, e in errors["by_kind"].items()} == {"protocol": 3}  # 3 of N calls
    messages = [o.error_message for o in read_journal(first.journal_path).outcomes.values() if not o.ok]
    assert all("reads[0].confidence" in m for m in messages)
    with FaultVendor() as vendor:
        vendors_toml(tmp_path, vendor.url)
        again = run(RunRequest(vendor="faulty", resume=first.document["provenance"]["run_id"], retry_failed=True,
                               scorecard_dir=tmp_path / "sc", vendors_file=tmp_path / "vendors.toml"))
        assert vendor.received == 3
    assert figures(again) == undisturbed
    assert sum(r["type"] == "call" for r in records(again.run_dir)) == N + 3  # every attempt kept


def test_an_image_removed_mid_run_stops_it_without_charging_the_vendor(
    tmp_path: Path, small_corpus: Corpus, undisturbed: dict[str, object]
) -> None:
    shutil.copytree(small_corpus.root, tmp_path / "corpus")
    corpus = load_corpus(tmp_path / "corpus")
    victim = corpus.samples[N - 1].path
    kept = victim.read_bytes()
    with (FaultVendor(Faults(hooks={4: victim.unlink})) as vendor,
          pytest.raises(RunError, match=r"cannot read the image.*the journal keeps every finished call")):
        run(request(tmp_path, corpus, vendor.url))
    (run_dir,) = (tmp_path / "sc" / "faulty").iterdir()
    journaled = read_journal(run_dir / "journal.jsonl").outcomes
    assert journaled and all(o.ok for o in journaled.values())  # nothing charged to the vendor
    victim.write_bytes(kept)
    with FaultVendor() as vendor:
        vendors_toml(tmp_path, vendor.url)
        resumed = run(RunRequest(vendor="faulty", resume=run_dir.name, scorecard_dir=tmp_path / "sc",
                                 vendors_file=tmp_path / "vendors.toml"))
    assert figures(resumed) == undisturbed


@pytest.mark.parametrize(("status", "diagnosis"), [
    (401, r"HTTP 401 \(auth\) on 10 of the first 10 calls: check the credential \(token_env"),
    (402, r"HTTP 402 \(quota\) on 10 of the first 10 calls"),
    (429, r"HTTP 429 \(quota\) on 10 of the first 10 calls: .*set rate_limit_per_s"),
    (404, r"HTTP 404 \(http_status\) on 10 of the first 10 calls: check base_url"),
])
def test_a_storm_of_refusals_stops_the_run_with_a_diagnosis_and_no_scorecard(
    tmp_path: Path, small_corpus: Corpus, status: int, diagnosis: str
) -> None:
    with FaultVendor(Faults(status=status)) as vendor:
        with pytest.raises(RunError, match=diagnosis + r".*--retry-failed"):
            run(request(tmp_path, small_corpus, vendor.url, concurrency=1))
        assert vendor.received == 10
    (run_dir,) = (tmp_path / "sc" / "faulty").iterdir()
    assert not (run_dir / SCORECARD_JSON).exists()


@pytest.mark.parametrize("dead", ["refused", "html"])
def test_a_dead_vendor_fails_within_seconds_without_load_or_scorecard(
    tmp_path: Path, small_corpus: Corpus, capsys: pytest.CaptureFixture[str], dead: str
) -> None:
    with FaultVendor(Faults(html=True)) as vendor:
        url = vendor.url if dead == "html" else f"http://127.0.0.1:{closed_port()}/recognize"
        vendors_toml(tmp_path, url)
        start = time.monotonic()
        code = main(["run", "--vendor", "faulty", "--corpus", str(small_corpus.root), "--no-privacy",
                     "--vendors-config", str(tmp_path / "vendors.toml"), "--scorecard-dir", str(tmp_path / "sc")])
    assert code != 0 and time.monotonic() - start < 10
    assert ("transport" if dead == "refused" else "protocol") in capsys.readouterr().err
    (run_dir,) = (tmp_path / "sc" / "faulty").iterdir()
    assert not (run_dir / SCORECARD_JSON).exists()
    assert not any(r["type"] == "load" for r in records(run_dir))


def test_a_token_echoed_by_the_vendor_is_in_no_output(
    tmp_path: Path, small_corpus: Corpus, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "pbtest-SECRET-9f8e7d6c5b4a"
    monkeypatch.setenv("FAULTY_TOKEN", token)
    with FaultVendor(Faults(status=401)) as vendor:
        vendors = vendors_toml(tmp_path, vendor.url, "platerecognizer", 'token_env = "FAULTY_TOKEN"\nrate_limit_per_s = 1000\n')
        code = main(["run", "--vendor", "faulty", "--corpus", str(small_corpus.root), "--no-privacy", "--no-load",
                     "--vendors-config", str(vendors), "--scorecard-dir", str(tmp_path / "sc")])
        assert vendor.received >= 10
    err = capsys.readouterr().err
    assert code != 0 and "HTTP 401 (auth)" in err
    (run_dir,) = (tmp_path / "sc" / "faulty").iterdir()
    journal = (run_dir / "journal.jsonl").read_text(encoding="utf-8")
    assert "invalid credentials" in journal  # the vendor's message is kept...
    assert token not in journal and token not in err  # ...without the token


def test_a_huge_answer_is_parsed_off_the_event_loop_and_still_counts(tmp_path: Path, small_corpus: Corpus) -> None:
    """Answers over 64 KiB are parsed in a worker thread, so their parsing holds up no other call's clock."""
    from fault_vendor import ThreadRecordingStub

    ThreadRecordingStub.parsed.clear()
    with FaultVendor(Faults(padding={3: 2_000_000})) as vendor:
        vendors = tmp_path / "vendors.toml"
        vendors.write_text(f'[vendors.faulty]\nadapter = "fault_vendor:ThreadRecordingStub"\nurl = "{vendor.url}"\n',
                           encoding="utf-8")
        result = run(RunRequest(vendor="faulty", corpus_path=small_corpus.root, limit=N, scorecard_dir=tmp_path / "sc",
                                vendors_file=vendors, privacy=False, load=False, concurrency=2))
    assert result.document["results"]["accuracy"]["errors"]["failed"] == 0
    big = [on_main for size, on_main in ThreadRecordingStub.parsed if size > 64 * 1024]
    small = [on_main for size, on_main in ThreadRecordingStub.parsed if size <= 64 * 1024]
    assert big == [False] and len(small) == N - 1 and all(small)
