"""Plate Recognizer Snapshot API (cloud and on-premise SDK), written sans-I/O.

Request: ``POST {base_url}/v1/plate-reader/``, multipart with the image in ``upload`` plus optional
repeated ``regions``, ``camera_id``, ``config`` (a JSON *string*) and ``mmc``. The cloud wants
``Authorization: Token <token>``; the on-premise SDK (``base_url`` of the container, e.g.
``http://localhost:8080``) takes no credential and reports itself at ``GET /info/``.

Normalization (see ``docs/adapters.md``): plates come back lower case and are upper-cased;
``score`` (OCR, 0-1) is the read's confidence and ``dscore`` (detection, 0-1) its
``detection_confidence``; ``box{xmin,ymin,xmax,ymax}`` becomes a :class:`Box`; ``candidates``,
``region.code`` and ``processing_time`` (ms) are kept. Both result shapes are understood: the
default one and the ``{"detection_mode": "vehicle"}`` one (``plate.props.plate[{value, score}]``).

Errors: 403 (wrong token *or* no credits left) -> ``AuthError``; 413 -> ``ImageRejected`` naming
the image size; 429 -> ``QuotaError`` with the wait from ``Retry-After`` or the documented body
("Expected available in 1 second."). The cloud throttles at 1 call/s on a trial and 8/s paid: set
``rate_limit_per_s`` and the adapter spaces its calls (:meth:`client_rate_limit` for the harness; a token
bucket in the synchronous :meth:`recognize`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

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
from vendor_adapters.errors import AuthError, ImageRejected, ProtocolError, QuotaError, VendorError
from vendor_adapters.http import (
    credential,
    json_body,
    raise_for_vendor_status,
    retry_after_seconds,
    send_mapped,
)
from vendor_adapters.options import Options
from vendor_adapters.ratelimit import TokenBucket

CLOUD_URL = "https://api.platerecognizer.com"
CLOUD_IMAGE_LIMIT = "3 MB"
IMAGE_BYTES_EXTENSION = "platebench.image_bytes"
"""``httpx.Request.extensions`` key carrying the image size, so a 413 can name it."""

_OPTIONS = ("base_url", "token_env", "regions", "camera_id", "config", "mmc", "rate_limit_per_s",
            "declared_threshold")
_AVAILABLE_IN = re.compile(r"available in (\d+(?:\.\d+)?) second", re.IGNORECASE)


class PlateRecognizerAdapter(HttpAdapter):
    """Plate Recognizer Snapshot: cloud (``token_env``) or on-premise SDK (``base_url``, no token)."""

    name: ClassVar[str] = "platerecognizer"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="http", boxes=True, candidates=True, vendor_timing=True, async_io=True, max_concurrency=8
    )

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str = CLOUD_URL,
        regions: tuple[str, ...] = (),
        camera_id: str | None = None,
        engine_config: Mapping[str, Any] | None = None,
        mmc: bool = False,
        rate_limit_per_s: float | None = None,
        declared_threshold: float | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(client)
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.regions = regions
        self.camera_id = camera_id
        self.engine_config = dict(engine_config or {})
        self.mmc = mmc
        self.declared_threshold = declared_threshold
        self._bucket = TokenBucket(rate_limit_per_s) if rate_limit_per_s else None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> PlateRecognizerAdapter:
        """Cloud when ``token_env`` is set (or ``base_url`` is the cloud); on-premise SDK otherwise."""
        raise_unknown_options(cls.name, config, _OPTIONS)
        opts = Options(cls.name, config)
        base_url = opts.text("base_url", CLOUD_URL) or CLOUD_URL
        if not base_url.startswith(("http://", "https://")):
            raise opts.error("base_url", "an http:// or https:// URL", base_url)
        token_env = opts.text("token_env")
        cloud = base_url.rstrip("/") == CLOUD_URL
        token = credential(env, token_env, cls.name) if (token_env or cloud) else None
        return cls(
            token=token,
            base_url=base_url,
            regions=tuple(opts.texts("regions")),
            camera_id=opts.text("camera_id"),
            engine_config=opts.table("config"),
            mmc=opts.flag("mmc", False),
            rate_limit_per_s=opts.number("rate_limit_per_s", 1.0 if cloud else None, low=0, strict_low=True),
            declared_threshold=opts.number("declared_threshold", low=0, high=1),
        )

    def client_rate_limit(self) -> float | None:
        """Seconds the harness must leave between two sends (``None`` when unlimited)."""
        return self._bucket.interval_s if self._bucket else None

    @property
    def on_premise(self) -> bool:
        """True for the SDK container (no token)."""
        return self._token is None

    def build_request(self, image: Image) -> httpx.Request:
        data: dict[str, Any] = {}
        if self.regions:
            data["regions"] = list(self.regions)
        if self.camera_id:
            data["camera_id"] = self.camera_id
        if self.engine_config:
            data["config"] = json.dumps(self.engine_config)
        if self.mmc:
            data["mmc"] = "true"
        headers = {"Authorization": f"Token {self._token}"} if self._token else {}
        return httpx.Request(
            "POST",
            f"{self.base_url}/v1/plate-reader/",
            data=data,
            files={"upload": (image.name, image.data, image.media_type)},
            headers=headers,
            extensions={IMAGE_BYTES_EXTENSION: len(image.data)},
        )

    def parse_response(self, response: httpx.Response) -> Recognition:
        _raise_for_status(response)
        body = json_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise ProtocolError("Plate Recognizer response has no 'results' list")
        reads = tuple(read for item in body["results"] if (read := _parse_result(item)) is not None)
        return Recognition(reads=reads, vendor_ms=_optional_ms(body.get("processing_time"), "processing_time"))

    def recognize(self, image: Image) -> Recognition:
        """Build the request, wait for the rate limiter, then send synchronously.

        The wait comes last so that client set-up time does not eat into the spacing the vendor sees.
        """
        request = self.build_request(image)
        client = self.client
        if self._bucket:
            self._bucket.acquire()
        return self.parse_response(send_mapped(client, request))

    def info(self) -> VendorInfo:
        """Cloud: a fixed identity. SDK: version from ``GET /info/`` when the container answers."""
        if not self.on_premise:
            return VendorInfo(vendor="Plate Recognizer", product="Snapshot Cloud",
                              declared_threshold=self.declared_threshold)
        version = ""
        try:
            response = send_mapped(self.client, httpx.Request("GET", f"{self.base_url}/info/"))
            body = json_body(response) if response.status_code == 200 else None
            if isinstance(body, dict) and body.get("version") is not None:
                version = str(body["version"])
        except VendorError:
            pass
        return VendorInfo(vendor="Plate Recognizer", product="Snapshot SDK", version=version,
                          declared_threshold=self.declared_threshold)

    def __repr__(self) -> str:
        mode = "sdk" if self.on_premise else "cloud"
        return f"PlateRecognizerAdapter({mode}, base_url={self.base_url!r})"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"][:200]
    return response.text[:200].strip()


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _detail(response)
    if status == 403:
        raise AuthError(
            f"HTTP 403: Plate Recognizer refused the call: wrong API token or no credits left ({detail})", status
        )
    if status == 413:
        size = response.request.extensions.get(IMAGE_BYTES_EXTENSION)
        if size is None:
            size = response.request.headers.get("content-length")
        raise ImageRejected(
            f"HTTP 413: image of {size} bytes is larger than Plate Recognizer accepts "
            f"(cloud limit {CLOUD_IMAGE_LIMIT}): {detail}",
            status,
        )
    if status == 429:
        retry_after = retry_after_seconds(response)
        if retry_after is None and (found := _AVAILABLE_IN.search(detail)):
            retry_after = float(found.group(1))
        raise QuotaError(f"HTTP 429: Plate Recognizer throttled the call: {detail}", status, retry_after)
    raise_for_vendor_status(response)


def _number(value: Any, what: str, *, unit_interval: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"Plate Recognizer {what} is not a number: {value!r}")
    if unit_interval and not 0.0 <= value <= 1.0:
        raise ProtocolError(f"Plate Recognizer {what} {value!r} is outside 0-1")
    return float(value)


def _optional_ms(value: Any, what: str) -> float | None:
    if value is None:
        return None
    ms = _number(value, what)
    if ms < 0:
        raise ProtocolError(f"Plate Recognizer {what} is negative: {ms}")
    return ms


def _box(value: Any) -> Box | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProtocolError(f"Plate Recognizer box is not an object: {value!r}")
    try:
        corners = [_number(value[k], f"box.{k}") for k in ("xmin", "ymin", "xmax", "ymax")]
    except KeyError as exc:
        raise ProtocolError(f"Plate Recognizer box lacks {exc.args[0]}") from None
    return Box.from_corners(*corners)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"Plate Recognizer {what} is not a string: {value!r}")
    return normalize_plate_text(value)


def _candidates(items: Any, text_key: str) -> tuple[Candidate, ...]:
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(c, dict) for c in items):
        raise ProtocolError("Plate Recognizer candidates is not a list of objects")
    return tuple(
        Candidate(_text(c.get(text_key), "candidate plate"),
                  None if c.get("score") is None else _number(c["score"], "candidate score", unit_interval=True))
        for c in items
    )


def _parse_result(item: Any) -> Read | None:
    """One ``results[]`` entry, in either response shape; ``None`` for a vehicle with no plate."""
    if not isinstance(item, dict):
        raise ProtocolError("Plate Recognizer result is not an object")
    plate = item.get("plate")
    if isinstance(plate, dict):
        return _parse_vehicle_mode(plate)
    if plate is None and "vehicle" in item and "score" not in item:
        return None
    region = item.get("region")
    return Read(
        text=_text(plate, "plate"),
        confidence=None if item.get("score") is None else _number(item["score"], "score", unit_interval=True),
        detection_confidence=(None if item.get("dscore") is None
                              else _number(item["dscore"], "dscore", unit_interval=True)),
        box=_box(item.get("box")),
        region=_region(region.get("code") if isinstance(region, dict) else region),
        candidates=_candidates(item.get("candidates"), "plate"),
    )


def _parse_vehicle_mode(plate: dict[str, Any]) -> Read | None:
    """``detection_mode: vehicle``: ``{"plate": {type, score, box, props{plate[], region[]}}}``."""
    props = plate.get("props") or {}
    if not isinstance(props, dict):
        raise ProtocolError("Plate Recognizer plate.props is not an object")
    texts = _candidates(props.get("plate"), "value")
    if not texts:
        return None
    regions = props.get("region") or []
    region = regions[0].get("value") if isinstance(regions, list) and regions and isinstance(regions[0], dict) else None
    return Read(
        text=texts[0].text,
        confidence=texts[0].confidence,
        detection_confidence=(None if plate.get("score") is None
                              else _number(plate["score"], "plate.score", unit_interval=True)),
        box=_box(plate.get("box")),
        region=_region(region),
        candidates=texts,
    )


def _region(code: Any) -> str | None:
    return code.lower() if isinstance(code, str) and code else None
