"""Entry point of the ``platebench`` command.

Each command group lives in its own module exposing ``register(subparsers)``; a command's handler
returns the process exit code. User mistakes and bad input end with a one-paragraph message and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from harness import __version__

COMMAND_MODULES: tuple[str, ...] = (
    "harness.cli.corpus_cmd",
    "harness.cli.run_cmd",
    "harness.cli.serve_cmd",
    "harness.cli.audit_cmd",
    "harness.cli.load_cmd",
    "harness.cli.adapter_cmd",
    "harness.cli.scorecard_cmd",
    "harness.cli.oversight_cmd",
)
"""Modules that add sub-commands; a module not yet present is skipped."""


class UserError(Exception):
    """A problem the user can fix; printed as a message, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available command group."""
    parser = argparse.ArgumentParser(
        prog="platebench",
        description="Score licence-plate-reader vendors the same way: accuracy, latency, privacy controls.",
    )
    parser.add_argument("--version", action="version", version=f"platebench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``platebench``; returns the exit code."""
    from vendor_adapters.errors import ConfigurationError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except (UserError, ConfigurationError) as exc:
        print(f"platebench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("platebench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
