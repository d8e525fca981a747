"""Integrity of a scorecard: the canonical JSON form, its sha256, and checking both.

Canonical form ``platebench-c14n-1`` (close to RFC 8785 / JCS, stated exactly here so any
language can reproduce it):

1. take the scorecard JSON object and drop its top-level ``integrity`` member;
2. serialize with object keys sorted (by Unicode code point), no insignificant whitespace
   (separators ``,`` and ``:``), strings as UTF-8 without ``\\u`` escaping of non-ASCII
   characters (``ensure_ascii=False``), ``NaN``/``Infinity`` forbidden;
3. numbers as parsed: integers as integers, floats in Python's shortest round-trip ``repr``
   (``0.1``, ``1e-07``, ``1.0``). This is where it differs from JCS, which writes ECMAScript
   number strings (``1`` for ``1.0``, ``1e-7``); re-serializing with a JSON parser that keeps
   the int/float distinction (Python's ``json``) reproduces the same bytes.

``integrity.sha256`` is the hex sha256 of those bytes. An optional Ed25519 signature covers the
same bytes (see the signing module). :func:`verify` checks the hash only; reading a scorecard
for use (hash, signature, schema) is :func:`harness.scorecard.reading.read_scorecard`.

A file must also parse to exactly one meaning: :func:`load_document` refuses duplicate object
keys (a first-wins and a last-wins parser would read different values) and numbers that are not
written in their canonical form.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from harness.scorecard.model import CANONICAL_FORM, SCHEMA_VERSION

SCORECARD_FILE = "scorecard.json"



def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """The ``platebench-c14n-1`` bytes of ``doc`` (its ``integrity`` member left out)."""
    body = {k: v for k, v in doc.items() if k != "integrity"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def digest(doc: dict[str, Any]) -> str:
    """Hex sha256 of the canonical form."""
    return hashlib.sha256(canonical_bytes(doc)).hexdigest()


def seal(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` with ``integrity`` set to the canonical form's sha256 (any signature dropped)."""
    sealed = copy.deepcopy(doc)
    sealed["integrity"] = {"canonical": CANONICAL_FORM, "sha256": digest(doc)}
    return sealed


def verify(doc: dict[str, Any]) -> list[str]:
    """Problems with ``doc``'s integrity hash (empty list: intact). Never raises on malformed input.

    The signature, if any, is checked by :func:`harness.scorecard.signing.check`.
    """
    if not isinstance(doc, dict):
        return ["not a scorecard: the JSON top level is not an object"]
    problems: list[str] = []
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        problems.append(f"unsupported schema_version {version!r} (this platebench reads {SCHEMA_VERSION})")
    integrity = doc.get("integrity")
    if not isinstance(integrity, dict):
        return [*problems, "no integrity field: the scorecard was never sealed"]
    if integrity.get("canonical") != CANONICAL_FORM:
        return [*problems, f"unknown canonical form {integrity.get('canonical')!r} (expected {CANONICAL_FORM})"]
    try:
        canonical = canonical_bytes(doc)
    except ValueError as exc:
        return [*problems, f"cannot canonicalize: {exc}"]
    actual = hashlib.sha256(canonical).hexdigest()
    recorded = integrity.get("sha256")
    if actual != recorded:
        problems.append(
            f"integrity hash mismatch: the content hashes to {actual}, the scorecard records {recorded}; "
            "it was changed after it was sealed"
        )
    return problems


def resolve_scorecard_path(path: Path) -> Path:
    """``path`` itself, or ``path/scorecard.json`` when ``path`` is a run folder."""
    return path / SCORECARD_FILE if path.is_dir() else path


def load_document(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Read a scorecard JSON file (or a run folder's); returns the document or the problems.

    Numbers must be written in their canonical form (Python's shortest ``repr`` for floats, plain
    integers): a float literal with digits beyond double precision or an upper-case exponent
    parses to the same value as the original, so without this check such a byte change would go
    unnoticed by the hash. Whitespace between tokens is free.
    """
    target = resolve_scorecard_path(path)
    try:
        raw = target.read_bytes()
    except OSError as exc:
        return None, [f"cannot read {target}: {exc.strerror or exc}"]
    odd: list[str] = []
    duplicates: list[str] = []

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj:
                duplicates.append(key)
            obj[key] = value
        return obj

    def parse_float(literal: str) -> float:
        value = float(literal)
        if repr(value) != literal:
            odd.append(literal)
        return value

    def parse_int(literal: str) -> int:
        value = int(literal)
        if str(value) != literal:
            odd.append(literal)
        return value

    try:
        doc = json.loads(
            raw.decode("utf-8"), parse_float=parse_float, parse_int=parse_int, object_pairs_hook=unique_keys
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [f"{target} is not valid JSON: {exc}"]
    if not isinstance(doc, dict):
        return None, [f"{target}: the JSON top level is not an object"]
    if duplicates:
        shown = ", ".join(repr(k) for k in dict.fromkeys(duplicates))
        duplicated = (
            f"duplicate JSON key(s) {shown}: the same member is written twice with possibly different values, "
            "so different programs would read different figures; the file was edited after it was written"
        )
        return None, [duplicated]
    if odd:
        shown = ", ".join(odd[:3]) + (" ..." if len(odd) > 3 else "")
        edited = f"number(s) not in canonical form ({shown}): the file was edited after it was written"
        return None, [edited, *verify(doc)]
    return doc, []
