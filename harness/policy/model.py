"""The contract as an executable model: given API actions in order, predict each answer and the audit trail.

:class:`SandboxModel` holds the state a conforming vendor must have after the actions so far
(agencies, actors, agreements, retained reads, hotlists, alerts, the clock and the audit entries
that must exist) and judges each new action with the rules of :mod:`harness.policy.rules`, the
same functions the reference server calls. See ``docs/policy-model.md``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from harness.policy import actions as a
from harness.policy.config import Policy, default_policy
from harness.policy.rules import (
    ALLOWED,
    OPERATIONS,
    PurposeClassifier,
    Refusal,
    agreement_status,
    authorize,
    check_agency_state,
    check_agreement_recipient,
    check_hotlist_purpose,
    check_pattern,
    check_plate,
    check_retention,
    check_search_purpose,
    default_classifier,
    home_visible,
    may_fetch,
    pattern_matches,
)

DAY = 86400
ROLES = ("admin", "searcher", "auditor")


@dataclass(frozen=True)
class ExpectedEntry:
    """An audit entry that must exist: who did what, with which outcome, when (sandbox seconds)."""

    action: str
    actor: str | None
    """Actor handle; ``None`` for a failed authentication (action ``login``)."""
    agency: str | None
    outcome: str
    """``allowed`` or ``denied``."""
    code: str | None
    result_count: int | None
    """Reads returned, where the API defines it (searches, reads, exports, deletions, alerts)."""
    at: float


@dataclass(frozen=True)
class RosterLine:
    """What the access roster must say about one actor."""

    actor: str
    agency: str
    role: str
    active: bool
    home_data_access: bool


@dataclass(frozen=True)
class Prediction:
    """The answer a conforming vendor gives to one action."""

    outcome: str
    """``allowed``, ``refused`` or ``invalid`` (:mod:`harness.policy.rules`)."""
    status: int
    code: str | None
    """The problem code of a refused or invalid action."""
    reads: frozenset[str] | None = None
    """Search, fetch and termination export: exactly these read handles are in the answer."""
    alerts: frozenset[tuple[str, str]] | None = None
    """Alert listing: exactly these (hotlist handle, read handle) pairs."""
    log: tuple[ExpectedEntry, ...] | None = None
    """Audit-log read and termination export: entries the returned log must contain, once each."""
    roster: tuple[RosterLine, ...] | None = None
    """Access roster: one line per actor the model knows (the roster may list others)."""
    audit: tuple[ExpectedEntry, ...] = ()
    """Entries this action must add to the audit log."""
    uncertain: bool = False
    """A time boundary (retention, expiry) fell within the tolerance: do not judge this answer."""


@dataclass
class _Agency:
    kind: str
    state: str


@dataclass
class _Actor:
    agency: str
    role: str
    active: bool = True


@dataclass
class _Agreement:
    agency: str
    expires_at: float | None
    revoked_at: float | None = None


@dataclass(frozen=True)
class _Read:
    agency: str
    plate: str
    captured_at: float


@dataclass
class _Hotlist:
    owner: str
    plates: frozenset[str]
    offered: frozenset[str]
    expires_at: float | None
    accepted: set[str] = field(default_factory=set)


class SandboxModel:
    """The predicted state of a conforming sandbox, advanced one action at a time by :meth:`apply`.

    ``now`` is the sandbox clock at the start: a number (frozen, for tests) or a callable that
    follows the vendor's clock (e.g. its ``GET /v1/sandbox/clock`` answer plus elapsed wall time).
    Comparisons within ``tolerance`` seconds of a boundary mark the prediction uncertain.
    """

    def __init__(self, policy: Policy | None = None, classifier: PurposeClassifier | None = None, *,
                 now: float | Callable[[], float] | None = None, tolerance: float = 2.0) -> None:
        self.policy = policy or default_policy()
        self.classifier = classifier or default_classifier
        start = time.time() if now is None else now
        self._base: Callable[[], float] = start if callable(start) else (lambda: float(start))
        self.offset = 0.0
        self.tolerance = tolerance
        self.retention_days = self.policy.retention_days
        self.agencies: dict[str, _Agency] = {a.HOME: _Agency("home", self.policy.home_state)}
        self.actors: dict[str, _Actor] = {a.HOME_ADMIN: _Actor(a.HOME, "admin")}
        self.agreements: dict[str, _Agreement] = {}
        self.reads: dict[str, _Read] = {}
        self.hotlists: dict[str, _Hotlist] = {}
        self.alerts: list[tuple[str, str, str]] = []
        """(hotlist, read, recipient agency) in delivery order."""
        self.log: list[ExpectedEntry] = []
        self._unsure_until = float("-inf")
        self._uncertain = False

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        """The sandbox clock the model assumes."""
        return self._base() + self.offset

    def _boundary(self, moment: float) -> None:
        """Note a boundary: if it is within the tolerance of now, answers are uncertain until it passes."""
        if abs(self.now() - moment) < self.tolerance:
            self._unsure_until = max(self._unsure_until, moment + self.tolerance)

    def _purge(self) -> None:
        cutoff = self.now() - self.retention_days * DAY
        for handle, read in list(self.reads.items()):
            self._boundary(read.captured_at + self.retention_days * DAY)
            if read.captured_at <= cutoff:
                del self.reads[handle]
        self.alerts = [alert for alert in self.alerts if alert[1] in self.reads]

    def agreement_active(self, agency: str) -> bool:
        """Whether ``agency`` holds an active sharing agreement now."""
        active = False
        for agreement in self.agreements.values():
            if agreement.agency != agency:
                continue
            if agreement.expires_at is not None and agreement.revoked_at is None:
                self._boundary(agreement.expires_at)
            active = active or agreement_status(self.now(), agreement.expires_at, agreement.revoked_at) == "active"
        return active

    # ------------------------------------------------------------------ reading the state

    def kind_of(self, actor: str) -> str:
        return self.agencies[self.actors[actor].agency].kind

    def home_data_access(self, actor: str) -> bool:
        """Whether ``actor`` can search or fetch home reads right now (the roster's column)."""
        state = self.actors[actor]
        if not state.active or state.role not in ("admin", "searcher"):
            return False
        try:
            return home_visible(self.policy, self.agencies[state.agency].kind,
                                agreement_active=self.agreement_active(state.agency))
        except Refusal:
            return False

    def roster(self) -> tuple[RosterLine, ...]:
        return tuple(RosterLine(h, s.agency, s.role, s.active, self.home_data_access(h)) for h, s in self.actors.items())

    def expected_log(self) -> tuple[ExpectedEntry, ...]:
        """Entries that must be in the audit log now (those younger than the audit retention)."""
        cutoff = self.now() - self.policy.audit_retention_days * DAY
        return tuple(entry for entry in self.log if entry.at > cutoff + self.tolerance)

    def visible_reads(self, actor: str) -> frozenset[str]:
        """Read handles ``actor`` may fetch now (its agency's own, and home reads under the rules)."""
        state = self.actors[actor]
        kind = self.agencies[state.agency].kind
        agreement = self.agreement_active(state.agency)
        return frozenset(h for h, r in self.reads.items()
                         if may_fetch(self.policy, kind, own=r.agency == state.agency,
                                      home_read=r.agency == a.HOME, agreement_active=agreement))

    # ------------------------------------------------------------------ judging actions

    def apply(self, action: a.Action) -> Prediction:
        """Predict the answer to ``action`` and advance the state as a conforming vendor would."""
        self._uncertain = False
        self._purge()
        operation = a.OPERATION_OF[type(action)]
        actor = self.actors.get(action.by)
        if actor is None or not actor.active:
            entry = ExpectedEntry("login", None, None, "denied", "unauthenticated", None, self.now())
            self.log.append(entry)
            return self._finish(Prediction("refused", 401, "unauthenticated", audit=(entry,)))
        audited = OPERATIONS[operation].audited
        try:
            authorize(operation, actor.role, self.agencies[actor.agency].kind)
            prediction, count = getattr(self, f"_{operation}")(action, actor)
        except Refusal as refusal:
            entries = (self._entry(operation, action.by, "denied", refusal.code, None),) if audited else ()
            return self._finish(Prediction(refusal.outcome, refusal.status, refusal.code, audit=entries))
        entries = (self._entry(operation, action.by, "allowed", None, count),) if audited else ()
        return self._finish(replace(prediction, audit=entries))

    def run(self, actions: Iterable[a.Action]) -> list[Prediction]:
        """:meth:`apply` each action in order."""
        return [self.apply(action) for action in actions]

    def _finish(self, prediction: Prediction) -> Prediction:
        unsure = self._uncertain or self.now() < self._unsure_until
        return replace(prediction, uncertain=unsure) if unsure else prediction

    def _entry(self, operation: str, actor: str, outcome: str, code: str | None, count: int | None) -> ExpectedEntry:
        entry = ExpectedEntry(operation, actor, self.actors[actor].agency, outcome, code, count, self.now())
        self.log.append(entry)
        return entry

    @staticmethod
    def _ok(status: int = 200, **members: object) -> Prediction:
        return Prediction(ALLOWED, status, None, **members)  # type: ignore[arg-type]

    def _agency_of(self, handle: str) -> _Agency:
        agency = self.agencies.get(handle)
        if agency is None:
            raise Refusal("unknown_agency", "no agency with that id")
        return agency

    # ------------------------------------------------------------------ sandbox set-up

    def _create_agency(self, act: a.CreateAgency, actor: _Actor) -> tuple[Prediction, None]:
        if act.kind not in self.policy.agency_kinds or not re.fullmatch(r"[A-Z]{2}", act.state) or not act.name:
            raise Refusal("invalid_request", "name, a known kind and a two-letter state are required")
        check_agency_state(self.policy, act.kind, act.state)
        self.agencies[act.handle] = _Agency(act.kind, act.state)
        return self._ok(201), None

    def _create_actor(self, act: a.CreateActor, actor: _Actor) -> tuple[Prediction, None]:
        if act.role not in ROLES or not act.name:
            raise Refusal("invalid_request", "a role and a name are required")
        self._agency_of(act.agency)
        self.actors[act.handle] = _Actor(act.agency, act.role)
        return self._ok(201), None

    def _deactivate_actor(self, act: a.DeactivateActor, actor: _Actor) -> tuple[Prediction, None]:
        target = self.actors.get(act.actor)
        if target is None:
            raise Refusal("not_found", "no actor with that id")
        if target is actor:
            raise Refusal("conflict", "an admin cannot deactivate itself")
        target.active = False
        return self._ok(), None

    def _share(self, act: a.CreateAgreement, actor: _Actor) -> tuple[Prediction, None]:
        agency = self._agency_of(act.agency)
        check_agreement_recipient(self.policy, agency.kind)
        if self.agreement_active(act.agency):
            raise Refusal("conflict", "the agency already has an active agreement")
        if act.expires_at is not None and act.expires_at <= self.now():
            self._boundary(act.expires_at)
            raise Refusal("conflict", "expires_at: must be after the sandbox clock's now")
        self.agreements[act.handle] = _Agreement(act.agency, act.expires_at)
        return self._ok(201), None

    def _revoke(self, act: a.RevokeAgreement, actor: _Actor) -> tuple[Prediction, None]:
        agreement = self.agreements.get(act.agreement)
        if agreement is None:
            raise Refusal("not_found", "no agreement with that id")
        if agreement.revoked_at is None:
            agreement.revoked_at = self.now()
        return self._ok(), None

    def _ingest(self, act: a.Ingest, actor: _Actor) -> tuple[Prediction, int]:
        plate = check_plate(act.plate)
        if not act.camera_id:
            raise Refusal("invalid_request", "camera_id is required")
        read = _Read(actor.agency, plate, act.captured_at)
        self.reads[act.handle] = read
        self._deliver_alerts(act.handle, read)
        return self._ok(201, reads=frozenset({act.handle})), 1

    def _advance_clock(self, act: a.AdvanceClock, actor: _Actor) -> tuple[Prediction, None]:
        if act.seconds < 0:
            raise Refusal("invalid_request", "advance_seconds: the sandbox clock only moves forward")
        self.offset += act.seconds
        self._purge()
        return self._ok(), None

    def _retention(self, act: a.SetRetention, actor: _Actor) -> tuple[Prediction, None]:
        if act.days < 1:
            raise Refusal("invalid_request", "days: at least 1")
        check_retention(self.policy, act.days)
        self.retention_days = act.days
        self._purge()
        return self._ok(), None

    # ------------------------------------------------------------------ data access

    def _search(self, act: a.Search, actor: _Actor) -> tuple[Prediction, int]:
        if (act.plate is None) == (act.plate_pattern is None):
            raise Refusal("invalid_request", "give exactly one of plate and plate_pattern")
        plate = check_plate(act.plate) if act.plate is not None else None
        pattern = check_pattern(self.policy, act.plate_pattern) if act.plate_pattern is not None else None
        fields = {"reason": act.reason, "case_number": act.case_number, "offense_type": act.offense_type}
        check_search_purpose(self.policy, fields, self.classifier)
        kind = self.agencies[actor.agency].kind
        home = home_visible(self.policy, kind, agreement_active=self.agreement_active(actor.agency))
        found = frozenset(
            handle for handle, read in self.reads.items()
            if (read.agency == actor.agency or (home and read.agency == a.HOME))
            and (plate is None or read.plate == plate) and (pattern is None or pattern_matches(pattern, read.plate))
            and (act.since is None or read.captured_at >= act.since)
            and (act.until is None or read.captured_at <= act.until))
        return self._ok(reads=found), len(found)

    def _read(self, act: a.FetchRead, actor: _Actor) -> tuple[Prediction, int]:
        if act.read not in self.visible_reads(act.by):
            raise Refusal("not_found", "no such read")
        return self._ok(reads=frozenset({act.read})), 1

    def _export(self, act: a.TerminationExport, actor: _Actor) -> tuple[Prediction, int]:
        home_reads = frozenset(h for h, r in self.reads.items() if r.agency == a.HOME)
        return self._ok(reads=home_reads, log=self.expected_log()), len(home_reads)

    def _delete(self, act: a.TerminationDelete, actor: _Actor) -> tuple[Prediction, int]:
        doomed = [h for h, r in self.reads.items() if r.agency == a.HOME]
        for handle in doomed:
            del self.reads[handle]
        self.alerts = [alert for alert in self.alerts if alert[1] in self.reads]
        return self._ok(), len(doomed)

    # ------------------------------------------------------------------ oversight

    def _audit_export(self, act: a.ReadAuditLog, actor: _Actor) -> tuple[Prediction, None]:
        return self._ok(log=self.expected_log()), None

    def _access_roster(self, act: a.ReadRoster, actor: _Actor) -> tuple[Prediction, None]:
        return self._ok(roster=self.roster()), None

    # ------------------------------------------------------------------ hotlists and alerts (PC-SHR-08)

    def _hotlist_create(self, act: a.CreateHotlist, actor: _Actor) -> tuple[Prediction, None]:
        if not act.plates:
            raise Refusal("invalid_request", "plates: at least one plate")
        plates = frozenset(check_plate(plate) for plate in act.plates)
        check_hotlist_purpose(self.policy, {"reason": act.reason, "case_number": act.case_number}, self.classifier)
        for agency in act.share_with:
            self._agency_of(agency)
        if act.expires_at is not None and act.expires_at <= self.now():
            self._boundary(act.expires_at)
            raise Refusal("conflict", "expires_at: must be after the sandbox clock's now")
        self.hotlists[act.handle] = _Hotlist(actor.agency, plates, frozenset(act.share_with), act.expires_at)
        return self._ok(201), None

    def _hotlist_accept(self, act: a.AcceptHotlist, actor: _Actor) -> tuple[Prediction, None]:
        hotlist = self.hotlists.get(act.hotlist)
        if hotlist is None or actor.agency not in hotlist.offered | {hotlist.owner}:
            raise Refusal("not_found", "no hotlist offered to your agency with that id")
        if actor.agency != hotlist.owner:
            hotlist.accepted.add(actor.agency)
        return self._ok(), None

    def _may_see(self, agency: str, read: _Read) -> bool:
        return may_fetch(self.policy, self.agencies[agency].kind, own=read.agency == agency,
                         home_read=read.agency == a.HOME, agreement_active=self.agreement_active(agency))

    def _deliver_alerts(self, read_handle: str, read: _Read) -> None:
        for handle, hotlist in self.hotlists.items():
            if read.plate not in hotlist.plates:
                continue
            if hotlist.expires_at is not None:
                self._boundary(hotlist.expires_at)
                if self.now() >= hotlist.expires_at:
                    continue
            for recipient in (hotlist.owner, *sorted(hotlist.accepted)):
                if self._may_see(recipient, read):
                    self.alerts.append((handle, read_handle, recipient))

    def _alerts(self, act: a.ListAlerts, actor: _Actor) -> tuple[Prediction, int]:
        found = frozenset((hotlist, read) for hotlist, read, recipient in self.alerts
                          if recipient == actor.agency and self._may_see(recipient, self.reads[read]))
        return self._ok(alerts=found), len(found)
