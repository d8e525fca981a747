"""``platebench perturb list`` (the operators and their levels) and ``platebench perturb verify RUN_DIR`` (make
every perturbed image of a run again from its recipe and compare, bit for bit)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``platebench perturb ...``."""
    perturb = subparsers.add_parser("perturb", help="perturbation operators, and checking a run's perturbed images")
    commands = perturb.add_subparsers(dest="perturb_command", metavar="SUBCOMMAND")
    perturb.set_defaults(handler=lambda _args: perturb.print_help() or 2)
    listing = commands.add_parser("list", help="every operator, what its level means, its unit and range")
    listing.set_defaults(handler=_list)
    verify = commands.add_parser("verify", help="make every perturbed image of a run again and compare sha256")
    verify.add_argument("run_dir", type=Path, help="the run's folder (holding journal.jsonl)")
    verify.add_argument("--corpus", type=Path, help="the corpus (default: the run's)")
    verify.set_defaults(handler=_verify)


def _list(_args: argparse.Namespace) -> int:
    from harness.perturb.registry import OPERATORS

    for spec in OPERATORS.values():
        examples = ",".join(f"{v:g}" for v in spec.examples)
        print(f"{spec.name:12} {spec.unit} ({spec.low:g} to {spec.high:g}, harsher when "
              f"{'higher' if spec.harsher_when_higher else 'lower'}): {spec.level_meaning}; e.g. {spec.name}={examples}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from harness.perturb.audit import verify_recipes
    from harness.runner.journal import JOURNAL_FILE, JournalError, read_journal
    from harness.runner.run import load_corpus_checked

    try:
        contents = read_journal(args.run_dir / JOURNAL_FILE)
    except JournalError as exc:
        raise UserError(f"cannot verify {args.run_dir}: {exc}") from None
    corpus = load_corpus_checked(args.corpus or Path(contents.header["corpus"]["path"]))
    result = verify_recipes(contents.derived, corpus)
    for call_id in result.mismatched:
        print(f"differs: {call_id}", file=sys.stderr)
    print(f"{result.checked - len(result.mismatched)} of {result.checked} perturbed images made again bit for bit")
    return 1 if result.mismatched else 0
