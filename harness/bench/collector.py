"""The collector: one HTTP receiver for every push format, journaling each push before answering.

Routes::

    POST /events/{format}      a camera's push in that format (harness.bench.formats.FORMATS)
    POST /oauth/token          OAuth2 client-credentials for routes that use ``oauth2`` (Flock)
    GET  /status               counts per route and status (no plate text)

The arrival time is stamped when the request's body has been read, before anything else is done
with it; parsing and journal writes (fsync) run in worker threads, so neither a slow disk nor a large
payload delays the stamping of the next request. Every push is journaled with its raw body (mode 0600), then parsed: a payload the parser
refuses is answered 400 with the reason, journaled as ``rejected`` and counted; an unauthenticated
one 401, ``unauthorized``. Nothing a sender does can stop the collector: a parser bug is caught and
recorded as a rejection naming the exception type.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.bench.auth import AuthError, CollectorAuth
from harness.bench.events import PayloadError
from harness.bench.formats import FORMATS
from harness.bench.journal import BenchJournal

MAX_BODY_BYTES = 20 * 1024 * 1024
STARTUP_TIMEOUT_S = 20.0


@dataclass
class CollectorConfig:
    """Per-route authentication and parser options."""

    auth: Mapping[str, CollectorAuth] = field(default_factory=dict)
    """Format -> its authentication (``none`` when absent)."""
    parse_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Format -> keyword options for its parser (e.g. ``{"genetec": {"date_order": "dmy"}}``)."""


class Collector:
    """The receiver's state: the journal it writes and what it counted."""

    def __init__(self, journal: BenchJournal, config: CollectorConfig | None = None) -> None:
        self.journal = journal
        self.config = config or CollectorConfig()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.events = 0
        self._lock = threading.Lock()

    def _count(self, route: str, status: str, events: int = 0) -> None:
        with self._lock:
            self.counts[(route, status)] += 1
            self.events += events

    async def receive(self, request: Request) -> JSONResponse:
        route = request.path_params["format"]
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return JSONResponse({"error": f"body larger than {MAX_BODY_BYTES} bytes"}, status_code=413)
        arrival = time.time()
        data = bytes(body)
        content_type = request.headers.get("content-type", "")
        push_format = FORMATS.get(route)
        if push_format is None:
            await self._record(route, arrival, "rejected", data, content_type, f"unknown format {route[:40]!r}")
            return JSONResponse({"error": f"unknown format; known: {', '.join(sorted(FORMATS))}"}, status_code=404)
        auth = self.config.auth.get(route, CollectorAuth())
        try:
            auth.check({k.lower(): v for k, v in request.headers.items()}, data, arrival)
        except AuthError as exc:
            await self._record(route, arrival, "unauthorized", data, content_type, str(exc))
            return JSONResponse({"error": str(exc)}, status_code=401)
        try:
            options = self.config.parse_options.get(route, {})
            parsed = await asyncio.to_thread(push_format.parse, data, content_type, **options)
        except PayloadError as exc:
            await self._record(route, arrival, "rejected", data, content_type, str(exc))
            return JSONResponse({"error": str(exc)}, status_code=400)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the push or stop the collector
            reason = f"parser failed ({type(exc).__name__})"
            await self._record(route, arrival, "rejected", data, content_type, reason)
            return JSONResponse({"error": reason}, status_code=400)
        status = "accepted" if parsed.events else "ignored"
        await asyncio.to_thread(
            self.journal.received, route=route, arrival=arrival, status=status, events=list(parsed.events),
            body=data, content_type=content_type, reason=parsed.ignored, facts=parsed.facts,
        )
        self._count(route, status, len(parsed.events))
        return JSONResponse({"status": status, "events": len(parsed.events)})

    async def _record(self, route: str, arrival: float, status: str, body: bytes, content_type: str, reason: str) -> None:
        await asyncio.to_thread(self.journal.received, route=route, arrival=arrival, status=status, events=[],
                                body=body, content_type=content_type, reason=reason)
        self._count(route, status)

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        client_id, client_secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        for auth in self.config.auth.values():
            if auth.scheme == "oauth2":
                try:
                    token = auth.issue_token(client_id, client_secret)
                except AuthError:
                    continue
                return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 86400})
        return JSONResponse({"error": "invalid_client"}, status_code=401)

    async def status(self, request: Request) -> JSONResponse:
        with self._lock:
            counts = [{"route": r, "status": s, "count": n} for (r, s), n in sorted(self.counts.items())]
            return JSONResponse({"events": self.events, "pushes": counts})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/events/{format}", self.receive, methods=["POST"]),
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/status", self.status, methods=["GET"]),
            ]
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunningServer:
    """A server running in a background thread."""

    base_url: str
    host: str
    port: int


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0, name: str = "server") -> Iterator[RunningServer]:
    """Run an ASGI app with uvicorn in a daemon thread until the block ends."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"{name}:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"{name} did not start on {host}:{port}")
        time.sleep(0.02)
    url_host = f"[{host}]" if ":" in host else host
    try:
        yield RunningServer(f"http://{url_host}:{port}", host, port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_collector(
    journal: BenchJournal, config: CollectorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[tuple[Collector, RunningServer]]:
    """A collector listening on loopback (``port=0``: a free port) for the duration of the block."""
    collector = Collector(journal, config)
    with serve_in_thread(collector.app(), host, port, "collector") as server:
        yield collector, server
