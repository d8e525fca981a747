"""A tiny sans-I/O adapter for the stub vendor (``harness.load.stub_server``) and for any server
answering the same evalapi-shaped JSON: ``{"reads": [{"plate", "confidence", "box"}], "processing_ms"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from vendor_adapters.base import (
    Box,
    Capabilities,
    HttpAdapter,
    Image,
    Read,
    Recognition,
    normalize_plate_text,
    raise_unknown_options,
)
from vendor_adapters.errors import ConfigurationError, ProtocolError
from vendor_adapters.http import json_body, raise_for_vendor_status


class StubAdapter(HttpAdapter):
    """POSTs the image bytes to ``url`` and parses the stub's JSON answer."""

    name: ClassVar[str] = "stub"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="http", boxes=True, vendor_timing=True, async_io=True, max_concurrency=10_000
    )

    def __init__(self, url: str, client: httpx.Client | None = None) -> None:
        super().__init__(client)
        self.url = url

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> StubAdapter:
        raise_unknown_options(cls.name, config, allowed=("url",))
        url = config.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigurationError("adapter 'stub' needs url = \"http://127.0.0.1:PORT/recognize\"")
        return cls(url)

    def build_request(self, image: Image) -> httpx.Request:
        return httpx.Request("POST", self.url, content=image.data, headers={"Content-Type": image.media_type})

    def parse_response(self, response: httpx.Response) -> Recognition:
        raise_for_vendor_status(response)
        data = json_body(response)
        try:
            reads = tuple(_read(r) for r in data["reads"])
            vendor_ms = data.get("processing_ms")
            return Recognition(reads=reads, vendor_ms=float(vendor_ms) if vendor_ms is not None else None)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProtocolError(f"answer is not a recognize result: {type(exc).__name__}: {exc}") from exc


def _read(item: dict[str, Any]) -> Read:
    box = item.get("box")
    return Read(
        text=normalize_plate_text(item["plate"]),
        confidence=item.get("confidence"),
        box=Box(float(box["x"]), float(box["y"]), float(box["width"]), float(box["height"])) if box else None,
    )
