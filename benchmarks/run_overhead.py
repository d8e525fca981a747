"""How much does the harness cost on top of the engine? Full run vs a plain loop, same images, same parallelism.

    python benchmarks/run_overhead.py [--corpus PATH] [--vendor reference] [--workers 2] [--limit N] [--repeat 1]

The harness run is ``prepare`` + ``execute`` of :mod:`harness.runner.run`: corpus validation
(sha256 of every image), the process pool, per-call journal records fsync'd, scoring with
bootstrap intervals, and writing the scorecard. The plain loop is what a script would do without
platebench: a process pool of the same width whose workers build the same adapter once and call
``recognize`` on every image, results thrown away. Both start their own pool (engine load
included). Prints wall times, the overhead in percent, and the machine. Not a test: nothing is
asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from harness.corpus.validate import load_corpus
from harness.runner.run import RunRequest, execute, prepare
from harness.scorecard.provenance import machine_info
from harness.vendors_config import default_vendors_file, resolve_vendor
from vendor_adapters.base import Adapter, Image
from vendor_adapters.registry import AdapterFactory

US_SET = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "openalpr-benchmarks" / "us"


_adapter: Adapter | None = None


def _build(factory: AdapterFactory) -> None:
    global _adapter
    _adapter = factory()


def _recognize(path: str) -> int:
    assert _adapter is not None
    return len(_adapter.recognize(Image(Path(path).read_bytes(), name=Path(path).name)).reads)


def plain_loop(vendor: str, corpus_path: Path, workers: int, limit: int | None) -> float:
    """Wall seconds for a bare process pool calling the engine on every image."""
    spec = resolve_vendor(vendor, default_vendors_file())
    paths = [str(s.path) for s in load_corpus(corpus_path).samples[:limit]]
    start = time.perf_counter()
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_build,
        initargs=(spec.factory(),),
    ) as pool:
        list(pool.map(_recognize, paths))
    return time.perf_counter() - start


def harness_run(vendor: str, corpus_path: Path, workers: int, limit: int | None) -> tuple[float, float, int]:
    """Wall seconds for the whole run, the part spent in ``execute``, and the sample count."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        prepared = prepare(RunRequest(
            vendor=vendor, corpus_path=corpus_path, scorecard_dir=Path(out), concurrency=workers, limit=limit,
            vendors_file=default_vendors_file(), load=False,
        ))
        mid = time.perf_counter()
        execute(prepared, progress_stream=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
        end = time.perf_counter()
    return end - start, end - mid, len(prepared.samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=US_SET)
    parser.add_argument("--vendor", default="reference")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="only the first N images (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="alternate plain/harness this many times; best of each")
    args = parser.parse_args()
    plain, full, calls = [], [], []
    n = 0
    for _ in range(args.repeat):
        plain.append(plain_loop(args.vendor, args.corpus, args.workers, args.limit))
        total, executed, n = harness_run(args.vendor, args.corpus, args.workers, args.limit)
        full.append(total)
        calls.append(executed)
    best_plain, best_full, best_exec = min(plain), min(full), min(calls)
    print(f"machine: {machine_info().describe()} ({platform.machine()})")
    print(f"vendor {args.vendor}, corpus {args.corpus} ({n} images), {args.workers} workers, best of {args.repeat}")
    print(f"plain loop (pool + recognize):           {best_plain:8.2f} s")
    print(f"platebench run, whole (prepare+execute): {best_full:8.2f} s  overhead {100 * (best_full / best_plain - 1):+.1f}%")
    print(f"platebench run, execute only:            {best_exec:8.2f} s  overhead {100 * (best_exec / best_plain - 1):+.1f}%")


if __name__ == "__main__":
    main()
