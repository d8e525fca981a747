"""``platebench campaign status``: each run's id, status and calls journaled so far, and the comparisons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.campaign.config import Campaign
from harness.campaign.index import counts
from harness.runner.journal import JOURNAL_FILE, JournalError, read_journal


def status_lines(campaign: Campaign, index: dict[str, Any]) -> Iterator[str]:
    """Lines for the terminal: a tally, one line per run, one per comparison."""
    tally = ", ".join(f"{n} {status}" for status, n in counts(index).items() if n)
    yield f"campaign {index['campaign']}: {len(index['runs'])} runs ({tally})"
    for run in index["runs"]:
        calls = _calls(campaign, run) if run["run_id"] and run["status"] != "done" else ""
        note = f": {run['message']}" if run.get("message") else ""
        yield f"  {run['vendor']} on {run['corpus']}: {run['status']}{calls} {run['run_id'] or ''}{note}".rstrip()
    for entry in index["comparisons"]:
        note = f": {entry['message']}" if entry.get("message") else ""
        yield f"  comparison on {entry['corpus']}: {entry['status']}{note}"


def _calls(campaign: Campaign, run: dict[str, Any]) -> str:
    """`` (N calls journaled, M lost with a worker)`` from the run's journal."""
    try:
        contents = read_journal(campaign.runs_dir / run["vendor"] / run["run_id"] / JOURNAL_FILE)
    except JournalError:
        return " (no journal yet)"
    lost = f", {len(contents.lost)} lost with a worker and run again" if contents.lost else ""
    return f" ({len(contents.outcomes)} samples journaled{lost})"
