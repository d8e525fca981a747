"""Rekor Scout (OpenALPR agent) ``alpr_group`` messages: one per vehicle, posted to ``upload_address``.

Documented in OpenALPR's agent docs ("Group Results", ``openalpr/doc``) and Rekor's "JSON group results"
page. ``alpr_results`` (every frame with a plate, many per vehicle), ``heartbeat`` and the web server's
test ping are accepted and ignored; a heartbeat's agent facts are kept. Confidences are percentages;
times are epoch milliseconds. Auth: none documented (the agent posts to a URL; put a secret in it or
use a header on a proxy).
"""

from __future__ import annotations

import re
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

NAME = "rekor-alpr-group"
VENDOR = "rekor"
DESCRIPTION = "Rekor Scout / OpenALPR agent alpr_group (alpr_results and heartbeat ignored)"
AUTH = ("none", "header")
_UUID_MS = re.compile(r"-(\d{13})$")
AGENT_FACTS = ("agent_type", "agent_version", "agent_uid", "site_id")


def encode(read: EdgeRead) -> tuple[bytes, str]:
    best_ms = round(read.event_time * 1000)
    uuid = f"bench-agent-{read.device}-{best_ms}"
    return json_body(
        {
            "version": 2,
            "data_type": "alpr_group",
            "epoch_start": round(read.first_seen * 1000),
            "epoch_end": round(read.last_seen * 1000),
            "agent_uid": "bench-agent",
            "agent_type": "alprd",
            "agent_version": "simulated",
            "camera_id": read.device,
            "uuids": [uuid],
            "best_plate": {"plate": read.plate, "confidence": round(read.confidence * 100, 3), "matches_template": 0},
            "best_plate_number": read.plate,
            "best_confidence": round(read.confidence * 100, 3),
            "best_uuid": uuid,
        }
    )


def _event_time(document: Any) -> float:
    start = number(document.get("epoch_start"), "epoch_start") / 1000.0
    end = document.get("epoch_end")
    match = _UUID_MS.search(str(document.get("best_uuid") or ""))
    if match and isinstance(end, int | float):
        best = int(match.group(1)) / 1000.0
        if start <= best <= end / 1000.0:
            return best  # the frame the best read came from
    return start


def parse(body: bytes, content_type: str, **_: Any) -> Parsed:
    if media_type(content_type) not in ("application/json", "text/plain", ""):
        raise PayloadError(f"unsupported content type {media_type(content_type)!r}")
    document = require_mapping(json_document(body), "the message")
    if document.get("openalpr_webhook") == "test":
        return Parsed(ignored="test ping")
    kind = document.get("data_type")
    facts = {k: str(document[k]) for k in AGENT_FACTS if isinstance(document.get(k), str | int)}
    if kind in ("alpr_results", "heartbeat", "alpr_alert", "vehicle"):
        return Parsed(ignored=str(kind), facts=facts)
    if kind != "alpr_group":
        raise PayloadError(f"unknown data_type {str(kind)[:40]!r}")
    plate = document.get("best_plate_number")
    if plate is None and isinstance(document.get("best_plate"), dict):
        plate = document["best_plate"].get("plate")
    device = document.get("camera_id")
    event = CameraEvent(
        format=NAME,
        plate=plate_text(plate, "best_plate_number"),
        confidence=confidence(document.get("best_confidence"), "best_confidence", scale=100.0),
        event_time=_event_time(document),
        device=None if device is None else str(device),
        event_id=str(document.get("best_uuid") or "") or None,
        facts=facts,
    )
    return Parsed((event,), facts=facts)
