"""Pollers: reads fetched by time window from APIs that list them, journaled like pushes.

- Flock plate-read lookup (:func:`poll_flock`): one lookup per plate shown, over the bench's window,
  with the bench's stated reason and case number (Flock records both: the lookup itself is audited).

Polled reads have no arrival time (the poll, not the camera, decides when they are seen): latency is
not measured for them; they are matched on their own time like exported reads.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict

from harness.bench.events import CameraEvent, PayloadError, confidence, iso_time, iso_utc, plate_text
from harness.bench.journal import BenchJournal
from vendor_adapters.flock import FlockClient, PlateRead

FLOCK_ROUTE = "flock-lookup"


def _event(read: PlateRead) -> CameraEvent:
    return CameraEvent(
        format=FLOCK_ROUTE,
        plate=plate_text(read.plate, "plate.plate"),
        confidence=confidence(read.confidence, "plate.confidence"),
        event_time=iso_time(read.captured_at, "capturedAt"),
        device=read.device_id,
        event_id=read.id,
    )


def poll_flock(journal: BenchJournal, client: FlockClient, truth: dict[str, str], paints: dict[str, float],
               reason: str, case_number: str) -> tuple[int, int]:
    """Look up every plate shown to a Flock camera over the bench's window; returns (reads journaled,
    reads rejected as malformed)."""
    plan = journal.plan
    flock_cameras = {c.id for c in plan.cameras if c.vendor == "flock"}
    shown = [p for p in plan.passes if p.camera in flock_cameras and p.id in paints]
    if not shown:
        return 0, 0
    start = iso_utc(min(paints[p.id] for p in shown) - plan.settings.window_before_s - 3600)
    end = iso_utc(max(paints[p.id] for p in shown) + plan.settings.window_after_s + 3600)
    kept = rejected = 0
    for plate in sorted({truth[p.id] for p in shown}):
        reads = list(client.lookup(plate, start, end, reason, case_number))
        events = []
        for read in reads:
            try:
                events.append(_event(read))
            except PayloadError:
                rejected += 1
        raw = json.dumps([asdict(r) for r in reads]).encode("utf-8")
        journal.append({"type": "polled", "source": FLOCK_ROUTE, "arrival": None, "polled_at": time.time(),
                        "events": [e.to_json() for e in events], "rejected": len(reads) - len(events),
                        "body_b64": base64.b64encode(raw).decode("ascii")})
        kept += len(events)
    return kept, rejected
