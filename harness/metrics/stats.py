"""Point estimates with their sample size and a 95% confidence interval.

Every figure platebench reports is an :class:`Estimate`: the value, the number of observations it
rests on, the interval, the unit, which direction is better and how the interval was computed.
Proportions use the Wilson score interval; other statistics a seeded percentile bootstrap, so the
same journal always gives the same scorecard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

CONFIDENCE = 0.95
"""The confidence level of every interval in a scorecard."""
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Estimate:
    """A figure with its n and confidence interval; ``value`` is ``None`` when n is 0."""

    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    unit: str
    higher_is_better: bool | None
    method: str
    """How the interval was computed, e.g. ``wilson`` or ``bootstrap-percentile(2000, seed=0)``."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (plain floats and ints only)."""
        return asdict(self)


def wilson(
    successes: int,
    n: int,
    confidence: float = CONFIDENCE,
    *,
    unit: str = "proportion",
    higher_is_better: bool | None = True,
) -> Estimate:
    """Proportion ``successes / n`` with its Wilson score interval; n = 0 gives value ``None``."""
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return Estimate(None, 0, None, None, unit, higher_is_better, "wilson")
    from scipy import stats as _scipy_stats  # lazy: only scoring needs it

    ci = _scipy_stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Estimate(successes / n, n, float(ci.low), float(ci.high), unit, higher_is_better, "wilson")


def rate_per_1000(
    events: int,
    n: int,
    confidence: float = CONFIDENCE,
    *,
    unit: str = "per 1,000",
    higher_is_better: bool | None = False,
) -> Estimate:
    """Events per 1,000 observations (e.g. wrong-plate reads per 1,000 reads): Wilson, scaled by 1000."""
    p = wilson(events, n, confidence)

    def scale(x: float | None) -> float | None:
        return None if x is None else 1000.0 * x

    return Estimate(
        scale(p.value), n, scale(p.ci_low), scale(p.ci_high), unit, higher_is_better, "wilson x 1000"
    )


def count(events: int, n: int, *, unit: str, higher_is_better: bool | None = False) -> Estimate:
    """A plain count out of ``n`` observations (no interval: it is not an estimate of anything)."""
    return Estimate(float(events), n, None, None, unit, higher_is_better, "count")


def bootstrap(
    values: Sequence[float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    unit: str,
    higher_is_better: bool | None,
) -> Estimate:
    """``statistic(values)`` with a seeded percentile-bootstrap interval.

    ``values`` is 1-D, or 2-D with one row per observation (rows are resampled together, e.g.
    ``(confidence, correct)`` pairs); ``statistic`` receives an array of the same shape. Fewer than
    two values give no interval (``ci_low``/``ci_high`` ``None``); none give value ``None``.
    """
    data = np.asarray(values, dtype=float)
    n = int(data.shape[0]) if data.ndim else 0
    method = f"bootstrap-percentile({resamples}, seed={seed})"
    if n == 0:
        return Estimate(None, 0, None, None, unit, higher_is_better, method)
    value = float(statistic(data))
    if n < 2:
        return Estimate(value, n, None, None, unit, higher_is_better, method)
    rng = np.random.default_rng(seed)
    results = np.empty(resamples)
    for i in range(resamples):
        results[i] = statistic(data[rng.integers(0, n, n)])
    return _interval(value, n, results, confidence, unit, higher_is_better, method)


def bootstrap_percentile(
    values: Sequence[float] | np.ndarray,
    q: float,
    *,
    method: str,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    unit: str,
    higher_is_better: bool | None,
) -> Estimate:
    """The ``q``-th percentile (numpy ``method``) of 1-D ``values`` with a seeded percentile-bootstrap
    interval; the same procedure as :func:`bootstrap`, vectorized (resamples are drawn in blocks
    of at most ~4 million values, so memory stays bounded for long runs)."""
    data = np.asarray(values, dtype=float)
    n = int(data.size)
    ci_method = f"bootstrap-percentile({resamples}, seed={seed})"
    if n == 0:
        return Estimate(None, 0, None, None, unit, higher_is_better, ci_method)
    value = float(np.percentile(data, q, method=method))
    if n < 2:
        return Estimate(value, n, None, None, unit, higher_is_better, ci_method)
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, 4_000_000 // n))
    results = np.concatenate(
        [
            np.percentile(data[rng.integers(0, n, (min(block, resamples - start), n))], q, axis=1, method=method)
            for start in range(0, resamples, block)
        ]
    )
    return _interval(value, n, results, confidence, unit, higher_is_better, ci_method)


def _interval(
    value: float,
    n: int,
    results: np.ndarray,
    confidence: float,
    unit: str,
    higher_is_better: bool | None,
    method: str,
) -> Estimate:
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(results, [alpha, 1.0 - alpha])
    return Estimate(value, n, float(low), float(high), unit, higher_is_better, method)
