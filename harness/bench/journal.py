"""The bench journal: everything a bench saw, one durable JSON line at a time (mode 0600: it holds
raw payloads and plate text; never copied into a scorecard).

``DIR/bench.jsonl``::

    {"type": "header", "journal_format": 1, "kind": "bench", "plan_sha256": ..., "plan": {...},
     "truth": {pass id: plate}, "sample_tags": {sample id: {tag: value}}}
    {"type": "paint", "pass": ..., "scheduled": t, "painted": t, "source": "virtual-camera"}
                              (source "display" for the display rig, "drive-by" for a key press)
    {"type": "received", "route": fmt, "arrival": t, "status": "accepted", "events": [...],
     "content_type": ..., "body_b64": ..., "reason": ...}                 one per push (also rejected ones)
    {"type": "polled", "source": ..., "plate": ..., "arrival": null, "events": [...], "body_b64": ...}
    {"type": "imported", "source": ..., "events": [...]}
    {"type": "resume", "at": t}

Writing uses :class:`~harness.durable.DurableLog` (fsync per record, a torn
write cut back). Reading drops a torn last line with a warning, like the run journal.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.bench.events import CameraEvent
from harness.bench.plan import BenchPlan, parse_plan
from harness.durable import DurableLog, JournalError

BENCH_JOURNAL = "bench.jsonl"
JOURNAL_FORMAT = 1
STATUSES = ("accepted", "ignored", "rejected", "unauthorized")


@dataclass(frozen=True)
class ReceivedEvent:
    """A camera event as the harness received it."""

    event: CameraEvent
    arrival: float | None
    """Harness clock at receipt; ``None`` for imported reads (arrival unknown)."""
    route: str
    """Push format, poller or import it came through."""
    camera: str | None
    """The plan camera it is attributed to (``None``: no camera of the plan reports as its device)."""


@dataclass
class BenchRecords:
    """A bench journal, read back."""

    plan: BenchPlan
    header: dict[str, Any]
    truth: dict[str, str] = field(default_factory=dict)
    """Pass id -> the plate shown."""
    sample_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    paints: dict[str, float] = field(default_factory=dict)
    """Pass id -> actual paint time (the last record of a pass counts)."""
    events: list[ReceivedEvent] = field(default_factory=list)
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(route, status) -> pushes."""
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(route, reason) -> rejected pushes."""
    facts: dict[str, dict[str, str]] = field(default_factory=dict)
    """Camera id -> device facts seen in its payloads."""
    polled: set[tuple[str, str]] = field(default_factory=set)
    """(lookup route, plate) of every lookup already journaled (a poll run again skips them)."""
    resumes: int = 0
    warnings: list[str] = field(default_factory=list)


def attribute(plan: BenchPlan, route: str, device: str | None) -> str | None:
    """The plan camera an event belongs to: the camera reporting as ``device`` (preferring one whose
    format is ``route``), or, for payloads without a device id, the only camera using ``route``."""
    if device is not None:
        matches = [c for c in plan.cameras if c.device_id == device]
        preferred = [c for c in matches if c.format == route]
        chosen = preferred or matches
        return chosen[0].id if chosen else None
    users = [c for c in plan.cameras if c.format == route]
    return users[0].id if len(users) == 1 else None


class BenchJournal:
    """An open bench journal; thread-safe appends."""

    def __init__(self, journal: DurableLog, plan: BenchPlan) -> None:
        self._journal = journal
        self.plan = plan
        self.path = journal.path
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        directory: Path,
        plan: BenchPlan,
        truth: Mapping[str, str],
        sample_tags: Mapping[str, Mapping[str, str]] | None = None,
    ) -> BenchJournal:
        """Create the journal in ``directory``, or reopen it (a resume) if it belongs to the same plan."""
        path = directory / BENCH_JOURNAL
        if path.exists():
            records = read_bench_journal(path)
            if records.header.get("plan_sha256") != plan.sha256:
                raise JournalError(f"{path} belongs to another plan; use a new output folder")
            opened = cls(DurableLog.reopen(path, path.stat().st_size - _torn_tail(path)), plan)
            opened.append({"type": "resume", "at": time.time()})
            return opened
        header = {
            "type": "header", "journal_format": JOURNAL_FORMAT, "kind": "bench", "plan_sha256": plan.sha256, "plan": plan.to_dict(), "created_at": time.time(),
            "truth": dict(truth), "sample_tags": {k: dict(v) for k, v in (sample_tags or {}).items()},
        }
        return cls(DurableLog.create(path, header), plan)

    def append(self, record: Mapping[str, Any]) -> None:
        with self._lock:
            self._journal.append(record)

    def paint(self, pass_id: str, scheduled: float, painted: float, source: str) -> None:
        self.append({"type": "paint", "pass": pass_id, "scheduled": scheduled, "painted": painted, "source": source})

    def received(
        self,
        *,
        route: str,
        arrival: float,
        status: str,
        events: list[CameraEvent],
        body: bytes,
        content_type: str,
        reason: str | None = None,
        facts: Mapping[str, str] | None = None,
    ) -> None:
        self.append(
            {
                "type": "received",
                "route": route,
                "arrival": arrival,
                "status": status,
                "reason": reason,
                "events": [e.to_json() for e in events],
                "facts": dict(facts or {}),
                "content_type": content_type,
                "body_b64": base64.b64encode(body).decode("ascii"),
            }
        )

    def close(self) -> None:
        with self._lock:
            self._journal.close()


def _torn_tail(path: Path) -> int:
    data = path.read_bytes()
    return len(data) - (data.rfind(b"\n") + 1)


def read_bench_journal(path: Path) -> BenchRecords:
    """Read a bench journal back; raises :class:`JournalError` if it is damaged or not a bench journal."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise JournalError(f"no bench journal at {path}") from None
    lines = raw.split(b"\n")
    tail = lines.pop()
    if not lines:
        raise JournalError(f"{path}: empty journal")
    try:
        header = json.loads(lines[0])
    except ValueError:
        raise JournalError(f"{path}: unreadable header") from None
    if not isinstance(header, dict) or header.get("kind") != "bench" or header.get("journal_format") != JOURNAL_FORMAT:
        raise JournalError(f"{path}: not a bench journal (format {JOURNAL_FORMAT})")
    plan = parse_plan(header["plan"], str(path))
    records = BenchRecords(plan=plan, header=header, truth=dict(header.get("truth") or {}),
                           sample_tags=dict(header.get("sample_tags") or {}))
    if tail:
        records.warnings.append(f"{path}: dropped an incomplete last record ({len(tail)} bytes)")
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines) and not tail:
                records.warnings.append(f"{path}: dropped an unreadable last record (line {number})")
                break
            raise JournalError(f"{path}:{number}: damaged record") from None
        _apply(records, record)
    return records


def _apply(records: BenchRecords, record: dict[str, Any]) -> None:
    kind = record.get("type")
    if kind == "paint":
        records.paints[record["pass"]] = float(record["painted"])
    elif kind == "resume":
        records.resumes += 1
    elif kind in ("received", "polled", "imported"):
        route = record.get("route") or record.get("source") or kind
        if kind == "polled" and record.get("plate"):
            records.polled.add((route, record["plate"]))
        if kind == "received":
            records.statuses[(route, record["status"])] += 1
            if record["status"] in ("rejected", "unauthorized") and record.get("reason"):
                records.reasons[(route, record["reason"])] += 1
        for item in record.get("events", []):
            event = CameraEvent.from_json(item)
            camera = attribute(records.plan, event.format if kind != "received" else route, event.device)
            records.events.append(ReceivedEvent(event, record.get("arrival"), route, camera))
            if camera and event.facts:
                records.facts.setdefault(camera, {}).update(event.facts)
