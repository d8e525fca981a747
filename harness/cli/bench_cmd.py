"""``platebench bench``: the camera bench (plan, display, collect, simulate, import, score). See docs/bench.md."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``platebench bench``."""
    bench = subparsers.add_parser(
        "bench",
        help="score roadside cameras: show them known plates, collect what they report",
        description="The camera bench: a plan of passes shown to cameras (a display rig, test vehicles, or a "
        "virtual camera), a collector for what they push, and roadside figures. See docs/bench.md.",
    )
    commands = bench.add_subparsers(dest="bench_command", metavar="STEP")

    p = commands.add_parser("plan", help="write a bench plan (TOML)")
    p.add_argument("--corpus", help="corpus whose samples are shown (one plate each)")
    p.add_argument("--plate", action="append", default=[], help="a test vehicle's plate (repeatable; instead of --corpus)")
    p.add_argument("--cameras", type=int, default=1, help="number of cameras (default 1)")
    p.add_argument("--passes", type=int, required=True, help="number of passes")
    p.add_argument("--interval", type=float, required=True, help="seconds between passes")
    p.add_argument("--vendor", default="rfp-evaluation-api", help="the cameras' vendor (default rfp-evaluation-api)")
    p.add_argument("--format", dest="push_format", default="rfp-evaluation", help="push format (default rfp-evaluation)")
    p.add_argument("--frame-rate", type=float, help="display / virtual camera frame rate (default 25)")
    p.add_argument("--crossing", type=float, help="seconds a vehicle takes to cross the virtual camera's frame")
    p.add_argument("--start-delay", type=float, help="seconds before the first pass (default 5)")
    p.add_argument("--window", type=float, nargs=2, metavar=("BEFORE", "AFTER"), help="matching window (default 1 10)")
    p.add_argument("--out", type=Path, required=True, help="plan file to write")
    p.set_defaults(handler=_plan)

    p = commands.add_parser("display", help="serve the display rig page for a real camera")
    _run_args(p)
    p.add_argument("--port", type=int, default=8765, help="port of the display page (default 8765)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.set_defaults(handler=_display)

    p = commands.add_parser("collect", help="receive the cameras' pushes (and journal them) until stopped")
    _run_args(p)
    _collector_args(p)
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: the plan's duration)")
    p.set_defaults(handler=_collect)

    p = commands.add_parser("simulate", help="run the plan with virtual cameras and simulated edge devices")
    _run_args(p)
    p.add_argument("--frame-size", default="320x180", help="virtual camera frame size WxH (default 320x180)")
    p.add_argument("--drop-every", type=int, default=0, help="fault: drop every k-th vehicle")
    p.add_argument("--delay", type=float, default=0.0, help="fault: seconds added before each push")
    p.add_argument("--duplicate-every", type=int, default=0, help="fault: send every j-th vehicle twice")
    p.add_argument("--clock-offset", type=float, default=0.0, help="fault: seconds added to the device clock")
    p.add_argument("--phantom-every", type=int, default=0, help="fault: a phantom read after every m-th vehicle")
    p.add_argument("--detector", action="store_true",
                   help="read plates with the reference recognizer's whole pipeline (slow) instead of its line "
                   "reader on the plate the device locates")
    p.add_argument("--readers", type=int, default=2, help="recognizer threads of the edge device (default 2)")
    p.set_defaults(handler=_simulate)

    p = commands.add_parser("import", help="import reads exported from a vendor's portal (CSV)")
    p.add_argument("dir", type=Path, help="the bench folder (holds bench.jsonl)")
    p.add_argument("--csv", type=Path, required=True, help="the exported CSV file")
    p.add_argument("--mapping", type=Path, required=True, help="column mapping (TOML; see docs/bench.md)")
    p.set_defaults(handler=_import)

    p = commands.add_parser("poll", help="look up, in a vendor's cloud, the reads of every plate shown to its cameras")
    p.add_argument("dir", type=Path, help="the bench folder (holds bench.jsonl)")
    p.add_argument("--vendor", required=True, help="the vendor (vendors.toml entry or adapter name) whose cameras "
                   "in the plan (camera vendor = this name) are looked up")
    p.add_argument("--vendors-config", type=Path, help="vendors.toml (default: the one in the current folder, if any)")
    p.add_argument("--reason", required=True, help="the stated reason of every lookup (the vendor audits it)")
    p.add_argument("--case-number", required=True, help="the case number of every lookup")
    p.set_defaults(handler=_poll)

    p = commands.add_parser("score", help="match and measure a bench journal; writes roadside.json")
    p.add_argument("dir", type=Path, help="the bench folder (holds bench.jsonl)")
    p.set_defaults(handler=_score)
    bench.set_defaults(handler=lambda args: (bench.print_help(), 2)[1])


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", type=Path, help="the bench plan (TOML)")
    p.add_argument("--out", type=Path, required=True, help="bench folder: journal and results (resumed if it exists)")
    p.add_argument("--corpus", help="the corpus of the plan's sample passes (default: the plan's [bench] corpus)")


def _collector_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8780, help="collector port (default 8780)")
    p.add_argument(
        "--auth", action="append", default=[], metavar="FORMAT=SPEC",
        help="authentication of a route, e.g. platerecognizer-stream=header:Authorization:PR_HOOK "
        "or verkada-lpr=verkada-signature:VERKADA_SECRET (secrets from environment variables)",
    )
    p.add_argument("--genetec-date-order", choices=("mdy", "dmy"), default="mdy",
                   help="Genetec flat JSON date order (default mdy, as Genetec's sample)")


def _load_plan(path: Path) -> Any:
    from harness.bench.plan import PlanError, load_plan

    try:
        return load_plan(path)
    except PlanError as exc:
        raise UserError(str(exc)) from None


def _samples(corpus_path: str | None) -> dict[str, Any]:
    if not corpus_path:
        return {}
    from harness.corpus.model import CorpusError
    from harness.corpus.validate import load_corpus

    try:
        return load_corpus(corpus_path).by_id()
    except CorpusError as exc:
        raise UserError(f"corpus {corpus_path}: {exc}") from None


def _open_journal(args: argparse.Namespace) -> Any:
    from harness.bench.journal import BenchJournal
    from harness.bench.plan import PlanError, resolve_truth
    from harness.durable import JournalError

    plan = _load_plan(args.plan)
    samples = _samples(args.corpus or plan.settings.corpus)
    try:
        truth, tags = resolve_truth(plan, samples)
        return plan, samples, BenchJournal.open(args.out, plan, truth, tags)
    except (PlanError, JournalError) as exc:
        raise UserError(str(exc)) from None


def _plan(args: argparse.Namespace) -> int:
    from harness.bench.formats import FORMATS
    from harness.bench.plan import BenchSettings, Camera, PlanError, make_plan, write_plan

    if args.passes < 1 or args.interval <= 0:
        raise UserError("--passes must be >= 1 and --interval > 0")
    if args.push_format not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(sorted(FORMATS))}")
    if bool(args.corpus) == bool(args.plate):
        raise UserError("give --corpus or --plate (one or more), not both")
    if args.cameras < 1:
        raise UserError("--cameras must be >= 1")
    samples: list[str] = []
    if args.corpus:
        samples = [s.id for s in _samples(args.corpus).values() if len(s.plates) == 1]
        if not samples:
            raise UserError(f"corpus {args.corpus} has no sample with exactly one plate")
    values: dict[str, Any] = {"corpus": str(args.corpus) if args.corpus else None}
    for key, name in (("frame_rate", "frame_rate"), ("crossing_s", "crossing"), ("start_delay_s", "start_delay")):
        if getattr(args, name) is not None:
            values[key] = getattr(args, name)
    if args.window:
        values["window_before_s"], values["window_after_s"] = args.window
    cameras = [Camera(f"cam-{i + 1}", args.vendor, "push", args.push_format) for i in range(args.cameras)]
    try:
        plan = make_plan(cameras=cameras, passes=args.passes, interval_s=args.interval, samples=samples,
                         plates=args.plate, settings=BenchSettings(**values))
        write_plan(plan, args.out)
    except PlanError as exc:
        raise UserError(str(exc)) from None
    print(f"wrote {args.out}: {len(plan.cameras)} camera(s), {len(plan.passes)} passes over {plan.duration_s:.0f} s")
    return 0


def _collector_config(args: argparse.Namespace, env: Mapping[str, str]) -> Any:
    from harness.bench.auth import CollectorAuth
    from harness.bench.collector import CollectorConfig
    from harness.bench.formats import FORMATS

    auth = {}
    for item in args.auth:
        route, _, spec = item.partition("=")
        if route not in FORMATS or not spec:
            raise UserError(f"--auth {item.split('=')[0]}=...: give FORMAT=SPEC with FORMAT one of {', '.join(sorted(FORMATS))}")
        try:
            auth[route] = CollectorAuth.from_env(spec, env)
        except ValueError as exc:
            raise UserError(f"--auth for {route}: {exc}") from None
        if auth[route].scheme not in FORMATS[route].auth:
            raise UserError(f"{route} documents these auth schemes: {', '.join(FORMATS[route].auth)}")
    return CollectorConfig(auth, {"genetec": {"date_order": args.genetec_date_order}})


def _collect(args: argparse.Namespace) -> int:
    from harness.bench.collector import running_collector

    config = _collector_config(args, os.environ)
    plan, _, journal = _open_journal(args)
    duration = args.duration if args.duration is not None else plan.duration_s
    try:
        with running_collector(journal, config, args.host, args.port) as (collector, server):
            print(f"collector at {server.base_url}/events/<format> for {duration:.0f} s (Ctrl-C stops it)")
            for camera in plan.cameras:
                if camera.delivery == "push":
                    print(f"  {camera.id} ({camera.vendor}): POST {server.base_url}/events/{camera.format}")
            deadline = time.monotonic() + duration
            while time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            print(f"received {collector.events} event(s)")
    finally:
        journal.close()
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from harness.bench.collector import running_collector
    from harness.bench.edge import Faults, Sink, reference_recognize
    from harness.bench.simulate import run_simulation

    try:
        width, height = (int(v) for v in args.frame_size.lower().split("x"))
    except ValueError:
        raise UserError("--frame-size must be WIDTHxHEIGHT, e.g. 320x180") from None
    faults = Faults(args.drop_every, args.delay, args.duplicate_every, 1, args.clock_offset, args.phantom_every)
    plan, samples, journal = _open_journal(args)
    try:
        with running_collector(journal) as (_, server):
            sinks = {
                c.id: [Sink(f"{server.base_url}/events/{c.format}", str(c.format), c.device_id, faults=faults)]
                for c in plan.cameras if c.delivery == "push"
            }
            if not sinks:
                raise UserError("the plan has no push camera to simulate")
            reports = run_simulation(plan, [journal], sinks, reference_recognize(detect=args.detector), samples,
                                     (width, height), readers=args.readers)
    finally:
        journal.close()
    for report in reports:
        print(f"{report.camera}: {report.frames_read} frames, {report.vehicles} vehicles, {report.unread} unread, "
              f"{report.overloaded} not read (device overloaded), "
              f"pushes sent {report.pushes_sent}, failed {report.pushes_failed}")
    return _score(argparse.Namespace(dir=args.out))


def _import(args: argparse.Namespace) -> int:
    from harness.bench.export_import import ExportError, import_export
    from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
    from harness.durable import JournalError

    try:
        records = read_bench_journal(args.dir / BENCH_JOURNAL)
        journal = BenchJournal.open(args.dir, records.plan, records.truth, records.sample_tags)
    except JournalError as exc:
        raise UserError(str(exc)) from None
    try:
        count = import_export(journal, args.csv, args.mapping)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    finally:
        journal.close()
    print(f"imported {count} read(s) from {args.csv}")
    return 0


def _poll(args: argparse.Namespace) -> int:
    from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
    from harness.bench.pollers import poll
    from harness.durable import JournalError
    from harness.redact import scrub
    from harness.vendors_config import default_vendors_file, resolve_vendor
    from vendor_adapters.errors import VendorError

    try:
        records = read_bench_journal(args.dir / BENCH_JOURNAL)
    except JournalError as exc:
        raise UserError(str(exc)) from None
    cameras = {c.id for c in records.plan.cameras if c.vendor == args.vendor}
    if not cameras:
        named = sorted({c.vendor for c in records.plan.cameras})
        raise UserError(f"no camera of vendor {args.vendor!r} in the plan (its cameras' vendors: {', '.join(named)})")
    vendors_file = args.vendors_config if args.vendors_config is not None else default_vendors_file(Path.cwd())
    with resolve_vendor(args.vendor, vendors_file).create() as adapter:
        lookup = adapter.read_lookup()
        if lookup is None:
            raise UserError(f"vendor {args.vendor!r} offers no read lookup through its adapter "
                            f"({type(adapter).__name__}); collect its reads by push or export instead")
        journal = BenchJournal.open(args.dir, records.plan, records.truth, records.sample_tags)
        try:
            kept, rejected = poll(journal, lookup, cameras, records.truth, records.paints, args.reason, args.case_number,
                                  records.polled)
        except VendorError as exc:
            raise UserError(f"the {lookup.route} lookup failed ({exc.kind}): {scrub(exc.message)}; what was found "
                            "before is journaled, run the poll again to continue") from None
        finally:
            journal.close()
    print(f"polled {kept} read(s) through {lookup.route} for {len(cameras)} camera(s); {rejected} malformed read(s) rejected")
    return 0


def _score(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from harness.bench.journal import BENCH_JOURNAL, read_bench_journal
    from harness.bench.section import roadside_section
    from harness.durable import JournalError

    try:
        records = read_bench_journal(args.dir / BENCH_JOURNAL)
    except JournalError as exc:
        raise UserError(str(exc)) from None
    section = roadside_section(records)
    out = args.dir / "roadside.json"
    out.write_text(json.dumps(section, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"At the roadside: {section['passes_shown']} of {section['passes_planned']} passes shown")
    for column in ("camera", "route", "capture", "exact read", "dup/pass", "phantoms/h", "latency p50", "p95",
                   "clock offset", "NTP"):
        table.add_column(column)
    for route in section["routes"]:
        fmt = _formatter(route["figures"])
        table.add_row(route["camera"], route["route"], fmt("capture_rate", 100, "%"), fmt("exact_read_rate", 100, "%"),
                      fmt("duplicates_per_pass", digits=2), fmt("phantoms_per_hour"), fmt("latency_p50_s", 1000, " ms", 0),
                      fmt("latency_p95_s", 1000, " ms", 0), fmt("clock_offset_s", 1, " s", 2), route["ntp_check"] or "-")
    console = Console()
    console.print(table)
    for warning in records.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    print(f"wrote {out}")
    return 0


def _formatter(figures: Mapping[str, Any]) -> Any:
    def fmt(name: str, scale: float = 1.0, unit: str = "", digits: int = 1) -> str:
        value = figures[name]["value"]
        return "-" if value is None else f"{value * scale:.{digits}f}{unit}"

    return fmt


def _display(args: argparse.Namespace) -> int:
    from harness.bench.display import serve_display

    plan, samples, journal = _open_journal(args)
    try:
        serve_display(plan, journal, samples, args.host, args.port)
    finally:
        journal.close()
    return 0
