"""Shared HTTP plumbing for sans-I/O adapters: error mapping at the one boundary, and credentials."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from vendor_adapters.errors import (
    AuthError,
    ConfigurationError,
    ImageRejected,
    ProtocolError,
    QuotaError,
    TransportError,
    VendorHTTPError,
    VendorTimeout,
)

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Bodies larger than this are refused as a protocol error (a plate read is a few kilobytes)."""


def send_mapped(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send ``request`` and read the body, mapping every httpx failure to a ``VendorError``."""
    try:
        response = client.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ProtocolError(f"response body larger than {MAX_RESPONSE_BYTES} bytes")
        finally:
            response.close()
    except httpx.TimeoutException as exc:
        raise VendorTimeout(f"{type(exc).__name__}: no answer in time") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from exc
    return httpx.Response(
        response.status_code, headers=response.headers, content=bytes(body), request=request
    )


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds, when it is a number of seconds."""
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def raise_for_vendor_status(response: httpx.Response, *, image_bytes: int | None = None) -> None:
    """Map a non-2xx status to the error hierarchy (401/403 auth, 402/429 quota, 413/415 image)."""
    status = response.status_code
    if status < 400:
        return
    detail = response.text[:200].strip()
    if status in (401, 403):
        raise AuthError(f"HTTP {status}: credentials or permission refused: {detail}", status)
    if status in (402, 429):
        raise QuotaError(f"HTTP {status}: rate limit or quota: {detail}", status, retry_after_seconds(response))
    if status in (413, 415):
        size = f" ({image_bytes} bytes)" if image_bytes is not None else ""
        raise ImageRejected(f"HTTP {status}: image refused{size}: {detail}", status)
    raise VendorHTTPError(f"HTTP {status}: {detail}", status)


def json_body(response: httpx.Response) -> Any:
    """The response's JSON, or a ``ProtocolError`` saying why it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"response is not valid JSON: {exc}") from exc


def credential(env: Mapping[str, str], variable: str | None, adapter: str) -> str:
    """The secret held in environment variable ``variable``; a clear error naming it when unset."""
    if not variable:
        raise ConfigurationError(
            f"adapter {adapter!r} needs a credential: set e.g. token_env = \"MY_TOKEN_VAR\" in vendors.toml"
        )
    value = env.get(variable)
    if not value:
        raise ConfigurationError(
            f"adapter {adapter!r}: environment variable {variable} is not set; "
            f"export {variable}=<your key> before running"
        )
    return value
