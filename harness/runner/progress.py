"""A progress bar for a run (rich): done/total, failed calls, rate and time remaining.

Shown only when the output is an interactive terminal; under pytest's capture, in CI logs or
when piped it stays silent, so logs never fill with redraws.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Images per second over the run so far."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- img/s" if speed is None else f"{speed:.1f} img/s", style="progress.data.speed")


class RunProgress:
    """Counts calls as they finish; a no-op when not attached to a terminal."""

    def __init__(self, progress: Progress | None, total: int, done: int) -> None:
        self._progress = progress
        self._task = progress.add_task("calls", total=total, completed=done, errors=0) if progress else None
        self.errors = 0

    def advance(self, ok: bool) -> None:
        """One more call finished."""
        self.errors += 0 if ok else 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, errors=self.errors)


@contextmanager
def run_progress(total: int, done: int, label: str, stream: IO[str] | None = None) -> Iterator[RunProgress]:
    """A progress bar for ``total`` calls of which ``done`` were made before (on resume)."""
    console = Console(file=stream or sys.stderr)
    if not console.is_terminal:
        yield RunProgress(None, total, done)
        return
    columns = (
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[errors]} failed"),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield RunProgress(progress, total, done)
