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
    final: bool = False
    """Runs after every other control (the termination drill ends the sandbox's data)."""


CONTROLS: list[Control] = []


def control(id: str, title: str, *, source: str, actors: str, attestable: bool = False,
            final: bool = False) -> Callable:
    """Register a control function (in run order; ``final`` ones last)."""

    def register(fn: Callable[[ControlContext], Verdict]) -> Callable[[ControlContext], Verdict]:
        CONTROLS.append(Control(id, title, source, actors, attestable, fn, final))
        CONTROLS.sort(key=lambda c: c.final)
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
    result = ctx.client.search(actor, **query, **ctx.purpose(actor))
    kind = "wildcard" if "plate_pattern" in query else "full-plate"
    ctx.note(f"{who}: {kind} search of a home plate answered {result.describe()}", result)
    if result_count(result):
        problems.append(f"{who} received {result_count(result)} result(s) for a {kind} search of a home plate; expected {expect}")
    elif result.ok:
        partial.append(f"{who}'s {kind} search of a home plate answered {result.status} with no results instead of {expect}")
    return result


def _expect_status(ctx: ControlContext, what: str, result: ApiResult, wanted: tuple[int, ...],
                   problems: list[str]) -> None:
    """Note ``result``; a status outside ``wanted`` is a problem (data handed over is said so)."""
    ctx.note(f"{what}: {result.describe()}", result)
    if result.status not in wanted:
        leak = " with data" if result.ok else ""
        problems.append(f"{what} answered {result.describe()}{leak}; expected {'/'.join(map(str, wanted))}")


def _no_access(ctx: ControlContext, who: str, actor: Actor, plate: str, read_id: str, expect: str,
               problems: list[str], partial: list[str], *, fetch_baseline: Actor | None = None) -> None:
    """Full-plate and wildcard search of one home read must give nothing; with ``fetch_baseline`` (an
    outsider that never had an agreement), a fetch by id too, unless the baseline can fetch it as well:
    then object-level isolation is broken for everyone, which is PC-ACC-04's finding, not this one's."""
    _denied_search(ctx, who, actor, expect, problems, partial, plate=plate)
    _denied_search(ctx, who, actor, expect, problems, partial, plate_pattern=ctx.pattern(plate))
    if fetch_baseline is None:
        return
    fetched = ctx.client.get_read(actor, read_id)
    ctx.note(f"{who}: fetch of a home read by id answered {fetched.describe()}", fetched)
    if fetched.ok:
        baseline = ctx.client.get_read(fetch_baseline, read_id)
        ctx.note(f"{fetch_baseline.label} (never an agreement), same fetch: {baseline.describe()}", baseline)
        if not baseline.ok:
            problems.append(f"{who} fetched a home read by id ({fetched.status}); expected 404")


def _full_access(ctx: ControlContext, who: str, actor: Actor, plate: str, read_id: str,
                 problems: list[str]) -> None:
    """Full-plate search, wildcard search and fetch by id of one home read: each must find it."""
    for kind, query in (("full-plate", {"plate": plate}), ("wildcard", {"plate_pattern": ctx.pattern(plate)})):
        result = ctx.client.search(actor, **query, **ctx.purpose(actor))
        ctx.note(f"{who}: {kind} search answered {result.describe()}", result)
        found = [r for r in (result.get("results") or []) if isinstance(r, dict) and r.get("id") == read_id]
        if len(found) != 1:
            problems.append(f"{who}'s {kind} search answered {result.describe()} without the home read; "
                            "expected it once")
    fetched = ctx.client.get_read(actor, read_id)
    ctx.note(f"{who}: fetch by id answered {fetched.describe()}", fetched)
    if not fetched.ok:
        problems.append(f"{who}'s fetch of a home read by id answered {fetched.describe()}; expected 200")


# --------------------------------------------------------------------------- authentication


@control("PC-AUTH-01", "Missing, unknown or deactivated bearer tokens are rejected",
         source="RFP evaluation API (security: bearer); catalogue D6 PC-ACC-03 (deprovisioning)",
         actors="anonymous, a foreign (never issued) token, home and partner searchers and a home admin "
                "(each used before and after deactivation)")
def auth_rejects_bad_tokens(ctx: ControlContext) -> Verdict:
    plate, read_id = ctx.planted(days_ago=0.1)
    foreign = ctx.random_token()
    problems: list[str] = []
    partner_id = ctx.agency("partner", "deactivation-partner")
    ctx.agreement(partner_id)
    doomed = [ctx.home_actor("searcher", "deactivated-home-searcher"),
              ctx.actor(partner_id, "searcher", "deactivated-partner-searcher"),
              ctx.home_actor("admin", "deactivated-home-admin")]
    for actor in doomed:  # a token that works before deactivation...
        before = (ctx.client.search(actor, plate=plate, **ctx.purpose(actor)) if actor.role == "searcher"
                  else ctx.client.access_roster(actor))
        ctx.note(f"{actor.label} before deactivation: {before.describe()}", before)
        if not before.ok:
            raise SetupFailed(f"{actor.label}'s token did not work before deactivation ({before.describe()})")
        ctx.deactivate(actor)
    attempts: list[tuple[str, Callable[[], ApiResult]]] = [
        ("search without a token", lambda: ctx.client.search(None, plate=plate, deliberate=True, **ctx.purpose())),
        ("audit log without a token", lambda: ctx.client.audit_log(None, deliberate=True)),  # type: ignore[arg-type]
        ("read by id without a token", lambda: ctx.client.get_read(None, read_id, deliberate=True)),
        ("search with a never-issued token", lambda: ctx.client.search(None, token=foreign, deliberate=True,
                                                                        plate=plate, **ctx.purpose())),
        ("audit log with a never-issued token",
         lambda: ctx.client.audit_log(None, token=foreign, deliberate=True)),  # type: ignore[arg-type]
    ]
    for actor in doomed:  # ...and the same token after
        if actor.role == "searcher":
            attempts.append((f"search with {actor.label}'s token after deactivation",
                             lambda a=actor: ctx.client.search(a, plate=plate, **ctx.purpose(a))))
            attempts.append((f"fetch by id with {actor.label}'s token after deactivation",
                             lambda a=actor: ctx.client.get_read(a, read_id)))
        else:
            attempts.append((f"roster with {actor.label}'s token after deactivation",
                             lambda a=actor: ctx.client.access_roster(a)))
    for what, attempt in attempts:
        _expect_status(ctx, what, attempt(), (401,), problems)
    return _verdict(problems, [], f"all {len(attempts)} requests without a valid token (missing, never issued, "
                                  "or of a deactivated actor that worked before) answered 401")


# --------------------------------------------------------------------------- sharing


@control("PC-SHR-01", "Default deny: no other organization can find home data unless the city enables it",
         source="privacy_controls.md D3 PC-SHR-01 (Denver Oct-2025 terms; IL SoS audit)",
         actors="in-state, out-of-state and federal searchers and admins without an agreement")
def default_deny(ctx: ControlContext) -> Verdict:
    plate, read_id = ctx.planted()
    problems: list[str] = []
    partial: list[str] = []
    for kind, label in (("instate", "in-state"), ("out_of_state", "out-of-state"), ("federal", "federal")):
        agency_id, searcher = ctx.outside_searcher(kind)
        admin = ctx.actor(agency_id, "admin", f"{kind}-admin")
        for role, actor in (("searcher", searcher), ("admin", admin)):
            _no_access(ctx, f"{label} {role} without agreement", actor, plate, read_id, "403", problems, partial)
    return _verdict(problems, partial, "searches (full-plate and wildcard) and fetches by id by the searchers and "
                                       "admins of in-state, out-of-state and federal agencies without an agreement "
                                       "gave nothing")


@control("PC-SHR-02", "No statewide or national lookup outside sharing agreements",
         source="privacy_controls.md D3 PC-SHR-02 (Denver Apr-2025; CA AG; Mountain View; Ventura)",
         actors="a fresh in-state searcher without an agreement (full-plate lookup); home auditor (roster)")
def no_national_lookup(ctx: ControlContext) -> Verdict:
    plate, _ = ctx.planted()
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
                        "able to reach home data; expected none outside an active agreement")
    return _verdict(problems, partial, "a full-plate lookup without an agreement was refused, and the roster "
                                       "shows no account outside an agreement with access to home data")


@control("PC-SHR-03", "Sharing only under an agreement with the home agency, revocable at once, ending on expiry",
         source="privacy_controls.md D3 PC-SHR-03 (Denver MOU rule; IL written declaration)",
         actors="partner searchers (before, under, after revocation; one created during the agreement), "
                "a partner under an expiring agreement, in-state searcher without one, home admin")
def sharing_by_agreement(ctx: ControlContext) -> Verdict:
    plate, read_id = ctx.planted()
    partner_id, partner = ctx.outside_searcher("partner")
    _, stranger = ctx.outside_searcher("instate", "instate-bystander")
    problems: list[str] = []
    partial: list[str] = []
    _no_access(ctx, "partner searcher before any agreement", partner, plate, read_id, "403", problems, partial,
               fetch_baseline=stranger)
    agreement_id = ctx.agreement(partner_id)
    newcomer = ctx.actor(partner_id, "searcher", "partner-searcher-added-under-agreement")
    _full_access(ctx, "partner searcher under the agreement", partner, plate, read_id, problems)
    _full_access(ctx, "partner searcher created during the agreement", newcomer, plate, read_id, problems)
    _no_access(ctx, "in-state searcher without agreement (while the partner has one)", stranger, plate, read_id,
               "403", problems, partial)
    revoked = ctx.client.revoke_agreement(agreement_id)
    if not revoked.ok:
        raise SetupFailed(f"revoking the agreement answered {revoked.describe()}")
    for who, actor in (("partner searcher right after revocation", partner),
                       ("partner searcher created during the agreement, after revocation", newcomer)):
        _no_access(ctx, who, actor, plate, read_id, "403 at once", problems, partial, fetch_baseline=stranger)
    # an agreement with an expiry: access until it, none after (sandbox clock)
    expiring_id, expiring = ctx.outside_searcher("partner", "expiring-partner")
    ctx.agreement(expiring_id, expires_at=ctx.now() + delta(seconds=3600))
    _full_access(ctx, "partner searcher under an agreement expiring in an hour", expiring, plate, read_id, problems)
    if not ctx.client.advance_clock(3660).ok:
        raise SetupFailed("advancing the sandbox clock past the agreement's expiry failed")
    _no_access(ctx, "partner searcher after its agreement expired", expiring, plate, read_id, "403", problems, partial,
               fetch_baseline=stranger)
    return _verdict(problems, partial, "no access before the agreement, full access under it (also for an account "
                                       "created during it), none for a bystander, none right after revocation or "
                                       "after expiry, by search (full and wildcard) or by id")


def _refused_agreement(ctx: ControlContext, kind: str, label: str) -> tuple[list[str], list[str]]:
    plate, read_id = ctx.planted()
    agency_id, actor = ctx.outside_searcher(kind)
    problems: list[str] = []
    partial: list[str] = []
    offered = ctx.client.create_agreement(agency_id)
    ctx.note(f"home admin offering a sharing agreement to the {label} agency: {offered.describe()}", offered)
    if offered.ok:
        partial.append(f"a sharing agreement with a {label} agency was accepted ({offered.status}); expected 403")
    _no_access(ctx, f"{label} searcher" + (" under an agreement" if offered.ok else ""), actor, plate, read_id,
               "403", problems, partial)
    return problems, partial


@control("PC-SHR-04", "No federal access, even with an agreement request",
         source="privacy_controls.md D3 PC-SHR-04 (Denver Oct-2025; CO SB21-131; IL SoS)",
         actors="home admin (offers an agreement), federal searcher")
def no_federal_access(ctx: ControlContext) -> Verdict:
    problems, partial = _refused_agreement(ctx, "federal", "federal")
    return _verdict(problems, partial, "a sharing agreement with a federal agency was refused and its searches "
                                       "and fetches gave nothing")


@control("PC-SHR-05", "No out-of-state access and no re-sharing by partners",
         source="privacy_controls.md D3 PC-SHR-05 (Denver terms; IL 2-130; CA AG)",
         actors="home admin, out-of-state searcher; partner admin attempting to re-share")
def no_out_of_state_access(ctx: ControlContext) -> Verdict:
    problems, partial = _refused_agreement(ctx, "out_of_state", "out-of-state")
    partner_id = ctx.agency("partner", "resharing-partner")
    partner_admin = ctx.actor(partner_id, "admin", "partner-admin")
    ctx.agreement(partner_id)
    for kind in ("instate", "out_of_state", "federal"):
        target = ctx.agency(kind, f"reshare-target-{kind}")
        reshare = ctx.client.create_agreement(target, actor=partner_admin)
        _expect_status(ctx, f"partner admin re-sharing home data with a {kind.replace('_', '-')} agency",
                       reshare, (403,), problems)
    return _verdict(problems, partial, "a sharing agreement with an out-of-state agency was refused, its searches "
                                       "and fetches gave nothing, and a partner admin could not re-share")


# --------------------------------------------------------------------------- purpose


def _must_refuse(ctx: ControlContext, actor: Actor, plate: str, what: str, expect: str,
                 problems: list[str], **overrides: str | None) -> None:
    result = ctx.client.search(actor, plate=plate, **ctx.purpose(actor, **overrides))
    ctx.note(f"{what}: {result.describe()}", result)
    if result.ok:
        problems.append(f"{what} answered {result.describe()}; expected {expect}")
    elif result.code != expect.split(" ")[-1]:
        ctx.note(f"{what}: refused with code {result.code!r} rather than {expect!r}")


def _purpose_searchers(ctx: ControlContext, label: str) -> list[tuple[str, Actor]]:
    """A home searcher and a partner searcher under an agreement, both shown able to find a home plate."""
    home = ctx.home_actor("searcher", f"{label}-home-searcher")
    partner_id, partner = ctx.outside_searcher("partner", f"{label}-partner")
    ctx.agreement(partner_id)
    return [("home searcher", home), ("partner searcher under an agreement", partner)]


@control("PC-PUR-01", "A reason and an offense type from the city's list are required for every search",
         source="privacy_controls.md D4 PC-PUR-01 (Denver crime list; CA Civ. Code 1798.90.52)",
         actors="home searcher; partner searcher under an agreement")
def reason_required(ctx: ControlContext) -> Verdict:
    plate, _ = ctx.planted()
    problems: list[str] = []
    tried = 0
    for who, searcher in _purpose_searchers(ctx, "purpose"):
        ctx.expect_allowed_search(searcher, plate, f"a fully stated search by the {who}")
        cases = [("without a reason", "400 reason_required", {"reason": None}),
                 ("with a blank reason", "400 reason_required", {"reason": ctx.traffic.rng.choice(["", " ", "   ", "\t"])}),
                 ("without an offense type", "400 offense_type_required", {"offense_type": None})]
        cases += [(f"with an offense type not on the city's list ({code!r})", "400 offense_type_not_authorized",
                   {"offense_type": code}) for code in {ctx.traffic.off_list_offense(ctx.offense_codes) for _ in range(3)}]
        for what, expect, overrides in cases:
            tried += 1
            _must_refuse(ctx, searcher, plate, f"{who}'s search {what}", expect, problems, **overrides)
    return _verdict(problems, [], f"{tried} searches without a reason or offense type, or with offense types off "
                                  "the city's list, by home and partner searchers, were refused")


@control("PC-PUR-02", "A well-formed case or incident number is required for every search",
         source="privacy_controls.md D4 PC-PUR-02", actors="home searcher; partner searcher under an agreement")
def case_number_required(ctx: ControlContext) -> Verdict:
    plate, _ = ctx.planted()
    problems: list[str] = []
    tried = 0
    for who, searcher in _purpose_searchers(ctx, "case"):
        ctx.expect_allowed_search(searcher, plate, f"a search by the {who} with a valid case number")
        _must_refuse(ctx, searcher, plate, f"{who}'s search without a case number", "400 case_number_required",
                     problems, case_number=None)
        tried += 1
        for placeholder in ctx.traffic.placeholders(6):
            tried += 1
            _must_refuse(ctx, searcher, plate, f"{who}'s search with the placeholder case number {placeholder!r}",
                         "400 case_number_invalid", problems, case_number=placeholder)
    return _verdict(problems, [], f"{tried} searches without a case number or with a placeholder (N/A, TBD, "
                                  "0000...) by home and partner searchers were refused")


@control("PC-PUR-03", "Prohibited purposes are refused (immigration, reproductive care, protest)",
         source="privacy_controls.md D4 PC-PUR-03 (IL 2-130; CO SB21-131; Denver terms; WA SB 6002)",
         actors="home searcher; partner searcher under an agreement")
def prohibited_purposes(ctx: ControlContext) -> Verdict:
    plate, _ = ctx.planted()
    accepted: list[str] = []
    tried = 0
    version = ctx.traffic.library.version
    for (who, searcher), count in zip(_purpose_searchers(ctx, "prohibited"), (16, 8), strict=True):
        ctx.expect_allowed_search(searcher, plate, f"a search with a lawful purpose by the {who}")
        for variant in ctx.traffic.prohibited(count):
            tried += 1
            result = ctx.client.search(searcher, plate=plate, **ctx.purpose(searcher, **{variant.field: variant.text}))
            ctx.note(f"{who}, {variant.category} in the {variant.field} ({variant.shape}): {result.describe()}", result)
            if result.ok:
                accepted.append(f"{who}'s search with {variant.category.replace('_', ' ')} in the {variant.field} "
                                f"({variant.shape}: {variant.text!r}) answered {result.describe()}")
    if accepted:
        return FAIL, (f"{len(accepted)} of {tried} prohibited-purpose searches were accepted (expected 403 "
                      f"prohibited_purpose; phrasing library {version}): " + "; ".join(accepted))
    return PASS, (f"all {tried} prohibited-purpose searches drawn from phrasing library {version} (synonyms, "
                  "acronyms, other languages, misspellings, embedded, case-number tags) by home and partner "
                  "searchers were refused")


# --------------------------------------------------------------------------- audit


def entries_by_case(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry.get("action") == "search" and entry.get("case_number"):
            found.setdefault(str(entry["case_number"]), []).append(entry)
    return found


def _outcome(result: ApiResult) -> str:
    return "allowed" if result.ok else "denied"


@control("PC-AUD-01", "Every search and fetch is logged exactly once with complete, correct fields",
         source="privacy_controls.md D5 PC-AUD-01 (CA Civ. Code 1798.90.52; CJIS AU-2/AU-3)",
         actors="home searcher (full-plate, wildcard and time-bounded searches, fetch by id), home auditor")
def audit_complete(ctx: ControlContext) -> Verdict:
    now = ctx.now()
    plate, read_id = ctx.planted()
    searcher = ctx.home_actor("searcher", "audited-searcher")
    auditor = ctx.home_actor("auditor", "audit-auditor")
    scripted: list[tuple[str, dict[str, str | None], ApiResult]] = []
    for kind, query in (("full-plate", {"plate": plate}), ("wildcard", {"plate_pattern": ctx.pattern(plate)}),
                        ("time-bounded", {"plate": plate, "from_": ctx.iso(now - delta(days=2)), "to": ctx.iso(now)})):
        purpose = ctx.purpose(searcher)
        result = ctx.client.search(searcher, **query, **purpose)
        ctx.note(f"{kind} search: {result.describe()}", result)
        scripted.append((kind, purpose, result))
    fetched = ctx.client.get_read(searcher, read_id)
    ctx.note(f"fetch by id: {fetched.describe()}", fetched)
    entries = ctx.audit_entries(auditor)
    by_case = entries_by_case(entries)
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
            problems.append(f"the {kind} search's entry has " + ", ".join(wrong + [f"empty {k}" for k in empty])
                            + "; expected every field as the search happened")
    reads = [e for e in entries if e.get("action") == "read" and e.get("actor_id") == searcher.id
             and isinstance(e.get("query"), dict) and e["query"].get("read_id") == read_id]
    if len(reads) != 1 or reads[0].get("outcome") != _outcome(fetched):
        problems.append(f"the fetch by id ({_outcome(fetched)}) appears {len(reads)} times as a read entry with "
                        "its outcome; expected once")
    return _verdict(problems, [], f"{len(scripted)} scripted searches and a fetch by id each appear once with every "
                                  "field correct")


@control("PC-AUD-02", "The city sees outside agencies' actions with full identity (no redaction, no re-attribution)",
         source="privacy_controls.md D5 PC-AUD-02 (Flock Dec-2025 log change; CA 1798.90.52)",
         actors="partner searcher under an agreement (search, fetch), out-of-state searcher, home auditor")
def audit_unredacted(ctx: ControlContext) -> Verdict:
    plate, read_id = ctx.planted()
    partner_id, partner = ctx.outside_searcher("partner", "audited-partner")
    ctx.agreement(partner_id)
    _, outsider = ctx.outside_searcher("out_of_state", "audited-oos")
    auditor = ctx.home_actor("auditor", "identity-auditor")
    scripted = []
    for who, actor in (("partner searcher", partner), ("out-of-state searcher", outsider)):
        purpose = ctx.purpose(actor)
        result = ctx.client.search(actor, plate=plate, **purpose)
        ctx.note(f"{who} search: {result.describe()}", result)
        scripted.append((who, actor, purpose, result))
    fetched = ctx.client.get_read(partner, read_id)
    ctx.note(f"partner searcher fetch by id: {fetched.describe()}", fetched)
    entries = ctx.audit_entries(auditor)
    by_case = entries_by_case(entries)
    problems = []
    checked = 0
    for who, actor, purpose, result in scripted:
        hits = by_case.get(str(purpose["case_number"]), [])
        if not hits:
            if result.ok:
                problems.append(f"the {who}'s allowed search is missing from the home auditor's export; expected "
                                "it once under the outside actor's identity")
            continue  # a missing denied attempt is PC-AUD-03's finding
        checked += 1
        problems += _identity_problems(f"the {who}'s search entry", hits[0], actor, purpose)
    fetches = [e for e in entries if e.get("action") == "read" and isinstance(e.get("query"), dict)
               and e["query"].get("read_id") == read_id]
    if fetches:
        checked += 1
        problems += [p for e in fetches for p in _identity_problems("the partner's fetch-by-id entry", e, partner, None)]
    elif fetched.ok:
        ctx.note("the partner searcher's fetch by id is not in the log (completeness is PC-AUD-01's finding)")
    return _verdict(problems, [], f"{checked} outside actions appear in the home export under the outside actor's "
                                  "full identity")


def _identity_problems(what: str, entry: dict[str, Any], actor: Actor,
                       purpose: dict[str, str | None] | None) -> list[str]:
    expected: dict[str, Any] = {"actor_id": actor.id, "actor_name": actor.name, "agency_id": actor.agency_id,
                                "actor_role": actor.role}
    if purpose is not None:
        expected.update(reason=purpose["reason"], case_number=purpose["case_number"])
    wrong = [f"{k}={entry.get(k)!r}" for k, v in expected.items() if entry.get(k) != v]
    if not entry.get("agency_name") or entry.get("agency_kind") in (None, "", "home"):
        wrong.append(f"agency name/kind {entry.get('agency_name')!r}/{entry.get('agency_kind')!r}")
    if not wrong:
        return []
    return [f"{what} is redacted or attributed to someone else: " + ", ".join(wrong) + " (expected the outside "
            "actor's full identity)"]


@control("PC-AUD-03", "Denied attempts are logged (refused searches and failed authentication)",
         source="privacy_controls.md D5 PC-AUD-03 (CJIS AU-2)", attestable=True,
         actors="home searcher (no reason; prohibited purpose), home auditor (may not search), "
                "in-state searcher without agreement, an unknown token")
def denied_logged(ctx: ControlContext) -> Verdict:
    plate, _ = ctx.planted()
    searcher = ctx.home_actor("searcher", "denied-searcher")
    auditor = ctx.home_actor("auditor", "denied-auditor")
    _, stranger = ctx.outside_searcher("instate", "denied-instate")
    prohibited = ctx.traffic.prohibited(1)[0]
    scripted = []
    for what, actor, overrides in (("search without a reason", searcher, {"reason": None}),
                                   ("search for a prohibited purpose", searcher,
                                    {"reason": prohibited.text} if prohibited.field == "reason" else {}),
                                   ("search by the home auditor", auditor, {}),
                                   ("search by an in-state agency without agreement", stranger, {})):
        purpose = ctx.purpose(actor, **overrides)
        result = ctx.client.search(actor, plate=plate, **purpose)
        ctx.note(f"{what}: {result.describe()}", result)
        scripted.append((what, purpose, result))
    entries_now = ctx.audit_entries(auditor)
    edited = None
    if entries_now:
        edited = ctx.client.edit_audit_entry(searcher, str(entries_now[0].get("id")), {"outcome": "allowed"})
        ctx.note(f"home searcher editing an audit entry: {edited.describe()}", edited)
    probe = f"/v1/reads/{ctx.traffic.rng.getrandbits(48):012x}"
    login = ctx.client.call("GET", probe, None, token=ctx.random_token(), deliberate=True)
    ctx.note(f"request with an unknown token: {login.describe()}", login)
    entries = ctx.audit_entries(auditor)
    by_case = entries_by_case(entries)
    problems, checked = [], 0
    for what, purpose, result in scripted:
        if result.ok:
            continue  # the refusal itself is another control's finding
        checked += 1
        denied = [e for e in by_case.get(str(purpose["case_number"]), []) if e.get("outcome") == "denied"]
        if len(denied) != 1:
            problems.append(f"the refused {what} ({result.describe()}) has {len(denied)} denied audit entries; expected 1")
    if edited is not None and not edited.ok:
        checked += 1
        tries = [e for e in entries if e.get("action") == "audit_edit" and e.get("actor_id") == searcher.id
                 and e.get("outcome") == "denied"]
        if len(tries) != 1:
            problems.append(f"the refused audit-entry edit has {len(tries)} denied audit_edit entries; expected 1")
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


@control("PC-ACC-02", "Role-based least privilege (auditors cannot search; searchers and outside admins cannot administer)",
         source="privacy_controls.md D6 PC-ACC-02",
         actors="home auditor, home searcher; admins of a partner (under an agreement), an in-state, an "
                "out-of-state and a federal agency; vendor-support searcher and admin")
def least_privilege(ctx: ControlContext) -> Verdict:
    plate, _ = ctx.planted()
    auditor = ctx.home_actor("auditor", "rbac-auditor")
    searcher = ctx.home_actor("searcher", "rbac-searcher")
    partner_id = ctx.agency("partner", "rbac-partner")
    third_id = ctx.agency("instate", "rbac-third-agency")
    days = ctx.client.get_retention().get("days")
    days = days if isinstance(days, int) else 21  # changing it to its own value: harmless if wrongly allowed
    problems: list[str] = []
    attempts: list[tuple[str, Callable[[], ApiResult]]] = [
        ("home auditor searching", lambda: ctx.client.search(auditor, plate=plate, **ctx.purpose(auditor))),
        ("home searcher reading the audit log", lambda: ctx.client.audit_log(searcher)),
        ("home searcher changing retention", lambda: ctx.client.set_retention(days, actor=searcher)),
        ("home searcher creating a sharing agreement", lambda: ctx.client.create_agreement(partner_id, actor=searcher)),
        ("home searcher provisioning a user", lambda: ctx.client.create_actor_as(
            searcher, ctx.home_agency_id, "searcher", ctx.traffic.person("searcher"))),
    ]
    ctx.agreement(partner_id)
    for kind, agency_id in (("partner", partner_id), ("instate", None), ("out_of_state", None), ("federal", None)):
        agency_id = agency_id or ctx.agency(kind, f"rbac-{kind}")
        admin = ctx.actor(agency_id, "admin", f"rbac-{kind}-admin")
        who = f"{kind.replace('_', '-')} admin" + (" (under an agreement)" if kind == "partner" else "")
        attempts += [
            (f"{who} provisioning a user in the home agency", lambda a=admin: ctx.client.create_actor_as(
                a, ctx.home_agency_id, "admin", ctx.traffic.person("admin"))),
            (f"{who} provisioning a user in another agency", lambda a=admin: ctx.client.create_actor_as(
                a, third_id, "searcher", ctx.traffic.person("searcher"))),
            (f"{who} provisioning a user in its own agency", lambda a=admin: ctx.client.create_actor_as(
                a, a.agency_id, "searcher", ctx.traffic.person("searcher"))),
            (f"{who} reading the audit log", lambda a=admin: ctx.client.audit_log(a)),
            (f"{who} reading the access roster", lambda a=admin: ctx.client.access_roster(a)),
            (f"{who} running the termination export", lambda a=admin: ctx.client.termination_export(actor=a)),
            (f"{who} changing retention", lambda a=admin: ctx.client.set_retention(days, actor=a)),
        ]
    for what, call in attempts:
        _expect_status(ctx, what, call(), (403,), problems)
    partial: list[str] = []
    vendor_id = ctx.agency("vendor_support", "rbac-vendor-support")
    home_plate, read_id = ctx.planted()
    for role in ("searcher", "admin"):
        staff = ctx.actor(vendor_id, role, f"rbac-vendor-support-{role}")
        _no_access(ctx, f"vendor-support {role}", staff, home_plate, read_id, "403", problems, partial)
    return _verdict(problems, partial, f"{len(attempts)} out-of-role requests (home auditor and searcher; outside "
                                       "agencies' admins provisioning users, reading the audit log and roster, "
                                       "running the termination export, changing retention) were refused with 403, "
                                       "and vendor-support staff had no access to the city's reads")


@control("PC-ACC-04", "Tenant isolation at object level: no cross-tenant read by id",
         source="privacy_controls.md D6 PC-ACC-04 (IDOR)",
         actors="out-of-state, federal and in-state searchers (home read); home searcher (another tenant's read)")
def no_idor(ctx: ControlContext) -> Verdict:
    _, home_read = ctx.planted()
    other_id = ctx.agency("instate", "idor-tenant")
    other_admin = ctx.actor(other_id, "admin", "idor-tenant-admin")
    other_read = ctx.ingest(other_admin, ctx.plate(), ctx.now() - delta(days=1))
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
    plate, _ = ctx.planted()
    partner_id = ctx.agency("partner", "metric-partner")
    partners = [ctx.actor(partner_id, "searcher", f"metric-partner-{i}") for i in (1, 2)]
    instate_id, instate = ctx.outside_searcher("instate", "metric-instate")
    home = ctx.home_actor("searcher", "metric-home")
    auditor = ctx.home_actor("auditor", "metric-auditor")
    ctx.agreement(partner_id)
    cases = {}
    for actor in (*partners, home):
        purpose = ctx.purpose(actor)
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
        from harness.audit.analyze import Inputs, analyze  # DuckDB: loaded only when this control runs

        report = analyze(Inputs(accounts, entries), ctx.home_agency_id)
    except AuditInputError as exc:
        return FAIL, f"the roster and audit-log exports cannot be analyzed: {exc}; expected the published shapes"
    problems = []
    listed = {a.actor_id: a for a in accounts}
    for actor, kind in ((partners[0], "partner"), (partners[1], "partner"), (instate, "instate"), (home, "home")):
        account = listed.get(actor.id)
        if account is None:
            problems.append(f"{actor.label}'s account is missing from the access roster; expected every account listed")
        elif account.agency_kind != kind or account.agency_id != actor.agency_id:
            problems.append(f"{actor.label}'s roster entry says agency {account.agency_id} ({account.agency_kind}); "
                            f"expected {actor.agency_id} ({kind})")
    by_case = entries_by_case(log.body.get("entries", []))
    for case, actor in cases.items():
        hits = by_case.get(case, [])
        if len(hits) != 1 or hits[0].get("agency_id") != actor.agency_id:
            problems.append(f"{actor.label}'s allowed search is not attributed to its agency in the audit log "
                            f"({len(hits)} entries, agency {hits[0].get('agency_kind') if hits else None}); expected one "
                            "entry under its own agency")
    acc, srch = report["accounts"]["outside_home"], report["searches"]["outside_home"]
    figure = (f"accounts outside the home agency {acc['percent']}% ({acc['count']} of {acc['of']}), "
              f"searches {srch['percent']}% ({srch['count']} of {srch['of']})")
    ctx.note(f"computed from the exports: {figure}")
    ctx.note(f"account kinds: {report['accounts']['by_kind']}; instate agency {instate_id}")
    return _verdict(problems, [], f"roster and log account for every scripted account and search; {figure}")


# --------------------------------------------------------------------------- retention and termination


def _gone(ctx: ControlContext, who: str, actor: Actor, plate: str, read_id: str, why: str,
          problems: list[str]) -> None:
    """A read that must no longer exist: not by full-plate search, wildcard search or fetch by id."""
    for kind, query in (("full-plate", {"plate": plate}), ("wildcard", {"plate_pattern": ctx.pattern(plate)})):
        result = ctx.client.search(actor, **query, **ctx.purpose(actor))
        hits = [r for r in (result.get("results") or []) if isinstance(r, dict) and r.get("id") == read_id]
        ctx.note(f"{who}: {kind} search for a read {why}: {result.describe()}", result)
        if hits:
            problems.append(f"a read {why} was still found by {kind} search ({result.describe()}); expected no such read")
    fetched = ctx.client.get_read(actor, read_id)
    ctx.note(f"{who}: fetch by id of a read {why}: {fetched.describe()}", fetched)
    if fetched.ok:
        problems.append(f"a read {why} was still fetchable by id ({fetched.status}); expected 404")


def _export_read_ids(ctx: ControlContext, what: str) -> tuple[ApiResult, set[str]]:
    export = ctx.client.termination_export()
    ctx.note(f"{what}: {export.describe()}, count {export.get('count')}", export)
    if not export.ok:
        raise SetupFailed(f"{what} answered {export.describe()}")
    return export, {str(r.get("id")) for r in export.get("reads", []) if isinstance(r, dict)}


@control("PC-RET-01", "Reads are purged once older than the retention period (sandbox clock), on every path",
         source="privacy_controls.md D2 PC-RET-01 (Denver-Axon 21 days)", attestable=True,
         actors="home admin (retention, clock, export), home searcher")
def retention_enforced(ctx: ControlContext) -> Verdict:
    current = ctx.client.get_retention()
    if not current.ok or not isinstance(current.get("max_days"), int):
        raise SetupFailed(f"GET /v1/retention answered {current.describe()}")
    days = min(21, int(current.body["max_days"]))
    if not ctx.client.set_retention(days).ok:
        raise SetupFailed(f"setting retention to {days} days failed")
    searcher = ctx.home_actor("searcher", "retention-searcher")
    keep, expire = ctx.plate(), ctx.plate()
    hotlist = ctx.client.create_hotlist(ctx.client.admin, ctx.hotlist_body([keep, expire], []))
    ctx.note(f"home admin listing both plates on a hotlist (alerts are a path to reads too): {hotlist.describe()}",
             hotlist)
    keep_id = ctx.ingest(ctx.client.admin, keep, ctx.now() - delta(days=days - 2))
    expire_id = ctx.ingest(ctx.client.admin, expire, ctx.now() - delta(days=days - 0.5))
    for plate in (keep, expire):
        ctx.expect_allowed_search(searcher, plate, "a read inside the retention period")
    alerted = hotlist.ok and expire_id in _alerted_reads(ctx, "home admin's alerts before the clock move")
    if not ctx.client.advance_clock(86400).ok:
        raise SetupFailed("advancing the sandbox clock failed")
    problems: list[str] = []
    _gone(ctx, "home searcher", searcher, expire, expire_id, f"{days}.5 days old (retention {days} days)", problems)
    _, exported = _export_read_ids(ctx, "export of every home read")
    if expire_id in exported:
        problems.append("a read past retention was still in the export of every home read; expected it purged")
    paths = "search (full or wildcard), fetch or export"
    if alerted:
        paths = "search (full or wildcard), fetch, export or alert"
        if expire_id in _alerted_reads(ctx, "home admin's alerts after the clock move"):
            problems.append("an alert on a read past retention was still listed (GET /v1/alerts); expected it purged "
                            "with the read")
    else:
        ctx.note("no alert on the read before the clock move (hotlists not offered, or no alert raised): the alert "
                 "path was not testable here")
    _full_access(ctx, "home searcher, read inside retention", searcher, keep, keep_id, problems)
    ctx.note(f"the read inside retention is {'in' if keep_id in exported else 'NOT in'} the export "
             "(export completeness is PC-RET-05's)")
    return _verdict(problems, [], f"with retention {days} days, a read past it was in no {paths}, and a read "
                                  "inside it kept full access")


def _alerted_reads(ctx: ControlContext, what: str) -> set[str]:
    """The read ids of the home admin's alerts (none when the answer is a refusal)."""
    got = ctx.client.alerts(ctx.client.admin)
    ctx.note(f"{what}: {got.describe()}", got)
    return {str(a.get("read_id")) for a in got.get("alerts", []) if isinstance(a, dict)} if got.ok else set()


@control("PC-RET-05", "Termination: complete export (reads and audit log), then verified deletion",
         source="privacy_controls.md D2 PC-RET-05 (Fayetteville; Evanston)", attestable=True, final=True,
         actors="home admin, home searcher, home auditor, partner searcher under an agreement")
def termination(ctx: ControlContext) -> Verdict:
    camera = ctx.traffic.camera()
    plate = ctx.plate()
    read_id = ctx.ingest(ctx.client.admin, plate, ctx.now() - delta(days=1), camera=camera)
    days = ctx.client.get_retention().get("days")
    ages = [a for a in (3, 9, 15) if not isinstance(days, int) or a < days - 1]
    older = [ctx.planted(days_ago=age)[1] for age in ages]
    searcher = ctx.home_actor("searcher", "termination-searcher")
    auditor = ctx.home_actor("auditor", "termination-auditor")
    partner_id, partner = ctx.outside_searcher("partner", "termination-partner")
    ctx.agreement(partner_id)
    ctx.expect_allowed_search(searcher, plate, "the planted read before termination")
    before = ctx.audit_entries(auditor)
    ctx.remembered["audit_before_termination"] = [e.get("id") for e in before]
    problems: list[str] = []
    export = ctx.client.termination_export()
    ctx.note(f"termination export: {export.status}, count {export.get('count')}", export)
    if not export.ok:
        problems.append(f"the termination export answered {export.describe()}; expected 200 with every retained "
                        "home read and the whole audit log")
    else:
        reads = [r for r in export.get("reads", []) if isinstance(r, dict)]
        mine = [r for r in reads if r.get("id") == read_id]
        if len(mine) != 1 or mine[0].get("plate") != plate or mine[0].get("camera_id") != camera:
            problems.append("the export does not hold the planted read once with its plate and camera; expected it "
                            "once")
        if export.get("count") != len(reads):
            problems.append(f"the export's count {export.get('count')!r} differs from the {len(reads)} reads it holds; "
                            "expected them equal")
        held = {r.get("id") for r in reads}
        short = [age for age, rid in zip(ages, older, strict=True) if rid not in held]
        if short:
            problems.append(f"the export lacks planted home reads {', '.join(map(str, short))} days old, inside "
                            "retention; expected every retained home read")
        exported_ids = [e.get("id") for e in export.get("audit_entries", []) if isinstance(e, dict)]
        missing = {e.get("id") for e in before} - set(exported_ids)
        if missing:
            problems.append(f"the export's audit log lacks {len(missing)} of the {len(before)} entries the home "
                            "auditor saw just before; expected the whole log")
        if len(exported_ids) != len(set(exported_ids)):
            problems.append("the export's audit log lists some entries more than once; expected each once")
    deleted = ctx.client.termination_delete()
    ctx.note(f"termination delete: {deleted.describe()}, deleted {deleted.get('deleted')}", deleted)
    if not deleted.ok:
        return FAIL, "; ".join(problems + [f"termination delete answered {deleted.describe()}; expected 200"])
    _gone(ctx, "home searcher", searcher, plate, read_id, "deleted on termination", problems)
    _gone(ctx, "partner searcher under an agreement", partner, plate, read_id, "deleted on termination", problems)
    _, exported = _export_read_ids(ctx, "export after deletion")
    if read_id in exported:
        problems.append("after termination delete the read was still in the export; expected it deleted")
    return _verdict(problems, [], "the export held the planted read with its camera, a count matching its reads and "
                                  "the whole audit log; after deletion the read was in no search, fetch or export")


@control("PC-RET-06", "Audit logs are kept at least a year, through read retention and termination",
         source="privacy_controls.md D2 PC-RET-06 (CJIS AU-11)", attestable=True, final=True,
         actors="home searcher, home auditor, home admin (clock); after the termination drill")
def audit_log_retained(ctx: ControlContext) -> Verdict:
    auditor = ctx.home_actor("auditor", "logkeep-auditor")
    before_ids = ctx.remembered.get("audit_before_termination") or [e.get("id") for e in ctx.audit_entries(auditor)]
    plate, _ = ctx.planted()
    searcher = ctx.home_actor("searcher", "logkeep-searcher")
    purpose = ctx.purpose(searcher)
    result = ctx.client.search(searcher, plate=plate, **purpose)
    ctx.note(f"search to be remembered: {result.describe()}", result)
    case = str(purpose["case_number"])
    if len(entries_by_case(ctx.audit_entries(auditor)).get(case, [])) != 1:
        raise SetupFailed("the search was not logged in the first place (see PC-AUD-01)")
    if not ctx.client.advance_clock(366 * 86400).ok:
        raise SetupFailed("advancing the sandbox clock by 366 days failed")
    later = ctx.audit_entries(auditor)
    problems = []
    kept = entries_by_case(later).get(case, [])
    ctx.note(f"366 sandbox days later the search's entry appears {len(kept)} time(s)")
    if len(kept) != 1:
        problems.append(f"366 days after a search its audit entry appears {len(kept)} times; expected once")
    ids = {e.get("id") for e in later}
    lost = [i for i in before_ids if i not in ids]
    ctx.note(f"{len(before_ids)} entries existed before the termination drill; {len(lost)} gone a year after it")
    if lost:
        problems.append(f"{len(lost)} of the {len(before_ids)} audit entries that existed before termination were "
                        "gone afterwards; expected the audit log to outlive read retention and termination")
    return _verdict(problems, [], "the audit log kept every entry through the termination drill, and a search's "
                                  "entry was still exported 366 sandbox days later")


# The second-pass controls live in their own modules; importing them registers them here.
from harness.privacy import audit_integrity, inspection  # noqa: F401
