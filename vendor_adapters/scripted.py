"""``ScriptedAdapter``: a real adapter whose answers a script decides, for tests, examples and demos.

Like ``httpx.MockTransport``, it answers from a function or from a list::

    from vendor_adapters.base import Read, Recognition
    from vendor_adapters.errors import VendorTimeout
    from vendor_adapters.scripted import ScriptedAdapter

    # a function of the image: a Recognition, or raise a VendorError to act out a failure
    adapter = ScriptedAdapter(lambda image: Recognition((Read("ABC123", 0.9),)))

    # a list, one entry per call in order: a Recognition, or an exception instance to raise
    adapter = ScriptedAdapter([Recognition(()), VendorTimeout("no answer in 30 s")])

A list that runs out raises :class:`~vendor_adapters.errors.ProtocolError` ("script exhausted"),
so a test that sends more than it scripted fails visibly instead of reading nothing. The adapter
is thread-safe, and it is not in the registry: tests register their own scripted vendors through
``vendors.toml`` ``adapter = "module:Class"`` targets (a subclass whose ``from_config`` builds the
script).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import ClassVar

from vendor_adapters.base import Adapter, Capabilities, Image, Recognition, VendorInfo
from vendor_adapters.errors import ProtocolError

Answer = Recognition | BaseException
"""One scripted answer: what ``recognize`` returns, or the exception it raises."""


class ScriptedAdapter(Adapter):
    """Answers each ``recognize`` from ``script``: a function of the image, or a list of answers."""

    name: ClassVar[str] = "scripted"
    capabilities: ClassVar[Capabilities] = Capabilities(kind="in-process", boxes=True, candidates=True)

    def __init__(self, script: Callable[[Image], Recognition] | Iterable[Answer],
                 info: VendorInfo | None = None) -> None:
        self._function = script if callable(script) else None
        self._answers = iter(()) if callable(script) else iter(list(script))
        self._info = info or VendorInfo(vendor="scripted")
        self._lock = threading.Lock()
        self.calls = 0
        """How many times :meth:`recognize` was called."""

    def recognize(self, image: Image) -> Recognition:
        with self._lock:
            self.calls += 1
            answer = None if self._function else next(self._answers, None)
        if self._function is not None:
            return self._function(image)
        if answer is None:
            raise ProtocolError(f"script exhausted after {self.calls - 1} answer(s)")
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def info(self) -> VendorInfo:
        return self._info
