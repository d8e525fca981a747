"""The run's one worker pool for in-process engines, shared by the accuracy pass and the load pass.

A ``cpu_bound`` engine runs in a :class:`~concurrent.futures.ProcessPoolExecutor` of spawned
workers; each builds its adapter once, from the picklable :class:`AdapterFactory`, and keeps it for
the whole run (accuracy calls, then load queries: the engine is loaded once per worker). If a worker
dies (an engine crash), :meth:`CallPool.restart` replaces the pool. Any other in-process adapter is
called one call at a time in one thread, on the run's own adapter instance: adapters are not
promised to be thread-safe.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Self

from harness.calls.single import CallTarget, call_sync, make_outcome, utc_now
from harness.outcome import CallOutcome
from harness.redact import remember_config_secrets
from vendor_adapters.base import Adapter
from vendor_adapters.errors import AdapterCrash
from vendor_adapters.registry import AdapterFactory


class PoolStartError(Exception):
    """The worker processes could not build the adapter (not a vendor failure: the run stops)."""


_worker_adapter: Adapter | None = None


PARENT_CHECK_S = 0.2
"""How often a worker checks that the process that started it is still alive."""


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker as soon as its parent is gone (e.g. ``kill -9`` of ``platebench run``): a
    daemon thread watches the parent id, which changes when the parent dies and the worker is
    re-parented. (Linux's ``PR_SET_PDEATHSIG`` is not used: it fires when the parent *thread* that
    spawned the worker ends, and pools may be started from short-lived threads.)"""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="platebench-parent-watch", daemon=True).start()


def _init_worker(factory: AdapterFactory, parent_pid: int) -> None:
    """Process-pool initializer: exit with the parent, and build this worker's adapter once."""
    global _worker_adapter
    _exit_with_parent(parent_pid)
    remember_config_secrets(factory.config, os.environ)
    _worker_adapter = factory()


def _call_in_worker(target: CallTarget) -> CallOutcome:
    """One call inside a pool worker; ``client_ms`` is the engine call measured in the worker."""
    if _worker_adapter is None:
        raise RuntimeError("worker adapter not initialised")
    return call_sync(_worker_adapter, target)


def _worker_ready() -> bool:
    return _worker_adapter is not None


def crash_outcome(target: CallTarget, roundtrip_ns: int = 0) -> CallOutcome:
    """The outcome of a call whose worker process died under it."""
    crash = AdapterCrash("the worker process running this image died (the engine crashed)")
    return make_outcome(target, 1, utc_now(), roundtrip_ns, crash)


class CallPool:
    """Calls one vendor's in-process engine: ``workers`` processes, or the run's adapter in one thread.

    Use as a context manager; the processes start on first use (:meth:`start`).
    """

    crash_errors: tuple[type[BaseException], ...] = (BrokenExecutor,)
    """What a call's future raises when the worker running it died (the call is an ``adapter_crash``)."""

    def __init__(self, factory: AdapterFactory, adapter: Adapter, workers: int) -> None:
        self.factory = factory
        self.adapter = adapter
        self.processes = adapter.capabilities.cpu_bound
        self.width = max(1, workers) if self.processes else 1
        self._executor: Executor | None = None

    @property
    def kind(self) -> str:
        """Where the calls run: ``process`` (worker processes) or ``thread`` (the run's adapter)."""
        return "process" if self.processes else "thread"

    def lost_attempts(self) -> list[dict[str, Any]]:
        """Journal records of calls that were under way where a worker was lost, since the last look
        (none here: a dead process worker's calls come back as ``adapter_crash`` outcomes)."""
        return []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def executor(self) -> Executor:
        """The running executor (started if needed)."""
        return self.start()

    def start(self) -> Executor:
        """Start the workers and wait until each has built its adapter; :class:`PoolStartError` if they cannot."""
        if self._executor is not None:
            return self._executor
        if not self.processes:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="platebench-call")
            return self._executor
        pool = ProcessPoolExecutor(
            self.width, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
            initargs=(self.factory, os.getpid()),
        )
        try:
            pool.submit(_worker_ready).result()
        except BrokenProcessPool:
            pool.shutdown(cancel_futures=True)
            raise PoolStartError(f"the worker processes could not build the adapter {self.factory.target}") from None
        self._executor = pool
        return pool

    def restart(self) -> None:
        """Replace a pool whose worker died (its other calls in flight went down with it)."""
        self.close()
        self.start()

    def close(self) -> None:
        """Stop the workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def submit(self, target: CallTarget) -> Future[CallOutcome]:
        """Call the engine on ``target`` in the pool."""
        if self.processes:
            return self.executor.submit(_call_in_worker, target)
        return self.executor.submit(call_sync, self.adapter, target)

    def warm_up(self, target: CallTarget) -> None:
        """One unmeasured call per worker (a load pass that follows no accuracy call starts warm)."""
        for future in [self.submit(target) for _ in range(self.width)]:
            future.result()

    async def call(self, target: CallTarget) -> CallOutcome:
        """:meth:`submit` for an event loop; a worker that dies gives an ``adapter_crash`` outcome."""
        try:
            return await asyncio.wrap_future(self.submit(target))
        except self.crash_errors:
            return crash_outcome(target)
