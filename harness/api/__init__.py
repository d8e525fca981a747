"""The RFP evaluation API: the OpenAPI 3.1 document every bidder implements (see ``docs/rfp-api.md``)."""

from __future__ import annotations

import functools
import json
from typing import Any

import yaml

from vendor_adapters import RFP_API_SPEC as SPEC_PATH

__all__ = ["SPEC_PATH", "api_version", "load_spec"]


@functools.cache
def _load_text() -> str:
    return json.dumps(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))


def load_spec() -> dict[str, Any]:
    """The API document as a fresh dict (callers may modify their copy)."""
    spec: dict[str, Any] = json.loads(_load_text())
    return spec


def api_version() -> str:
    """The API version the document declares (``info.version``)."""
    return str(load_spec()["info"]["version"])
