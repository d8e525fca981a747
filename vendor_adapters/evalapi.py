"""``evalapi``: any vendor server implementing platebench's published RFP evaluation API.

Config (``vendors.toml``)::

    [vendors.acme]
    adapter = "evalapi"
    base_url = "https://sandbox.acme.example"   # required
    token_env = "ACME_SANDBOX_ADMIN_TOKEN"      # the home agency's sandbox admin token (privacy suite)
    timeout = 30                                # seconds, default 30

Recognition is ``POST /v1/recognize`` (multipart field ``image``), written sans-I/O. Every request
and response is validated against ``harness/api/rfp-evaluation-api.yaml`` with openapi-core. A
response that breaks the spec is recorded in :attr:`EvalApiAdapter.conformance_failures` (each
naming the operation, status and offending field, for the scorecard); for ``recognize`` it also
becomes a :class:`ProtocolError` on that sample, so the run records it and carries on.
:meth:`EvalApiAdapter.sandbox_client` returns the typed client the privacy suite drives.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from harness.api.openapi_bridge import ConformanceFailure, SpecValidator
from vendor_adapters.base import (
    Box,
    Candidate,
    Capabilities,
    HttpAdapter,
    Image,
    Read,
    Recognition,
    VendorInfo,
    normalize_plate_text,
    raise_unknown_options,
)
from vendor_adapters.errors import ConfigurationError, ProtocolError
from vendor_adapters.http import credential, json_body, raise_for_vendor_status, send_mapped
from vendor_adapters.options import Options

_OPTIONS = ("base_url", "token_env", "timeout")
NO_SANDBOX_TOKEN = (
    "no sandbox token configured: set token_env in vendors.toml to the name of the environment variable "
    "holding the home agency's sandbox admin token"
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
    ) -> None:
        super().__init__(client)
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
        return cls(base_url, token_env=token_env, env=env, timeout=timeout)

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

    def info(self) -> VendorInfo:
        request = self.client.build_request("GET", f"{self.base_url}/v1/info")
        response = send_mapped(self.client, request)
        failures = self.validator.response_failures(request, response)
        self._record(failures)
        raise_for_vendor_status(response)
        body = json_body(response)
        if failures or not isinstance(body, dict):
            fields = ", ".join(sorted({f.field for f in failures})) or "body"
            raise ProtocolError(f"GET /v1/info breaks the RFP evaluation API at {fields}")
        caps = body.get("capabilities") or {}
        return VendorInfo(
            vendor=str(body["vendor"]), product=str(body.get("product", "")), version=str(body.get("version", "")),
            declared_threshold=float(body["declared_threshold"]),
            extra={"api_version": str(body.get("api_version", "")),
                   **{f"capability.{k}": str(v).lower() for k, v in caps.items()}},
        )

    def sandbox_client(self, canary_prefix: str) -> Any:
        """A :class:`harness.privacy.sandbox.SandboxClient` acting with the sandbox admin token.

        Raises :class:`ConfigurationError` when no ``token_env`` is configured (the privacy suite
        then records its controls as not demonstrated)."""
        from harness.privacy.sandbox import SandboxClient

        if not self.token_env:
            raise ConfigurationError(NO_SANDBOX_TOKEN)
        token = credential(self._env, self.token_env, self.name)
        return SandboxClient(self.base_url, token, canary_prefix=canary_prefix, validator=self.validator,
                             timeout=self.timeout)


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
