"""OpenALPR / Rekor: the cloud API (``recognize_bytes``) and the open-source ``alpr -j`` command.

Both speak the same ``alpr_results`` JSON: upper-case ``plate``, *percent* ``confidence``,
``coordinates`` (4 points, clockwise from top-left), ``candidates[{plate, confidence}]``,
``region``. Normalization divides confidences by 100, keeps the polygon and its bounding box, and
takes the vendor's time from ``processing_time.total`` (cloud) or ``processing_time_ms`` (CLI).

Cloud: ``POST {base_url}/recognize_bytes?secret_key=...&country=...`` with the base64 image as
the raw body (as the vendor's own samples send it). The secret key travels in the *query string*,
so it is in every request URL: nothing this module raises ever contains it (messages are scrubbed,
httpx causes are dropped), and :func:`redacted_url` gives a URL fit for a journal or log. Status
mapping per the vendor's spec: 401 -> ``AuthError``; 402 (monthly credits used up) and 403
(*temporary rate limit*, not a permission problem) -> ``QuotaError``, with the wait taken from
``Retry-After`` or ``X-Ratelimit-Reset``. The last ``X-RateLimit-*`` headers seen are kept in
:attr:`OpenAlprCloudAdapter.rate_limit`.

CLI: ``alpr -j [-c COUNTRY] [-n TOPN] [--config FILE] IMAGE`` prints one JSON line per image. With
``replay = "recorded.jsonl"`` the adapter reads recorded lines instead of running ``alpr`` (each
line an ``alpr -j`` object plus ``image_sha256`` or ``image``), so an on-premise install's output
can be scored where it ran.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from vendor_adapters.base import (
    Adapter,
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
from vendor_adapters.errors import (
    AuthError,
    ConfigurationError,
    ImageRejected,
    PrerequisiteError,
    ProtocolError,
    QuotaError,
    VendorError,
    VendorHTTPError,
    VendorTimeout,
)
from vendor_adapters.http import credential, json_body, retry_after_seconds
from vendor_adapters.options import Options

CLOUD_URL = "https://api.openalpr.com/v3"
SECRET_PARAM = "secret_key"
REDACTED = "REDACTED"
ALPR_INSTALL_HINT = (
    "install OpenALPR's command-line tool (Ubuntu 20.04/22.04: `sudo apt-get install openalpr openalpr-utils`; "
    "elsewhere build it from https://github.com/openalpr/openalpr), or set `binary` to its path, "
    "or score output recorded on the machine where it runs with `replay = \"recorded.jsonl\"` "
    "(see docs/adapters.md)"
)


def redacted_url(url: httpx.URL | str) -> str:
    """``url`` with the value of every ``secret_key`` query parameter replaced by ``REDACTED``."""
    parts = urlsplit(str(url))
    query = [(k, REDACTED if k == SECRET_PARAM else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe=",")))


# ---------------------------------------------------------------- shared alpr_results parsing


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"OpenALPR {what} is not a number: {value!r}")
    return float(value)


def _percent(value: Any, what: str) -> float | None:
    if value is None:
        return None
    pct = _num(value, what)
    if not 0.0 <= pct <= 100.0:
        raise ProtocolError(f"OpenALPR {what} {pct} is outside 0-100")
    return pct / 100.0


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"OpenALPR {what} is not a string: {value!r}")
    return normalize_plate_text(value)


def _polygon(value: Any) -> tuple[tuple[float, float], ...] | None:
    if value is None or value == []:
        return None
    if not isinstance(value, list) or len(value) != 4 or not all(isinstance(p, dict) for p in value):
        raise ProtocolError("OpenALPR coordinates is not a list of 4 {x, y} points")
    try:
        return tuple((_num(p["x"], "coordinate x"), _num(p["y"], "coordinate y")) for p in value)
    except KeyError as exc:
        raise ProtocolError(f"OpenALPR coordinate lacks {exc.args[0]}") from None


def _read(item: Any) -> Read:
    if not isinstance(item, dict):
        raise ProtocolError("OpenALPR result is not an object")
    polygon = _polygon(item.get("coordinates"))
    candidates = item.get("candidates") or []
    if not isinstance(candidates, list) or not all(isinstance(c, dict) for c in candidates):
        raise ProtocolError("OpenALPR candidates is not a list of objects")
    region = item.get("region")
    return Read(
        text=_text(item.get("plate"), "plate"),
        confidence=_percent(item.get("confidence"), "confidence"),
        box=Box.from_points(polygon) if polygon else None,
        polygon=polygon,
        region=region.lower() if isinstance(region, str) and region else None,
        candidates=tuple(
            Candidate(_text(c.get("plate"), "candidate plate"), _percent(c.get("confidence"), "candidate confidence"))
            for c in candidates
        ),
    )


def parse_alpr_results(body: Any) -> Recognition:
    """An ``alpr_results`` object (cloud response or one ``alpr -j`` line) as a :class:`Recognition`."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise ProtocolError("OpenALPR response has no 'results' list")
    if body.get("error") not in (None, False, ""):
        raise ProtocolError(f"OpenALPR response reports an error: {str(body['error'])[:200]}")
    timing = body.get("processing_time")
    if isinstance(timing, dict):
        total = timing.get("total", timing.get("plates"))
        vendor_ms = None if total is None else _num(total, "processing_time.total")
    elif body.get("processing_time_ms") is not None:
        vendor_ms = _num(body["processing_time_ms"], "processing_time_ms")
    else:
        vendor_ms = None
    if vendor_ms is not None and vendor_ms < 0:
        raise ProtocolError(f"OpenALPR processing time is negative: {vendor_ms}")
    return Recognition(reads=tuple(_read(r) for r in body["results"]), vendor_ms=vendor_ms)


# ---------------------------------------------------------------- cloud API


@dataclass(frozen=True)
class RateLimitState:
    """The ``X-RateLimit-*`` headers of the last successful response."""

    limit: int | None
    remaining: int | None
    reset_epoch_s: float | None


def _int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


_CLOUD_OPTIONS = ("base_url", "secret_key_env", "country", "state", "recognize_vehicle", "return_image", "topn",
                  "declared_threshold")


class OpenAlprCloudAdapter(HttpAdapter):
    """Rekor / OpenALPR cloud ``recognize_bytes`` (v2 or v3 base URL), secret key from the environment."""

    name: ClassVar[str] = "openalpr"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="http", boxes=True, candidates=True, vendor_timing=True, async_io=True, max_concurrency=8
    )

    def __init__(
        self,
        *,
        secret_key: str,
        base_url: str = CLOUD_URL,
        country: str = "us",
        state: str | None = None,
        recognize_vehicle: bool = False,
        return_image: bool = False,
        topn: int = 10,
        declared_threshold: float | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(client)
        self._secret = secret_key
        self.base_url = base_url.rstrip("/")
        self.country = country
        self.state = state
        self.recognize_vehicle = recognize_vehicle
        self.return_image = return_image
        self.topn = topn
        self.declared_threshold = declared_threshold
        self.rate_limit: RateLimitState | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> OpenAlprCloudAdapter:
        """Needs ``secret_key_env`` (the variable holding the key); ``country`` defaults to ``us``."""
        raise_unknown_options(cls.name, config, _CLOUD_OPTIONS)
        opts = Options(cls.name, config)
        base_url = opts.text("base_url", CLOUD_URL) or CLOUD_URL
        if not base_url.startswith(("http://", "https://")):
            raise opts.error("base_url", "an http:// or https:// URL", base_url)
        key_env = opts.text("secret_key_env")
        if key_env is None:
            raise ConfigurationError(
                "adapter 'openalpr' needs the secret key: set secret_key_env = \"OPENALPR_SECRET_KEY\" "
                "(the name of the environment variable holding it) in vendors.toml"
            )
        return cls(
            secret_key=credential(env, key_env, cls.name),
            base_url=base_url,
            country=opts.text("country", "us") or "us",
            state=opts.text("state"),
            recognize_vehicle=opts.flag("recognize_vehicle", False),
            return_image=opts.flag("return_image", False),
            topn=opts.integer("topn", 10, low=1, high=1000) or 10,
            declared_threshold=opts.number("declared_threshold", low=0, high=1),
        )

    def scrub(self, text: str) -> str:
        """``text`` with the secret key and any ``secret_key=...`` value replaced by ``REDACTED``."""
        text = text.replace(self._secret, REDACTED) if self._secret else text
        return re.sub(rf"({SECRET_PARAM}=)[^&\s'\"]+", rf"\g<1>{REDACTED}", text)

    def build_request(self, image: Image) -> httpx.Request:
        params: dict[str, str | int] = {SECRET_PARAM: self._secret, "country": self.country,
                                        "recognize_vehicle": int(self.recognize_vehicle),
                                        "return_image": int(self.return_image), "topn": self.topn}
        if self.state:
            params["state"] = self.state
        return httpx.Request("POST", f"{self.base_url}/recognize_bytes", params=params,
                             content=base64.b64encode(image.data))

    def parse_response(self, response: httpx.Response) -> Recognition:
        try:
            self._raise_for_status(response)
            self.rate_limit = RateLimitState(
                _int_header(response, "x-ratelimit-limit"),
                _int_header(response, "x-ratelimit-remaining"),
                _int_header(response, "x-ratelimit-reset"),
            )
            return parse_alpr_results(json_body(response))
        except VendorError as exc:
            raise self._scrubbed(exc) from None

    def recognize(self, image: Image) -> Recognition:
        """Send synchronously; errors from the transport are scrubbed of the key too."""
        try:
            return super().recognize(image)
        except VendorError as exc:
            raise self._scrubbed(exc) from None

    def _scrubbed(self, exc: VendorError) -> VendorError:
        message = self.scrub(exc.message)
        if message == exc.message and exc.__cause__ is None:
            return exc
        exc.args = (message,)
        exc.message = message
        return exc

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = self.scrub(_error_text(response))
        if status == 401:
            raise AuthError(f"HTTP 401: OpenALPR refused the secret key: {detail}", status)
        if status == 402:
            raise QuotaError(f"HTTP 402: OpenALPR monthly credits used up: {detail}", status, None)
        if status in (403, 429):
            raise QuotaError(f"HTTP {status}: OpenALPR temporary rate limit exceeded: {detail}", status,
                             _retry_after(response))
        if status in (413, 415):
            raise ImageRejected(f"HTTP {status}: OpenALPR refused the image: {detail}", status)
        raise VendorHTTPError(f"HTTP {status}: {detail}", status)

    def info(self) -> VendorInfo:
        return VendorInfo(vendor="Rekor / OpenALPR", product="Cloud API",
                          version=self.base_url.rsplit("/", 1)[-1], declared_threshold=self.declared_threshold)

    def __repr__(self) -> str:
        return f"OpenAlprCloudAdapter(base_url={self.base_url!r}, country={self.country!r})"


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"][:200]
    return response.text[:200].strip()


def _retry_after(response: httpx.Response) -> float | None:
    seconds = retry_after_seconds(response)
    if seconds is not None:
        return seconds
    reset = _int_header(response, "x-ratelimit-reset")
    return max(0.0, reset - time.time()) if reset is not None else None


# ---------------------------------------------------------------- alpr -j command line

_CLI_OPTIONS = ("binary", "country", "topn", "config_file", "replay", "timeout_s", "declared_threshold")


class OpenAlprCliAdapter(Adapter):
    """The open-source ``alpr -j`` command, run once per image, or its recorded output (``replay``)."""

    name: ClassVar[str] = "openalpr-cli"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="cli", boxes=True, candidates=True, vendor_timing=True, cpu_bound=False, max_concurrency=2
    )

    def __init__(
        self,
        *,
        binary: str | None = None,
        country: str | None = None,
        topn: int | None = None,
        config_file: str | None = None,
        replay: Mapping[str, dict[str, Any]] | None = None,
        timeout_s: float = 60.0,
        declared_threshold: float | None = None,
    ) -> None:
        self.binary = binary
        self.country = country
        self.topn = topn
        self.config_file = config_file
        self.replay = dict(replay) if replay is not None else None
        self.timeout_s = timeout_s
        self.declared_threshold = declared_threshold

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> OpenAlprCliAdapter:
        """Find the binary (or load the replay file) now, so a missing install fails before any image."""
        raise_unknown_options(cls.name, config, _CLI_OPTIONS)
        opts = Options(cls.name, config)
        replay_file = opts.text("replay")
        binary = None
        if not replay_file:
            wanted = opts.text("binary", "alpr") or "alpr"
            binary = shutil.which(wanted)
            if binary is None:
                raise PrerequisiteError(f"adapter 'openalpr-cli': command {wanted!r} not found; {ALPR_INSTALL_HINT}")
        return cls(
            binary=binary,
            replay=load_replay(Path(replay_file)) if replay_file else None,
            country=opts.text("country"),
            topn=opts.integer("topn", low=1, high=1000),
            config_file=opts.text("config_file"),
            timeout_s=opts.number("timeout_s", 60.0, low=0, strict_low=True) or 60.0,
            declared_threshold=opts.number("declared_threshold", low=0, high=1),
        )

    def command(self, image_path: str) -> list[str]:
        """The ``alpr`` command line for one image file."""
        if self.binary is None:
            raise ConfigurationError("adapter 'openalpr-cli' is replaying recorded output; it runs no command")
        cmd = [self.binary, "-j"]
        if self.country:
            cmd += ["-c", self.country]
        if self.topn:
            cmd += ["-n", str(self.topn)]
        if self.config_file:
            cmd += ["--config", self.config_file]
        return [*cmd, image_path]

    def recognize(self, image: Image) -> Recognition:
        if self.replay is not None:
            return parse_alpr_results(self._replayed(image))
        suffix = Path(image.name).suffix or ".jpg"
        fd, path = tempfile.mkstemp(prefix="platebench-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(image.data)
            try:
                done = subprocess.run(self.command(path), capture_output=True, timeout=self.timeout_s, check=False)
            except subprocess.TimeoutExpired:
                raise VendorTimeout(f"alpr gave no answer within {self.timeout_s:g} s") from None
            except OSError as exc:
                raise ProtocolError(f"alpr could not be started: {exc.strerror}") from None
        finally:
            os.unlink(path)
        if done.returncode != 0:
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise ProtocolError(f"alpr exited with status {done.returncode}: {last[0][:200]}")
        return parse_alpr_results(first_json_line(done.stdout.decode("utf-8", "replace")))

    def _replayed(self, image: Image) -> dict[str, Any]:
        assert self.replay is not None
        digest = hashlib.sha256(image.data).hexdigest()
        found = self.replay.get(digest)
        if found is None:
            raise ProtocolError(f"the replay file has no recorded line for image {image.name} (sha256 {digest[:12]})")
        return found

    def info(self) -> VendorInfo:
        product = "alpr (replayed output)" if self.replay is not None else "alpr command line"
        return VendorInfo(vendor="OpenALPR", product=product, declared_threshold=self.declared_threshold)


def first_json_line(output: str) -> Any:
    """The first line of ``output`` that is a JSON object (``alpr`` may print warnings before it)."""
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError as exc:
                raise ProtocolError(f"alpr printed malformed JSON: {exc}") from None
    raise ProtocolError("alpr printed no JSON line")


def load_replay(path: Path) -> dict[str, dict[str, Any]]:
    """Index a file of recorded ``alpr -j`` lines by ``image_sha256``, the sha256 of the image's bytes.

    Every line must be a JSON object with that key (images are sent under names made from their bytes, so a
    recorded file name could never match); a bad line is a :class:`ConfigurationError` naming its number,
    found before any image is scored.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"adapter 'openalpr-cli': cannot read replay file {path}: {exc.strerror}") from None
    index: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"replay file {path}, line {number}: not JSON ({exc.msg})") from None
        digest = record.get("image_sha256") if isinstance(record, dict) else None
        if not isinstance(digest, str) or len(digest) != 64:
            raise ConfigurationError(
                f"replay file {path}, line {number}: needs an 'image_sha256' key, the sha256 of its image's bytes "
                "(docs/adapters.md shows how to add it while recording)"
            )
        index[digest.lower()] = record
    return index
