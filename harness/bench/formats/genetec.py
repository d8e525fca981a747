"""Genetec AutoVu: the SharpV/SharpZ3 "HTTP extension" JSON and the flat, string-valued JSON that
Security Center / Cloudrunner HTTP actions send.

SharpV HTTP extension (Genetec techdocs, "Examples of JSON and XML ALPR events for the SharpV HTTP
extension", 14.2): ``PlateRead``, ``Timestamp`` (ISO, without an offset in the JSON sample: taken as
UTC), ``Id``, ``LprCameraName``, ``SourceUrl``, ``PlateAnalytics[{Key, Score, Value}]`` with
``Confidence Score`` 0-100. The flat variant (sample ``snapshot-middleware/test/assets/Genetec.json``
in ``parkpow/deep-license-plate-recognition``): every value a string, ``Plate``, ``ConfidenceScore``
("99"), ``DateUtc`` ("10/24/2024") + ``TimeUtc`` ("20:29:26"), ``CameraName``, ``SharpName``,
``VehicleID``. The date's order depends on the sender's locale: month first (as in the sample) unless
the collector is told ``date_order="dmy"``. Auth: not stated by the vendor (header or basic on the
receiving side).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from harness.bench.events import (
    CameraEvent,
    EdgeRead,
    Parsed,
    PayloadError,
    confidence,
    iso_time,
    plate_text,
    require_mapping,
)
from harness.bench.formats._body import json_body, json_document, media_type

NAME = "genetec"
VENDOR = "genetec"
DESCRIPTION = "Genetec SharpV HTTP extension / Security Center flat JSON (date order configurable)"
AUTH = ("none", "basic", "header")
DATE_ORDERS = {"mdy": "%m/%d/%Y", "dmy": "%d/%m/%Y"}


def encode(read: EdgeRead) -> tuple[bytes, str]:
    when = datetime.fromtimestamp(read.event_time, UTC)
    return json_body(
        {
            "Plate": read.plate,
            "State": "",
            "ConfidenceScore": str(round(read.confidence * 100)),
            "DateUtc": when.strftime("%m/%d/%Y"),
            "TimeUtc": when.strftime("%H:%M:%S.%f")[:-3],
            "DateLocal": when.strftime("%m/%d/%Y"),
            "TimeLocal": when.strftime("%H:%M:%S.%f")[:-3],
            "CameraName": f"{read.device} - Camera",
            "SharpName": read.device,
            "VehicleID": read.event_id,
            "IsHit": "No",
            "ContextImage": "",
            "PlateImage": "",
        }
    )


def _flat_time(document: Any, date_order: str) -> float:
    date, clock = document.get("DateUtc"), document.get("TimeUtc")
    if not isinstance(date, str) or not isinstance(clock, str):
        raise PayloadError("DateUtc and TimeUtc must be strings")
    pattern = DATE_ORDERS[date_order] + (" %H:%M:%S.%f" if "." in clock else " %H:%M:%S")
    try:
        return datetime.strptime(f"{date.strip()} {clock.strip()}", pattern).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise PayloadError(f"DateUtc/TimeUtc {date[:12]!r} {clock[:15]!r} do not match the {date_order} date order") from None


def _analytics_confidence(document: Any) -> float | None:
    analytics = document.get("PlateAnalytics")
    if not isinstance(analytics, list):
        return None
    for item in analytics:
        if isinstance(item, dict) and item.get("Key") == "Confidence Score":
            return confidence(item.get("Value"), "PlateAnalytics[Confidence Score]", scale=100.0, allow_string=True)
    return None


def parse(body: bytes, content_type: str, *, date_order: str = "mdy", **_: Any) -> Parsed:
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}")
    if media_type(content_type) not in ("application/json", "text/json", ""):
        raise PayloadError(f"unsupported content type {media_type(content_type)!r}")
    document = require_mapping(json_document(body), "the event")
    if "PlateRead" in document:  # SharpV HTTP extension
        event = CameraEvent(
            format=NAME,
            plate=plate_text(document.get("PlateRead"), "PlateRead"),
            confidence=_analytics_confidence(document),
            event_time=iso_time(document.get("Timestamp"), "Timestamp"),
            device=str(document.get("SourceUrl") or document.get("LprCameraName") or "") or None,
            event_id=str(document.get("Id") or "") or None,
            facts={"unit": str(document["SourceUrl"])} if document.get("SourceUrl") else {},
        )
    elif "Plate" in document:  # Security Center / Cloudrunner flat strings
        event = CameraEvent(
            format=NAME,
            plate=plate_text(document.get("Plate"), "Plate"),
            confidence=confidence(document.get("ConfidenceScore"), "ConfidenceScore", scale=100.0, allow_string=True),
            event_time=_flat_time(document, date_order),
            device=str(document.get("SharpName") or document.get("CameraName") or "") or None,
            event_id=str(document.get("VehicleID") or "") or None,
        )
    else:
        raise PayloadError("neither PlateRead (SharpV) nor Plate (Security Center) is present")
    return Parsed((event,), facts=event.facts)
