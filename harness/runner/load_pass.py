"""The load scenarios of a run: after the accuracy pass, the rubric's (or the user's) scenarios are
run against the same vendor with the run's images, through :mod:`harness.load`.

- Network vendors (sans-I/O ``HttpAdapter``): :func:`harness.load.callers.http_caller` over one
  :class:`~harness.transport.AsyncTransport` with the run's time-outs and retry policy.
- Local engines: the runner's own call machinery, so any adapter the run could build works
  (registered or ``module:Class``): ``cpu_bound`` engines in a process pool of at most one worker
  per core (each builds the adapter once and answers one warm-up call, not measured), others one call at a time in a worker thread. In the
  server scenario queries beyond the pool's width wait in its queue; that wait counts in latency.

Each scenario becomes one ``results.load`` entry: :meth:`LoadResult.to_result` plus
``availability``, ``percentile`` and the scenario's warnings (e.g. too few queries for the
percentile it reports).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from harness.corpus.model import Sample
from harness.load.callers import http_caller
from harness.load.eventloop import loop_name
from harness.load.eventloop import run as run_loop
from harness.load.plan import LoadPlan, run_plan
from harness.load.scenarios import Caller, LoadResult
from harness.outcome import CallOutcome
from harness.runner.calls import call_in_worker, call_sync, init_worker
from harness.transport import AsyncTransport, Attempt, CallResult
from vendor_adapters.base import Adapter, HttpAdapter
from vendor_adapters.errors import AdapterCrash, VendorError


class RecordedError(VendorError):
    """A failure already turned into an outcome (e.g. in a worker process), carried by its kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _result(outcome: CallOutcome) -> CallResult:
    error = None if outcome.ok else RecordedError(outcome.error_kind or AdapterCrash.kind, outcome.error_message or "")
    attempt = Attempt(1, outcome.client_ms, outcome.error_kind, outcome.error_message)
    return CallResult(outcome.recognition, error, (attempt,))


def local_caller(executor: Executor, samples: Sequence[Sample], work: Callable[[Sample], CallOutcome]) -> Caller:
    """Query ``i`` = ``work(samples[i % len(samples)])`` in ``executor``."""

    async def call(i: int) -> CallResult:
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(executor, work, samples[i % len(samples)])
        except BrokenExecutor as exc:
            return CallResult(None, AdapterCrash(f"the worker running this query died: {exc}"), (Attempt(1, 0.0, "adapter_crash"),))
        return _result(outcome)

    return call


def entry(result: LoadResult) -> dict[str, Any]:
    """The ``results.load`` entry of one scenario."""
    failed = sum(result.errors.values())
    return {
        **result.to_result(),
        "availability": (result.n - failed) / result.n if result.n else None,
        "percentile": result.details.get("percentile"),
        "warnings": result.warnings,
    }


def run_load_pass(
    plan: LoadPlan, adapter: Adapter, class_path: str, config: dict[str, Any], samples: Sequence[Sample]
) -> list[dict[str, Any]]:
    """Run every scenario of ``plan`` against ``adapter`` with ``samples``' images; the ``results.load`` entries."""
    if not samples:
        return []
    if isinstance(adapter, HttpAdapter):
        images = [s.load_image() for s in samples]

        async def go() -> list[LoadResult]:
            async with AsyncTransport(plan.transport) as transport:
                return await run_plan(http_caller(adapter, images, transport, plan.retry), plan)

        results = run_loop(go())
        for result in results:
            result.details["event_loop"] = loop_name()
        return [entry(r) for r in results]
    with ExitStack() as stack:
        if adapter.capabilities.cpu_bound:
            workers = max(1, min(plan.concurrency, os.cpu_count() or 1))
            executor: Executor = stack.enter_context(ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker,
                initargs=(class_path, config),
            ))
            # Warm-up, not measured: start every worker, build its engine and make one call there.
            for future in [executor.submit(call_in_worker, samples[0]) for _ in range(workers)]:
                future.result()
            call = local_caller(executor, samples, call_in_worker)
        else:  # one adapter, one call at a time: adapters are not promised to be thread-safe
            executor = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="platebench-load"))
            call = local_caller(executor, samples, lambda sample: call_sync(adapter, sample))
        results = run_loop(run_plan(call, plan))
    return [entry(r) for r in results]
