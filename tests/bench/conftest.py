"""Shared helpers for the bench tests: small plans and an open journal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from harness.bench.journal import BenchJournal
from harness.bench.plan import BenchPlan, BenchSettings, Camera, make_plan

SERIAL_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def serial_plates(n: int, seed: int = 1) -> list[str]:
    """``n`` distinct US-style serials (three letters, four digits)."""
    rng = np.random.default_rng(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(list(SERIAL_LETTERS), 3)) + "".join(rng.choice(list("0123456789"), 4))] = None
    return list(out)


def small_plan(formats: tuple[str, ...] = ("rfp-evaluation",), passes: int = 4, **settings: float) -> BenchPlan:
    cameras = [Camera(f"cam-{i + 1}", "vendor", "push", f) for i, f in enumerate(formats)]
    return make_plan(cameras=cameras, passes=passes, interval_s=1.0, plates=serial_plates(passes),
                     settings=BenchSettings(**settings))


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[BenchJournal]:
    plan = small_plan(("platerecognizer-stream", "verkada-lpr", "flock-alert", "genetec"))
    opened = BenchJournal.open(tmp_path, plan, {p.id: p.plate for p in plan.passes if p.plate})
    yield opened
    opened.close()
