"""Audit integrity: completeness and attribution of every action the harness took, immutability, time
integrity, and the roster reconciled with the log and with the accounts the harness provisioned.

The harness knows every request it sent (the client's transcript, each with the acting actor's id),
so it can say which audit entries must exist: one per audited request, of the action the API names
for it (``POST /v1/search`` -> ``search``, a 401 -> ``login``...), under the actor who acted.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from harness.api import load_spec
from harness.privacy.context import ControlContext, SetupFailed
from harness.privacy.controls import FAIL, Verdict, _verdict, control, entries_by_case
from harness.privacy.sandbox import Actor, ApiResult, Exchange

TIME_TOLERANCE = timedelta(seconds=2)
"""How far an audit entry's time may lie outside the sandbox-clock interval the harness observed
around the action (clock resolution and the server's own processing)."""

AUDITED: tuple[tuple[str, str, str], ...] = (
    ("POST", r"/v1/search", "search"),
    ("GET", r"/v1/reads/[^/]+", "read"),
    ("POST", r"/v1/termination/export", "export"),
    ("POST", r"/v1/termination/delete", "delete"),
    ("POST", r"/v1/sharing-agreements", "share"),
    ("DELETE", r"/v1/sharing-agreements/[^/]+", "revoke"),
    ("PUT", r"/v1/retention", "retention"),
    ("POST", r"/v1/sandbox/agencies", "create_agency"),
    ("POST", r"/v1/sandbox/actors", "create_actor"),
    ("DELETE", r"/v1/sandbox/actors/[^/]+", "deactivate_actor"),
    ("POST", r"/v1/sandbox/reads", "ingest"),
    ("POST", r"/v1/sandbox/clock", "advance_clock"),
    ("GET", r"/v1/audit-log", "audit_export"),
    ("PATCH", r"/v1/audit-log/[^/]+", "audit_edit"),
    ("DELETE", r"/v1/audit-log/[^/]+", "audit_delete"),
    ("GET", r"/v1/access-roster", "access_roster"),
    ("POST", r"/v1/hotlists", "hotlist_create"),
    ("POST", r"/v1/hotlists/[^/]+/accept", "hotlist_accept"),
    ("GET", r"/v1/alerts", "alerts"),
)
"""Requests the API says are audited, and the action their entry carries."""


def audited_actions() -> frozenset[str]:
    """The audit actions the published API defines (``AuditAction``)."""
    return frozenset(load_spec()["components"]["schemas"]["AuditAction"]["enum"])


def expected_action(exchange: Exchange) -> str | None:
    """The audit action a request must leave, or ``None`` if the API does not audit it."""
    if exchange.status is None or exchange.status == 501:
        return None  # not offered: nothing happened to audit
    if exchange.status == 401:
        return "login"
    for method, pattern, action in AUDITED:
        if exchange.method == method and re.fullmatch(pattern, exchange.path):
            return action if action in audited_actions() else None
    return None


def _key(action: str, actor_id: str | None, outcome: str) -> tuple[str, str, str]:
    return action, actor_id or "-", outcome


# --------------------------------------------------------------------------- PC-AUD-04


ACCESS_ACTIONS = frozenset({"search", "read", "login"})
"""Judged by PC-AUD-01 (home searches and fetches), PC-AUD-02 (outside actors) and PC-AUD-03 (denials)."""


@control("PC-AUD-04", "Every administrative and configuration action is logged exactly once, under its actor",
         source="privacy_controls.md D5 PC-AUD-04 (CJIS privileged actions)",
         actors="home admin (agency, actor, read, agreement, revocation, retention, clock, deactivation), partner "
                "admin and searcher, out-of-state searcher, home auditor")
def every_action_logged(ctx: ControlContext) -> Verdict:
    auditor = ctx.home_actor("auditor", "completeness-auditor")
    before = {e.get("id") for e in ctx.audit_entries(auditor)}
    mark = len(ctx.client.transcript)
    plate, read_id = ctx.planted()
    partner_id = ctx.agency("partner", "completeness-partner")
    partner_admin = ctx.actor(partner_id, "admin", "completeness-partner-admin")
    partner = ctx.actor(partner_id, "searcher", "completeness-partner-searcher")
    agreement = ctx.agreement(partner_id)
    ctx.client.search(partner, plate=plate, **ctx.purpose(partner))
    ctx.client.search(partner, plate_pattern=ctx.pattern(plate), **ctx.purpose(partner))
    ctx.client.get_read(partner, read_id)
    ctx.client.create_actor_as(partner_admin, ctx.home_agency_id, "searcher", ctx.traffic.person("searcher"))
    ctx.client.audit_log(partner_admin)
    _, outsider = ctx.outside_searcher("out_of_state", "completeness-oos")
    ctx.client.search(outsider, plate=plate, **ctx.purpose(outsider))
    ctx.client.revoke_agreement(agreement)
    days = ctx.client.get_retention().get("days")
    if isinstance(days, int):
        ctx.client.set_retention(days)
    ctx.client.advance_clock(60)
    ctx.deactivate(partner)
    ctx.client.search(partner, plate=plate, **ctx.purpose(partner))
    window = ctx.client.transcript[mark:]
    after = ctx.client.audit_log(auditor)
    if not after.ok or not isinstance(after.get("entries"), list):
        raise SetupFailed(f"GET /v1/audit-log answered {after.describe()}")
    new = [e for e in after.body["entries"] if isinstance(e, dict) and e.get("id") not in before]
    expected: Counter[tuple[str, str, str]] = Counter()
    for exchange in window:
        action = expected_action(exchange)
        if action is not None and action not in ACCESS_ACTIONS and exchange.status is not None \
                and exchange.status < 400:
            expected[_key(action, exchange.actor_id, "allowed")] += 1
    seen: Counter[tuple[str, str, str]] = Counter(
        _key(str(e.get("action")), e.get("actor_id"), str(e.get("outcome"))) for e in new
        if e.get("action") not in ACCESS_ACTIONS and e.get("outcome") == "allowed")
    del seen[_key("audit_export", auditor.id, "allowed")]  # the two readings of the log that bound the window
    problems = []
    for key in sorted(set(expected) | set(seen)):
        if expected[key] != seen[key]:
            action, actor_id, outcome = key
            who = ctx.label_of(actor_id)
            problems.append(f"{expected[key]} {outcome} {action} action(s) by {who} were taken but the log shows "
                            f"{seen[key]}; expected each once under the actor who took it")
    ctx.note(f"{len(window)} requests in the window, {sum(expected.values())} allowed administrative ones; "
             f"{len(new)} new entries")
    return _verdict(problems, [], f"each of the {sum(expected.values())} allowed administrative and configuration "
                                  "actions of the window appears exactly once under the actor who took it")


# --------------------------------------------------------------------------- PC-AUD-06


@control("PC-AUD-06", "The audit-log export is complete: every page, each entry once; the auditor sees what the admin sees",
         source="privacy_controls.md D5 PC-AUD-06 (machine-readable, unredacted export with pagination)",
         actors="home auditor, home admin (bootstrap)")
def export_complete(ctx: ControlContext) -> Verdict:
    auditor = ctx.home_actor("auditor", "export-auditor")
    for _ in range(3):  # a few entries more, so that pages end mid-way
        ctx.planted()
    whole = ctx.audit_entries(auditor)
    problems = _paging_problems(ctx, auditor, whole)
    admin_view = ctx.audit_entries(ctx.client.admin)
    reads = {auditor.id, ctx.client.admin.id}
    def comparable(entries: list[dict[str, Any]]) -> set[Any]:
        return {e.get("id") for e in entries if not (e.get("action") == "audit_export" and e.get("actor_id") in reads)}
    hidden = comparable(admin_view) - comparable(ctx.audit_entries(auditor))
    if hidden:
        problems.append(f"the home auditor's export lacks {len(hidden)} entries the home admin's export holds; "
                        "expected the same entries")
    return _verdict(problems, [], f"the log read in pages holds each of its {len(whole)} entries exactly once, and "
                                  "the auditor's export holds every entry the admin's does")


def _paging_problems(ctx: ControlContext, auditor: Actor, whole: list[dict[str, Any]]) -> list[str]:
    """The log read in small pages must hold every entry of the whole log exactly once (plus only the
    paging reads' own entries, logged while paging)."""
    size = ctx.traffic.rng.randint(3, 9)
    paged = ctx.audit_entries(auditor, limit=size)
    ids = [e.get("id") for e in paged]
    problems = []
    doubled = len(ids) - len(set(ids))
    if doubled:
        problems.append(f"reading the log in pages of {size} returned {doubled} entries more than once; expected "
                        "each once")
    missing = {e.get("id") for e in whole} - set(ids)
    if missing:
        problems.append(f"reading the log in pages of {size} missed {len(missing)} of its {len(whole)} entries; "
                        "expected every entry once")
    known = {e.get("id") for e in whole}
    strays = [e for e in paged if e.get("id") not in known
              and not (e.get("action") == "audit_export" and e.get("actor_id") == auditor.id)]
    if strays:
        problems.append(f"reading the log in pages of {size} returned {len(strays)} entries the whole log lacks; "
                        "expected only the log's entries")
    ctx.note(f"paged read (limit {size}): {len(paged)} entries, whole read: {len(whole)}")
    return problems


# --------------------------------------------------------------------------- PC-AUD-05


@control("PC-AUD-05", "The audit log is append-only: edits and deletions are refused by every role",
         source="privacy_controls.md D5 PC-AUD-05 (CJIS AU-9)", attestable=True,
         actors="home admin (bootstrap and provisioned), home auditor, home searcher, partner admin and searcher "
                "under an agreement, anonymous")
def audit_immutable(ctx: ControlContext) -> Verdict:
    auditor = ctx.home_actor("auditor", "immutability-auditor")
    plate, _ = ctx.planted()
    searcher = ctx.home_actor("searcher", "immutability-searcher")
    ctx.expect_allowed_search(searcher, plate, "a search to be tampered with")
    before = ctx.audit_entries(auditor)
    target = next((e for e in reversed(before) if e.get("action") == "search" and e.get("id")), None)
    if target is None:
        raise SetupFailed("the audit log holds no search entry to try to change")
    partner_id = ctx.agency("partner", "immutability-partner")
    ctx.agreement(partner_id)
    roles: list[tuple[str, Actor | None]] = [
        ("home bootstrap admin", ctx.client.admin), ("home admin", ctx.home_actor("admin", "immutability-admin")),
        ("home auditor", auditor), ("home searcher", searcher),
        ("partner admin", ctx.actor(partner_id, "admin", "immutability-partner-admin")),
        ("partner searcher", ctx.actor(partner_id, "searcher", "immutability-partner-searcher")),
        ("anonymous caller", None)]
    problems: list[str] = []
    change = {"outcome": "denied", "reason": ctx.traffic.reason(ctx.traffic.offense())}
    attempts: list[tuple[str, Actor | None, ApiResult]] = []
    for who, actor in roles:
        anonymous = actor is None
        for what in ("editing", "deleting"):
            result = (ctx.client.edit_audit_entry(actor, target["id"], change, deliberate=anonymous) if what == "editing"
                      else ctx.client.delete_audit_entry(actor, target["id"], deliberate=anonymous))
            ctx.note(f"{who} {what} an audit entry: {result.describe()}", result)
            attempts.append((f"{who} {what}", actor, result))
            if result.ok:
                problems.append(f"{who} {what} an audit entry answered {result.describe()}; expected a refusal")
    after = ctx.audit_entries(auditor)
    by_id = {e.get("id"): e for e in after}
    changed = [e.get("id") for e in before if by_id.get(e.get("id")) != e]
    if changed:
        problems.append(f"{len(changed)} audit entries that existed before the attempts were changed or gone "
                        "afterwards; expected every entry unchanged")
    ctx.note("whether the refused attempts were logged is PC-AUD-03's finding (denied attempts are logged)")
    return _verdict(problems, [], f"{len(attempts)} edit and delete attempts by {len(roles)} roles were refused, "
                                  "and every entry was unchanged")


# --------------------------------------------------------------------------- PC-AUD-07


def _utc(value: Any) -> datetime | None:
    """The time if ``value`` is RFC 3339 with an explicit UTC offset, else ``None``."""
    if not isinstance(value, str) or not re.search(r"(Z|[+-]00:?00)$", value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.utcoffset() == timedelta(0) else None


@control("PC-AUD-07", "Audit times are explicit UTC and match when the actions happened (sandbox clock)",
         source="privacy_controls.md D5 PC-AUD-07 (CJIS AU-8)", attestable=True,
         actors="home searcher, partner searcher under an agreement, home admin, home auditor")
def audit_times(ctx: ControlContext) -> Verdict:
    auditor = ctx.home_actor("auditor", "time-auditor")
    plate, _ = ctx.planted()
    searcher = ctx.home_actor("searcher", "time-searcher")
    partner_id, partner = ctx.outside_searcher("partner", "time-partner")
    ctx.agreement(partner_id)
    windows: list[tuple[str, str, datetime, datetime]] = []
    for who, actor in (("home searcher", searcher), ("partner searcher", partner)):
        purpose = ctx.purpose(actor)
        start = ctx.now()
        ctx.client.search(actor, plate=plate, **purpose)
        windows.append((who, str(purpose["case_number"]), start, ctx.now()))
    entries = ctx.audit_entries(auditor)
    problems = []
    implicit = [e.get("id") for e in entries if _utc(e.get("at")) is None]
    if implicit:
        problems.append(f"{len(implicit)} of {len(entries)} audit entries have no RFC 3339 time with an explicit "
                        "UTC offset; expected 'Z' or '+00:00' on every entry")
    by_case = entries_by_case(entries)
    for who, case, start, end in windows:
        hits = by_case.get(case, [])
        at = _utc(hits[0].get("at")) if len(hits) == 1 else None
        if at is None:
            continue  # missing entries are PC-AUD-01's finding; implicit times are reported above
        ctx.note(f"{who}'s search logged at {at.isoformat()}; sandbox clock read {start.isoformat()} before and "
                 f"{end.isoformat()} after (tolerance {TIME_TOLERANCE.total_seconds():g} s)")
        if not start - TIME_TOLERANCE <= at <= end + TIME_TOLERANCE:
            off = min(abs((at - start).total_seconds()), abs((at - end).total_seconds()))
            problems.append(f"the {who}'s search is logged {off:.0f} s outside the sandbox-clock interval the "
                            f"harness observed around it; expected within {TIME_TOLERANCE.total_seconds():g} s")
    return _verdict(problems, [], f"all {len(entries)} entries carry explicit UTC times, and scripted actions are "
                                  f"logged within {TIME_TOLERANCE.total_seconds():g} s of when they happened")


# --------------------------------------------------------------------------- PC-ACC-05


@control("PC-ACC-05", "The access roster lists every account: each actor in the audit log and each one provisioned",
         source="privacy_controls.md D6 PC-ACC-05 (user roster = city roster)", actors="home auditor; every actor "
                "the suite provisioned this run (deactivated ones included)")
def roster_reconciled(ctx: ControlContext) -> Verdict:
    auditor = ctx.home_actor("auditor", "roster-reconciliation-auditor")
    roster = ctx.client.access_roster(auditor)
    entries = ctx.audit_entries(auditor)
    if not roster.ok or not isinstance(roster.get("accounts"), list):
        raise SetupFailed(f"GET /v1/access-roster answered {roster.describe()}")
    accounts = [a for a in roster.body["accounts"] if isinstance(a, dict)]
    listed: dict[str, list[dict[str, Any]]] = {}
    for account in accounts:
        listed.setdefault(str(account.get("actor_id")), []).append(account)
    problems = []
    doubled = [i for i, rows in listed.items() if len(rows) > 1]
    if doubled:
        problems.append(f"{len(doubled)} account(s) appear more than once on the roster; expected each once")
    hidden, relabelled = _unlisted_actors(ctx, entries, set(listed))
    if hidden:
        problems.append(f"{len(hidden)} actor(s) in the audit log are not on the access roster "
                        f"({', '.join(ctx.label_of(i) for i in hidden[:5])}); expected every actor in the log listed")
    if relabelled:
        ctx.note(f"{relabelled} entries under an identity the roster lacks match requests the suite itself sent (same "
                 "action, outcome and agency): the log mislabels them, which is PC-AUD-02's finding, not a hidden account")
    wrong = []
    for actor in ctx.created:
        rows = listed.get(actor.id)
        if not rows:
            wrong.append(f"{actor.label} missing")
            continue
        row = rows[0]
        active = actor.id not in ctx.deactivated
        if row.get("agency_id") != actor.agency_id or row.get("role") != actor.role or row.get("active") is not active:
            wrong.append(f"{actor.label} listed as agency {row.get('agency_id')}, role {row.get('role')}, active "
                         f"{row.get('active')} (expected {actor.agency_id}, {actor.role}, {active})")
    if wrong:
        problems.append(f"{len(wrong)} of the {len(ctx.created)} accounts the suite provisioned are missing or wrong "
                        "on the roster: " + "; ".join(wrong[:5]) + "; expected each listed as provisioned")
    ctx.note(f"roster: {len(accounts)} accounts; audit log: {len(entries)} entries; provisioned: {len(ctx.created)}",
             roster)
    if problems:
        return FAIL, "; ".join(problems)
    return _verdict([], [], f"every actor in the audit log and all {len(ctx.created)} provisioned accounts are on the "
                            "roster once, with their agency, role and active state")


def _unlisted_actors(ctx: ControlContext, entries: list[dict[str, Any]], listed: set[str]) -> tuple[list[str], int]:
    """Actor ids in the log that the roster lacks and that no request of the suite accounts for, and how many
    entries under such ids the suite's own requests do account for.

    The suite knows every request it sent: its action, outcome and the agency that acted. Entries logged under
    the roster's actors use up those requests first; an entry under an unknown id with the signature of a request
    still unaccounted for is one of the suite's own actions under a wrong or redacted identity (the log's fault,
    PC-AUD-02), not an account the roster hides. An id of one of the suite's own actors is never such a label:
    the log names a real account, and the roster lacks it."""
    agency_of = {a.id: a.agency_id for a in (ctx.client.admin, *ctx.created)}
    sent: Counter[tuple[str, str, str]] = Counter()
    for exchange in ctx.client.transcript:
        action = expected_action(exchange)
        if action is None or action == "login" or exchange.actor_id not in agency_of or exchange.status is None:
            continue
        sent[(action, "allowed" if exchange.status < 400 else "denied", agency_of[exchange.actor_id])] += 1
    def signature(entry: dict[str, Any]) -> tuple[str, str, str]:
        return str(entry.get("action")), str(entry.get("outcome")), str(entry.get("agency_id"))
    acting = [e for e in entries if e.get("actor_id")]
    sent.subtract(signature(e) for e in acting if str(e["actor_id"]) in listed)
    hidden: set[str] = set()
    relabelled = 0
    for entry in acting:
        if str(entry["actor_id"]) in listed:
            continue
        if str(entry["actor_id"]) not in agency_of and sent[signature(entry)] > 0:
            sent[signature(entry)] -= 1
            relabelled += 1
        else:
            hidden.add(str(entry["actor_id"]))
    return sorted(hidden), relabelled
