"""Coordinated omission: a vendor that stops answering for 1 s must show in the open-loop p99.

The stub answers in 5 ms, except once, for one second, when it answers nothing (answers due in
that window leave when it ends). Open loop at 100 queries/s, about 100 queries are *scheduled*
during the stall; each waited up to a second, so roughly the slowest 10% of 1,000 queries are
slow, and p99 is several hundred milliseconds. Closed loop (single-stream) only the one query in
flight waits; the next is not sent until it returns, so the stall hides in the max and the p99
stays near the service time. The 1 s stall dwarfs scheduling noise, so the bounds are robust.
"""

from __future__ import annotations

import asyncio

import pytest

from harness.calls.single import ImageTarget
from harness.load.callers import http_caller
from harness.load.scenarios import LoadResult, run_server, run_single_stream
from harness.load.stub_adapter import StubAdapter
from harness.load.stub_server import StubOptions, StubServer
from harness.transport import AsyncTransport
from vendor_adapters.base import Image

IMAGES = [ImageTarget(Image(b"jpeg-ish" * 100))]


def measure(open_loop: bool, duration_s: float, stall_after_s: float) -> LoadResult:
    options = StubOptions(service_ms=5.0, stall_after_s=stall_after_s, stall_s=1.0)
    with StubServer(options) as stub:

        async def go() -> LoadResult:
            async with AsyncTransport() as transport:
                call = http_caller(StubAdapter(f"{stub.url}/recognize"), IMAGES, transport)
                if open_loop:
                    return await run_server(call, target_qps=100, duration_s=duration_s, seed=11)
                return await run_single_stream(call, duration_s=duration_s)

        return asyncio.run(go())


@pytest.mark.slow
def test_open_loop_p99_shows_the_stall_closed_loop_hides_it() -> None:
    server = measure(open_loop=True, duration_s=10.0, stall_after_s=4.0)
    closed = measure(open_loop=False, duration_s=4.0, stall_after_s=1.5)

    assert not server.errors and not closed.errors
    assert server.n > 800  # ~1,000 Poisson arrivals in 10 s at 100/s
    assert server.latency_ms["p99"] > 300.0  # the queries scheduled during the stall waited
    assert server.latency_ms["max"] > 900.0

    assert closed.latency_ms["max"] > 900.0  # the stall happened to the closed loop too...
    assert closed.latency_ms["p99"] < 100.0  # ...but only one query saw it
