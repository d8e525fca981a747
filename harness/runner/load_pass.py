"""The load scenarios of a run: after the accuracy pass, the rubric's (or the user's) scenarios are
run against the same vendor with the run's images, through :mod:`harness.load`.

- Network vendors (sans-I/O ``HttpAdapter``): :func:`harness.load.callers.http_caller` over one
  :class:`~harness.transport.AsyncTransport` with the run's time-outs and retry policy.
- Local engines: the run's :class:`~harness.calls.pool.CallPool`, the workers the accuracy pass
  used (engines already loaded; each answers one warm-up call, not measured): ``cpu_bound``
  engines in its processes, others one call at a time in its thread. In the server scenario
  queries beyond the pool's width wait in its queue; that wait counts in latency.

Each scenario becomes one ``results.load`` entry: :meth:`LoadResult.to_result` plus
``availability``, ``percentile`` and the scenario's warnings (e.g. too few queries for the
percentile it reports).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.calls.pool import CallPool
from harness.corpus.model import Sample
from harness.load.plan import LoadPlan, run_load
from harness.load.scenarios import LoadResult


def entry(result: LoadResult) -> dict[str, Any]:
    """The ``results.load`` entry of one scenario."""
    failed = sum(result.errors.values())
    return {
        **result.to_result(),
        "availability": (result.n - failed) / result.n if result.n else None,
        "percentile": result.details.get("percentile"),
        "warnings": result.warnings,
    }


def run_load_pass(plan: LoadPlan, pool: CallPool, samples: Sequence[Sample]) -> list[dict[str, Any]]:
    """Run every scenario of ``plan`` against the run's adapter with ``samples``' images, through the
    run's pool (the accuracy pass's workers, engines already loaded); the ``results.load`` entries."""
    if not samples:
        return []
    return [entry(r) for r in run_load(plan, pool.adapter, samples, pool)]
