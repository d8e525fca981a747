"""Matching a camera's events to the passes it was shown.

For one camera and one route (push format, poller or import), an event can be a pass's read when it
arrived inside the pass's window (``paint - window_before`` .. ``paint + window_after``; imported
reads, whose arrival is unknown, use their own time corrected by the camera's clock offset) and its
text is at least ``min_text_similarity`` similar to the pass's plate (1 - edit distance / longer
length). Each pass gets at most one event: an optimal assignment (most similar text first, then
nearest in time). An event left over that could have been a matched pass's read is a *duplicate* of
that pass; any other left-over event is a *phantom* (a read of nothing that was shown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from harness.bench.journal import ReceivedEvent
from harness.bench.plan import BenchSettings, Pass
from harness.metrics.matching import levenshtein

_FORBIDDEN = 1e9


def similarity(a: str, b: str) -> float:
    """1 - edit distance / length of the longer text (1.0: identical)."""
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


@dataclass(frozen=True)
class PassResult:
    """What became of one shown pass."""

    pass_id: str
    painted: float
    event: ReceivedEvent | None
    exact: bool
    duplicates: int

    @property
    def captured(self) -> bool:
        return self.event is not None

    @property
    def latency_s(self) -> float | None:
        """Arrival minus paint time (harness clock), if the pass was captured by a live route."""
        if self.event is None or self.event.arrival is None:
            return None
        return self.event.arrival - self.painted

    @property
    def clock_offset_s(self) -> float | None:
        """The camera's event time minus the paint time."""
        if self.event is None or self.event.event.event_time is None:
            return None
        return self.event.event.event_time - self.painted


@dataclass
class Matching:
    """One camera's passes and events through one route, matched."""

    camera: str
    route: str
    passes: list[PassResult] = field(default_factory=list)
    phantoms: list[ReceivedEvent] = field(default_factory=list)
    not_shown: int = 0
    """Passes of the plan never painted (the bench stopped early, or the display missed them)."""


def _event_time(event: ReceivedEvent, offset_s: float) -> float | None:
    if event.arrival is not None:
        return event.arrival
    if event.event.event_time is None:
        return None
    return event.event.event_time - offset_s


def match(
    camera: str,
    route: str,
    passes: Sequence[Pass],
    truth: Mapping[str, str],
    paints: Mapping[str, float],
    events: Sequence[ReceivedEvent],
    settings: BenchSettings,
    clock_offset_s: float = 0.0,
) -> Matching:
    """Match ``events`` (already those of this camera and route) to the camera's shown ``passes``.

    ``truth`` maps pass id -> plate text; ``clock_offset_s`` corrects the times of reads without an
    arrival time (exports)."""
    shown = [p for p in passes if p.id in paints]
    result = Matching(camera, route, not_shown=len(passes) - len(shown))
    times = [_event_time(e, clock_offset_s) for e in events]
    window = settings.window_before_s + settings.window_after_s
    cost = np.full((len(shown), len(events)), _FORBIDDEN)
    for i, item in enumerate(shown):
        painted, plate = paints[item.id], truth[item.id]
        for j, (event, when) in enumerate(zip(events, times, strict=True)):
            if when is None or not (painted - settings.window_before_s <= when <= painted + settings.window_after_s):
                continue
            sim = similarity(event.event.plate, plate)
            if sim >= settings.min_text_similarity:
                cost[i, j] = (1.0 - sim) + 0.01 * abs(when - painted) / window
    assigned: dict[int, int] = {}
    if shown and events:
        rows, cols = linear_sum_assignment(cost)
        assigned = {int(r): int(c) for r, c in zip(rows, cols, strict=True) if cost[r, c] < _FORBIDDEN}
    used = set(assigned.values())
    duplicates = [0] * len(shown)
    for j, event in enumerate(events):
        if j in used:
            continue
        candidates = [i for i in assigned if cost[i, j] < _FORBIDDEN]
        if candidates:
            duplicates[min(candidates, key=lambda i: cost[i, j])] += 1
        else:
            result.phantoms.append(event)
    for i, item in enumerate(shown):
        event = events[assigned[i]] if i in assigned else None
        result.passes.append(
            PassResult(item.id, paints[item.id], event, event is not None and event.event.plate == truth[item.id], duplicates[i])
        )
    return result
