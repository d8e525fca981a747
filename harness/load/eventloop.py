"""The event loop load runs use: uvloop when it is installed, asyncio's own loop otherwise.

uvloop (libuv) costs less CPU per request than asyncio's selector loop; on the 2-core sandbox the
harness's open-loop capacity against the 1 ms stub was 16,500 queries/s without it and
17,700-18,900 with it, in runs the same evening (``docs/benchmarks.md``). Nothing else changes: timing uses
``time.perf_counter`` either way, and the loop used is recorded with every result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from importlib import metadata
from typing import Any, TypeVar

T = TypeVar("T")


def _uvloop() -> Any | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop


def loop_name(use_uvloop: bool = True) -> str:
    """``"uvloop X.Y.Z"`` or ``"asyncio"``: what :func:`run` will use."""
    if use_uvloop and _uvloop() is not None:
        return f"uvloop {metadata.version('uvloop')}"
    return "asyncio"


def run(coro: Coroutine[Any, Any, T], use_uvloop: bool = True) -> T:
    """Run ``coro`` to completion on a new loop (uvloop when installed and ``use_uvloop``)."""
    uvloop = _uvloop() if use_uvloop else None
    factory = uvloop.new_event_loop if uvloop is not None else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)
