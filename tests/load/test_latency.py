"""Latency recording: exact nearest-rank percentiles for short runs, HDR precision for long ones."""

from __future__ import annotations

import numpy as np
import pytest

from harness.load.latency import LatencyRecorder

PS = (50.0, 90.0, 99.0, 99.9)


def nearest_rank(values: np.ndarray, p: float) -> float:
    """The documented definition: rank max(1, round(p/100 * n)) of the sorted values."""
    return float(np.sort(values)[max(1, int(p * len(values) / 100 + 0.5)) - 1])


def test_exact_mode_is_the_exact_nearest_rank_value() -> None:
    values = np.random.default_rng(1).lognormal(mean=3.0, sigma=0.6, size=5_000)
    rec = LatencyRecorder()
    for v in values:
        rec.record(float(v))
    assert rec.exact
    for p in PS:
        assert rec.percentile(p) == nearest_rank(values, p)
    assert rec.summary()["max"] == values.max()
    assert rec.count_above(30.0) == int((values > 30.0).sum())


def test_histogram_mode_is_within_three_significant_digits() -> None:
    values = np.random.default_rng(2).lognormal(mean=3.0, sigma=0.8, size=50_000)
    rec = LatencyRecorder(exact_limit=1_000)
    for v in values:
        rec.record(float(v))
    assert not rec.exact
    assert "3 significant digits" in rec.precision
    for p in PS:
        assert rec.percentile(p) == pytest.approx(nearest_rank(values, p), rel=1e-3, abs=1e-3)
    assert rec.summary()["max"] == values.max()  # max and mean stay exact
    assert rec.summary()["mean"] == pytest.approx(values.mean())
    assert rec.count_above(40.0) == pytest.approx(int((values > 40.0).sum()), rel=5e-3)


def test_memory_is_bounded_after_the_exact_limit() -> None:
    rec = LatencyRecorder(exact_limit=10)
    for v in range(1, 1_000):
        rec.record(float(v))
    assert rec.count == 999 and not rec.exact


def test_empty_recorder_reports_nothing() -> None:
    assert LatencyRecorder().summary() == {k: None for k in ("p50", "p90", "p95", "p99", "p99.9", "min", "mean", "max")}
