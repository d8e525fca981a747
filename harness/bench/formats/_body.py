"""Reading request bodies the way vendors send them: JSON, multipart/form-data, form-urlencoded."""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import httpx

from harness.bench.events import PayloadError

MAX_JSON_BYTES = 2_000_000


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def json_document(data: bytes | str, what: str = "body") -> Any:
    """Parse JSON, or say why not."""
    if len(data) > MAX_JSON_BYTES:
        raise PayloadError(f"{what} is larger than {MAX_JSON_BYTES} bytes")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"{what} is not valid JSON ({exc})") from None
    except RecursionError:
        raise PayloadError(f"{what} is nested too deeply") from None


def multipart_fields(body: bytes, content_type: str) -> dict[str, bytes]:
    """The parts of a multipart/form-data body by field name (first part of each name wins)."""
    if "boundary=" not in content_type:
        raise PayloadError("multipart body without a boundary")
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise PayloadError("the body is not multipart")
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in fields:
            payload = part.get_payload(decode=True)
            fields[name] = payload if isinstance(payload, bytes) else b""
    if not fields:
        raise PayloadError("multipart body has no named parts")
    return fields


def form_fields(body: bytes) -> dict[str, bytes]:
    """An application/x-www-form-urlencoded body's fields (first value of each)."""
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise PayloadError("form body is not UTF-8") from None
    return {k: v[0].encode("utf-8") for k, v in parsed.items()}


def multipart(fields: Mapping[str, bytes | str], files: Mapping[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """Encode a multipart/form-data body (httpx's encoder) -> (body, content type)."""
    request = httpx.Request("POST", "http://127.0.0.1/", data=dict(fields), files=dict(files))
    return request.read(), request.headers["content-type"]


def json_body(document: Any) -> tuple[bytes, str]:
    return json.dumps(document, separators=(",", ":")).encode("utf-8"), "application/json"
