"""Strict inspection of what the sandbox answers: data minimisation, refusals that disclose nothing,
and the optional hotlist/alert capability exercised by outside agencies.

``PC-MIN-01`` and ``PC-MIN-02`` are the harness's additions to the catalogue (part D has no id for
either; ``PC-SHR-01``'s "no existence oracle" and ``PC-COL-01``'s "no person fields" are their
closest relatives).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from harness.api import load_spec
from harness.privacy.context import ControlContext, NotOffered, SetupFailed, delta
from harness.privacy.controls import FAIL, PASS, Verdict, _verdict, control
from harness.privacy.sandbox import Actor, ApiResult, Exchange

STRICT_SCHEMAS = frozenset({"Read", "SearchResult", "TerminationExport", "Alert"})
"""Objects that carry plate reads or point at one (an alert): not even ``x-`` extension members may be added to them."""
VOLATILE_PROBLEM_MEMBERS = ("search_id", "instance")
"""Members of a refusal that identify the attempt, not the data (differ between any two refusals)."""


# --------------------------------------------------------------------------- the published shapes


@cache
def _operations() -> tuple[tuple[str, re.Pattern[str], dict[str, Any]], ...]:
    spec = load_spec()
    ops = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                ops.append((method.upper(), pattern, op))
    return tuple(ops)


def _resolve(schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    name = None
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        node: Any = load_spec()
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema, name


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The published JSON schema of a response, or ``None`` if the spec has none for it."""
    for op_method, pattern, op in _operations():
        if op_method == method and pattern.match(path):
            response = op["responses"].get(str(status)) or op["responses"].get("default")
            if response is None:
                return None
            response, _ = _resolve(response)
            content = response.get("content", {})
            media = content.get("application/json") or content.get("application/problem+json")
            return media.get("schema") if media else None
    return None


def extra_members(schema: dict[str, Any], value: Any, where: str = "") -> list[str]:
    """Members of ``value`` the published ``schema`` does not define (names and locations, never values).

    ``x-`` extension members are tolerated where the spec allows them, except in objects that carry
    reads (:data:`STRICT_SCHEMAS`); objects with ``additionalProperties: true`` (problems) are open.
    """
    schema, name = _resolve(schema)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = [_resolve(b)[0] for b in schema[key]]
            wanted = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else None
            fitting = [b for b in branches if b.get("type") == wanted or (wanted == "object" and "properties" in b)]
            return extra_members(fitting[0], value, where) if fitting else []
    found: list[str] = []
    if isinstance(value, dict):
        props = schema.get("properties", {})
        closed = schema.get("additionalProperties") is False
        extensions = "^x-" in schema.get("patternProperties", {}) and name not in STRICT_SCHEMAS
        for member, sub in value.items():
            if member in props:
                found += extra_members(props[member], sub, f"{where}.{member}" if where else member)
            elif closed and not (extensions and member.startswith("x-")):
                found.append(f"{where}.{member}" if where else member)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += extra_members(schema["items"], item, f"{where}[{i}]")
    return found


def exchange_extras(exchange: Exchange) -> list[str]:
    schema = response_schema(exchange.method, exchange.path, exchange.status or 0)
    if schema is None or not isinstance(exchange.response_body, (dict, list)):
        return []
    return extra_members(schema, exchange.response_body)


# --------------------------------------------------------------------------- PC-MIN-01


@control("PC-MIN-01", "Data minimisation: answers carry only the members the published API defines",
         source="platebench (harness addition; cf. catalogue D11 PC-COL-01 and the API's additionalProperties rules)",
         actors="home searcher, partner searcher under an agreement, home admin (export), home auditor, "
                "and every answer of the run so far")
def data_minimisation(ctx: ControlContext) -> Verdict:
    plate, read_id = ctx.planted()
    searcher = ctx.home_actor("searcher", "minimisation-searcher")
    auditor = ctx.home_actor("auditor", "minimisation-auditor")
    partner_id, partner = ctx.outside_searcher("partner", "minimisation-partner")
    ctx.agreement(partner_id)
    for actor in (searcher, partner):
        ctx.expect_allowed_search(actor, plate, f"{actor.label}'s search")
        ctx.client.search(actor, plate_pattern=ctx.pattern(plate), **ctx.purpose(actor))
        ctx.client.get_read(actor, read_id)
    ctx.client.audit_log(auditor)
    ctx.client.access_roster(auditor)
    ctx.client.termination_export()
    offenders: dict[str, list[str]] = {}
    inspected = 0
    for exchange in ctx.client.transcript:
        extras = exchange_extras(exchange)
        inspected += 1
        if extras:
            where = f"{exchange.method} {_template(exchange.path)} {exchange.status}"
            offenders.setdefault(where, [])
            offenders[where] += [m for m in _generalise(extras) if m not in offenders[where]]
            ctx.note(f"{where} answered with member(s) beyond the published API: {', '.join(_generalise(extras))}",
                     _result_of(exchange))
    if offenders:
        listed = "; ".join(f"{where}: {', '.join(members[:6])}" for where, members in offenders.items())
        return FAIL, (f"answers carried members the published API does not define ({listed}); expected only the "
                      "published members (a read is plate, time, camera and agency)")
    return PASS, f"all {inspected} answers of the run carried only the members the published API defines"


def _template(path: str) -> str:
    for _, pattern, op in _operations():
        if pattern.match(path):
            return str(op.get("operationId", path))
    return path


def _generalise(members: list[str]) -> list[str]:
    """``results[3].owner`` -> ``results[].owner`` (one line per kind of member)."""
    return list(dict.fromkeys(re.sub(r"\[\d+\]", "[]", m) for m in members))


def _result_of(exchange: Exchange) -> ApiResult:
    return ApiResult(exchange.status or 0, exchange.response_body, exchange.seq)


# --------------------------------------------------------------------------- PC-MIN-02


def _comparable(result: ApiResult) -> str:
    body = result.body
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in VOLATILE_PROBLEM_MEMBERS}
    return json.dumps([result.status, body], sort_keys=True, ensure_ascii=False)


def _disclosures(result: ApiResult, secrets: dict[str, str]) -> list[str]:
    text = json.dumps(result.body, ensure_ascii=False) if result.body is not None else ""
    return [what for what, value in secrets.items() if value and value.casefold() in text.casefold()]


@control("PC-MIN-02", "Refusals disclose nothing about the data (no existence oracle: same answer, no counts, "
         "cameras or times)", source="platebench (harness addition; catalogue D3 PC-SHR-01 'no existence oracle')",
         actors="in-state, out-of-state and federal searchers without an agreement; a partner searcher after its "
                "agreement was revoked; home searcher with a prohibited purpose")
def refusals_disclose_nothing(ctx: ControlContext) -> Verdict:
    camera = ctx.traffic.camera()
    captured = ctx.now() - delta(days=1)
    plate = ctx.plate()
    read_id = ctx.ingest(ctx.client.admin, plate, captured, camera=camera)
    absent = ctx.plate()  # drawn and checked absent, never planted
    missing_id = _absent_read_id(ctx, read_id)
    secrets = {"the plate": plate, "the camera": camera, "the read id": read_id,
               "the capture time": ctx.iso(captured)[:16]}
    problems: list[str] = []
    compared = 0
    searchers: list[tuple[str, Actor, dict[str, str | None]]] = []
    for kind in ("instate", "out_of_state", "federal"):
        _, actor = ctx.outside_searcher(kind, f"oracle-{kind}")
        searchers.append((f"{kind.replace('_', '-')} searcher without agreement", actor, {}))
    lapsed_id, lapsed = ctx.outside_searcher("partner", "oracle-lapsed-partner")
    revoked = ctx.client.revoke_agreement(ctx.agreement(lapsed_id))
    if not revoked.ok:
        raise SetupFailed(f"revoking a partner's agreement answered {revoked.describe()}")
    searchers.append(("partner searcher after its agreement was revoked", lapsed, {}))
    home = ctx.home_actor("searcher", "oracle-home-searcher")
    variant = ctx.traffic.prohibited(1)[0]
    searchers.append(("home searcher with a prohibited purpose", home, {variant.field: variant.text}))
    for who, actor, overrides in searchers:
        pairs = [("full-plate search", {"plate": plate}, {"plate": absent}),
                 ("wildcard search", {"plate_pattern": ctx.pattern(plate, "prefix")},
                  {"plate_pattern": ctx.pattern(absent, "prefix")})]
        for what, present_q, absent_q in pairs:
            purpose = ctx.purpose(actor, **overrides)
            there = ctx.client.search(actor, **present_q, **purpose)
            purpose = ctx.purpose(actor, **overrides)
            not_there = ctx.client.search(actor, **absent_q, **purpose)
            ctx.note(f"{who}, {what} of a planted plate: {there.describe()}; of an absent one: "
                     f"{not_there.describe()}", there)
            if there.ok or not_there.ok:
                continue  # access itself is the sharing and purpose controls' finding
            compared += 1
            if _comparable(there) != _comparable(not_there):
                problems.append(f"{who}: the refused {what} of a planted plate answered differently from that of "
                                f"an absent plate ({there.describe()} vs {not_there.describe()}); expected the same")
            leaked = _disclosures(there, secrets)
            if leaked:
                problems.append(f"{who}: the refused {what} names {', '.join(leaked)}; expected nothing about the data")
        fetched, nothing = ctx.client.get_read(actor, read_id), ctx.client.get_read(actor, missing_id)
        ctx.note(f"{who}, fetch by id of a home read: {fetched.describe()}; of no read: {nothing.describe()}", fetched)
        if not fetched.ok and not nothing.ok:
            compared += 1
            if _comparable(fetched) != _comparable(nothing):
                problems.append(f"{who}: fetching an existing home read by id answered differently from fetching a "
                                f"missing one ({fetched.describe()} vs {nothing.describe()}); expected the same 404")
            leaked = _disclosures(fetched, {k: v for k, v in secrets.items() if k != "the read id"})
            if leaked:
                problems.append(f"{who}: the refused fetch names {', '.join(leaked)}; expected nothing about the data")
    if compared == 0:
        raise SetupFailed("no refusal to compare: every attempt was allowed (see the sharing and purpose controls)")
    return _verdict(problems, [], f"{compared} refusals of planted data answered exactly like refusals of absent "
                                  "data and named no plate, camera, read id or time")


def _absent_read_id(ctx: ControlContext, read_id: str) -> str:
    """An id shaped like ``read_id`` that the home admin cannot fetch (no such read)."""
    alphabet = "0123456789abcdef" if re.fullmatch(r"[0-9a-f_-]+", read_id.split("_")[-1]) else "ABCDEFGHJKMNPRSTUVWXYZ23456789"
    for _ in range(20):
        tail = "".join(ctx.traffic.rng.choice(alphabet) for _ in range(min(8, max(4, len(read_id) // 2))))
        candidate = read_id[: len(read_id) - len(tail)] + tail
        if candidate != read_id and ctx.client.get_read(ctx.client.admin, candidate).status == 404:
            return candidate
    raise SetupFailed("could not find a read id that does not exist (every guess was a read)")


# --------------------------------------------------------------------------- PC-SHR-08


@control("PC-SHR-08", "Hotlist and alert sharing is opt-in both ways and ends with the agreement",
         source="privacy_controls.md D3 PC-SHR-08", attestable=True,
         actors="admins of an in-state (accepting the city's hotlist), an out-of-state and a federal agency "
                "(hotlists offered to the city); a partner admin under an agreement, then after its revocation; home "
                "admin (reads, own hotlist)")
def hotlists_opt_in(ctx: ControlContext) -> Verdict:
    info = ctx.client.info()
    declared = bool((info.get("capabilities") or {}).get("hotlist_sharing")) if info.ok else False
    plate = ctx.plate()
    outsiders: list[tuple[str, Actor]] = []
    for kind in ("instate", "out_of_state", "federal"):
        agency_id = ctx.agency(kind, f"hotlist-{kind}")
        outsiders.append((kind.replace("_", "-"), ctx.actor(agency_id, "admin", f"hotlist-{kind}-admin")))
    first = ctx.client.create_hotlist(outsiders[0][1], ctx.hotlist_body([plate], [ctx.home_agency_id]))
    ctx.note(f"in-state admin creating a hotlist (capability declared: {declared}): {first.describe()}", first)
    if first.status == 501 and not declared:
        raise NotOffered("the vendor declares no hotlist sharing and POST /v1/hotlists answers 501 not_offered")
    problems: list[str] = []
    if not declared and first.ok:
        problems.append("POST /v1/hotlists worked although /v1/info declares hotlist_sharing false")
    lists = [first]
    for _, admin in outsiders[1:]:
        made = ctx.client.create_hotlist(admin, ctx.hotlist_body([plate], [ctx.home_agency_id]))
        ctx.note(f"{admin.label} creating a hotlist: {made.describe()}", made)
        lists.append(made)
    partner_id = ctx.agency("partner", "hotlist-partner")
    partner_admin = ctx.actor(partner_id, "admin", "hotlist-partner-admin")
    agreement = ctx.agreement(partner_id)
    partner_list = ctx.client.create_hotlist(partner_admin, ctx.hotlist_body([plate], []))
    ctx.note(f"partner admin (under an agreement) creating a hotlist: {partner_list.describe()}", partner_list)
    instate_admin = outsiders[0][1]
    own = ctx.client.create_hotlist(ctx.client.admin, ctx.hotlist_body([plate], [instate_admin.agency_id]))
    ctx.note(f"home admin creating its own hotlist, offered to the in-state agency: {own.describe()}", own)
    if not own.ok:
        raise SetupFailed(f"the home admin could not create a hotlist ({own.describe()})")
    accepted = ctx.client.accept_hotlist(instate_admin, str(own.get("id")))
    ctx.note(f"in-state admin (no agreement) accepting the home hotlist: {accepted.describe()}", accepted)
    first_read = ctx.ingest(ctx.client.admin, plate, ctx.now())
    home_hits = _alerts_on(ctx, ctx.client.admin, {first_read}, "home admin")
    if not any(a.get("hotlist_id") == own.get("id") for a in home_hits):
        raise SetupFailed("the home agency's own hotlist raised no alert on its own read (positive control)")
    outside_ids = {str(r.get("id")) for r in lists if r.ok}
    if any(a.get("hotlist_id") in outside_ids for a in home_hits):
        problems.append("the home agency got an alert from an outside agency's hotlist it never accepted")
    for label, admin in outsiders:
        leaked = _alerts_on(ctx, admin, {first_read}, f"{label} admin")
        if leaked:
            problems.append(f"the {label} agency got {len(leaked)} alert(s) on a home camera's read without any "
                            "agreement" + (" (it accepted the city's hotlist)" if admin is instate_admin else "")
                            + "; expected none")
    under = _alerts_on(ctx, partner_admin, {first_read}, "partner admin under the agreement")
    if not under:
        ctx.note("the partner got no alert under its agreement: revocation of alerts not testable here")
        return _verdict(problems, [], "outside agencies' hotlists raised no alert on the city's reads, and the city "
                                      "got no alert from lists it never accepted; its own list alerted")
    revoked = ctx.client.revoke_agreement(agreement)
    if not revoked.ok:
        raise SetupFailed(f"revoking the partner's agreement answered {revoked.describe()}")
    second_read = ctx.ingest(ctx.client.admin, plate, ctx.now())
    after = _alerts_on(ctx, partner_admin, {first_read, second_read}, "partner admin after revocation")
    if after:
        problems.append(f"after its agreement was revoked the partner still had {len(after)} alert(s) on home reads; "
                        "expected none (alerts end with the agreement)")
    return _verdict(problems, [], "outside agencies' hotlists raised no alert on the city's reads, the city got no "
                                  "alert from lists it never accepted, its own list alerted, and a partner's alerts "
                                  "ended with its agreement")


def _alerts_on(ctx: ControlContext, actor: Actor, read_ids: set[str], who: str) -> list[dict[str, Any]]:
    got = ctx.client.alerts(actor)
    ctx.note(f"{who}'s alerts: {got.describe()}", got)
    return [a for a in got.get("alerts", []) if isinstance(a, dict) and a.get("read_id") in read_ids]

