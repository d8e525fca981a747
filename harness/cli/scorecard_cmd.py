"""Scorecard commands: ``platebench verify`` and ``platebench rescore``; ``compare``, ``report``, ``keygen`` and
``sign`` are registered from :mod:`harness.cli.compare_cmd`."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``verify`` and ``rescore``."""
    verify = subparsers.add_parser(
        "verify",
        help="check a scorecard's integrity hash (and signature, if any)",
        description="Recompute the scorecard's integrity hash over its canonical form and, when it is signed, "
        "check the Ed25519 signature (against --public-key when given). Exit 0 and OK when intact; exit 1 naming "
        "each reason otherwise (hash mismatch, signature invalid, wrong key, missing signature).",
    )
    verify.add_argument("path", type=Path, metavar="PATH", help="scorecard.json or a run folder")
    verify.add_argument(
        "--public-key", type=Path, metavar="PUB",
        help="the signer's trusted public key (from platebench keygen): the signature must be present and made with it",
    )
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

    from harness.cli import compare_cmd

    compare_cmd.register(subparsers)


def verify_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench verify`` (hash and signature checks live in ``compare_cmd.verify_signed``)."""
    from harness.cli.compare_cmd import verify_signed

    return verify_signed(args.path, args.public_key)


def rescore_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench rescore``."""
    from harness.cli.run_cmd import print_summary
    from harness.runner.run import rescore

    print_summary(rescore(args.run_dir, corpus_path=args.corpus, rubric_path=args.rubric))
    return 0
