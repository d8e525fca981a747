"""What happened when one image was sent to a vendor: the one outcome type of every call.

The accuracy pass journals it and the metrics read it; the load scenarios tally it. A query that
was retried carries every :class:`Attempt` made for it; the outcome itself is the last one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vendor_adapters.base import Box, Candidate, Read, Recognition


@dataclass(frozen=True)
class Attempt:
    """One try of a query: when, how long, and how it ended (``error_kind`` ``None``: success)."""

    number: int
    ms: float
    error_kind: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class CallOutcome:
    """One call on one sample: the vendor's reads, or the error that stood in for them."""

    sample_id: str
    image_sha256: str
    attempt: int
    """1 for the first try; retries (when a recorded policy allows them) count up."""
    client_ms: float
    """Client-observed time from send to full response, monotonic clock, milliseconds."""
    recognition: Recognition | None = None
    """``None`` exactly when the call failed."""
    error_kind: str | None = None
    """One of ``vendor_adapters.errors.ERROR_KINDS`` when the call failed."""
    error_message: str | None = None
    started_at: str = ""
    """Wall-clock UTC start time, ISO 8601 (for the record; durations use ``client_ms``)."""
    earlier: tuple[Attempt, ...] = ()
    """The failed attempts that came before this one (retries), oldest first; not journaled here:
    each attempt is journaled as its own record when it ends."""

    @property
    def attempts(self) -> tuple[Attempt, ...]:
        """Every attempt made for this query, this (final) one last."""
        return (*self.earlier, Attempt(self.attempt, self.client_ms, self.error_kind, self.error_message))

    @property
    def ok(self) -> bool:
        """True when the vendor answered with a usable recognition."""
        return self.recognition is not None

    @property
    def reads(self) -> tuple[Read, ...]:
        """The reads, empty on error."""
        return self.recognition.reads if self.recognition else ()

    @property
    def vendor_ms(self) -> float | None:
        """Vendor-reported processing time, when given."""
        return self.recognition.vendor_ms if self.recognition else None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (contains plate text: journals only, never scorecards)."""
        rec = self.recognition
        return {
            "sample_id": self.sample_id,
            "image_sha256": self.image_sha256,
            "attempt": self.attempt,
            "client_ms": self.client_ms,
            "started_at": self.started_at,
            "error_kind": self.error_kind,
            "error_message": self.error_message,
            "vendor_ms": rec.vendor_ms if rec else None,
            "reads": None if rec is None else [_read_to_json(r) for r in rec.reads],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallOutcome:
        """Inverse of :meth:`to_json`."""
        reads = data.get("reads")
        recognition = (
            None
            if reads is None
            else Recognition(reads=tuple(_read_from_json(r) for r in reads), vendor_ms=data.get("vendor_ms"))
        )
        return cls(
            sample_id=data["sample_id"],
            image_sha256=data["image_sha256"],
            attempt=int(data.get("attempt", 1)),
            client_ms=float(data["client_ms"]),
            recognition=recognition,
            error_kind=data.get("error_kind"),
            error_message=data.get("error_message"),
            started_at=data.get("started_at", ""),
        )


def _read_to_json(read: Read) -> dict[str, Any]:
    return {
        "text": read.text,
        "confidence": read.confidence,
        "box": read.box.as_dict() if read.box else None,
        "polygon": [list(p) for p in read.polygon] if read.polygon else None,
        "region": read.region,
        "candidates": [{"text": c.text, "confidence": c.confidence} for c in read.candidates],
        "detection_confidence": read.detection_confidence,
    }


def _read_from_json(data: dict[str, Any]) -> Read:
    box = data.get("box")
    polygon = data.get("polygon")
    return Read(
        text=data["text"],
        confidence=data.get("confidence"),
        box=Box(**box) if box else None,
        polygon=tuple((float(x), float(y)) for x, y in polygon) if polygon else None,
        region=data.get("region"),
        candidates=tuple(Candidate(c["text"], c.get("confidence")) for c in data.get("candidates", [])),
        detection_confidence=data.get("detection_confidence"),
    )
