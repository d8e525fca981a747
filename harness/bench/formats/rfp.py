"""The RFP evaluation API's camera-read push (``webhooks: cameraRead`` in
``vendor_adapters/rfp-evaluation-api.yaml``): a JSON ``{"event": "read.captured", "read": Read}`` where
``Read`` is the API's own read object (``id``, ``plate``, ``captured_at``, ``camera_id``,
``agency_id``, optional ``x-confidence``). Auth: ``Authorization: Bearer <token>`` the city gives the
vendor for the bench.
"""

from __future__ import annotations

from typing import Any

from harness.bench.events import (
    CameraEvent,
    EdgeRead,
    Parsed,
    PayloadError,
    confidence,
    iso_time,
    iso_utc,
    plate_text,
    require_mapping,
)
from harness.bench.formats._body import json_body, json_document, media_type

NAME = "rfp-evaluation"
VENDOR = "rfp-evaluation-api"
DESCRIPTION = "RFP evaluation API camera-read push (read.captured)"
AUTH = ("none", "bearer")
EVENT = "read.captured"


def read_object(read: EdgeRead, agency_id: str = "bench") -> dict[str, Any]:
    """The API's ``Read`` for an edge read."""
    return {
        "id": read.event_id,
        "plate": read.plate,
        "captured_at": iso_utc(read.event_time),
        "camera_id": read.device,
        "agency_id": agency_id,
        "x-confidence": round(read.confidence, 4),
    }


def encode(read: EdgeRead) -> tuple[bytes, str]:
    return json_body({"event": EVENT, "read": read_object(read)})


def event_from_read(read: Any, where: str = "read") -> CameraEvent:
    """A ``Read`` object (pushed or polled) as a camera event."""
    read = require_mapping(read, where)
    for key in ("id", "plate", "captured_at", "camera_id"):
        if key not in read:
            raise PayloadError(f"{where}.{key} is missing")
    return CameraEvent(
        format=NAME,
        plate=plate_text(read["plate"], f"{where}.plate"),
        confidence=confidence(read.get("x-confidence"), f"{where}.x-confidence"),
        event_time=iso_time(read["captured_at"], f"{where}.captured_at"),
        device=str(read["camera_id"]),
        event_id=str(read["id"]),
    )


def parse(body: bytes, content_type: str, **_: Any) -> Parsed:
    if media_type(content_type) != "application/json":
        raise PayloadError(f"unsupported content type {media_type(content_type) or '(none)'!r}")
    document = require_mapping(json_document(body), "the push")
    if document.get("event") != EVENT:
        return Parsed(ignored=f"event {str(document.get('event'))[:30]!r}")
    return Parsed((event_from_read(document.get("read")),))
