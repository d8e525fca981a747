"""The token bucket behind client-side rate limits, driven by a fake clock (no real waiting)."""

from __future__ import annotations

import threading

import pytest

from vendor_adapters.ratelimit import TokenBucket


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_sends_are_spaced_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(8, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits[0] == 0
    assert waits[1:] == [pytest.approx(0.125)] * 3
    assert clock.now == pytest.approx(100.375)


def test_idle_time_refills_only_up_to_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(1, burst=2, clock=clock, sleep=clock.sleep)
    clock.now += 60
    assert [bucket.acquire() for _ in range(3)] == [0, 0, pytest.approx(1.0)]


def test_concurrent_callers_each_get_their_own_slot():
    clock = FakeClock()
    reserved: list[float] = []
    bucket = TokenBucket(2, clock=clock, sleep=reserved.append)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The clock never moves, so the five callers are queued 0.5 s apart: waits 0.5, 1.0, 1.5, 2.0.
    assert sorted(reserved) == [pytest.approx(x) for x in (0.5, 1.0, 1.5, 2.0)]


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_nonsense_settings_are_refused(rate, burst):
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)
