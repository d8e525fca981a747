"""A fault-injecting vendor on loopback: a real HTTP/1.1 server (asyncio streams) that misbehaves on purpose.

It answers the stub adapter's JSON (``harness.load.stub_adapter``) on any ``POST`` path and, by
the :class:`Faults` it is given, closes idle keep-alive connections after 20 ms (with a FIN, or
silently: it drops the next request on such a connection with a reset, answering nothing),
answers a chosen status (401, 402, 429...) echoing the request's ``Authorization`` header, answers
HTML, answers ``NaN``/``Infinity``/``1e999`` numbers for chosen requests, or runs a hook on a
chosen request (e.g. removing an image file mid-run). ``received`` counts the requests it read.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Self

import httpx

from harness.load.stub_adapter import StubAdapter
from vendor_adapters.base import Recognition

GOOD = {"reads": [{"plate": "FAULT1", "confidence": 0.9, "box": {"x": 1, "y": 2, "width": 30, "height": 10}}],
        "processing_ms": 3.0}


@dataclass
class Faults:
    """What the server does wrong (all off: a well-behaved vendor)."""

    idle_close_s: float | None = None
    """Close a keep-alive connection idle this long (FIN)."""
    silent_stale_s: float | None = None
    """A request arriving on a connection idle this long is dropped with a reset, unanswered."""
    status: int | None = None
    """Answer every request with this status (body: an error echoing the Authorization header)."""
    html: bool = False
    bad_numbers: dict[int, str] = field(default_factory=dict)
    """Request number (1-based) -> a JSON number literal put in the answer's confidence (e.g. ``NaN``)."""
    hooks: dict[int, Callable[[], None]] = field(default_factory=dict)
    """Request number -> called before answering it."""
    padding: dict[int, int] = field(default_factory=dict)
    """Request number -> bytes of filler added to a good answer (a member the adapter ignores)."""


class FaultVendor:
    """Use as ``with FaultVendor(Faults(...)) as vendor: vendor.url``."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.received = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/recognize"

    def __enter__(self) -> Self:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        faults = self.faults
        answered = False
        try:
            while True:
                loop = asyncio.get_running_loop()
                idle_from = loop.time()
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), faults.idle_close_s if answered else None)
                except TimeoutError:
                    return  # idle too long: close (FIN)
                if (answered and faults.silent_stale_s is not None
                        and loop.time() - idle_from >= faults.silent_stale_s):
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()  # a reset, and not one byte of an answer
                    return
                headers = dict(
                    line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ": " in line)
                lower = {k.lower(): v for k, v in headers.items()}
                await reader.readexactly(int(lower.get("content-length", "0")))
                self.received += 1
                number = self.received
                if number in faults.hooks:
                    faults.hooks[number]()
                writer.write(self._answer(number, lower.get("authorization", "")))
                await writer.drain()
                answered = True
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.transport.abort() if writer.transport else None

    def _answer(self, number: int, authorization: str) -> bytes:
        faults = self.faults
        status, kind = 200, "application/json"
        if faults.status is not None:
            status = faults.status
            body = json.dumps({"detail": f"invalid credentials: {authorization!s}"}).encode()
        elif faults.html:
            kind, body = "text/html", b"<html><body>Welcome to nginx!</body></html>"
        elif number in faults.bad_numbers:
            body = json.dumps(GOOD).replace("0.9", faults.bad_numbers[number]).encode()
        elif number in faults.padding:
            body = json.dumps({**GOOD, "filler": "x" * faults.padding[number]}).encode()
        else:
            body = json.dumps(GOOD).encode()
        head = f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode() + body


class ThreadRecordingStub(StubAdapter):
    """The stub adapter, noting for each answer its size and whether it was parsed on the main thread."""

    parsed: ClassVar[list[tuple[int, bool]]] = []

    def parse_response(self, response: httpx.Response) -> Recognition:
        self.parsed.append((len(response.content), threading.current_thread() is threading.main_thread()))
        return super().parse_response(response)
