"""``evalapi``: any vendor server implementing platebench's published RFP evaluation API.

Config (``vendors.toml``)::

    [vendors.acme]
    adapter = "evalapi"
    base_url = "https://sandbox.acme.example"   # required
    token_env = "ACME_SANDBOX_ADMIN_TOKEN"      # the home agency's sandbox admin token (privacy suite)
    timeout = 30                                # seconds, default 30

Recognition is ``POST /v1/recognize`` (multipart field ``image``), written sans-I/O. Every request
and response is validated against ``vendor_adapters/rfp-evaluation-api.yaml`` with openapi-core. A
response that breaks the spec is recorded in :attr:`EvalApiAdapter.conformance_failures` (each
naming the operation, status and offending field, for the scorecard); for ``recognize`` it also
becomes a :class:`ProtocolError` on that sample, so the run records it and carries on.
:meth:`EvalApiAdapter.privacy_endpoint` names the vendor's sandbox, where the harness checks the
privacy controls with its own client.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx

from vendor_adapters.base import (
    Box,
    Candidate,
    Capabilities,
    HttpAdapter,
    Image,
    LookupRead,
    PrivacyEndpoint,
    PrivacySandbox,
    Read,
    ReadLookup,
    Recognition,
    VendorInfo,
    normalize_plate_text,
    raise_unknown_options,
)
from vendor_adapters.errors import ConfigurationError, ProtocolError
from vendor_adapters.http import credential, json_body, raise_for_vendor_status, send_mapped
from vendor_adapters.openapi_check import ConformanceFailure, SpecValidator
from vendor_adapters.options import Options

_OPTIONS = ("base_url", "token_env", "timeout", "search_token_env", "search_offense_type")
NO_SANDBOX_TOKEN = (
    "no sandbox token configured: set token_env in vendors.toml to the name of the environment variable "
    "holding the home agency's sandbox admin token"
)
SANDBOX_DETAIL = (
    "Checked through the vendor's RFP evaluation API sandbox, as the home agency's sandbox admin "
    "(token from the environment variable named by token_env), after the accuracy pass."
)
MAX_FAILURES_KEPT = 1000
"""Conformance failures kept per adapter (a broken server would otherwise fill memory)."""


class EvalApiAdapter(HttpAdapter):
    """A vendor that implements the RFP evaluation API."""

    name: ClassVar[str] = "evalapi"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="http", boxes=True, candidates=True, vendor_timing=True, async_io=True, privacy_api=True,
        max_concurrency=8,
    )

    def __init__(
        self,
        base_url: str,
        *,
        token_env: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
        validator: SpecValidator | None = None,
        search_token_env: str | None = None,
        search_offense_type: str | None = None,
    ) -> None:
        super().__init__(client)
        self.search_token_env = search_token_env
        self.search_offense_type = search_offense_type
        self.base_url = base_url.rstrip("/")
        self.token_env = token_env
        self._env = dict(env or {})
        self.timeout = timeout
        self.validator = validator or SpecValidator()
        self.conformance_failures: list[ConformanceFailure] = []
        self._lock = threading.Lock()
        self._request_checked = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> EvalApiAdapter:
        raise_unknown_options(cls.name, config, allowed=_OPTIONS)
        opts = Options(cls.name, config)
        base_url = opts.text("base_url")
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"adapter {cls.name!r}: base_url must be set to the server's http(s) URL, "
                                     f"e.g. base_url = \"http://127.0.0.1:8000\"")
        token_env = opts.text("token_env")
        if token_env:
            credential(env, token_env, cls.name)
        timeout = opts.number("timeout", 30.0, low=0, strict_low=True) or 30.0
        search_token_env, offense = opts.text("search_token_env"), opts.text("search_offense_type")
        if search_token_env:
            credential(env, search_token_env, cls.name)
            if not offense:
                raise ConfigurationError(f"adapter {cls.name!r}: search_token_env needs search_offense_type, the offense "
                                         "type from the city's list that the bench's lookups state")
        return cls(base_url, token_env=token_env, env=env, timeout=timeout, search_token_env=search_token_env,
                   search_offense_type=offense)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=httpx.Timeout(self.timeout))
        return self._client

    # ------------------------------------------------------------------ conformance

    def _record(self, failures: list[ConformanceFailure]) -> None:
        if failures:
            with self._lock:
                room = MAX_FAILURES_KEPT - len(self.conformance_failures)
                self.conformance_failures.extend(failures[: max(room, 0)])

    def conformance_findings(self) -> list[dict[str, Any]]:
        """The recorded failures as JSON-ready dicts (no body values, only where and what)."""
        with self._lock:
            return [f.as_dict() for f in self.conformance_failures]

    # ------------------------------------------------------------------ recognition

    def build_request(self, image: Image) -> httpx.Request:
        request = httpx.Request(
            "POST", f"{self.base_url}/v1/recognize",
            files={"image": (image.name, image.data, image.media_type)},
            headers={"Accept": "application/json, application/problem+json"},
        )
        if not self._request_checked:  # the shape never changes; validate the first one fully
            self._request_checked = True
            self._record(self.validator.request_failures(request))
        return request

    def parse_response(self, response: httpx.Response) -> Recognition:
        failures = self.validator.response_failures(response.request, response)
        self._record(failures)
        raise_for_vendor_status(response)
        if failures:
            fields = ", ".join(sorted({f.field for f in failures}))
            raise ProtocolError(f"response breaks the RFP evaluation API at {fields}: {failures[0].message}")
        body = json_body(response)
        return recognition_from_json(body)

    # ------------------------------------------------------------------ info and sandbox

    def exchange(self, request: httpx.Request) -> dict[str, Any]:
        """Send ``request`` (not a recognition) and return its JSON object; failures of the spec are recorded,
        and an error status, a non-object or a non-conforming answer raise a ``VendorError``."""
        response = send_mapped(self.client, request)
        failures = self.validator.response_failures(request, response)
        self._record(failures)
        raise_for_vendor_status(response)
        body = json_body(response)
        if failures or not isinstance(body, dict):
            fields = ", ".join(sorted({f.field for f in failures})) or "body"
            raise ProtocolError(f"{request.method} {request.url.path} breaks the RFP evaluation API at {fields}")
        return body

    def info(self) -> VendorInfo:
        body = self.exchange(self.client.build_request("GET", f"{self.base_url}/v1/info"))
        caps = body.get("capabilities") or {}
        return VendorInfo(
            vendor=str(body["vendor"]), product=str(body.get("product", "")), version=str(body.get("version", "")),
            declared_threshold=float(body["declared_threshold"]),
            extra={"api_version": str(body.get("api_version", "")),
                   **{f"capability.{k}": str(v).lower() for k, v in caps.items()}},
        )

    def read_lookup(self) -> EvalApiLookup | None:
        """``POST /v1/search`` as the bench's searcher (``search_token_env``), or ``None`` without one."""
        if not self.search_token_env or not self.search_offense_type:
            return None
        return EvalApiLookup(self, credential(self._env, self.search_token_env, self.name), self.search_offense_type)

    def privacy_endpoint(self) -> PrivacyEndpoint:
        """The vendor's own sandbox at :attr:`base_url`, opened with the home agency's sandbox admin
        token (from the variable ``token_env`` names); without ``token_env`` opening it raises
        :class:`ConfigurationError` and the controls are recorded as not tested."""
        return PrivacyEndpoint("vendor-sandbox", SANDBOX_DETAIL, self._open_sandbox)

    @contextmanager
    def _open_sandbox(self, flaws: tuple[str, ...]) -> Iterator[PrivacySandbox]:
        if not self.token_env:
            raise ConfigurationError(NO_SANDBOX_TOKEN)
        yield PrivacySandbox(self.base_url, credential(self._env, self.token_env, self.name), self.timeout)


class EvalApiLookup(ReadLookup):
    """The RFP evaluation API's search, by full plate and ``captured_at`` window, as a bench searcher."""

    route: ClassVar[str] = "rfp-search"

    def __init__(self, adapter: EvalApiAdapter, token: str, offense_type: str) -> None:
        self.adapter = adapter
        self._token = token
        self.offense_type = offense_type

    def lookup(self, plate: str, start: str, end: str, reason: str, case_number: str) -> Iterator[LookupRead]:
        body = {"plate": plate, "from": start, "to": end, "offense_type": self.offense_type, "reason": reason,
                "case_number": case_number}
        adapter = self.adapter
        result = adapter.exchange(adapter.client.build_request("POST", f"{adapter.base_url}/v1/search", json=body,
                                                               headers={"Authorization": f"Bearer {self._token}"}))
        for item in result.get("results", []):
            yield LookupRead(id=str(item["id"]), plate=str(item["plate"]), captured_at=str(item["captured_at"]),
                             device_id=str(item["camera_id"]) if item.get("camera_id") is not None else None)


def recognition_from_json(body: Mapping[str, Any]) -> Recognition:
    """A spec-conforming ``Recognition`` body -> normalized reads."""
    reads = []
    for item in body.get("reads", []):
        box = item.get("box")
        reads.append(Read(
            text=normalize_plate_text(str(item.get("plate", ""))),
            confidence=item.get("confidence"),
            box=Box(box["x"], box["y"], box["width"], box["height"]) if isinstance(box, dict) else None,
            region=(item.get("region") or None) and str(item["region"]).lower(),
            candidates=tuple(Candidate(normalize_plate_text(str(c.get("plate", ""))), c.get("confidence"))
                             for c in item.get("candidates", [])),
        ))
    processing = body.get("processing_ms")
    return Recognition(tuple(reads), float(processing) if isinstance(processing, int | float) else None)
