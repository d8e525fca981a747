"""One call on one sample: timing it, and turning its result or failure into a :class:`CallOutcome`.

Timing is ``time.perf_counter_ns`` around the adapter call only (loading the image file is not
timed). Sans-I/O network adapters (:class:`HttpAdapter`) are sent by :func:`call_http` through the
harness's :class:`~harness.transport.AsyncTransport`; the adapter only builds the request and
parses the answer. A :class:`VendorError` becomes ``error_kind = exc.kind``; any other exception raised by an
adapter is recorded as ``adapter_crash`` with its type and message. Nothing here raises for a
vendor's misbehaviour: the run goes on. An image file that cannot be read is the corpus's fault,
not the vendor's: that ``OSError`` propagates and stops the run (it can be resumed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from harness.corpus.model import Sample
from harness.outcome import CallOutcome
from vendor_adapters.base import Adapter, HttpAdapter, Recognition
from vendor_adapters.errors import AdapterCrash, VendorError

if TYPE_CHECKING:  # the transport is imported only where it is used (pool workers never need it)
    from harness.transport import AsyncTransport, RetryPolicy


def utc_now() -> str:
    """The current UTC time, ISO 8601 with microseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def make_outcome(
    sample: Sample, attempt: int, started_at: str, elapsed_ns: int, result: Recognition | BaseException
) -> CallOutcome:
    """The recorded outcome of one call that returned ``result`` (a recognition or the exception)."""
    client_ms = elapsed_ns / 1e6
    common = {
        "sample_id": sample.id,
        "image_sha256": sample.sha256,
        "attempt": attempt,
        "client_ms": client_ms,
        "started_at": started_at,
    }
    if isinstance(result, Recognition):
        return CallOutcome(recognition=result, **common)
    if isinstance(result, VendorError):
        return CallOutcome(error_kind=result.kind, error_message=result.message, **common)
    if not isinstance(result, BaseException):
        message = f"recognize() returned {type(result).__name__}, not a Recognition"
    else:
        message = f"{type(result).__name__}: {result}"
    return CallOutcome(error_kind=AdapterCrash.kind, error_message=message, **common)


def call_sync(adapter: Adapter, sample: Sample, attempt: int = 1) -> CallOutcome:
    """Call ``adapter.recognize`` on ``sample`` in this thread, timed."""
    image = sample.load_image()
    started_at = utc_now()
    start = time.perf_counter_ns()
    try:
        result: Any = adapter.recognize(image)
    except Exception as exc:  # noqa: BLE001 - every adapter failure is a recorded outcome
        result = exc
    return make_outcome(sample, attempt, started_at, time.perf_counter_ns() - start, result)


class Pacer:
    """Spaces the sends of one event loop at least ``interval_s`` apart.

    A vendor's client-side rate limit (``adapter.min_interval_s``, e.g. Plate Recognizer's 1 call/s
    on a trial account): a run that trips the limit would measure the vendor's throttling, not its
    reader. Each caller reserves the next free slot, then waits for it; the wait is not timed.
    """

    def __init__(self, interval_s: float = 0.0) -> None:
        self.interval_s = max(float(interval_s), 0.0)
        self._next = 0.0

    async def wait(self) -> None:
        """Return when this caller may send."""
        if not self.interval_s:
            return
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval_s
        if slot > now:
            await asyncio.sleep(slot - now)


OnAttempt = Callable[[CallOutcome, bool], None]
"""Receives each attempt's outcome, and whether it is the sample's final one."""


async def call_http(
    adapter: HttpAdapter,
    sample: Sample,
    transport: AsyncTransport,
    on_attempt: OnAttempt,
    *,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
) -> None:
    """Send ``sample`` through a sans-I/O adapter: ``parse_response(await transport.send(build_request(image)))``.

    Each attempt is handed to ``on_attempt`` as soon as it ends (the journal records it); a failed
    attempt whose kind ``policy`` retries is followed by another after the policy's wait, and only
    the last attempt is final. ``client_ms`` runs from the send (after any rate-limit wait) to the
    parsed answer.
    """
    from harness.transport import RetryPolicy

    policy = policy or RetryPolicy()
    image = sample.load_image()
    for attempt in range(1, policy.max_attempts + 1):
        result: Any
        try:
            request = adapter.build_request(image)
        except Exception as exc:  # noqa: BLE001 - an adapter bug is a recorded outcome
            on_attempt(make_outcome(sample, attempt, utc_now(), 0, exc), True)
            return
        if pacer is not None:
            await pacer.wait()
        started_at = utc_now()
        start = time.perf_counter_ns()
        try:
            result = adapter.parse_response(await transport.send(request))
        except Exception as exc:  # noqa: BLE001 - every adapter failure is a recorded outcome
            result = exc
        outcome = make_outcome(sample, attempt, started_at, time.perf_counter_ns() - start, result)
        final = outcome.ok or attempt == policy.max_attempts or outcome.error_kind not in policy.retry_kinds
        on_attempt(outcome, final)
        if final:
            return
        await asyncio.sleep(policy.delay_s(attempt, result))


async def call_async(adapter: Adapter, sample: Sample, attempt: int = 1) -> CallOutcome:
    """A network adapter that is not sans-I/O: its synchronous ``recognize`` in a worker thread, timed."""
    image = sample.load_image()
    started_at = utc_now()
    start = time.perf_counter_ns()
    try:
        result: Any = await asyncio.to_thread(adapter.recognize, image)
    except Exception as exc:  # noqa: BLE001 - every adapter failure is a recorded outcome
        result = exc
    return make_outcome(sample, attempt, started_at, time.perf_counter_ns() - start, result)


# --------------------------------------------------------------------------- process-pool workers

_worker_adapter: Adapter | None = None


def init_worker(class_path: str, config: dict[str, Any]) -> None:
    """Process-pool initializer: build this worker's adapter once."""
    import importlib
    import os

    global _worker_adapter
    module_name, _, attr = class_path.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    _worker_adapter = cls.from_config(config, os.environ)


def call_in_worker(sample: Sample, attempt: int = 1) -> CallOutcome:
    """Run one call inside a pool worker; ``client_ms`` is the engine call measured in the worker."""
    if _worker_adapter is None:
        raise RuntimeError("worker adapter not initialised")
    return call_sync(_worker_adapter, sample, attempt)


def worker_ready() -> bool:
    """A no-op task proving a pool worker started and built its adapter."""
    return _worker_adapter is not None
