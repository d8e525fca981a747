"""``platebench run``: score one vendor on one corpus and write its scorecard (the main job)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness.load import SCENARIOS
from harness.options import non_negative_int, positive_float, positive_int
from harness.runner import DEFAULT_SCORECARD_DIR
from harness.vendors_config import default_vendors_file

if TYPE_CHECKING:
    from harness.runner.run import RunResult


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``run``."""
    parser = subparsers.add_parser(
        "run",
        help="score one vendor on one corpus and write its scorecard",
        description=(
            "Send every image of the corpus to the vendor, journal every call, score accuracy and latency "
            "against the rubric, and write scorecard.json, scorecard.md and journal.jsonl to "
            "SCORECARD_DIR/VENDOR/RUN_ID/. Exits 0 when the run completed, whatever the requirements say "
            "(use --strict to fail on unmet requirements). The last line printed is the scorecard's path."
        ),
    )
    parser.add_argument("--vendor", required=True, metavar="NAME", help="a vendors.toml entry or a built-in adapter, e.g. reference")
    parser.add_argument("--corpus", type=Path, metavar="PATH", help="corpus folder or manifest. Default: the synthetic corpus")
    parser.add_argument("--rubric", type=Path, metavar="PATH", help="rubric TOML. Default: the shipped default rubric")
    parser.add_argument("--limit", type=positive_int, metavar="N", help="only the first N samples")
    parser.add_argument("--resume", metavar="RUN_ID", help="continue an interrupted run; journaled samples are not sent again")
    parser.add_argument("--scorecard-dir", type=Path, default=DEFAULT_SCORECARD_DIR, metavar="DIR", help="Default: %(default)s")
    parser.add_argument("--concurrency", type=positive_int, metavar="N",
                        help="calls in flight (and the offline load scenario's concurrency). Default: from the adapter")
    parser.add_argument("--vendors-config", type=Path, metavar="PATH", help="Default: vendors.toml in the current folder, if any")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a requirement is not met")
    net = parser.add_argument_group("network vendors (recorded in the scorecard)")
    net.add_argument("--connect-timeout", type=positive_float, metavar="S",
                     help="seconds to open a connection. Default: vendors.toml connect_timeout, else 5")
    net.add_argument("--read-timeout", type=positive_float, metavar="S",
                     help="seconds of silence allowed between reads. Default: vendors.toml read_timeout, else 30")
    net.add_argument("--total-timeout", type=positive_float, metavar="S",
                     help="seconds per call, body included. Default: vendors.toml total_timeout, else 60")
    net.add_argument("--retries", type=non_negative_int, metavar="N",
                     help="send a failed call (transport, timeout, quota, 5xx) again up to N times; every attempt is "
                     "journaled, the last one counts. Default: 0 (measure what the vendor did)")
    load = parser.add_argument_group("load scenarios (after the accuracy pass; defaults from the rubric's [load] table)")
    load.add_argument("--scenario", dest="scenarios", action="append", choices=SCENARIOS,
                      help="repeatable. Default: the rubric's scenarios for this kind of vendor")
    load.add_argument("--no-load", dest="load", action="store_false", default=None, help="run no load scenario")
    load.add_argument("--target-qps", type=positive_float, metavar="QPS", help="server scenario: Poisson arrival rate")
    stop = load.add_mutually_exclusive_group()
    stop.add_argument("--duration", type=positive_float, metavar="S", help="seconds per scenario")
    stop.add_argument("--queries", type=positive_int, metavar="N", help="queries per scenario")
    load.add_argument("--latency-bound-ms", type=positive_float, metavar="MS",
                      help="latency bound for the rubric's percentile (MLPerf LoadGen early stopping decides if it held)")
    load.add_argument("--seed", type=non_negative_int, metavar="N", help="seed of the server scenario's arrival times (recorded)")
    privacy = parser.add_argument_group("privacy controls (checked after the accuracy pass)")
    privacy.add_argument(
        "--privacy", action=argparse.BooleanOptionalAction, default=None,
        help="check the privacy controls where the vendor can be tested: reference (the harness starts its server on "
        "loopback), evalapi (its sandbox, with token_env). Default: on",
    )
    privacy.add_argument(
        "--attestations", type=Path, metavar="FILE",
        help="vendor attestation file (TOML/JSON) for controls its API cannot demonstrate; ATTESTED is never a pass",
    )
    privacy.add_argument(
        "--reference-flaw", dest="reference_flaws", action="append", default=[], metavar="NAME",
        help="start the reference vendor's server with this deliberate flaw (repeatable; for demonstrations)",
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench run``."""
    from harness.runner.run import RunRequest, execute, prepare  # the metrics stack: not at CLI start-up

    request = RunRequest(
        vendor=args.vendor,
        corpus_path=args.corpus,
        rubric_path=args.rubric,
        limit=args.limit,
        resume=args.resume,
        scorecard_dir=args.scorecard_dir,
        concurrency=args.concurrency,
        vendors_file=args.vendors_config or default_vendors_file(),
        privacy=args.privacy,
        attestations=args.attestations,
        reference_flaws=tuple(args.reference_flaws),
        connect_timeout=args.connect_timeout,
        read_timeout=args.read_timeout,
        total_timeout=args.total_timeout,
        retries=args.retries,
        load=args.load,
        scenarios=tuple(args.scenarios) if args.scenarios else None,
        target_qps=args.target_qps,
        duration_s=args.duration,
        queries=args.queries,
        latency_bound_ms=args.latency_bound_ms,
        seed=args.seed,
    )
    prepared = prepare(request)
    print(f"run {prepared.header['run_id']}: {len(prepared.todo)} of {len(prepared.samples)} samples to send", file=sys.stderr)
    try:
        result = execute(prepared, progress_stream=sys.stderr)
    except KeyboardInterrupt:
        print(
            f"platebench: interrupted; every finished call is journaled. Continue with: platebench run "
            f"--vendor {prepared.vendor.name} --resume {prepared.header['run_id']}",
            file=sys.stderr,
        )
        raise
    print_summary(result)
    failed = [r for r in result.document["results"]["requirements"] if not r["passed"]]
    return 1 if args.strict and failed else 0


def print_summary(result: RunResult) -> None:
    """A few lines on stdout; the scorecard's path last."""
    from harness.report.markdown import scenario_line
    from harness.runner.privacy_pass import summary_line
    from harness.scorecard.model import LoadScenarioResult

    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    results = result.document["results"]
    overall = results["accuracy"]["overall"]
    exact = overall["exact_read_plate"]
    p95 = results["latency"]["accuracy_pass"]["client_ms"]["p95"]
    errors = results["accuracy"]["errors"]
    score = results["score"]
    failed = [r["id"] for r in results["requirements"] if not r["passed"]]
    value = "n/a" if exact["value"] is None else f"{100 * exact['value']:.1f}%"
    ci = "" if exact["ci_low"] is None else f" (95% CI {100 * exact['ci_low']:.1f}-{100 * exact['ci_high']:.1f}%)"
    print(f"samples: {errors['calls']}, failed calls: {errors['failed']}")
    print(f"exact plate reads: {value}{ci}, n={exact['n']}")
    print(f"latency p95 (accuracy pass): {'n/a' if p95 is None else f'{p95:.1f} ms'}")
    weighted = "n/a" if score["weighted"] is None else f"{100 * score['weighted']:.1f}%"
    print(
        f"requirements: {len(results['requirements']) - len(failed)}/{len(results['requirements'])} met"
        + (f" (not met: {', '.join(failed)})" if failed else "")
        + f"; weighted score {weighted}; {'eligible' if score['eligible'] else 'NOT eligible'}"
    )
    for scenario in results.get("load") or []:
        print(f"load {scenario_line(LoadScenarioResult.model_validate(scenario))}")
    privacy = results.get("privacy")
    if privacy is not None:
        print(f"privacy controls: {summary_line(privacy)} ({result.document['provenance']['privacy']['method']})")
    if result.evidence_dir is not None:
        print(f"evidence: {result.evidence_dir}")
    print(f"report: {result.markdown_path}")
    print(result.scorecard_path)
