"""The API actions the policy model judges, as plain records.

Objects are named by **handles** the caller chooses (``"partner-searcher"``, ``"read-3"``); the
explorer keeps its own map from handles to the ids the vendor returned. ``by`` is an actor handle,
or :data:`ANONYMOUS` (no token) or :data:`FOREIGN` (a token never issued). Times are UNIX seconds of
the sandbox clock. ``None`` in an optional field means "member absent from the request".
"""

from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS = "<anonymous>"
FOREIGN = "<foreign-token>"
HOME_ADMIN = "home-admin"
"""The handle of the bootstrap admin the model starts with."""
HOME = "home"
"""The handle of the home agency the model starts with."""


@dataclass(frozen=True)
class CreateAgency:
    by: str
    handle: str
    name: str
    kind: str
    state: str


@dataclass(frozen=True)
class CreateActor:
    by: str
    handle: str
    agency: str
    role: str
    name: str


@dataclass(frozen=True)
class DeactivateActor:
    by: str
    actor: str


@dataclass(frozen=True)
class CreateAgreement:
    by: str
    handle: str
    agency: str
    expires_at: float | None = None


@dataclass(frozen=True)
class RevokeAgreement:
    by: str
    agreement: str


@dataclass(frozen=True)
class Ingest:
    by: str
    handle: str
    plate: str
    captured_at: float
    camera_id: str = "cam-1"


@dataclass(frozen=True)
class AdvanceClock:
    by: str
    seconds: int


@dataclass(frozen=True)
class Search:
    by: str
    plate: str | None = None
    plate_pattern: str | None = None
    reason: str | None = None
    case_number: str | None = None
    offense_type: str | None = None
    since: float | None = None
    until: float | None = None


@dataclass(frozen=True)
class FetchRead:
    by: str
    read: str
    """A read handle; an unknown handle stands for an id the vendor never issued."""


@dataclass(frozen=True)
class SetRetention:
    by: str
    days: int


@dataclass(frozen=True)
class ReadAuditLog:
    by: str


@dataclass(frozen=True)
class EditAuditEntry:
    by: str


@dataclass(frozen=True)
class DeleteAuditEntry:
    by: str


@dataclass(frozen=True)
class ReadRoster:
    by: str


@dataclass(frozen=True)
class TerminationExport:
    by: str


@dataclass(frozen=True)
class TerminationDelete:
    by: str


@dataclass(frozen=True)
class CreateHotlist:
    by: str
    handle: str
    plates: tuple[str, ...]
    reason: str | None
    case_number: str | None
    share_with: tuple[str, ...] = ()
    expires_at: float | None = None


@dataclass(frozen=True)
class AcceptHotlist:
    by: str
    hotlist: str


@dataclass(frozen=True)
class ListAlerts:
    by: str


Action = (CreateAgency | CreateActor | DeactivateActor | CreateAgreement | RevokeAgreement | Ingest
          | AdvanceClock | Search | FetchRead | SetRetention | ReadAuditLog | EditAuditEntry
          | DeleteAuditEntry | ReadRoster | TerminationExport | TerminationDelete | CreateHotlist
          | AcceptHotlist | ListAlerts)
"""Any action the model judges."""

OPERATION_OF: dict[type, str] = {
    CreateAgency: "create_agency", CreateActor: "create_actor", DeactivateActor: "deactivate_actor",
    CreateAgreement: "share", RevokeAgreement: "revoke", Ingest: "ingest", AdvanceClock: "advance_clock",
    Search: "search", FetchRead: "read", SetRetention: "retention", ReadAuditLog: "audit_export",
    EditAuditEntry: "audit_edit", DeleteAuditEntry: "audit_delete", ReadRoster: "access_roster",
    TerminationExport: "export", TerminationDelete: "delete", CreateHotlist: "hotlist_create",
    AcceptHotlist: "hotlist_accept", ListAlerts: "alerts",
}
"""Each action's operation in :data:`harness.policy.rules.OPERATIONS` (also its audit action)."""
