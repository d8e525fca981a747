"""Latency: nearest-rank percentiles on known arrays, every call counted, vendor time beside client time."""

import pytest

from harness.metrics import score_latency
from harness.metrics.latency import latency_summary
from harness.outcome import CallOutcome
from vendor_adapters.base import Recognition


def test_percentiles_of_one_to_ten_by_nearest_rank():
    s = latency_summary(range(10, 0, -1))  # order must not matter
    assert (s["n"], s["min"], s["max"], s["mean"]) == (10, 1.0, 10.0, 5.5)
    assert (s["p50"], s["p90"], s["p95"], s["p99"]) == (5.0, 9.0, 10.0, 10.0)


def test_percentiles_of_one_to_hundred():
    s = latency_summary(range(1, 101))
    assert (s["p50"], s["p90"], s["p95"], s["p99"], s["max"]) == (50.0, 90.0, 95.0, 99.0, 100.0)


def test_one_slow_call_in_a_hundred_shows_at_p99_only_when_it_is_among_the_top_one_percent():
    s = latency_summary([10.0] * 99 + [5000.0])
    assert s["p99"] == 10.0 and s["max"] == 5000.0
    s = latency_summary([10.0] * 98 + [5000.0] * 2)
    assert s["p99"] == 5000.0


def test_bootstrap_intervals_bracket_p50_and_p95():
    s = latency_summary(range(1, 101))
    low, high = s["p50_ci"]
    assert low <= 50.0 <= high and high - low < 40
    low, high = s["p95_ci"]
    assert low <= 95.0 <= high


def test_empty_series():
    s = latency_summary([])
    assert s["n"] == 0 and s["p99"] is None and s["p50_ci"] is None


def outcome(i, client_ms, vendor_ms=None, error=False):
    rec = None if error else Recognition((), vendor_ms=vendor_ms)
    return CallOutcome(f"s{i}", "0" * 64, 1, client_ms, rec, error_kind="timeout" if error else None)


def test_answered_failed_and_vendor_times_side_by_side_each_with_its_own_n():
    outcomes = [
        outcome(1, 100.0, 40.0),
        outcome(2, 200.0),
        outcome(3, 300.0, 60.0),
        outcome(4, 5000.0, error=True),
    ]
    lat = score_latency(outcomes)
    assert lat["client_ms"]["n"] == 3 and lat["client_ms"]["max"] == 300.0  # answered calls only
    assert lat["client_ms"]["mean"] == pytest.approx(200.0)
    assert lat["failed_ms"]["n"] == 1 and lat["failed_ms"]["max"] == 5000.0  # the time-out, reported apart
    assert lat["vendor_ms"]["n"] == 2 and lat["vendor_ms"]["p50"] == 40.0 and lat["vendor_ms"]["max"] == 60.0
