"""A stub LPR vendor on loopback, for tests and the harness's own benchmarks.

``POST /recognize`` answers an evalapi-shaped JSON (``{"reads": [{"plate", "confidence", "box"}],
"processing_ms"}``) after a fixed service time (``asyncio.sleep``). The stub measures its own
handler time for every answer (``GET /stats``), so a benchmark can compare what the harness
reports with what the server actually spent.

``POST /fault/<kind>`` misbehaves on purpose, one way per kind in :data:`FAULTS`. The
"stall once" behaviour is a server option (``stall_after_s``, ``stall_s``): once, for ``stall_s``
seconds starting ``stall_after_s`` after the first request, no answer leaves the server (answers
due in that window are held until it ends).

Run it standalone: ``python -m harness.load.stub_server --port 8080 --service-ms 20``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Self

import numpy as np
from aiohttp import web

FAULTS: tuple[str, ...] = (
    "stall",  # never answers
    "reset",  # promises a body, sends part of it, closes the connection
    "quota-retry-after",  # 429 with Retry-After: 1
    "quota",  # 429 without Retry-After
    "burst-5xx",  # alternating bursts of `burst` 503s and `burst` good answers
    "non-json",  # 200 with an HTML page
    "truncated-json",  # 200 with JSON cut short
    "wrong-shape",  # 200 with valid JSON that is not a recognize answer
    "oversized",  # 200 with a 9 MiB body (declared length)
    "oversized-chunked",  # 200 with a 9 MiB chunked body (no declared length)
    "slow-drip",  # 200, then one byte every `drip_interval_s`, for a minute
)
"""Fault kinds served under ``/fault/<kind>``; refused connections and TLS errors need no server
route (see :func:`closed_port` and address this server with ``https://``)."""

_ANSWER = {
    "reads": [{"plate": "STUB123", "confidence": 0.9, "box": {"x": 10, "y": 20, "width": 120, "height": 40}}],
}
_NINE_MIB = 9 * 1024 * 1024


@dataclass
class StubOptions:
    """How the stub behaves."""

    service_ms: float = 1.0
    stall_after_s: float | None = None
    stall_s: float = 1.0
    burst: int = 5
    drip_interval_s: float = 0.2
    record: bool = True
    """Keep every handler time for ``/stats`` (memory grows with requests; off for long runs)."""


@dataclass
class _State:
    options: StubOptions
    first_request: float | None = None
    handler_ms: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


_STATE: web.AppKey[_State] = web.AppKey("state", _State)


def build_app(options: StubOptions | None = None) -> web.Application:
    """The stub's aiohttp application."""
    state = _State(options or StubOptions())
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[_STATE] = state
    app.router.add_post("/recognize", _recognize)
    app.router.add_post("/fault/{kind}", _fault)
    app.router.add_get("/stats", _stats)
    app.router.add_post("/stats/reset", _reset)
    return app


async def _recognize(request: web.Request) -> web.Response:
    state: _State = request.app[_STATE]
    start = time.perf_counter()
    if state.first_request is None:
        state.first_request = start
    await request.read()
    opts = state.options
    await asyncio.sleep(opts.service_ms / 1000.0)
    if opts.stall_after_s is not None:
        window_start = state.first_request + opts.stall_after_s
        window_end = window_start + opts.stall_s
        now = time.perf_counter()
        if window_start <= now < window_end:
            await asyncio.sleep(window_end - now)
    ms = (time.perf_counter() - start) * 1e3
    if opts.record:
        state.handler_ms.append(ms)
    return web.json_response({**_ANSWER, "processing_ms": ms})


async def _fault(request: web.Request) -> web.StreamResponse:
    state: _State = request.app[_STATE]
    kind = request.match_info["kind"]
    await request.read()
    count = state.counts.get(kind, 0)
    state.counts[kind] = count + 1
    if kind == "stall":
        await asyncio.sleep(3600)
    if kind == "reset":
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.content_length = 1000
        await resp.prepare(request)
        await resp.write(b'{"reads": [')
        await asyncio.sleep(0.01)
        assert request.transport is not None
        request.transport.abort()
        return resp
    if kind == "quota-retry-after":
        return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "1"})
    if kind == "quota":
        return web.json_response({"error": "slow down"}, status=429)
    if kind == "burst-5xx":
        if (count // state.options.burst) % 2 == 0:
            return web.json_response({"error": "overloaded"}, status=503)
        return web.json_response({**_ANSWER, "processing_ms": 0.0})
    if kind == "non-json":
        return web.Response(text="<html><body>Gateway error</body></html>", content_type="text/html")
    if kind == "truncated-json":
        return web.Response(body=b'{"reads": [{"plate": "AB', content_type="application/json")
    if kind == "wrong-shape":
        return web.json_response({"results": {"plate": 42}})
    if kind == "oversized":
        return web.Response(body=b" " * _NINE_MIB, content_type="application/json")
    if kind in ("oversized-chunked", "slow-drip"):
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        if kind == "oversized-chunked":
            for _ in range(9):
                await resp.write(b" " * (1024 * 1024))
        else:
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline:
                try:
                    await resp.write(b" ")
                except ConnectionError:  # the client gave up, as it should
                    return resp
                await asyncio.sleep(state.options.drip_interval_s)
        await resp.write_eof()
        return resp
    raise web.HTTPNotFound(text=f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")


async def _stats(request: web.Request) -> web.Response:
    state: _State = request.app[_STATE]
    values = np.asarray(state.handler_ms, dtype=np.float64)
    out: dict[str, float | int | None] = {"count": int(values.size), "faults": sum(state.counts.values())}
    for p in (50, 90, 99):
        out[f"p{p}"] = float(np.percentile(values, p, method="inverted_cdf")) if values.size else None
    out["max"] = float(values.max()) if values.size else None
    return web.json_response(out)


async def _reset(request: web.Request) -> web.Response:
    state: _State = request.app[_STATE]
    state.handler_ms.clear()
    state.counts.clear()
    state.first_request = None
    return web.json_response({"ok": True})


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StubServer:
    """The stub running in a background thread on ``127.0.0.1`` (an ephemeral port).

    ``with StubServer(StubOptions(service_ms=5)) as stub: stub.url + "/recognize"``.
    """

    def __init__(self, options: StubOptions | None = None) -> None:
        self.options = options or StubOptions()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stub-vendor", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("stub server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(build_app(self.options), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Serve the stub in the foreground (for benchmarks and manual trials)."""
    parser = argparse.ArgumentParser(description="platebench stub vendor (loopback)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--service-ms", type=float, default=1.0)
    parser.add_argument("--stall-after-s", type=float)
    parser.add_argument("--stall-s", type=float, default=1.0)
    parser.add_argument("--no-record", action="store_true", help="do not keep handler times (long runs)")
    parser.add_argument("--cpu", type=int, help="pin the server to this CPU")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    options = StubOptions(service_ms=args.service_ms, stall_after_s=args.stall_after_s, stall_s=args.stall_s,
                          record=not args.no_record)
    print(json.dumps({"listening": f"http://127.0.0.1:{args.port}"}), flush=True)
    web.run_app(build_app(options), host="127.0.0.1", port=args.port, access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    main()
