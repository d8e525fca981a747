"""The privacy controls: each a test with a stable catalogue id that drives the sandbox as actors.

A control function takes the :class:`~harness.privacy.context.ControlContext` and returns a
``(result, message)`` pair; the message says what was observed. A control raises
:class:`~harness.privacy.context.SetupFailed` when it cannot test (INCONCLUSIVE) and
:class:`~harness.privacy.context.NotOffered` when the capability verifiably does not exist.

Controls judge the audit log against what the sandbox *actually did* (an attempt the server
allowed must be logged as allowed), so one broken rule fails the control about that rule only.
Ids, titles and fallbacks follow ``reference/privacy_controls.md`` part D; ``PC-AUTH-01`` is the
harness's own authentication check (the catalogue has no id for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.audit.analyze import Inputs, analyze
from harness.audit.purposes import SAMPLE_REASONS
from harness.audit.records import AuditInputError, log_from_json, roster_from_json
from harness.privacy.context import ControlContext, SetupFailed, delta, result_count
from harness.privacy.sandbox import Actor, ApiResult

PASS, FAIL, PARTIAL = "PASS", "FAIL", "PARTIAL"
ATTESTED, NOT_APPLICABLE, INCONCLUSIVE = "ATTESTED", "NOT-APPLICABLE", "INCONCLUSIVE"
RESULTS = (PASS, FAIL, PARTIAL, ATTESTED, NOT_APPLICABLE, INCONCLUSIVE)

Verdict = tuple[str, str]


@dataclass(frozen=True)
class Control:
    """One control: catalogue id and title, where it comes from, who acts, and its test."""

    id: str
    title: str
    source: str
    actors: str
    attestable: bool
    """Whether the catalogue accepts a signed attestation when the API cannot demonstrate it."""
    check: Callable[[ControlContext], Verdict]


CONTROLS: list[Control] = []


def control(id: str, title: str, *, source: str, actors: str, attestable: bool = False) -> Callable:
    """Register a control function (in run order)."""

    def register(fn: Callable[[ControlContext], Verdict]) -> Callable[[ControlContext], Verdict]:
        CONTROLS.append(Control(id, title, source, actors, attestable, fn))
        return fn

    return register


def _refused(result: ApiResult) -> bool:
    return result.status in (401, 403, 404) or (400 <= result.status < 500 and result_count(result) == 0)


def _verdict(problems: list[str], partial: list[str], passed: str) -> Verdict:
    if problems:
        return FAIL, "; ".join(problems + partial)
    if partial:
        return PARTIAL, "; ".join(partial)
    return PASS, passed


def _denied_search(ctx: ControlContext, who: str, actor: Actor, expect: str, problems: list[str],
                   partial: list[str], **query: str) -> ApiResult:
    """Search as ``actor``; a denial is expected (``expect`` names the status wanted)."""
    result = ctx.client.search(actor, **query, **ctx.purpose())
    kind = "wildcard" if "plate_pattern" in query else "full-plate"
    ctx.note(f"{who}: {kind} canary search answered {result.describe()}", result)
    if result_count(result):
        problems.append(f"{who} received {result_count(result)} result(s) for a {kind} canary search; expected {expect}")
    elif result.ok:
        partial.append(f"{who}'s {kind} canary search answered {result.status} with no results instead of {expect}")
    return result


# --------------------------------------------------------------------------- authentication


@control("PC-AUTH-01", "Missing, unknown or deactivated bearer tokens are rejected",
         source="RFP evaluation API (security: bearer); catalogue D6 PC-ACC-03 (deprovisioning)",
         actors="anonymous, a foreign (never issued) token, a deactivated home searcher")
def auth_rejects_bad_tokens(ctx: ControlContext) -> Verdict:
    admin = ctx.client.admin
    read_id = ctx.ingest(admin, ctx.canary(), ctx.now())
    gone = ctx.home_actor("searcher", "deactivated-searcher")
    if not ctx.client.deactivate_actor(gone.id).ok:
        raise SetupFailed("deactivating a test actor failed")
    foreign = f"pb-foreign-{ctx.nonce}-" + "0" * 24
    attempts: list[tuple[str, Callable[[], ApiResult]]] = [
        ("search without a token", lambda: ctx.client.search(None, plate=ctx.canary(), deliberate=True, **ctx.purpose())),
        ("audit log without a token", lambda: ctx.client.audit_log(None, deliberate=True)),  # type: ignore[arg-type]
        ("read by id without a token", lambda: ctx.client.get_read(None, read_id, deliberate=True)),
        ("search with a foreign token", lambda: ctx.client.search(None, token=foreign, deliberate=True,
                                                                   plate=ctx.canary(), **ctx.purpose())),
        ("audit log with a foreign token", lambda: ctx.client.audit_log(None, token=foreign, deliberate=True)),  # type: ignore[arg-type]
        ("search with a deactivated actor's token", lambda: ctx.client.search(gone, plate=ctx.canary(), **ctx.purpose())),
    ]
    problems = []
    for what, attempt in attempts:
        result = attempt()
        ctx.note(f"{what}: answered {result.describe()}", result)
        if result.status != 401:
            problems.append(f"{what} answered {result.describe()}; expected 401")
    return _verdict(problems, [], f"all {len(attempts)} requests without a valid token answered 401")


# --------------------------------------------------------------------------- sharing


@control("PC-SHR-01", "Default deny: no other organization can find home data unless the city enables it",
         source="privacy_controls.md D3 PC-SHR-01 (Denver Oct-2025 terms; IL SoS audit)",
         actors="in-state, out-of-state and federal searchers without an agreement")
def default_deny(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    problems: list[str] = []
    partial: list[str] = []
    for kind, label in (("instate", "in-state searcher without agreement"),
                        ("out_of_state", "out-of-state searcher"), ("federal", "federal searcher")):
        _, actor = ctx.outside_searcher(kind)
        _denied_search(ctx, label, actor, "403", problems, partial, plate=plate)
        _denied_search(ctx, label, actor, "403", problems, partial, plate_pattern=f"{ctx.prefix}*")
    return _verdict(problems, partial, "6 searches by 3 outside agencies without an agreement were refused with 403")


@control("PC-SHR-02", "No statewide or national lookup outside sharing agreements",
         source="privacy_controls.md D3 PC-SHR-02 (Denver Apr-2025; CA AG; Mountain View; Ventura)",
         actors="a fresh in-state searcher without an agreement (full-plate lookup); home auditor (roster)")
def no_national_lookup(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    _, actor = ctx.outside_searcher("instate", "lookup-instate")
    problems: list[str] = []
    partial: list[str] = []
    _denied_search(ctx, "in-state searcher without agreement", actor, "403", problems, partial, plate=plate)
    auditor = ctx.home_actor("auditor", "roster-auditor")
    roster = ctx.client.access_roster(auditor)
    agreements = ctx.client.list_agreements(auditor)
    if not roster.ok or not agreements.ok:
        raise SetupFailed(f"roster answered {roster.describe()}, agreements {agreements.describe()}")
    covered = {a.get("agency_id") for a in agreements.get("agreements", []) if a.get("status") == "active"}
    exposed = [a for a in roster.get("accounts", [])
               if a.get("agency_kind") != "home" and a.get("agency_id") not in covered and a.get("home_data_access")]
    ctx.note(f"roster lists {len(exposed)} account(s) outside any agreement with home data access", roster)
    if exposed:
        problems.append(f"the access roster shows {len(exposed)} account(s) of agencies without an agreement "
                        "able to reach home data")
    return _verdict(problems, partial, "a full-plate lookup without an agreement was refused, and the roster "
                                       "shows no account outside an agreement with access to home data")


@control("PC-SHR-03", "Sharing only under an agreement with the home agency, revocable at once",
         source="privacy_controls.md D3 PC-SHR-03 (Denver MOU rule; IL written declaration)",
         actors="partner searcher (before, under and after an agreement), in-state searcher without one, home admin")
def sharing_by_agreement(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    partner_id, partner = ctx.outside_searcher("partner")
    _, stranger = ctx.outside_searcher("instate", "instate-bystander")
    problems: list[str] = []
    partial: list[str] = []
    _denied_search(ctx, "partner searcher before any agreement", partner, "403", problems, partial, plate=plate)
    agreement_id = ctx.agreement(partner_id)
    under = ctx.client.search(partner, plate=plate, **ctx.purpose())
    ctx.note(f"partner searcher under the agreement: {under.describe()}", under)
    if result_count(under) != 1:
        problems.append(f"partner searcher under an active agreement got {under.describe()}; expected 200 with 1 result")
    _denied_search(ctx, "in-state searcher without agreement (while the partner has one)", stranger, "403",
                   problems, partial, plate=plate)
    revoked = ctx.client.revoke_agreement(agreement_id)
    if not revoked.ok:
        raise SetupFailed(f"revoking the agreement answered {revoked.describe()}")
    _denied_search(ctx, "partner searcher right after revocation", partner, "403 at once", problems, partial, plate=plate)
    return _verdict(problems, partial, "no access before the agreement, access under it, none for a bystander, "
                                       "and none right after revocation")


def _refused_agreement(ctx: ControlContext, kind: str, label: str) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    agency_id, actor = ctx.outside_searcher(kind)
    problems: list[str] = []
    partial: list[str] = []
    offered = ctx.client.create_agreement(agency_id)
    ctx.note(f"home admin offering a sharing agreement to the {label} agency: {offered.describe()}", offered)
    if offered.ok:
        partial.append(f"a sharing agreement with a {label} agency was accepted ({offered.status}); expected 403")
    _denied_search(ctx, f"{label} searcher" + (" under an agreement" if offered.ok else ""), actor, "403",
                   problems, partial, plate=plate)
    _denied_search(ctx, f"{label} searcher", actor, "403", problems, partial, plate_pattern=f"{ctx.prefix}*")
    return _verdict(problems, partial, f"a sharing agreement with a {label} agency was refused and its "
                                       "searches were refused with 403")


@control("PC-SHR-04", "No federal access, even with an agreement request",
         source="privacy_controls.md D3 PC-SHR-04 (Denver Oct-2025; CO SB21-131; IL SoS)",
         actors="home admin (offers an agreement), federal searcher")
def no_federal_access(ctx: ControlContext) -> Verdict:
    return _refused_agreement(ctx, "federal", "federal")


@control("PC-SHR-05", "No out-of-state access and no re-sharing by partners",
         source="privacy_controls.md D3 PC-SHR-05 (Denver terms; IL 2-130; CA AG)",
         actors="home admin, out-of-state searcher; partner admin attempting to re-share")
def no_out_of_state_access(ctx: ControlContext) -> Verdict:
    verdict = _refused_agreement(ctx, "out_of_state", "out-of-state")
    partner_id = ctx.agency("partner", "resharing-partner")
    partner_admin = ctx.actor(partner_id, "admin", "partner-admin")
    target = ctx.agency("instate", "reshare-target")
    ctx.agreement(partner_id)
    reshare = ctx.client.create_agreement(target, actor=partner_admin)
    ctx.note(f"partner admin re-sharing home data with another agency: {reshare.describe()}", reshare)
    if reshare.ok:
        return FAIL, "; ".join(filter(None, [verdict[1] if verdict[0] != PASS else "",
                                            (f"a partner admin created a sharing agreement ({reshare.status}); "
                                            "expected 403")]))
    return verdict if verdict[0] != PASS else (PASS, verdict[1] + "; a partner admin could not re-share")


# --------------------------------------------------------------------------- purpose


def _must_refuse(ctx: ControlContext, actor: Actor, plate: str, what: str, expect: str,
                 problems: list[str], **overrides: str | None) -> None:
    result = ctx.client.search(actor, plate=plate, **ctx.purpose(**overrides))
    ctx.note(f"{what}: {result.describe()}", result)
    if result.ok:
        problems.append(f"{what} answered {result.describe()}; expected {expect}")
    elif result.code != expect.split(" ")[-1]:
        ctx.note(f"{what}: refused with code {result.code!r} rather than {expect!r}")


@control("PC-PUR-01", "A reason and an offense type from the city's list are required for every search",
         source="privacy_controls.md D4 PC-PUR-01 (Denver crime list; CA Civ. Code 1798.90.52)",
         actors="home searcher")
def reason_required(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    searcher = ctx.home_actor("searcher", "purpose-searcher")
    ctx.expect_allowed_search(searcher, plate, "a fully stated search")
    problems: list[str] = []
    _must_refuse(ctx, searcher, plate, "search without a reason", "400 reason_required", problems, reason=None)
    _must_refuse(ctx, searcher, plate, "search with a blank reason", "400 reason_required", problems, reason="   ")
    _must_refuse(ctx, searcher, plate, "search without an offense type", "400 offense_type_required", problems,
                 offense_type=None)
    _must_refuse(ctx, searcher, plate, "search with an offense type not on the city's list",
                 "400 offense_type_not_authorized", problems, offense_type="pb_not_a_listed_offense")
    return _verdict(problems, [], "searches without a reason or with an unlisted offense type were refused")


@control("PC-PUR-02", "A well-formed case or incident number is required for every search",
         source="privacy_controls.md D4 PC-PUR-02", actors="home searcher")
def case_number_required(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    searcher = ctx.home_actor("searcher", "case-searcher")
    ctx.expect_allowed_search(searcher, plate, "a search with a valid case number")
    problems: list[str] = []
    _must_refuse(ctx, searcher, plate, "search without a case number", "400 case_number_required", problems,
                 case_number=None)
    _must_refuse(ctx, searcher, plate, "search with a malformed case number ('--')", "400 case_number_invalid",
                 problems, case_number="--")
    return _verdict(problems, [], "searches without a case number or with a malformed one were refused")


@control("PC-PUR-03", "Prohibited purposes are refused (immigration, reproductive care, protest)",
         source="privacy_controls.md D4 PC-PUR-03 (IL 2-130; CO SB21-131; Denver terms; WA SB 6002)",
         actors="home searcher")
def prohibited_purposes(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    searcher = ctx.home_actor("searcher", "prohibited-searcher")
    ctx.expect_allowed_search(searcher, plate, "a search with a lawful purpose")
    attempts = [("reason", r) for reasons in SAMPLE_REASONS.values() for r in reasons]
    attempts.append(("case_number", f"ICE-{ctx.nonce}-2026"))
    accepted = []
    for field, value in attempts:
        result = ctx.client.search(searcher, plate=plate, **ctx.purpose(**{field: value}))
        ctx.note(f"{field} {value!r}: {result.describe()}", result)
        if result.ok:
            accepted.append(f"{field} {value!r} answered {result.describe()}")
    if accepted:
        return FAIL, (f"{len(accepted)} of {len(attempts)} prohibited-purpose searches were accepted "
                      f"(expected 403 prohibited_purpose): " + "; ".join(accepted))
    return PASS, f"all {len(attempts)} prohibited-purpose searches (spelling variants included) were refused"


# --------------------------------------------------------------------------- audit


def _entries_by_case(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry.get("action") == "search" and entry.get("case_number"):
            found.setdefault(str(entry["case_number"]), []).append(entry)
    return found


def _outcome(result: ApiResult) -> str:
    return "allowed" if result.ok else "denied"


@control("PC-AUD-01", "Every search is logged exactly once with complete, correct fields",
         source="privacy_controls.md D5 PC-AUD-01 (CA Civ. Code 1798.90.52; CJIS AU-2/AU-3)",
         actors="home searcher (full-plate, wildcard and time-bounded searches), home auditor")
def audit_complete(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    now = ctx.now()
    ctx.ingest(ctx.client.admin, plate, now - delta(days=1))
    searcher = ctx.home_actor("searcher", "audited-searcher")
    auditor = ctx.home_actor("auditor", "audit-auditor")
    scripted: list[tuple[str, dict[str, str | None], ApiResult]] = []
    for kind, query in (("full-plate", {"plate": plate}), ("wildcard", {"plate_pattern": f"{plate[:-2]}*"}),
                        ("time-bounded", {"plate": plate, "from_": ctx.iso(now - delta(days=2)), "to": ctx.iso(now)})):
        purpose = ctx.purpose()
        result = ctx.client.search(searcher, **query, **purpose)
        ctx.note(f"{kind} search: {result.describe()}", result)
        scripted.append((kind, purpose, result))
    by_case = _entries_by_case(ctx.audit_entries(auditor))
    problems = []
    for kind, purpose, result in scripted:
        hits = by_case.get(str(purpose["case_number"]), [])
        if len(hits) != 1:
            problems.append(f"the {kind} search ({_outcome(result)}) appears {len(hits)} times in the audit log; expected once")
            continue
        entry = hits[0]
        expected = {
            "actor_id": searcher.id, "agency_id": ctx.home_agency_id, "agency_kind": "home",
            "actor_role": "searcher", "reason": purpose["reason"], "offense_type": purpose["offense_type"],
            "outcome": _outcome(result), "search_id": result.get("search_id"),
            "result_count": result_count(result) if result.ok else entry.get("result_count"),
        }
        wrong = [f"{k}={entry.get(k)!r} (expected {v!r})" for k, v in expected.items() if entry.get(k) != v]
        empty = [k for k in ("id", "at", "actor_name", "agency_name") if not entry.get(k)]
        if wrong or empty:
            problems.append(f"the {kind} search's entry has " + ", ".join(wrong + [f"empty {k}" for k in empty]))
    return _verdict(problems, [], f"{len(scripted)} scripted searches each appear once with every field correct")


@control("PC-AUD-02", "The city sees outside agencies' searches with full identity (no redaction)",
         source="privacy_controls.md D5 PC-AUD-02 (Flock Dec-2025 log change; CA 1798.90.52)",
         actors="partner searcher under an agreement, out-of-state searcher, home auditor")
def audit_unredacted(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    partner_id, partner = ctx.outside_searcher("partner", "audited-partner")
    ctx.agreement(partner_id)
    _, outsider = ctx.outside_searcher("out_of_state", "audited-oos")
    auditor = ctx.home_actor("auditor", "identity-auditor")
    scripted = []
    for who, actor in (("partner searcher", partner), ("out-of-state searcher", outsider)):
        purpose = ctx.purpose()
        result = ctx.client.search(actor, plate=plate, **purpose)
        ctx.note(f"{who} search: {result.describe()}", result)
        scripted.append((who, actor, purpose, result))
    by_case = _entries_by_case(ctx.audit_entries(auditor))
    problems = []
    checked = 0
    for who, actor, purpose, result in scripted:
        hits = by_case.get(str(purpose["case_number"]), [])
        if not hits:
            if result.ok:
                problems.append(f"the {who}'s allowed search is missing from the home auditor's export")
            continue  # a missing denied attempt is PC-AUD-03's finding
        checked += 1
        entry = hits[0]
        expected = {"actor_id": actor.id, "actor_name": f"PB {ctx.nonce} {actor.label}", "agency_id": actor.agency_id,
                    "reason": purpose["reason"], "case_number": purpose["case_number"]}
        wrong = [f"{k}={entry.get(k)!r}" for k, v in expected.items() if entry.get(k) != v]
        if not entry.get("agency_name") or not entry.get("agency_kind"):
            wrong.append("agency name/kind blank")
        if wrong:
            problems.append(f"the {who}'s entry is redacted or wrong: " + ", ".join(wrong) + " (expected the full identity)")
    return _verdict(problems, [], f"{checked} outside searches appear in the home export with full identity")


@control("PC-AUD-03", "Denied attempts are logged (refused searches and failed authentication)",
         source="privacy_controls.md D5 PC-AUD-03 (CJIS AU-2)", attestable=True,
         actors="home searcher (no reason; prohibited purpose), home auditor (may not search), "
                "in-state searcher without agreement, an unknown token")
def denied_logged(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    searcher = ctx.home_actor("searcher", "denied-searcher")
    auditor = ctx.home_actor("auditor", "denied-auditor")
    _, stranger = ctx.outside_searcher("instate", "denied-instate")
    scripted = []
    for what, actor, overrides in (("search without a reason", searcher, {"reason": None}),
                                   ("search for a prohibited purpose", searcher, {"reason": "ICE"}),
                                   ("search by the home auditor", auditor, {}),
                                   ("search by an in-state agency without agreement", stranger, {})):
        purpose = ctx.purpose(**overrides)
        result = ctx.client.search(actor, plate=plate, **purpose)
        ctx.note(f"{what}: {result.describe()}", result)
        scripted.append((what, purpose, result))
    probe = f"/v1/reads/pb-login-probe-{ctx.nonce}"
    login = ctx.client.call("GET", probe, None, token=f"pb-unknown-{ctx.nonce}-" + "1" * 24, deliberate=True)
    ctx.note(f"request with an unknown token: {login.describe()}", login)
    entries = ctx.audit_entries(auditor)
    by_case = _entries_by_case(entries)
    problems, checked = [], 0
    for what, purpose, result in scripted:
        if result.ok:
            continue  # the refusal itself is another control's finding
        checked += 1
        denied = [e for e in by_case.get(str(purpose["case_number"]), []) if e.get("outcome") == "denied"]
        if len(denied) != 1:
            problems.append(f"the refused {what} ({result.describe()}) has {len(denied)} denied audit entries; expected 1")
    if login.status == 401:
        checked += 1
        logins = [e for e in entries if e.get("action") == "login" and e.get("outcome") == "denied"
                  and isinstance(e.get("query"), dict) and e["query"].get("path") == probe]
        if len(logins) != 1:
            problems.append(f"the failed authentication has {len(logins)} denied login entries; expected 1")
    if checked == 0:
        raise SetupFailed("the sandbox refused none of the scripted attempts, so there was nothing to look for")
    return _verdict(problems, [], f"{checked} refused attempts each appear once as denied")


# --------------------------------------------------------------------------- access


@control("PC-ACC-02", "Role-based least privilege (auditors cannot search; searchers cannot administer)",
         source="privacy_controls.md D6 PC-ACC-02", actors="home auditor, home searcher")
def least_privilege(ctx: ControlContext) -> Verdict:
    auditor = ctx.home_actor("auditor", "rbac-auditor")
    searcher = ctx.home_actor("searcher", "rbac-searcher")
    partner_id = ctx.agency("partner", "rbac-partner")
    problems = []
    for what, call in (
        ("home auditor searching", lambda: ctx.client.search(auditor, plate=ctx.canary(), **ctx.purpose())),
        ("home searcher reading the audit log", lambda: ctx.client.audit_log(searcher)),
        ("home searcher changing retention", lambda: ctx.client.set_retention(1, actor=searcher)),
        ("home searcher creating a sharing agreement", lambda: ctx.client.create_agreement(partner_id, actor=searcher)),
    ):
        result = call()
        ctx.note(f"{what}: {result.describe()}", result)
        if result.status != 403:
            problems.append(f"{what} answered {result.describe()}; expected 403")
    return _verdict(problems, [], "4 out-of-role requests were refused with 403")


@control("PC-ACC-04", "Tenant isolation at object level: no cross-tenant read by id",
         source="privacy_controls.md D6 PC-ACC-04 (IDOR)",
         actors="out-of-state, federal and in-state searchers (home read); home searcher (another tenant's read)")
def no_idor(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    home_read = ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    other_id = ctx.agency("instate", "idor-tenant")
    other_admin = ctx.actor(other_id, "admin", "idor-tenant-admin")
    other_read = ctx.ingest(other_admin, ctx.canary(), ctx.now() - delta(days=1))
    home_searcher = ctx.home_actor("searcher", "idor-home-searcher")
    attempts = [(f"{kind.replace('_', '-')} searcher fetching a home read by id", ctx.outside_searcher(kind, f"idor-{kind}")[1], home_read)
                for kind in ("out_of_state", "federal", "instate")]
    attempts.append(("home searcher fetching another tenant's read by id", home_searcher, other_read))
    problems = []
    for what, actor, read_id in attempts:
        result = ctx.client.get_read(actor, read_id)
        ctx.note(f"{what}: {result.describe()}", result)
        if result.ok or result.status not in (403, 404):
            problems.append(f"{what} answered {result.describe()}" + (" with the read" if result.ok else "")
                            + "; expected 404")
    own = ctx.client.get_read(home_searcher, home_read)
    ctx.note(f"home searcher fetching a home read (positive control): {own.describe()}", own)
    if not own.ok:
        raise SetupFailed(f"the home searcher could not fetch a home read by id ({own.describe()})")
    return _verdict(problems, [], "4 cross-tenant fetches by id answered 404; the owner's fetch worked")


# --------------------------------------------------------------------------- external access metric


@control("PC-SHR-07", "External-access share computable from the roster and audit log (the auditor's 80% figure)",
         source="privacy_controls.md D3 PC-SHR-07 (Denver auditor, Feb 2026)",
         actors="home auditor; 2 partner searchers under an agreement; 1 in-state account; 1 home searcher")
def external_access_metric(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    partner_id = ctx.agency("partner", "metric-partner")
    partners = [ctx.actor(partner_id, "searcher", f"metric-partner-{i}") for i in (1, 2)]
    instate_id, instate = ctx.outside_searcher("instate", "metric-instate")
    home = ctx.home_actor("searcher", "metric-home")
    auditor = ctx.home_actor("auditor", "metric-auditor")
    ctx.agreement(partner_id)
    cases = {}
    for actor in (*partners, home):
        purpose = ctx.purpose()
        result = ctx.client.search(actor, plate=plate, **purpose)
        ctx.note(f"{actor.label} search: {result.describe()}", result)
        if not result.ok:
            raise SetupFailed(f"{actor.label}'s search was refused ({result.describe()})")
        cases[str(purpose["case_number"])] = actor
    roster = ctx.client.access_roster(auditor)
    log = ctx.client.audit_log(auditor)
    if not roster.ok or not log.ok:
        raise SetupFailed(f"roster answered {roster.describe()}, audit log {log.describe()}")
    try:
        accounts = roster_from_json(roster.body, "GET /v1/access-roster")
        entries = log_from_json(log.body, "GET /v1/audit-log")
        report = analyze(Inputs(accounts, entries), ctx.home_agency_id)
    except AuditInputError as exc:
        return FAIL, f"the roster and audit-log exports cannot be analyzed: {exc}"
    problems = []
    listed = {a.actor_id: a for a in accounts}
    for actor, kind in ((partners[0], "partner"), (partners[1], "partner"), (instate, "instate"), (home, "home")):
        account = listed.get(actor.id)
        if account is None:
            problems.append(f"{actor.label}'s account is missing from the access roster")
        elif account.agency_kind != kind or account.agency_id != actor.agency_id:
            problems.append(f"{actor.label}'s roster entry says agency {account.agency_id} ({account.agency_kind}); "
                            f"expected {actor.agency_id} ({kind})")
    by_case = _entries_by_case(log.body.get("entries", []))
    for case, actor in cases.items():
        hits = by_case.get(case, [])
        if len(hits) != 1 or hits[0].get("agency_id") != actor.agency_id:
            problems.append(f"{actor.label}'s allowed search is not attributed to its agency in the audit log "
                            f"({len(hits)} entries)")
    acc, srch = report["accounts"]["outside_home"], report["searches"]["outside_home"]
    figure = (f"accounts outside the home agency {acc['percent']}% ({acc['count']} of {acc['of']}), "
              f"searches {srch['percent']}% ({srch['count']} of {srch['of']})")
    ctx.note(f"computed from the exports: {figure}")
    ctx.note(f"account kinds: {report['accounts']['by_kind']}; instate agency {instate_id}")
    return _verdict(problems, [], f"roster and log account for every scripted account and search; {figure}")


# --------------------------------------------------------------------------- retention and termination


@control("PC-RET-01", "Reads are purged once older than the retention period (sandbox clock)",
         source="privacy_controls.md D2 PC-RET-01 (Denver-Axon 21 days)", attestable=True,
         actors="home admin (retention, clock), home searcher")
def retention_enforced(ctx: ControlContext) -> Verdict:
    current = ctx.client.get_retention()
    if not current.ok or not isinstance(current.get("max_days"), int):
        raise SetupFailed(f"GET /v1/retention answered {current.describe()}")
    days = min(21, int(current.body["max_days"]))
    if not ctx.client.set_retention(days).ok:
        raise SetupFailed(f"setting retention to {days} days failed")
    now = ctx.now()
    keep, expire = ctx.canary(), ctx.canary()
    keep_id = ctx.ingest(ctx.client.admin, keep, now - delta(days=days - 2))
    expire_id = ctx.ingest(ctx.client.admin, expire, now - delta(days=days, seconds=-12 * 3600))
    searcher = ctx.home_actor("searcher", "retention-searcher")
    for plate in (keep, expire):
        ctx.expect_allowed_search(searcher, plate, "a canary inside the retention period")
    if not ctx.client.advance_clock(86400).ok:
        raise SetupFailed("advancing the sandbox clock failed")
    problems = []
    old = ctx.client.search(searcher, plate=expire, **ctx.purpose())
    ctx.note(f"search for the canary now {days}.5 days old: {old.describe()}", old)
    if result_count(old):
        problems.append(f"a read {days}.5 days old (retention {days} days) was still found by search ({old.describe()}); expected no result")
    fetched = ctx.client.get_read(searcher, expire_id)
    ctx.note(f"fetch by id of that read: {fetched.describe()}", fetched)
    if fetched.ok:
        problems.append(f"a read past retention was still fetchable by id ({fetched.status}); expected 404")
    young = ctx.client.search(searcher, plate=keep, **ctx.purpose())
    ctx.note(f"search for the canary {days - 1} days old: {young.describe()}", young)
    if result_count(young) != 1:
        problems.append(f"a read inside retention was lost ({young.describe()}); expected 1 result")
    ctx.note(f"kept read id {keep_id}")
    return _verdict(problems, [], f"with retention {days} days, a read past it was neither searchable nor "
                                  "fetchable and a read inside it was kept")


@control("PC-RET-06", "Audit logs are kept at least a year, independent of read retention",
         source="privacy_controls.md D2 PC-RET-06 (CJIS AU-11)", attestable=True,
         actors="home searcher, home auditor, home admin (clock)")
def audit_log_retained(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1))
    searcher = ctx.home_actor("searcher", "logkeep-searcher")
    auditor = ctx.home_actor("auditor", "logkeep-auditor")
    purpose = ctx.purpose()
    result = ctx.client.search(searcher, plate=plate, **purpose)
    ctx.note(f"search to be remembered: {result.describe()}", result)
    case = str(purpose["case_number"])
    if len(_entries_by_case(ctx.audit_entries(auditor)).get(case, [])) != 1:
        raise SetupFailed("the search was not logged in the first place (see PC-AUD-01)")
    if not ctx.client.advance_clock(366 * 86400).ok:
        raise SetupFailed("advancing the sandbox clock by 366 days failed")
    later = _entries_by_case(ctx.audit_entries(auditor)).get(case, [])
    ctx.note(f"366 sandbox days later the entry appears {len(later)} time(s)")
    if len(later) != 1:
        return FAIL, f"366 days after the search its audit entry appears {len(later)} times; expected once"
    return PASS, "the audit entry of a search was still exported 366 sandbox days later"


@control("PC-RET-05", "Termination: full export (reads and audit log), then verified deletion",
         source="privacy_controls.md D2 PC-RET-05 (Fayetteville; Evanston)", attestable=True,
         actors="home admin, home searcher, home auditor")
def termination(ctx: ControlContext) -> Verdict:
    plate = ctx.canary()
    captured = ctx.now() - delta(days=1)
    read_id = ctx.ingest(ctx.client.admin, plate, captured, camera="pb-cam-term")
    searcher = ctx.home_actor("searcher", "termination-searcher")
    auditor = ctx.home_actor("auditor", "termination-auditor")
    ctx.expect_allowed_search(searcher, plate, "the canary before termination")
    problems = []
    export = ctx.client.termination_export()
    ctx.note(f"termination export: {export.status}, count {export.get('count')}", export)
    if not export.ok:
        problems.append(f"the termination export answered {export.describe()}")
    else:
        mine = [r for r in export.get("reads", []) if r.get("id") == read_id]
        if len(mine) != 1 or mine[0].get("plate") != plate or mine[0].get("camera_id") != "pb-cam-term":
            problems.append("the export does not hold the canary read with its plate and camera")
        if not export.get("audit_entries"):
            problems.append("the export holds no audit entries")
    deleted = ctx.client.termination_delete()
    ctx.note(f"termination delete: {deleted.describe()}, deleted {deleted.get('deleted')}", deleted)
    if not deleted.ok:
        return FAIL, "; ".join(problems + [f"termination delete answered {deleted.describe()}"])
    after = ctx.client.search(searcher, plate=plate, **ctx.purpose())
    ctx.note(f"search after deletion: {after.describe()}", after)
    if result_count(after):
        problems.append(f"after termination delete a search still found the canary ({after.describe()}); "
                        "expected no result")
    fetched = ctx.client.get_read(searcher, read_id)
    ctx.note(f"fetch by id after deletion: {fetched.describe()}", fetched)
    if fetched.ok:
        problems.append(f"after termination delete the canary was still fetchable by id ({fetched.status}); "
                        "expected 404")
    kept = ctx.client.audit_log(auditor)
    ctx.note(f"audit log after deletion: {kept.describe()}", kept)
    if not kept.ok:
        problems.append(f"the audit log was not exportable after deletion ({kept.describe()})")
    return _verdict(problems, [], "export held the canary and the audit log; after deletion the canary was "
                                  "neither searchable nor fetchable and the audit log remained")
