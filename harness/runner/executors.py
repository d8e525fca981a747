"""The accuracy pass's calls: through the run's worker pool, asyncio, or one at a time, chosen from the
adapter's capabilities.

- ``cpu_bound`` in-process engines run in the run's :class:`~harness.calls.pool.CallPool`
  (spawned workers, each building the adapter once; the load pass reuses the same workers); at
  most one image per worker is in flight,
  so the round trip measured in the parent is dispatch + engine call + return, never queueing.
  ``client_ms`` is the engine call timed inside the worker; ``roundtrip_ms`` is journaled too.
  If a worker process dies (an engine crash), the images it had in flight are recorded as
  ``adapter_crash`` and a fresh pool takes the rest. On the Dask executor
  (:class:`~harness.calls.dask_pool.DaskCallPool`) the same loop runs over the cluster's workers;
  Dask itself runs a lost worker's calls again, and only a call that keeps killing workers
  comes back as ``adapter_crash``.
- network adapters run on asyncio, at most ``concurrency`` calls in flight. Sans-I/O ones
  (``HttpAdapter``) are sent through one :class:`~harness.transport.AsyncTransport` per run
  (time-outs from :attr:`Strategy.transport`), following :attr:`Strategy.retry` (every attempt is
  handed on; only the last counts) and the adapter's client-side rate limit
  (:meth:`~vendor_adapters.base.Adapter.client_rate_limit`).
  Other ``kind == "http"`` adapters run their synchronous ``recognize`` in worker threads.
- everything else runs sequentially in the calling thread.

A :class:`~harness.calls.single.HarnessFault` (an image that cannot be read, a closed transport...),
or any exception raised by ``on_outcome`` (the journal cannot be written, the health gate tripped),
stops every lane at once: nothing more is sent or handed on, and the exception is raised
(a harness fault as :class:`RunAborted`). No lane ever records a harness fault as a vendor outcome.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.calls.pool import CallPool, PoolStartError, crash_outcome
from harness.calls.single import CallTarget, HarnessFault, Pacer, call_http, call_in_thread
from harness.outcome import CallOutcome
from harness.transport import AsyncTransport, RetryPolicy, TransportConfig
from vendor_adapters.base import Adapter, Capabilities, HttpAdapter

OnOutcome = Callable[[CallOutcome, dict[str, Any]], None]
"""Receives each outcome as soon as it exists, with extra journal fields (e.g. ``roundtrip_ms``;
``retried: True`` on an attempt that another attempt of the same sample follows)."""


class RunAborted(Exception):
    """The harness itself cannot go on (not a vendor failure); the journal keeps what was done."""


@dataclass
class CallStats:
    """What the accuracy pass's transport saw besides the outcomes."""

    reused_resent: int = 0
    """Requests re-sent because a reused keep-alive connection was found closed (never vendor errors)."""


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


def execute(strategy: Strategy, pool: CallPool, samples: Iterable[CallTarget], on_outcome: OnOutcome) -> CallStats:
    """Call the vendor once per sample, handing every outcome to ``on_outcome`` as it completes.

    ``samples`` may be a lazy iterable (derived images are made as the calls go): it is read in order, at most
    one target per free lane ahead of the calls.

    ``pool`` is the run's worker pool (its adapter is the run's adapter); network adapters are
    sent on asyncio instead. :class:`RunAborted` when the workers cannot build the adapter or the
    harness fails on a call; an exception from ``on_outcome`` stops the calls and is raised as is."""
    stats = CallStats()
    try:
        if strategy.mode == "pool":
            _run_pool(pool, samples, on_outcome)
        elif strategy.mode == "async":
            try:
                asyncio.run(_run_async(pool.adapter, samples, strategy, on_outcome, stats))
            except BaseExceptionGroup as group:  # the first lane's failure; the others were cancelled
                raise _first(group) from None
        else:
            for sample in samples:
                on_outcome(pool.submit(sample).result(), {})
    except PoolStartError as exc:
        raise RunAborted(str(exc)) from None
    except HarnessFault as exc:
        raise RunAborted(f"the harness failed, not the vendor: {exc}") from None
    return stats


def _first(group: BaseExceptionGroup) -> BaseException:
    """The first leaf exception of ``group`` (lanes stopped by cancellation are not in it)."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


async def _run_async(
    adapter: Adapter, samples: Iterable[CallTarget], strategy: Strategy, on_outcome: OnOutcome, stats: CallStats
) -> None:
    width = strategy.concurrency
    queue = iter(samples)  # one shared iterator: each sample is taken by exactly one lane
    if not isinstance(adapter, HttpAdapter):
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=width, thread_name_prefix="platebench-send"))

        async def thread_lane() -> None:
            for sample in queue:
                on_outcome(await call_in_thread(adapter, sample), {})

        async with asyncio.TaskGroup() as lanes:  # one lane failing cancels the others
            for _ in range(width):
                lanes.create_task(thread_lane())
        return

    def attempt_done(outcome: CallOutcome, final: bool) -> None:
        on_outcome(outcome, {} if final else {"retried": True})

    pacer = Pacer(adapter.client_rate_limit() or 0.0)
    async with AsyncTransport(strategy.transport) as transport:

        async def lane() -> None:
            for sample in queue:
                await call_http(adapter, sample, transport, policy=strategy.retry, pacer=pacer, on_attempt=attempt_done)

        try:
            async with asyncio.TaskGroup() as lanes:  # one lane failing cancels the others
                for _ in range(width):
                    lanes.create_task(lane())
        finally:
            stats.reused_resent = transport.reused_resent


def _run_pool(pool: CallPool, samples: Iterable[CallTarget], on_outcome: OnOutcome) -> None:
    pending = _Lookahead(samples)
    workers = pool.width
    while pending:
        in_flight: dict[Future[CallOutcome], tuple[CallTarget, int]] = {}
        broken = False
        while (pending or in_flight) and not broken:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED) if in_flight else (set(), set())
            arrived = time.perf_counter_ns()
            finished = [(future, *in_flight.pop(future)) for future in done]
            # Refill the pool first, so the workers compute while the parent journals (fsync).
            while pending and len(in_flight) < workers and not any(f.exception() for f, *_ in finished):
                sample = pending.popleft()
                in_flight[pool.submit(sample)] = (sample, time.perf_counter_ns())
            for future, sample, sent in finished:
                broken |= _settle(pool, future, sample, arrived - sent, on_outcome)
        if broken:  # a worker died: every image still in flight went down with it
            wait(in_flight)
            for future, (sample, sent) in in_flight.items():
                _settle(pool, future, sample, time.perf_counter_ns() - sent, on_outcome)
            pool.restart()


class _Lookahead:
    """An iterator that says whether anything is left (``bool``) without losing the item it looked at."""

    def __init__(self, items: Iterable[CallTarget]) -> None:
        self._items = iter(items)
        self._next: deque[CallTarget] = deque()

    def __bool__(self) -> bool:
        if not self._next:
            self._next.extend(itertools.islice(self._items, 1))
        return bool(self._next)

    def popleft(self) -> CallTarget:
        if not self:
            raise IndexError("no target left")
        return self._next.popleft()


def _settle(
    pool: CallPool, future: Future[CallOutcome], sample: CallTarget, roundtrip_ns: int, on_outcome: OnOutcome
) -> bool:
    """Hand a finished future's outcome on; True when its worker died (``pool.crash_errors``)."""
    try:
        outcome = future.result()
    except pool.crash_errors:
        on_outcome(crash_outcome(sample, roundtrip_ns), {})
        return True
    on_outcome(outcome, {"roundtrip_ms": roundtrip_ns / 1e6})
    return False
