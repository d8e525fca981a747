"""SimpleLPR (Warelogic), a commercial engine installed from PyPI and run in-process.

Install with ``pip install 'platebench[simplelpr]'`` (a ~135 MB wheel; without a product key it
runs in evaluation mode). The engine is CPU-bound, so the adapter declares ``cpu_bound=True`` and
the runner gives it a process pool: the adapter object holds only its settings (it pickles), and
each process builds its engine once, on first use, and one processor per thread (SimpleLPR
processors are not thread-safe).

Settings (``vendors.toml``): ``countries`` (table of SimpleLPR country names to weights, e.g.
``{ "UK-GreatBritain" = 1.0, Spain = 1.0 }``; names are checked against the engine's own list;
empty = the SDK's default, every country weight 0, i.e. raw reads without template validation),
``plate_region_detection`` (default true: plate outline and detection confidence),
``product_key_env`` (variable holding the path of a licence file; evaluation mode without it).

Normalization: each SimpleLPR ``Candidate`` is one read. Its best ``Match`` (the first; the last
entry is the raw text before country validation) gives the text and confidence (the product of
the character confidences, 0-1); every match becomes a candidate. The box is the plate outline's
bounding box when detection gives one (``plateRegionVertices``), else the text box, clipped to the
image. SimpleLPR reports no processing time; the runner's clock measures it.
"""

from __future__ import annotations

import io
import locale
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from vendor_adapters.base import (
    Adapter,
    Box,
    Candidate,
    Capabilities,
    Image,
    Read,
    Recognition,
    VendorInfo,
    normalize_plate_text,
    raise_unknown_options,
)
from vendor_adapters.errors import ConfigurationError, ImageRejected, PrerequisiteError, ProtocolError
from vendor_adapters.options import Options

INSTALL_COMMAND = "pip install 'platebench[simplelpr]'"
_OPTIONS = ("countries", "plate_region_detection", "product_key_env", "declared_threshold")

Settings = tuple[tuple[tuple[str, float], ...], bool, str | None]
"""(country weights, plate region detection, product key path): what makes two engines differ."""

_engines: dict[Settings, Any] = {}
_engines_lock = threading.Lock()
_local = threading.local()


def _sdk() -> Any:
    try:
        import simplelpr
    except ImportError as exc:
        raise PrerequisiteError(
            f"adapter 'simplelpr' needs the SimpleLPR SDK, which is not installed ({exc}); "
            f"install it with: {INSTALL_COMMAND}"
        ) from None
    return simplelpr


def supported_countries(engine: Any) -> list[str]:
    """The country names this SimpleLPR engine knows (e.g. ``Spain``, ``UK-GreatBritain``)."""
    return [engine.get_countryCode(i) for i in range(engine.numSupportedCountries)]


@contextmanager
def _locale_kept() -> Iterator[None]:
    """Undo the SDK's process-wide locale change: creating a SimpleLPR engine sets LC_ALL to "C",
    after which every ``open()`` in the harness process would default to ASCII (measured)."""
    saved = locale.setlocale(locale.LC_ALL)
    try:
        yield
    finally:
        locale.setlocale(locale.LC_ALL, saved)


def _engine(settings: Settings) -> Any:
    """This process's engine for ``settings``, built once (country weights realized, key applied)."""
    with _engines_lock:
        engine = _engines.get(settings)
        if engine is None:
            sdk = _sdk()
            with _locale_kept():
                engine = sdk.SimpleLPR(sdk.EngineSetupParms())
            weights, _, key_path = settings
            if key_path:
                engine.set_productKey(key_path)
            known = supported_countries(engine)
            for name, weight in weights:
                if name not in known:
                    raise ConfigurationError(_unknown_country(name, known))
                engine.set_countryWeight(name, weight)
            engine.realizeCountryWeights()
            _engines[settings] = engine
        return engine


def _unknown_country(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return (f"adapter 'simplelpr': {name!r} is not a SimpleLPR country.{hint} "
            f"Known names: {', '.join(known)}.")


def _processor(settings: Settings) -> Any:
    """This thread's processor for ``settings`` (processors must not be shared between threads)."""
    processors: dict[Settings, Any] = _local.__dict__.setdefault("processors", {})
    proc = processors.get(settings)
    if proc is None:
        proc = _engine(settings).createProcessor()
        proc.plateRegionDetectionEnabled = settings[1]
        processors[settings] = proc
    return proc


class SimpleLprAdapter(Adapter):
    """SimpleLPR in-process; picklable, one engine per process, one processor per thread."""

    name: ClassVar[str] = "simplelpr"
    capabilities: ClassVar[Capabilities] = Capabilities(
        kind="in-process", boxes=True, candidates=True, cpu_bound=True, max_concurrency=os.cpu_count() or 1
    )

    def __init__(
        self,
        countries: Mapping[str, float] | None = None,
        *,
        plate_region_detection: bool = True,
        product_key_path: str | None = None,
        declared_threshold: float | None = None,
    ) -> None:
        self.settings: Settings = (
            tuple(sorted((countries or {}).items())),
            plate_region_detection,
            product_key_path,
        )
        self.declared_threshold = declared_threshold

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> SimpleLprAdapter:
        """Checks the SDK is installed and the country names exist, building this process's engine."""
        raise_unknown_options(cls.name, config, _OPTIONS)
        opts = Options(cls.name, config)
        countries: dict[str, float] = {}
        for name, weight in opts.table("countries").items():
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise opts.error(f"countries.{name}", "a weight >= 0", weight)
            countries[name] = float(weight)
        key_env = opts.text("product_key_env")
        key_path = None
        if key_env:
            key_path = env.get(key_env)
            if not key_path:
                raise ConfigurationError(
                    f"adapter 'simplelpr': environment variable {key_env} is not set; "
                    f"export {key_env}=/path/to/license.xml (or drop product_key_env for evaluation mode)"
                )
            if not os.path.isfile(key_path):
                raise ConfigurationError(f"adapter 'simplelpr': product key file {key_path} (from {key_env}) not found")
        adapter = cls(countries, plate_region_detection=opts.flag("plate_region_detection", True),
                      product_key_path=key_path,
                      declared_threshold=opts.number("declared_threshold", low=0, high=1))
        _engine(adapter.settings)
        return adapter

    def recognize(self, image: Image) -> Recognition:
        width, height = _image_size(image)
        try:
            found = _processor(self.settings).analyze(image.data)
        except RuntimeError as exc:
            # The SDK raises RuntimeError("Unable to decode image") for bytes it cannot read.
            raise ImageRejected(f"SimpleLPR refused the image: {exc}", 415) from None
        reads = [_read(candidate, width, height) for candidate in found]
        reads = [r for r in reads if r is not None]
        reads.sort(key=lambda r: -(r.confidence or 0.0))
        return Recognition(reads=tuple(reads), vendor_ms=None)

    def info(self) -> VendorInfo:
        engine = _engine(self.settings)
        v = engine.versionNumber
        mode = "licensed" if self.settings[2] else "evaluation"
        return VendorInfo(vendor="Warelogic", product="SimpleLPR", version=f"{v.A}.{v.B}.{v.C}.{v.D}",
                          declared_threshold=self.declared_threshold, extra={"mode": mode})

    def __repr__(self) -> str:
        return f"SimpleLprAdapter(countries={dict(self.settings[0])!r})"


def _image_size(image: Image) -> tuple[int, int]:
    """Width and height from the image header (Pillow reads no pixels for this)."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(io.BytesIO(image.data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageRejected(f"{image.name}: not a readable image ({exc})", 415) from None


def _clip(box: Box, width: int, height: int) -> Box | None:
    x1, y1 = max(0.0, box.x), max(0.0, box.y)
    x2, y2 = min(float(width), box.x + box.width), min(float(height), box.y + box.height)
    return Box(x1, y1, x2 - x1, y2 - y1) if x2 > x1 and y2 > y1 else None


def _read(candidate: Any, width: int, height: int) -> Read | None:
    """One SimpleLPR ``Candidate`` as a read (``None`` when it carries no match)."""
    try:
        matches = list(candidate.matches)
        if not matches:
            return None
        alternatives = tuple(Candidate(normalize_plate_text(m.text), _unit(m.confidence)) for m in matches)
        vertices = [(float(p.x), float(p.y)) for p in candidate.plateRegionVertices]
        polygon = tuple(vertices) if len(vertices) == 4 and all(x >= 0 and y >= 0 for x, y in vertices) else None
        rect = candidate.boundingBox
        box = Box.from_points(polygon) if polygon else Box(rect.left, rect.top, rect.width, rect.height)
        detection = float(candidate.plateDetectionConfidence)
        best = matches[0]
        return Read(
            text=alternatives[0].text,
            confidence=alternatives[0].confidence,
            detection_confidence=_unit(detection) if detection >= 0 else None,
            box=_clip(box, width, height),
            polygon=polygon,
            region=best.countryISO.lower() or None,
            candidates=alternatives,
        )
    except AttributeError as exc:
        raise ProtocolError(f"SimpleLPR result lacks an expected field: {exc}") from None


def _unit(value: float) -> float:
    """SimpleLPR confidences are 0-1 products; clamp float noise at the ends."""
    return min(1.0, max(0.0, float(value)))
