"""Load scenarios in MLPerf LoadGen's terms: single-stream, server (open loop) and offline.

A scenario drives a *caller*: an async function ``call(i) -> CallOutcome`` that sends query number
``i`` (see :mod:`harness.load.callers`). Results are :class:`LoadResult` values whose
:meth:`LoadResult.to_result` is exactly one entry of the scorecard's ``results.load`` list.

Latency is recorded for queries that succeeded; failed queries are counted by error kind (and
count as over the latency bound). In the server scenario latency runs from each query's
*scheduled* send time, so time a query spent waiting because the vendor (or the harness) was
slow is counted, not hidden (coordinated omission; see ``docs/load.md``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.load.early_stopping import estimate_rank, min_queries, server_early_stopping
from harness.load.latency import PERCENTILES, LatencyRecorder
from harness.outcome import CallOutcome

Caller = Callable[[int], Awaitable[CallOutcome]]
"""Sends query number ``i`` and returns its final outcome (never raises for vendor failures)."""

DEFAULT_MAX_IN_FLIGHT = 10_000
DEFAULT_PERCENTILE = 0.99


@dataclass
class LoadResult:
    """One scenario's measurements."""

    scenario: str
    achieved_qps: float
    duration_s: float
    n: int
    latency_ms: dict[str, float | None]
    errors: dict[str, int]
    target_qps: float | None = None
    concurrency: int | None = None
    latency_bound_ms: float | None = None
    bound_met: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """Seed, early-stopping verdict, warnings, schedule lag, cap hits, retries, precision..."""

    @property
    def timeouts(self) -> int:
        """Queries that ended in a time-out (also counted in ``errors["timeout"]``)."""
        return self.errors.get("timeout", 0)

    @property
    def warnings(self) -> list[str]:
        return list(self.details.get("warnings", []))

    def to_result(self) -> dict[str, Any]:
        """Exactly the scorecard's ``results.load`` entry shape (``LoadScenarioResult``)."""
        return {
            "scenario": self.scenario,
            "target_qps": self.target_qps,
            "achieved_qps": self.achieved_qps,
            "concurrency": self.concurrency,
            "duration_s": self.duration_s,
            "n": self.n,
            "latency_ms": dict(self.latency_ms),
            "errors": dict(self.errors),
            "timeouts": self.timeouts,
            "latency_bound_ms": self.latency_bound_ms,
            "bound_met": self.bound_met,
        }

    def to_json(self) -> dict[str, Any]:
        """The scorecard entry plus ``details`` (for ``platebench load --out``)."""
        return {**self.to_result(), "details": self.details}


class _Tally:
    """Outcomes of one run: latencies of successes, errors by kind, attempts."""

    def __init__(self) -> None:
        self.latency = LatencyRecorder()
        self.errors: Counter[str] = Counter()
        self.done = 0
        self.attempts = 0
        self.last_done = 0.0

    def add(self, result: CallOutcome, latency_ms: float, now: float) -> None:
        self.done += 1
        self.attempts += len(result.attempts)
        self.last_done = now
        if result.error_kind is None:
            self.latency.record(latency_ms)
        else:
            self.errors[result.error_kind] += 1


async def _safe_call(call: Caller, i: int) -> CallOutcome:
    from vendor_adapters.errors import AdapterCrash

    try:
        return await call(i)
    except Exception as exc:  # noqa: BLE001 - a caller bug must not lose the sample or end the run
        return CallOutcome(f"query-{i}", "", 1, 0.0, error_kind=AdapterCrash.kind,
                           error_message=f"{type(exc).__name__}: {exc}")


def _finish(
    scenario: str,
    tally: _Tally,
    start: float,
    *,
    target_qps: float | None,
    concurrency: int | None,
    latency_bound_ms: float | None,
    percentile: float,
    details: dict[str, Any],
) -> LoadResult:
    elapsed = max(tally.last_done - start, 1e-9) if tally.done else 0.0
    warnings: list[str] = details.setdefault("warnings", [])
    n = tally.done
    needed = min_queries(percentile)
    if n < needed:
        warnings.append(
            f"{n} queries are too few to report a p{percentile * 100:g} latency estimate: MLPerf LoadGen's "
            f"early-stopping rule needs at least {needed} (99% confidence)"
        )
    details["unsupported_percentiles"] = [f"p{p:g}" for p in PERCENTILES if n < min_queries(p / 100)]
    details["percentile"] = percentile
    rank = estimate_rank(tally.latency.count, percentile)
    details["early_stopping_estimate_ms"] = None if rank is None else tally.latency.value_at_rank(rank)
    details["precision"] = tally.latency.precision
    details["attempts"] = tally.attempts
    details["retries"] = tally.attempts - n
    bound_met: bool | None = None
    if latency_bound_ms is not None:
        over = tally.latency.count_above(latency_bound_ms) + sum(tally.errors.values())
        verdict = server_early_stopping(n, over, percentile)
        details["early_stopping"] = verdict.to_json()
        bound_met = n > 0 and verdict.satisfied
        if n and not verdict.satisfied:
            warnings.append(
                f"the p{percentile * 100:g} <= {latency_bound_ms:g} ms bound is not shown: {over} of {n} "
                f"queries were over the bound or failed; at that rate the run needed {verdict.needed} "
                "queries (MLPerf LoadGen early stopping, 99% confidence)"
            )
    return LoadResult(
        scenario=scenario,
        target_qps=target_qps,
        achieved_qps=n / elapsed if elapsed else 0.0,
        concurrency=concurrency,
        duration_s=elapsed,
        n=n,
        latency_ms=tally.latency.summary(),
        errors=dict(sorted(tally.errors.items())),
        latency_bound_ms=latency_bound_ms,
        bound_met=bound_met,
        details=details,
    )


def _check_stop(duration_s: float | None, queries: int | None) -> None:
    if duration_s is None and queries is None:
        raise ValueError("give a duration or a query count")
    if duration_s is not None and duration_s <= 0 or queries is not None and queries <= 0:
        raise ValueError("duration and query count must be positive")


async def run_closed_loop(
    call: Caller,
    *,
    concurrency: int = 1,
    duration_s: float | None = None,
    queries: int | None = None,
    latency_bound_ms: float | None = None,
    percentile: float = DEFAULT_PERCENTILE,
    scenario: str | None = None,
) -> LoadResult:
    """``concurrency`` workers, each sending its next query as soon as the previous one ended.

    ``concurrency=1`` is LoadGen's single-stream scenario; more is the offline scenario
    (throughput at a fixed concurrency). Latency runs from each query's own send time. No query
    is started after ``duration_s``; every started query is waited for and counted.
    """
    _check_stop(duration_s, queries)
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    name = scenario or ("single-stream" if concurrency == 1 else "offline")
    tally = _Tally()
    next_index = 0
    start = time.perf_counter()
    deadline = start + duration_s if duration_s is not None else math.inf

    async def worker() -> None:
        nonlocal next_index
        while True:
            now = time.perf_counter()
            if now >= deadline or (queries is not None and next_index >= queries):
                return
            i = next_index
            next_index += 1
            result = await _safe_call(call, i)
            end = time.perf_counter()
            tally.add(result, (end - now) * 1e3, end)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _finish(
        name, tally, start, target_qps=None, concurrency=concurrency,
        latency_bound_ms=latency_bound_ms, percentile=percentile, details={},
    )


async def run_single_stream(call: Caller, **kwargs: Any) -> LoadResult:
    """LoadGen single-stream: one query at a time (see :func:`run_closed_loop`)."""
    return await run_closed_loop(call, concurrency=1, scenario="single-stream", **kwargs)


async def run_offline(call: Caller, *, concurrency: int, **kwargs: Any) -> LoadResult:
    """Throughput at a fixed ``concurrency`` (see :func:`run_closed_loop`)."""
    return await run_closed_loop(call, concurrency=concurrency, scenario="offline", **kwargs)


_SPIN_S = 0.0011
PRECISE_TIMING_MAX_QPS = 500.0
"""Up to this rate the server scenario sends on time to tens of microseconds (see :func:`_sleep_until`)."""


async def _sleep_until(when: float, precise: bool) -> None:
    """Wait until ``perf_counter() >= when``; late queries are sent at once.

    asyncio rounds timer waits up to the next millisecond (epoll's resolution), which sends
    queries up to 1 ms late. With ``precise``, sleep until ``_SPIN_S`` before and then yield to
    other tasks (``sleep(0)``) until the time comes; this costs CPU, so it is used only at rates
    up to :data:`PRECISE_TIMING_MAX_QPS`. Either way latency runs from the scheduled time, so
    lateness is charged to the measurement (and shown as ``schedule_lag_ms``), never hidden.
    """
    wait = when - time.perf_counter()
    if not precise:
        if wait > 0:
            await asyncio.sleep(wait)
        return
    if wait > _SPIN_S:
        await asyncio.sleep(wait - _SPIN_S)
    while time.perf_counter() < when:
        await asyncio.sleep(0)


def poisson_schedule(target_qps: float, seed: int, chunk: int = 4096):
    """Endless scheduled send times (seconds from start) of a Poisson process, from ``seed``."""
    rng = np.random.default_rng(seed)
    t = 0.0
    while True:
        gaps = rng.exponential(1.0 / target_qps, size=chunk)
        for when in (t + np.cumsum(gaps)).tolist():
            yield when
        t = when


async def run_server(
    call: Caller,
    *,
    target_qps: float,
    duration_s: float | None = None,
    queries: int | None = None,
    seed: int = 0,
    latency_bound_ms: float | None = None,
    percentile: float = DEFAULT_PERCENTILE,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
) -> LoadResult:
    """LoadGen server: open-loop Poisson arrivals at ``target_qps`` from a seeded generator.

    A query is sent at its scheduled time whether or not earlier ones have answered; its latency
    runs from that *scheduled* time to the end of its answer. At most ``max_in_flight`` queries
    are outstanding (a safety cap); when the cap is hit the schedule waits, the wait counts in
    the latency, and ``details["cap_hits"]`` says how often. ``details["schedule_lag_ms"]`` is how
    late the harness sent queries after their scheduled time (a harness at its limit shows here).
    """
    _check_stop(duration_s, queries)
    if target_qps <= 0:
        raise ValueError("target_qps must be positive")
    tally = _Tally()
    lag = LatencyRecorder()
    pending: set[asyncio.Task[None]] = set()
    room = asyncio.Event()
    cap_hits = 0
    max_seen = 0

    async def one(i: int, scheduled: float) -> None:
        lag.record((time.perf_counter() - scheduled) * 1e3)
        result = await _safe_call(call, i)
        end = time.perf_counter()
        tally.add(result, (end - scheduled) * 1e3, end)

    def finished(task: asyncio.Task[None]) -> None:
        pending.discard(task)
        room.set()

    precise = target_qps <= PRECISE_TIMING_MAX_QPS
    start = time.perf_counter()
    issued = 0
    last_offset = 0.0
    for offset in poisson_schedule(target_qps, seed):
        if (duration_s is not None and offset >= duration_s) or (queries is not None and issued >= queries):
            break
        scheduled = start + offset
        await _sleep_until(scheduled, precise)
        if len(pending) >= max_in_flight:
            cap_hits += 1
            while len(pending) >= max_in_flight:
                room.clear()
                await room.wait()
        task = asyncio.create_task(one(issued, scheduled))
        pending.add(task)
        task.add_done_callback(finished)
        max_seen = max(max_seen, len(pending))
        issued += 1
        last_offset = offset
    while pending:
        await asyncio.gather(*list(pending))
    details: dict[str, Any] = {
        "seed": seed,
        "arrivals": "poisson",
        "scheduled_qps": issued / last_offset if last_offset > 0 else 0.0,
        "max_in_flight": max_in_flight,
        "peak_in_flight": max_seen,
        "cap_hits": cap_hits,
        "schedule_lag_ms": lag.summary(),
        "latency_from": "scheduled send time",
    }
    if cap_hits:
        details.setdefault("warnings", []).append(
            f"the in-flight cap of {max_in_flight} was hit {cap_hits} time(s): arrivals waited (counted in latency)"
        )
    return _finish(
        "server", tally, start, target_qps=target_qps, concurrency=None,
        latency_bound_ms=latency_bound_ms, percentile=percentile, details=details,
    )


@dataclass(frozen=True)
class SearchResult:
    """The highest probed rate that passed, and every probe made to find it."""

    best_qps: float | None
    probes: list[LoadResult]

    def to_json(self) -> dict[str, Any]:
        return {
            "best_qps": self.best_qps,
            "probes": [
                {"target_qps": p.target_qps, "achieved_qps": p.achieved_qps, "p99_ms": p.latency_ms.get("p99"),
                 "bound_met": p.bound_met, "errors": p.errors}
                for p in self.probes
            ],
        }


def meets_bound_and_rate(result: LoadResult, rate_tolerance: float = 0.02) -> bool:
    """Default search criterion: the latency bound held (if any) and the achieved rate is within
    ``rate_tolerance`` of the target, with no failed query."""
    assert result.target_qps is not None
    rate_ok = result.achieved_qps >= result.target_qps * (1 - rate_tolerance)
    return rate_ok and result.bound_met is not False and not result.errors


async def search_max_qps(
    probe: Callable[[float], Awaitable[LoadResult]],
    low_qps: float,
    high_qps: float,
    *,
    passes: Callable[[LoadResult], bool] = meets_bound_and_rate,
    rounds: int = 6,
) -> SearchResult:
    """Bisection for the highest server-scenario rate that ``passes``, between ``low_qps`` and
    ``high_qps``. ``probe(qps)`` runs one server scenario at that rate."""
    if not 0 < low_qps < high_qps:
        raise ValueError("need 0 < low_qps < high_qps")
    probes: list[LoadResult] = []
    best: float | None = None
    result = await probe(high_qps)
    probes.append(result)
    if passes(result):
        return SearchResult(high_qps, probes)
    lo, hi = low_qps, high_qps
    result = await probe(lo)
    probes.append(result)
    if not passes(result):
        return SearchResult(None, probes)
    best = lo
    for _ in range(rounds):
        mid = (lo + hi) / 2
        result = await probe(mid)
        probes.append(result)
        if passes(result):
            lo = best = mid
        else:
            hi = mid
    return SearchResult(best, probes)
