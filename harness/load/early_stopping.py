"""How many queries a run needs before it may state a latency percentile: MLPerf LoadGen's
early-stopping rule.

Source: MLPerf Inference LoadGen, ``loadgen/early_stopping.cc`` (``MinPassingQueriesFinder``) and
``loadgen/results.cc`` (``PerformanceSummary::EarlyStopping``), with the LoadGen defaults
confidence ``c = 0.99`` and tolerance ``d = 0``.

Treat each query as a Bernoulli trial that is *over latency* with probability ``1 - p`` when the
true ``p``-quantile sits exactly at the bound. After ``h`` queries under the bound and ``t`` over
it, the probability of seeing at most ``t`` over-latency queries in ``h + t`` trials is the
binomial CDF ``P[Bin(h + t, 1 - p + d) <= t]``, which equals the regularized incomplete beta
function ``I_{p-d}(h, t + 1)``. The run supports "the ``p``-quantile meets the bound" at
confidence ``c`` when that probability is below ``1 - c``; :func:`min_passing` finds the least such
``h``. With no over-latency query allowed beyond the first (``t = 1``) this gives LoadGen's
minimum query count: 64 for p90, 662 for p99 (``min_queries``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

CONFIDENCE = 0.99
TOLERANCE = 0.0


def odds(h: int, t: int, p: float, d: float = TOLERANCE) -> float:
    """``P[Bin(h + t, 1 - p + d) <= t]`` = ``I_{p-d}(h, t + 1)``."""
    from scipy.special import betainc  # lazy: importing the load package must stay light

    return float(betainc(h, t + 1, p - d))


@lru_cache(maxsize=4096)
def min_passing(t: int, p: float, d: float = TOLERANCE, c: float = CONFIDENCE) -> int:
    """Least ``h`` (queries under the bound) such that ``odds(h, t, p, d) < 1 - c``."""
    if not 0.0 < p < 1.0 or not 0.0 < c < 1.0 or not 0.0 <= d < p or t < 0:
        raise ValueError(f"need 0 < p < 1, 0 < c < 1, 0 <= d < p, t >= 0 (got p={p}, c={c}, d={d}, t={t})")
    target = 1.0 - c
    hi = 1
    while odds(hi, t, p, d) >= target:
        hi *= 2
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if odds(mid, t, p, d) < target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def min_queries(p: float, c: float = CONFIDENCE) -> int:
    """Fewest queries for which LoadGen reports a ``p``-quantile at all (``h_min(t=1) + 1``)."""
    return min_passing(1, p, TOLERANCE, c) + 1


def estimate_rank(n: int, p: float, c: float = CONFIDENCE) -> int | None:
    """1-based rank (in ascending order) of LoadGen's early-stopping ``p``-quantile estimate for
    ``n`` queries, or ``None`` when ``n < min_queries(p)``.

    LoadGen (single-stream) takes the largest ``t`` with ``min_passing(t) + t <= n``, discards the
    ``t - 1`` slowest queries and reports the slowest remaining one: rank ``n - t + 1``.
    ``min_passing(t) + t`` grows with ``t``, so ``t`` is found by bisection.
    """
    if n < min_queries(p, c):
        return None
    lo, hi = 1, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if min_passing(mid, p, TOLERANCE, c) + mid <= n:
            lo = mid
        else:
            hi = mid - 1
    return n - lo + 1


@dataclass(frozen=True)
class EarlyStopping:
    """The verdict of the early-stopping rule on one run."""

    percentile: float
    """The quantile the bound is about, 0-1 (e.g. 0.99)."""
    queries: int
    over_bound: int
    """Queries over the latency bound (failed queries count as over)."""
    needed: int
    """Queries the run needed for the bound to be shown at ``CONFIDENCE``: ``min_passing(t) + t``."""

    @property
    def satisfied(self) -> bool:
        """True when the run was long enough, given its over-bound count."""
        return self.queries >= self.needed

    def to_json(self) -> dict[str, float | int | bool]:
        return {
            "percentile": self.percentile,
            "confidence": CONFIDENCE,
            "queries": self.queries,
            "over_bound": self.over_bound,
            "needed": self.needed,
            "satisfied": self.satisfied,
        }


def server_early_stopping(queries: int, over_bound: int, p: float) -> EarlyStopping:
    """LoadGen's server-scenario check: ``queries >= min_passing(over_bound, p) + over_bound``."""
    return EarlyStopping(p, queries, over_bound, min_passing(over_bound, p) + over_bound)
