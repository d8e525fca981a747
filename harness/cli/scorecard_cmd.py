"""Scorecard commands: ``platebench verify`` and ``platebench rescore`` (more register here later)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.scorecard.integrity import resolve_scorecard_path, verify_path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``verify`` and ``rescore``."""
    verify = subparsers.add_parser(
        "verify",
        help="check a scorecard's integrity hash (and signature, if any)",
        description="Recompute the scorecard's integrity hash over its canonical form. Exit 0 and OK when "
        "intact; exit 1 naming the reason otherwise.",
    )
    verify.add_argument("path", type=Path, metavar="PATH", help="scorecard.json or a run folder")
    verify.set_defaults(handler=verify_command)

    rescore = subparsers.add_parser(
        "rescore",
        help="rebuild a run's scorecard from its journal, without calling the vendor",
        description="Re-score a finished run from RUN_DIR/journal.jsonl and the corpus (checked against the "
        "run's manifest sha256); rewrites scorecard.json and scorecard.md.",
    )
    rescore.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    rescore.add_argument("--corpus", type=Path, metavar="PATH", help="Default: the corpus path the run recorded")
    rescore.add_argument("--rubric", type=Path, metavar="PATH", help="Default: the rubric path the run recorded")
    rescore.set_defaults(handler=rescore_command)


def verify_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench verify``."""
    problems = verify_path(args.path)
    target = resolve_scorecard_path(args.path)
    if problems:
        for problem in problems:
            print(f"FAILED: {target}: {problem}")
        return 1
    print(f"OK: {target}")
    return 0


def rescore_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench rescore``."""
    from harness.cli.run_cmd import print_summary
    from harness.runner.run import rescore

    print_summary(rescore(args.run_dir, corpus_path=args.corpus, rubric_path=args.rubric))
    return 0
