"""How calls are made: a process pool, asyncio, or one at a time, chosen from the adapter's capabilities.

- ``cpu_bound`` in-process engines run in a :class:`~concurrent.futures.ProcessPoolExecutor`
  (spawned workers, each building the adapter once); at most one image per worker is in flight,
  so the round trip measured in the parent is dispatch + engine call + return, never queueing.
  ``client_ms`` is the engine call timed inside the worker; ``roundtrip_ms`` is journaled too.
  If a worker process dies (an engine crash), the images it had in flight are recorded as
  ``adapter_crash`` and a fresh pool takes the rest.
- network adapters run on asyncio, at most ``concurrency`` calls in flight. Sans-I/O ones
  (``HttpAdapter``) are sent through one :class:`~harness.transport.AsyncTransport` per run
  (time-outs from :attr:`Strategy.transport`), following :attr:`Strategy.retry` (every attempt is
  handed on; only the last counts) and the adapter's client-side rate limit (``min_interval_s``).
  Other ``kind == "http"`` adapters run their synchronous ``recognize`` in worker threads.
- everything else runs sequentially in the calling thread.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.corpus.model import Sample
from harness.outcome import CallOutcome
from harness.runner.calls import (
    Pacer,
    call_async,
    call_http,
    call_in_worker,
    call_sync,
    init_worker,
    make_outcome,
    utc_now,
    worker_ready,
)
from harness.transport import AsyncTransport, RetryPolicy, TransportConfig
from vendor_adapters.base import Adapter, Capabilities, HttpAdapter
from vendor_adapters.errors import AdapterCrash

OnOutcome = Callable[[CallOutcome, dict[str, Any]], None]
"""Receives each outcome as soon as it exists, with extra journal fields (e.g. ``roundtrip_ms``;
``retried: True`` on an attempt that another attempt of the same sample follows)."""


class RunAborted(Exception):
    """The harness itself cannot go on (not a vendor failure); the journal keeps what was done."""


@dataclass(frozen=True)
class Strategy:
    """How a run makes its calls."""

    mode: Literal["pool", "async", "sequential"]
    concurrency: int
    timing: Literal["client", "worker"]
    """What ``client_ms`` measures (see ``RunOptions.timing`` in the scorecard)."""
    transport: TransportConfig = field(default_factory=TransportConfig)
    """Time-outs and limits of the HTTP transport (sans-I/O network adapters)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """When a failed call is sent again (network adapters); off by default."""


def choose_strategy(
    adapter: Adapter,
    concurrency: int | None,
    transport: TransportConfig | None = None,
    retry: RetryPolicy | None = None,
) -> Strategy:
    """The strategy for ``adapter``; ``concurrency`` overrides the default width when given."""
    caps: Capabilities = adapter.capabilities
    net = {"transport": transport or TransportConfig(), "retry": retry or RetryPolicy()}
    if caps.cpu_bound:
        return Strategy("pool", concurrency or os.cpu_count() or 1, "worker", **net)
    if isinstance(adapter, HttpAdapter) or caps.kind == "http":
        return Strategy("async", concurrency or max(1, caps.max_concurrency), "client", **net)
    return Strategy("sequential", 1, "client", **net)


def execute(
    strategy: Strategy,
    adapter: Adapter,
    class_path: str,
    config: dict[str, Any],
    samples: Sequence[Sample],
    on_outcome: OnOutcome,
) -> None:
    """Call the vendor once per sample, handing every outcome to ``on_outcome`` as it completes."""
    if not samples:
        return
    if strategy.mode == "pool":
        _run_pool(class_path, config, samples, min(strategy.concurrency, len(samples)), on_outcome)
    elif strategy.mode == "async":
        asyncio.run(_run_async(adapter, samples, strategy, on_outcome))
    else:
        for sample in samples:
            on_outcome(call_sync(adapter, sample), {})


async def _run_async(adapter: Adapter, samples: Iterable[Sample], strategy: Strategy, on_outcome: OnOutcome) -> None:
    width = strategy.concurrency
    queue = iter(samples)  # one shared iterator: each sample is taken by exactly one lane
    if not isinstance(adapter, HttpAdapter):
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=width, thread_name_prefix="platebench-send"))

        async def thread_lane() -> None:
            for sample in queue:
                on_outcome(await call_async(adapter, sample), {})

        await asyncio.gather(*(thread_lane() for _ in range(width)))
        return

    def attempt_done(outcome: CallOutcome, final: bool) -> None:
        on_outcome(outcome, {} if final else {"retried": True})

    pacer = Pacer(getattr(adapter, "min_interval_s", 0.0))
    async with AsyncTransport(strategy.transport) as transport:

        async def lane() -> None:
            for sample in queue:
                await call_http(adapter, sample, transport, attempt_done, policy=strategy.retry, pacer=pacer)

        await asyncio.gather(*(lane() for _ in range(width)))


def _run_pool(
    class_path: str, config: dict[str, Any], samples: Sequence[Sample], workers: int, on_outcome: OnOutcome
) -> None:
    pending = deque(samples)
    context = multiprocessing.get_context("spawn")
    while pending:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=init_worker, initargs=(class_path, config)
        ) as pool:
            try:
                pool.submit(worker_ready).result()
            except BrokenProcessPool:
                raise RunAborted(f"the worker processes could not build the adapter {class_path}") from None
            in_flight: dict[Future[CallOutcome], tuple[Sample, int]] = {}
            broken = False
            while (pending or in_flight) and not broken:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED) if in_flight else (set(), set())
                arrived = time.perf_counter_ns()
                finished = [(future, *in_flight.pop(future)) for future in done]
                # Refill the pool first, so the workers compute while the parent journals (fsync).
                while pending and len(in_flight) < workers and not any(f.exception() for f, *_ in finished):
                    sample = pending.popleft()
                    in_flight[pool.submit(call_in_worker, sample)] = (sample, time.perf_counter_ns())
                for future, sample, sent in finished:
                    broken |= _settle(future, sample, arrived - sent, on_outcome)
            if broken:  # a worker died: every image still in flight went down with it
                wait(in_flight)
                for future, (sample, sent) in in_flight.items():
                    _settle(future, sample, time.perf_counter_ns() - sent, on_outcome)


def _settle(future: Future[CallOutcome], sample: Sample, roundtrip_ns: int, on_outcome: OnOutcome) -> bool:
    """Hand a finished future's outcome on; True when its worker process died."""
    try:
        outcome = future.result()
    except BrokenProcessPool:
        crash = AdapterCrash("the worker process running this image died (the engine crashed)")
        on_outcome(make_outcome(sample, 1, utc_now(), roundtrip_ns, crash), {})
        return True
    on_outcome(outcome, {"roundtrip_ms": roundtrip_ns / 1e6})
    return False
