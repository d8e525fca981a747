"""What does the Dask executor cost, and what would a 7.5-million-call campaign take on a cluster?

    python benchmarks/dask_overhead.py [--corpus PATH] [--limit 200] [--calls 400]

1. **Per-call overhead** with an engine that does nothing (``NullEngine``, CPU-bound, answers at once), one
   worker: the round trip of one call at a time through the local ``CallPool`` and through ``DaskCallPool``
   (the difference is Dask's per-task overhead), and, with two calls in flight, the client's CPU per call
   (client + the in-process scheduler of the ``LocalCluster``: the serial cost a campaign pays per call on
   the machine that journals).
2. **The reference engine**, the same run (``platebench run --vendor reference --no-load --no-privacy`` on
   the synthetic corpus) on the local executor with 1 worker, and on a ``LocalCluster`` with 1 and 2
   workers: wall time of the whole run (cluster start and engine loads included) and of its calls (first
   call sent to last answer, from the journal).
3. **The projection** of 10 bidders x 50,000 images x 15 conditions = 7.5M calls on 8, 64 and 256 workers,
   from the model in docs/scale-out.md with the figures above.

Every figure is printed with the machine's load average (``uptime``) when it was taken. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from harness.calls.pool import CallPool
from harness.corpus.validate import load_corpus
from harness.runner.journal import read_journal
from harness.runner.run import RunRequest, default_corpus, run
from harness.scorecard.provenance import machine_info
from vendor_adapters.base import Adapter, Capabilities, Image, Recognition, VendorInfo
from vendor_adapters.registry import AdapterFactory

CAMPAIGN_CALLS = 10 * 50_000 * 15
WORKERS = (8, 64, 256)


class NullEngine(Adapter):
    """A CPU-bound engine that answers at once (no read): what is left is the harness's and Dask's cost."""

    name: ClassVar[str] = "null"
    capabilities: ClassVar[Capabilities] = Capabilities(kind="in-process", cpu_bound=True)

    @classmethod
    def from_config(cls, config: object, env: object) -> NullEngine:
        return cls()

    def info(self) -> VendorInfo:
        return VendorInfo(vendor="null", product="null", version="1")

    def recognize(self, image: Image) -> Recognition:
        return Recognition(reads=())


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def say(text: str) -> None:
    print(f"{text}    [{uptime()}]", flush=True)


def _round_trips(pool: CallPool, samples: list, calls: int) -> float:
    """Mean ms per call, one call in flight."""
    pool.submit(samples[0]).result()  # warm
    start = time.perf_counter()
    for i in range(calls):
        pool.submit(samples[i % len(samples)]).result()
    return 1000 * (time.perf_counter() - start) / calls


def _pipelined_cpu(pool: CallPool, samples: list, calls: int) -> tuple[float, float]:
    """(ms of wall per call, ms of this process's CPU per call) with two calls in flight."""
    cpu, start = time.process_time(), time.perf_counter()
    in_flight = [pool.submit(samples[0]), pool.submit(samples[1 % len(samples)])]
    for i in range(2, calls):
        in_flight.pop(0).result()
        in_flight.append(pool.submit(samples[i % len(samples)]))
    for future in in_flight:
        future.result()
    return 1000 * (time.perf_counter() - start) / calls, 1000 * (time.process_time() - cpu) / calls


def per_call_overhead(corpus: Path, calls: int) -> dict[str, float]:
    from harness.calls.dask_pool import DaskCallPool

    factory = AdapterFactory(f"{Path(__file__).stem}:NullEngine", {})
    samples = list(load_corpus(corpus).samples)
    figures: dict[str, float] = {}
    with CallPool(factory, factory(), 1) as local:
        local.start()
        figures["local_roundtrip_ms"] = _round_trips(local, samples, calls)
        say(f"local CallPool, 1 worker, one call at a time: {figures['local_roundtrip_ms']:.2f} ms per call")
    with DaskCallPool(factory, factory(), 1, "dask") as dask:
        dask.start()
        figures["dask_roundtrip_ms"] = _round_trips(dask, samples, calls)
        say(f"Dask LocalCluster, 1 worker, one call at a time: {figures['dask_roundtrip_ms']:.2f} ms per call "
            f"(Dask's per-task overhead: {figures['dask_roundtrip_ms'] - figures['local_roundtrip_ms']:.2f} ms)")
        wall, cpu = _pipelined_cpu(dask, samples, calls)
        figures["dask_pipelined_ms"], figures["client_cpu_ms"] = wall, cpu
        say(f"Dask LocalCluster, 1 worker, two calls in flight: {wall:.2f} ms per call; client + scheduler CPU "
            f"{cpu:.2f} ms per call")
    return figures


def _calls_wall_s(journal: Path) -> float:
    """First call sent to last answer, from the journal."""
    calls = read_journal(journal).outcomes.values()
    start = min(datetime.fromisoformat(o.started_at) for o in calls)
    end = max(datetime.fromisoformat(o.started_at).timestamp() + o.client_ms / 1000 for o in calls)
    return end - start.timestamp()


def reference_runs(corpus: Path, limit: int, out: Path) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    for label, executor, workers in (("local-1", "local", 1), ("dask-1", "dask", 1), ("dask-2", "dask", 2)):
        start = time.perf_counter()
        result = run(RunRequest(vendor="reference", corpus_path=corpus, limit=limit, executor=executor,
                                concurrency=workers, load=False, privacy=False, scorecard_dir=out / label),
                     progress_stream=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
        wall = time.perf_counter() - start
        calls = _calls_wall_s(result.journal_path)
        engine = sum(o.client_ms for o in read_journal(result.journal_path).outcomes.values()) / limit
        figures[label] = {"run_s": wall, "calls_s": calls, "engine_ms": engine}
        say(f"reference, {limit} images, {label}: run {wall:.1f} s, calls {calls:.1f} s, engine {engine:.0f} ms/image")
    local, one, two = figures["local-1"], figures["dask-1"], figures["dask-2"]
    say(f"Dask at 1 worker over local at 1 worker: run {100 * (one['run_s'] / local['run_s'] - 1):+.1f}%, "
        f"calls {100 * (one['calls_s'] / local['calls_s'] - 1):+.1f}%")
    say(f"speed-up from 1 to 2 Dask workers: {one['calls_s'] / two['calls_s']:.2f}x on the calls "
        f"({one['run_s'] / two['run_s']:.2f}x on the whole run)")
    return figures


def project(engine_ms: float, overhead_ms: float, client_ms: float, efficiency: float) -> dict[int, float]:
    """Hours for :data:`CAMPAIGN_CALLS` on each of :data:`WORKERS` (docs/scale-out.md, "The model")."""
    per_call_s = (engine_ms + overhead_ms) / 1000
    return {w: CAMPAIGN_CALLS * max(per_call_s / (w * efficiency), client_ms / 1000) / 3600 for w in WORKERS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="Default: the synthetic corpus")
    parser.add_argument("--limit", type=int, default=200, help="images of the reference runs. Default: %(default)s")
    parser.add_argument("--calls", type=int, default=400, help="calls of the overhead measurement. Default: %(default)s")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))  # workers import NullEngine from this folder
    corpus = args.corpus or default_corpus()
    print(f"machine: {machine_info().describe()}")
    overhead = per_call_overhead(corpus, args.calls)
    with tempfile.TemporaryDirectory() as out:
        runs = reference_runs(corpus, args.limit, Path(out))
    efficiency = runs["dask-1"]["calls_s"] / runs["dask-2"]["calls_s"] / 2
    engine_ms = runs["dask-1"]["engine_ms"]
    task_ms = overhead["dask_roundtrip_ms"] - overhead["local_roundtrip_ms"]
    hours = project(engine_ms, max(task_ms, 0.0), overhead["client_cpu_ms"], min(efficiency, 1.0))
    print(f"projection, {CAMPAIGN_CALLS:,} calls, engine {engine_ms:.0f} ms/image, Dask {task_ms:.2f} ms/task, "
          f"client {overhead['client_cpu_ms']:.2f} ms/call, parallel efficiency {efficiency:.2f}:")
    for workers, h in hours.items():
        bound = "client-bound" if h * 3600 <= CAMPAIGN_CALLS * overhead["client_cpu_ms"] / 1000 * 1.0001 else "worker-bound"
        print(f"  {workers:>3} workers: {h:,.1f} h ({h / 24:.1f} days), {bound}")
    print(json.dumps({"overhead": overhead, "runs": runs, "efficiency": efficiency, "hours": hours}))


if __name__ == "__main__":
    main()
