"""A typed client for the sandbox endpoints of the RFP evaluation API, with a redacted transcript.

Every exchange is validated against the published spec (responses that break it are kept as
:class:`~harness.api.openapi_bridge.ConformanceFailure` values) and appended to
:attr:`SandboxClient.transcript` with secrets removed: the ``Authorization`` header becomes
``Bearer <actor label>``, token-like JSON members become ``<redacted>``, and every token the
client knows is scrubbed from every string, in case a server echoes one back. Plate values become
the harness's labels for the plates it planted, or ``<other plate>``: evidence never carries a plate.

The client never raises on an HTTP status: each call returns an :class:`ApiResult` and the
controls judge it. Transport failures raise :class:`SandboxUnavailable`.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from harness.api.openapi_bridge import ConformanceFailure, SpecValidator
from harness.privacy.traffic import Ledger
from harness.redact import REDACTED, SECRET_NAME

OTHER_PLATE = "<other plate>"


class SandboxUnavailable(Exception):
    """The sandbox could not be reached (refused, reset, time-out)."""


@dataclass(frozen=True)
class Actor:
    """A test actor: one person in one agency, with its own token (never written anywhere)."""

    label: str
    """Harness name for the actor in evidence, e.g. ``instate-searcher``."""
    id: str
    agency_id: str
    role: str
    token: str = field(repr=False)
    name: str = ""
    """The name the harness gave the actor in the sandbox (drawn, like a roster's)."""


@dataclass(frozen=True)
class ApiResult:
    """One answer: status, parsed JSON body (``None`` if not JSON) and the problem code if any."""

    status: int
    body: Any
    exchange: int
    """Index of the exchange in the transcript."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str | None:
        """The RFC 9457 ``code`` of an error answer."""
        return self.body.get("code") if isinstance(self.body, dict) and not self.ok else None

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default) if isinstance(self.body, dict) else default

    def describe(self) -> str:
        """``403 no_agreement`` / ``200`` / ``200 with 2 results``, for failure messages."""
        if self.ok and isinstance(self.get("results"), list):
            n = len(self.body["results"])
            return f"{self.status} with {n} result{'s' if n != 1 else ''}"
        return f"{self.status} {self.code}" if self.code else str(self.status)


class Redactor:
    """Removes tokens and plate text from anything headed for evidence.

    Plates the harness planted (its :class:`~harness.privacy.traffic.Ledger`) become their label
    (``<planted P3>``), patterns it sent theirs (``<pattern W2 (prefix of P3)>``); any other plate or
    pattern a sandbox returns becomes ``<other plate>``: planted plates are drawn in real formats, and
    evidence never carries a plate.
    """

    def __init__(self, ledger: Ledger | None = None) -> None:
        self.ledger = ledger or Ledger()
        self._secrets: dict[str, str] = {}

    def add_secret(self, secret: str, label: str) -> None:
        if secret:
            self._secrets[secret] = label

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def label_for(self, secret: str | None) -> str:
        if not secret:
            return "none"
        return self._secrets.get(secret, "unknown-token")

    def text(self, value: str) -> str:
        for secret, label in self._secrets.items():
            if secret in value:
                value = value.replace(secret, f"<token of {label}>")
        for plate, label in self.ledger.plates.items():
            if plate in value:
                value = value.replace(plate, f"<planted {label}>")
        return value

    def value(self, value: Any, key: str | None = None) -> Any:
        if key is not None and SECRET_NAME.match(key) and value is not None:
            return REDACTED
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if isinstance(value, str):
            if key == "plate" or key == "plates":
                label = self.ledger.label(value)
                return f"<planted {label}>" if label else OTHER_PLATE
            if key == "plate_pattern":
                label = self.ledger.patterns.get(value.upper())
                return f"<pattern {label}>" if label else OTHER_PLATE
            return self.text(value)
        return value


@dataclass
class Exchange:
    """One request and its answer, as recorded in evidence (already redacted)."""

    seq: int
    actor: str
    actor_id: str | None
    """The sandbox id of the acting actor (``None``: no token, or a token never issued)."""
    method: str
    path: str
    query: dict[str, str]
    request_body: Any
    status: int | None
    response_body: Any
    sent_at: str
    elapsed_ms: float
    conformance: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


_MISSING = object()
PURPOSE_FIELDS = ("offense_type", "reason", "case_number")
"""The fields ``POST /v1/search`` requires to state a search's purpose (the spec's ``SearchRequest``)."""


class SandboxClient:
    """Drives a sandbox implementing the RFP evaluation API as any actor."""

    def __init__(
        self,
        base_url: str,
        admin_token: str,
        *,
        ledger: Ledger | None = None,
        client: httpx.Client | None = None,
        validator: SpecValidator | None = None,
        timeout: float = 15.0,
        checked_requests: set[tuple[Any, ...]] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = client or httpx.Client(timeout=httpx.Timeout(timeout))
        self.validator = validator or SpecValidator()
        self.redactor = Redactor(ledger)
        self.redactor.add_secret(admin_token, "home-admin (bootstrap)")
        self.admin = Actor("home-admin", "", "", "admin", admin_token)
        self.transcript: list[Exchange] = []
        self.conformance_failures: list[ConformanceFailure] = []
        self._seq = itertools.count()
        self._checked_requests: set[tuple[Any, ...]] = set() if checked_requests is None else checked_requests
        """Request shapes already validated (shared between clients of one run)."""

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ plumbing

    def call(
        self,
        method: str,
        path: str,
        actor: Actor | None,
        *,
        body: Any = _MISSING,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
        deliberate: bool = False,
    ) -> ApiResult:
        """Send one request as ``actor`` (``None``: no token; ``token=``: a raw, foreign token).

        ``deliberate`` marks requests the harness makes non-conforming on purpose (missing or
        foreign credentials): their request-side validation is skipped.
        """
        headers = {"Accept": "application/json, application/problem+json"}
        secret = token if token is not None else (actor.token if actor else None)
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        request = self.http.build_request(
            method, self.base_url + path, headers=headers, params=params,
            json=None if body is _MISSING else body,
        )
        shape = (method, path.count("/"), "/".join(path.split("/")[:3]), tuple(sorted(body)) if isinstance(body, dict)
                 else type(body).__name__, tuple(sorted(params or {})))
        if not deliberate and shape not in self._checked_requests:
            # the harness's own requests are checked once per shape (a harness bug repeats with its shape)
            self._checked_requests.add(shape)
            self.conformance_failures.extend(self.validator.request_failures(request))
        sent_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        started = time.perf_counter()
        try:
            response = self.http.send(request)
        except httpx.HTTPError as exc:
            raise SandboxUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        elapsed = (time.perf_counter() - started) * 1000
        failures = self.validator.response_failures(request, response)
        self.conformance_failures.extend(failures)
        try:
            parsed = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            parsed = None
        label = actor.label if actor else ("foreign-token" if token is not None else "anonymous")
        seq = next(self._seq)
        self.transcript.append(
            Exchange(
                seq=seq,
                actor=label,
                actor_id=(actor.id or None) if actor is not None and token is None else None,
                method=method,
                path=path,
                query=self.redactor.value(dict(params or {})),
                request_body=None if body is _MISSING else self.redactor.value(body),
                status=response.status_code,
                response_body=self.redactor.value(parsed) if parsed is not None
                else self.redactor.text(response.text[:500]),
                sent_at=sent_at,
                elapsed_ms=round(elapsed, 2),
                conformance=[f.as_dict() for f in failures],
            )
        )
        return ApiResult(response.status_code, parsed, seq)

    def exchanges_since(self, mark: int) -> list[dict[str, Any]]:
        """Redacted exchanges recorded from transcript position ``mark`` on."""
        return [e.as_dict() for e in self.transcript[mark:]]

    # ------------------------------------------------------------------ service

    def info(self) -> ApiResult:
        return self.call("GET", "/v1/info", None)

    def me(self, actor: Actor) -> ApiResult:
        return self.call("GET", "/v1/me", actor)

    def offense_types(self, actor: Actor) -> ApiResult:
        return self.call("GET", "/v1/offense-types", actor)

    # ------------------------------------------------------------------ sandbox set-up

    def list_agencies(self) -> ApiResult:
        return self.call("GET", "/v1/sandbox/agencies", self.admin)

    def create_agency(self, name: str, kind: str, state: str) -> ApiResult:
        return self.call("POST", "/v1/sandbox/agencies", self.admin, body={"name": name, "kind": kind, "state": state})

    def create_actor(self, label: str, agency_id: str, role: str, name: str) -> Actor | ApiResult:
        """The new actor, or the failed answer."""
        result = self.call("POST", "/v1/sandbox/actors", self.admin,
                           body={"agency_id": agency_id, "role": role, "name": name})
        token = result.get("token")
        if not result.ok or not isinstance(token, str) or not token:
            return result
        self.redactor.add_secret(token, label)
        # the token was in the response already recorded; scrub it from that exchange too
        self.transcript[result.exchange].response_body = self.redactor.value(result.body)
        return Actor(label, str(result.get("id")), agency_id, role, token, name)

    def create_actor_as(self, actor: Actor, agency_id: str, role: str, name: str) -> ApiResult:
        """``POST /v1/sandbox/actors`` as someone other than the home admin (a token it hands out is scrubbed)."""
        result = self.call("POST", "/v1/sandbox/actors", actor, body={"agency_id": agency_id, "role": role, "name": name})
        token = result.get("token")
        if isinstance(token, str) and token:
            self.redactor.add_secret(token, f"account provisioned by {actor.label}")
            self.transcript[result.exchange].response_body = self.redactor.value(result.body)
        return result

    def deactivate_actor(self, actor_id: str) -> ApiResult:
        return self.call("DELETE", f"/v1/sandbox/actors/{actor_id}", self.admin)

    def ingest_read(self, actor: Actor, plate: str, captured_at: str, camera_id: str) -> ApiResult:
        return self.call("POST", "/v1/sandbox/reads", actor,
                         body={"plate": plate, "captured_at": captured_at, "camera_id": camera_id})

    def clock(self, actor: Actor | None = None) -> ApiResult:
        return self.call("GET", "/v1/sandbox/clock", actor or self.admin)

    def advance_clock(self, seconds: int) -> ApiResult:
        return self.call("POST", "/v1/sandbox/clock", self.admin, body={"advance_seconds": seconds})

    # ------------------------------------------------------------------ search and reads

    def search(self, actor: Actor | None, *, token: str | None = None, deliberate: bool = False,
               **fields: str | None) -> ApiResult:
        """``POST /v1/search``; pass ``plate``, ``plate_pattern``, ``from_``, ``to``, ``offense_type``,
        ``reason``, ``case_number`` (``None`` values are left out).

        A search that leaves out a purpose field the spec requires is a deliberate probe of the
        purpose rules (the vendor must refuse it), so it is not charged as a harness conformance slip.
        """
        body = {("from" if k == "from_" else k): v for k, v in fields.items() if v is not None}
        deliberate = deliberate or any(name not in body for name in PURPOSE_FIELDS)
        return self.call("POST", "/v1/search", actor, body=body, token=token, deliberate=deliberate)

    def get_read(self, actor: Actor | None, read_id: str, *, token: str | None = None,
                 deliberate: bool = False) -> ApiResult:
        return self.call("GET", f"/v1/reads/{read_id}", actor, token=token, deliberate=deliberate)

    # ------------------------------------------------------------------ oversight

    def audit_log(self, actor: Actor, since: str | None = None, until: str | None = None,
                  *, limit: int | None = None, cursor: str | None = None,
                  token: str | None = None, deliberate: bool = False) -> ApiResult:
        params = {k: str(v) for k, v in (("since", since), ("until", until), ("limit", limit), ("cursor", cursor))
                  if v is not None}
        return self.call("GET", "/v1/audit-log", actor, params=params, token=token, deliberate=deliberate)

    def access_roster(self, actor: Actor) -> ApiResult:
        return self.call("GET", "/v1/access-roster", actor)

    def list_agreements(self, actor: Actor) -> ApiResult:
        return self.call("GET", "/v1/sharing-agreements", actor)

    def create_agreement(self, agency_id: str, expires_at: str | None = None, *, actor: Actor | None = None) -> ApiResult:
        body = {"agency_id": agency_id, **({"expires_at": expires_at} if expires_at else {})}
        return self.call("POST", "/v1/sharing-agreements", actor or self.admin, body=body)

    def revoke_agreement(self, agreement_id: str) -> ApiResult:
        return self.call("DELETE", f"/v1/sharing-agreements/{agreement_id}", self.admin)

    def get_retention(self, actor: Actor | None = None) -> ApiResult:
        return self.call("GET", "/v1/retention", actor or self.admin)

    def set_retention(self, days: int, *, actor: Actor | None = None) -> ApiResult:
        return self.call("PUT", "/v1/retention", actor or self.admin, body={"days": days})

    # ------------------------------------------------------------------ termination

    def termination_export(self, *, actor: Actor | None = None) -> ApiResult:
        return self.call("POST", "/v1/termination/export", actor or self.admin)

    def termination_delete(self) -> ApiResult:
        return self.call("POST", "/v1/termination/delete", self.admin)


    # ------------------------------------------------------------------ audit immutability, reset, hotlists

    def edit_audit_entry(self, actor: Actor | None, entry_id: str, changes: dict[str, Any], *,
                         deliberate: bool = False) -> ApiResult:
        return self.call("PATCH", f"/v1/audit-log/{entry_id}", actor, body=changes, deliberate=deliberate)

    def delete_audit_entry(self, actor: Actor | None, entry_id: str, *, deliberate: bool = False) -> ApiResult:
        return self.call("DELETE", f"/v1/audit-log/{entry_id}", actor, deliberate=deliberate)

    def reset(self) -> ApiResult:
        """``POST /v1/sandbox/reset``: the sandbox back to its initial state (the explorer's isolation)."""
        return self.call("POST", "/v1/sandbox/reset", self.admin)

    def create_hotlist(self, actor: Actor, body: dict[str, Any]) -> ApiResult:
        return self.call("POST", "/v1/hotlists", actor, body=body)

    def accept_hotlist(self, actor: Actor, hotlist_id: str) -> ApiResult:
        return self.call("POST", f"/v1/hotlists/{hotlist_id}/accept", actor)

    def alerts(self, actor: Actor) -> ApiResult:
        return self.call("GET", "/v1/alerts", actor)


def secrets_in(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """Which of ``secrets`` occur in any of ``texts`` (used by tests and the runner's self-check)."""
    pool = list(texts)
    return [s for s in secrets if s and any(s in t for t in pool)]
