"""Reading a scorecard for use: one parse, its integrity hash, its signature and its schema.

Every command that reads a scorecard (``verify``, ``sign``, ``report``, ``compare``) goes through
:func:`read_scorecard`, so each refuses the same things with the same words: an unreadable file,
duplicate JSON keys, numbers edited out of canonical form, a hash or signature that does not
match the content, and anything the published schema does not allow (a proportion above 1, a
negative count, an unknown member). It returns the typed :class:`Scorecard` the renderers take,
with who signed it as far as the reader's trusted keys tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from harness.errors import UserError
from harness.scorecard.integrity import load_document, resolve_scorecard_path
from harness.scorecard.model import Scorecard
from harness.scorecard.signing import SignatureStatus, check

SHOWN_SCHEMA_ERRORS = 10


class ScorecardError(UserError, ValueError):
    """A scorecard that cannot be used; ``problems`` lists every reason, the message names the file."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path} failed verification:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class ReadScorecard:
    """A verified, schema-valid scorecard."""

    path: Path
    card: Scorecard
    signature: SignatureStatus
    document: dict  # type: ignore[type-arg]
    """The JSON document as read (what the hash and signature cover)."""
    notes: tuple[str, ...] = ()


def schema_problems(doc: dict) -> list[str]:  # type: ignore[type-arg]
    """What the published schema does not allow in ``doc``, one line per violation (empty: valid)."""
    try:
        Scorecard.model_validate(doc)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        lines = [
            f"schema: {'.'.join(str(part) for part in e['loc']) or '(top level)'}: {e['msg']}"
            for e in errors[:SHOWN_SCHEMA_ERRORS]
        ]
        if len(errors) > SHOWN_SCHEMA_ERRORS:
            lines.append(f"schema: ... and {len(errors) - SHOWN_SCHEMA_ERRORS} more violation(s)")
        return lines
    return []


def read_scorecard(path: Path, trusted: Sequence[Ed25519PublicKey] = ()) -> ReadScorecard:
    """The scorecard at ``path`` (a file or a run folder), checked; raises :class:`ScorecardError`."""
    target = resolve_scorecard_path(path)
    doc, problems = load_document(path)
    if doc is None:
        raise ScorecardError(target, problems)
    verdict = check(doc, trusted)
    problems = [*verdict.problems, *schema_problems(doc)]
    if problems:
        raise ScorecardError(target, problems)
    return ReadScorecard(target, Scorecard.model_validate(doc), verdict.status, doc, tuple(verdict.notes))


def scorecard_problems(path: Path) -> list[str]:
    """Every reason the scorecard at ``path`` cannot be used (empty: it can)."""
    try:
        read_scorecard(path)
    except ScorecardError as exc:
        return exc.problems
    return []
