"""One call on one sample: timing it, and turning its result or failure into a :class:`CallOutcome`.

Timing is ``time.perf_counter_ns`` around the adapter call only (loading the image file is not
timed). A :class:`VendorError` becomes ``error_kind = exc.kind``; any other exception raised by an
adapter is recorded as ``adapter_crash`` with its type and message. Nothing here raises for a
vendor's misbehaviour: the run goes on. An image file that cannot be read is the corpus's fault,
not the vendor's: that ``OSError`` propagates and stops the run (it can be resumed).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from harness.corpus.model import Sample
from harness.outcome import CallOutcome
from vendor_adapters.base import Adapter, Image, Recognition
from vendor_adapters.errors import AdapterCrash, VendorError


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


async def send(adapter: Adapter, image: Image) -> Recognition:
    """THE send path for network adapters: the one function a faster async transport replaces.

    Today it runs the adapter's synchronous ``recognize`` (build request, send through its
    ``httpx.Client``, parse) in a worker thread.
    """
    return await asyncio.to_thread(adapter.recognize, image)


async def call_async(adapter: Adapter, sample: Sample, attempt: int = 1) -> CallOutcome:
    """Like :func:`call_sync`, through :func:`send`, timed around the await."""
    image = sample.load_image()
    started_at = utc_now()
    start = time.perf_counter_ns()
    try:
        result: Any = await send(adapter, image)
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
