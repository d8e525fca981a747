"""The camera bench as a stage of ``platebench run --bench`` and ``pytest --vendor --bench``.

``--bench PLAN.toml`` runs the plan on the simulated bench (virtual camera, simulated edge device
pushing in each camera's format, collector) in the run's folder (``bench/``): what CI and
software-only edge products use. ``--bench DIR`` attaches a bench already run with real cameras
(``platebench bench display/collect/import`` wrote ``DIR/bench.jsonl``): it is scored, not re-run.
Either way the run's journal records the section, so a resumed or rescored run does not bench again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
from harness.bench.plan import PlanError, load_plan, resolve_truth
from harness.bench.section import roadside_section
from harness.corpus.model import Sample
from harness.durable import JournalError
from harness.errors import UserError


class BenchError(UserError):
    """The bench cannot be run or read; the message says why."""


def check_bench_argument(path: Path) -> None:
    """Fail early (before any vendor call) on a ``--bench`` that is neither a plan nor a bench folder."""
    if path.is_dir():
        if not (path / BENCH_JOURNAL).is_file():
            raise BenchError(f"--bench {path}: a folder must hold a bench journal ({BENCH_JOURNAL})")
        return
    try:
        load_plan(path)
    except PlanError as exc:
        raise BenchError(f"--bench {exc}") from None


def run_bench_pass(path: Path, run_dir: Path, samples: Mapping[str, Sample]) -> dict[str, Any]:
    """Run (plan) or read (folder) the bench; returns the run journal's ``bench`` record."""
    if path.is_dir():
        folder = path
    else:
        folder = run_dir / "bench"
        _simulate(path, folder, samples)
    journal_path = folder / BENCH_JOURNAL
    try:
        records = read_bench_journal(journal_path)
    except JournalError as exc:
        raise BenchError(str(exc)) from None
    source = "recorded" if path.is_dir() else "simulated"
    digest = hashlib.sha256(journal_path.read_bytes()).hexdigest()
    section = roadside_section(records) | {"source": source, "journal_sha256": digest}
    return {"type": "bench", "source": source, "journal_sha256": digest, "section": section}


def _simulate(plan_path: Path, folder: Path, samples: Mapping[str, Sample]) -> None:
    from harness.bench.collector import running_collector
    from harness.bench.edge import Sink, reference_recognize
    from harness.bench.simulate import run_simulation

    try:
        plan = load_plan(plan_path)
        truth, tags = resolve_truth(plan, samples)
        journal = BenchJournal.open(folder, plan, truth, tags)
    except (PlanError, JournalError) as exc:
        raise BenchError(str(exc)) from None
    try:
        with running_collector(journal) as (_, server):
            sinks = {c.id: [Sink(f"{server.base_url}/events/{c.format}", str(c.format), c.device_id)]
                     for c in plan.cameras if c.delivery == "push"}
            if not sinks:
                raise BenchError(f"--bench {plan_path}: the plan has no push camera to simulate")
            run_simulation(plan, [journal], sinks, reference_recognize(detect=False), samples, readers=2)
    finally:
        journal.close()
