"""Load callers build each image's request once when the adapter's builds agree, ask the adapter
every time when they do not, and parse every answer; load runs record the event loop they used."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import httpx
import pytest

from harness.calls.pool import CallPool
from harness.calls.single import ImageTarget
from harness.load.callers import http_caller
from harness.load.eventloop import loop_name
from harness.load.eventloop import run as run_on_loop
from harness.load.plan import LoadPlan, run_load
from harness.load.scenarios import LoadResult, run_single_stream
from harness.load.stub_adapter import StubAdapter
from harness.load.stub_server import StubOptions, StubServer
from harness.transport import AsyncTransport
from vendor_adapters.base import Image
from vendor_adapters.registry import AdapterFactory

IMAGES = [ImageTarget(Image(b"\xff\xd8 first", name="a.jpg")), ImageTarget(Image(b"\xff\xd8 second", name="b.jpg"))]


class CountingAdapter(StubAdapter):
    """The stub adapter, counting builds; with ``nonce`` every request carries a fresh header."""

    def __init__(self, url: str, nonce: bool = False, broken: bytes | None = None) -> None:
        super().__init__(url)
        self.builds = 0
        self.nonce = itertools.count() if nonce else None
        self.broken = broken

    def build_request(self, image: Image) -> httpx.Request:
        self.builds += 1
        if image.data == self.broken:
            raise RuntimeError("adapter bug")
        request = super().build_request(image)
        if self.nonce is not None:
            request.headers["X-Nonce"] = str(next(self.nonce))
        return request


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    with StubServer(StubOptions(service_ms=0.5)) as server:
        yield server


def measure(adapter: StubAdapter, queries: int, reuse: bool = True) -> LoadResult:
    async def go() -> LoadResult:
        async with AsyncTransport() as transport:
            call = http_caller(adapter, IMAGES, transport, reuse_requests=reuse)
            return await run_single_stream(call, queries=queries)

    return asyncio.run(go())


def test_each_image_is_built_once_when_two_builds_agree(stub: StubServer) -> None:
    adapter = CountingAdapter(f"{stub.url}/recognize")
    result = measure(adapter, 10)
    assert result.n == 10 and not result.errors
    assert adapter.builds == 2 * len(IMAGES)  # two builds per image to compare, then reuse


def test_an_adapter_whose_requests_differ_is_asked_every_time(stub: StubServer) -> None:
    adapter = CountingAdapter(f"{stub.url}/recognize", nonce=True)
    result = measure(adapter, 10)
    assert result.n == 10 and not result.errors
    assert adapter.builds == 2 * len(IMAGES) + 10


def test_reuse_can_be_turned_off(stub: StubServer) -> None:
    adapter = CountingAdapter(f"{stub.url}/recognize")
    measure(adapter, 10, reuse=False)
    assert adapter.builds == 10


def test_a_build_that_fails_is_recorded_per_query_not_lost(stub: StubServer) -> None:
    adapter = CountingAdapter(f"{stub.url}/recognize", broken=IMAGES[1].image.data)
    result = measure(adapter, 10)
    assert result.n == 10
    assert result.errors == {"adapter_crash": 5}  # queries 1, 3, 5, 7, 9 use the broken image


def test_every_answer_is_parsed_with_reused_requests(stub: StubServer) -> None:
    # bursts of 5 answers: 5 x 503, 5 x good, ... every answer is classified on its own
    result = measure(CountingAdapter(f"{stub.url}/fault/burst-5xx"), 20)
    assert result.n == 20
    assert result.errors == {"http_status": 10}


def test_the_event_loop_is_uvloop_when_installed_and_can_be_refused() -> None:
    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run_on_loop(which(), use_uvloop=False).startswith("asyncio")
    assert loop_name(use_uvloop=False) == "asyncio"
    pytest.importorskip("uvloop")
    assert run_on_loop(which()).startswith("uvloop")
    assert loop_name().startswith("uvloop ")


@pytest.mark.parametrize("reuse", [True, False])
def test_load_results_record_the_event_loop_and_request_reuse(stub: StubServer, reuse: bool) -> None:
    plan = LoadPlan(scenarios=("single-stream",), queries=5, reuse_requests=reuse)
    factory = AdapterFactory("stub", {"url": f"{stub.url}/recognize"})
    adapter = factory()
    with CallPool(factory, adapter, workers=1) as pool:
        [result] = run_load(plan, adapter, IMAGES, pool)
    assert result.n == 5 and not result.errors
    assert result.details["event_loop"] == loop_name()
    assert result.details["plan"]["reuse_requests"] is reuse
