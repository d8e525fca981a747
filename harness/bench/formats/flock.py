"""Flock Safety LPR hotlist alert webhook: one JSON POST per hotlist match.

Schema: Flock's AsyncAPI description ``flock-safety-lpr-alerts-asyncapi.yml`` (the public developer
hub, as harvested by API Evangelist; copy in ``/work/shared/reference/flock``). Required
``deviceExternalId``, ``objectId``, ``eventTime`` (ISO 8601), ``sources``; the read is in
``ocr{label, labelConfidence}`` (``null`` when Flock has no OCR metadata: then there is no read to
score and the payload is rejected). Auth per subscription: none, basic, API key, or OAuth2 client
credentials (Flock fetches a token from the subscriber's token endpoint).
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

NAME = "flock-alert"
VENDOR = "flock"
DESCRIPTION = "Flock Safety LPR hotlist alert webhook"
AUTH = ("none", "basic", "header", "oauth2")
REQUIRED = ("deviceExternalId", "objectId", "eventTime", "sources")


def encode(read: EdgeRead) -> tuple[bytes, str]:
    return json_body(
        {
            "deviceName": f"bench {read.device}",
            "deviceExternalId": read.device,
            "networkName": "bench",
            "objectId": read.event_id,
            "eventTime": iso_utc(read.event_time),
            "ocr": {"label": read.plate, "labelConfidence": round(read.confidence, 3), "state": None, "stateConfidence": None},
            "sources": [{"name": "platebench", "reason": "bench pass", "caseNumber": None, "customHotlistAudience": "restricted"}],
        }
    )


def parse(body: bytes, content_type: str, **_: Any) -> Parsed:
    if media_type(content_type) != "application/json":
        raise PayloadError(f"unsupported content type {media_type(content_type) or '(none)'!r}")
    document = require_mapping(json_document(body), "the alert")
    missing = [k for k in REQUIRED if k not in document]
    if missing:
        raise PayloadError(f"required field(s) missing: {', '.join(missing)}")
    if not isinstance(document["sources"], list):
        raise PayloadError("sources is not a list")
    ocr = document.get("ocr")
    if ocr is None:
        raise PayloadError("ocr is null: the alert carries no read")
    ocr = require_mapping(ocr, "ocr")
    event = CameraEvent(
        format=NAME,
        plate=plate_text(ocr.get("label"), "ocr.label"),
        confidence=confidence(ocr.get("labelConfidence"), "ocr.labelConfidence"),
        event_time=iso_time(document["eventTime"], "eventTime"),
        device=str(document["deviceExternalId"]),
        event_id=str(document["objectId"]),
    )
    return Parsed((event,))
