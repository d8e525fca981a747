"""The contract rules the reference server enforces, and where each flaw bends one of them.

Kept apart from HTTP so each rule reads as the RFP states it (see ``docs/reference-server.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from harness.audit.purposes import match_prohibited
from harness.reference_server.store import Agency, Agreement, Store
from vendor_adapters.base import normalize_plate_text

OFFENSE_TYPES: dict[str, str] = {
    "homicide": "Homicide",
    "kidnapping": "Kidnapping",
    "robbery": "Robbery",
    "aggravated_assault": "Aggravated assault",
    "sexual_assault": "Sexual assault",
    "burglary": "Burglary",
    "motor_vehicle_theft": "Motor vehicle theft",
    "hit_and_run": "Hit and run",
    "missing_person": "Missing or endangered person",
    "human_trafficking": "Human trafficking",
}
"""The city's list of offense types a search may name (a Denver-style crime list)."""

CASE_NUMBER = re.compile(r"^(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9-]{3,39}$")
"""4-40 characters of letters, digits and '-', starting with a letter or digit, with a digit."""

MIN_PATTERN_LITERALS = 3
REVOCATION_DELAY_SECONDS = 24 * 3600
"""How long a revoked agreement keeps working under the ``revocation-delayed`` flaw."""

IN_STATE_KINDS = frozenset({"partner", "instate"})


class Refusal(Exception):
    """A rule refused the request: a problem ``code``, HTTP ``status`` and a human ``detail``."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def normalize_pattern(pattern: str) -> str:
    """Upper case, only A-Z, 0-9 and ``*`` (runs of ``*`` collapsed); refuses too broad patterns."""
    text = re.sub(r"\*+", "*", "".join(ch for ch in pattern.upper() if ch == "*" or ch.isascii() and ch.isalnum()))
    if sum(ch != "*" for ch in text) < MIN_PATTERN_LITERALS:
        raise Refusal(400, "pattern_too_broad",
                      f"a plate pattern needs at least {MIN_PATTERN_LITERALS} literal characters")
    return text


def check_purpose(body: Mapping[str, object], flaws: frozenset[str]) -> None:
    """Search purpose rules 2-5 of the API (prohibited purpose, reason, offense type, case number)."""
    if "allow-prohibited-purpose" not in flaws:
        for field in ("reason", "case_number", "offense_type"):
            value = body.get(field)
            found = match_prohibited(value) if isinstance(value, str) else None
            if found:
                raise Refusal(403, "prohibited_purpose",
                              f"{field} names a prohibited purpose ({found.category.replace('_', ' ')})")
    reason = body.get("reason")
    if "no-reason-required" not in flaws and (not isinstance(reason, str) or not reason.strip()):
        raise Refusal(400, "reason_required", "a search must state a reason")
    offense = body.get("offense_type")
    if not isinstance(offense, str) or not offense.strip():
        raise Refusal(400, "offense_type_required", "a search must name an offense type")
    if offense not in OFFENSE_TYPES:
        raise Refusal(400, "offense_type_not_authorized",
                      "the offense type is not on the city's list (GET /v1/offense-types)")
    if "no-case-number" not in flaws:
        case = body.get("case_number")
        if not isinstance(case, str) or not case.strip():
            raise Refusal(400, "case_number_required", "a search must carry a case or incident number")
        if not CASE_NUMBER.match(case):
            raise Refusal(400, "case_number_invalid",
                          "a case number is 4-40 letters, digits or '-', and contains a digit")


@dataclass(frozen=True)
class Scope:
    """The agencies whose reads an actor may see; ``None`` means every agency."""

    agency_ids: tuple[str, ...] | None


class Policy:
    """Sharing decisions over one store, with the server's flaws applied."""

    def __init__(self, store: Store, flaws: frozenset[str]) -> None:
        self.store = store
        self.flaws = flaws

    def agreement_grants(self, agreement: Agreement, now: float, flaws: frozenset[str]) -> bool:
        if agreement.expires_at is not None and now >= agreement.expires_at:
            return False
        if agreement.revoked_at is None:
            return True
        return "revocation-delayed" in flaws and now < agreement.revoked_at + REVOCATION_DELAY_SECONDS

    def has_agreement(self, agency: Agency, flaws: frozenset[str]) -> bool:
        now = self.store.clock.now()
        return any(self.agreement_grants(a, now, flaws) for a in self.store.agreements(agency.id))

    def may_receive_agreement(self, agency: Agency) -> None:
        """Raise a :class:`Refusal` unless the home agency may share with ``agency``."""
        if agency.kind == "home":
            raise Refusal(400, "invalid_request", "the home agency cannot share with itself")
        if agency.kind == "federal" and "federal-access" not in self.flaws:
            raise Refusal(403, "federal_denied", "the contract forbids sharing with federal agencies")
        if agency.kind == "out_of_state" and "out-of-state-access" not in self.flaws:
            raise Refusal(403, "out_of_state_denied", "the contract forbids sharing with out-of-state agencies")

    def scope(self, agency: Agency, *, full_plate: bool, declared: bool = False) -> Scope:
        """Whose reads ``agency``'s actors may see, or a :class:`Refusal` (rule 6 of the search).

        ``declared`` applies the contract as configured, without the server's flaws (the roster).
        """
        flaws = frozenset() if declared else self.flaws
        home = self.store.home()
        assert home is not None
        if agency.id == home.id:
            return Scope((home.id,))
        try:
            if agency.kind == "federal" and "federal-access" not in flaws:
                raise Refusal(403, "federal_denied", "federal agencies may not search the city's data")
            if agency.kind == "out_of_state" and "out-of-state-access" not in flaws:
                raise Refusal(403, "out_of_state_denied", "out-of-state agencies may not search the city's data")
            if "share-all" in flaws or self.has_agreement(agency, flaws):
                return Scope((agency.id, home.id))
            raise Refusal(403, "no_agreement", "the city does not share its data with your agency")
        except Refusal as refusal:
            if "national-lookup" in flaws and full_plate and refusal.code != "federal_denied":
                return Scope(None)
            raise

    def can_see(self, agency: Agency, read_agency_id: str) -> bool:
        """Whether ``agency``'s actors may fetch a read owned by ``read_agency_id``.

        Fetching by id follows the contract as configured: the sharing flaws live in the search
        path only, so that ``idor`` alone breaks object-level isolation (PC-ACC-04).
        """
        if "idor" in self.flaws or agency.id == read_agency_id:
            return True
        try:
            scope = self.scope(agency, full_plate=False, declared=True)
        except Refusal:
            return False
        return scope.agency_ids is None or read_agency_id in scope.agency_ids


def normalize_plate(text: str) -> str:
    """Plate text as stored and matched (see :func:`vendor_adapters.base.normalize_plate_text`)."""
    return normalize_plate_text(text)
