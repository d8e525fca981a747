"""Sending HTTP requests for sans-I/O adapters: the asyncio transport and its HTTP/1.1 client.

:class:`AsyncTransport` (in :mod:`harness.transport.client`) sends an ``httpx.Request`` over the
keep-alive client of :mod:`harness.transport.http1` and hands back a fully read
``httpx.Response``. This package depends only on ``vendor_adapters.errors``; the call path
(:mod:`harness.calls`) and the load scenarios (:mod:`harness.load`) use it.
"""

from harness.transport.client import AsyncTransport, RetryPolicy, TransportConfig
from harness.transport.http1 import PreparedRequest

__all__ = ["AsyncTransport", "PreparedRequest", "RetryPolicy", "TransportConfig"]
