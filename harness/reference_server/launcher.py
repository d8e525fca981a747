"""Start a real reference server on a loopback port in a background thread, for tests and runs.

::

    with running_reference_server(flaws=("share-all",)) as server:
        httpx.get(f"{server.base_url}/v1/info")
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from harness.reference_server.app import DEFAULT_ENGINE, create_app
from harness.reference_server.flaws import parse_flaws
from harness.reference_server.store import Store

STARTUP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ServerHandle:
    """A running reference server: where it listens, the home admin's token, and its flaws."""

    base_url: str
    admin_token: str
    flaws: frozenset[str]
    host: str
    port: int


class ServerStartError(RuntimeError):
    """The server did not come up (port in use, bad host, or it crashed while starting)."""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_reference_server(
    flaws: Iterable[str] = (),
    host: str = "127.0.0.1",
    port: int = 0,
    db: str | Path = ":memory:",
    admin_token: str | None = None,
    published: Path | None = None,
    engine: str = DEFAULT_ENGINE,
    engine_options: Mapping[str, Any] | None = None,
) -> Iterator[ServerHandle]:
    """Run uvicorn for real until the block ends; waits until ``GET /v1/info`` answers.

    ``port=0`` picks a free port. ``admin_token`` defaults to a fresh random token. ``published``: the
    manifest of a published corpus copy, learnt by the ``memorize-public`` flaw. ``engine``: the in-process
    adapter whose recognizer the server serves, built with ``engine_options`` (its ``vendors.toml`` options,
    e.g. ``{"threads": 1}``).
    """
    chosen = parse_flaws(flaws)
    token = admin_token or secrets.token_urlsafe(32)
    table = published_labels(published) if published is not None else None
    store = Store(db)
    app = create_app(store, token, chosen, published=table, engine=engine, engine_options=engine_options)
    port = port or _free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"reference-server:{port}", daemon=True)
    thread.start()
    url_host = f"[{host}]" if ":" in host else host
    handle = ServerHandle(f"http://{url_host}:{port}", token, chosen, host, port)
    try:
        _wait_until_up(handle, thread)
        yield handle
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def published_labels(manifest: Path) -> dict[str, list[str]]:
    """Image sha256 -> labels of a published corpus copy (``platebench corpus publish``)."""
    from harness.corpus.validate import load_corpus

    return {s.sha256: [p.text for p in s.plates] for s in load_corpus(manifest).samples}


def _wait_until_up(handle: ServerHandle, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise ServerStartError(f"reference server on {handle.host}:{handle.port} stopped while starting")
        try:
            if httpx.get(f"{handle.base_url}/v1/info", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise ServerStartError(f"reference server on {handle.host}:{handle.port} did not answer within {STARTUP_TIMEOUT_S:.0f} s")
