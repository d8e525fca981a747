"""The run's pool on a Dask distributed cluster: the same calls as :class:`~harness.calls.pool.CallPool`,
made on the cluster's workers (``--executor dask`` or ``--executor dask://HOST:PORT``).

- ``dask`` starts a ``distributed.LocalCluster`` on this machine (worker processes with one thread each,
  as many as the run's width) and closes it with the pool; ``dask://HOST:PORT`` connects to an existing
  cluster's scheduler and leaves the cluster running.
- Each worker builds the vendor's engine once (:class:`~harness.calls.dask_worker.EnginePlugin`, from the
  picklable :class:`AdapterFactory`) and keeps it until the pool closes; a worker that joins later (the one
  Dask's nanny starts in place of a killed one) builds its own.
- Images travel as paths (:class:`~harness.calls.dask_worker.PathTarget`), read once per worker from the
  corpus's path, which every worker must see (a shared file system), and checked against the sha256.
- A worker that dies mid-call: Dask runs its calls again on another worker. The future of each call
  still resolves exactly once, so the client journals one outcome per sample; the calls that were under
  way on the lost worker are reported by :meth:`DaskCallPool.lost_attempts` (from the scheduler's
  ``remove-worker`` event), so the journal records them too. A call whose re-runs keep killing workers
  (Dask gives up after ``distributed.scheduler.allowed-failures``) ends as ``adapter_crash``.

``distributed`` is imported when the pool starts, never before: a run on the local executor pays nothing.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any

from harness.calls.pool import CallPool, PoolStartError
from harness.calls.single import CallTarget, utc_now
from harness.options import DASK_SCHEME, EXECUTOR_DASK
from harness.outcome import CallOutcome
from vendor_adapters.base import Adapter
from vendor_adapters.registry import AdapterFactory

CONNECT_TIMEOUT_S = 30
"""How long to wait for an existing cluster's scheduler, and for its first worker."""
EVENT_TOPIC = "all"
"""The scheduler's event topic that carries ``remove-worker`` events."""


def scheduler_address(executor: str) -> str:
    """``tcp://HOST:PORT`` of a ``dask://HOST:PORT`` executor."""
    return "tcp://" + executor.removeprefix(DASK_SCHEME)


def cluster_width(executor: str) -> int:
    """Worker threads of the cluster behind a ``dask://HOST:PORT`` executor (the calls a run keeps in
    flight on it by default); :class:`PoolStartError` when the scheduler cannot be reached or has no worker."""
    from distributed import Client

    try:
        with Client(scheduler_address(executor), timeout=CONNECT_TIMEOUT_S) as client:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            return max(1, sum(client.nthreads().values()))
    except (OSError, TimeoutError) as exc:
        raise PoolStartError(f"cannot use the Dask cluster at {executor}: {exc}") from None


@contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """A ``distributed.LocalCluster`` of ``workers`` processes (one thread each) on this machine for the
    duration of the block, as a ``dask://HOST:PORT`` executor (several runs share it); closed after."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        yield DASK_SCHEME + str(cluster.scheduler_address).removeprefix("tcp://")


class DaskCallPool(CallPool):
    """Calls one vendor's in-process engine on a Dask cluster's workers, at most ``width`` at once."""

    def __init__(self, factory: AdapterFactory, adapter: Adapter, workers: int, executor: str = EXECUTOR_DASK) -> None:
        super().__init__(factory, adapter, workers)
        from distributed import KilledWorker  # only the exception class; the cluster starts in start()

        self.crash_errors = (KilledWorker,)
        self.executor_spec = executor
        self._token = secrets.token_hex(4)
        self.plugin_name = f"platebench-engine-{self._token}"
        self._client: Any = None
        self._cluster: Any = None
        self._client_executor: Executor | None = None
        self._pending: dict[str, str] = {}
        """Task key -> sample id of the calls not yet handed back."""
        self._lost: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._count = 0
        self._subscribed = False

    @property
    def kind(self) -> str:
        return "dask"

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (started if needed)."""
        self.start()
        return self._client

    def start(self) -> Executor:
        """Start (or reach) the cluster and build the engine on every worker; :class:`PoolStartError` if that fails."""
        if self._client_executor is not None:
            return self._client_executor
        from distributed import Client, LocalCluster

        from harness.calls.dask_worker import EnginePlugin

        try:
            if self.executor_spec == EXECUTOR_DASK:
                self._cluster = LocalCluster(
                    n_workers=self.width, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(scheduler_address(self.executor_spec), timeout=CONNECT_TIMEOUT_S)
                self._client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise PoolStartError(f"cannot use the Dask cluster at {self.executor_spec}: {exc}") from None
        self._client.subscribe_topic(EVENT_TOPIC, self._on_event)
        self._subscribed = True
        try:
            self._client.register_plugin(EnginePlugin(self.factory), name=self.plugin_name)
        except Exception as exc:  # noqa: BLE001 - whatever the workers raised while building the engine
            self.close()
            raise PoolStartError(
                f"the Dask workers could not build the adapter {self.factory.target}: {type(exc).__name__}: {exc}"
            ) from None
        self._client_executor = self._client.get_executor(pure=False)
        return self._client_executor

    def restart(self) -> None:
        """Nothing to do: the cluster replaces a lost worker itself, and the engine plugin builds its engine."""

    def close(self) -> None:
        """Close the engines on the workers, then the client (and the cluster this pool started)."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = self._client_executor = None
        if client is not None:
            try:
                if self._subscribed:
                    client.unsubscribe_topic(EVENT_TOPIC)
                    self._subscribed = False
                if cluster is None and client.status == "running":
                    client.unregister_worker_plugin(self.plugin_name)
            finally:
                client.close()
        if cluster is not None:
            cluster.close()
        self._pending.clear()

    def submit(self, target: CallTarget) -> Future[CallOutcome]:
        """Call the engine on ``target`` on some worker; the future resolves once, whatever workers are lost.

        Sent through the client's ``concurrent.futures`` executor under a key of ours (``lost_attempts``
        maps the scheduler's keys back to samples); the task is released as soon as its result is back,
        so a worker lost later does not compute it again."""
        from harness.calls.dask_worker import PathTarget, call_on_worker

        executor = self.start()
        sent = PathTarget.of(target) if hasattr(target, "path") else target
        with self._lock:
            self._count += 1
            key = f"platebench-call-{self._token}-{self._count}"
            self._pending[key] = target.id
        future: Future[CallOutcome] = executor.submit(call_on_worker, sent, self.plugin_name, key=key)
        future.add_done_callback(lambda _: self._forget(key))
        return future

    def _forget(self, key: str) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """Scheduler events: a worker removed while our calls were under way on it."""
        _, message = event
        if not isinstance(message, dict) or message.get("action") != "remove-worker":
            return
        keys = {*message.get("processing-tasks", ()), *message.get("lost-computed-tasks", ())}
        at = utc_now()
        with self._lock:
            for key in sorted(keys):
                if key in self._pending:
                    self._lost.append({
                        "type": "lost", "sample_id": self._pending[key], "worker": message.get("worker"),
                        "at": at, "expected": bool(message.get("expected")),
                    })

    def lost_attempts(self) -> list[dict[str, Any]]:
        """Journal records of calls that were under way on a worker when it was lost (Dask runs them again)."""
        with self._lock:
            records = list(self._lost)
            self._lost.clear()
        return records
