"""Latency recording for load runs: exact for short runs, an HDR histogram for long ones.

Every value is recorded twice while the run is short: into an exact array of float milliseconds
(``exact_limit`` values at most, 8 bytes each) and into an ``hdrhistogram`` with microsecond
resolution and 3 significant digits. The ``p``-th percentile is the value of rank
``max(1, round(p/100 * n))`` in ascending order (nearest rank, HdrHistogram's convention, so both
modes agree). While the exact array holds every value that value is exact; past the limit the
array is dropped and percentiles come from the histogram, whose answers are within 0.1% (3
significant digits) plus 1 microsecond of the exact value of that rank. Memory is constant: at most the
array limit plus the histogram's fixed counts array (about 190 KB for a 1-hour range).
Values are never rounded before percentiles beyond that stated precision.
"""

from __future__ import annotations

import math
from array import array

import numpy as np
from hdrh.histogram import HdrHistogram

HIGHEST_US = 3_600_000_000
"""Largest recordable latency: one hour, in microseconds (larger values are clamped to it)."""
SIGNIFICANT_DIGITS = 3
DEFAULT_EXACT_LIMIT = 100_000

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 95.0, 99.0, 99.9)


class LatencyRecorder:
    """Collects latencies in milliseconds and answers percentiles in milliseconds."""

    def __init__(self, exact_limit: int = DEFAULT_EXACT_LIMIT) -> None:
        self._hist = HdrHistogram(1, HIGHEST_US, SIGNIFICANT_DIGITS)
        self._exact: array | None = array("d")
        self._exact_limit = exact_limit
        self._count = 0
        self._sum = 0.0
        self._min = math.inf
        self._max = -math.inf

    def record(self, ms: float) -> None:
        """Add one latency (milliseconds, any float >= 0)."""
        self._count += 1
        self._sum += ms
        self._min = min(self._min, ms)
        self._max = max(self._max, ms)
        self._hist.record_value(min(max(1, round(ms * 1000.0)), HIGHEST_US))
        if self._exact is not None:
            if len(self._exact) < self._exact_limit:
                self._exact.append(ms)
            else:
                self._exact = None

    @property
    def count(self) -> int:
        return self._count

    @property
    def exact(self) -> bool:
        """True while every recorded value is still held exactly."""
        return self._exact is not None

    @property
    def precision(self) -> str:
        """How percentiles are computed, in words (recorded with results)."""
        if self.exact:
            return "exact (nearest rank, round(p/100*n))"
        return f"hdr histogram, 1 us resolution, {SIGNIFICANT_DIGITS} significant digits"

    def percentile(self, p: float) -> float | None:
        """The ``p``-th percentile (0-100) in milliseconds; ``None`` when nothing was recorded."""
        if self._count == 0:
            return None
        if self._exact is not None:
            return self.value_at_rank(max(1, int(p * self._count / 100.0 + 0.5)))
        return self._hist.get_value_at_percentile(p) / 1000.0

    def value_at_rank(self, rank: int) -> float | None:
        """The ``rank``-th smallest value (1-based), exact or to the histogram's precision."""
        if not 1 <= rank <= self._count:
            return None
        if self._exact is not None:
            return float(np.partition(np.frombuffer(self._exact, dtype=np.float64), rank - 1)[rank - 1])
        return self._hist.get_value_at_percentile(100.0 * rank / self._count) / 1000.0

    def count_above(self, ms: float) -> int:
        """How many recorded values exceed ``ms`` (exact, or to the histogram's precision)."""
        if self._exact is not None:
            return int(np.count_nonzero(np.frombuffer(self._exact, dtype=np.float64) > ms))
        limit_us = round(ms * 1000.0)
        return sum(
            item.count_added_in_this_iter_step
            for item in self._hist.get_recorded_iterator()
            if item.value_iterated_to > limit_us
        )

    def summary(self) -> dict[str, float | None]:
        """``p50``, ``p90``, ``p95``, ``p99``, ``p99.9``, ``min``, ``mean``, ``max`` in milliseconds."""
        out: dict[str, float | None] = {_key(p): self.percentile(p) for p in PERCENTILES}
        empty = self._count == 0
        out["min"] = None if empty else self._min
        out["mean"] = None if empty else self._sum / self._count
        out["max"] = None if empty else self._max
        return out


def _key(p: float) -> str:
    return f"p{p:g}"
