"""Callers: how a load scenario sends query ``i`` to a vendor.

Images cycle over a corpus's samples, loaded once (load runs measure the service, not accuracy;
every query's error kind is still kept).

- :func:`http_caller`: a sans-I/O ``HttpAdapter`` sent through :class:`harness.transport.AsyncTransport`.
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

from harness.load.scenarios import Caller
from harness.transport import AsyncTransport, Attempt, CallResult, RetryPolicy, call_adapter
from vendor_adapters.base import Adapter, HttpAdapter, Image, Recognition
from vendor_adapters.errors import AdapterCrash, VendorError


def http_caller(
    adapter: HttpAdapter, images: Sequence[Image], transport: AsyncTransport, policy: RetryPolicy | None = None
) -> Caller:
    """Send ``images[i % len(images)]`` through ``adapter`` and ``transport``."""
    if not images:
        raise ValueError("no images to send")
    policy = policy or RetryPolicy()

    async def call(i: int) -> CallResult:
        return await call_adapter(adapter, images[i % len(images)], transport, policy)

    return call


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
