"""Single-stream latency from every call: percentiles by nearest rank, with bootstrap intervals.

Percentiles use numpy's ``inverted_cdf`` method, the classic *nearest-rank* definition: the p-th
percentile is the smallest observed value with at least p% of all values at or below it. It is
always a latency that really happened (never interpolated), e.g. for 1..10 ms: p50 = 5, p90 = 9,
p95 = p99 = 10.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from harness.metrics.spec import units
from harness.metrics.stats import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, bootstrap_percentile
from harness.outcome import CallOutcome

PERCENTILE_METHOD = "inverted_cdf"
PERCENTILES = (50, 90, 95, 99)
CDF_STEPS = 101
"""``cdf`` holds the nearest-rank percentiles 0, 1, ..., 100 (0 = the minimum): a compact sketch of
the whole latency distribution, enough to draw its CDF in a report."""


def percentile(values: Sequence[float] | np.ndarray, q: float) -> float:
    """The nearest-rank ``q``-th percentile (0-100) of a non-empty array."""
    return float(np.percentile(np.asarray(values, dtype=float), q, method=PERCENTILE_METHOD))


def latency_summary(values_ms: Iterable[float]) -> dict[str, Any]:
    """n, mean, min, p50, p90, p95, p99, max (ms) over every value, bootstrap 95% CIs of p50 and p95,
    and ``cdf``: the percentiles 0-100 in 1% steps (rounded to 0.1 us), for plotting.

    Empty input gives n = 0 and ``None`` figures.
    """
    values = np.asarray(list(values_ms), dtype=float)
    summary: dict[str, Any] = {
        "n": int(values.size),
        "unit": "ms",
        "percentile_method": "nearest-rank (numpy inverted_cdf)",
        "ci_method": f"bootstrap-percentile({BOOTSTRAP_RESAMPLES}, seed={BOOTSTRAP_SEED})",
    }
    if not values.size:
        summary.update({k: None for k in ("mean", "min", *(f"p{q}" for q in PERCENTILES), "max")})
        summary.update({"p50_ci": None, "p95_ci": None, "cdf": None})
        return summary
    summary["mean"] = float(values.mean())
    summary["min"] = float(values.min())
    for q in PERCENTILES:
        summary[f"p{q}"] = percentile(values, q)
    summary["max"] = float(values.max())
    for q in (50, 95):
        est = bootstrap_percentile(values, q, method=PERCENTILE_METHOD, **units(f"p{q}"))
        summary[f"p{q}_ci"] = None if est.ci_low is None else [est.ci_low, est.ci_high]
    grid = np.linspace(0, 100, CDF_STEPS)
    summary["cdf"] = [round(v, 4) for v in np.percentile(values, grid, method=PERCENTILE_METHOD).tolist()]
    return summary


def single_stream(outcomes: Sequence[CallOutcome]) -> dict[str, Any]:
    """Client-observed time of the *answered* calls (a vendor that fails fast earns no latency), the
    time of the failed calls apart (``failed_ms``), and vendor-reported time over the calls that
    reported one (each with its own n)."""
    return {
        "client_ms": latency_summary(o.client_ms for o in outcomes if o.ok),
        "failed_ms": latency_summary(o.client_ms for o in outcomes if not o.ok),
        "vendor_ms": latency_summary(o.vendor_ms for o in outcomes if o.vendor_ms is not None),
    }
