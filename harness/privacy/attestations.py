"""Vendor attestations: signed statements standing in for controls the API cannot demonstrate.

A file (TOML or JSON) lists one entry per control::

    [[attestation]]
    control = "PC-AUD-03"
    mechanism = "Denied searches are written to the append-only audit store by the API gateway"
    signer = "A. Officer, CISO, Example Vendor Inc."
    date = "2026-03-01"
    evidence = "SOC 2 Type II report 2025, section 4.2"   # optional

(JSON: ``{"attestation": [...]}`` or a bare list.) An attestation only counts for a control the
API could not demonstrate (INCONCLUSIVE) and whose catalogue entry accepts one; the result is
then ATTESTED, which a rubric caps and never counts as a pass. A demonstrated FAIL stays FAIL.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from harness.errors import UserError

REQUIRED = ("control", "mechanism", "signer", "date")


class AttestationError(UserError, ValueError):
    """An attestation file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Attestation:
    """One signed statement about one control."""

    control: str
    mechanism: str
    signer: str
    date: str
    evidence: str = ""

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


def load_attestations(path: Path, known_controls: set[str] | None = None) -> dict[str, Attestation]:
    """Attestations by control id; raises :class:`AttestationError` on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AttestationError(f"{path}: cannot read: {exc}") from exc
    try:
        doc: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise AttestationError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AttestationError(f"{path}: invalid TOML: {exc}") from exc
    items = doc.get("attestation", doc.get("attestations")) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise AttestationError(f"{path}: expected a list of [[attestation]] entries")
    found: dict[str, Attestation] = {}
    for n, item in enumerate(items, 1):
        where = f"{path}: attestation {n}"
        if not isinstance(item, dict):
            raise AttestationError(f"{where}: expected a table/object")
        missing = [k for k in REQUIRED if not str(item.get(k, "")).strip()]
        if missing:
            raise AttestationError(f"{where}: missing {', '.join(missing)}")
        unknown = sorted(set(item) - set(REQUIRED) - {"evidence"})
        if unknown:
            raise AttestationError(f"{where}: unknown field(s) {', '.join(unknown)}")
        when = item["date"]
        try:
            when = when.isoformat() if isinstance(when, date) else date.fromisoformat(str(when)).isoformat()
        except ValueError as exc:
            raise AttestationError(f"{where}: date {item['date']!r} is not YYYY-MM-DD") from exc
        control = str(item["control"]).strip()
        if known_controls is not None and control not in known_controls:
            raise AttestationError(f"{where}: unknown control {control!r} (known: {', '.join(sorted(known_controls))})")
        if control in found:
            raise AttestationError(f"{where}: a second attestation for {control}")
        found[control] = Attestation(control, str(item["mechanism"]).strip(), str(item["signer"]).strip(), when,
                                     str(item.get("evidence", "")).strip())
    return found
