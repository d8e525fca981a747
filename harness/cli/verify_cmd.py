"""``platebench verify``: a scorecard's integrity hash, signature and schema."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli.reading_args import add_public_key, trusted_keys


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``verify``."""
    verify = subparsers.add_parser(
        "verify",
        help="check a scorecard's integrity hash, signature and schema",
        description="Read the scorecard (refusing duplicate JSON keys and edited numbers), recompute its integrity "
        "hash over its canonical form, check it against the published schema and, when it is signed, check the "
        "Ed25519 signature; with --public-key the signature must be present and made with a trusted key. Exit 0 "
        "and OK when intact; exit 1 naming each reason otherwise.",
    )
    verify.add_argument("path", type=Path, metavar="PATH", help="scorecard.json or a run folder")
    add_public_key(verify, purpose="the signature must be present and made with one of them")
    verify.set_defaults(handler=verify_command)


def verify_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench verify``."""
    from harness.scorecard.integrity import resolve_scorecard_path
    from harness.scorecard.reading import ScorecardError, read_scorecard

    target = resolve_scorecard_path(args.path)
    trusted = trusted_keys(args.public_key)
    try:
        read = read_scorecard(args.path, trusted)
    except ScorecardError as exc:
        for problem in exc.problems:
            print(f"FAILED: {target}: {problem}")
        return 1
    problems = read.signature.trust_problems() if trusted else []
    for problem in problems:
        print(f"FAILED: {target}: {problem}")
    if problems:
        return 1
    print(f"OK: {target}; signature: {read.signature.text()}")
    return 0
