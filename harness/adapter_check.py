"""The adapter contract kit: exercise an adapter on a few synthetic plates and check its output.

``platebench adapter check NAME`` runs :func:`check_adapter`. It does not judge accuracy (a
synthetic plate tells little about a real reader); it checks that whatever the adapter returns is
normalized the way every platebench metric assumes (rules in ``vendor_adapters/base.py``):

- every call answers within the time-out, with a ``Recognition`` or a ``VendorError`` subclass;
- ``Read.text`` is upper case ``A-Z0-9`` only; candidates likewise;
- confidences (read, detection, candidate) are in ``[0, 1]`` or ``None``;
- boxes lie inside the image, with non-negative size;
- ``vendor_ms`` is ``None`` or a finite, non-negative number of milliseconds;
- ``region`` is ``None`` or lower case;
- a corrupt image ends in a ``VendorError`` (or an empty answer), never another exception;
- ``info()`` answers, with a declared threshold in ``[0, 1]`` or ``None``.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vendor_adapters.base import Adapter, Capabilities, Image, Recognition, VendorInfo, normalize_plate_text
from vendor_adapters.errors import VendorError

SYNTHETIC_TEXTS: tuple[str, ...] = ("ABC1234", "7XKD482", "KD52RTN", "M5XSX")
"""Plate texts drawn on the synthetic images (one plate each), plus one image with no plate."""
DEFAULT_TIMEOUT_S = 30.0
_PLATE_TEXT = re.compile(r"^[A-Z0-9]*$")


@dataclass(frozen=True)
class SyntheticImage:
    """A generated test image and what is on it."""

    image: Image
    width: int
    height: int
    text: str | None
    """The plate drawn, or ``None`` for the empty scene."""


def _font_file() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"


def synthetic_images(texts: Sequence[str] = SYNTHETIC_TEXTS, *, blank: bool = True) -> list[SyntheticImage]:
    """One 800x450 JPEG per text: a grey scene with a white, black-bordered plate; plus a blank scene."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(str(_font_file()), 64)
    width, height = 800, 450
    out: list[SyntheticImage] = []
    for i, text in enumerate([*texts, *([None] if blank else [])]):
        scene = PILImage.new("RGB", (width, height), (96 + 12 * i, 100, 104))
        draw = ImageDraw.Draw(scene)
        draw.rectangle((0, height * 2 // 3, width, height), fill=(60, 60, 64))
        if text is not None:
            x0, y0 = 150 + 60 * i, 140 + 25 * i
            draw.rectangle((x0, y0, x0 + 360, y0 + 120), fill=(245, 245, 240), outline=(20, 20, 20), width=6)
            left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
            draw.text((x0 + (360 - (right - left)) / 2 - left, y0 + (120 - (bottom - top)) / 2 - top), text,
                      fill=(15, 15, 15), font=font)
        buffer = io.BytesIO()
        scene.save(buffer, format="JPEG", quality=92)
        out.append(SyntheticImage(Image(buffer.getvalue(), "image/jpeg", f"synthetic-{i}.jpg"), width, height, text))
    return out


@dataclass
class CheckResult:
    """One contract check: passed or not, with the first problem found (or a short summary)."""

    name: str
    passed: bool = True
    detail: str = ""
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        if self.passed:
            self.detail = problem
        self.passed = False
        self.problems.append(problem)


def _call(fn: Callable[[], object], timeout_s: float) -> tuple[str, object]:
    """Run ``fn`` in a daemon thread: ("ok", value), ("error", exception) or ("timeout", None)."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported, never swallowed silently
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        return "timeout", None
    return ("error", box["error"]) if "error" in box else ("ok", box.get("value"))


def _unit(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0)


def _check_recognition(rec: Recognition, sample: SyntheticImage, checks: dict[str, CheckResult]) -> None:
    where = sample.image.name
    for n, read in enumerate(rec.reads):
        tag = f"{where} read {n}"
        if not isinstance(read.text, str) or not _PLATE_TEXT.match(read.text):
            checks["text"].fail(f"{tag}: text {read.text!r} is not upper-case A-Z0-9")
        for c in read.candidates:
            if not isinstance(c.text, str) or c.text != normalize_plate_text(c.text):
                checks["candidates"].fail(f"{tag}: candidate {c.text!r} is not normalized")
            if not _unit(c.confidence):
                checks["candidates"].fail(f"{tag}: candidate confidence {c.confidence!r} outside [0, 1]")
        if not _unit(read.confidence):
            checks["confidence"].fail(f"{tag}: confidence {read.confidence!r} outside [0, 1]")
        if not _unit(getattr(read, "detection_confidence", None)):
            checks["confidence"].fail(f"{tag}: detection confidence outside [0, 1]")
        box = read.box
        if box is not None:
            inside = (box.width >= 0 and box.height >= 0 and box.x >= 0 and box.y >= 0
                      and box.x + box.width <= sample.width and box.y + box.height <= sample.height)
            if not inside:
                checks["box"].fail(f"{tag}: box {box.as_dict()} not inside the {sample.width}x{sample.height} image")
        if read.region is not None and read.region != read.region.lower():
            checks["region"].fail(f"{tag}: region {read.region!r} is not lower case")
    ms = rec.vendor_ms
    if ms is not None and (isinstance(ms, bool) or not isinstance(ms, int | float) or not math.isfinite(ms) or ms < 0):
        checks["vendor_ms"].fail(f"{where}: vendor_ms {ms!r} is not a non-negative number")


CHECK_NAMES: tuple[str, ...] = (
    "answers in time", "returns Recognition or VendorError", "text", "candidates", "confidence", "box",
    "region", "vendor_ms", "corrupt image -> VendorError", "info()", "capabilities",
)


def check_adapter(
    adapter: Adapter, *, timeout_s: float = DEFAULT_TIMEOUT_S, images: Sequence[SyntheticImage] | None = None
) -> tuple[list[CheckResult], dict[str, int]]:
    """Run every contract check on ``adapter``; returns the results and a small read tally.

    The tally (``images``, ``errors``, ``reads``, ``exact``) is informational only.
    """
    samples = list(images) if images is not None else synthetic_images()
    checks = {name: CheckResult(name) for name in CHECK_NAMES}
    tally = {"images": len(samples), "errors": 0, "reads": 0, "exact": 0}

    caps = adapter.capabilities
    if not isinstance(caps, Capabilities) or caps.max_concurrency < 1:
        checks["capabilities"].fail(f"capabilities must be a Capabilities with max_concurrency >= 1, got {caps!r}")

    status, value = _call(adapter.info, timeout_s)
    if status == "timeout":
        checks["info()"].fail(f"info() gave no answer within {timeout_s:g} s")
    elif status == "error":
        checks["info()"].fail(f"info() raised {type(value).__name__}: {value}")
    elif not isinstance(value, VendorInfo):
        checks["info()"].fail(f"info() returned {type(value).__name__}, not VendorInfo")
    elif not _unit(value.declared_threshold):
        checks["info()"].fail(f"declared threshold {value.declared_threshold!r} outside [0, 1]")

    for sample in samples:
        status, value = _call(lambda s=sample: adapter.recognize(s.image), timeout_s)
        if status == "timeout":
            checks["answers in time"].fail(f"{sample.image.name}: no answer within {timeout_s:g} s")
        elif status == "error":
            tally["errors"] += 1
            if not isinstance(value, VendorError):
                checks["returns Recognition or VendorError"].fail(
                    f"{sample.image.name}: raised {type(value).__name__}: {value} (not a VendorError)")
        elif not isinstance(value, Recognition):
            checks["returns Recognition or VendorError"].fail(
                f"{sample.image.name}: returned {type(value).__name__}, not Recognition")
        else:
            _check_recognition(value, sample, checks)
            tally["reads"] += len(value.reads)
            tally["exact"] += int(sample.text is not None and any(r.text == sample.text for r in value.reads))

    if samples and tally["errors"] == len(samples):
        checks["returns Recognition or VendorError"].fail(
            f"every call failed, so nothing could be checked (last: {type(value).__name__}: {value})")

    corrupt = Image(b"\xff\xd8\xff\xe0 this is not a JPEG", "image/jpeg", "corrupt.jpg")
    status, value = _call(lambda: adapter.recognize(corrupt), timeout_s)
    if status == "timeout":
        checks["corrupt image -> VendorError"].fail(f"no answer within {timeout_s:g} s on a corrupt image")
    elif status == "error" and not isinstance(value, VendorError):
        checks["corrupt image -> VendorError"].fail(f"raised {type(value).__name__}: {value} (not a VendorError)")
    elif status == "ok" and not isinstance(value, Recognition):
        checks["corrupt image -> VendorError"].fail(f"returned {type(value).__name__}")
    elif status == "ok" and value.reads:  # type: ignore[union-attr]
        checks["corrupt image -> VendorError"].fail("returned plate reads for bytes that are not an image")

    for check in checks.values():
        if check.passed and not check.detail:
            check.detail = "ok"
    return list(checks.values()), tally
