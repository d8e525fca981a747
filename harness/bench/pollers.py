"""The poller: reads fetched from a vendor's cloud by plate and time window, journaled like pushes.

One lookup per plate shown to the vendor's cameras, over the bench's window, with the bench's stated
reason and case number (a vendor that audits lookups records both), through the adapter seam
(:meth:`vendor_adapters.base.Adapter.read_lookup`): Flock's plate-read lookup, the RFP evaluation
API's search, or a third-party adapter's own.

Polled reads have no arrival time (the poll, not the camera, decides when they are seen): latency is
not measured for them; they are matched on their own time like exported reads.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Set as AbstractSet
from dataclasses import asdict

from harness.bench.events import CameraEvent, PayloadError, confidence, iso_time, iso_utc, plate_text
from harness.bench.journal import BenchJournal
from vendor_adapters.base import LookupRead, ReadLookup

LOOKUP_MARGIN_S = 3600.0
"""Seconds added on each side of the bench's window: a camera whose clock is off still has its reads found
(matching, not the lookup, decides what counts)."""


def _event(read: LookupRead, route: str) -> CameraEvent:
    return CameraEvent(
        format=route,
        plate=plate_text(read.plate, "plate"),
        confidence=confidence(read.confidence, "confidence"),
        event_time=iso_time(read.captured_at, "captured_at"),
        device=read.device_id,
        event_id=read.id,
    )


def poll(journal: BenchJournal, lookup: ReadLookup, cameras: set[str], truth: dict[str, str],
         paints: dict[str, float], reason: str, case_number: str,
         done: AbstractSet[tuple[str, str]] = frozenset()) -> tuple[int, int]:
    """Look up every plate shown to ``cameras`` over the bench's window, except those ``done`` already
    ((route, plate) pairs of earlier lookups); returns (reads journaled, reads rejected as malformed).
    Each lookup is journaled with its raw answer as soon as it returns, so a poll that fails half way
    is continued by polling again."""
    plan = journal.plan
    shown = [p for p in plan.passes if p.camera in cameras and p.id in paints]
    if not shown:
        return 0, 0
    start = iso_utc(min(paints[p.id] for p in shown) - plan.settings.window_before_s - LOOKUP_MARGIN_S)
    end = iso_utc(max(paints[p.id] for p in shown) + plan.settings.window_after_s + LOOKUP_MARGIN_S)
    kept = rejected = 0
    for plate in sorted({truth[p.id] for p in shown} - {plate for route, plate in done if route == lookup.route}):
        reads = list(lookup.lookup(plate, start, end, reason, case_number))
        events = []
        for read in reads:
            try:
                events.append(_event(read, lookup.route))
            except PayloadError:
                rejected += 1
        raw = json.dumps([asdict(r) for r in reads]).encode("utf-8")
        journal.append({"type": "polled", "source": lookup.route, "plate": plate, "arrival": None, "polled_at": time.time(),
                        "events": [e.to_json() for e in events], "rejected": len(reads) - len(events),
                        "body_b64": base64.b64encode(raw).decode("ascii")})
        kept += len(events)
    return kept, rejected
