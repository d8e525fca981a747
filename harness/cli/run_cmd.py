"""``platebench run``: score one vendor on one corpus and write its scorecard (the main job)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.runner.privacy_pass import summary_line
from harness.runner.run import DEFAULT_SCORECARD_DIR, RunRequest, RunResult, execute, prepare
from harness.vendors_config import default_vendors_file


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


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
    parser.add_argument("--limit", type=_positive, metavar="N", help="only the first N samples")
    parser.add_argument("--resume", metavar="RUN_ID", help="continue an interrupted run; journaled samples are not sent again")
    parser.add_argument("--scorecard-dir", type=Path, default=DEFAULT_SCORECARD_DIR, metavar="DIR", help="Default: %(default)s")
    parser.add_argument("--concurrency", type=_positive, metavar="N", help="calls in flight. Default: from the adapter")
    parser.add_argument("--vendors-config", type=Path, metavar="PATH", help="Default: vendors.toml in the current folder, if any")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a requirement is not met")
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
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    results = result.document["results"]
    overall = results["accuracy"]["overall"]
    exact = overall["exact_read_plate"]
    p95 = results["latency"]["single_stream"]["client_ms"]["p95"]
    errors = results["errors"]
    score = results["score"]
    failed = [r["id"] for r in results["requirements"] if not r["passed"]]
    value = "n/a" if exact["value"] is None else f"{100 * exact['value']:.1f}%"
    ci = "" if exact["ci_low"] is None else f" (95% CI {100 * exact['ci_low']:.1f}-{100 * exact['ci_high']:.1f}%)"
    print(f"samples: {errors['calls']}, failed calls: {errors['calls'] - errors['ok']}")
    print(f"exact plate reads: {value}{ci}, n={exact['n']}")
    print(f"latency p95: {'n/a' if p95 is None else f'{p95:.1f} ms'}")
    weighted = "n/a" if score["weighted"] is None else f"{100 * score['weighted']:.1f}%"
    print(
        f"requirements: {len(results['requirements']) - len(failed)}/{len(results['requirements'])} met"
        + (f" (not met: {', '.join(failed)})" if failed else "")
        + f"; weighted score {weighted}; {'eligible' if score['eligible'] else 'NOT eligible'}"
    )
    privacy = results.get("privacy")
    if privacy is not None:
        print(f"privacy controls: {summary_line(privacy)} ({result.document['provenance']['privacy']['method']})")
    if result.evidence_dir is not None:
        print(f"evidence: {result.evidence_dir}")
    print(f"report: {result.markdown_path}")
    print(result.scorecard_path)
