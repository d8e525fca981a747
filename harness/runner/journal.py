"""The run journal: every call of a run, appended as JSON Lines and made durable record by record.

Layout of ``DIR/<vendor>/<run_id>/journal.jsonl`` (mode 0600: reads hold plate numbers)::

    {"type": "header", "journal_format": 1, "run_id": ..., "corpus": {...}, "adapter": {...}, ...}
    {"type": "call", "sample_id": ..., "reads": [...], "client_ms": ..., ...}   one per call
        (a derived call, e.g. ``synth-00007@blur=7``, adds ``"derived": {"from": <sample id>, "recipe": {...}}``)
    {"type": "resume", "at": "...", "executor": ...}                             one per resume
    {"type": "lost", "sample_id": ..., "worker": ..., "at": ...}   a call under way on a Dask worker that was
                                                   lost; Dask ran it again, and its call record follows
    {"type": "conformance", "failures": [...]}    evalapi-style adapters: spec failures of the calls
    {"type": "load", "plan": {...}, "results": [...]}   the load scenarios (``results.load`` entries)
    {"type": "privacy", "check": {...}, "section": {...}, "conformance": ...}     the privacy pass
    {"type": "bench", "source": ..., "journal_sha256": ..., "section": {...}}   the camera bench (--bench)
    {"type": "end", "at": "..."}                                                 when all calls are done

Each record is written with ``write`` + ``flush`` + ``os.fsync`` before the next call's outcome
is accepted, so a killed run loses at most the record being written. A write that fails (disk
full, I/O error) is cut back off the file and raised as :class:`JournalWriteError`, so the journal
always ends with a whole record and the run can be resumed once the cause is fixed. Reading tolerates exactly
that: an incomplete or unparsable *last* line is dropped with a warning (and cut off before a
resume appends to the file); a bad line anywhere else means the journal was damaged and is an
error. If a sample has several call records (a retry, or a resume that re-sent it), the last one
counts; an attempt recorded with ``"retried": true`` was to be followed by another, so a sample
whose last record says so is sent again on resume.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from harness.durable import DurableLog, JournalError, JournalWriteError
from harness.outcome import CallOutcome

__all__ = ["JOURNAL_FILE", "Journal", "JournalContents", "JournalError", "JournalWriteError", "read_journal"]

JOURNAL_FILE = "journal.jsonl"
JOURNAL_FORMAT = 1


@dataclass
class JournalContents:
    """What a journal holds, parsed."""

    header: dict[str, Any]
    outcomes: dict[str, CallOutcome]
    """Sample id -> its last recorded outcome."""
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Sample id -> fields of its last call record beyond :class:`CallOutcome` (e.g. ``roundtrip_ms``)."""
    calls: int = 0
    """Call records read (a sample sent twice counts twice)."""
    resumes: int = 0
    """How many times the run was resumed."""
    lost: list[dict[str, Any]] = field(default_factory=list)
    """Calls that were under way on a Dask worker when it was lost (each was run again)."""
    ended_at: str | None = None
    """When the last call finished (the last ``end`` record), if the run got that far."""
    load: dict[str, Any] | None = None
    """The load scenarios' record (``plan``, ``results``), once they ran."""
    privacy: dict[str, Any] | None = None
    """The privacy pass's record (``check``, ``section``, ``conformance``), once it ran."""
    bench: dict[str, Any] | None = None
    """The camera bench's record (``source``, ``journal_sha256``, ``section``), once it ran."""
    conformance: list[dict[str, Any]] | None = None
    conditions: dict[str, Any] | None = None
    """Machine load and CPU time per image of the accuracy pass (``harness.runner.conditions``)."""
    """Spec-conformance failures of the calls, over every ``conformance`` record; ``None`` if none."""
    good_bytes: int = 0
    """Length of the intact prefix of the file."""
    warnings: list[str] = field(default_factory=list)

    @property
    def derived(self) -> dict[str, dict[str, Any]]:
        """Derived call id -> its source sample and recipe (``{"from": ..., "recipe": ...}``)."""
        return {k: v["derived"] for k, v in self.extras.items() if "derived" in v}


class Journal(DurableLog):
    """An open run journal, appended to one durable record at a time."""

    @classmethod
    def create(cls, path: Path, header: Mapping[str, Any]) -> Self:
        """Create a new journal (refuses to overwrite one) and write its header record."""
        return super().create(path, {"type": "header", "journal_format": JOURNAL_FORMAT, **header})

    def append_outcome(self, outcome: CallOutcome, **extra: Any) -> None:
        """Record one call."""
        self.append({"type": "call", **outcome.to_json(), **extra})


def read_journal(path: Path) -> JournalContents:
    """Parse a journal; drops (and warns about) a torn last line, raises :class:`JournalError` otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise JournalError(f"no journal at {path}") from None
    except OSError as exc:
        raise JournalError(f"cannot read {path}: {exc.strerror or exc}") from None
    lines = raw.split(b"\n")
    # After the final newline split() leaves b""; anything else there is a record cut short.
    tail = lines.pop()
    header: dict[str, Any] | None = None
    contents = JournalContents(header={}, outcomes={})
    offset = 0
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line.decode("utf-8"))
            if not isinstance(record, dict):
                raise TypeError("not a JSON object")
        except (TypeError, ValueError) as exc:
            if number == len(lines) and not tail:
                contents.warnings.append(f"{path}: dropped an unreadable last record (line {number}): {exc}")
                break
            raise JournalError(f"{path}:{number}: damaged record ({exc}); the journal cannot be trusted") from None
        kind = record.get("type")
        if number == 1:
            if kind != "header":
                raise JournalError(f"{path}: the first record is not a journal header")
            header = record
        elif kind == "call":
            try:
                outcome = CallOutcome.from_json(record)
            except (KeyError, TypeError, ValueError) as exc:
                raise JournalError(f"{path}:{number}: malformed call record ({exc})") from None
            contents.outcomes.pop(outcome.sample_id, None)  # keep insertion order = last attempt's
            contents.outcomes[outcome.sample_id] = outcome
            contents.extras[outcome.sample_id] = {k: v for k, v in record.items() if k in _EXTRA_FIELDS}
            contents.calls += 1
        elif kind == "resume":
            contents.resumes += 1
        elif kind == "lost":
            contents.lost.append(record)
        elif kind == "end":
            contents.ended_at = record.get("at")
        elif kind == "load":
            contents.load = record
        elif kind == "privacy":
            contents.privacy = record
        elif kind == "bench":
            contents.bench = record
        elif kind == "conditions":
            contents.conditions = {k: v for k, v in record.items() if k != "type"}
        elif kind == "conformance":
            contents.conformance = [*(contents.conformance or []), *record.get("failures", [])]
        offset += len(line) + 1
    if tail:
        contents.warnings.append(
            f"{path}: dropped an incomplete last record ({len(tail)} bytes, no newline): the run was interrupted"
        )
    if header is None:
        raise JournalError(f"{path}: empty journal (no header record)")
    if header.get("journal_format") != JOURNAL_FORMAT:
        raise JournalError(f"{path}: unsupported journal format {header.get('journal_format')!r}")
    contents.header = header
    contents.good_bytes = offset
    return contents


_EXTRA_FIELDS = ("roundtrip_ms", "retried", "derived")
"""Call-record fields kept besides the outcome itself."""
