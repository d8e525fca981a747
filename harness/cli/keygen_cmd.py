"""``platebench keygen``: a key pair for signing scorecards."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``keygen``."""
    keygen = subparsers.add_parser(
        "keygen",
        help="create an Ed25519 key pair for signing scorecards",
        description="Write PREFIX.key (private, PEM PKCS#8, mode 0600: keep it secret) and PREFIX.pub (public, PEM: "
        "publish it, with its fingerprint, so anyone can check the city's signatures).",
    )
    keygen.add_argument("--out", type=Path, required=True, metavar="PREFIX")
    keygen.set_defaults(handler=keygen_command)


def keygen_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench keygen``."""
    from harness.scorecard.signing import SigningKeyError, fingerprint, keygen, load_public_key

    try:
        key, pub = keygen(args.out)
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    print(f"private key (keep secret): {key}")
    print(f"public key (publish): {pub}  fingerprint {fingerprint(load_public_key(pub))}")
    return 0
