"""A small thread-safe token bucket, so an adapter never sends faster than its vendor allows.

Vendors publish per-second limits (Plate Recognizer: 1 lookup/s on a trial, 8/s paid) and answer
429 beyond them. A run that trips the limit measures the vendor's throttling, not its reader, so
adapters space their calls on the client side. The harness reads ``adapter.client_rate_limit()`` and
schedules its own sends; ``HttpAdapter.recognize`` (the synchronous path) calls
:meth:`TokenBucket.acquire` before each request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; :meth:`acquire` blocks until one is free.

    Thread-safe: concurrent callers are served one token each, in turn. ``clock`` and ``sleep`` are
    injectable so tests can drive the bucket without waiting.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    @property
    def interval_s(self) -> float:
        """Seconds between two sends at the sustained rate."""
        return 1.0 / self.rate

    def _reserve(self) -> float:
        """Take a token (possibly going into debt); return how long the caller must wait."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> float:
        """Block until the caller may send; returns the seconds waited."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait
