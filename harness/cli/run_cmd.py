"""``platebench run``: score one vendor on one corpus and write its scorecard (the main job)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness.run_options import add_to_argparse, request_from

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
    add_to_argparse(parser)
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench run``."""
    from harness.runner.run import execute, prepare  # the metrics stack: not at CLI start-up

    request = request_from(vars(args), Path.cwd())
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
    return 1 if request.strict and failed else 0


def print_summary(result: RunResult) -> None:
    """The run's summary (:func:`harness.runner.summary.summary_lines`): warnings on stderr, the rest on stdout,
    the scorecard's path last (scripts read it)."""
    from harness.runner.summary import summary_lines

    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for line in summary_lines(result):
        print(line)
    print(result.scorecard_path)
