"""Checking that a file is a whole, decodable JPEG or PNG image, and reading its size.

Three checks: the format from the magic bytes and the end marker (a JPEG must end with its EOI
marker, a PNG with its IEND chunk, so a cut-off file is named as truncated); a full decode that
fails on any damage (JPEG: libjpeg-turbo through ``simplejpeg`` in strict mode at 1/8 scale, which
still reads every byte of entropy-coded data, so a file cut short and patched with an end marker,
or with corrupt data in the middle, is caught; PNG: Pillow, which checks every chunk's CRC); and a
decode by OpenCV, which is what adapters use.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
import simplejpeg
from PIL import Image, UnidentifiedImageError

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_EOI = b"\xff\xd9"
_PNG_IEND = b"IEND\xaeB`\x82"
_TRAILING_PADDING = b"\x00\r\n \t"


@dataclass(frozen=True)
class ImageInfo:
    """What the corpus needs to know about an image file."""

    format: str
    """``jpeg`` or ``png``."""
    width: int
    height: int


class ImageDefect(ValueError):
    """The bytes are not a whole JPEG or PNG image; the message says why."""


def sniff_format(data: bytes) -> str | None:
    """``jpeg`` or ``png`` from the magic bytes, else ``None``."""
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    return None


def inspect_image(data: bytes) -> ImageInfo:
    """Check ``data`` is a complete, decodable JPEG or PNG; raise :class:`ImageDefect` otherwise."""
    if not data:
        raise ImageDefect("empty file")
    kind = sniff_format(data)
    if kind is None:
        raise ImageDefect("not a JPEG or PNG image")
    tail = data.rstrip(_TRAILING_PADDING)
    if kind == "jpeg" and not tail.endswith(_JPEG_EOI):
        raise ImageDefect("truncated JPEG (no end-of-image marker)")
    if kind == "png" and not tail.endswith(_PNG_IEND):
        raise ImageDefect("truncated PNG (no IEND chunk)")
    try:
        if kind == "jpeg":
            height, width, _, _ = simplejpeg.decode_jpeg_header(data)
            simplejpeg.decode_jpeg(data, colorspace="GRAY", fastdct=True, min_factor=8, strict=True)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Image.open(io.BytesIO(data)) as image:
                    width, height = image.size
                    image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageDefect(f"corrupt {kind.upper()} data ({exc})") from exc
    flag = cv2.IMREAD_REDUCED_GRAYSCALE_8 if kind == "jpeg" else cv2.IMREAD_GRAYSCALE
    if cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag) is None:
        raise ImageDefect(f"OpenCV cannot decode this {kind.upper()} image")
    if width < 1 or height < 1:
        raise ImageDefect("image has no pixels")
    return ImageInfo(kind, width, height)
