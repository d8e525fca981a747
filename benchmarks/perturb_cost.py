"""What does a perturbation sweep cost the harness per vendor call, against a plain run of the same images?

    python benchmarks/perturb_cost.py [--corpus PATH] [--limit 200] [--perturb blur=3,7,11 ...] [--vendor NAME]

Harness side (always): the work the runner does to hand each call its image, timed exactly as the run does
it: a plain run reads each image file (and its sha256 for the journal); a sweep reads and decodes each source
image once, applies every operator and level, and encodes each result once
(:func:`harness.perturb.targets.derived_targets`). Printed per call, wall and CPU, and their ratio; the goal of
issue 15 is a sweep costing at most 3x a plain run per vendor call.

With ``--vendor`` it also makes both runs for real (``platebench run`` without load scenarios or privacy
checks) and prints the wall time per vendor call of each, so the harness's share can be seen next to an
engine's. Not a test: nothing is asserted. Write down ``uptime`` next to the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

from harness.corpus.synth import default_corpus_path
from harness.corpus.validate import load_corpus
from harness.perturb.sweep import parse_sweeps
from harness.perturb.targets import derived_targets, sweep_jobs
from harness.run_options import RunRequest
from harness.runner.run import execute, prepare
from harness.scorecard.provenance import machine_info

DEFAULT_SWEEPS = ("blur=3,7,11", "night=0.5,0.25,0.1", "distance=20,12,8", "jpeg=50,20,10", "rotate=5,10,20")
"""5 perturbations x 3 levels, as in the issue's acceptance."""


def _timed(work) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    calls = work()
    return time.perf_counter() - wall, time.process_time() - cpu, calls


def harness_side(corpus_path: Path, limit: int, sweeps: tuple[str, ...]) -> None:
    samples = load_corpus(corpus_path).samples[:limit]
    parsed = parse_sweeps(sweeps)

    def plain() -> int:
        for sample in samples:
            hashlib.sha256(sample.load_image().data).hexdigest()
        return len(samples)

    def sweep() -> int:
        calls = plain()
        for target in derived_targets(((s, sweep_jobs(s, parsed)) for s in samples), 0):
            target.load_image()
            calls += 1
        return calls

    plain()  # warm the file cache: both timings read warm files
    p_wall, p_cpu, p_calls = _timed(plain)
    s_wall, s_cpu, s_calls = _timed(sweep)
    print(f"harness side, {len(samples)} images, sweeps {' '.join(sweeps)}")
    print(f"  plain: {p_calls} calls, {1000 * p_wall / p_calls:.2f} ms wall, {1000 * p_cpu / p_calls:.2f} ms CPU per call")
    print(f"  sweep: {s_calls} calls, {1000 * s_wall / s_calls:.2f} ms wall, {1000 * s_cpu / s_calls:.2f} ms CPU per call")
    print(f"  ratio per call: {s_wall / s_calls / (p_wall / p_calls):.1f}x wall, {s_cpu / s_calls / (p_cpu / p_calls):.1f}x CPU")


def end_to_end(vendor: str, corpus_path: Path, limit: int, sweeps: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for label, perturb in (("plain", ()), ("sweep", sweeps)):
            request = RunRequest(vendor=vendor, corpus_path=corpus_path, limit=limit, perturb=perturb, load=False,
                                 privacy=False, scorecard_dir=Path(folder))
            prepared = prepare(request)
            calls = len(prepared.samples) + prepared.derived_total()
            wall = time.perf_counter()
            execute(prepared)
            wall = time.perf_counter() - wall
            print(f"  {vendor} {label}: {calls} calls, {1000 * wall / calls:.1f} ms wall per call (whole run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--perturb", action="append", default=None)
    parser.add_argument("--vendor")
    args = parser.parse_args()
    corpus = args.corpus or default_corpus_path()
    sweeps = tuple(args.perturb or DEFAULT_SWEEPS)
    print(f"machine: {machine_info().describe()}; load average {os.getloadavg()[0]:.2f}")
    harness_side(corpus, args.limit, sweeps)
    if args.vendor:
        end_to_end(args.vendor, corpus, args.limit, sweeps)


if __name__ == "__main__":
    main()
