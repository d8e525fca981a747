"""An imitation of Flock Safety's API v3, written from its public OpenAPI/AsyncAPI descriptions
(``/work/shared/reference/flock``): OAuth2 client credentials, custom hotlists, LPR hotlist alert
subscriptions (alerts delivered with the subscription's credentials, OAuth2 included) and the
plate-read lookup with its required ``reason``. A real HTTP server on loopback for the Flock tests.

``capture(plate, device)`` stands in for a Flock camera reading a plate: the read is stored for
lookups and, if the plate is on a hotlist, an alert is posted to every enabled subscription.
``flaws={"lookup-without-reason"}`` makes it accept lookups without a reason (a flawed vendor).
"""

from __future__ import annotations

import base64
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.bench.collector import serve_in_thread

AUDIENCE = "com.flocksafety.integrations"
LOOKUP_REQUIRED = ("plate", "reason", "startDate", "endDate")


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@dataclass
class FlockImitation:
    client_id: str
    client_secret: str
    flaws: frozenset[str] = frozenset()
    page_size: int = 2
    tokens: set[str] = field(default_factory=set)
    hotlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: list[dict[str, Any]] = field(default_factory=list)
    lookups: list[dict[str, Any]] = field(default_factory=list)
    """Audit of lookups: plate, reason, caseNumber."""
    pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    alerts_sent: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return JSONResponse({"error": "access_denied"}, status_code=401)
        if form.get("audience") not in (None, AUDIENCE):
            return JSONResponse({"error": "invalid audience"}, status_code=403)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 86400})

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    async def create_hotlist(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.json()
        entries = body.get("entries")
        if not isinstance(body.get("name"), str) or not isinstance(entries, list):
            return JSONResponse({"error": "name and entries are required"}, status_code=400)
        for entry in entries:
            if not all(isinstance(entry.get(k), str) and entry[k] for k in ("plate", "reason", "caseNumber")):
                return JSONResponse({"error": "each entry needs plate, reason and caseNumber"}, status_code=400)
        hotlist_id = str(uuid.uuid4())
        # "All entries will be normalized (O->0) and have whitespace trimmed"
        self.hotlists[hotlist_id] = {"name": body["name"],
                                     "plates": {e["plate"].strip().upper().replace("O", "0") for e in entries}}
        return JSONResponse({"id": hotlist_id}, status_code=201)

    async def delete_hotlist(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if self.hotlists.pop(request.path_params["hotlist_id"], None) is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(status_code=204)

    async def subscribe(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.json()
        if not all(k in body for k in ("callbackUrl", "credentials", "contentType")):
            return JSONResponse({"error": "callbackUrl, credentials and contentType are required"}, status_code=400)
        if body["credentials"].get("scheme") not in ("none", "apiKey", "basic", "oauth2"):
            return JSONResponse({"error": "unknown credentials scheme"}, status_code=400)
        sub_id = str(uuid.uuid4())
        self.subscriptions[sub_id] = body | {"id": sub_id}
        return JSONResponse(body | {"id": sub_id, "createdAt": _rfc3339(0), "updatedAt": _rfc3339(0)}, status_code=201)

    async def unsubscribe(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if self.subscriptions.pop(request.path_params["sub_id"], None) is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(status_code=204)

    async def lookup(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.json()
        required = LOOKUP_REQUIRED if "lookup-without-reason" not in self.flaws else ("plate", "startDate", "endDate")
        missing = [k for k in required if not body.get(k)]
        if missing:
            return JSONResponse({"error": f"missing required field(s): {', '.join(missing)}"}, status_code=422)
        limit = body.get("limit", 50)
        if not isinstance(limit, int) or not 1 <= limit <= 50:
            return JSONResponse({"error": "limit must be 1..50"}, status_code=422)
        start, end = _epoch(body["startDate"]), _epoch(body["endDate"])
        with self.lock:
            self.lookups.append({k: body.get(k) for k in ("plate", "reason", "caseNumber")})
            found = [r for r in self.reads if r["plate"]["plate"] == body["plate"] and start <= _epoch(r["capturedAt"]) <= end]
        found.sort(key=lambda r: r["capturedAt"])
        return JSONResponse(self._page(found, min(limit, self.page_size)))

    def _page(self, found: list[dict[str, Any]], size: int) -> dict[str, Any]:
        head, rest = found[:size], found[size:]
        next_id = None
        if rest:
            next_id = str(uuid.uuid4())
            self.pages[next_id] = rest
        return {"results": head, "nextPageId": next_id, "previousPageId": None, "totalItems": len(found)}

    async def page(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        rest = self.pages.pop(request.path_params["page_id"], None)
        if rest is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(self._page(rest, self.page_size))

    def capture(self, plate: str, device_id: str, captured_at: float, confidence: float = 0.95) -> None:
        """A Flock camera reads ``plate``: stored, and alerted if hotlisted."""
        read_id = str(uuid.uuid4())
        read = {"id": read_id, "capturedAt": _rfc3339(captured_at),
                "device": {"id": device_id, "type": "camera", "name": "bench", "location": {}, "network": {"id": "n", "name": "bench"},
                           "metadata": {}},
                "plate": {"plate": plate, "confidence": confidence}, "state": {"state": "arkansas", "confidence": 0.5}}
        with self.lock:
            self.reads.append(read)
        if any(plate in h["plates"] for h in self.hotlists.values()):
            alert = {"deviceExternalId": device_id, "deviceName": "bench", "objectId": read_id,
                     "eventTime": read["capturedAt"], "ocr": {"label": plate, "labelConfidence": confidence,
                                                              "state": None, "stateConfidence": None},
                     "sources": [{"name": h["name"], "reason": "bench", "caseNumber": None, "customHotlistAudience": "organization"}
                                 for h in self.hotlists.values() if plate in h["plates"]]}
            for sub in list(self.subscriptions.values()):
                self._deliver(sub, alert)

    def _deliver(self, sub: dict[str, Any], alert: dict[str, Any]) -> None:
        creds = sub["credentials"]
        headers: dict[str, str] = {}
        with httpx.Client(timeout=10) as http:
            if creds["scheme"] == "apiKey":
                headers[creds["apiKey"]["headerName"]] = creds["apiKey"]["key"]
            elif creds["scheme"] == "basic":
                basic = creds["basic"]
                pair = f"{basic['username']}:{basic['password']}".encode()
                headers[basic["headerName"]] = "Basic " + base64.b64encode(pair).decode()
            elif creds["scheme"] == "oauth2":
                o = creds["oauth2"]
                token = http.post(o["tokenEndpoint"], data={"grant_type": o["grantType"], "client_id": o["clientId"],
                                                           "client_secret": o["clientSecret"]}).json()["access_token"]
                headers[o["headerName"]] = f"Bearer {token}"
            response = http.post(sub["callbackUrl"], json=alert, headers=headers)
            self.alerts_sent.append(response.status_code)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/api/v3/hotlists", self.create_hotlist, methods=["POST"]),
            Route("/api/v3/hotlists/{hotlist_id}", self.delete_hotlist, methods=["DELETE"]),
            Route("/api/v3/integrations/lpr/alerts/subscriptions", self.subscribe, methods=["POST"]),
            Route("/api/v3/integrations/lpr/alerts/subscriptions/{sub_id}", self.unsubscribe, methods=["DELETE"]),
            Route("/api/v3/reads/lookup", self.lookup, methods=["POST"]),
            Route("/api/v3/reads/lookup/page/{page_id}", self.page, methods=["GET"]),
        ])


@contextmanager
def running_flock(client_id: str = "bench-client", client_secret: str = "bench-secret",
                  flaws: frozenset[str] = frozenset()) -> Iterator[tuple[FlockImitation, str]]:
    """The imitation on loopback; yields it and its base URL (``.../api/v3`` is the API)."""
    flock = FlockImitation(client_id, client_secret, flaws)
    with serve_in_thread(flock.app(), name="flock-imitation") as server:
        yield flock, server.base_url
