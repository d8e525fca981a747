"""The perturbation operators: small pure functions ``(image, level, rng, boxes) -> Perturbed``.

``image`` is a BGR ``uint8`` array (as OpenCV decodes it), ``level`` the operator's level in its unit
(:mod:`harness.perturb.registry` says what each means), ``rng`` a generator seeded from the recipe, and
``boxes`` the labelled plate boxes in source pixels (operators aimed at the plate use them). An operator
never changes its inputs; the same arguments give the same pixels. A geometric operator also returns the
3x3 matrix that maps source pixel coordinates to output coordinates, so plate labels move with the image.
An operator that needs a plate box and gets none raises :class:`NotApplicable`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from vendor_adapters.base import Box

TEXT_HEIGHT_FRACTION = 0.5
"""Plate characters are about half as tall as the plate (US and EU plates): ``distance`` estimates the text
height in pixels as this share of the labelled plate box's height."""


class NotApplicable(ValueError):
    """The operator cannot be applied to this image (e.g. it aims at the plate and no plate box is labelled)."""


@dataclass(frozen=True)
class Perturbed:
    """An operator's output: the pixels, the source-to-output matrix of a geometric operator, and the
    random parameters it drew (recorded in the recipe so a reader sees them without re-running it)."""

    image: np.ndarray
    matrix: np.ndarray | None = None
    drawn: tuple[tuple[str, float], ...] = ()


def _clip(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _plate(boxes: Sequence[Box], rng: np.random.Generator) -> Box:
    usable = [b for b in boxes if b.width > 0 and b.height > 0]
    if not usable:
        raise NotApplicable("needs a labelled plate box")
    return usable[int(rng.integers(len(usable)))]


def _exposure(image: np.ndarray, gain: float) -> np.ndarray:
    """Exposure multiplied by ``gain`` in linear light (sRGB-like gamma 2.2), highlights clipped: one lookup table."""
    linear = (np.arange(256, dtype=np.float64) / 255.0) ** 2.2
    return cv2.LUT(image, _clip(255.0 * np.minimum(linear * gain, 1.0) ** (1 / 2.2)))


def night(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Less light: exposure scaled by ``level`` in linear light (gamma 2.2), so shadows sink first."""
    return Perturbed(_exposure(image, level))


def overexpose(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """More light: exposure multiplied by ``level`` in linear light, highlights clipped (white plates burn out)."""
    return Perturbed(_exposure(image, level))


def _line_kernel(length: int, angle_deg: float) -> np.ndarray:
    size = length if length % 2 else length + 1
    kernel = np.zeros((size, size), np.float32)
    kernel[size // 2, (size - length) // 2:(size - length) // 2 + length] = 1.0
    rotation = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), angle_deg, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (size, size), flags=cv2.INTER_LINEAR)
    return kernel / kernel.sum()


def blur(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Motion blur: a straight streak ``level`` pixels long at an angle drawn uniformly in [0, 180) degrees."""
    angle = float(rng.uniform(0.0, 180.0))
    length = max(1, round(level))
    if length == 1:
        return Perturbed(image.copy(), drawn=(("angle_deg", angle),))
    out = cv2.filter2D(image, -1, _line_kernel(length, angle), borderType=cv2.BORDER_REFLECT)
    return Perturbed(out, drawn=(("angle_deg", angle),))


def defocus(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Out of focus: a uniform disc (the lens's circle of confusion) of radius ``level`` pixels."""
    radius = max(0, round(level))
    if radius == 0:
        return Perturbed(image.copy())
    size = 2 * radius + 1
    kernel = np.zeros((size, size), np.float32)
    cv2.circle(kernel, (radius, radius), radius, 1.0, -1)
    return Perturbed(cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT))


def distance(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Farther away: the whole image scaled down (area averaging) until the plate's characters are ``level``
    pixels tall (estimated as :data:`TEXT_HEIGHT_FRACTION` of the tallest plate box); never enlarged."""
    tallest = max((b.height for b in boxes if b.width > 0 and b.height > 0), default=0.0)
    if tallest <= 0:
        raise NotApplicable("needs a labelled plate box")
    scale = min(1.0, level / (TEXT_HEIGHT_FRACTION * tallest))
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    out = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    matrix = np.diag([size[0] / width, size[1] / height, 1.0])
    return Perturbed(out, matrix, (("scale", scale),))


def noise(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Sensor noise: independent Gaussian noise of standard deviation ``level`` grey levels on every channel."""
    return Perturbed(_clip(image.astype(np.float32) + rng.normal(0.0, level, image.shape).astype(np.float32)))


def _warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def rotate(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Camera roll: the image turned ``level`` degrees counter-clockwise about its centre (same size, edges
    replicated)."""
    height, width = image.shape[:2]
    matrix = np.vstack([cv2.getRotationMatrix2D((width / 2, height / 2), level, 1.0), [0.0, 0.0, 1.0]])
    return Perturbed(_warp(image, matrix), matrix)


def perspective(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Oblique view: the scene seen ``level`` degrees off-axis horizontally (a planar approximation: the far
    side shrinks by cos(angle) and the image is foreshortened by the same factor), the side drawn at random."""
    height, width = image.shape[:2]
    shrink = math.cos(math.radians(min(abs(level), 89.0)))
    inset = (1.0 - shrink) * height / 2
    squeeze = (1.0 - shrink) * width / 2
    left_far = bool(rng.integers(2))
    src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    if left_far:
        dst = [[squeeze, inset], [width - squeeze, 0], [width - squeeze, height], [squeeze, height - inset]]
    else:
        dst = [[squeeze, 0], [width - squeeze, inset], [width - squeeze, height - inset], [squeeze, height]]
    matrix = cv2.getPerspectiveTransform(src, np.float32(dst)).astype(np.float64)
    return Perturbed(_warp(image, matrix), matrix, (("far_side_left", float(left_far)),))


def glare(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """A headlight or sun bloom on the plate: a white Gaussian spot of peak opacity ``level`` (0-1), as wide as
    the plate, centred at a random point of a labelled plate box."""
    plate = _plate(boxes, rng)
    cx = plate.x + rng.uniform(0.0, 1.0) * plate.width
    cy = plate.y + rng.uniform(0.0, 1.0) * plate.height
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    sigma = max(plate.width / 2.0, 1.0)
    alpha = (level * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma * sigma)))[..., None]
    out = image.astype(np.float32) * (1 - alpha) + 255.0 * alpha
    return Perturbed(_clip(out), drawn=(("x", float(cx)), ("y", float(cy))))


def rain(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Rain: bright, slightly slanted streaks (1 per 1,000 pixels at ``level`` 1, proportionally fewer below),
    motion-blurred, over an image dimmed by ``level`` x 15%."""
    height, width = image.shape[:2]
    drops = int(level * height * width / 1000)
    layer = np.zeros((height, width), np.float32)
    xs = rng.integers(0, width, drops)
    ys = rng.integers(0, height, drops)
    layer[ys, xs] = 1.0
    slant = float(rng.uniform(70.0, 110.0))
    streak = max(3, height // 40)
    layer = cv2.filter2D(layer, -1, _line_kernel(streak, slant)) * streak * 0.6
    alpha = np.clip(layer, 0.0, 0.8)[..., None]
    base = image.astype(np.float32) * (1.0 - 0.15 * level)
    return Perturbed(_clip(base * (1 - alpha) + 220.0 * alpha), drawn=(("slant_deg", slant),))


def fog(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Fog: the atmospheric scattering model with a uniform transmission of ``1 - level`` towards a light grey
    airlight (``level`` 0: clear air, 1: nothing but fog)."""
    airlight = 200.0
    return Perturbed(_clip(image.astype(np.float32) * (1.0 - level) + airlight * level))


def occlusion(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Part of the plate hidden (a tow ball, a bike rack, mud): a dark bar over ``level`` (0-1) of a labelled
    plate's width, from its left or right edge (drawn at random), full plate height."""
    plate = _plate(boxes, rng)
    from_left = bool(rng.integers(2))
    cover = plate.width * level
    x1 = plate.x if from_left else plate.x + plate.width - cover
    out = image.copy()
    top, bottom = max(0, math.floor(plate.y)), min(image.shape[0], math.ceil(plate.y + plate.height))
    left, right = max(0, math.floor(x1)), min(image.shape[1], math.ceil(x1 + cover))
    out[top:bottom, left:right] = (30, 30, 30)
    return Perturbed(out, drawn=(("from_left", float(from_left)),))


def identity(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """No change to the pixels (the image is only encoded again: see ``jpeg``)."""
    return Perturbed(image.copy())


def shift(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """The image moved ``level`` pixels right and down (edges replicated): a near-duplicate."""
    matrix = np.array([[1.0, 0.0, level], [0.0, 1.0, level], [0.0, 0.0, 1.0]])
    return Perturbed(_warp(image, matrix), matrix)


def mirror(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """The image mirrored left to right (level 1): the same work for an honest reader, a new image to any
    cache however loosely it matches (the caching probes' control)."""
    width = image.shape[1]
    return Perturbed(cv2.flip(image, 1), np.array([[-1.0, 0.0, float(width)], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))


def rescale(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """The image resized by ``level`` percent (e.g. 1: 101%): a near-duplicate."""
    height, width = image.shape[:2]
    factor = 1.0 + level / 100.0
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    out = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    return Perturbed(out, np.diag([size[0] / width, size[1] / height, 1.0]))


def recolour(image: np.ndarray, level: float, rng: np.random.Generator, boxes: Sequence[Box]) -> Perturbed:
    """Colour balance changed: each channel's gain drawn uniformly within +/- ``level`` percent."""
    gains = 1.0 + rng.uniform(-level, level, 3) / 100.0
    return Perturbed(_clip(image.astype(np.float32) * gains.astype(np.float32)),
                     drawn=tuple((f"gain_{c}", float(g)) for c, g in zip("bgr", gains, strict=True)))
