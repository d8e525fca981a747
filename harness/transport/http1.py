"""A small asyncio HTTP/1.1 client for load runs: keep-alive pool, llhttp parser, one timer per request.

Why not a general client: at a few thousand requests per second on one core the client's own
CPU time per request decides how fast the harness can send. aiohttp's ``ClientSession`` costs
about 100 microseconds per request here, this client about a quarter of that (``docs/load.md``),
because a request is serialised once (:func:`prepare`), a response is parsed by llhttp (the C
parser behind Node.js, via ``httptools``) straight into bytes, and time-outs cost one timer.

It speaks only what a vendor API needs: one request at a time per connection (no pipelining),
``Content-Length``, chunked and close-delimited bodies, TLS through ``ssl``, no redirects, no
proxies, no cookies, no decompression (``httpx.Response`` decodes ``Content-Encoding``).

Every failure is a :class:`vendor_adapters.errors.VendorError`:
connection refused, reset, DNS or TLS failure -> ``TransportError``; connect time-out, read
time-out (silence between reads) and the total deadline -> ``VendorTimeout``; a body over the cap
or an answer that is not HTTP -> ``ProtocolError``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass

import httptools
import httpx

from vendor_adapters.errors import ProtocolError, TransportError, VendorError, VendorTimeout

_DROP = frozenset({b"content-length", b"transfer-encoding", b"connection"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request serialised for the wire, and where it goes."""

    scheme: str
    host: str
    port: int
    data: bytes


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Status, headers (as sent) and the whole body of one answer."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def prepare(request: httpx.Request) -> PreparedRequest:
    """Serialise ``request`` (its ``Host`` header included) with a ``Content-Length`` body."""
    url = request.url
    if url.scheme not in ("http", "https"):
        raise TransportError(f"unsupported URL scheme {url.scheme!r}")
    body = request.read()
    lines = [request.method.encode("ascii") + b" " + url.raw_path + b" HTTP/1.1"]
    lines.extend(k + b": " + v for k, v in request.headers.raw if k.lower() not in _DROP)
    if body or request.method in _BODY_METHODS:
        lines.append(b"Content-Length: %d" % len(body))
    port = url.port or (443 if url.scheme == "https" else 80)
    return PreparedRequest(url.scheme, url.host, port, b"\r\n".join(lines) + b"\r\n\r\n" + body)


class _Abort(Exception):
    """Raised inside a parser callback to stop parsing (the reason is in ``_Connection._error``)."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; answers one request at a time."""

    def __init__(self, pool: Http1Pool) -> None:
        self._pool = pool
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.last_read = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self._waiter: asyncio.Future[tuple[RawResponse, bool]] | None = None
        self._error: VendorError | None = None
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self._size = 0
        self._headers_done = False
        self._until_eof = False

    def start(self, waiter: asyncio.Future[tuple[RawResponse, bool]], now: float) -> None:
        """Expect the answer to a request about to be written; ``waiter`` gets it."""
        self._reset()
        self._waiter = waiter
        self.last_read = now

    def fail(self, error: VendorError) -> None:
        """End the current request with ``error`` and drop the connection."""
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        if self.transport is not None:
            self.transport.abort()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        self.last_read = self._pool.loop.time()
        if self._waiter is None:  # bytes nobody asked for: the connection cannot be trusted
            self.closed = True
            assert self.transport is not None
            self.transport.abort()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            self.fail(self._error or ProtocolError("malformed HTTP answer"))
        except httptools.HttpParserError as exc:
            self.fail(ProtocolError(f"malformed HTTP answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            if self._headers_done and self._until_eof:  # a close-delimited body ends here
                waiter.set_result((RawResponse(self._status, self._headers, b"".join(self._chunks)), False))
            else:
                reason = f": {exc}" if exc else ""
                waiter.set_exception(TransportError(f"connection closed before a complete answer{reason}"))
        self._pool.lost(self)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._status = status = self._parser.get_status_code()
        length: int | None = None
        chunked = False
        for name, value in self._headers:
            lower = name.lower()
            if lower == b"content-length":
                length = int(value)
            elif lower == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        cap = self._pool.max_body_bytes
        if length is not None and length > cap:
            self._error = ProtocolError(f"response body of {length} bytes exceeds the {cap}-byte cap")
            raise _Abort
        self._until_eof = length is None and not chunked and status >= 200 and status not in (204, 304)

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._pool.max_body_bytes:
            self._error = ProtocolError(f"response body exceeds the {self._pool.max_body_bytes}-byte cap")
            raise _Abort
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:  # an interim answer (e.g. 103 Early Hints): the real one follows
            self._reset()
            return
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            response = RawResponse(self._status, self._headers, b"".join(self._chunks))
            waiter.set_result((response, self._parser.should_keep_alive()))


class Http1Pool:
    """Keep-alive connections per (scheme, host, port); at most ``max_connections`` open (0: no limit)."""

    def __init__(
        self,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        total_timeout_s: float,
        max_body_bytes: int,
        max_connections: int = 0,
        verify_tls: bool = True,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.total_timeout_s = total_timeout_s
        self.max_body_bytes = max_body_bytes
        self.max_connections = max_connections
        self.verify_tls = verify_tls
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._connecting = 0
        self._room: deque[asyncio.Future[None]] = deque()

    async def request(self, prepared: PreparedRequest) -> RawResponse:
        """Send ``prepared`` and return the whole answer, or raise a ``VendorError``."""
        loop = self.loop
        deadline = loop.time() + self.total_timeout_s
        conn = await self._acquire(prepared, deadline)
        waiter: asyncio.Future[tuple[RawResponse, bool]] = loop.create_future()
        now = loop.time()
        conn.start(waiter, now)
        assert conn.transport is not None
        conn.transport.write(prepared.data)
        conn.timer = loop.call_at(min(deadline, now + self.read_timeout_s), self._check, conn, deadline)
        try:
            response, keep_alive = await waiter
        except BaseException:
            conn.fail(TransportError("request abandoned"))
            raise
        finally:
            conn.timer.cancel()
            conn.timer = None
        self._release(prepared, conn, keep_alive)
        return response

    def _check(self, conn: _Connection, deadline: float) -> None:
        now = self.loop.time()
        if now >= deadline:
            conn.fail(VendorTimeout("no complete answer in time (total deadline)"))
        elif now >= conn.last_read + self.read_timeout_s:
            conn.fail(VendorTimeout("no complete answer in time (read time-out)"))
        else:
            when = min(deadline, conn.last_read + self.read_timeout_s)
            conn.timer = self.loop.call_at(when, self._check, conn, deadline)

    async def _acquire(self, prepared: PreparedRequest, deadline: float) -> _Connection:
        key = (prepared.scheme, prepared.host, prepared.port)
        while True:
            idle = self._idle.get(key)
            while idle:
                conn = idle.pop()
                if not conn.closed:
                    return conn
            if not self.max_connections or len(self._open) + self._connecting < self.max_connections:
                return await self._connect(prepared, deadline)
            self._close_one_idle()  # a connection kept for another host gives way
            room = self.loop.create_future()
            self._room.append(room)
            try:
                async with asyncio.timeout_at(deadline):
                    await room
            except TimeoutError:
                raise VendorTimeout("no complete answer in time (waiting for a free connection)") from None

    async def _connect(self, prepared: PreparedRequest, deadline: float) -> _Connection:
        tls = prepared.scheme == "https"
        self._connecting += 1
        try:
            async with asyncio.timeout_at(min(deadline, self.loop.time() + self.connect_timeout_s)):
                _, conn = await self.loop.create_connection(
                    lambda: _Connection(self), prepared.host, prepared.port,
                    ssl=self._tls_context() if tls else None, server_hostname=prepared.host if tls else None,
                )
        except TimeoutError:
            raise VendorTimeout("no complete answer in time (connect time-out)") from None
        except ssl.SSLError as exc:
            raise TransportError(f"TLS error: {exc}") from exc
        except OSError as exc:
            raise TransportError(f"cannot connect to {prepared.host}:{prepared.port}: {exc}") from exc
        finally:
            self._connecting -= 1
            self._wake()
        self._open.add(conn)
        return conn

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:  # made on first use: loading the CA store costs milliseconds
            self._tls = ssl.create_default_context()
            if not self.verify_tls:
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE
        return self._tls

    def _release(self, prepared: PreparedRequest, conn: _Connection, keep_alive: bool) -> None:
        if keep_alive and not conn.closed:
            self._idle.setdefault((prepared.scheme, prepared.host, prepared.port), []).append(conn)
            self._wake()
        elif conn.transport is not None:
            conn.transport.close()

    def _close_one_idle(self) -> None:
        for idle in self._idle.values():
            while idle:
                conn = idle.pop()
                if not conn.closed and conn.transport is not None:
                    conn.transport.close()
                    return

    def lost(self, conn: _Connection) -> None:
        """A connection closed (called by the connection)."""
        if conn in self._open:
            self._open.discard(conn)
            self._wake()

    def _wake(self) -> None:
        while self._room:
            room = self._room.popleft()
            if not room.done():
                room.set_result(None)
                return

    def close(self) -> None:
        """Abort every open connection."""
        for conn in list(self._open):
            if conn.transport is not None:
                conn.transport.abort()
        self._idle.clear()
