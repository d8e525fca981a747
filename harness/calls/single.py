"""One call on one image: timing it, and turning its result or failure into a :class:`CallOutcome`.

Timing is ``time.perf_counter_ns`` around the adapter call only (loading the image file is not
timed). Sans-I/O network adapters (:class:`HttpAdapter`) are sent by :func:`call_http` through the
harness's :class:`~harness.transport.AsyncTransport`; the adapter only builds the request and
parses the answer. A :class:`VendorError` becomes ``error_kind = exc.kind``; any other exception
raised by an adapter is recorded as ``adapter_crash`` with its type and message. Nothing here
raises for a vendor's misbehaviour.

**The charging rule** (``docs/running.md``), enforced here and nowhere else: an outcome is charged
to the vendor only when the vendor answered, or failed to answer a request that was actually sent
(the transport re-sends a request once when a reused keep-alive connection turns out closed before
any byte of the answer, so a stale connection is never the vendor's failure). Anything else is a
:class:`HarnessFault` (an image that cannot be read, a transport used after it closed, a bug in the
harness): it is raised, never recorded, and the run stops so it can be resumed.

``client_ms`` ends when the last byte of the answer arrived; parsing the answer is not timed, and
an answer with more reads than :attr:`~harness.transport.TransportConfig.max_reads` is a protocol
error of that sample.

What is called is a :class:`CallTarget`: a corpus :class:`~harness.corpus.model.Sample`, or an
:class:`ImageTarget` holding an image in memory (load runs on images that are not a corpus).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from harness.outcome import Attempt, CallOutcome
from harness.redact import scrub
from vendor_adapters.base import Adapter, HttpAdapter, Image, Recognition, recognition_problem
from vendor_adapters.errors import AdapterCrash, ProtocolError, VendorError

if TYPE_CHECKING:  # the transport is imported only where it is used (pool workers never need it)
    import httpx

    from harness.transport import AsyncTransport, PreparedRequest, RetryPolicy


PARSE_INLINE_BYTES = 64 * 1024
"""Answers up to this size are parsed on the event loop (microseconds); bigger ones in a worker thread,
so one huge answer cannot hold up the time stamps of the other calls in flight."""


class CallTarget(Protocol):
    """What one call reads: an id, the image's sha256, and the image itself."""

    @property
    def id(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    def load_image(self) -> Image: ...


@dataclass(frozen=True)
class ImageTarget:
    """An image in memory as a :class:`CallTarget` (its id is the image's opaque name)."""

    image: Image

    @property
    def id(self) -> str:
        return self.image.name

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.image.data).hexdigest()

    def load_image(self) -> Image:
        return self.image


class HarnessFault(Exception):
    """The harness, not the vendor, failed on a call (never journaled as an outcome; the run stops)."""


def load_target(target: CallTarget) -> Image:
    """``target``'s image; a :class:`HarnessFault` when it cannot be read (e.g. removed mid-run)."""
    try:
        return target.load_image()
    except OSError as exc:
        raise HarnessFault(f"cannot read the image of sample {target.id!r}: {exc.strerror or exc}") from None


def utc_now() -> str:
    """The current UTC time, ISO 8601 with microseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def make_outcome(
    target: CallTarget, attempt: int, started_at: str, elapsed_ns: int, result: Recognition | BaseException,
    earlier: tuple[Attempt, ...] = (),
) -> CallOutcome:
    """The recorded outcome of one call that returned ``result`` (a recognition or the exception)."""
    common = {
        "sample_id": target.id,
        "image_sha256": target.sha256,
        "attempt": attempt,
        "client_ms": elapsed_ns / 1e6,
        "started_at": started_at,
        "earlier": earlier,
    }
    if isinstance(result, Recognition):
        problem = recognition_problem(result)
        if problem is None:
            return CallOutcome(recognition=result, **common)
        result = ProtocolError(f"the answer's {problem}")
    if isinstance(result, VendorError):
        return CallOutcome(error_kind=result.kind, error_message=scrub(result.message), **common)
    if not isinstance(result, BaseException):
        message = f"recognize() returned {type(result).__name__}, not a Recognition"
    else:
        message = f"{type(result).__name__}: {result}"
    return CallOutcome(error_kind=AdapterCrash.kind, error_message=scrub(message), **common)


def call_sync(adapter: Adapter, target: CallTarget, attempt: int = 1) -> CallOutcome:
    """Call ``adapter.recognize`` on ``target`` in this thread, timed."""
    image = load_target(target)
    started_at = utc_now()
    start = time.perf_counter_ns()
    try:
        result: Any = adapter.recognize(image)
    except Exception as exc:  # noqa: BLE001 - every adapter failure is a recorded outcome
        result = exc
    return make_outcome(target, attempt, started_at, time.perf_counter_ns() - start, result)


async def call_in_thread(adapter: Adapter, target: CallTarget) -> CallOutcome:
    """A network adapter that is not sans-I/O: its synchronous ``recognize`` in a worker thread, timed."""
    image = load_target(target)
    started_at = utc_now()
    start = time.perf_counter_ns()
    try:
        result: Any = await asyncio.to_thread(adapter.recognize, image)
    except Exception as exc:  # noqa: BLE001 - every adapter failure is a recorded outcome
        result = exc
    return make_outcome(target, 1, started_at, time.perf_counter_ns() - start, result)


class Pacer:
    """Spaces the sends of one event loop at least ``interval_s`` apart.

    A vendor's client-side rate limit (:meth:`Adapter.client_rate_limit`, e.g. Plate Recognizer's
    1 call/s on a trial account): a run that trips the limit would measure the vendor's
    throttling, not its reader. Each caller reserves the next free slot, then waits for it; the
    wait is not timed.
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
"""Receives each attempt's outcome, and whether it is the query's final one."""


async def call_http(
    adapter: HttpAdapter,
    target: CallTarget,
    transport: AsyncTransport,
    *,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
    on_attempt: OnAttempt | None = None,
    built: tuple[httpx.Request, PreparedRequest] | None = None,
) -> CallOutcome:
    """Send ``target`` through a sans-I/O adapter: ``parse_response(await transport.send(build_request(image)))``.

    A failed attempt whose kind ``policy`` retries is followed by another after the policy's wait;
    the returned outcome is the last attempt's and carries the earlier ones. Each attempt is also
    handed to ``on_attempt`` as soon as it ends (the journal records it). ``client_ms`` runs from
    the send (after any rate-limit wait) to the parsed answer. ``built``: the image's request as
    built and serialised earlier (load runs reuse it); every answer is still parsed.
    """
    from harness.transport import RetryPolicy

    policy = policy or RetryPolicy()
    image = None if built else load_target(target)
    earlier: tuple[Attempt, ...] = ()
    for attempt in range(1, policy.max_attempts + 1):
        result: Any
        try:
            request, prepared = built or (adapter.build_request(image), None)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - an adapter bug is a recorded outcome
            outcome = make_outcome(target, attempt, utc_now(), 0, exc, earlier)
            if on_attempt is not None:
                on_attempt(outcome, True)
            return outcome
        if pacer is not None:
            await pacer.wait()
        started_at = utc_now()
        start = time.perf_counter_ns()
        result, elapsed_ns = await _send(adapter, transport, request, prepared, start)
        outcome = make_outcome(target, attempt, started_at, elapsed_ns, result, earlier)
        final = outcome.ok or attempt == policy.max_attempts or outcome.error_kind not in policy.retry_kinds
        if on_attempt is not None:
            on_attempt(outcome, final)
        if final:
            return outcome
        earlier = outcome.attempts
        await asyncio.sleep(policy.delay_s(attempt, result))
    raise AssertionError("unreachable: max_attempts >= 1")


async def _send(
    adapter: HttpAdapter, transport: AsyncTransport, request: httpx.Request, prepared: PreparedRequest | None,
    start_ns: int,
) -> tuple[Recognition | BaseException, int]:
    """Send and parse one request: (the recognition or the vendor's error, ns from send to the last byte)."""
    from harness.transport import ANSWERED_NS

    try:
        response = await transport.send(request, prepared)
    except VendorError as exc:  # the vendor did not answer a request that was sent
        return exc, time.perf_counter_ns() - start_ns
    except Exception as exc:
        raise HarnessFault(f"the harness's transport failed ({type(exc).__name__}: {exc})") from exc
    elapsed_ns = response.extensions.get(ANSWERED_NS, time.perf_counter_ns()) - start_ns
    try:
        if len(response.content) > PARSE_INLINE_BYTES:  # a big answer must not stall the other lanes' clocks
            result: Recognition | BaseException = await asyncio.to_thread(adapter.parse_response, response)
        else:
            result = adapter.parse_response(response)
    except Exception as exc:  # noqa: BLE001 - an answer the adapter cannot read is the vendor's outcome
        return exc, elapsed_ns
    if isinstance(result, Recognition) and len(result.reads) > transport.config.max_reads:
        cap = transport.config.max_reads
        result = ProtocolError(f"the answer holds {len(result.reads)} reads, over the cap of {cap} (max_reads)")
    return result, elapsed_ns
