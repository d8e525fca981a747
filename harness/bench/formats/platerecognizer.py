"""Plate Recognizer Stream webhook (``event: recognition``) and the Snapshot ``image.done`` webhook.

Transport (vendor docs, Stream "Webhooks and output formats"; receiver samples in
``parkpow/deep-license-plate-recognition`` ``webhooks/``): multipart/form-data with a ``json`` field
(the JSON as a string) and an ``upload`` file (the image); data-only webhooks send ``json=`` form
encoded, and Snapshot "data only" webhooks a plain JSON body. Auth: the header set by Stream's
``webhook_header`` (e.g. ``Authorization: Token ...``).
"""

from __future__ import annotations

import json
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
from harness.bench.formats._body import form_fields, json_document, media_type, multipart, multipart_fields

NAME = "platerecognizer-stream"
VENDOR = "platerecognizer"
DESCRIPTION = "Plate Recognizer Stream webhook (multipart json + upload)"
AUTH = ("none", "header")
EVENTS = ("recognition", "image.done")


def encode(read: EdgeRead) -> tuple[bytes, str]:
    filename = f"{read.device}_screenshots/{read.event_id}.jpg"
    x, y, w, h = read.box
    document = {
        "hook": {"target": "", "id": read.device, "event": "recognition", "filename": filename},
        "data": {
            "camera_id": read.device,
            "filename": filename,
            "timestamp": iso_utc(read.event_time),
            "timestamp_local": iso_utc(read.event_time),
            "timestamp_camera": None,
            "results": [
                {
                    "plate": read.plate.lower(),
                    "score": round(read.confidence, 3),
                    "dscore": 0.9,
                    "box": {"xmin": x, "ymin": y, "xmax": x + w, "ymax": y + h},
                    "candidates": [{"plate": read.plate.lower(), "score": round(read.confidence, 3)}],
                    "source_url": "",
                    "position_sec": 0,
                }
            ],
        },
    }
    text = json.dumps(document, separators=(",", ":"))
    if not read.image_jpeg:
        return multipart({"json": text}, {})
    return multipart({"json": text}, {"upload": ("image.jpg", read.image_jpeg, "image/jpeg")})


def _document(body: bytes, content_type: str) -> Any:
    kind = media_type(content_type)
    if kind == "multipart/form-data":
        fields = multipart_fields(body, content_type)
        if "json" not in fields:
            raise PayloadError("multipart webhook without a 'json' part")
        return json_document(fields["json"], "the 'json' part")
    if kind == "application/x-www-form-urlencoded":
        fields = form_fields(body)
        if "json" not in fields:
            raise PayloadError("form webhook without a 'json' field")
        return json_document(fields["json"], "the 'json' field")
    if kind == "application/json":
        return json_document(body)
    raise PayloadError(f"unsupported content type {kind or '(none)'!r}")


def parse(body: bytes, content_type: str, **_: Any) -> Parsed:
    document = require_mapping(_document(body, content_type), "the webhook")
    hook = require_mapping(document.get("hook"), "hook")
    event = hook.get("event")
    if event not in EVENTS:
        return Parsed(ignored=f"hook event {str(event)[:40]!r}")
    data = require_mapping(document.get("data"), "data")
    results = data.get("results")
    if not isinstance(results, list):
        raise PayloadError("data.results is not a list")
    when = iso_time(data.get("timestamp"), "data.timestamp")
    device = data.get("camera_id") if data.get("camera_id") not in (None, "null") else hook.get("id")
    events = []
    for i, result in enumerate(results):
        result = require_mapping(result, f"data.results[{i}]")
        events.append(
            CameraEvent(
                format=NAME,
                plate=plate_text(result.get("plate"), f"data.results[{i}].plate"),
                confidence=confidence(result.get("score"), f"data.results[{i}].score"),
                event_time=when,
                device=None if device is None else str(device),
                event_id=f"{data.get('filename') or hook.get('filename') or ''}#{i}",
            )
        )
    return Parsed(tuple(events), None if events else "no plate in the results")

