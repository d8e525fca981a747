"""Push formats: one module per vendor format, each with ``encode`` (what the simulated edge device
sends) and ``parse`` (what the collector accepts), and the authentication its vendor documents.

Every parser takes the raw body and its ``Content-Type`` and returns a :class:`~harness.bench.events.Parsed`
or raises :class:`~harness.bench.events.PayloadError` with the reason; it never raises anything else
on bad input (the collector relies on it, and ``tests/bench/test_formats.py`` checks it with fuzzed bodies).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

from harness.bench.events import EdgeRead, Parsed
from harness.bench.formats import axis, flock, genetec, platerecognizer, rekor, rfp, verkada


@dataclass(frozen=True)
class Encoded:
    """A payload ready to send: body, content type and extra headers."""

    body: bytes
    content_type: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class PushFormat:
    """A vendor's push format."""

    name: str
    vendor: str
    description: str
    auth: tuple[str, ...]
    """Authentication schemes the vendor documents for this push (see :mod:`harness.bench.auth`)."""
    encode: Callable[[EdgeRead], tuple[bytes, str]]
    parse: Callable[..., Parsed]


def _format(module: ModuleType) -> PushFormat:
    return PushFormat(module.NAME, module.VENDOR, module.DESCRIPTION, module.AUTH, module.encode, module.parse)


FORMATS: dict[str, PushFormat] = {
    f.name: f for f in map(_format, (platerecognizer, rekor, axis, genetec, flock, verkada, rfp))
}
"""Format name -> format."""
