"""httpx <-> openapi-core: validate every exchange with the RFP evaluation API against its spec.

Part of the adapter interface (adapters that speak the RFP evaluation API and the harness's sandbox
client both use it); it imports nothing from the harness.

openapi-core ships integrations for requests, aiohttp, Starlette and others, but not httpx. This
module adapts ``httpx.Request`` / ``httpx.Response`` to openapi-core's request and response
protocols (``openapi_core.protocols.Request`` / ``Response``) and wraps the validators in a
:class:`SpecValidator` that never raises on a non-conforming exchange: it returns a list of
:class:`ConformanceFailure` values naming the operation, the status and the offending field.

The spec's ``servers`` are reduced to their path part, so a sandbox running on any host and port
validates against the same document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.deserializing.media_types.util import data_form_loads, json_loads
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBody,
    MissingRequiredRequestBody,
    ParameterValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import HeaderValidationError, MissingData
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from vendor_adapters import RFP_API_SPEC

SPEC_PATH = RFP_API_SPEC
"""The published RFP evaluation API (OpenAPI 3.1), shipped as package data."""


class HttpxOpenAPIRequest:
    """An ``httpx.Request`` seen through openapi-core's ``Request`` protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        cookies: dict[str, str] = {}
        try:
            jar = SimpleCookie(request.headers.get("cookie", ""))
            cookies = {key: morsel.value for key, morsel in jar.items()}
        except CookieError:
            pass
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.url.params.multi_items()),
            header=Headers(request.headers.multi_items()),
            cookie=ImmutableMultiDict(cookies),
        )

    @property
    def host_url(self) -> str:
        return f"{self.request.url.scheme}://{self.request.url.netloc.decode('ascii')}"

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def body(self) -> bytes | None:
        content = self.request.read()
        return content or None

    @property
    def content_type(self) -> str:
        return self.request.headers.get("content-type", "").lower()


class HttpxOpenAPIResponse:
    """An ``httpx.Response`` (body already read) seen through openapi-core's ``Response`` protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def data(self) -> bytes | None:
        return self.response.content or None

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def content_type(self) -> str:
        return self.response.headers.get("content-type", "").lower()

    @property
    def headers(self) -> Headers:
        return Headers(self.response.headers.multi_items())


@dataclass(frozen=True)
class ConformanceFailure:
    """One way an exchange broke the spec. Never holds a body value: only where and what."""

    direction: str
    """``response`` (the vendor broke the spec) or ``request`` (the harness did: a harness bug)."""
    method: str
    path: str
    status: int | None
    field: str
    """Where: ``status``, ``content-type``, ``body``, ``header <name>``, ``<location> parameter <name>``
    or a JSON path into the body such as ``reads[0].confidence``."""
    message: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def __str__(self) -> str:
        status = f" -> {self.status}" if self.status is not None else ""
        return f"{self.method} {self.path}{status}: {self.field}: {self.message}"


_JSON_PROPERTY = re.compile(r"^'([^']+)' is a required property$")


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _schema_error_fields(error: Any) -> Iterator[tuple[str, str]]:
    """(field, message) for a jsonschema error. Messages name the rule, never the offending value
    (a body value may be plate text or a token)."""
    path = list(error.absolute_path)
    message = error.message
    if error.validator == "required":
        found = _JSON_PROPERTY.match(message)
        if found:
            path.append(found.group(1))
            message = "required field missing"
    elif error.validator in ("anyOf", "oneOf") and error.context:
        yield from _schema_error_fields(max(error.context, key=lambda e: len(e.absolute_path)))
        return
    else:
        message = f"{error.validator} {_short(error.validator_value)} not met"
    yield _json_path(path) or "body", message


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__


def _describe(exc: BaseException, prefix: str) -> list[tuple[str, str]]:
    """(field, message) pairs for one openapi-core error, following its causes to the schema errors."""
    for cause in _causes(exc):
        if isinstance(cause, InvalidSchemaValue):
            pairs = [pair for err in cause.schema_errors for pair in _schema_error_fields(err)]
            if pairs:
                return [(f"{prefix}{field}" if prefix and field != "body" else field, msg) for field, msg in pairs]
    for cause in _causes(exc):
        if isinstance(cause, ResponseNotFound):
            return [("status", f"status {cause.http_status} is not documented for this operation")]
        if isinstance(cause, MediaTypeNotFound):
            return [("content-type", (f"content type {cause.mimetype!r} is not documented "
                                     f"(documented: {', '.join(cause.availableMimetypes)})"))]
        if isinstance(cause, MediaTypeDeserializeError):
            return [("body", f"body is not valid {cause.mimetype}")]
        if isinstance(cause, (MissingData, MissingRequestBody, MissingRequiredRequestBody)):
            return [("body", "required body missing")]
        if isinstance(cause, PathNotFound):
            return [("path", "no documented path matches")]
        if isinstance(cause, OperationNotFound):
            return [("method", f"method {cause.method.upper()} is not documented for this path")]
        if isinstance(cause, ParameterValidationError):
            return [(f"{cause.location} parameter {cause.name}", type(cause).__name__)]
        if isinstance(cause, HeaderValidationError):
            return [("header", type(cause).__name__)]
        if isinstance(cause, SecurityValidationError):
            return [("security", "no documented security scheme satisfied (missing or malformed credentials)")]
    return [("body", f"{type(exc).__name__}: does not match the documented schema")]


def _multipart_loads(value: bytes, **parameters: str) -> ImmutableMultiDict:
    """multipart/form-data with binary parts as (latin-1) strings: OpenAPI 3.1 describes a file part
    as ``type: string`` + ``contentMediaType``, which openapi-core's bytes would fail."""
    parsed = data_form_loads(value, **parameters)
    return ImmutableMultiDict([(k, v.decode("latin-1") if isinstance(v, bytes) else v)
                               for k, v in parsed.items(multi=True)])


@lru_cache(maxsize=8)
def _load_openapi(spec_path: str) -> OpenAPI:
    with open(spec_path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    servers = spec.get("servers") or [{"url": "/"}]
    spec["servers"] = [{"url": urlsplit(servers[0].get("url", "/")).path or "/"}]
    config = Config(extra_media_type_deserializers={
        "application/problem+json": json_loads, "multipart/form-data": _multipart_loads})
    return OpenAPI.from_dict(spec, config=config)


class SpecValidator:
    """Validates httpx exchanges against the RFP evaluation API; returns failures, never raises."""

    def __init__(self, spec_path: Path | str = SPEC_PATH) -> None:
        self.spec_path = Path(spec_path)
        self.openapi = _load_openapi(str(self.spec_path.resolve()))

    def request_failures(self, request: httpx.Request, *, ignore: Iterable[str] = ()) -> list[ConformanceFailure]:
        """How ``request`` breaks the spec (fields listed in ``ignore``, e.g. ``security``, skipped)."""
        skip = set(ignore)
        failures = []
        for exc in self.openapi.iter_request_errors(HttpxOpenAPIRequest(request)):
            for field, message in _describe(exc, "body."):
                if field.split(" ")[0] not in skip:
                    failures.append(ConformanceFailure("request", request.method, request.url.path,
                                                       None, field, message))
        return failures

    def response_failures(self, request: httpx.Request, response: httpx.Response) -> list[ConformanceFailure]:
        """How ``response`` (to ``request``) breaks the spec; empty when it conforms."""
        failures = []
        errors = self.openapi.iter_response_errors(HttpxOpenAPIRequest(request), HttpxOpenAPIResponse(response))
        for exc in errors:
            for field, message in _describe(exc, ""):
                failures.append(ConformanceFailure("response", request.method, request.url.path,
                                                   response.status_code, field, message))
        return failures
