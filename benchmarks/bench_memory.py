"""Memory of a long simulated camera bench: one pass per second through the virtual camera, the
simulated edge device (reference recognizer's line reader) and the collector, every push format.

RSS of this process (all of it: camera, device, collector) is sampled every ``--sample`` seconds;
the figures printed are the RSS after warm-up, at the end, and the least-squares slope per hour
over the samples after warm-up. "Flat" means the slope is small against the level and does not
scale with the number of passes.

    python benchmarks/bench_memory.py --minutes 30 [--sample 30] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from harness.bench.collector import running_collector
from harness.bench.edge import Sink, reference_recognize
from harness.bench.formats import FORMATS
from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
from harness.bench.metrics import score
from harness.bench.plan import BenchSettings, Camera, make_plan
from harness.bench.simulate import run_simulation
from harness.scorecard.provenance import machine_info

SERIAL = "ABCDEFGHJKLMNPRSTUVWXYZ"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def plates(n: int) -> list[str]:
    rng = np.random.default_rng(0)
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(list(SERIAL), 3)) + "".join(rng.choice(list("0123456789"), 4))] = None
    return list(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds before the samples that count")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    passes = int(args.minutes * 60)
    settings = BenchSettings(name="memory", start_delay_s=2.0, crossing_s=0.6, frame_rate=10.0, window_after_s=60.0)
    plan = make_plan(cameras=[Camera("cam-1", "simulated", "push", "rfp-evaluation")], passes=passes,
                     interval_s=1.0, plates=plates(passes), settings=settings)
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    t0 = time.monotonic()

    def sampler() -> None:
        while not stop.wait(args.sample):
            samples.append((time.monotonic() - t0, rss_mb()))
            print(f"  {samples[-1][0]:7.0f} s  RSS {samples[-1][1]:7.1f} MB", flush=True)

    out = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    journal = BenchJournal.open(out, plan, {p.id: p.plate for p in plan.passes if p.plate})
    thread = threading.Thread(target=sampler, daemon=True)
    print(f"{passes} passes, one per second, {len(FORMATS)} push formats; RSS at start {rss_mb():.1f} MB")
    thread.start()
    try:
        with running_collector(journal) as (_, server):
            sinks = [Sink(f"{server.base_url}/events/{f}", f, "cam-1") for f in FORMATS]
            (report,) = run_simulation(plan, [journal], {"cam-1": sinks}, reference_recognize(detect=False),
                                       readers=2, timeout_s=600)
    finally:
        stop.set()
        journal.close()
    counted = [(t, m) for t, m in samples if t >= args.warmup]
    slope = float(np.polyfit([t for t, _ in counted], [m for _, m in counted], 1)[0] * 3600) if len(counted) > 2 else None
    routes = score(read_bench_journal(out / BENCH_JOURNAL))
    capture = {r.route: r.figures["capture_rate"].value for r in routes}
    result = {
        "machine": machine_info().describe(),
        "minutes": args.minutes,
        "passes": passes,
        "vehicles_tracked": report.vehicles,
        "unread": report.unread,
        "frames_read": report.frames_read,
        "rss_after_warmup_mb": counted[0][1] if counted else None,
        "rss_end_mb": samples[-1][1] if samples else None,
        "rss_max_mb": max(m for _, m in samples) if samples else None,
        "slope_mb_per_hour": slope,
        "capture_rate": capture,
        "samples": samples,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
