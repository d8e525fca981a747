"""A sandbox driver for the reference-server tests: a real server on loopback, actors, canaries,
and openapi-core validation of every exchange against the published spec."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads

from harness.api import load_spec
from harness.api.openapi_bridge import HttpxOpenAPIRequest, HttpxOpenAPIResponse
from harness.reference_server import running_reference_server

_serial = itertools.count(1)


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    """The published spec, with problem+json bodies parsed as JSON."""
    config = Config(extra_media_type_deserializers={"application/problem+json": json_loads})
    return OpenAPI.from_dict(load_spec(), config=config)


@dataclass
class Sandbox:
    """Drives one running server; every response is validated against the spec."""

    base_url: str
    admin_token: str
    openapi: OpenAPI
    client: httpx.Client = field(init=False)
    exchanges: int = 0

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base_url, timeout=60)

    def call(self, method: str, path: str, token: str | None = None, *, validate: bool = True,
             **kwargs: Any) -> httpx.Response:
        """One exchange; ``validate=False`` for the flaws whose answers break the spec on purpose."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.request(method, path, headers=headers, **kwargs)
        if validate:
            self.openapi.validate_response(HttpxOpenAPIRequest(response.request), HttpxOpenAPIResponse(response))
        self.exchanges += 1
        return response

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(method, path, self.admin_token, **kwargs)

    def agency(self, kind: str, state: str = "CO") -> str:
        response = self.admin("POST", "/v1/sandbox/agencies", json={"name": f"Test {kind} {next(_serial)}",
                                                                    "kind": kind, "state": state})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def actor(self, agency_id: str, role: str) -> tuple[str, str]:
        response = self.admin("POST", "/v1/sandbox/actors", json={"agency_id": agency_id, "role": role,
                                                                  "name": f"Test {role} {next(_serial)}"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"]), str(response.json()["token"])

    def home_id(self) -> str:
        return str(self.admin("GET", "/v1/me").json()["agency"]["id"])

    def now(self) -> datetime:
        return datetime.fromisoformat(self.admin("GET", "/v1/sandbox/clock").json()["now"])

    def ingest(self, plate: str, age: timedelta = timedelta(days=1), token: str | None = None) -> str:
        captured = (self.now() - age).astimezone(UTC).isoformat().replace("+00:00", "Z")
        response = self.call("POST", "/v1/sandbox/reads", token or self.admin_token,
                             json={"plate": plate, "captured_at": captured, "camera_id": "cam-test"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def search(self, token: str | None, *, validate: bool = True, **fields: Any) -> httpx.Response:
        return self.call("POST", "/v1/search", token, json=fields, validate=validate)

    def audit(self, *, validate: bool = True) -> list[dict[str, Any]]:
        response = self.call("GET", "/v1/audit-log", self.admin_token, validate=validate)
        assert response.status_code == 200
        return list(response.json()["entries"])


def purpose(case: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Valid purpose fields for a search (override any; ``None`` drops it)."""
    fields = {"offense_type": "motor_vehicle_theft", "reason": "Stolen vehicle report",
              "case_number": case or f"PB-{next(_serial):06d}"}
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
def sandbox_factory(openapi: OpenAPI) -> Iterator[Any]:
    """Start a server with the given flaws; returns a :class:`Sandbox` for it (stopped after the test)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        def start(*flaws: str) -> Sandbox:
            handle = stack.enter_context(running_reference_server(flaws=flaws))
            sandbox = Sandbox(handle.base_url, handle.admin_token, openapi)
            stack.callback(sandbox.client.close)
            return sandbox

        yield start


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Sandbox:
    """A flawless reference server."""
    return sandbox_factory()
