"""Verkada LPR webhook (``webhook_type: "lpr"``), signed with ``Verkada-Signature``.

Payload and sample: Verkada API docs, "LPR" webhook object (apidocs.verkada.com/reference/lpr):
``data{camera_id, created (s), detected (ms), license_plate_number, confidence 0-1, crop, image_url,
license_plate_state}``. Signature (apidocs.verkada.com/reference/securing-webhooks): header
``<timestamp>|<hex HMAC-SHA256(secret, body + "|" + timestamp)>``; checked in
:mod:`harness.bench.auth`.
"""

from __future__ import annotations

import time
from typing import Any

from harness.bench.events import (
    CameraEvent,
    EdgeRead,
    Parsed,
    PayloadError,
    confidence,
    number,
    plate_text,
    require_mapping,
)
from harness.bench.formats._body import json_body, json_document, media_type

NAME = "verkada-lpr"
VENDOR = "verkada"
DESCRIPTION = "Verkada LPR webhook (HMAC-signed)"
AUTH = ("none", "verkada-signature")


def encode(read: EdgeRead) -> tuple[bytes, str]:
    return json_body(
        {
            "org_id": "bench",
            "webhook_type": "lpr",
            "created_at": int(time.time()),
            "webhook_id": read.event_id,
            "data": {
                "camera_id": read.device,
                "created": int(read.event_time),
                "detected": round(read.event_time * 1000),
                "license_plate_number": read.plate,
                "confidence": round(read.confidence, 4),
                "crop": [0.0, 0.0, 0.0, 0.0],
                "image_url": "",
            },
        }
    )


def parse(body: bytes, content_type: str, **_: Any) -> Parsed:
    if media_type(content_type) != "application/json":
        raise PayloadError(f"unsupported content type {media_type(content_type) or '(none)'!r}")
    document = require_mapping(json_document(body), "the webhook")
    if document.get("webhook_type") != "lpr":
        return Parsed(ignored=f"webhook_type {str(document.get('webhook_type'))[:30]!r}")
    data = require_mapping(document.get("data"), "data")
    if data.get("detected") is not None:
        when = number(data["detected"], "data.detected") / 1000.0
    elif data.get("created") is not None:
        when = number(data["created"], "data.created")
    else:
        raise PayloadError("data.detected and data.created are both missing")
    event = CameraEvent(
        format=NAME,
        plate=plate_text(data.get("license_plate_number"), "data.license_plate_number"),
        confidence=confidence(data.get("confidence"), "data.confidence"),
        event_time=when,
        device=str(data["camera_id"]) if data.get("camera_id") is not None else None,
        event_id=str(document.get("webhook_id") or "") or None,
    )
    return Parsed((event,))
