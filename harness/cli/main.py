"""Entry point of the ``platebench`` command.

Every command is registered here, in :data:`COMMANDS`: each command module exposes
``register(subparsers)``, which adds its sub-command(s) and sets a handler returning the exit code.
User errors (:data:`harness.errors.USER_ERRORS`) are turned into a one-paragraph message and exit
status 2 in one place, :func:`main`; handlers raise them and never print tracebacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from harness import __version__
from harness.cli import (
    adapter_cmd,
    audit_cmd,
    bench_cmd,
    campaign_cmd,
    compare_cmd,
    corpus_cmd,
    keygen_cmd,
    load_cmd,
    oversight_cmd,
    perturb_cmd,
    report_cmd,
    rescore_cmd,
    run_cmd,
    serve_cmd,
    sign_cmd,
    verify_cmd,
)
from harness.errors import USAGE_EXIT, USER_ERRORS, UserError

__all__ = ["COMMANDS", "UserError", "build_parser", "main"]

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

COMMANDS: tuple[tuple[str, Register], ...] = (
    ("corpus", corpus_cmd.register),
    ("run", run_cmd.register),
    ("serve-reference", serve_cmd.register),
    ("audit", audit_cmd.register),
    ("load", load_cmd.register),
    ("adapter", adapter_cmd.register),
    ("rescore", rescore_cmd.register),
    ("verify", verify_cmd.register),
    ("sign", sign_cmd.register),
    ("keygen", keygen_cmd.register),
    ("report", report_cmd.register),
    ("compare", compare_cmd.register),
    ("campaign", campaign_cmd.register),
    ("bench", bench_cmd.register),
    ("oversight", oversight_cmd.register),
    ("perturb", perturb_cmd.register),
)
"""(the commands it adds, its ``register``), in the order ``platebench --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="platebench",
        description="Score licence-plate-reader vendors the same way: accuracy, latency, privacy controls.",
    )
    parser.add_argument("--version", action="version", version=f"platebench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _commands, register in COMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``platebench``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return USAGE_EXIT
    from harness.redact import scrub, scrubbed_output

    with scrubbed_output():  # every printed line: no known secret value
        try:
            return int(args.handler(args))
        except USER_ERRORS as exc:
            print(f"platebench: error: {scrub(str(exc))}", file=sys.stderr)  # nor a credential pattern
            return USAGE_EXIT
        except KeyboardInterrupt:
            print("platebench: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
