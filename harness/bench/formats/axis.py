"""Axis License Plate Verifier (FF Group ACAP) HTTP push: multipart with an ``event`` part (JSON,
"Protocol 1.6" fields) and an ``image`` part.

Fields per FF Group's "JSON fields protocol 1.6"; the sample event in
``parkpow/deep-license-plate-recognition`` ``parkpow/axis-lpr/assets/event.json`` sends **numbers as
strings** (``"plateConfidence": "0.719034"``, ``"capture_timestamp": "1623405938252"`` ms). Device
facts come from ``camera_info`` (serial number, product name). Auth: configured on the camera
(HTTP basic or a custom header).
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
    number,
    plate_text,
    require_mapping,
)
from harness.bench.formats._body import json_document, media_type, multipart, multipart_fields

NAME = "axis-lpv"
VENDOR = "axis"
DESCRIPTION = "Axis License Plate Verifier push (multipart event + image, numbers as strings)"
AUTH = ("none", "basic", "header")
CAR_STATES = ("new", "updated", "lost")


def encode(read: EdgeRead) -> tuple[bytes, str]:
    capture_ms = round(read.event_time * 1000)
    event = {
        "packetCounter": "1",
        "capture_timestamp": str(capture_ms),
        "frame_timestamp": "0",
        "capture_ts": str(capture_ms * 1_000_000),
        "plateUTF8": read.plate,
        "plateASCII": read.plate,
        "plateCountry": "USA",
        "plateConfidence": f"{read.confidence:.6f}",
        "carState": "new",
        "plateCoordinates": list(read.box),
        "carID": read.event_id,
        "camera_info": {"SerialNumber": read.device, "ProdShortName": "simulated edge device", "MACAddress": ""},
    }
    files = {"event": ("event.json", json.dumps(event).encode("utf-8"), "application/json")}
    if read.image_jpeg:
        files["image"] = ("image.jpg", read.image_jpeg, "image/jpeg")
    return multipart({}, files)


def parse(body: bytes, content_type: str, **_: Any) -> Parsed:
    kind = media_type(content_type)
    if kind == "multipart/form-data":
        fields = multipart_fields(body, content_type)
        if "event" not in fields:
            raise PayloadError("multipart push without an 'event' part")
        document = json_document(fields["event"], "the 'event' part")
    elif kind == "application/json":
        document = json_document(body)
    else:
        raise PayloadError(f"unsupported content type {kind or '(none)'!r}")
    document = require_mapping(document, "the event")
    info = document.get("camera_info") if isinstance(document.get("camera_info"), dict) else {}
    facts = {k: str(info[k]) for k in ("SerialNumber", "ProdShortName") if info.get(k)}
    state = document.get("carState")
    if state is not None and state not in CAR_STATES:
        raise PayloadError(f"carState {str(state)[:20]!r} is not one of {', '.join(CAR_STATES)}")
    plate = document.get("plateUTF8") or document.get("plateASCII")
    if "capture_timestamp" in document:
        when = number(document["capture_timestamp"], "capture_timestamp", allow_string=True) / 1000.0
    else:
        raise PayloadError("capture_timestamp is missing")
    event = CameraEvent(
        format=NAME,
        plate=plate_text(plate, "plateUTF8"),
        confidence=confidence(document.get("plateConfidence"), "plateConfidence", allow_string=True),
        event_time=when,
        device=facts.get("SerialNumber"),
        event_id=str(document.get("carID")) if document.get("carID") is not None else None,
        facts=facts,
    )
    return Parsed((event,), facts=facts)
