"""The stateless rules of the contract: who may do what, and what a search or hotlist must state.

Every function either returns or raises :class:`Refusal` with the API's problem code. The
reference server calls these functions on its own state, and :class:`~harness.policy.model.SandboxModel`
calls them on the state it predicts, so the server and the oracle cannot disagree on a rule.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness.policy.config import Policy

PurposeClassifier = Callable[[str], str | None]
"""Text -> the prohibited-purpose category it names (e.g. ``"immigration"``), or ``None``."""

ALLOWED, REFUSED, INVALID = "allowed", "refused", "invalid"
"""Outcome classes: the action took effect; policy refused it; the request was malformed."""

PROBLEMS: dict[str, tuple[int, str]] = {
    "unauthenticated": (401, "Unauthenticated"),
    "forbidden": (403, "Forbidden"),
    "not_found": (404, "Not found"),
    "unknown_agency": (404, "Unknown agency"),
    "invalid_request": (400, "Invalid request"),
    "conflict": (409, "Conflict"),
    "reason_required": (400, "Reason required"),
    "case_number_required": (400, "Case number required"),
    "case_number_invalid": (400, "Case number malformed"),
    "offense_type_required": (400, "Offense type required"),
    "offense_type_not_authorized": (400, "Offense type not authorized"),
    "pattern_too_broad": (400, "Pattern too broad"),
    "prohibited_purpose": (403, "Prohibited purpose"),
    "no_agreement": (403, "No sharing agreement"),
    "out_of_state_denied": (403, "Out-of-state access denied"),
    "federal_denied": (403, "Federal access denied"),
    "vendor_support_denied": (403, "Vendor support access denied"),
    "agency_state_mismatch": (400, "Agency state contradicts its kind"),
    "audit_immutable": (403, "The audit log is append-only"),
    "retention_exceeds_cap": (400, "Retention exceeds the cap"),
    "invalid_image": (422, "Invalid image"),
    "payload_too_large": (413, "Payload too large"),
    "method_not_allowed": (405, "Method not allowed"),
    "not_offered": (501, "Not offered"),
    "internal_error": (500, "Internal error"),
}
"""Every problem code of the API: HTTP status and title."""


class Refusal(Exception):
    """A rule refused the request: problem ``code`` (its status from :data:`PROBLEMS`) and ``detail``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.status = PROBLEMS[code][0]
        self.detail = detail

    @property
    def outcome(self) -> str:
        """:data:`INVALID` for a malformed request (400, 413, 422), :data:`REFUSED` otherwise."""
        return INVALID if self.status in (400, 413, 422) else REFUSED


# --------------------------------------------------------------------------- who may do what


@dataclass(frozen=True)
class Permission:
    """The roles that may perform an operation, and whether only home-agency actors may."""

    roles: frozenset[str]
    home_only: bool
    audited: bool
    """Whether the operation leaves an audit entry (under its own name), allowed or denied."""


def _p(roles: str, *, home_only: bool, audited: bool) -> Permission:
    return Permission(frozenset(roles.split()), home_only, audited)


ANY_ROLE = "admin searcher auditor"
OPERATIONS: dict[str, Permission] = {
    "me": _p(ANY_ROLE, home_only=False, audited=False),
    "offense_types": _p(ANY_ROLE, home_only=False, audited=False),
    "get_clock": _p(ANY_ROLE, home_only=False, audited=False),
    "list_agencies": _p("admin auditor", home_only=True, audited=False),
    "create_agency": _p("admin", home_only=True, audited=True),
    "create_actor": _p("admin", home_only=True, audited=True),
    "deactivate_actor": _p("admin", home_only=True, audited=True),
    "ingest": _p("admin", home_only=False, audited=True),
    "advance_clock": _p("admin", home_only=True, audited=True),
    "search": _p("admin searcher", home_only=False, audited=True),
    "read": _p("admin searcher", home_only=False, audited=True),
    "audit_export": _p("admin auditor", home_only=True, audited=True),
    "audit_edit": _p("", home_only=True, audited=True),
    "audit_delete": _p("", home_only=True, audited=True),
    "access_roster": _p("admin auditor", home_only=True, audited=True),
    "list_agreements": _p("admin auditor", home_only=True, audited=False),
    "share": _p("admin", home_only=True, audited=True),
    "revoke": _p("admin", home_only=True, audited=True),
    "get_retention": _p("admin auditor", home_only=True, audited=False),
    "retention": _p("admin", home_only=True, audited=True),
    "export": _p("admin", home_only=True, audited=True),
    "delete": _p("admin", home_only=True, audited=True),
    "hotlist_create": _p("admin", home_only=False, audited=True),
    "hotlist_accept": _p("admin", home_only=False, audited=True),
    "alerts": _p("admin searcher", home_only=False, audited=True),
}
"""Operation (the audit action name where audited) -> who may perform it."""

IMMUTABLE_AUDIT_OPERATIONS = frozenset({"audit_edit", "audit_delete"})


def authorize(operation: str, role: str, agency_kind: str) -> None:
    """Raise ``forbidden`` (or ``audit_immutable``) unless ``role`` of an ``agency_kind`` agency may do this."""
    if operation in IMMUTABLE_AUDIT_OPERATIONS:
        raise Refusal("audit_immutable", "audit entries cannot be edited or deleted by anyone")
    permission = OPERATIONS[operation]
    if role not in permission.roles or (permission.home_only and agency_kind != "home"):
        who = "the home agency's " if permission.home_only else ""
        raise Refusal("forbidden", f"only {who}{' or '.join(sorted(permission.roles))} may do this")


# --------------------------------------------------------------------------- agencies and sharing


def check_agency_state(policy: Policy, kind: str, state: str) -> None:
    """An agency's state must fit its kind (``agency_state_mismatch``); the home agency cannot be created."""
    if kind == "home":
        raise Refusal("invalid_request", "kind: the home agency exists from the start")
    rule = policy.kind(kind).in_state
    if rule is True and state != policy.home_state:
        raise Refusal("agency_state_mismatch", f"a {kind} agency must be in {policy.home_state}")
    if rule is False and state == policy.home_state:
        raise Refusal("agency_state_mismatch", f"a {kind} agency cannot be in {policy.home_state}")


def check_agreement_recipient(policy: Policy, kind: str) -> None:
    """Raise unless the home admin may give an agency of ``kind`` a sharing agreement."""
    rule = policy.kind(kind)
    if rule.denial:
        raise Refusal(rule.denial, f"the contract forbids sharing with {kind.replace('_', ' ')} agencies")
    if not rule.agreement:
        raise Refusal("forbidden", f"a {kind} agency cannot receive a sharing agreement")


def home_visible(policy: Policy, kind: str, *, agreement_active: bool) -> bool:
    """Whether an actor of an agency of ``kind`` sees home reads; raises its kind's denial.

    The home agency sees its own reads; denied kinds (federal, out-of-state, vendor support in the
    default policy) are refused outright; any other kind needs an active agreement (``no_agreement``).
    """
    if kind == "home":
        return True
    rule = policy.kind(kind)
    if rule.denial:
        raise Refusal(rule.denial, f"{kind.replace('_', ' ')} agencies may not search the city's data")
    if rule.agreement and agreement_active:
        return True
    raise Refusal("no_agreement", "the city does not share its data with your agency")


def may_fetch(policy: Policy, kind: str, *, own: bool, home_read: bool, agreement_active: bool) -> bool:
    """Fetch by id: an agency's own reads, plus home reads while it may search them (else 404)."""
    if own:
        return True
    if not home_read:
        return False
    try:
        return home_visible(policy, kind, agreement_active=agreement_active)
    except Refusal:
        return False


def agreement_status(now: float, expires_at: float | None, revoked_at: float | None) -> str:
    """``revoked``, ``expired`` (from ``expires_at`` on) or ``active``."""
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and now >= expires_at:
        return "expired"
    return "active"


def retained(policy_days: int, now: float, captured_at: float) -> bool:
    """A read is kept while ``now - captured_at`` is less than ``policy_days`` days."""
    return now - captured_at < policy_days * 86400


def check_retention(policy: Policy, days: int) -> None:
    """A retention setting above the contract's cap is refused."""
    if days > policy.max_retention_days:
        raise Refusal("retention_exceeds_cap", f"the contract caps retention at {policy.max_retention_days} days")


# --------------------------------------------------------------------------- plates and patterns

PLATE_SEPARATORS = " .-"
PLATE_MAX = 12


def normalize_plate(text: str) -> str:
    """Plate text as stored and matched: A-Z and 0-9 only, upper case (accents and separators dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.upper() if ch.isalnum())


def check_plate(text: str) -> str:
    """The normalized plate, or ``invalid_request``: 1-12 letters or digits with optional ' ', '.', '-'."""
    if not re.fullmatch(rf"[ .-]*(?:[A-Za-z0-9][ .-]*){{1,{PLATE_MAX}}}", text):
        raise Refusal("invalid_request",
                      f"plate: 1-{PLATE_MAX} letters or digits, optionally separated by spaces, dots or dashes")
    return normalize_plate(text)


def check_pattern(policy: Policy, pattern: str) -> str:
    """The normalized wildcard pattern (``*`` = any run); ``pattern_too_broad`` under the literal minimum."""
    if not re.fullmatch(r"[A-Za-z0-9* .-]+", pattern):
        raise Refusal("invalid_request", "plate_pattern: letters, digits, '*', spaces, dots or dashes only")
    text = re.sub(r"\*+", "*", "".join(ch for ch in pattern.upper() if ch == "*" or ch.isalnum()))
    literals = sum(ch != "*" for ch in text)
    if literals < policy.min_pattern_literals:
        raise Refusal("pattern_too_broad",
                      f"a plate pattern needs at least {policy.min_pattern_literals} literal characters")
    if literals > PLATE_MAX:
        raise Refusal("invalid_request", f"plate_pattern: at most {PLATE_MAX} literal characters")
    return text


def pattern_matches(pattern: str, plate: str) -> bool:
    """Whether a normalized plate matches a normalized pattern (``*`` = any run, possibly empty)."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), plate) is not None


# --------------------------------------------------------------------------- purpose


def default_classifier(text: str) -> str | None:
    """The classifier of the packaged phrasing library (:mod:`harness.policy.phrasings`), all its categories.

    The policy decides which categories are prohibited (``policy.prohibited_categories``).
    """
    from harness.policy.phrasings import default_library

    return _library_classifier(default_library())(text)


@functools.cache
def _library_classifier(library: object) -> PurposeClassifier:
    return library.classifier()  # type: ignore[attr-defined,no-any-return]


def check_case_number(policy: Policy, case: object) -> None:
    """Present (``case_number_required``), well-formed and not a placeholder (``case_number_invalid``)."""
    if not isinstance(case, str) or not case.strip():
        raise Refusal("case_number_required", "a search must carry a case or incident number")
    letters = "".join(ch for ch in case.upper() if ch.isalnum())
    if (not policy.case_number_min_length <= len(case) <= policy.case_number_max_length
            or not policy.case_number_pattern.fullmatch(case) or letters in policy.case_number_placeholders):
        raise Refusal("case_number_invalid",
                      "the case number is malformed or a placeholder (see the policy's case-number format)")


def check_prohibited(policy: Policy, fields: Mapping[str, object], classifier: PurposeClassifier) -> None:
    """No purpose field may name a prohibited purpose (``prohibited_purpose``, 403)."""
    for name in policy.purpose_fields:
        value = fields.get(name)
        category = classifier(value) if isinstance(value, str) and value.strip() else None
        if category in policy.prohibited_categories:
            raise Refusal("prohibited_purpose", f"{name} names a prohibited purpose ({category.replace('_', ' ')})")


def check_search_purpose(policy: Policy, fields: Mapping[str, object], classifier: PurposeClassifier) -> None:
    """Search rules 2-5: prohibited purpose, reason, offense type on the list, case number."""
    check_prohibited(policy, fields, classifier)
    reason = fields.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise Refusal("reason_required", "a search must state a reason")
    offense = fields.get("offense_type")
    if not isinstance(offense, str) or not offense.strip():
        raise Refusal("offense_type_required", "a search must name an offense type")
    if offense not in policy.offense_types:
        raise Refusal("offense_type_not_authorized", "the offense type is not on the city's list (GET /v1/offense-types)")
    check_case_number(policy, fields.get("case_number"))


def check_hotlist_purpose(policy: Policy, fields: Mapping[str, object], classifier: PurposeClassifier) -> None:
    """A hotlist states its purpose like a search, without an offense type (PC-HOT-02)."""
    check_prohibited(policy, fields, classifier)
    reason = fields.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise Refusal("reason_required", "a hotlist must state a reason")
    check_case_number(policy, fields.get("case_number"))
