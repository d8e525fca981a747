"""The reference server's decisions: the policy model's rules applied to the store, bent only by flaws.

Every rule is a function of :mod:`harness.policy.rules`; this module feeds them the server's state
(is the agreement active now, whose reads may this actor see) and is the one place where a
``--flaw`` changes a decision (see ``flaws.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from harness.policy import Policy, PurposeClassifier, Refusal
from harness.policy.config import AgencyKind
from harness.policy.rules import (
    agreement_status,
    check_case_number,
    check_prohibited,
    check_search_purpose,
    home_visible,
    retained,
)
from harness.reference_server.store import Actor, Agency, Agreement, Store, StoredRead

REVOCATION_DELAY_SECONDS = 24 * 3600
"""How long a revoked agreement keeps working under the ``revocation-delayed`` flaw."""
TEST_MARKERS = re.compile(r"test|canary|probe|harness|platebench|sandbox|dummy|synthetic", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^(?:n/?a|tbd|tba|none|unknown|pending|null|-+|[0-]+)$", re.IGNORECASE)
KEYWORDS = frozenset({"ice", "immigration", "immigrant", "deportation", "deport", "abortion", "protest",
                      "protester", "protesters", "reproductive"})


def _kinds_under_flaws(policy: Policy, flaws: frozenset[str]) -> Policy:
    """The policy with the agency kinds a flaw lets receive agreements (federal, out-of-state)."""
    kinds = dict(policy.agency_kinds)
    for flaw, kind in (("federal-access", "federal"), ("out-of-state-access", "out_of_state")):
        if flaw in flaws and kind in kinds:
            kinds[kind] = AgencyKind(kind, kinds[kind].in_state, True, None)
    return replace(policy, agency_kinds=kinds)


class Decisions:
    """Sharing, purpose and retention decisions over one store, with the server's flaws applied."""

    def __init__(self, store: Store, policy: Policy, classifier: PurposeClassifier, flaws: frozenset[str]) -> None:
        self.store = store
        self.policy = policy
        self.flawed = _kinds_under_flaws(policy, flaws)
        self.classifier = classifier
        self.flaws = flaws

    # ------------------------------------------------------------------ agreements

    def _grants(self, agreement: Agreement, now: float, path: str, actor: Actor | None) -> bool:
        expires = None if "expiry-ignored" in self.flaws else agreement.expires_at
        if agreement_status(now, expires, agreement.revoked_at) == "active":
            return True
        if agreement.revoked_at is not None:
            if "revocation-delayed" in self.flaws and now < agreement.revoked_at + REVOCATION_DELAY_SECONDS:
                return True
            if f"revocation-ignored-{path}" in self.flaws:
                return True
        if "access-frozen-at-creation" in self.flaws and actor is not None:
            end = min(t for t in (agreement.expires_at, agreement.revoked_at, float("inf")) if t is not None)
            return agreement.created_at <= actor.created_at < end
        return False

    def agreement_active(self, agency: Agency, *, path: str = "search", actor: Actor | None = None,
                         declared: bool = False) -> bool:
        """Whether ``agency`` holds an agreement granting access now (``declared``: without flaws)."""
        now = self.store.clock.now()
        agreements = self.store.agreements(agency.id)
        if declared:
            return any(agreement_status(now, a.expires_at, a.revoked_at) == "active" for a in agreements)
        return any(self._grants(a, now, path, actor) for a in agreements)

    # ------------------------------------------------------------------ whose reads

    def search_scope(self, actor: Actor, *, full_plate: bool, looks_like_test: bool) -> list[str] | None:
        """Agency ids whose reads ``actor`` may search (``None``: every agency), or a :class:`Refusal`."""
        agency, home = actor.agency, self.store.home()
        assert home is not None
        if agency.kind == "home":
            return [home.id]
        kind = self.flawed.kind(agency.kind)
        if self._vendor_support_flaw(agency) or (kind.agreement and (
                "share-all" in self.flaws or ("test-aware" in self.flaws and not looks_like_test))):
            return [agency.id, home.id]
        path = "search" if full_plate else "wildcard"
        try:
            home_visible(self.flawed, agency.kind, agreement_active=self.agreement_active(agency, path=path, actor=actor))
        except Refusal as refusal:
            if "national-lookup" in self.flaws and full_plate and refusal.code != "federal_denied":
                return None
            raise
        return [agency.id, home.id]

    def may_fetch(self, actor: Actor, read: StoredRead, *, path: str = "fetch") -> bool:
        """Fetch by id (and alert delivery): own reads, home reads under the sharing rules as configured.

        Only the flaws that name fetching bend it, so that ``idor`` alone breaks object-level isolation.
        """
        if ("idor" in self.flaws and path == "fetch") or read.agency_id == actor.agency.id:
            return True
        home = self.store.home()
        if home is None or read.agency_id != home.id:
            return False
        if path == "fetch" and self._vendor_support_flaw(actor.agency):
            return True
        bent = ({"revocation-ignored-fetch", "expiry-ignored", "access-frozen-at-creation"}
                if path == "fetch" else {"revocation-ignored-alerts"})
        if self.flaws & bent:
            active = self.agreement_active(actor.agency, path=path, actor=actor)
        else:
            active = self.agreement_active(actor.agency, declared=True)
        try:
            return home_visible(self.policy, actor.agency.kind, agreement_active=active)
        except Refusal:
            return False

    def _vendor_support_flaw(self, agency: Agency) -> bool:
        return "vendor-support-access" in self.flaws and agency.kind == "vendor_support"

    def agency_sees_home(self, agency: Agency, *, path: str) -> bool:
        """Alert delivery to a whole agency: its home-read visibility under the rules (and alert flaws)."""
        if "hotlist-overshare" in self.flaws:
            return True
        probe = Actor("", agency, "searcher", "", True, float("-inf"))
        home = self.store.home()
        assert home is not None
        return self.may_fetch(probe, StoredRead("", home.id, "", 0.0, ""), path=path)

    def declared_home_access(self, agency: Agency) -> bool:
        """The roster's column: the contract as configured, without the server's flaws."""
        try:
            return home_visible(self.policy, agency.kind, agreement_active=self.agreement_active(agency, declared=True))
        except Refusal:
            return False

    # ------------------------------------------------------------------ purpose

    def check_search_purpose(self, actor: Actor, fields: Mapping[str, object]) -> None:
        """Search rules 2-5, with the purpose flaws."""
        if "purpose-home-only" in self.flaws and actor.agency.kind != "home":
            return
        flawed = self.flaws & {"allow-prohibited-purpose", "no-reason-required", "no-case-number",
                               "placeholder-case-numbers", "purpose-whole-field-only", "purpose-keywords-only"}
        if not flawed:
            check_search_purpose(self.policy, fields, self.classifier)
            return
        self._check_prohibited(fields)
        reason = fields.get("reason")
        if "no-reason-required" not in self.flaws and (not isinstance(reason, str) or not reason.strip()):
            raise Refusal("reason_required", "a search must state a reason")
        offense = fields.get("offense_type")
        if not isinstance(offense, str) or not offense.strip():
            raise Refusal("offense_type_required", "a search must name an offense type")
        if offense not in self.policy.offense_types:
            raise Refusal("offense_type_not_authorized", "the offense type is not on the city's list")
        case = fields.get("case_number")
        if "no-case-number" in self.flaws:
            return
        if "placeholder-case-numbers" in self.flaws and isinstance(case, str) and PLACEHOLDER.match(case.strip()):
            return
        check_case_number(self.policy, case)

    def check_hotlist_purpose(self, fields: Mapping[str, object]) -> None:
        """A hotlist's reason and case number (prohibited purpose, present, well-formed)."""
        self._check_prohibited(fields)
        reason = fields.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise Refusal("reason_required", "a hotlist must state a reason")
        check_case_number(self.policy, fields.get("case_number"))

    def _check_prohibited(self, fields: Mapping[str, object]) -> None:
        if "allow-prohibited-purpose" in self.flaws:
            return
        if "purpose-keywords-only" in self.flaws:
            for value in fields.values():
                words = set(re.findall(r"[a-z]+", value.lower())) if isinstance(value, str) else set()
                if words & KEYWORDS:
                    raise Refusal("prohibited_purpose", "the request names a prohibited purpose")
            return
        if "purpose-whole-field-only" in self.flaws:
            fields = {k: v for k, v in fields.items() if isinstance(v, str) and len(v.split()) <= 2}
        check_prohibited(self.policy, fields, self.classifier)

    @staticmethod
    def looks_like_test(plate: str | None, fields: Mapping[str, object]) -> bool:
        """What the ``test-aware`` flaw takes for test traffic (a vendor guessing the harness)."""
        if plate is not None and len(plate) > 8:
            return True
        return any(isinstance(v, str) and TEST_MARKERS.search(v) for v in fields.values())

    # ------------------------------------------------------------------ retention

    def retention_days(self) -> int:
        return int(self.store.setting("retention_days", str(self.policy.retention_days)))

    def retained(self, read: StoredRead, *, path: str) -> bool:
        """Whether ``read`` is inside retention on ``path`` (``search``, ``wildcard``, ``fetch``, ``export``, ``alerts``)."""
        if "retention-ignored" in self.flaws or f"retention-ignored-{path}" in self.flaws:
            return True
        return retained(self.retention_days(), self.store.clock.now(), read.captured_at)

    def purges(self) -> bool:
        """Whether the retention job deletes reads (every retention flaw keeps them)."""
        return not any(flaw.startswith("retention-ignored") for flaw in self.flaws)
