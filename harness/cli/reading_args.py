"""Arguments shared by the commands that read scorecards: trusted keys and the corpus to redact."""

from __future__ import annotations

import argparse
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from harness.errors import UserError


def add_public_key(parser: argparse.ArgumentParser, *, purpose: str) -> None:
    """``--public-key PUB`` (repeatable): the keys a signature must be made with to read as verified."""
    parser.add_argument(
        "--public-key",
        type=Path,
        action="append",
        default=[],
        metavar="PUB",
        help=f"the city's public key (from platebench keygen) or a trusted-keys file of several; {purpose}. "
        "Without it a signature reads 'signature NOT verified'. Repeatable",
    )


def add_corpus(parser: argparse.ArgumentParser) -> None:
    """``--corpus PATH``: plate strings to redact from every vendor-provided string."""
    parser.add_argument(
        "--corpus", type=Path, metavar="PATH", help="corpus whose plate strings are redacted from every vendor string"
    )


def trusted_keys(paths: list[Path]) -> list[Ed25519PublicKey]:
    """Every key in the given trusted-keys files; a bad file is a user error."""
    from harness.scorecard.signing import SigningKeyError, load_trusted_keys

    keys: list[Ed25519PublicKey] = []
    for path in paths:
        try:
            keys.extend(load_trusted_keys(path))
        except SigningKeyError as exc:
            raise UserError(str(exc)) from None
    return keys


def corpus_plates(corpus: Path | None) -> tuple[str, ...]:
    """The plate strings of ``corpus`` (none without one)."""
    if corpus is None:
        return ()
    from harness.corpus.validate import load_corpus

    return tuple(p.text for s in load_corpus(corpus).samples for p in s.plates)


def read_or_fail(path: Path, trusted: list[Ed25519PublicKey]):
    """The verified scorecard at ``path``; a scorecard that fails verification is a user error."""
    from harness.scorecard.reading import ScorecardError, read_scorecard

    try:
        return read_scorecard(path, trusted)
    except ScorecardError as exc:
        raise UserError(str(exc)) from None
