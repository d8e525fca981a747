"""Run a list of load scenarios against one vendor: the entry point the CLI and ``platebench run`` use.

``run_load(plan, adapter, targets, pool)`` picks the caller (the async transport for
``HttpAdapter`` vendors; the run's :class:`~harness.calls.pool.CallPool` for in-process engines),
runs each scenario of ``plan`` in order and returns one :class:`LoadResult` per scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.calls.pool import CallPool
from harness.calls.single import CallTarget
from harness.load import SCENARIOS
from harness.load.callers import http_caller, pool_caller
from harness.load.eventloop import loop_name, run
from harness.load.scenarios import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_PERCENTILE,
    Caller,
    LoadResult,
    run_offline,
    run_server,
    run_single_stream,
    search_max_qps,
)
from harness.transport import AsyncTransport, RetryPolicy, TransportConfig
from vendor_adapters.base import Adapter, HttpAdapter


@dataclass(frozen=True)
class LoadPlan:
    """What to run; recorded with every result (``details["plan"]``)."""

    scenarios: tuple[str, ...] = ("single-stream",)
    target_qps: float | None = None
    """Server scenario rate (required when ``server`` is in ``scenarios``)."""
    duration_s: float | None = None
    queries: int | None = None
    concurrency: int = 8
    """Offline scenario concurrency (and the pool size for in-process engines)."""
    latency_bound_ms: float | None = None
    percentile: float = DEFAULT_PERCENTILE
    seed: int = 0
    search: bool = False
    """Server scenario: bisect for the highest rate meeting the bound, up to ``target_qps``."""
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    reuse_requests: bool = True
    """HTTP vendors: build each image's request once when two builds agree (``docs/load.md``);
    turn off for an adapter that signs requests with a coarse clock."""
    transport: TransportConfig = field(default_factory=TransportConfig)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        unknown = [s for s in self.scenarios if s not in SCENARIOS]
        if unknown:
            raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
        if "server" in self.scenarios and not self.target_qps:
            raise ValueError("the server scenario needs a target rate (--target-qps)")
        if self.duration_s is None and self.queries is None:
            raise ValueError("give a duration (--duration) or a query count (--queries)")
        if self.search and self.latency_bound_ms is None:
            raise ValueError("searching for the highest rate needs a latency bound (--latency-bound-ms)")

    def to_json(self) -> dict[str, Any]:
        return {
            "scenarios": list(self.scenarios), "target_qps": self.target_qps, "duration_s": self.duration_s,
            "queries": self.queries, "concurrency": self.concurrency, "latency_bound_ms": self.latency_bound_ms,
            "percentile": self.percentile, "seed": self.seed, "search": self.search,
            "max_in_flight": self.max_in_flight, "reuse_requests": self.reuse_requests,
            "transport": self.transport.to_json(), "retry": self.retry.to_json(),
        }


async def run_plan(call: Caller, plan: LoadPlan) -> list[LoadResult]:
    """Run every scenario of ``plan`` through ``call``, in order."""
    stop = {"duration_s": plan.duration_s, "queries": plan.queries}
    common = {**stop, "latency_bound_ms": plan.latency_bound_ms, "percentile": plan.percentile}
    results: list[LoadResult] = []
    for scenario in plan.scenarios:
        if scenario == "single-stream":
            result = await run_single_stream(call, **common)
        elif scenario == "offline":
            result = await run_offline(call, concurrency=plan.concurrency, **common)
        else:
            assert plan.target_qps is not None

            async def probe(qps: float) -> LoadResult:
                return await run_server(call, target_qps=qps, seed=plan.seed, max_in_flight=plan.max_in_flight, **common)

            if plan.search:
                found = await search_max_qps(probe, plan.target_qps / 64, plan.target_qps)
                result = found.probes[0] if found.best_qps is None else next(
                    p for p in found.probes if p.target_qps == found.best_qps
                )
                result.details["search"] = found.to_json()
            else:
                result = await probe(plan.target_qps)
        result.details["plan"] = plan.to_json()
        results.append(result)
    return results


def run_load(plan: LoadPlan, adapter: Adapter, targets: Sequence[CallTarget], pool: CallPool) -> list[LoadResult]:
    """Run ``plan`` against ``adapter`` with ``targets``' images: network adapters through one
    transport, in-process engines through ``pool`` (one unmeasured warm-up call per worker first)."""
    if isinstance(adapter, HttpAdapter):

        async def go() -> list[LoadResult]:
            async with AsyncTransport(plan.transport) as transport:
                call = http_caller(adapter, targets, transport, plan.retry, plan.reuse_requests)
                return await run_plan(call, plan)

        results = run(go())
    else:
        pool.warm_up(targets[0])
        results = run(run_plan(pool_caller(pool, targets), plan))
        for result in results:
            result.details["pool"] = {"kind": pool.kind, "workers": pool.width}
    for result in results:
        result.details["event_loop"] = loop_name()
    return results
