"""The fast asyncio transport that sends a sans-I/O adapter's ``httpx.Request``.

Adapters build an ``httpx.Request`` and parse an ``httpx.Response``; this module sends the request
with a small keep-alive HTTP/1.1 client (:mod:`harness.transport.http1`: asyncio, the llhttp parser via
``httptools``) and hands back a fully-read ``httpx.Response``, so ``parse_response`` works
unchanged. Why not a general client: on this kind of 2-core machine (one core each for client and
a trivial stub) httpx's default pool reached ~930 requests/s with 2 connections but ~115 with 64
(encode/httpx#3215), httpx over ``httpx-aiohttp`` ~2,460, aiohttp directly ~8,400; the harness on
aiohttp's ``ClientSession`` sustained ~4,250 open-loop queries/s (~150 us of client CPU per
query), on this client 17,700-18,900 (~45 us; ``docs/benchmarks.md``). Load runs also serialise each
image's request once (:meth:`AsyncTransport.prepare`) and parse every answer through the adapter.

Every failure becomes a :class:`vendor_adapters.errors.VendorError`:

=====================================================  ==========================
connection refused, reset mid-body, TLS, DNS            ``TransportError``
connect time-out, read (gap between bytes) time-out     ``VendorTimeout``
total deadline exceeded (e.g. a slow-drip body)         ``VendorTimeout``
body larger than ``max_body_bytes``; not HTTP at all    ``ProtocolError``
=====================================================  ==========================

HTTP error statuses (429, 5xx...) are *not* errors here: ``parse_response`` maps them with
:func:`vendor_adapters.http.raise_for_vendor_status`.

Retries follow a recorded :class:`RetryPolicy` (off by default), applied by the call path
(:func:`harness.calls.single.call_http`), which returns one ``CallOutcome`` per *query* with
every attempt inside it; metrics count the query once, by its final outcome.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any, Self

import httpx

from harness.transport.http1 import Http1Pool, PreparedRequest, prepare
from vendor_adapters.errors import QuotaError, VendorError

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class TransportConfig:
    """Time-outs, limits and TLS settings of one transport; recorded with every load result."""

    connect_timeout_s: float = 5.0
    """Time allowed to open the connection (TCP and TLS handshake)."""
    read_timeout_s: float = 30.0
    """Longest silence allowed between two reads of the response."""
    total_timeout_s: float = 60.0
    """Deadline for the whole call, headers and body (catches slow-drip bodies)."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Bodies larger than this are refused as a protocol error."""
    max_connections: int = 0
    """Open connections at most (0: unlimited; the load scenarios cap requests in flight)."""
    verify_tls: bool = True

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form for results and scorecards."""
        return asdict(self)


@dataclass(frozen=True)
class RetryPolicy:
    """When to send a failed query again. Off (one attempt) by default: measurement runs
    report what the vendor did, not what a patient client eventually got."""

    max_attempts: int = 1
    retry_kinds: tuple[str, ...] = ("transport", "timeout", "quota", "http_status")
    """Error kinds (``vendor_adapters.errors``) worth another attempt."""
    backoff_s: float = 0.5
    """Wait before attempt 2; doubles each attempt, up to ``max_backoff_s``."""
    max_backoff_s: float = 10.0
    honour_retry_after: bool = True
    """On a quota error with ``Retry-After``, wait that long instead (capped at ``max_backoff_s``)."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay_s(self, attempt: int, error: VendorError) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if self.honour_retry_after and isinstance(error, QuotaError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_backoff_s)
        return min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form for results and scorecards."""
        data = asdict(self)
        data["retry_kinds"] = list(self.retry_kinds)
        return data


class AsyncTransport:
    """Sends ``httpx.Request`` objects over pooled keep-alive connections.

    Use as ``async with AsyncTransport(config) as transport: response = await transport.send(req)``.
    """

    def __init__(self, config: TransportConfig | None = None) -> None:
        self.config = config or TransportConfig()
        self._pool: Http1Pool | None = None

    async def __aenter__(self) -> Self:
        cfg = self.config
        self._pool = Http1Pool(
            connect_timeout_s=cfg.connect_timeout_s, read_timeout_s=cfg.read_timeout_s,
            total_timeout_s=cfg.total_timeout_s, max_body_bytes=cfg.max_body_bytes,
            max_connections=cfg.max_connections, verify_tls=cfg.verify_tls,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
            await asyncio.sleep(0)  # let the closed connections finish

    @staticmethod
    def prepare(request: httpx.Request) -> PreparedRequest:
        """``request`` serialised for the wire (reusable: load runs send one image's request many times)."""
        return prepare(request)

    async def send(self, request: httpx.Request, prepared: PreparedRequest | None = None) -> httpx.Response:
        """Send ``request`` (as ``prepared``, when given), read the whole body, and return it as an
        ``httpx.Response``; raises a ``VendorError`` on any failure."""
        if self._pool is None:
            raise RuntimeError("AsyncTransport used outside 'async with'")
        raw = await self._pool.request(prepared or prepare(request))
        return httpx.Response(raw.status, headers=raw.headers, content=raw.body, request=request)
