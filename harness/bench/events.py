"""What cameras report, normalized: :class:`CameraEvent`, and what the simulated edge device knows of a
vehicle before it is encoded in a vendor's format (:class:`EdgeRead`).

Times are Unix epoch seconds (floats). A camera's ``event_time`` is on the camera's clock; the
harness's own times (paint, arrival) are on the harness's clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from vendor_adapters.base import normalize_plate_text


class PayloadError(ValueError):
    """A payload a parser cannot use; the message says why (it is counted, journaled and answered 400)."""


@dataclass(frozen=True)
class CameraEvent:
    """One read a camera reported, in the harness's terms."""

    format: str
    plate: str
    """Normalized text (A-Z, 0-9)."""
    confidence: float | None = None
    """In [0, 1]."""
    event_time: float | None = None
    """When the camera says it saw the plate (its clock), epoch seconds."""
    device: str | None = None
    """The camera's id as the payload carries it."""
    event_id: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)
    """Device facts the payload carries (model, serial, firmware)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"facts": dict(self.facts)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CameraEvent:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k != "facts"}, facts=dict(data.get("facts") or {}))


@dataclass(frozen=True)
class Parsed:
    """A parser's result: the events a payload carries (none for heartbeats and other messages the
    bench ignores, with ``ignored`` saying which) and device facts."""

    events: tuple[CameraEvent, ...] = ()
    ignored: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EdgeRead:
    """A tracked vehicle's read as the simulated edge device reports it (before encoding)."""

    plate: str
    confidence: float
    event_time: float
    """Device clock (epoch s) of the frame the read came from."""
    first_seen: float
    last_seen: float
    device: str
    event_id: str
    box: tuple[int, int, int, int] = (0, 0, 0, 0)
    """x, y, width, height of the plate in the frame."""
    frame_size: tuple[int, int] = (0, 0)
    image_jpeg: bytes = b""


def plate_text(value: Any, field_name: str) -> str:
    """A payload's plate text, normalized; a missing or empty one is a :class:`PayloadError`."""
    if not isinstance(value, str) or not normalize_plate_text(value):
        raise PayloadError(f"{field_name} is missing or has no letters or digits")
    return normalize_plate_text(value)


def number(value: Any, field_name: str, *, allow_string: bool = False) -> float:
    """A numeric field (vendors that send numbers as strings: ``allow_string``)."""
    if isinstance(value, bool):
        raise PayloadError(f"{field_name} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if allow_string and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise PayloadError(f"{field_name} is not a number: {str(value)[:40]!r}")


def confidence(value: Any, field_name: str, *, scale: float = 1.0, allow_string: bool = False) -> float | None:
    """A confidence in [0, 1] (``scale`` 100 for percentages); absent gives ``None``."""
    if value is None:
        return None
    result = number(value, field_name, allow_string=allow_string) / scale
    if not 0.0 <= result <= 1.0:
        raise PayloadError(f"{field_name} {result * scale} is outside 0..{scale:g}")
    return result


_ISO_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def iso_time(value: Any, field_name: str, *, naive_is_utc: bool = True) -> float:
    """An ISO-8601 time (with ``Z``, an offset, or none: UTC) as epoch seconds."""
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{field_name} is missing")
    text = _ISO_FRACTION.sub(r"\1", value.strip().replace("Z", "+00:00").replace(" ", "T", 1))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"{field_name} is not an ISO-8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            raise PayloadError(f"{field_name} has no time zone")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def iso_utc(epoch_s: float, *, digits: int = 6) -> str:
    """Epoch seconds as ISO-8601 UTC with ``Z``."""
    text = datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="microseconds" if digits == 6 else "milliseconds")
    return text.replace("+00:00", "Z")


def require_mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{what} is not a JSON object")
    return value
