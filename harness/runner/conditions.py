"""How busy the harness's machine was while the accuracy pass ran, and what the pass cost in CPU.

Recorded with the run (journal record ``conditions``, then ``provenance.conditions``): the 1-minute
load average when the pass started and ended, and the CPU time the harness and its worker processes
spent per image. Wall-clock latency of an engine on this machine grows when other jobs share the
CPU; its CPU time per image does not, and the load says whether the latency can be trusted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


def load_average() -> float | None:
    """The machine's 1-minute load average (``None`` where the OS does not tell)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the fields after the command name


def process_tree_cpu_s(root: int | None = None) -> float | None:
    """CPU seconds (user + system) of a process, its live descendants and the children it has reaped
    (Linux ``/proc``; ``None`` elsewhere)."""
    root = os.getpid() if root is None else root
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    try:
        pids = [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]
    except OSError:
        return None
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            stats[pid], parents[pid] = fields, int(fields[1])
    if root not in stats:
        return None
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    # fields after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    total = sum(int(stats[pid][11]) + int(stats[pid][12]) for pid in tree)
    total += int(stats[root][13]) + int(stats[root][14])
    return total / ticks


@dataclass
class ConditionsMeter:
    """Started when the accuracy pass starts; :meth:`record` when it ends."""

    load_start: float | None = None
    cpu_start: float | None = None

    @classmethod
    def start(cls) -> ConditionsMeter:
        return cls(load_average(), process_tree_cpu_s())

    def record(self, images: int) -> dict[str, object]:
        """The journal record (``type: conditions``) for a pass that sent ``images`` images."""
        cpu_end = process_tree_cpu_s()
        per_image = (
            round(1000 * (cpu_end - self.cpu_start) / images, 1)
            if images and cpu_end is not None and self.cpu_start is not None
            else None
        )
        return {
            "type": "conditions",
            "load_average_start": self.load_start,
            "load_average_end": load_average(),
            "cpu_ms_per_image": per_image,
        }
