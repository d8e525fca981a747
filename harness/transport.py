"""The fast asyncio transport that sends a sans-I/O adapter's ``httpx.Request``.

Adapters build an ``httpx.Request`` and parse an ``httpx.Response``; this module sends the request
with an ``aiohttp.ClientSession`` and hands back a fully-read ``httpx.Response``, so
``parse_response`` works unchanged. Why aiohttp: on this kind of 2-core machine (one core each for
client and a trivial stub) httpx's default pool reached ~930 requests/s with 2 connections but ~115
with 64 (encode/httpx#3215), httpx over ``httpx-aiohttp`` ~2,460, aiohttp directly ~8,400. The
harness built on it sustains ~4,250 open-loop queries/s (``docs/benchmarks.md``).

Every failure becomes a :class:`vendor_adapters.errors.VendorError`:

=====================================================  ==========================
connection refused, reset mid-body, TLS, DNS            ``TransportError``
connect time-out, read (gap between bytes) time-out     ``VendorTimeout``
total deadline exceeded (e.g. a slow-drip body)         ``VendorTimeout``
body larger than ``max_body_bytes``                     ``ProtocolError``
=====================================================  ==========================

HTTP error statuses (429, 5xx...) are *not* errors here: ``parse_response`` maps them with
:func:`vendor_adapters.http.raise_for_vendor_status`.

Retries follow a recorded :class:`RetryPolicy` (off by default). :func:`call_adapter` returns
one :class:`CallResult` per *query* with every attempt listed inside it; metrics count the query
once, by its final outcome, so a retried request is never counted twice.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Self

import aiohttp
import httpx

from vendor_adapters.base import HttpAdapter, Image, Recognition
from vendor_adapters.errors import (
    AdapterCrash,
    ProtocolError,
    QuotaError,
    TransportError,
    VendorError,
    VendorTimeout,
)

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
_HOP_BY_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})


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


@dataclass(frozen=True)
class Attempt:
    """One try of a query: how long it took and how it ended (``None``: success)."""

    number: int
    ms: float
    error_kind: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class CallResult:
    """One query's final outcome, with every attempt made for it."""

    recognition: Recognition | None
    error: VendorError | None
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)

    @property
    def error_kind(self) -> str | None:
        """Kind of the final error, ``None`` on success."""
        return self.error.kind if self.error else None


class AsyncTransport:
    """Sends ``httpx.Request`` objects over one pooled ``aiohttp.ClientSession``.

    Use as ``async with AsyncTransport(config) as transport: response = await transport.send(req)``.
    """

    def __init__(self, config: TransportConfig | None = None) -> None:
        self.config = config or TransportConfig()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        cfg = self.config
        connector = aiohttp.TCPConnector(limit=cfg.max_connections, ssl=cfg.verify_tls)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=cfg.connect_timeout_s, sock_read=cfg.read_timeout_s
            ),
            auto_decompress=False,  # httpx.Response decodes Content-Encoding itself
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, read the whole body, and return it as an ``httpx.Response``."""
        if self._session is None:
            raise RuntimeError("AsyncTransport used outside 'async with'")
        try:
            async with asyncio.timeout(self.config.total_timeout_s):
                return await self._send(request)
        except TimeoutError as exc:  # total deadline, or aiohttp's connect/read time-outs
            raise VendorTimeout(f"no complete answer in time ({_timeout_name(exc)})") from exc
        except (aiohttp.ClientSSLError, ssl.SSLError) as exc:
            raise TransportError(f"TLS error: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(f"cannot connect: {exc}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    async def _send(self, request: httpx.Request) -> httpx.Response:
        assert self._session is not None
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
        async with self._session.request(
            request.method, str(request.url), headers=headers, data=request.read() or None,
            allow_redirects=False,
        ) as resp:
            body = await self._read_capped(resp)
            raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers]
            return httpx.Response(resp.status, headers=raw_headers, content=body, request=request)

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = self.config.max_body_bytes
        if resp.content_length is not None and resp.content_length > cap:
            raise ProtocolError(f"response body of {resp.content_length} bytes exceeds the {cap}-byte cap")
        if resp.content_length is not None:
            return await resp.read()
        body = bytearray()
        async for chunk in resp.content.iter_any():
            body.extend(chunk)
            if len(body) > cap:
                raise ProtocolError(f"response body exceeds the {cap}-byte cap")
        return bytes(body)


def _timeout_name(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "connect time-out"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return "read time-out"
    return "total deadline"


async def call_adapter(
    adapter: HttpAdapter,
    image: Image,
    transport: AsyncTransport,
    policy: RetryPolicy | None = None,
) -> CallResult:
    """Build, send and parse one query through ``adapter``, retrying per ``policy``.

    Never raises for a vendor failure: the final error is in the result. Adapter bugs (anything
    not a ``VendorError`` from ``build_request``/``parse_response``) become ``AdapterCrash``.
    """
    policy = policy or RetryPolicy()
    attempts: list[Attempt] = []
    for number in range(1, policy.max_attempts + 1):
        start = time.perf_counter()
        try:
            try:
                request = adapter.build_request(image)
                response = await transport.send(request)
                recognition = adapter.parse_response(response)
            except VendorError:
                raise
            except Exception as exc:
                raise AdapterCrash(f"{type(exc).__name__}: {exc}") from exc
        except VendorError as error:
            attempts.append(Attempt(number, (time.perf_counter() - start) * 1e3, error.kind, error.message))
            if number == policy.max_attempts or error.kind not in policy.retry_kinds:
                return CallResult(None, error, tuple(attempts))
            await asyncio.sleep(policy.delay_s(number, error))
            continue
        attempts.append(Attempt(number, (time.perf_counter() - start) * 1e3))
        return CallResult(recognition, None, tuple(attempts))
    raise AssertionError("unreachable: max_attempts >= 1")

