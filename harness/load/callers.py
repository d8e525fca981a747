"""Callers: how a load scenario sends query ``i`` to a vendor; each returns a ``CallOutcome``.

Queries cycle over a list of :class:`~harness.calls.single.CallTarget` (corpus samples, or images
in memory). Load runs measure the service, not accuracy; every query's error kind is still kept.

- :func:`http_caller`: a sans-I/O ``HttpAdapter`` sent through :class:`harness.transport.AsyncTransport`
  by the call path's :func:`~harness.calls.single.call_http`. Each image's request is built and
  serialised once, at its first query, when building it twice gives the same bytes (an adapter
  that puts a nonce in each request is asked every time); every answer is parsed by the adapter,
  so each query's outcome is its own.
- :func:`pool_caller`: an in-process engine called through the run's
  :class:`~harness.calls.pool.CallPool` (the workers the accuracy pass used). The server
  scenario's concurrency is then bounded by the pool's width: queries beyond it wait in the pool's
  queue, and that wait is counted in their latency (from the scheduled send time).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from harness.calls.pool import CallPool
from harness.calls.single import CallTarget, call_http
from harness.load.scenarios import Caller
from harness.outcome import CallOutcome
from harness.transport import AsyncTransport, PreparedRequest, RetryPolicy
from vendor_adapters.base import HttpAdapter, Image

REUSE_LIMIT_BYTES = 256 * 1024 * 1024
"""Serialised requests kept for reuse at most (beyond it, requests are built per query)."""


def http_caller(
    adapter: HttpAdapter,
    targets: Sequence[CallTarget],
    transport: AsyncTransport,
    policy: RetryPolicy | None = None,
    reuse_requests: bool = True,
) -> Caller:
    """Send ``targets[i % len(targets)]`` through ``adapter`` and ``transport`` (unpaced: a load run
    measures what the vendor does at the offered rate). With ``reuse_requests`` each image's
    request is built once (see the module docstring)."""
    if not targets:
        raise ValueError("no images to send")
    images = [t.load_image() for t in targets]
    built: dict[int, tuple[httpx.Request, PreparedRequest] | None] = {}
    kept = 0

    def reusable(j: int) -> tuple[httpx.Request, PreparedRequest] | None:
        nonlocal kept
        if j not in built:
            entry = _build_twice(adapter, images[j]) if reuse_requests else None
            if entry is not None and kept + len(entry[1].data) > REUSE_LIMIT_BYTES:
                entry = None
            kept += len(entry[1].data) if entry else 0
            built[j] = entry
        return built[j]

    async def call(i: int) -> CallOutcome:
        j = i % len(images)
        return await call_http(adapter, targets[j], transport, policy=policy, built=reusable(j))

    return call


def _build_twice(adapter: HttpAdapter, image: Image) -> tuple[httpx.Request, PreparedRequest] | None:
    """``image``'s request and its wire form if two builds agree byte for byte, else ``None``
    (a build that fails is left to the query, which records the failure)."""
    try:
        request = adapter.build_request(image)
        prepared = AsyncTransport.prepare(request)
        same = AsyncTransport.prepare(adapter.build_request(image)).data == prepared.data
    except Exception:  # noqa: BLE001 - the query itself builds again and records the error
        return None
    return (request, prepared) if same else None


def pool_caller(pool: CallPool, targets: Sequence[CallTarget]) -> Caller:
    """Call the engine on ``targets[i % len(targets)]`` in ``pool`` (a dead worker: ``adapter_crash``)."""
    if not targets:
        raise ValueError("no images to send")

    async def call(i: int) -> CallOutcome:
        return await pool.call(targets[i % len(targets)])

    return call
