"""Every fault kind against a real misbehaving loopback server: the run completes, the fault is
recorded under its kind, and every query is counted exactly once. Each test runs on asyncio's own
event loop and on uvloop (what load runs use when it is installed): their transports differ."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.calls.single import ImageTarget
from harness.load.callers import http_caller
from harness.load.eventloop import run as run_on_loop
from harness.load.scenarios import LoadResult, run_server, run_single_stream
from harness.load.stub_adapter import StubAdapter
from harness.load.stub_server import StubOptions, StubServer, closed_port
from harness.transport import AsyncTransport, RetryPolicy, TransportConfig
from vendor_adapters.base import Image

IMAGES = [ImageTarget(Image(b"\xff\xd8 not really a jpeg " * 50, name="a.jpg")), ImageTarget(Image(b"second" * 100, name="b.jpg"))]
FAST = TransportConfig(connect_timeout_s=1.0, read_timeout_s=0.4, total_timeout_s=0.8)


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    with StubServer(StubOptions(service_ms=1.0, burst=3, drip_interval_s=0.1)) as server:
        yield server


Run = Callable[..., LoadResult]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    """``run(url, queries, policy=None, server_qps=None)`` on the parametrized event loop."""
    if request.param == "uvloop":
        pytest.importorskip("uvloop")

    def measure(url: str, queries: int, *, policy: RetryPolicy | None = None,
                server_qps: float | None = None) -> LoadResult:
        async def go() -> LoadResult:
            async with AsyncTransport(FAST) as transport:
                call = http_caller(StubAdapter(url), IMAGES, transport, policy)
                if server_qps:
                    return await run_server(call, target_qps=server_qps, queries=queries, seed=7)
                return await run_single_stream(call, queries=queries)

        return run_on_loop(go(), use_uvloop=request.param == "uvloop")

    return measure


def assert_counted_once(result: LoadResult, queries: int) -> None:
    ok = result.n - sum(result.errors.values())
    assert result.n == queries
    assert ok >= 0
    assert result.details["attempts"] == queries  # retries off: one attempt per query
    assert result.details["retries"] == 0


CASES = [
    ("fault/stall", "timeout", 2),
    ("fault/reset", "transport", 6),
    ("fault/quota-retry-after", "quota", 6),
    ("fault/quota", "quota", 6),
    ("fault/non-json", "protocol", 6),
    ("fault/truncated-json", "protocol", 6),
    ("fault/wrong-shape", "protocol", 6),
    ("fault/oversized", "protocol", 3),
    ("fault/oversized-chunked", "protocol", 3),
    ("fault/slow-drip", "timeout", 2),
]


@pytest.mark.parametrize(("route", "kind", "queries"), CASES, ids=[c[0].split("/")[1] for c in CASES])
def test_fault_is_recorded_under_its_kind(
    run: Run, stub: StubServer, route: str, kind: str, queries: int
) -> None:
    result = run(f"{stub.url}/{route}", queries)
    assert_counted_once(result, queries)
    assert result.errors == {kind: queries}
    assert result.latency_ms["p50"] is None  # no success, no success latency
    assert result.timeouts == (queries if kind == "timeout" else 0)


def test_connection_refused_is_a_transport_error(run: Run) -> None:
    result = run(f"http://127.0.0.1:{closed_port()}/recognize", 4)
    assert_counted_once(result, 4)
    assert result.errors == {"transport": 4}


def test_tls_error_is_a_transport_error(run: Run, stub: StubServer) -> None:
    result = run(stub.url.replace("http://", "https://") + "/recognize", 3)
    assert_counted_once(result, 3)
    assert result.errors == {"transport": 3}


def test_5xx_bursts_split_exactly_between_errors_and_answers(run: Run, stub: StubServer) -> None:
    # bursts of 3: queries 0-2 fail, 3-5 succeed, 6-8 fail, 9-11 succeed
    result = run(f"{stub.url}/fault/burst-5xx", 12)
    assert_counted_once(result, 12)
    assert result.errors == {"http_status": 6}
    assert result.latency_ms["p50"] is not None


def test_open_loop_run_against_a_faulty_server_loses_nothing(run: Run, stub: StubServer) -> None:
    result = run(f"{stub.url}/fault/reset", 40, server_qps=400)
    assert_counted_once(result, 40)
    assert result.errors == {"transport": 40}
    assert result.details["seed"] == 7


def test_retries_are_recorded_but_each_query_counts_once(run: Run, stub: StubServer) -> None:
    policy = RetryPolicy(max_attempts=3, backoff_s=0.01, max_backoff_s=0.02)
    result = run(f"{stub.url}/fault/quota-retry-after", 4, policy=policy)
    assert result.n == 4
    assert result.errors == {"quota": 4}
    assert result.details["attempts"] == 12
    assert result.details["retries"] == 8


def test_retry_policy_honours_retry_after_up_to_its_cap() -> None:
    from vendor_adapters.errors import QuotaError, TransportError

    policy = RetryPolicy(max_attempts=3, backoff_s=0.5, max_backoff_s=5.0)
    assert policy.delay_s(1, QuotaError("429", 429, retry_after=2.0)) == 2.0
    assert policy.delay_s(1, QuotaError("429", 429, retry_after=60.0)) == 5.0
    assert policy.delay_s(1, QuotaError("429", 429)) == 0.5
    assert policy.delay_s(3, TransportError("reset")) == 2.0
    assert policy.to_json()["max_attempts"] == 3
