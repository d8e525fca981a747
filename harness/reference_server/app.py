"""The reference vendor server: the whole RFP evaluation API as a Starlette app over one :class:`Store`.

Every handler authenticates the caller, checks its role and agency, applies the contract rules of
:mod:`.policy` and writes the audit log. A :class:`~.policy.Refusal` raised anywhere becomes an
RFC 9457 problem (and, for audited actions, a ``denied`` audit entry).
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness import __version__
from harness.api import api_version, load_spec
from harness.reference_server.policy import (
    IN_STATE_KINDS,
    OFFENSE_TYPES,
    Policy,
    Refusal,
    check_purpose,
    normalize_pattern,
    normalize_plate,
)
from harness.reference_server.store import Actor, Agency, Store, StoredRead, format_time, new_id, parse_time

MAX_IMAGE_BYTES = 10 * 1024 * 1024
DEFAULT_RETENTION_DAYS = 21
MAX_RETENTION_DAYS = 365
DECLARED_THRESHOLD = 0.5
"""Confidence at or above which the reference vendor says a read should be acted on."""
BOOTSTRAP_ADMIN_NAME = "bootstrap admin"
REDACTED = "[redacted]"
"""What the ``audit-redacted`` flaw puts in place of an outside searcher's identity."""

TITLES = {
    "unauthenticated": "Unauthenticated", "forbidden": "Forbidden", "not_found": "Not found",
    "invalid_request": "Invalid request", "conflict": "Conflict", "unknown_agency": "Unknown agency",
    "reason_required": "Reason required", "case_number_required": "Case number required",
    "case_number_invalid": "Case number malformed", "offense_type_required": "Offense type required",
    "offense_type_not_authorized": "Offense type not authorized", "pattern_too_broad": "Pattern too broad",
    "prohibited_purpose": "Prohibited purpose", "no_agreement": "No sharing agreement",
    "out_of_state_denied": "Out-of-state access denied", "federal_denied": "Federal access denied",
    "retention_exceeds_cap": "Retention exceeds the cap", "invalid_image": "Invalid image",
    "payload_too_large": "Payload too large", "not_offered": "Not offered", "internal_error": "Internal error",
}


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem response with the API's stable ``code``."""
    body = {"type": f"urn:platebench:problem:{code}", "title": TITLES[code], "status": status,
            "detail": detail, "code": code, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


@functools.cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    spec = load_spec()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def validate_body(body: Any, schema_name: str) -> None:
    """Refuse a request body that breaks its schema in the published API document."""
    error = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(body))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise Refusal(400, "invalid_request", f"{where}: {error.message}")


def _time_field(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise Refusal(400, "invalid_request", f"{name}: not an RFC 3339 date-time with an offset") from None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class Attempt:
    """What an audited request was about, filled as the handler learns it (for denied entries too)."""

    action: str
    query: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    case_number: str | None = None
    offense_type: str | None = None
    search_id: str | None = None


Handler = Callable[[Request, Actor, Attempt], Awaitable[Response]]


class ReferenceServer:
    """State and handlers of one server instance."""

    def __init__(self, store: Store, admin_token: str, flaws: frozenset[str] = frozenset(),
                 home_name: str = "City Police Department", home_state: str = "CO") -> None:
        self.store = store
        self.flaws = flaws
        self.policy = Policy(store, flaws)
        self._recognizer_lock = threading.Lock()
        home = store.home() or store.add_agency(home_name, "home", home_state)
        self.bootstrap_admin = store.actor_by_token(admin_token) or store.add_actor(
            home, "admin", BOOTSTRAP_ADMIN_NAME, admin_token)
        if int(store.setting("retention_days", "0")) < 1:
            store.set_setting("retention_days", str(DEFAULT_RETENTION_DAYS))

    # plumbing

    @property
    def home(self) -> Agency:
        home = self.store.home()
        assert home is not None
        return home

    def audit(self, actor: Actor | None, attempt: Attempt, outcome: str, *, code: str | None = None,
              result_count: int | None = None) -> None:
        """Append one audit entry, unless a flaw drops it."""
        if outcome == "denied" and "denied-not-logged" in self.flaws:
            return
        if ("audit-gaps" in self.flaws and attempt.action == "search" and outcome == "allowed"
                and actor is not None and actor.agency.kind == "home" and attempt.query.get("plate_pattern")):
            return
        self.store.append_audit({
            "at": self.store.clock.now(),
            "actor_id": actor.id if actor else None, "actor_name": actor.name if actor else None,
            "actor_role": actor.role if actor else None,
            "agency_id": actor.agency.id if actor else None, "agency_name": actor.agency.name if actor else None,
            "agency_kind": actor.agency.kind if actor else None,
            "action": attempt.action, "query": attempt.query, "reason": attempt.reason,
            "case_number": attempt.case_number, "offense_type": attempt.offense_type, "outcome": outcome,
            "code": code, "result_count": result_count, "search_id": attempt.search_id,
        })

    def authenticate(self, request: Request) -> Actor:
        header = request.headers.get("authorization")
        if header is None and "no-auth" in self.flaws:
            return self.bootstrap_admin
        scheme, _, token = (header or "").partition(" ")
        actor = self.store.actor_by_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if actor is None or not actor.active:
            self.audit(None, Attempt("login", {"path": request.url.path}), "denied", code="unauthenticated")
            detail = "a bearer token is required" if header is None else "unknown or deactivated token"
            raise Refusal(401, "unauthenticated", detail)
        return actor

    @staticmethod
    def require(actor: Actor, *roles: str, home_only: bool = True) -> None:
        if actor.role not in roles or (home_only and actor.agency.kind != "home"):
            who = "the home agency's " if home_only else ""
            raise Refusal(403, "forbidden", f"only {who}{' or '.join(roles)} may do this")

    async def json_body(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise Refusal(400, "invalid_request", "the body is not JSON") from None

    def purge(self) -> None:
        """Delete reads past retention (the retention job), unless retention is ignored."""
        if "retention-ignored" not in self.flaws:
            self.store.delete_reads(captured_before=self.retention_cutoff())

    def retention_cutoff(self) -> float:
        return self.store.clock.now() - int(self.store.setting("retention_days", "21")) * 86400

    def export_entries(self) -> list[dict[str, Any]]:
        """The audit log as the API returns it."""
        entries = []
        for entry in self.store.audit_entries():
            entries.append(self.entry_json(entry))
        return entries

    def entry_json(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry = {**entry, "at": format_time(entry["at"])}
        if "audit-redacted" in self.flaws and entry["agency_kind"] not in (None, "home"):
            entry["actor_id"] = REDACTED
            entry["actor_name"] = REDACTED
        return entry

    def route(self, action: str | None, handler: Handler, *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            attempt = Attempt(action or "")
            actor: Actor | None = None
            try:
                if not public:
                    actor = self.authenticate(request)
                return await handler(request, actor, attempt)  # type: ignore[arg-type]
            except Refusal as refusal:
                if action and actor is not None:
                    self.audit(actor, attempt, "denied", code=refusal.code)
                extra = {"search_id": attempt.search_id} if attempt.search_id else {}
                return problem(refusal.status, refusal.code, refusal.detail, **extra)

        return endpoint

    # service

    async def info(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        from vendor_adapters.reference.recognizer import RECOGNIZER_VERSION

        return JSONResponse({
            "vendor": "platebench", "product": "reference vendor server",
            "version": f"{__version__}+recognizer.{RECOGNIZER_VERSION}", "api_version": api_version(),
            "declared_threshold": DECLARED_THRESHOLD,
            "capabilities": {"boxes": True, "candidates": True, "vendor_timing": True, "sandbox": True,
                             "hotlist_sharing": False},
        })

    async def recognize(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_IMAGE_BYTES + 64 * 1024:
            raise Refusal(413, "payload_too_large", "an image may be at most 10 MB")
        try:
            async with request.form(max_files=1, max_fields=4, max_part_size=MAX_IMAGE_BYTES) as form:
                upload = form.get("image")
                data = upload if isinstance(upload, str) else (await upload.read() if upload else None)
        except HTTPException as exc:
            raise Refusal(400, "invalid_request", f"multipart body: {exc.detail}") from None
        if not data:
            raise Refusal(400, "invalid_request", "multipart field 'image' is required")
        if isinstance(data, str):
            data = data.encode("latin-1")
        if len(data) > MAX_IMAGE_BYTES:
            raise Refusal(413, "payload_too_large", "an image may be at most 10 MB")
        reads, elapsed_ms = await run_in_threadpool(self._recognize, data)
        return JSONResponse({"reads": reads, "processing_ms": round(elapsed_ms, 3)})

    def _recognize(self, data: bytes) -> tuple[list[dict[str, Any]], float]:
        import cv2
        import numpy as np

        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise Refusal(422, "invalid_image", "the upload is not a decodable JPEG or PNG image")
        from vendor_adapters.reference import get_recognizer

        with self._recognizer_lock:
            start = time.perf_counter()
            reads = get_recognizer().read(image)
            elapsed = (time.perf_counter() - start) * 1000
        return [{
            "plate": read.text, "confidence": read.confidence,
            "box": read.box.as_dict() if read.box else None, "region": read.region,
            "candidates": [{"plate": c.text, "confidence": c.confidence} for c in read.candidates],
        } for read in reads], elapsed

    async def me(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        return JSONResponse({"actor": actor.as_json(), "agency": actor.agency.as_json()})

    async def offense_types(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        return JSONResponse({"offense_types": [{"code": c, "label": lbl} for c, lbl in OFFENSE_TYPES.items()]})

    # sandbox

    async def list_agencies(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin", "auditor")
        return JSONResponse({"agencies": [a.as_json() for a in self.store.agencies()]})

    async def create_agency(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin")
        body = await self.json_body(request)
        validate_body(body, "AgencyCreate")
        kind, state = body["kind"], body["state"]
        if kind == "home":
            raise Refusal(409, "conflict", "the home agency already exists")
        if kind in IN_STATE_KINDS and state != self.home.state:
            raise Refusal(400, "invalid_request", f"a {kind} agency must be in {self.home.state}")
        if kind == "out_of_state" and state == self.home.state:
            raise Refusal(400, "invalid_request", f"an out_of_state agency cannot be in {self.home.state}")
        agency = self.store.add_agency(body["name"], kind, state)
        attempt.query = {"agency_id": agency.id}
        self.audit(actor, attempt, "allowed")
        return JSONResponse(agency.as_json(), status_code=201)

    async def create_actor(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin")
        body = await self.json_body(request)
        validate_body(body, "ActorCreate")
        agency = self.store.agency(body["agency_id"])
        if agency is None:
            raise Refusal(400, "unknown_agency", "no agency with that id")
        import secrets

        token = secrets.token_urlsafe(32)
        created = self.store.add_actor(agency, body["role"], body["name"], token)
        attempt.query = {"actor_id": created.id, "agency_id": agency.id}
        self.audit(actor, attempt, "allowed")
        return JSONResponse({**created.as_json(), "token": token}, status_code=201)

    async def deactivate_actor(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin")
        target_id = request.path_params["actor_id"]
        attempt.query = {"actor_id": target_id}
        if self.store.actor(target_id) is None:
            raise Refusal(404, "not_found", "no actor with that id")
        if target_id == actor.id:
            raise Refusal(400, "invalid_request", "an admin cannot deactivate itself")
        self.store.deactivate_actor(target_id)
        self.audit(actor, attempt, "allowed")
        target = self.store.actor(target_id)
        assert target is not None
        return JSONResponse(target.as_json())

    async def ingest(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin", home_only=False)
        body = await self.json_body(request)
        validate_body(body, "ReadCreate")
        plate = normalize_plate(body["plate"])
        if not plate or len(plate) > 12:
            raise Refusal(400, "invalid_request", "plate: needs 1-12 letters or digits")
        captured = _time_field(body, "captured_at")
        assert captured is not None
        read = self.store.add_read(actor.agency, plate, captured, body["camera_id"])
        attempt.query = {"plate": plate, "read_id": read.id}
        self.audit(actor, attempt, "allowed", result_count=1)
        return JSONResponse(read.as_json(), status_code=201)

    async def get_clock(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        return JSONResponse({"now": format_time(self.store.clock.now())})

    async def advance_clock(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin")
        body = await self.json_body(request)
        validate_body(body, "ClockAdvance")
        attempt.query = {"advance_seconds": body["advance_seconds"]}
        now = self.store.advance_clock(body["advance_seconds"])
        self.purge()
        self.audit(actor, attempt, "allowed")
        return JSONResponse({"now": format_time(now)})

    # search and reads

    async def search(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        attempt.search_id = new_id("s")
        body = await self.json_body(request)
        if isinstance(body, dict):
            attempt.query = {k: _text(body.get(k)) for k in ("plate", "plate_pattern", "from", "to") if k in body}
            attempt.reason = _text(body.get("reason"))
            attempt.case_number = _text(body.get("case_number"))
            attempt.offense_type = _text(body.get("offense_type"))
        self.require(actor, "admin", "searcher", home_only=False)
        validate_body(body, "SearchRequest")
        if ("plate" in body) == ("plate_pattern" in body):
            raise Refusal(400, "invalid_request", "give exactly one of plate and plate_pattern")
        plate = normalize_plate(body["plate"]) if "plate" in body else None
        if plate == "":
            raise Refusal(400, "invalid_request", "plate: needs letters or digits")
        pattern = normalize_pattern(body["plate_pattern"]) if "plate_pattern" in body else None
        since, until = _time_field(body, "from"), _time_field(body, "to")
        check_purpose(body, self.flaws)
        scope = self.policy.scope(actor.agency, full_plate=plate is not None)
        self.purge()
        kept_after = None if "retention-ignored" in self.flaws else self.retention_cutoff()
        reads = self.store.find_reads(
            list(scope.agency_ids) if scope.agency_ids is not None else None,
            plate=plate, glob=pattern, since=since, until=until, kept_after=kept_after)
        self.audit(actor, attempt, "allowed", result_count=len(reads))
        return JSONResponse({"search_id": attempt.search_id, "results": [r.as_json() for r in reads]})

    def visible_read(self, actor: Actor, read_id: str) -> StoredRead | None:
        self.purge()
        read = self.store.read(read_id)
        if read is None or not self.policy.can_see(actor.agency, read.agency_id):
            return None
        if "retention-ignored" not in self.flaws and read.captured_at <= self.retention_cutoff():
            return None
        return read

    async def get_read(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        read_id = request.path_params["read_id"]
        attempt.query = {"read_id": read_id}
        self.require(actor, "admin", "searcher", home_only=False)
        read = self.visible_read(actor, read_id)
        if read is None:
            raise Refusal(404, "not_found", "no such read")
        self.audit(actor, attempt, "allowed", result_count=1)
        return JSONResponse(read.as_json())

    # oversight

    async def audit_log(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin", "auditor")
        bounds = {}
        for name in ("since", "until"):
            value = request.query_params.get(name)
            if value is not None:
                try:
                    bounds[name] = parse_time(value)
                except ValueError:
                    raise Refusal(400, "invalid_request", f"{name}: not an RFC 3339 date-time") from None
        entries = [self.entry_json(e) for e in self.store.audit_entries(bounds.get("since"), bounds.get("until"))]
        self.audit(actor, attempt, "allowed", result_count=len(entries))
        return JSONResponse({"entries": entries})

    async def access_roster(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin", "auditor")
        accounts = []
        for account in self.store.actors():
            accounts.append({
                "actor_id": account.id, "name": account.name, "agency_id": account.agency.id,
                "agency_name": account.agency.name, "agency_kind": account.agency.kind,
                "state": account.agency.state, "role": account.role, "active": account.active,
                "home_data_access": account.active and account.role in ("admin", "searcher")
                and self._declared_home_access(account.agency),
            })
        return JSONResponse({"accounts": accounts})

    def _declared_home_access(self, agency: Agency) -> bool:
        try:
            scope = self.policy.scope(agency, full_plate=False, declared=True)
        except Refusal:
            return False
        return scope.agency_ids is None or self.home.id in scope.agency_ids

    async def list_agreements(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin", "auditor")
        now = self.store.clock.now()
        return JSONResponse({"agreements": [a.as_json(now) for a in self.store.agreements()]})

    async def create_agreement(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        body = await self.json_body(request)
        if isinstance(body, dict):
            attempt.query = {"agency_id": _text(body.get("agency_id"))}
        self.require(actor, "admin")
        validate_body(body, "SharingAgreementCreate")
        agency = self.store.agency(body["agency_id"])
        if agency is None:
            raise Refusal(400, "unknown_agency", "no agency with that id")
        self.policy.may_receive_agreement(agency)
        now = self.store.clock.now()
        active = [a for a in self.store.agreements(agency.id) if a.status(now) == "active"]
        if active:
            raise Refusal(409, "conflict", f"agreement {active[0].id} is already active for this agency")
        expires = _time_field(body, "expires_at")
        if expires is not None and expires <= now:
            raise Refusal(400, "invalid_request", "expires_at: must be after the sandbox clock's now")
        agreement = self.store.add_agreement(agency, expires)
        attempt.query["agreement_id"] = agreement.id
        self.audit(actor, attempt, "allowed")
        return JSONResponse(agreement.as_json(now), status_code=201)

    async def revoke_agreement(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        agreement_id = request.path_params["agreement_id"]
        attempt.query = {"agreement_id": agreement_id}
        self.require(actor, "admin")
        agreement = self.store.agreement(agreement_id)
        if agreement is None:
            raise Refusal(404, "not_found", "no agreement with that id")
        attempt.query["agency_id"] = agreement.agency.id
        now = self.store.clock.now()
        self.store.revoke_agreement(agreement_id, now)
        self.audit(actor, attempt, "allowed")
        revoked = self.store.agreement(agreement_id)
        assert revoked is not None
        return JSONResponse(revoked.as_json(now))

    def retention_json(self) -> dict[str, int]:
        return {"days": int(self.store.setting("retention_days", "21")), "max_days": MAX_RETENTION_DAYS}

    async def get_retention(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin", "auditor")
        return JSONResponse(self.retention_json())

    async def set_retention(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        body = await self.json_body(request)
        if isinstance(body, dict) and isinstance(body.get("days"), int):
            attempt.query = {"days": body["days"]}
        self.require(actor, "admin")
        validate_body(body, "RetentionUpdate")
        if body["days"] > MAX_RETENTION_DAYS:
            raise Refusal(400, "retention_exceeds_cap", f"the contract caps retention at {MAX_RETENTION_DAYS} days")
        self.store.set_setting("retention_days", str(body["days"]))
        self.purge()
        self.audit(actor, attempt, "allowed")
        return JSONResponse(self.retention_json())

    # termination

    async def termination_export(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin")
        self.purge()
        kept_after = None if "retention-ignored" in self.flaws else self.retention_cutoff()
        reads = self.store.find_reads([self.home.id], kept_after=kept_after)
        entries = self.export_entries()
        self.audit(actor, attempt, "allowed", result_count=len(reads))
        return JSONResponse({"reads": [r.as_json() for r in reads], "count": len(reads), "audit_entries": entries})

    async def termination_delete(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.require(actor, "admin")
        self.purge()
        if "no-deletion-on-termination" in self.flaws:
            deleted = len(self.store.find_reads([self.home.id]))
        else:
            deleted = self.store.delete_reads(agency_id=self.home.id)
        self.audit(actor, attempt, "allowed", result_count=deleted)
        return JSONResponse({"deleted": deleted})

    async def not_offered(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        raise Refusal(501, "not_offered", "the reference vendor does not offer hotlist sharing")

    def routes(self) -> list[Route]:
        r = self.route
        return [
            Route("/v1/info", r(None, self.info, public=True), methods=["GET"]),
            Route("/v1/recognize", r(None, self.recognize, public=True), methods=["POST"]),
            Route("/v1/me", r(None, self.me), methods=["GET"]),
            Route("/v1/offense-types", r(None, self.offense_types), methods=["GET"]),
            Route("/v1/sandbox/agencies", r(None, self.list_agencies), methods=["GET"]),
            Route("/v1/sandbox/agencies", r("create_agency", self.create_agency), methods=["POST"]),
            Route("/v1/sandbox/actors", r("create_actor", self.create_actor), methods=["POST"]),
            Route("/v1/sandbox/actors/{actor_id}", r("deactivate_actor", self.deactivate_actor), methods=["DELETE"]),
            Route("/v1/sandbox/reads", r("ingest", self.ingest), methods=["POST"]),
            Route("/v1/sandbox/clock", r(None, self.get_clock), methods=["GET"]),
            Route("/v1/sandbox/clock", r("advance_clock", self.advance_clock), methods=["POST"]),
            Route("/v1/search", r("search", self.search), methods=["POST"]),
            Route("/v1/reads/{read_id}", r("read", self.get_read), methods=["GET"]),
            Route("/v1/audit-log", r("audit_export", self.audit_log), methods=["GET"]),
            Route("/v1/access-roster", r(None, self.access_roster), methods=["GET"]),
            Route("/v1/sharing-agreements", r(None, self.list_agreements), methods=["GET"]),
            Route("/v1/sharing-agreements", r("share", self.create_agreement), methods=["POST"]),
            Route("/v1/sharing-agreements/{agreement_id}", r("revoke", self.revoke_agreement), methods=["DELETE"]),
            Route("/v1/retention", r(None, self.get_retention), methods=["GET"]),
            Route("/v1/retention", r("retention", self.set_retention), methods=["PUT"]),
            Route("/v1/termination/export", r("export", self.termination_export), methods=["POST"]),
            Route("/v1/termination/delete", r("delete", self.termination_delete), methods=["POST"]),
            Route("/v1/hotlists", r(None, self.not_offered), methods=["POST"]),
            Route("/v1/alerts", r(None, self.not_offered), methods=["GET"]),
        ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problem(404, "not_found", f"no such endpoint: {request.url.path}")
    if exc.status_code == 405:
        return problem(405, "invalid_request", f"{request.method} is not allowed on {request.url.path}")
    return problem(max(exc.status_code, 400), "invalid_request", str(exc.detail))


async def _crash(request: Request, exc: Exception) -> Response:
    print(f"reference server: {request.method} {request.url.path} failed: {exc!r}", file=sys.stderr)
    return problem(500, "internal_error", "the server failed; see its log")


def create_app(store: Store, admin_token: str, flaws: frozenset[str] = frozenset(),
               home_name: str = "City Police Department", home_state: str = "CO") -> Starlette:
    """The Starlette app of one reference server over ``store`` (bootstraps the home agency once)."""
    server = ReferenceServer(store, admin_token, flaws, home_name, home_state)
    app = Starlette(routes=server.routes(),
                    exception_handlers={HTTPException: _http_error, Exception: _crash})
    app.state.server = server
    return app
