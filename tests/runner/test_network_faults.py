"""``platebench run`` against real misbehaving loopback vendors: every fault kind ends as a recorded
outcome under its kind, the run completes, and every sample is counted exactly once (retries too).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from harness.corpus.model import Corpus
from harness.load.stub_server import StubOptions, StubServer, closed_port
from harness.runner.journal import read_journal
from harness.runner.run import RunError, RunRequest, RunResult, prepare, run

LIMIT = 6

FAULTS = {  # stub route (or a way of reaching no server) -> (error kind, failed calls out of LIMIT)
    "stall": ("timeout", LIMIT),  # nothing ever comes: the read time-out
    "reset": ("transport", LIMIT),
    "quota-retry-after": ("quota", LIMIT),
    "quota": ("quota", LIMIT),
    "burst-5xx": ("http_status", 5),  # 5 x 503, then good answers
    "non-json": ("protocol", LIMIT),
    "truncated-json": ("protocol", LIMIT),
    "wrong-shape": ("protocol", LIMIT),
    "oversized": ("protocol", LIMIT),
    "oversized-chunked": ("protocol", LIMIT),
    "slow-drip": ("timeout", LIMIT),  # a byte every 0.2 s: only the total deadline stops it
    "refused": ("transport", LIMIT),
    "tls": ("transport", LIMIT),  # https:// to a plain-HTTP server
}


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer(StubOptions(service_ms=1.0)) as server:
        yield server


def vendors_toml(folder: Path, url: str, **keys: float) -> Path:
    path = folder / "vendors.toml"
    extra = "".join(f"{k} = {v}\n" for k, v in keys.items())
    path.write_text(f'[vendors.stub]\nadapter = "stub"\nurl = "{url}"\n{extra}', encoding="utf-8")
    return path


def run_stub(tmp_path: Path, corpus: Corpus, url: str, **kwargs: object) -> RunResult:
    vendors = vendors_toml(tmp_path, url, connect_timeout=2, read_timeout=0.5, total_timeout=1.5)
    return run(RunRequest(vendor="stub", corpus_path=corpus.root, limit=LIMIT, scorecard_dir=tmp_path / "sc",
                          vendors_file=vendors, privacy=False, load=False, **kwargs))  # type: ignore[arg-type]


def call_records(result: RunResult) -> list[dict[str, object]]:
    lines = result.journal_path.read_text(encoding="utf-8").splitlines()
    return [record for line in lines if (record := json.loads(line))["type"] == "call"]


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_recorded_under_its_kind_and_no_sample_is_lost_or_doubled(
    tmp_path: Path, small_corpus: Corpus, stub: StubServer, fault: str
) -> None:
    url = {
        "refused": f"http://127.0.0.1:{closed_port()}/recognize",
        "tls": f"https://127.0.0.1:{stub.port}/recognize",
    }.get(fault, f"{stub.url}/fault/{fault}")
    result = run_stub(tmp_path, small_corpus, url)
    kind, failed = FAULTS[fault]
    errors = result.document["results"]["errors"]
    assert errors["calls"] == LIMIT and errors["by_kind"] == {kind: failed}
    assert errors["ok"] == LIMIT - failed
    records = call_records(result)
    assert Counter(r["sample_id"] for r in records) == Counter({s.id: 1 for s in small_corpus.samples[:LIMIT]})
    assert set(result.document["samples"]) == {s.sha256 for s in small_corpus.samples[:LIMIT]}
    transport = result.document["provenance"]["options"]["transport"]
    assert (transport["connect_timeout_s"], transport["read_timeout_s"], transport["total_timeout_s"]) == (2, 0.5, 1.5)
    assert result.document["provenance"]["options"]["retry"]["max_attempts"] == 1


def test_a_good_vendor_is_read_through_the_async_transport(tmp_path: Path, small_corpus: Corpus, stub: StubServer) -> None:
    result = run_stub(tmp_path, small_corpus, f"{stub.url}/recognize")
    assert result.document["results"]["errors"] == {"calls": LIMIT, "ok": LIMIT, "by_kind": {}, "availability": 1.0}
    outcomes = read_journal(result.journal_path).outcomes
    assert all(o.reads[0].text == "STUB123" and o.vendor_ms is not None for o in outcomes.values())


def test_retries_journal_every_attempt_and_count_each_sample_once(
    tmp_path: Path, small_corpus: Corpus, stub: StubServer
) -> None:
    # 4 samples at once: requests 1-4 get 503, the retries are requests 5-8: the 5th gets 503, 6-8 succeed.
    vendors = vendors_toml(tmp_path, f"{stub.url}/fault/burst-5xx")
    result = run(RunRequest(vendor="stub", corpus_path=small_corpus.root, limit=4, scorecard_dir=tmp_path / "sc",
                            vendors_file=vendors, privacy=False, load=False, retries=1))
    records = call_records(result)
    assert len(records) == 8 and Counter(r["sample_id"] for r in records) == Counter(
        {s.id: 2 for s in small_corpus.samples[:4]})
    first, second = [r for r in records if r["attempt"] == 1], [r for r in records if r["attempt"] == 2]
    assert all(r["retried"] for r in first) and not any("retried" in r for r in second)
    assert result.document["results"]["errors"] == {
        "calls": 4, "ok": 3, "by_kind": {"http_status": 1}, "availability": 0.75}
    assert result.document["provenance"]["options"]["retry"]["max_attempts"] == 2


def test_a_retry_still_due_when_the_run_stopped_is_sent_again_on_resume(
    tmp_path: Path, small_corpus: Corpus, stub: StubServer
) -> None:
    result = run_stub(tmp_path, small_corpus, f"{stub.url}/recognize")
    journal = result.journal_path
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    last_call = max(i for i, line in enumerate(lines) if '"type":"call"' in line)
    pending = json.loads(lines[last_call])
    pending.update(retried=True, error_kind="transport", error_message="reset", reads=None)
    journal.write_text("".join([*lines[:last_call], json.dumps(pending) + "\n"]), encoding="utf-8")
    again = prepare(RunRequest(vendor="stub", resume=result.document["provenance"]["run_id"],
                               scorecard_dir=tmp_path / "sc", vendors_file=tmp_path / "vendors.toml"))
    assert [s.id for s in again.todo] == [pending["sample_id"]]
    again.adapter.close()


def test_timeouts_come_from_vendors_toml_and_the_command_line_wins(tmp_path: Path, small_corpus: Corpus) -> None:
    vendors = vendors_toml(tmp_path, "http://127.0.0.1:9/recognize", connect_timeout=3, read_timeout=7)
    base = {"vendor": "stub", "corpus_path": small_corpus.root, "scorecard_dir": tmp_path / "sc",
            "vendors_file": vendors, "privacy": False, "load": False}
    from_file = prepare(RunRequest(**base))  # type: ignore[arg-type]
    overridden = prepare(RunRequest(read_timeout=2.5, **base))  # type: ignore[arg-type]
    for prepared in (from_file, overridden):
        prepared.adapter.close()
    assert (from_file.strategy.transport.connect_timeout_s, from_file.strategy.transport.read_timeout_s) == (3, 7)
    assert overridden.header["options"]["transport"]["read_timeout_s"] == 2.5
    vendors.write_text(vendors.read_text(encoding="utf-8") + "total_timeout = -1\n", encoding="utf-8")
    with pytest.raises(Exception, match="vendors.stub.total_timeout: must be a positive number"):
        prepare(RunRequest(**base))  # type: ignore[arg-type]


class _PlateRecognizerSdk(BaseHTTPRequestHandler):
    """Answers like Plate Recognizer's on-premise SDK (no plate) and notes when each request arrived."""

    arrivals: ClassVar[list[float]] = []

    def do_POST(self) -> None:
        _PlateRecognizerSdk.arrivals.append(time.monotonic())
        self.rfile.read(int(self.headers["content-length"]))
        body = json.dumps({"processing_time": 12.5, "results": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


def test_the_async_path_keeps_plate_recognizers_client_side_rate_limit(tmp_path: Path, small_corpus: Corpus) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PlateRecognizerSdk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _PlateRecognizerSdk.arrivals = []
    try:
        path = tmp_path / "vendors.toml"
        path.write_text(
            f'[vendors.pr]\nadapter = "platerecognizer"\nbase_url = "http://127.0.0.1:{server.server_address[1]}"\n'
            "rate_limit_per_s = 5\n", encoding="utf-8")
        result = run(RunRequest(vendor="pr", corpus_path=small_corpus.root, limit=6, scorecard_dir=tmp_path / "sc",
                                vendors_file=path, privacy=False, load=False))
    finally:
        server.shutdown()
        server.server_close()
    assert result.document["provenance"]["options"]["concurrency"] == 8  # 8 lanes, yet one send per 0.2 s
    assert result.document["results"]["errors"]["ok"] == 6
    gaps = [b - a for a, b in zip(_PlateRecognizerSdk.arrivals, _PlateRecognizerSdk.arrivals[1:], strict=False)]
    assert len(gaps) == 5 and min(gaps) > 0.18  # 0.2 s apart, less loopback jitter


def test_load_scenarios_of_a_network_vendor_are_journaled_scored_and_rescored(
    tmp_path: Path, small_corpus: Corpus, stub: StubServer
) -> None:
    from harness.runner.run import rescore

    vendors = vendors_toml(tmp_path, f"{stub.url}/recognize")
    done = run(RunRequest(vendor="stub", corpus_path=small_corpus.root, limit=LIMIT, scorecard_dir=tmp_path / "sc",
                          vendors_file=vendors, privacy=False, scenarios=("server", "offline"), target_qps=100,
                          queries=60, latency_bound_ms=500, seed=3))
    load = {s["scenario"]: s for s in done.document["results"]["load"]}
    assert load["server"]["n"] == load["offline"]["n"] == 60 and load["server"]["target_qps"] == 100
    assert load["server"]["availability"] == 1.0 and load["server"]["errors"] == {}
    assert done.document["provenance"]["options"]["load"]["seed"] == 3
    assert read_journal(done.journal_path).load is not None
    markdown = done.markdown_path.read_text(encoding="utf-8")
    assert "## How fast under load?" in markdown and "p99 <= 500 ms" in markdown
    assert rescore(done.run_dir).document == done.document
    # What is not given comes from the default rubric's [load.network] table.
    defaults = prepare(RunRequest(vendor="stub", corpus_path=small_corpus.root, scorecard_dir=tmp_path / "sc",
                                  vendors_file=vendors, privacy=False, latency_bound_ms=900))
    defaults.adapter.close()
    assert defaults.load is not None and defaults.load.scenarios == ("server",)
    assert (defaults.load.target_qps, defaults.load.duration_s, defaults.load.latency_bound_ms) == (5, 180, 900)
    with pytest.raises(RunError, match="cannot resume .* with --seed 4"):
        prepare(RunRequest(vendor="stub", resume=done.document["provenance"]["run_id"], seed=4,
                           scorecard_dir=tmp_path / "sc", vendors_file=vendors))
