"""Callers: how a load scenario sends query ``i`` to a vendor.

Images cycle over a corpus's samples, loaded once (load runs measure the service, not accuracy;
every query's error kind is still kept).

- :func:`http_caller`: a sans-I/O ``HttpAdapter`` sent through :class:`harness.transport.AsyncTransport`.
  Each image's request is built and serialised once, at its first query, when building it twice
  gives the same bytes (an adapter that puts a nonce in each request is asked every time); every
  answer is parsed by the adapter, so each query's outcome is its own.
- :func:`pool_caller`: an in-process adapter (e.g. ``reference``) run in a process pool (or a
  thread pool for adapters that release the GIL), one adapter per worker. The server scenario's
  concurrency is then bounded by the pool size: queries beyond it wait in the pool's queue, and
  that wait is counted in their latency (from the scheduled send time).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from harness.load.http1 import PreparedRequest
from harness.load.scenarios import Caller
from harness.transport import AsyncTransport, Attempt, CallResult, RetryPolicy, call_adapter
from vendor_adapters.base import Adapter, HttpAdapter, Image, Recognition
from vendor_adapters.errors import AdapterCrash, VendorError

REUSE_LIMIT_BYTES = 256 * 1024 * 1024
"""Serialised requests kept for reuse at most (beyond it, requests are built per query)."""


def http_caller(
    adapter: HttpAdapter,
    images: Sequence[Image],
    transport: AsyncTransport,
    policy: RetryPolicy | None = None,
    reuse_requests: bool = True,
) -> Caller:
    """Send ``images[i % len(images)]`` through ``adapter`` and ``transport``.

    With ``reuse_requests`` each image's request is built once (see the module docstring)."""
    if not images:
        raise ValueError("no images to send")
    policy = policy or RetryPolicy()
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

    async def call(i: int) -> CallResult:
        j = i % len(images)
        return await call_adapter(adapter, images[j], transport, policy, reusable(j))

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


_worker_adapter: Adapter | None = None


def _init_worker(name: str, config: Mapping[str, Any]) -> None:
    global _worker_adapter
    from vendor_adapters.registry import create_adapter

    _worker_adapter = create_adapter(name, config)


def _recognize_in_worker(image: Image) -> tuple[Recognition | None, VendorError | None, float]:
    assert _worker_adapter is not None
    start = time.perf_counter()
    try:
        recognition = _worker_adapter.recognize(image)
        return recognition, None, (time.perf_counter() - start) * 1e3
    except VendorError as exc:
        return None, exc, (time.perf_counter() - start) * 1e3
    except Exception as exc:  # noqa: BLE001 - an adapter bug is a recorded outcome
        return None, AdapterCrash(f"{type(exc).__name__}: {exc}"), (time.perf_counter() - start) * 1e3


def make_pool(name: str, config: Mapping[str, Any], workers: int, processes: bool = True) -> concurrent.futures.Executor:
    """An executor whose every worker holds its own adapter ``name`` built from ``config``."""
    cls = concurrent.futures.ProcessPoolExecutor if processes else concurrent.futures.ThreadPoolExecutor
    if processes:
        return cls(max_workers=workers, initializer=_init_worker, initargs=(name, dict(config)))
    _init_worker(name, config)  # threads share one adapter instance
    return cls(max_workers=workers)


def pool_caller(executor: concurrent.futures.Executor, images: Sequence[Image]) -> Caller:
    """Run ``recognize`` on ``images[i % len(images)]`` in ``executor`` (see :func:`make_pool`)."""
    if not images:
        raise ValueError("no images to send")

    async def call(i: int) -> CallResult:
        loop = asyncio.get_running_loop()
        try:
            recognition, error, ms = await loop.run_in_executor(
                executor, _recognize_in_worker, images[i % len(images)]
            )
        except concurrent.futures.BrokenExecutor as exc:
            return CallResult(None, AdapterCrash(f"worker died: {exc}"), (Attempt(1, 0.0, "adapter_crash"),))
        kind = error.kind if error else None
        return CallResult(recognition, error, (Attempt(1, ms, kind, error.message if error else None),))

    return call
