"""Flock Safety (API v3): the calls the camera bench needs from a vendor that sells cameras, not an
image API.

Written from Flock's public developer hub as described by the OpenAPI/AsyncAPI files in
``/work/shared/reference/flock`` (third-party harvest; unverified against a live tenant):

- OAuth2 client credentials: ``POST {auth}/oauth/token`` (form ``grant_type``, ``client_id``,
  ``client_secret``, ``audience``), a Bearer token valid 24 h, reused until it nearly expires;
- custom hotlists: ``POST /hotlists`` (name, entries with ``plate``, ``reason``, ``caseNumber``),
  ``DELETE /hotlists/{id}``: the bench's plates go on a hotlist so each read of one raises an alert;
- LPR hotlist alert subscriptions: ``POST /integrations/lpr/alerts/subscriptions`` with the
  collector's URL and the credentials Flock must use (none, API key, basic, OAuth2 client
  credentials), ``DELETE .../{id}``;
- plate-read lookup: ``POST /reads/lookup`` (plate, ``startDate``, ``endDate``, **``reason``**,
  ``caseNumber``), paged with ``GET /reads/lookup/page/{pageId}``.

The privacy probe the API permits: a lookup without a reason must be refused
(:meth:`FlockClient.lookup_without_reason_refused`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from vendor_adapters.base import (
    Adapter,
    Capabilities,
    Image,
    LookupRead,
    ReadLookup,
    Recognition,
    VendorInfo,
    raise_unknown_options,
)
from vendor_adapters.errors import ConfigurationError, VendorHTTPError

PRODUCTION = "https://api.flocksafety.com/api/v3"
AUTH_BASE = "https://api.flocksafety.com"
AUDIENCE = "com.flocksafety.integrations"
PAGE_LIMIT = 50
TOKEN_MARGIN_S = 60.0
MAX_PAGES = 200


class FlockError(VendorHTTPError):
    """Flock answered with an error (status and Flock's message, never a credential)."""

    def __init__(self, what: str, response: httpx.Response) -> None:
        try:
            body = response.json()
            detail = str(body.get("error") or body.get("detail") or "")[:200] if isinstance(body, dict) else ""
        except ValueError:
            detail = response.text[:200]
        super().__init__(f"Flock {what}: HTTP {response.status_code} {detail}".rstrip(), response.status_code)


@dataclass(frozen=True)
class SubscriberCredentials:
    """How Flock authenticates to the collector (the subscription's ``credentials``)."""

    scheme: str = "none"
    """``none``, ``apiKey``, ``basic`` or ``oauth2``."""
    header: str = "Authorization"
    key: str = ""
    username: str = ""
    password: str = ""
    token_endpoint: str = ""
    client_id: str = ""
    client_secret: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.scheme == "none":
            return {"scheme": "none"}
        if self.scheme == "apiKey":
            return {"scheme": "apiKey", "apiKey": {"key": self.key, "headerName": self.header}}
        if self.scheme == "basic":
            return {"scheme": "basic", "basic": {"username": self.username, "password": self.password, "headerName": self.header}}
        if self.scheme == "oauth2":
            return {"scheme": "oauth2", "oauth2": {
                "tokenEndpoint": self.token_endpoint, "tokenScheme": "body", "clientId": self.client_id,
                "clientSecret": self.client_secret, "grantType": "client_credentials", "headerName": self.header}}
        raise ConfigurationError(f"unknown subscriber credential scheme {self.scheme!r}")


class FlockClient:
    """A Flock API v3 client (synchronous; one per bench)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = PRODUCTION,
        auth_base: str = AUTH_BASE,
        http: httpx.Client | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigurationError("Flock needs a client id and secret (client credentials)")
        self.base_url = base_url.rstrip("/")
        self.auth_base = auth_base.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http or httpx.Client(timeout=timeout_s)
        self._token: str | None = None
        self._expires = 0.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> FlockClient:
        """From a ``vendors.toml`` entry: ``client_id_env``, ``client_secret_env``, optional ``base_url``/``auth_base``."""
        try:
            client_id = env[config.get("client_id_env", "FLOCK_CLIENT_ID")]
            secret = env[config.get("client_secret_env", "FLOCK_CLIENT_SECRET")]
        except KeyError as exc:
            raise ConfigurationError(f"Flock credentials: environment variable {exc.args[0]} is not set") from None
        return cls(client_id, secret, base_url=config.get("base_url", PRODUCTION), auth_base=config.get("auth_base", AUTH_BASE))

    def close(self) -> None:
        self._http.close()

    def token(self) -> str:
        """A valid access token (client credentials), fetched again shortly before it expires."""
        if self._token is None or time.time() > self._expires - TOKEN_MARGIN_S:
            response = self._http.post(f"{self.auth_base}/oauth/token", data={
                "grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._client_secret, "audience": AUDIENCE})
            if response.status_code != 200:
                raise FlockError("token", response)
            body = response.json()
            self._token = str(body["access_token"])
            self._expires = time.time() + float(body.get("expires_in", 86400))
        return self._token

    def _call(self, method: str, path: str, what: str, json: Any = None, expect: Sequence[int] = (200,)) -> httpx.Response:
        response = self._http.request(method, f"{self.base_url}{path}", json=json,
                                      headers={"Authorization": f"Bearer {self.token()}"})
        if response.status_code not in expect:
            raise FlockError(what, response)
        return response

    def create_hotlist(self, name: str, plates: Sequence[str], reason: str, case_number: str) -> str:
        """A custom hotlist holding ``plates``; returns its id."""
        entries = [{"plate": p, "reason": reason, "caseNumber": case_number} for p in plates]
        return str(self._call("POST", "/hotlists", "create hotlist", {"name": name, "entries": entries}, (200, 201)).json()["id"])

    def delete_hotlist(self, hotlist_id: str) -> None:
        self._call("DELETE", f"/hotlists/{hotlist_id}", "delete hotlist", expect=(200, 204))

    def subscribe_alerts(self, name: str, callback_url: str, credentials: SubscriberCredentials) -> str:
        """An LPR hotlist alert subscription posting to ``callback_url``; returns its id."""
        body = {"name": name, "callbackUrl": callback_url, "credentials": credentials.to_json(),
                "contentType": "application/json", "customHotlistAudienceFilter": "any", "enabled": True}
        return str(self._call("POST", "/integrations/lpr/alerts/subscriptions", "subscribe", body, (200, 201)).json()["id"])

    def unsubscribe(self, subscription_id: str) -> None:
        self._call("DELETE", f"/integrations/lpr/alerts/subscriptions/{subscription_id}", "unsubscribe", expect=(200, 204))

    def lookup(self, plate: str, start: str, end: str, reason: str, case_number: str | None = None) -> Iterator[LookupRead]:
        """Every read of ``plate`` between ``start`` and ``end`` (RFC 3339), all pages."""
        body: dict[str, Any] = {"plate": plate, "startDate": start, "endDate": end, "reason": reason,
                                "limit": PAGE_LIMIT, "sort": [{"field": "capturedAt", "order": "asc"}]}
        if case_number:
            body["caseNumber"] = case_number
        page = self._call("POST", "/reads/lookup", "lookup", body).json()
        for _ in range(MAX_PAGES):
            for item in page.get("results", []):
                yield _plate_read(item)
            next_page = page.get("nextPageId")
            if not next_page:
                return
            page = self._call("GET", f"/reads/lookup/page/{next_page}", "lookup page").json()

    def lookup_without_reason_refused(self, plate: str, start: str, end: str) -> tuple[bool, int]:
        """Privacy probe: a lookup with no stated reason must be refused. Returns (refused, status)."""
        response = self._http.post(f"{self.base_url}/reads/lookup", json={"plate": plate, "startDate": start, "endDate": end},
                                   headers={"Authorization": f"Bearer {self.token()}"})
        return 400 <= response.status_code < 500 and response.status_code not in (401, 429), response.status_code


def _plate_read(item: Mapping[str, Any]) -> LookupRead:
    plate = item.get("plate") or {}
    device = item.get("device") or {}
    return LookupRead(
        id=str(item.get("id", "")),
        plate=str(plate.get("plate", "")),
        confidence=plate.get("confidence"),
        captured_at=str(item.get("capturedAt", "")),
        device_id=str(device["id"]) if device.get("id") is not None else None,
    )


class FlockLookup(ReadLookup):
    """Flock's plate-read lookup (``POST /reads/lookup``, paged) behind the bench's lookup seam."""

    route: ClassVar[str] = "flock-lookup"

    def __init__(self, client: FlockClient) -> None:
        self.client = client

    def lookup(self, plate: str, start: str, end: str, reason: str, case_number: str) -> Iterator[LookupRead]:
        return self.client.lookup(plate, start, end, reason, case_number)


class FlockAdapter(Adapter):
    """Flock Safety as a bidder: cameras that report to Flock's cloud, no image API.

    ``vendors.toml``::

        [vendors.flock]
        adapter = "flock"
        client_id_env = "FLOCK_CLIENT_ID"          # names of environment variables, never values
        client_secret_env = "FLOCK_CLIENT_SECRET"
        # base_url, auth_base: a sandbox instead of production

    Scored at the roadside (``platebench bench``), never by ``platebench run``: :meth:`recognize`
    refuses, and the runner refuses camera adapters before sending anything."""

    name: ClassVar[str] = "flock"
    capabilities: ClassVar[Capabilities] = Capabilities(kind="camera", camera_events=True)

    def __init__(self, client: FlockClient) -> None:
        self.client = client

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> FlockAdapter:
        raise_unknown_options(cls.name, config, allowed=("client_id_env", "client_secret_env", "base_url", "auth_base"))
        return cls(FlockClient.from_config(config, env))

    def recognize(self, image: Image) -> Recognition:
        raise ConfigurationError("Flock sells cameras, not an image API: score it with `platebench bench` (docs/bench.md)")

    def info(self) -> VendorInfo:
        return VendorInfo(vendor="Flock Safety", product="LPR cameras (API v3)")

    def read_lookup(self) -> FlockLookup:
        return FlockLookup(self.client)

    def close(self) -> None:
        self.client.close()
