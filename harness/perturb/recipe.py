"""Recipes: how one perturbed image was made, recorded so that anyone holding the source image can make the
same bytes again.

A recipe names the operator, the level, the seed of its random draws (derived from the run's perturbation
seed, the source image's sha256, the operator and the level, so every image of a sweep is independent and
reproducible alone), the source image's sha256, the encoding, the OpenCV version, and the sha256 of the
result. :func:`render_all` makes every image one source needs from a single decode, and encodes each result
once; :func:`regenerate` makes one again and :func:`verify` says whether the bytes match.

``rewrap`` is the one recipe without pixels: the source bytes with a comment inserted (a JPEG COM segment,
a PNG tEXt chunk), so the image decodes to exactly the same pixels under new bytes.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from harness.perturb.operators import NotApplicable
from harness.perturb.registry import OPERATORS
from vendor_adapters.base import Box

JPEG_QUALITY = 95
"""Quality of JPEG sources encoded again after a pixel operator (other than ``jpeg``, which sets its own)."""
PNG_COMPRESSION = 1
"""zlib level of PNG sources encoded again (fast; PNG is lossless at every level)."""
REWRAP = "rewrap"


class RecipeError(ValueError):
    """A recipe cannot be applied (its source image differs, or it names an unknown operator)."""


@dataclass(frozen=True)
class Recipe:
    """How one perturbed image was made (journaled with its call)."""

    operator: str
    level: float
    seed: int
    source_sha256: str
    sha256: str
    encoding: str
    """``jpeg:95``, ``png:1`` or ``rewrap``."""
    opencv: str
    matrix: tuple[float, ...] | None = None
    """Row-major 3x3 source-to-output pixel transform of a geometric operator (plate labels follow it)."""
    drawn: dict[str, float] = field(default_factory=dict)
    """The random parameters the operator drew (the angle of a motion blur...), for the reader."""

    def to_json(self) -> dict[str, Any]:
        return {"operator": self.operator, "level": self.level, "seed": self.seed,
                "source_sha256": self.source_sha256, "sha256": self.sha256, "encoding": self.encoding,
                "opencv": self.opencv, "matrix": list(self.matrix) if self.matrix is not None else None,
                "drawn": dict(self.drawn)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recipe:
        matrix = data.get("matrix")
        return cls(data["operator"], float(data["level"]), int(data["seed"]), data["source_sha256"], data["sha256"],
                   data["encoding"], data["opencv"], tuple(float(v) for v in matrix) if matrix else None,
                   {k: float(v) for k, v in (data.get("drawn") or {}).items()})

    def transform(self, box: Box) -> Box:
        """A source-pixel box in the perturbed image (its corners transformed, then bounded)."""
        return Box.from_points(self.transform_points(
            ((box.x, box.y), (box.x + box.width, box.y), (box.x + box.width, box.y + box.height), (box.x, box.y + box.height))
        ))

    def transform_points(self, points: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
        """Source-pixel points in the perturbed image."""
        if self.matrix is None:
            return tuple((float(x), float(y)) for x, y in points)
        m = np.array(self.matrix, dtype=np.float64).reshape(3, 3)
        out = cv2.perspectiveTransform(np.array([points], dtype=np.float64), m)[0]
        return tuple((round(float(x), 3), round(float(y), 3)) for x, y in out)


def derive_seed(run_seed: int, source_sha256: str, operator: str, level: float) -> int:
    """The seed of one perturbed image's random draws (64 bits of a sha256)."""
    digest = hashlib.sha256(f"{run_seed}:{source_sha256}:{operator}:{level!r}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def decode(data: bytes) -> np.ndarray:
    """The source image's pixels, as adapters decode them (BGR)."""
    pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise RecipeError("the source image cannot be decoded")
    return pixels


def _encoding(operator: str, level: float, media_type: str) -> str:
    if operator == "jpeg":
        return f"jpeg:{round(level)}"
    return f"jpeg:{JPEG_QUALITY}" if media_type == "image/jpeg" else f"png:{PNG_COMPRESSION}"


def encode(pixels: np.ndarray, encoding: str) -> bytes:
    """Encode once, as the recipe says."""
    kind, _, value = encoding.partition(":")
    if kind == "jpeg":
        ok, buffer = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, int(value)])
    else:
        ok, buffer = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, int(value)])
    if not ok:
        raise RecipeError(f"OpenCV could not encode the image as {encoding}")
    return buffer.tobytes()


def rewrap(data: bytes, seed: int) -> bytes:
    """The same image under new bytes: a comment naming ``seed`` inserted after the JPEG start marker, or a
    tEXt chunk after the PNG header chunk; the pixels do not change."""
    note = f"platebench {seed:016x}".encode()
    if data.startswith(b"\xff\xd8"):
        return data[:2] + b"\xff\xfe" + struct.pack(">H", len(note) + 2) + note + data[2:]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        ihdr_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4
        body = b"Comment\x00" + note
        chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
        return data[:ihdr_end] + chunk + data[ihdr_end:]
    raise RecipeError("rewrap needs a JPEG or PNG source")


@dataclass(frozen=True)
class Rendered:
    """One perturbed image: its bytes, media type and recipe."""

    data: bytes
    media_type: str
    recipe: Recipe


def _media(encoding: str, media_type: str) -> str:
    if encoding == REWRAP:
        return media_type
    return "image/jpeg" if encoding.startswith("jpeg") else "image/png"


def render_all(
    data: bytes, media_type: str, jobs: Sequence[tuple[str, float]], run_seed: int, boxes: Sequence[Box],
) -> Iterator[tuple[str, float, Rendered | None]]:
    """Every ``(operator, level)`` of ``jobs`` applied to one source image, decoded once (only if a job needs
    pixels) and each result encoded once; ``None`` where the operator does not apply (no plate box)."""
    source_sha = hashlib.sha256(data).hexdigest()
    pixels: np.ndarray | None = None
    for operator, level in jobs:
        seed = derive_seed(run_seed, source_sha, operator, level)
        if operator == REWRAP:
            out = rewrap(data, seed)
            recipe = Recipe(REWRAP, level, seed, source_sha, hashlib.sha256(out).hexdigest(), REWRAP, cv2.__version__)
            yield operator, level, Rendered(out, media_type, recipe)
            continue
        if pixels is None:
            pixels = decode(data)
        rendered = _apply(pixels, media_type, operator, level, seed, source_sha, boxes)
        yield operator, level, rendered


def _apply(pixels: np.ndarray, media_type: str, operator: str, level: float, seed: int, source_sha: str,
           boxes: Sequence[Box]) -> Rendered | None:
    spec = OPERATORS.get(operator)
    if spec is None:
        raise RecipeError(f"unknown operator {operator!r}")
    try:
        result = spec.function(pixels, level, np.random.default_rng(seed), boxes)
    except NotApplicable:
        return None
    encoding = _encoding(operator, level, media_type)
    out = encode(result.image, encoding)
    matrix = None if result.matrix is None else tuple(float(v) for v in np.asarray(result.matrix).reshape(9))
    recipe = Recipe(operator, level, seed, source_sha, hashlib.sha256(out).hexdigest(), encoding, cv2.__version__,
                    matrix, dict(result.drawn))
    return Rendered(out, _media(encoding, media_type), recipe)


def regenerate(recipe: Recipe, data: bytes, boxes: Sequence[Box]) -> bytes:
    """Make the image of ``recipe`` again from its source image's bytes (and plate boxes)."""
    if hashlib.sha256(data).hexdigest() != recipe.source_sha256:
        raise RecipeError("the source image's sha256 differs from the recipe's")
    if recipe.operator == REWRAP:
        return rewrap(data, recipe.seed)
    rendered = _apply(decode(data), "image/jpeg" if data.startswith(b"\xff\xd8") else "image/png", recipe.operator,
                      recipe.level, recipe.seed, recipe.source_sha256, boxes)
    if rendered is None:
        raise RecipeError(f"{recipe.operator} does not apply to this image")
    return rendered.data


def verify(recipe: Recipe, data: bytes, boxes: Sequence[Box]) -> bool:
    """True when :func:`regenerate` gives exactly the recorded bytes (same sha256)."""
    return hashlib.sha256(regenerate(recipe, data, boxes)).hexdigest() == recipe.sha256
