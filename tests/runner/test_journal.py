"""The journal: durable per record, private, and tolerant of exactly one torn last record."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from harness.outcome import CallOutcome
from harness.runner.journal import Journal, JournalError, read_journal
from vendor_adapters.base import Read, Recognition


def outcome(sample_id: str, text: str = "ABC123", attempt: int = 1) -> CallOutcome:
    return CallOutcome(sample_id, "f" * 64, attempt, 12.5, Recognition((Read(text, 0.9),), vendor_ms=3.0))


def test_journal_is_created_private_with_header_first(tmp_path: Path) -> None:
    path = tmp_path / "run" / "journal.jsonl"
    with Journal.create(path, {"run_id": "r1"}) as journal:
        journal.append_outcome(outcome("a"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["type"] == "header" and json.loads(lines[0])["run_id"] == "r1"
    assert json.loads(lines[1])["reads"][0]["text"] == "ABC123"


def test_journal_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    Journal.create(path, {"run_id": "r1"}).close()
    with pytest.raises(JournalError, match="already exists"):
        Journal.create(path, {"run_id": "r1"})


def test_every_record_is_fsynced_before_append_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal.create(path, {"run_id": "r1"})
    synced: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)  # size on disk when the sync was asked for
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    for i in range(3):
        journal.append_outcome(outcome(f"s{i}"))
        assert synced[-1] == path.stat().st_size  # the whole record was written, then synced
    assert len(synced) == 3
    journal.close()


def test_torn_last_line_is_dropped_with_a_warning_and_cut_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal.create(path, {"run_id": "r1"}) as journal:
        journal.append_outcome(outcome("a"))
        journal.append_outcome(outcome("b"))
    whole = path.stat().st_size
    with open(path, "ab") as fh:
        fh.write(b'{"type":"call","sample_id":"c","ima')  # killed mid-write
    contents = read_journal(path)
    assert list(contents.outcomes) == ["a", "b"]
    assert contents.good_bytes == whole
    assert any("incomplete last record" in w for w in contents.warnings)
    with Journal.reopen(path, contents.good_bytes) as journal:
        journal.append_outcome(outcome("c"))
    again = read_journal(path)
    assert list(again.outcomes) == ["a", "b", "c"] and again.warnings == []


def test_unparsable_complete_last_line_is_dropped_but_damage_elsewhere_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal.create(path, {"run_id": "r1"}) as journal:
        journal.append_outcome(outcome("a"))
    with open(path, "ab") as fh:
        fh.write(b"{not json\n")
    assert list(read_journal(path).outcomes) == ["a"]
    with open(path, "ab") as fh:
        fh.write(json.dumps({"type": "call", **outcome("b").to_json()}).encode() + b"\n")
    with pytest.raises(JournalError, match="damaged record"):
        read_journal(path)


def test_the_last_attempt_of_a_sample_counts(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal.create(path, {"run_id": "r1"}) as journal:
        journal.append_outcome(outcome("a", "OLD111"))
        journal.append_outcome(outcome("b"))
        journal.append_outcome(outcome("a", "NEW222", attempt=2))
    contents = read_journal(path)
    assert contents.calls == 3
    assert contents.outcomes["a"].reads[0].text == "NEW222" and contents.outcomes["a"].attempt == 2


def test_missing_or_headerless_journal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no journal"):
        read_journal(tmp_path / "nope.jsonl")
    path = tmp_path / "journal.jsonl"
    path.write_text(json.dumps({"type": "call", **outcome("a").to_json()}) + "\n", encoding="utf-8")
    with pytest.raises(JournalError, match="not a journal header"):
        read_journal(path)


def test_a_read_with_every_field_survives_the_journal_round_trip(tmp_path: Path) -> None:
    from vendor_adapters.base import Box, Candidate

    read = Read(
        "ABC123", 0.91, Box(1.0, 2.0, 30.0, 10.0), ((1.0, 2.0), (31.0, 2.0), (31.0, 12.0)), "us-co",
        (Candidate("ABC123", 0.91), Candidate("A8C123", 0.05)), detection_confidence=0.77,
    )
    original = CallOutcome("a", "f" * 64, 1, 12.5, Recognition((read,), vendor_ms=3.0), started_at="2026-01-01T00:00:00Z")
    path = tmp_path / "journal.jsonl"
    with Journal.create(path, {"run_id": "r1"}) as journal:
        journal.append_outcome(original)
    assert read_journal(path).outcomes["a"] == original
    older = original.to_json()
    del older["reads"][0]["detection_confidence"]  # journals written before the field existed
    assert CallOutcome.from_json(older).reads[0].detection_confidence is None
