"""``platebench rescore``: rebuild a run's scorecard from its journal."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``rescore``."""
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


def rescore_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench rescore``."""
    from harness.cli.run_cmd import print_summary
    from harness.runner.run import rescore

    print_summary(rescore(args.run_dir, corpus_path=args.corpus, rubric_path=args.rubric))
    return 0
