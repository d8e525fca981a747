"""How calls are made: a process pool, asyncio, or one at a time, chosen from the adapter's capabilities.

- ``cpu_bound`` in-process engines run in a :class:`~concurrent.futures.ProcessPoolExecutor`
  (spawned workers, each building the adapter once); at most one image per worker is in flight,
  so the round trip measured in the parent is dispatch + engine call + return, never queueing.
  ``client_ms`` is the engine call timed inside the worker; ``roundtrip_ms`` is journaled too.
  If a worker process dies (an engine crash), the images it had in flight are recorded as
  ``adapter_crash`` and a fresh pool takes the rest.
- network adapters (``HttpAdapter``, ``kind == "http"``) run on asyncio, at most ``concurrency``
  calls in flight, each through :func:`harness.runner.calls.send`.
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
from dataclasses import dataclass
from typing import Any, Literal

from harness.corpus.model import Sample
from harness.outcome import CallOutcome
from harness.runner.calls import (
    call_async,
    call_in_worker,
    call_sync,
    init_worker,
    make_outcome,
    utc_now,
    worker_ready,
)
from vendor_adapters.base import Adapter, Capabilities, HttpAdapter
from vendor_adapters.errors import AdapterCrash

OnOutcome = Callable[[CallOutcome, dict[str, Any]], None]
"""Receives each outcome as soon as it exists, with extra journal fields (e.g. ``roundtrip_ms``)."""


class RunAborted(Exception):
    """The harness itself cannot go on (not a vendor failure); the journal keeps what was done."""


@dataclass(frozen=True)
class Strategy:
    """How a run makes its calls."""

    mode: Literal["pool", "async", "sequential"]
    concurrency: int
    timing: Literal["client", "worker"]
    """What ``client_ms`` measures (see ``RunOptions.timing`` in the scorecard)."""


def choose_strategy(adapter: Adapter, concurrency: int | None) -> Strategy:
    """The strategy for ``adapter``; ``concurrency`` overrides the default width when given."""
    caps: Capabilities = adapter.capabilities
    if caps.cpu_bound:
        return Strategy("pool", concurrency or os.cpu_count() or 1, "worker")
    if isinstance(adapter, HttpAdapter) or caps.kind == "http":
        return Strategy("async", concurrency or max(1, caps.max_concurrency), "client")
    return Strategy("sequential", 1, "client")


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
        asyncio.run(_run_async(adapter, samples, strategy.concurrency, on_outcome))
    else:
        for sample in samples:
            on_outcome(call_sync(adapter, sample), {})


async def _run_async(adapter: Adapter, samples: Iterable[Sample], width: int, on_outcome: OnOutcome) -> None:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=width, thread_name_prefix="platebench-send"))
    queue = iter(samples)

    async def lane() -> None:
        for sample in queue:  # one shared iterator: each sample is taken by exactly one lane
            on_outcome(await call_async(adapter, sample), {})

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
