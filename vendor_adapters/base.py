"""The adapter interface: what every vendor adapter implements, and the normalized types it returns.

An adapter turns one image into a :class:`Recognition` (normalized :class:`Read` values plus the
vendor-reported processing time). One method is required, :meth:`Adapter.recognize`. Everything an
adapter can do beyond that is declared in a frozen :class:`Capabilities` value.

Network adapters derive from :class:`HttpAdapter` and are *sans-I/O*: they build an
``httpx.Request`` for an image and parse an ``httpx.Response`` into a :class:`Recognition`. The
runner owns sending (so one transport, one clock and one error mapping serve every HTTP vendor);
``HttpAdapter.recognize`` sends through an injected ``httpx.Client`` for simple synchronous use.

Normalization rules every adapter follows (checked by ``platebench adapter check``):

- ``Read.text``: upper case, only ``A-Z`` and ``0-9`` (see :func:`normalize_plate_text`);
- ``Read.confidence``: in ``[0, 1]`` (divide vendors' percentages by 100), or ``None``;
- ``Read.box``: pixel ``x, y, width, height`` with top-left origin, inside the image;
- ``Recognition.vendor_ms``: the vendor's own processing time in milliseconds, if it reports one.
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

import httpx

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def normalize_plate_text(text: str) -> str:
    """Upper-case a plate string and drop everything but A-Z and 0-9 (spaces, hyphens, dots...)."""
    return _NOT_ALNUM.sub("", text.upper())


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels: top-left corner, width and height."""

    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        """Area in square pixels (zero for degenerate boxes)."""
        return max(0.0, self.width) * max(0.0, self.height)

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other``, in [0, 1]; 0 when either box is empty."""
        ix = max(0.0, min(self.x + self.width, other.x + other.width) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.height, other.y + other.height) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    @classmethod
    def from_corners(cls, x1: float, y1: float, x2: float, y2: float) -> Box:
        """Build from two corners (``xmin, ymin, xmax, ymax``), in either order."""
        return cls(min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))

    @classmethod
    def from_points(cls, points: list[tuple[float, float]] | tuple[tuple[float, float], ...]) -> Box:
        """The bounding box of a polygon (e.g. a vendor's 4-point plate outline)."""
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        return cls.from_corners(min(xs), min(ys), max(xs), max(ys))

    def as_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class Candidate:
    """An alternative reading of one plate, as the vendor ranked it."""

    text: str
    confidence: float | None = None


@dataclass(frozen=True)
class Read:
    """One plate the vendor reported in an image, normalized."""

    text: str
    """Plate characters, normalized by :func:`normalize_plate_text`."""
    confidence: float | None = None
    """The vendor's confidence in the text, 0-1; ``None`` when the vendor gives none."""
    box: Box | None = None
    """Where the plate is, in image pixels."""
    polygon: tuple[tuple[float, float], ...] | None = None
    """The vendor's plate outline, when it gives one (``box`` is then its bounding box)."""
    region: str | None = None
    """Jurisdiction as the vendor reported it (e.g. ``us-co``), lower case."""
    candidates: tuple[Candidate, ...] = ()
    """Alternative readings, best first; the top one may repeat ``text``."""
    detection_confidence: float | None = None
    """The vendor's confidence that a plate is there at all (0-1), when it reports one apart from
    the text confidence (Plate Recognizer ``dscore``, SimpleLPR ``plateDetectionConfidence``)."""


@dataclass(frozen=True)
class Recognition:
    """What a vendor returned for one image."""

    reads: tuple[Read, ...] = ()
    vendor_ms: float | None = None
    """The vendor's own processing time for this image, in milliseconds, when it reports one."""


MAX_COORDINATE = 1e6
"""Largest pixel coordinate (absolute) a read may carry; no camera image is that large."""


def recognition_problem(recognition: Recognition) -> str | None:
    """The first number in ``recognition`` that is not a finite value in its range, named by its field
    (e.g. ``reads[2].confidence is nan, not a number in [0, 1]``); ``None`` when every number is sound.

    The call path checks every recognition with this, so a vendor's ``NaN``, ``Infinity``, ``1e999``
    or out-of-range value is a protocol error of that sample, never a number in the journal."""
    checks: list[tuple[str, Any, float, float]] = [("vendor_ms", recognition.vendor_ms, 0.0, math.inf)]
    for i, read in enumerate(recognition.reads):
        at = f"reads[{i}]"
        checks += [(f"{at}.confidence", read.confidence, 0.0, 1.0),
                   (f"{at}.detection_confidence", read.detection_confidence, 0.0, 1.0)]
        checks += [(f"{at}.candidates[{j}].confidence", c.confidence, 0.0, 1.0) for j, c in enumerate(read.candidates)]
        if read.box is not None:
            checks += [(f"{at}.box.{name}", value, -MAX_COORDINATE, MAX_COORDINATE)
                       for name, value in read.box.as_dict().items()]
        for j, point in enumerate(read.polygon or ()):
            checks += [(f"{at}.polygon[{j}][{k}]", value, -MAX_COORDINATE, MAX_COORDINATE) for k, value in enumerate(point)]
    for name, value, low, high in checks:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            bounds = "a non-negative number" if high == math.inf else f"a number in [{low:g}, {high:g}]"
            return f"{name} is {value!r}, not {bounds}"
    return None


@dataclass(frozen=True)
class Image:
    """An encoded image handed to an adapter. ``name`` is what the vendor may see of it: made from the bytes
    alone (:func:`content_name`), never a sample id, a file name or plate text."""

    data: bytes
    media_type: str = "image/jpeg"
    name: str = "image.jpg"

    def decode(self) -> Any:
        """Decode to a BGR ``numpy`` array with OpenCV; raises ``ValueError`` if it is not an image."""
        import cv2
        import numpy as np

        array = cv2.imdecode(np.frombuffer(self.data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if array is None:
            raise ValueError(f"{self.name}: not a decodable image")
        return array


def content_name(sha256: str, media_type: str = "image/jpeg") -> str:
    """The name an image is sent under: the first 16 hex digits of its bytes' sha256 (the digest the caller
    already holds: a sample's, a recipe's) and its type's suffix.

    It tells a vendor nothing the bytes do not: a sample's id or file name (``us/car1.jpg``) would let a
    vendor look a public corpus's label up by name, which no memorisation probe could tell from reading."""
    return sha256[:16].lower() + (".png" if media_type == "image/png" else ".jpg")


AdapterKind = Literal["in-process", "http", "cli", "camera"]


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do beyond ``recognize``; fixed for the adapter's lifetime."""

    kind: AdapterKind = "in-process"
    boxes: bool = False
    candidates: bool = False
    vendor_timing: bool = False
    batch: bool = False
    async_io: bool = False
    privacy_api: bool = False
    camera_events: bool = False
    cpu_bound: bool = False
    """True for in-process engines: the runner uses a process pool rather than threads or asyncio."""
    max_concurrency: int = 1
    """How many images the vendor accepts at once (rate-limited trials say 1)."""


@dataclass(frozen=True)
class VendorInfo:
    """Who the vendor says it is, and the confidence threshold it declares before the run."""

    vendor: str
    product: str = ""
    version: str = ""
    declared_threshold: float | None = None
    """Confidence at or above which the vendor says a read should be acted on (0-1)."""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PrivacySandbox:
    """An open RFP evaluation API sandbox: where it listens and the home agency's admin token."""

    base_url: str
    admin_token: str = field(repr=False)
    timeout: float = 30.0
    """Seconds the harness's sandbox client waits for one answer."""


def _no_flaws(flaws: Sequence[str]) -> None:
    if flaws:
        raise ValueError("this vendor's sandbox cannot be started with deliberate flaws")


@dataclass(frozen=True)
class PrivacyEndpoint:
    """Where the harness checks a vendor's contractual privacy controls (an RFP evaluation API sandbox).

    Describing an endpoint starts nothing; :attr:`open` does, for the privacy pass only. The harness
    builds its own sandbox client on the :class:`PrivacySandbox` it gets and closes it after the suite.
    """

    route: str
    """A short name of how the controls are reached, recorded in the journal and the scorecard
    (``reference-server``: a server the adapter starts itself; ``vendor-sandbox``: the vendor's own)."""
    detail: str
    """One or two sentences for the scorecard saying where the controls were checked."""
    open: Callable[[tuple[str, ...]], AbstractContextManager[PrivacySandbox]] = field(repr=False)
    """Open the sandbox with these deliberate flaws (``()`` normally); raises ``ConfigurationError``
    (e.g. no admin token configured) or ``OSError`` (a server that does not start) with a message
    that the harness records as the reason the controls were not tested."""
    check_flaws: Callable[[Sequence[str]], None] = field(default=_no_flaws, repr=False)
    """Raises ``ValueError`` naming what is wrong unless the sandbox can start with these flaws
    (``--reference-flaw``: demonstrations of failing controls); the default accepts none."""
    conformance: bool = True
    """Whether the sandbox's answers that break the API specification go into the scorecard's
    ``results.conformance`` (``False`` for a server platebench itself ships, tested by its own suite)."""


@dataclass(frozen=True)
class LookupRead:
    """One read a vendor's cloud returned for a plate lookup, normalized (the camera bench journals it)."""

    id: str
    plate: str
    captured_at: str
    """RFC 3339, as the vendor wrote it."""
    confidence: float | None = None
    device_id: str | None = None


class ReadLookup(abc.ABC):
    """Finds the reads a vendor's cloud holds for one plate over a time window, with a stated purpose.

    How the camera bench collects reads from cameras that report only to their vendor's cloud: one
    lookup per plate shown, with the bench's reason and case number (the lookup is itself audited).
    """

    route: ClassVar[str] = "lookup"
    """The name polled reads are journaled under, e.g. ``flock-lookup``."""

    @abc.abstractmethod
    def lookup(self, plate: str, start: str, end: str, reason: str, case_number: str) -> Iterator[LookupRead]:
        """Every read of ``plate`` captured between ``start`` and ``end`` (RFC 3339, inclusive).

        Raises :class:`vendor_adapters.errors.VendorError` when the vendor refuses or breaks its API."""


class Adapter(abc.ABC):
    """Drives one vendor's engine, SDK, API or camera. Subclasses implement :meth:`recognize`.

    Every failure on one image must be raised as a :class:`vendor_adapters.errors.VendorError`
    (the runner records it as that sample's outcome and carries on). Configuration problems are
    raised from :meth:`from_config` as :class:`vendor_adapters.errors.ConfigurationError`, before
    any image is sent.
    """

    name: ClassVar[str] = "adapter"
    """Registry name, e.g. ``"reference"``."""
    capabilities: ClassVar[Capabilities] = Capabilities()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> Adapter:
        """Build from a ``vendors.toml`` table; secrets are read from ``env`` by variable name only."""
        if config:
            raise_unknown_options(cls.name, config, allowed=())
        return cls()

    @abc.abstractmethod
    def recognize(self, image: Image) -> Recognition:
        """Read every plate in ``image``."""

    def info(self) -> VendorInfo:
        """Vendor identity and declared threshold; adapters that can ask the vendor should."""
        return VendorInfo(vendor=self.name)

    # Optional capabilities: the harness calls these on every adapter; the defaults say "none".

    def client_rate_limit(self) -> float | None:
        """Seconds the harness must leave between two sends to this vendor (a client-side rate
        limit, e.g. a trial account's 1 call/s), or ``None`` for no limit."""
        return None

    def conformance_findings(self) -> list[dict[str, Any]] | None:
        """Where the vendor's answers so far broke the API specification the adapter checks them
        against: dicts with ``direction``, ``method``, ``path``, ``status``, ``field`` and ``message``
        (never body values); empty when they all conformed. ``None`` (the default): the adapter
        checks no specification."""
        return None

    def privacy_endpoint(self) -> PrivacyEndpoint | None:
        """The RFP evaluation API sandbox where the harness checks this vendor's privacy controls,
        or ``None`` (the default): the vendor has no privacy API, so every control is INCONCLUSIVE
        unless a vendor attestation covers it. Cheap: starts and sends nothing."""
        return None

    def read_lookup(self) -> ReadLookup | None:
        """How the camera bench looks up the reads this vendor's cloud holds (``platebench bench poll``),
        or ``None`` (the default): the vendor's reads reach the bench only by push or export."""
        return None

    def close(self) -> None:
        """Release connections, processes or devices."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpAdapter(Adapter):
    """A network adapter written sans-I/O: build a request, parse a response; the runner sends."""

    capabilities: ClassVar[Capabilities] = Capabilities(kind="http", async_io=True, max_concurrency=8)

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client

    @property
    def client(self) -> httpx.Client:
        """The injected client, or a default one created on first use."""
        if self._client is None:
            self._client = httpx.Client(timeout=httpx.Timeout(30.0))
        return self._client

    @abc.abstractmethod
    def build_request(self, image: Image) -> httpx.Request:
        """The HTTP request that asks the vendor to read ``image``."""

    @abc.abstractmethod
    def parse_response(self, response: httpx.Response) -> Recognition:
        """Turn the vendor's response into a :class:`Recognition`, or raise a ``VendorError``.

        The response body has been read already. Error statuses must be mapped here (see
        :func:`vendor_adapters.http.raise_for_vendor_status` for the common mapping).
        """

    def recognize(self, image: Image) -> Recognition:
        """Send synchronously through :attr:`client` (the runner uses its own async transport)."""
        from vendor_adapters.http import send_mapped

        return self.parse_response(send_mapped(self.client, self.build_request(image)))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def raise_unknown_options(adapter: str, config: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """Reject ``vendors.toml`` keys an adapter does not understand (typos must not pass silently)."""
    from vendor_adapters.errors import ConfigurationError

    unknown = sorted(set(config) - set(allowed) - {"adapter"})
    if unknown:
        known = ", ".join(allowed) or "none"
        raise ConfigurationError(
            f"adapter {adapter!r}: unknown option(s) {', '.join(unknown)} (known options: {known})"
        )
