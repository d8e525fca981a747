"""``platebench load``: latency and throughput of one vendor under MLPerf LoadGen-style scenarios."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.calls.pool import CallPool, PoolStartError
from harness.calls.single import ImageTarget
from harness.errors import UserError
from harness.load import SCENARIOS
from harness.load.plan import LoadPlan, run_load
from harness.load.scenarios import LoadResult
from harness.transport import RetryPolicy, TransportConfig
from harness.vendors_config import default_vendors_file, resolve_vendor
from vendor_adapters.base import Image


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``platebench load``."""
    p = subparsers.add_parser(
        "load",
        help="measure a vendor's latency and throughput under load (single-stream, server, offline)",
        description="Run MLPerf LoadGen-style load scenarios against one vendor. Images cycle over the "
        "corpus; load runs measure the service, not accuracy. See docs/load.md.",
    )
    p.add_argument("--vendor", required=True, help="vendor name (vendors.toml entry or adapter name)")
    p.add_argument("--vendors-config", type=Path, help="vendors.toml (default: ./vendors.toml if present)")
    p.add_argument("--corpus", help="corpus whose images are sent (default: one synthetic 640x480 JPEG)")
    p.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable; default single-stream")
    p.add_argument("--target-qps", type=float, help="server scenario: Poisson arrival rate")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--duration", type=float, help="seconds per scenario (default 10)")
    stop.add_argument("--queries", type=int, help="queries per scenario")
    p.add_argument("--concurrency", type=int, default=8, help="offline scenario concurrency (default 8)")
    p.add_argument("--latency-bound-ms", type=float, help="latency bound for the stated percentile")
    p.add_argument("--percentile", type=float, default=99.0, help="percentile the bound is about (default 99)")
    p.add_argument("--search", action="store_true", help="server: bisect for the highest rate meeting the bound")
    p.add_argument("--seed", type=int, default=0, help="arrival-time seed, recorded (default 0)")
    p.add_argument("--max-in-flight", type=int, default=10_000, help="server: safety cap on queries in flight")
    p.add_argument("--connect-timeout", type=float, help="seconds (default: vendors.toml connect_timeout, else 5)")
    p.add_argument("--read-timeout", type=float,
                   help="seconds between reads (default: vendors.toml read_timeout, else 30)")
    p.add_argument("--total-timeout", type=float,
                   help="seconds per call, body included (default: vendors.toml total_timeout, else 60)")
    p.add_argument("--retries", type=int, default=0, help="extra attempts per query (default 0: measure as is)")
    p.add_argument("--out", type=Path, help="write the results as JSON to this file")
    p.set_defaults(handler=_load)


def _images(corpus_path: str | None) -> tuple[list[Image], str]:
    if corpus_path is None:
        import cv2
        import numpy as np

        ok, data = cv2.imencode(".jpg", np.full((480, 640, 3), 128, dtype=np.uint8))
        assert ok
        return [Image(data.tobytes(), name="synthetic.jpg")], "synthetic 640x480 JPEG"
    from harness.corpus.model import CorpusError
    from harness.corpus.validate import load_corpus

    try:
        corpus = load_corpus(corpus_path)
    except CorpusError as exc:
        raise UserError(f"corpus {corpus_path}: {exc}") from None
    if not len(corpus):
        raise UserError(f"corpus {corpus_path} has no samples")
    return [s.load_image() for s in corpus], f"{corpus.name} ({len(corpus)} images, sha256 {corpus.manifest_sha256[:12]})"


def _plan(args: argparse.Namespace, timeouts: Mapping[str, float]) -> LoadPlan:
    if args.retries < 0 or args.concurrency < 1 or args.max_in_flight < 1:
        raise UserError("--retries must be >= 0, --concurrency and --max-in-flight >= 1")
    if not 0 < args.percentile < 100:
        raise UserError("--percentile must be between 0 and 100")
    for name in ("connect_timeout", "read_timeout", "total_timeout", "duration", "target_qps"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UserError(f"--{name.replace('_', '-')} must be positive")
    try:
        return LoadPlan(
            scenarios=tuple(args.scenario or ["single-stream"]),
            target_qps=args.target_qps,
            duration_s=args.duration if args.duration or args.queries else 10.0,
            queries=args.queries,
            concurrency=args.concurrency,
            latency_bound_ms=args.latency_bound_ms,
            percentile=args.percentile / 100.0,
            seed=args.seed,
            search=args.search,
            max_in_flight=args.max_in_flight,
            transport=TransportConfig(**{**timeouts, **{
                name: value for name, value in (("connect_timeout_s", args.connect_timeout),
                                                ("read_timeout_s", args.read_timeout),
                                                ("total_timeout_s", args.total_timeout)) if value is not None}}),
            retry=RetryPolicy(max_attempts=1 + args.retries),
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(result: LoadResult, vendor: str) -> Table:
    table = Table(title=f"{vendor}: {result.scenario}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    if result.target_qps is not None:
        table.add_row("target rate (q/s)", _fmt(result.target_qps, 1))
    if result.concurrency is not None:
        table.add_row("concurrency", str(result.concurrency))
    table.add_row("achieved rate (q/s)", _fmt(result.achieved_qps, 1))
    table.add_row("queries", str(result.n))
    table.add_row("duration (s)", _fmt(result.duration_s))
    for key in ("p50", "p90", "p95", "p99", "max"):
        table.add_row(f"latency {key} (ms)", _fmt(result.latency_ms.get(key)))
    errors = ", ".join(f"{k}: {v}" for k, v in result.errors.items()) or "none"
    table.add_row("errors", errors)
    table.add_row("availability", f"{(result.n - sum(result.errors.values())) / result.n:.2%}" if result.n else "-")
    if result.latency_bound_ms is not None:
        table.add_row(f"p{result.details['percentile'] * 100:g} <= {result.latency_bound_ms:g} ms",
                      "met" if result.bound_met else "NOT met")
    if "seed" in result.details:
        table.add_row("seed", str(result.details["seed"]))
        table.add_row("cap hits", str(result.details["cap_hits"]))
    return table


def _check_out(path: Path) -> None:
    """Fail before the run, not after it, when the results cannot be written."""

    folder = path.resolve().parent
    if not folder.is_dir():
        raise UserError(f"--out {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UserError(f"--out {path}: folder {folder} is not writable")


def _load(args: argparse.Namespace) -> int:
    spec = resolve_vendor(args.vendor, args.vendors_config or default_vendors_file())
    plan = _plan(args, spec.transport)
    if args.out:
        _check_out(args.out)
    images, described = _images(args.corpus)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"load: vendor {spec.name} ({spec.adapter}), images: {described}", markup=False)
    adapter = spec.create()  # vendors.toml entry, registered name or module:Class, as for platebench run
    workers = max(1, min(plan.concurrency, os.cpu_count() or 1))
    try:
        with CallPool(spec.factory(), adapter, workers) as pool:
            results = run_load(plan, adapter, [ImageTarget(image) for image in images], pool)
    except PoolStartError as exc:
        raise UserError(str(exc)) from None
    finally:
        adapter.close()
    for result in results:
        console.print(_table(result, spec.name))
        if "search" in result.details:
            console.print(f"highest rate meeting the bound: {result.details['search']['best_qps']}", markup=False)
        for warning in result.warnings:
            console.print(f"warning: {warning}", markup=False, style="yellow")
    if args.out:
        payload = {"vendor": spec.name, "adapter": spec.adapter, "images": described,
                   "results": [r.to_json() for r in results]}
        try:
            args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        console.print(f"wrote {args.out}", markup=False)
    return 0
