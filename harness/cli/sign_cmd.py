"""``platebench sign``: sign a verified scorecard with the city's key."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.cli.reading_args import read_or_fail
from harness.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``sign``."""
    sign = subparsers.add_parser(
        "sign",
        help="sign a scorecard with the city's Ed25519 key",
        description="Verify the scorecard (hash, schema, any existing signature), then add integrity.signature "
        "(Ed25519 over the canonical form) and rewrite the file in place (or to --output).",
    )
    sign.add_argument("scorecard", type=Path, metavar="SCORECARD")
    sign.add_argument("--key", type=Path, required=True, metavar="KEY", help="private key from platebench keygen")
    sign.add_argument("--output", type=Path, metavar="PATH", help="Default: overwrite SCORECARD")
    sign.set_defaults(handler=sign_command)


def sign_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench sign``."""
    from harness.scorecard.signing import SigningKeyError, fingerprint, load_private_key, sign

    read = read_or_fail(args.scorecard, [])
    try:
        key = load_private_key(args.key)
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    target = args.output or read.path
    signed = sign(read.document, key)
    target.write_text(json.dumps(signed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"signed {target} with key {fingerprint(key.public_key())}")
    return 0
