"""The reference vendor server: the whole RFP evaluation API as a Starlette app over one :class:`Store`.

Every handler authenticates the caller, checks its role and agency, applies the contract rules of
the policy model (:mod:`harness.policy.rules`, through :class:`~.decisions.Decisions`) and writes the
audit log. A :class:`~harness.policy.Refusal` raised anywhere becomes an RFC 9457 problem (and, for
audited actions, a ``denied`` audit entry).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from harness.policy import PROBLEMS, Policy, PurposeClassifier, Refusal, default_classifier, default_policy
from harness.policy.rules import (
    OPERATIONS,
    authorize,
    check_agency_state,
    check_agreement_recipient,
    check_pattern,
    check_plate,
    check_retention,
)
from harness.reference_server.decisions import Decisions
from harness.reference_server.store import Actor, Agency, Store, StoredRead, format_time, new_id, parse_time
from vendor_adapters.base import Adapter, Image
from vendor_adapters.errors import ImageRejected

MAX_IMAGE_BYTES = 10 * 1024 * 1024
DECLARED_THRESHOLD = 0.5
DEFAULT_ENGINE = "reference"
"""The adapter (registry name) whose recognizer the server serves unless told otherwise."""
"""Confidence at or above which the reference vendor says a read should be acted on."""
BOOTSTRAP_ADMIN_NAME = "bootstrap admin"
REDACTED = "[redacted]"
"""What the ``audit-redacted`` flaw puts in place of an outside searcher's identity."""
LOCAL_OFFSET_SECONDS = 7 * 3600
"""Denver's offset from UTC, which the ``audit-time-skew`` flaw forgets."""
OUTSIDE_ADMIN_FLAWS = {"create_actor": "outside-admin-provisions", "audit_export": "outside-admin-reads-audit",
                       "export": "outside-admin-terminates"}
EXPORT_WINDOW_SECONDS = 7 * 86400
"""What the ``termination-export-incomplete`` flaw exports."""


def problem(status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem response with the API's stable ``code``."""
    body = {"type": f"urn:platebench:problem:{code}", "title": PROBLEMS[code][1], "status": status,
            "detail": detail, "code": code, **extra}
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers or None)


@functools.cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    spec = load_spec()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_body(body: Any, schema_name: str) -> None:
    """Refuse a request body that breaks its schema in the published API document."""
    error = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(body))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise Refusal("invalid_request", f"{where}: {error.message}")


def require_members(body: Any, schema_name: str, strings: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body as an object with only the schema's members, ``strings`` (when present) being strings.

    The rules then run in the documented order; :func:`validate_body` checks the rest afterwards.
    """
    if not isinstance(body, dict):
        raise Refusal("invalid_request", "body: a JSON object is required")
    known = load_spec()["components"]["schemas"][schema_name]["properties"]
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise Refusal("invalid_request", f"body: unknown member(s) {', '.join(unknown)}")
    for name in strings:
        if name in body and not isinstance(body[name], str):
            raise Refusal("invalid_request", f"{name}: must be a string")
    return body


def _time_field(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        raise Refusal("invalid_request", f"{name}: not an RFC 3339 date-time with an offset") from None


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
    logged: bool = True
    """False when the handler logged the action itself, or a flaw hides it."""


Handler = Callable[[Request, Actor, Attempt], Awaitable[Response]]


class ReferenceServer:
    """State and handlers of one server instance."""

    def __init__(self, store: Store, admin_token: str, flaws: frozenset[str] = frozenset(),
                 policy: Policy | None = None, classifier: PurposeClassifier | None = None,
                 published: Mapping[str, list[str]] | None = None, engine: str = DEFAULT_ENGINE,
                 engine_options: Mapping[str, Any] | None = None) -> None:
        self.store = store
        self.engine_name = engine
        self.engine_options = dict(engine_options or {})
        self._engine: Adapter | None = None
        self.flaws = flaws
        self.published = dict(published or {})
        """Image sha256 -> published labels (what the ``memorize-public`` flaw answers from)."""
        self._answered: dict[str, list[dict[str, Any]]] = {}
        """Image sha256 -> the reads sent (what the ``cache-by-hash`` flaw answers repeats from)."""
        self.policy = policy or default_policy()
        self.decisions = Decisions(store, self.policy, classifier or default_classifier, flaws)
        self._recognizer_lock = threading.Lock()
        home = store.home() or store.add_agency(self.policy.home_name, "home", self.policy.home_state)
        self.bootstrap_admin = store.actor_by_token(admin_token) or store.add_actor(
            home, "admin", BOOTSTRAP_ADMIN_NAME, admin_token)
        if int(store.setting("retention_days", "0")) < 1:
            store.set_setting("retention_days", str(self.policy.retention_days))

    # plumbing

    @property
    def home(self) -> Agency:
        home = self.store.home()
        assert home is not None
        return home

    def audit(self, actor: Actor | None, attempt: Attempt, outcome: str, *, code: str | None = None,
              result_count: int | None = None) -> None:
        """Append one audit entry, unless a flaw drops it."""
        attempt.logged = False
        if outcome == "denied" and "denied-not-logged" in self.flaws:
            return
        if ("audit-gaps" in self.flaws and attempt.action == "search" and outcome == "allowed"
                and actor is not None and actor.agency.kind == "home" and attempt.query.get("plate_pattern")):
            return
        if "audit-missing-fetch" in self.flaws and attempt.action == "read" and outcome == "allowed":
            return
        who = actor
        if "audit-misattributed" in self.flaws and actor is not None and actor.agency.kind != "home":
            who = self.bootstrap_admin
        self.store.append_audit({
            "at": self.store.clock.now(),
            "actor_id": who.id if who else None, "actor_name": who.name if who else None,
            "actor_role": who.role if who else None,
            "agency_id": who.agency.id if who else None, "agency_name": who.agency.name if who else None,
            "agency_kind": who.agency.kind if who else None,
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
        if actor is None or not (actor.active or "deactivated-token-works" in self.flaws):
            self.audit(None, Attempt("login", {"path": request.url.path}), "denied", code="unauthenticated")
            detail = "a bearer token is required" if header is None else "unknown or deactivated token"
            raise Refusal("unauthenticated", detail)
        return actor

    def authorize(self, actor: Actor, operation: str) -> None:
        """The policy's role x operation matrix, and the flaws that open it to outside admins."""
        if ("audit-editable" in self.flaws and operation in ("audit_edit", "audit_delete")
                and actor.agency.kind == "home" and actor.role == "admin"):
            return
        if actor.role == "admin" and actor.agency.kind != "home" and OUTSIDE_ADMIN_FLAWS.get(operation) in self.flaws:
            return
        authorize(operation, actor.role, actor.agency.kind)

    async def json_body(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise Refusal("invalid_request", "the body is not JSON") from None

    def purge(self) -> None:
        """The retention job: delete reads past retention (unless a retention flaw keeps them)."""
        if self.decisions.purges():
            cutoff = self.store.clock.now() - self.decisions.retention_days() * 86400
            self.store.delete_reads(captured_before=cutoff)

    def entry_json(self, entry: dict[str, Any]) -> dict[str, Any]:
        """An audit entry as the API returns it."""
        at = entry["at"]
        if "audit-time-skew" in self.flaws:
            at -= LOCAL_OFFSET_SECONDS
        stamp = format_time(at)
        if "audit-time-no-zone" in self.flaws:
            stamp = datetime.fromtimestamp(at, tz=UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        entry = {k: v for k, v in entry.items() if k != "seq"} | {"at": stamp}
        if "audit-redacted" in self.flaws and entry["agency_kind"] not in (None, "home"):
            entry["actor_id"] = REDACTED
            entry["actor_name"] = REDACTED
        return entry

    def read_json(self, read: StoredRead) -> dict[str, Any]:
        """A read as the API returns it (the ``extra-personal-data`` flaw adds what it must not)."""
        body = read.as_json()
        if "extra-personal-data" in self.flaws:
            digest = read.id[-6:]
            body |= {"registered_owner": f"Owner {digest}", "owner_address": f"{int(digest, 16) % 9000 + 100} Main St",
                     "image_url": f"https://cdn.example/reads/{read.id}.jpg"}
        return body

    def route(self, operation: str | None, handler: Handler, *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
        audited = operation is not None and OPERATIONS[operation].audited

        async def endpoint(request: Request) -> Response:
            attempt = Attempt(operation if audited else "")  # type: ignore[arg-type]
            actor: Actor | None = None
            try:
                if not public:
                    actor = self.authenticate(request)
                    self.purge()
                response = await handler(request, actor, attempt)  # type: ignore[arg-type]
            except Refusal as refusal:
                if audited and actor is not None:
                    self.audit(actor, attempt, "denied", code=refusal.code)
                extra = {"search_id": attempt.search_id} if attempt.search_id else {}
                extra |= getattr(refusal, "disclosed", {})
                return problem(refusal.status, refusal.code, refusal.detail, **extra)
            if audited and attempt.logged and response.status_code < 400:
                self.audit(actor, attempt, "allowed")
            return response

        return endpoint

    # service

    @property
    def engine(self) -> Adapter:
        """The recognizer served, an in-process adapter from the registry (built on first use)."""
        if self._engine is None:
            from vendor_adapters.registry import create_adapter

            self._engine = create_adapter(self.engine_name, self.engine_options)
        return self._engine

    async def info(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        engine = await run_in_threadpool(self.engine.info)
        return JSONResponse({
            "vendor": "platebench", "product": "reference vendor server",
            "version": f"{__version__}; engine {self.engine_name}: {engine.version}", "api_version": api_version(),
            "declared_threshold": DECLARED_THRESHOLD,
            "capabilities": {"boxes": True, "candidates": True, "vendor_timing": True, "sandbox": True,
                             "hotlist_sharing": True},
        })

    async def recognize(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_IMAGE_BYTES + 64 * 1024:
            raise Refusal("payload_too_large", "an image may be at most 10 MB")
        try:
            async with request.form(max_files=1, max_fields=4, max_part_size=MAX_IMAGE_BYTES) as form:
                if set(form.keys()) - {"image"}:
                    raise Refusal("invalid_request", "multipart: the only field is 'image'")
                upload = form.get("image")
                data = upload if isinstance(upload, str) else (await upload.read() if upload else None)
        except HTTPException as exc:
            raise Refusal("invalid_request", f"multipart body: {exc.detail}") from None
        if not data:
            raise Refusal("invalid_request", "multipart field 'image' is required")
        if isinstance(data, str):
            data = data.encode("latin-1")
        if len(data) > MAX_IMAGE_BYTES:
            raise Refusal("payload_too_large", "an image may be at most 10 MB")
        reads, elapsed_ms = await run_in_threadpool(self._recognize, data)
        return JSONResponse({"reads": reads, "processing_ms": round(elapsed_ms, 3)})

    def _recognize(self, data: bytes) -> tuple[list[dict[str, Any]], float]:
        """Read one image (with a recognition flaw: answer a repeat without reading it, or a published image
        with its published labels after reading it, so that the answer takes an honest reader's time)."""
        digest = hashlib.sha256(data).hexdigest()
        if "memorize-public" in self.flaws and digest in self.published:
            reads, elapsed = self._read(data)
            boxes = [read["box"] for read in reads]
            return [{"plate": text, "confidence": 0.99, "box": boxes[i] if i < len(boxes) else None, "region": None,
                     "candidates": []} for i, text in enumerate(self.published[digest])], elapsed
        if "cache-by-hash" in self.flaws and digest in self._answered:
            return self._answered[digest], 0.0
        reads, elapsed = self._read(data)
        if "cache-by-hash" in self.flaws:
            self._answered[digest] = reads
        return reads, elapsed

    def _read(self, data: bytes) -> tuple[list[dict[str, Any]], float]:
        media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        with self._recognizer_lock:  # one image at a time, as the engine was built
            start = time.perf_counter()
            try:
                recognition = self.engine.recognize(Image(data, media_type, "upload"))
            except ImageRejected:
                raise Refusal("invalid_image", "the upload is not a decodable JPEG or PNG image") from None
            elapsed = (time.perf_counter() - start) * 1000
        return [{
            "plate": read.text, "confidence": read.confidence,
            "box": read.box.as_dict() if read.box else None, "region": read.region,
            "candidates": [{"plate": c.text, "confidence": c.confidence} for c in read.candidates],
        } for read in recognition.reads], elapsed

    async def me(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        return JSONResponse({"actor": actor.as_json(), "agency": actor.agency.as_json()})

    async def offense_types(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        return JSONResponse({"offense_types": [{"code": c, "label": label}
                                               for c, label in self.policy.offense_types.items()]})

    # sandbox

    async def list_agencies(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "list_agencies")
        return JSONResponse({"agencies": [a.as_json() for a in self.store.agencies()]})

    async def create_agency(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "create_agency")
        body = require_members(await self.json_body(request), "AgencyCreate", ("name", "kind", "state"))
        name, kind, state = body.get("name"), body.get("kind"), body.get("state")
        if name and kind in self.policy.agency_kinds and isinstance(state, str) and re.fullmatch("[A-Z]{2}", state):
            check_agency_state(self.policy, kind, state)
        validate_body(body, "AgencyCreate")
        agency = self.store.add_agency(body["name"], kind, state)
        attempt.query = {"agency_id": agency.id}
        return JSONResponse(agency.as_json(), status_code=201)

    async def create_actor(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "create_actor")
        body = await self.json_body(request)
        validate_body(body, "ActorCreate")
        agency = self.store.agency(body["agency_id"])
        if agency is None:
            raise Refusal("unknown_agency", "no agency with that id")
        token = secrets.token_urlsafe(32)
        created = self.store.add_actor(agency, body["role"], body["name"], token)
        attempt.query = {"actor_id": created.id, "agency_id": agency.id}
        return JSONResponse({**created.as_json(), "token": token}, status_code=201)

    async def deactivate_actor(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        target_id = request.path_params["actor_id"]
        attempt.query = {"actor_id": target_id}
        self.authorize(actor, "deactivate_actor")
        if self.store.actor(target_id) is None:
            raise Refusal("not_found", "no actor with that id")
        if target_id == actor.id:
            raise Refusal("conflict", "an admin cannot deactivate itself")
        self.store.deactivate_actor(target_id)
        target = self.store.actor(target_id)
        assert target is not None
        return JSONResponse(target.as_json())

    async def reset(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        if actor.id != self.bootstrap_admin.id:
            raise Refusal("forbidden", "only the bootstrap admin may reset the sandbox")
        self.store.reset(self.home.id, self.bootstrap_admin.id)
        self.store.set_setting("retention_days", str(self.policy.retention_days))
        return JSONResponse({"now": format_time(self.store.clock.now())})

    async def ingest(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "ingest")
        body = await self.json_body(request)
        validate_body(body, "ReadCreate")
        plate = check_plate(body["plate"])
        captured = _time_field(body, "captured_at")
        assert captured is not None
        read = self.store.add_read(actor.agency, plate, captured, body["camera_id"])
        self.deliver_alerts(read)
        attempt.query = {"plate": plate, "read_id": read.id}
        self.audit(actor, attempt, "allowed", result_count=1)
        return JSONResponse(read.as_json(), status_code=201)

    async def get_clock(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        return JSONResponse({"now": format_time(self.store.clock.now())})

    async def advance_clock(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "advance_clock")
        body = await self.json_body(request)
        validate_body(body, "ClockAdvance")
        seconds = int(body["advance_seconds"])
        attempt.query = {"advance_seconds": seconds}
        now = self.store.advance_clock(seconds)
        self.purge()
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
        self.authorize(actor, "search")
        require_members(body, "SearchRequest", ("plate", "plate_pattern", "from", "to", "offense_type", "reason",
                                                "case_number"))
        if ("plate" in body) == ("plate_pattern" in body):
            raise Refusal("invalid_request", "give exactly one of plate and plate_pattern")
        plate = check_plate(body["plate"]) if "plate" in body else None
        pattern = check_pattern(self.policy, body["plate_pattern"]) if "plate_pattern" in body else None
        since, until = _time_field(body, "from"), _time_field(body, "to")
        fields = {k: body.get(k) for k in ("reason", "case_number", "offense_type")}
        self.decisions.check_search_purpose(actor, fields)
        if not ("purpose-home-only" in self.flaws or self.flaws & {"no-reason-required", "no-case-number",
                                                                   "placeholder-case-numbers"}):
            validate_body(body, "SearchRequest")
        try:
            scope = self.decisions.search_scope(actor, full_plate=plate is not None,
                                                looks_like_test=self.decisions.looks_like_test(plate, fields))
        except Refusal as refusal:
            if "leaky-refusals" in self.flaws:
                self._disclose(refusal, plate, pattern)
            elif ("renewal-teaser" in self.flaws and refusal.code == "no_agreement"
                  and self.store.agreements(actor.agency.id)):
                self._disclose(refusal, plate, pattern, teaser=True)
            raise
        path = "search" if plate is not None else "wildcard"
        reads = [r for r in self.store.find_reads(scope, plate=plate, glob=pattern, since=since, until=until)
                 if self.decisions.retained(r, path=path)]
        self.audit(actor, attempt, "allowed", result_count=len(reads))
        return JSONResponse({"search_id": attempt.search_id, "results": [self.read_json(r) for r in reads]})

    def _disclose(self, refusal: Refusal, plate: str | None, pattern: str | None, *, teaser: bool = False) -> None:
        """The ``leaky-refusals`` and ``renewal-teaser`` flaws: say what the refusal hides."""
        hidden = self.store.find_reads([self.home.id], plate=plate, glob=pattern)
        if hidden:
            refusal.detail += (f" ({len(hidden)} matching read(s) available once your sharing agreement is renewed)"
                               if teaser else
                               f" ({len(hidden)} matching read(s) hidden; last seen by camera {hidden[-1].camera_id})")
            refusal.disclosed = {"matches": len(hidden)}  # type: ignore[attr-defined]

    async def get_read(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        read_id = request.path_params["read_id"]
        attempt.query = {"read_id": read_id}
        self.authorize(actor, "read")
        read = self.store.read(read_id)
        if read is None or not self.decisions.may_fetch(actor, read) or not self.decisions.retained(read, path="fetch"):
            raise Refusal("not_found", "no such read")
        self.audit(actor, attempt, "allowed", result_count=1)
        return JSONResponse(self.read_json(read))

    # oversight

    async def audit_log(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "audit_export")
        bounds: dict[str, float] = {}
        for name in ("since", "until"):
            value = request.query_params.get(name)
            if value is not None:
                try:
                    bounds[name] = parse_time(value)
                except ValueError:
                    raise Refusal("invalid_request", f"{name}: not an RFC 3339 date-time") from None
        limit = after = None
        if "limit" in request.query_params:
            text = request.query_params["limit"]
            if not text.isdigit() or not 1 <= int(text) <= 1000:
                raise Refusal("invalid_request", "limit: an integer from 1 to 1000")
            limit = int(text)
        if "cursor" in request.query_params:
            text = request.query_params["cursor"]
            if not text.startswith("c") or not text[1:].isdigit():
                raise Refusal("invalid_request", "cursor: not a cursor this server gave")
            after = int(text[1:]) + (1 if "audit-page-drop" in self.flaws else 0)
        rows = self.store.audit_entries(bounds.get("since"), bounds.get("until"), after_seq=after,
                                        limit=None if limit is None else limit + 1)
        more = limit is not None and len(rows) > limit
        rows = rows[:limit] if limit is not None else rows
        entries = [self.entry_json(e) for e in rows]
        self.audit(actor, attempt, "allowed", result_count=len(entries))
        return JSONResponse({"entries": entries, "next_cursor": f"c{rows[-1]['seq']}" if more else None})

    async def change_audit_entry(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        entry_id = request.path_params["entry_id"]
        attempt.query = {"entry_id": entry_id}
        editing = request.method == "PATCH"
        self.authorize(actor, "audit_edit" if editing else "audit_delete")
        body = await self.json_body(request) if editing else None
        attempt.logged = False  # the audit-editable flaw: the tampering leaves no trace
        changed = (self.store.edit_audit(entry_id, body if isinstance(body, dict) else {}) if editing
                   else self.store.delete_audit(entry_id))
        return JSONResponse({"id": entry_id, "changed": bool(changed)})

    async def access_roster(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "access_roster")
        accounts = []
        for account in self.store.actors():
            if "roster-missing-deactivated" in self.flaws and not account.active:
                continue
            accounts.append({
                "actor_id": account.id, "name": account.name, "agency_id": account.agency.id,
                "agency_name": account.agency.name, "agency_kind": account.agency.kind,
                "state": account.agency.state, "role": account.role, "active": account.active,
                "home_data_access": account.active and account.role in ("admin", "searcher")
                and self.decisions.declared_home_access(account.agency),
            })
        return JSONResponse({"accounts": accounts})

    async def list_agreements(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "list_agreements")
        now = self.store.clock.now()
        return JSONResponse({"agreements": [a.as_json(now) for a in self.store.agreements()]})

    async def create_agreement(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        body = await self.json_body(request)
        if isinstance(body, dict):
            attempt.query = {"agency_id": _text(body.get("agency_id"))}
        self.authorize(actor, "share")
        validate_body(body, "SharingAgreementCreate")
        agency = self.store.agency(body["agency_id"])
        if agency is None:
            raise Refusal("unknown_agency", "no agency with that id")
        check_agreement_recipient(self.decisions.flawed, agency.kind)
        now = self.store.clock.now()
        active = [a for a in self.store.agreements(agency.id) if a.status(now) == "active"]
        if active:
            raise Refusal("conflict", f"agreement {active[0].id} is already active for this agency")
        expires = _time_field(body, "expires_at")
        if expires is not None and expires <= now:
            raise Refusal("conflict", "expires_at: must be after the sandbox clock's now")
        agreement = self.store.add_agreement(agency, expires)
        attempt.query["agreement_id"] = agreement.id
        return JSONResponse(agreement.as_json(now), status_code=201)

    async def revoke_agreement(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        agreement_id = request.path_params["agreement_id"]
        attempt.query = {"agreement_id": agreement_id}
        self.authorize(actor, "revoke")
        agreement = self.store.agreement(agreement_id)
        if agreement is None:
            raise Refusal("not_found", "no agreement with that id")
        attempt.query["agency_id"] = agreement.agency.id
        now = self.store.clock.now()
        self.store.revoke_agreement(agreement_id, now)
        revoked = self.store.agreement(agreement_id)
        assert revoked is not None
        return JSONResponse(revoked.as_json(now))

    def retention_json(self) -> dict[str, int]:
        return {"days": self.decisions.retention_days(), "max_days": self.policy.max_retention_days}

    async def get_retention(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "get_retention")
        return JSONResponse(self.retention_json())

    async def set_retention(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        body = await self.json_body(request)
        days = body.get("days") if isinstance(body, dict) else None
        whole = isinstance(days, int | float) and not isinstance(days, bool) and float(days).is_integer()
        if whole:
            attempt.query = {"days": int(days)}  # type: ignore[arg-type]
        self.authorize(actor, "retention")
        if whole and int(days) >= 1:  # type: ignore[arg-type]
            check_retention(self.policy, int(days))  # type: ignore[arg-type]
        validate_body(body, "RetentionUpdate")
        self.store.set_setting("retention_days", str(int(body["days"])))
        self.purge()
        return JSONResponse(self.retention_json())

    # termination

    async def termination_export(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "export")
        reads = [r for r in self.store.find_reads([self.home.id]) if self.decisions.retained(r, path="export")]
        if "termination-export-incomplete" in self.flaws:
            reads = [r for r in reads if r.captured_at > self.store.clock.now() - EXPORT_WINDOW_SECONDS]
        entries = [self.entry_json(e) for e in self.store.audit_entries()]
        self.audit(actor, attempt, "allowed", result_count=len(reads))
        return JSONResponse({"reads": [self.read_json(r) for r in reads], "count": len(reads), "audit_entries": entries})

    async def termination_delete(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "delete")
        if "no-deletion-on-termination" in self.flaws:
            deleted = len(self.store.find_reads([self.home.id]))
        else:
            deleted = self.store.delete_reads(agency_id=self.home.id)
        if "audit-purged-on-termination" in self.flaws:
            self.store.delete_audit()
        self.audit(actor, attempt, "allowed", result_count=deleted)
        return JSONResponse({"deleted": deleted})

    # hotlists and alerts (PC-SHR-08)

    async def create_hotlist(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        body = await self.json_body(request)
        if isinstance(body, dict):
            attempt.reason, attempt.case_number = _text(body.get("reason")), _text(body.get("case_number"))
        self.authorize(actor, "hotlist_create")
        require_members(body, "HotlistCreate", ("name", "reason", "case_number", "expires_at"))
        plates = body.get("plates")
        if not isinstance(plates, list) or not plates or not all(isinstance(p, str) for p in plates):
            raise Refusal("invalid_request", "plates: a non-empty list of plate texts")
        normalized = sorted({check_plate(p) for p in plates})
        self.decisions.check_hotlist_purpose({k: body.get(k) for k in ("reason", "case_number")})
        offered = body.get("share_with", [])
        if not isinstance(offered, list) or not all(isinstance(a, str) for a in offered):
            raise Refusal("invalid_request", "share_with: a list of agency ids")
        if any(self.store.agency(agency_id) is None for agency_id in offered):
            raise Refusal("unknown_agency", "share_with names an agency that does not exist")
        expires = _time_field(body, "expires_at")
        if expires is not None and expires <= self.store.clock.now():
            raise Refusal("conflict", "expires_at: must be after the sandbox clock's now")
        validate_body(body, "HotlistCreate")
        hotlist = self.store.add_hotlist(actor.agency, body["name"], normalized, list(dict.fromkeys(offered)), expires)
        attempt.query = {"hotlist_id": hotlist.id}
        return JSONResponse(hotlist.as_json(), status_code=201)

    async def accept_hotlist(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        hotlist_id = request.path_params["hotlist_id"]
        attempt.query = {"hotlist_id": hotlist_id}
        self.authorize(actor, "hotlist_accept")
        hotlist = self.store.hotlist(hotlist_id)
        if hotlist is None or actor.agency.id not in (*hotlist.offered, hotlist.agency_id):
            raise Refusal("not_found", "no hotlist offered to your agency with that id")
        if actor.agency.id != hotlist.agency_id:
            self.store.accept_hotlist(hotlist_id, actor.agency.id)
        accepted = self.store.hotlist(hotlist_id)
        assert accepted is not None
        return JSONResponse(accepted.as_json())

    def _alert_visible(self, agency: Agency, read: StoredRead) -> bool:
        return read.agency_id == agency.id or (read.agency_id == self.home.id
                                               and self.decisions.agency_sees_home(agency, path="alerts"))

    def deliver_alerts(self, read: StoredRead) -> None:
        """Alerts at ingest: the hotlist's agency and those that accepted it, each if it may see the read."""
        now = self.store.clock.now()
        for hotlist in self.store.hotlists():
            if read.plate not in hotlist.plates or (hotlist.expires_at is not None and now >= hotlist.expires_at):
                continue
            for recipient_id in (hotlist.agency_id, *hotlist.accepted):
                recipient = self.store.agency(recipient_id)
                if recipient is not None and self._alert_visible(recipient, read):
                    self.store.add_alert(hotlist.id, read.id, recipient_id)

    async def alerts(self, request: Request, actor: Actor, attempt: Attempt) -> Response:
        self.authorize(actor, "alerts")
        shown = []
        for alert in self.store.alerts(actor.agency.id):
            read = self.store.read(alert.read_id)
            if (read is not None and self.decisions.retained(read, path="alerts")
                    and self._alert_visible(actor.agency, read)):
                shown.append(alert.as_json() | (self._alert_extensions(read) if "alert-extensions" in self.flaws else {}))
        self.audit(actor, attempt, "allowed", result_count=len(shown))
        return JSONResponse({"alerts": shown})

    @staticmethod
    def _alert_extensions(read: StoredRead) -> dict[str, Any]:
        """The ``alert-extensions`` flaw: the vehicle's owner and a snapshot link, as ``x-`` members."""
        return {"x-plate": read.plate, "x-registered_owner": f"Owner {read.id[-6:]}",
                "x-image_url": f"https://cdn.example/reads/{read.id}.jpg"}

    def routes(self) -> list[Route]:
        r = self.route
        table: list[tuple[str, str, Callable[[Request], Awaitable[Response]]]] = [
            ("/v1/info", "GET", r(None, self.info, public=True)),
            ("/v1/recognize", "POST", r(None, self.recognize, public=True)),
            ("/v1/me", "GET", r("me", self.me)),
            ("/v1/offense-types", "GET", r("offense_types", self.offense_types)),
            ("/v1/sandbox/agencies", "GET", r("list_agencies", self.list_agencies)),
            ("/v1/sandbox/agencies", "POST", r("create_agency", self.create_agency)),
            ("/v1/sandbox/actors", "POST", r("create_actor", self.create_actor)),
            ("/v1/sandbox/actors/{actor_id}", "DELETE", r("deactivate_actor", self.deactivate_actor)),
            ("/v1/sandbox/reads", "POST", r("ingest", self.ingest)),
            ("/v1/sandbox/clock", "GET", r("get_clock", self.get_clock)),
            ("/v1/sandbox/clock", "POST", r("advance_clock", self.advance_clock)),
            ("/v1/sandbox/reset", "POST", r(None, self.reset)),
            ("/v1/search", "POST", r("search", self.search)),
            ("/v1/reads/{read_id}", "GET", r("read", self.get_read)),
            ("/v1/audit-log", "GET", r("audit_export", self.audit_log)),
            ("/v1/audit-log/{entry_id}", "PATCH", r("audit_edit", self.change_audit_entry)),
            ("/v1/audit-log/{entry_id}", "DELETE", r("audit_delete", self.change_audit_entry)),
            ("/v1/access-roster", "GET", r("access_roster", self.access_roster)),
            ("/v1/sharing-agreements", "GET", r("list_agreements", self.list_agreements)),
            ("/v1/sharing-agreements", "POST", r("share", self.create_agreement)),
            ("/v1/sharing-agreements/{agreement_id}", "DELETE", r("revoke", self.revoke_agreement)),
            ("/v1/retention", "GET", r("get_retention", self.get_retention)),
            ("/v1/retention", "PUT", r("retention", self.set_retention)),
            ("/v1/termination/export", "POST", r("export", self.termination_export)),
            ("/v1/termination/delete", "POST", r("delete", self.termination_delete)),
            ("/v1/hotlists", "POST", r("hotlist_create", self.create_hotlist)),
            ("/v1/hotlists/{hotlist_id}/accept", "POST", r("hotlist_accept", self.accept_hotlist)),
            ("/v1/alerts", "GET", r("alerts", self.alerts)),
        ]
        by_path: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
        for path, method, endpoint in table:
            by_path.setdefault(path, {})[method] = endpoint
        return [Route(path, _dispatch(methods), methods=list(methods)) for path, methods in by_path.items()]


def _dispatch(methods: dict[str, Callable[[Request], Awaitable[Response]]]) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint per path, so a 405 names every method the path offers in ``Allow``."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await methods[method](request)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problem(404, "not_found", f"no such endpoint: {request.url.path}")
    if exc.status_code == 405:
        return problem(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}",
                       headers=dict(exc.headers or {}))
    return problem(max(exc.status_code, 400), "invalid_request", str(exc.detail))


async def _crash(request: Request, exc: Exception) -> Response:
    print(f"reference server: {request.method} {request.url.path} failed: {exc!r}", file=sys.stderr)
    return problem(500, "internal_error", "the server failed; see its log")


def create_app(store: Store, admin_token: str, flaws: frozenset[str] = frozenset(),
               policy: Policy | None = None, classifier: PurposeClassifier | None = None,
               published: Mapping[str, list[str]] | None = None, engine: str = DEFAULT_ENGINE,
               engine_options: Mapping[str, Any] | None = None) -> Starlette:
    """The Starlette app of one reference server over ``store`` (bootstraps the home agency once).

    ``policy`` defaults to the packaged Denver terms, ``classifier`` to the shared purpose classifier;
    ``published`` (image sha256 -> labels) is the published corpus copy the ``memorize-public`` flaw learnt;
    ``engine`` names the in-process adapter whose recognizer ``POST /v1/recognize`` serves, built with
    ``engine_options`` (its ``vendors.toml`` options).
    """
    server = ReferenceServer(store, admin_token, flaws, policy, classifier, published, engine, engine_options)
    app = Starlette(routes=server.routes(),
                    exception_handlers={HTTPException: _http_error, Exception: _crash})
    app.state.server = server
    return app
