"""Reading a vendor's access roster, audit-log export and sharing agreements (JSON or CSV).

JSON files use the RFP evaluation API's shapes (``GET /v1/access-roster`` -> ``{"accounts": [...]}``,
``GET /v1/audit-log`` -> ``{"entries": [...]}``, ``GET /v1/sharing-agreements`` ->
``{"agreements": [...]}``; a bare list is accepted too). CSV files have a header row; column names
are matched case-insensitively after mapping the aliases in :data:`COLUMN_ALIASES` (documented in
``docs/audit-analysis.md``). Every problem raises :class:`AuditInputError` naming the file and the
line (CSV, JSON syntax) or the item (JSON structure).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError

AGENCY_KINDS: tuple[str, ...] = ("home", "partner", "instate", "out_of_state", "federal", "vendor_support")
"""Agency kinds of the RFP evaluation API (``home`` = the contracting agency)."""

COLUMN_ALIASES: dict[str, str] = {
    "user_id": "actor_id",
    "account_id": "actor_id",
    "user": "actor_name",
    "username": "actor_name",
    "user_name": "actor_name",
    "org_id": "agency_id",
    "organization_id": "agency_id",
    "ori": "agency_id",
    "org": "agency_name",
    "organization": "agency_name",
    "agency": "agency_name",
    "org_type": "agency_kind",
    "agency_type": "agency_kind",
    "kind": "agency_kind",
    "timestamp": "at",
    "time": "at",
    "search_time": "at",
    "purpose": "reason",
    "search_reason": "reason",
    "case": "case_number",
    "case_no": "case_number",
    "case_num": "case_number",
    "case #": "case_number",
    "offense": "offense_type",
    "result": "outcome",
    "status": "outcome",
    "results": "result_count",
    "entry_id": "id",
    "event_type": "action",
}
"""CSV header (lower case, trimmed) -> canonical field name. Canonical names are accepted as is."""

KNOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("actor_id", "name", "actor_name", "agency_id", "agency_name", "agency_kind", "state", "role",
                 "active", "home_data_access"),
    "entries": ("id", "at", "actor_id", "actor_name", "actor_role", "agency_id", "agency_name", "agency_kind",
                "action", "query", "reason", "case_number", "offense_type", "outcome", "code", "result_count",
                "search_id"),
    "agreements": ("id", "agency_id", "agency_name", "agency_kind", "created_at", "expires_at", "revoked_at",
                   "status", "active"),
}
"""Canonical field names of each export (the RFP evaluation API's shapes). A CSV header that maps to none
of them (nor starts with ``x-``, the API's extension prefix) is refused, naming it and these."""

OUTCOME_WORDS: dict[str, str] = {
    "allowed": "allowed",
    "allow": "allowed",
    "success": "allowed",
    "succeeded": "allowed",
    "ok": "allowed",
    "granted": "allowed",
    "denied": "denied",
    "deny": "denied",
    "blocked": "denied",
    "rejected": "denied",
    "refused": "denied",
    "failed": "denied",
    "forbidden": "denied",
}
"""Outcome spellings accepted in CSV exports -> ``allowed`` / ``denied``."""

TRUE_WORDS = {"true", "1", "yes", "y", "active"}
FALSE_WORDS = {"false", "0", "no", "n", "inactive", "disabled"}
"""Spellings of true and false accepted in ``active`` / ``home_data_access`` (case-insensitive; empty = true)."""


class AuditInputError(UserError):
    """A roster, log or agreements file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class SourceFile:
    """Where an input came from, for the report's provenance (no content)."""

    path: str
    sha256: str
    format: str
    rows: int


@dataclass(frozen=True)
class Account:
    """One account of the access roster."""

    actor_id: str
    name: str
    agency_id: str
    agency_name: str
    agency_kind: str
    state: str
    role: str
    active: bool
    home_data_access: bool = True


@dataclass(frozen=True)
class Entry:
    """One audit-log entry. ``query`` (it holds plate text) is deliberately not kept."""

    id: str
    at: str
    actor_id: str
    actor_name: str
    agency_id: str
    agency_name: str
    agency_kind: str
    action: str
    reason: str
    case_number: str
    offense_type: str
    outcome: str


@dataclass(frozen=True)
class Agreement:
    """A sharing agreement with another agency; ``active`` is False once revoked."""

    agency_id: str
    agency_name: str
    active: bool


class _Row:
    """One item of an input with its location, for error messages."""

    def __init__(self, path: Path, where: str, data: dict[str, Any]) -> None:
        self.path, self.where, self.data = path, where, data

    def fail(self, message: str) -> AuditInputError:
        return AuditInputError(f"{self.path}: {self.where}: {message}")

    def text(self, name: str, required: bool = False) -> str:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(f"missing required field {name!r}")
            return ""
        if isinstance(value, (dict, list)):
            raise self.fail(f"field {name!r} must be a string, not {type(value).__name__}")
        return str(value).strip()

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self.fail(f"field {name!r} must be true or false, got {str(value)[:20]!r}")

    def kind(self) -> str:
        kind = self.text("agency_kind").lower().replace("-", "_").replace(" ", "_")
        if kind and kind not in AGENCY_KINDS:
            raise self.fail(f"agency_kind {kind!r} is not one of {', '.join(AGENCY_KINDS)}")
        return kind


def _rows(path: Path, key: str) -> tuple[Iterator[_Row], str, str]:
    """Rows of a JSON (under ``key`` or a bare list) or CSV file, the format name and the sha256."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AuditInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AuditInputError(f"{path}: line {line}: not UTF-8 text") from exc
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "["):
        return _json_rows(path, text, key), "json", digest
    return _csv_rows(path, text, key), "csv", digest


def _json_rows(path: Path, text: str, key: str) -> Iterator[_Row]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditInputError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from exc
    return _doc_rows(path, doc, key)


def _doc_rows(path: Path, doc: Any, key: str) -> Iterator[_Row]:
    items = doc.get(key) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise AuditInputError(f"{path}: expected a JSON object with a {key!r} list (or a bare list)")
    for index, item in enumerate(items):
        where = f"{key}[{index}] (item {index + 1})"
        if not isinstance(item, dict):
            raise AuditInputError(f"{path}: {where}: expected an object, got {type(item).__name__}")
        yield _Row(path, where, item)


def _column_name(header: str) -> str:
    """Canonical name of one CSV header: aliases, case, spaces and hyphens (``Agency Type`` = ``agency_kind``)."""
    plain = header.strip().lower()
    joined = re.sub(r"[\s-]+", "_", plain)
    return COLUMN_ALIASES.get(plain) or COLUMN_ALIASES.get(joined) or joined


def csv_header(path: Path, header: list[str], key: str) -> list[str]:
    """Canonical names of a CSV header row; unknown or duplicate names raise :class:`AuditInputError`."""
    names = [_column_name(h) for h in header]
    unknown = [raw for raw, name in zip(header, names) if name not in KNOWN_FIELDS[key] and not name.startswith("x-")]
    if unknown:
        raise AuditInputError(
            f"{path}: line 1: unknown column(s) {', '.join(repr(u) for u in unknown)}; expected columns: "
            f"{', '.join(KNOWN_FIELDS[key])} (or an alias: {', '.join(sorted(COLUMN_ALIASES))}; see "
            "docs/audit-analysis.md)"
        )
    if len(set(names)) != len(names):
        raise AuditInputError(f"{path}: line 1: duplicate columns after alias mapping: {', '.join(names)}")
    return names


def _csv_rows(path: Path, text: str, key: str) -> Iterator[_Row]:
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise AuditInputError(f"{path}: line 1: empty file (expected a CSV header row)") from None
    except csv.Error as exc:
        raise AuditInputError(f"{path}: line {reader.line_num}: {exc}") from exc
    names = csv_header(path, header, key)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise AuditInputError(f"{path}: line {reader.line_num}: {exc}") from exc
        if not any(v.strip() for v in values):
            continue
        where = f"line {reader.line_num}"
        if len(values) != len(names):
            raise AuditInputError(f"{path}: {where}: {len(values)} fields, header has {len(names)}")
        yield _Row(path, where, dict(zip(names, values)))


def _load(path: Path, key: str, build: Callable[[_Row], Any]) -> tuple[list[Any], SourceFile]:
    rows, fmt, digest = _rows(path, key)
    items = [build(row) for row in rows]
    return items, SourceFile(str(path), digest, fmt, len(items))


def _account(row: _Row) -> Account:
    return Account(
        actor_id=row.text("actor_id", required=True),
        name=row.text("name") or row.text("actor_name"),
        agency_id=row.text("agency_id") or row.text("agency_name", required=True),
        agency_name=row.text("agency_name") or row.text("agency_id"),
        agency_kind=row.kind(),
        state=row.text("state").upper(),
        role=row.text("role").lower(),
        active=row.flag("active", default=True),
        home_data_access=row.flag("home_data_access", default=True),
    )


def _entry(row: _Row) -> Entry:
    outcome_word = row.text("outcome", required=True).lower()
    outcome = OUTCOME_WORDS.get(outcome_word)
    if outcome is None:
        raise row.fail(f"outcome {outcome_word[:20]!r} is not allowed/denied (or a synonym)")
    action = row.text("action", required=True).lower()
    searched = action == "search"  # other actions (e.g. a failed ``login``) may have no actor
    return Entry(
        id=row.text("id"),
        at=row.text("at", required=True),
        actor_id=row.text("actor_id") or row.text("actor_name", required=searched),
        actor_name=row.text("actor_name"),
        agency_id=row.text("agency_id") or row.text("agency_name", required=searched),
        agency_name=row.text("agency_name") or row.text("agency_id"),
        agency_kind=row.kind(),
        action=action,
        reason=row.text("reason"),
        case_number=row.text("case_number"),
        offense_type=row.text("offense_type"),
        outcome=outcome,
    )


def _agreement(row: _Row) -> Agreement:
    revoked = bool(row.text("revoked_at")) or row.text("status").lower() in ("revoked", "expired")
    return Agreement(
        agency_id=row.text("agency_id") or row.text("agency_name", required=True),
        agency_name=row.text("agency_name"),
        active=row.flag("active", default=True) and not revoked,
    )


def load_roster(path: Path) -> tuple[list[Account], SourceFile]:
    """Accounts of an access-roster export."""
    return _load(path, "accounts", _account)


def load_log(path: Path) -> tuple[list[Entry], SourceFile]:
    """Entries of an audit-log export."""
    return _load(path, "entries", _entry)


def roster_from_json(doc: Any, source: str = "access roster") -> list[Account]:
    """Accounts of an already-parsed ``GET /v1/access-roster`` body."""
    return [_account(row) for row in _doc_rows(Path(source), doc, "accounts")]


def log_from_json(doc: Any, source: str = "audit log") -> list[Entry]:
    """Entries of an already-parsed ``GET /v1/audit-log`` body."""
    return [_entry(row) for row in _doc_rows(Path(source), doc, "entries")]


def load_agreements(path: Path) -> tuple[list[Agreement], SourceFile]:
    """Sharing agreements (revoked ones are kept, marked inactive)."""
    return _load(path, "agreements", _agreement)
