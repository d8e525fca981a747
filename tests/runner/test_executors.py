"""Call strategies: every sample exactly once, failures recorded as outcomes, the run goes on."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from scripted_vendor import ScriptedAdapter, ScriptedPoolAdapter, script

from harness.calls.pool import CallPool
from harness.corpus.model import Corpus
from harness.outcome import CallOutcome
from harness.runner.executors import Strategy, choose_strategy, execute
from vendor_adapters.base import Capabilities, HttpAdapter, Image, Read, Recognition
from vendor_adapters.http import json_body, raise_for_vendor_status
from vendor_adapters.registry import AdapterFactory

PLAN = ("right", "wrong", "none", "timeout", "protocol", "crash")


def collect(strategy: Strategy, adapter: Any, class_path: str, config: dict[str, Any], corpus: Corpus):
    seen: list[tuple[CallOutcome, dict[str, Any]]] = []
    with CallPool(AdapterFactory(class_path, config), adapter, strategy.concurrency) as pool:
        execute(strategy, pool, corpus.samples, lambda o, extra: seen.append((o, extra)))
    return seen


def test_sequential_records_vendor_errors_and_adapter_bugs_and_goes_on(small_corpus: Corpus) -> None:
    adapter = ScriptedAdapter(script(small_corpus.samples, PLAN))
    strategy = choose_strategy(adapter, None)
    assert strategy == Strategy("sequential", 1, "client")
    seen = collect(strategy, adapter, "", {}, small_corpus)
    outcomes = {o.sample_id: o for o, _ in seen}
    assert sorted(outcomes) == sorted(s.id for s in small_corpus.samples) and len(seen) == len(small_corpus)
    kinds = Counter(o.error_kind for o in outcomes.values())
    assert kinds == {None: 6, "timeout": 2, "protocol": 2, "adapter_crash": 2}
    crash = next(o for o in outcomes.values() if o.error_kind == "adapter_crash")
    assert crash.error_message == "KeyError: 'boom'" and crash.recognition is None
    assert all(o.client_ms >= 0 and o.started_at.endswith("Z") for o in outcomes.values())


def test_process_pool_runs_each_sample_once_and_survives_a_dying_worker(tmp_path, small_corpus: Corpus) -> None:
    answers = script(small_corpus.samples, ("right", "right", "wrong"))
    victim = small_corpus.samples[4]
    answers[victim.sha256] = {"error": "die"}
    answers_path = tmp_path / "answers.json"
    answers_path.write_text(json.dumps(answers), encoding="utf-8")
    config = {"answers": str(answers_path)}
    adapter = ScriptedPoolAdapter.from_config(config, {})
    strategy = choose_strategy(adapter, 2)
    assert strategy == Strategy("pool", 2, "worker")
    seen = collect(strategy, adapter, "scripted_vendor:ScriptedPoolAdapter", config, small_corpus)
    ids = Counter(o.sample_id for o, _ in seen)
    assert set(ids) == {s.id for s in small_corpus.samples} and set(ids.values()) == {1}
    died = {o.sample_id: o for o, _ in seen if o.error_kind == "adapter_crash"}
    assert victim.id in died and "worker process" in died[victim.id].error_message
    # Only images in flight with the dying worker (at most the pool width) go down with it.
    assert len(died) <= 2
    ok = [(o, extra) for o, extra in seen if o.ok]
    assert ok and all(extra["roundtrip_ms"] >= o.client_ms for o, extra in ok)


class _Vendor(BaseHTTPRequestHandler):
    """A loopback vendor: reads the plate from the request, misbehaves for some images."""

    in_flight = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        with _Vendor.lock:
            _Vendor.in_flight += 1
            _Vendor.peak = max(_Vendor.peak, _Vendor.in_flight)
        _Vendor.release.wait(0.05)  # hold the request a moment so concurrent ones overlap
        with _Vendor.lock:
            _Vendor.in_flight -= 1
        last = body[-1] % 3
        if last == 0:
            self._send(200, json.dumps({"plates": [{"text": "ab 123", "score": 88}], "ms": 4.0}).encode())
        elif last == 1:
            self._send(500, b"internal error")
        else:
            self._send(200, b'{"plates": [')

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class LoopbackAdapter(HttpAdapter):
    name: ClassVar[str] = "loopback"
    capabilities: ClassVar[Capabilities] = Capabilities(kind="http", async_io=True, max_concurrency=3)

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def build_request(self, image: Image) -> httpx.Request:
        return httpx.Request("POST", self.url, content=image.data)

    def parse_response(self, response: httpx.Response) -> Recognition:
        raise_for_vendor_status(response)
        data = json_body(response)
        reads = tuple(Read(p["text"].upper().replace(" ", ""), p["score"] / 100) for p in data["plates"])
        return Recognition(reads, vendor_ms=data["ms"])


@pytest.fixture
def loopback_vendor() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vendor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Vendor.peak = 0
    yield f"http://127.0.0.1:{server.server_address[1]}/read"
    server.shutdown()
    server.server_close()


def test_network_adapter_runs_on_asyncio_within_its_concurrency(small_corpus: Corpus, loopback_vendor: str) -> None:
    adapter = LoopbackAdapter(loopback_vendor)
    strategy = choose_strategy(adapter, None)
    assert strategy == Strategy("async", 3, "client")
    seen = collect(strategy, adapter, "", {}, small_corpus)
    adapter.close()
    outcomes = {o.sample_id: o for o, _ in seen}
    assert len(seen) == len(outcomes) == len(small_corpus)
    assert 1 < _Vendor.peak <= 3
    expected = Counter(
        {0: None, 1: "http_status", 2: "protocol"}[s.path.read_bytes()[-1] % 3] for s in small_corpus.samples
    )
    assert Counter(o.error_kind for o in outcomes.values()) == expected
    good = [o for o in outcomes.values() if o.ok]
    assert all(o.reads[0].text == "AB123" and o.vendor_ms == 4.0 for o in good)
