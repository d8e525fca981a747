"""The synthetic corpus: US-style plates rendered with known text and outline, the embedded default.

Deterministic: sample ``i`` of seed ``s`` is drawn from its own ``numpy`` generator seeded with
``(GENERATOR_VERSION, s, i)``, so the same generator version and seed give the same labels, and
(with the same OpenCV, Pillow and font) the same image bytes. Any change to what is drawn must bump
:data:`GENERATOR_VERSION`. The recipe (formats, conditions, tags) is in
``datasets/synthetic/RECIPE.md``.

Each sample is a plate (a real TrueType font shipped with matplotlib, a border, a state-name line,
sometimes a slogan) put on a procedural background (gradient, noise texture or a car-like body),
warped in perspective, scaled to a distance, then lit for day or night (dark, plate lamp,
headlight glare), blurred and noised. Every condition is a tag; the label is the plate's text, its
four warped corners (``polygon``) and their bounding box.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
import shutil
import string
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from itertools import repeat
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from harness.corpus.manifest import MANIFEST_NAME, write_manifest
from harness.corpus.model import Plate, Sample
from vendor_adapters.base import Box

GENERATOR_VERSION = 1
DEFAULT_SEED = 20240601
DEFAULT_N = 200
SCENE_SIZE = (800, 600)
"""Width and height of every generated image."""
JPEG_QUALITY = 92
PLATE_SIZE = (600, 300)
"""The flat plate is drawn at 12 x 6 inches, 50 px per inch, before it is warped into the scene."""
FONT_FILE = Path(find_spec("matplotlib").origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"  # type: ignore[arg-type,union-attr]
"""Found without importing matplotlib (a second of start-up for every ``platebench`` command)."""
CACHE_ENV = "PLATEBENCH_CACHE"
PARALLEL_FROM = 64
PROGRESS_STEP = 10
"""Samples between two progress reports when rendering in one process."""
"""Corpora of at least this many samples are rendered by a process pool."""

# Serial formats leave out I, O and Q, as most US states do (they read as 1 and 0); vanity plates use them.
SERIAL_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "IOQ")
DIGITS = string.digits
FORMATS: dict[str, str] = {
    "ABC1234": "LLLDDDD",
    "1ABC234": "DLLLDDD",
    "AB12345": "LLDDDDD",
    "123ABC": "DDDLLL",
    "vanity": "",
}
"""Format tag -> pattern (L letter, D digit); vanity is 4-7 letters from the full alphabet."""
STATES: tuple[tuple[str, str], ...] = (
    ("COLORADO", "co"),
    ("CALIFORNIA", "ca"),
    ("TEXAS", "tx"),
    ("NEW YORK", "ny"),
    ("ARIZONA", "az"),
    ("OREGON", "or"),
    ("ILLINOIS", "il"),
    ("FLORIDA", "fl"),
    ("WASHINGTON", "wa"),
    ("OHIO", "oh"),
    ("GEORGIA", "ga"),
    ("NEVADA", "nv"),
)
SLOGANS = ("DRIVE SAFELY", "EST. 1876", "THE GREAT STATE", "LAND OF LINCOLN", "SUNSHINE STATE", "")
PALETTES: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((250, 250, 248), (20, 40, 140)),  # white, dark blue
    ((245, 245, 240), (15, 15, 15)),  # white, black
    ((248, 236, 170), (20, 20, 30)),  # yellow, black
    ((232, 240, 250), (120, 20, 30)),  # pale blue, dark red
    ((240, 248, 238), (10, 80, 40)),  # pale green, dark green
)
"""Plate (background, ink) colours in RGB."""

CONDITIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "time": (("day", 0.7), ("night", 0.3)),
    "angle": (("frontal", 0.6), ("oblique", 0.4)),
    "distance": (("near", 0.6), ("far", 0.4)),
    "blur": (("none", 0.6), ("motion", 0.2), ("gaussian", 0.2)),
    "noise": (("none", 0.4), ("low", 0.4), ("high", 0.2)),
    "background": (("car", 0.6), ("gradient", 0.2), ("texture", 0.2)),
    "split": (("public", 0.8), ("sequestered", 0.2)),
}
"""Each condition's values and their probabilities; every drawn value becomes a tag."""
FORMAT_WEIGHTS = (("ABC1234", 0.3), ("1ABC234", 0.25), ("AB12345", 0.15), ("123ABC", 0.15), ("vanity", 0.15))


@dataclass(frozen=True)
class SyntheticSample:
    """One generated image with its truth, before it is written."""

    index: int
    text: str
    jurisdiction: str
    polygon: tuple[tuple[float, float], ...]
    """The plate's corners in the image: top-left, top-right, bottom-right, bottom-left."""
    tags: dict[str, str]
    image: np.ndarray
    """BGR, uint8, ``SCENE_SIZE``."""
    plate: np.ndarray
    """The flat plate as drawn (BGR, ``PLATE_SIZE``), before warp and lighting."""

    @property
    def box(self) -> Box:
        """Bounding box of the warped plate."""
        return Box.from_points(self.polygon)


def _choose(rng: np.random.Generator, options: tuple[tuple[str, float], ...]) -> str:
    values = [v for v, _ in options]
    weights = np.array([w for _, w in options])
    return values[int(rng.choice(len(values), p=weights / weights.sum()))]


def plate_text(rng: np.random.Generator, fmt: str) -> str:
    """A plate string in the given format tag."""
    if fmt == "vanity":
        return "".join(rng.choice(list(string.ascii_uppercase), size=int(rng.integers(4, 8))))
    pools = {"L": SERIAL_LETTERS, "D": DIGITS}
    return "".join(str(rng.choice(list(pools[c]))) for c in FORMATS[fmt])


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


def _draw_text(text: str, size: int, ink: tuple[int, int, int], max_width: int) -> PILImage.Image:
    """Text on a transparent layer, squeezed horizontally to ``max_width`` (plate fonts are narrow)."""
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    layer = PILImage.new("RGBA", (right - left + 4, bottom - top + 4), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((2 - left, 2 - top), text, font=font, fill=(*ink, 255))
    if layer.width > max_width:
        layer = layer.resize((max_width, layer.height), PILImage.Resampling.LANCZOS)
    return layer


def render_plate(rng: np.random.Generator, text: str, state: str) -> np.ndarray:
    """The flat plate (BGR, ``PLATE_SIZE``): background, border, state line, characters, slogan."""
    width, height = PLATE_SIZE
    paper, ink = PALETTES[int(rng.integers(len(PALETTES)))]
    plate = PILImage.new("RGB", PLATE_SIZE, paper)
    draw = ImageDraw.Draw(plate)
    shade = rng.uniform(0.9, 1.0)
    for y in range(0, height, 6):  # a faint vertical gradient, like printed sheeting
        tone = tuple(int(c * (shade + (1 - shade) * y / height)) for c in paper)
        draw.rectangle((0, y, width, y + 6), fill=tone)
    border = int(rng.integers(6, 12))
    draw.rounded_rectangle((3, 3, width - 4, height - 4), radius=22, outline=ink, width=border)
    header = _draw_text(state, 46, ink, 420)
    plate.paste(header, ((width - header.width) // 2, 22), header)
    characters = _draw_text(text, 168, ink, 540)
    plate.paste(characters, ((width - characters.width) // 2, 88), characters)
    slogan = SLOGANS[int(rng.integers(len(SLOGANS)))]
    if slogan:
        line = _draw_text(slogan, 30, ink, 360)
        plate.paste(line, ((width - line.width) // 2, height - 52), line)
    return cv2.cvtColor(np.asarray(plate), cv2.COLOR_RGB2BGR)


def _smooth_noise(rng: np.random.Generator, size: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1] (a small random grid upsampled), shape ``(h, w)``."""
    width, height = size
    grid = rng.random((max(2, cells * height // width), cells), dtype=np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _background(rng: np.random.Generator, kind: str) -> tuple[np.ndarray, tuple[float, float]]:
    """A BGR float32 scene and the centre where a plate would sit."""
    width, height = SCENE_SIZE
    top, bottom = rng.uniform(40, 230, 3).astype(np.float32), rng.uniform(20, 200, 3).astype(np.float32)
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    small = (width // 4, height // 4)
    texture = sum(_smooth_noise(rng, small, c) * w for c, w in ((4, 0.5), (16, 0.3), (64, 0.2)))
    texture = cv2.resize(texture, SCENE_SIZE, interpolation=cv2.INTER_LINEAR)[..., None] - 0.5
    strength = 90 if kind == "texture" else 30
    tint = (strength * rng.uniform(0.6, 1.4, 3)).astype(np.float32)
    scene = (top + (bottom - top) * ramp) + texture * tint
    centre = (rng.uniform(0.3, 0.7) * width, rng.uniform(0.45, 0.75) * height)
    if kind == "car":
        body = rng.uniform(20, 235, 3)
        cx, cy = centre
        half = rng.uniform(0.3, 0.45) * width
        x1, x2 = int(cx - half), int(cx + half)
        y1, y2 = (
            int(cy - rng.uniform(0.25, 0.4) * height),
            int(min(height, cy + rng.uniform(0.2, 0.35) * height)),
        )
        cv2.rectangle(scene, (x1, y1), (x2, y2), body.tolist(), -1)
        cv2.rectangle(scene, (x1, y1), (x2, y1 + (y2 - y1) // 6), (body * 0.7).tolist(), -1)  # shadow line
        bumper = int(cy + 0.12 * height)
        cv2.rectangle(scene, (x1 - 10, bumper), (x2 + 10, bumper + 28), (30.0, 30.0, 32.0), -1)
        for side in (-1, 1):
            lamp = (int(cx + side * half * 0.75), int(cy - 0.12 * height))
            cv2.ellipse(scene, lamp, (int(half * 0.16), 22), 0, 0, 360, (200.0, 205.0, 210.0), -1)
        for gy in range(y1 + (y2 - y1) // 4, int(cy - 0.12 * height), 12):  # grille
            cv2.line(scene, (int(cx - half * 0.4), gy), (int(cx + half * 0.4), gy), (body * 0.5).tolist(), 3)
    return scene, centre


def _quad(rng: np.random.Generator, centre: tuple[float, float], angle: str, distance: str) -> np.ndarray:
    """The plate's four corners in the scene (float32, TL TR BR BL), inside the image with a margin."""
    width, height = SCENE_SIZE
    plate_w = rng.uniform(190, 300) if distance == "near" else rng.uniform(65, 115)
    plate_h = plate_w / 2
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32) * [plate_w / 2, plate_h / 2]
    if angle == "oblique":
        yaw = rng.uniform(0.6, 0.8) * rng.choice([-1, 1])  # the far side is shorter and nearer the centre
        far = 1 if yaw > 0 else 0
        for i in (1, 2) if far else (0, 3):
            corners[i, 1] *= abs(yaw)
            corners[i, 0] *= 0.85
        corners[:, 1] += rng.uniform(-0.08, 0.08) * plate_h * np.sign(corners[:, 0])  # pitch/roll skew
        rotation = np.deg2rad(rng.uniform(-10, 10))
    else:
        corners += rng.normal(0, plate_w * 0.008, corners.shape)
        rotation = np.deg2rad(rng.uniform(-3, 3))
    c, s = np.cos(rotation), np.sin(rotation)
    corners = corners @ np.array([[c, s], [-s, c]], np.float32)
    margin = 8
    low = -corners.min(axis=0) + margin
    high = np.array([width, height]) - corners.max(axis=0) - margin
    placed = np.clip(np.array(centre), low, high)
    return (corners + placed).astype(np.float32)


def _add_glare(image: np.ndarray, centre: tuple[float, float], radius: float, strength: float) -> None:
    """Add a headlight's glare (a Gaussian spot) to ``image`` in place, within 3 radii of its centre."""
    height, width = image.shape[:2]
    reach = 3 * radius
    x0, x1 = max(0, int(centre[0] - reach)), min(width, int(centre[0] + reach) + 1)
    y0, y1 = max(0, int(centre[1] - reach)), min(height, int(centre[1] + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    ys, xs = np.ogrid[y0:y1, x0:x1]
    d2 = (xs - centre[0]) ** 2 + (ys - centre[1]) ** 2
    image[y0:y1, x0:x1] += (strength * np.exp(-d2 / (2 * radius**2))).astype(np.float32)[..., None]


def _motion_kernel(length: int, angle: float) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, turn, (length, length))
    return kernel / kernel.sum()


def render_sample(seed: int, index: int) -> SyntheticSample:
    """Render sample ``index`` of the corpus with ``seed`` (pure: same inputs, same output)."""
    rng = np.random.default_rng([GENERATOR_VERSION, seed, index])
    tags = {name: _choose(rng, options) for name, options in CONDITIONS.items()}
    fmt = _choose(rng, FORMAT_WEIGHTS)
    tags["format"] = fmt
    state, code = STATES[int(rng.integers(len(STATES)))]
    text = plate_text(rng, fmt)
    plate = render_plate(rng, text, state)
    scene, centre = _background(rng, tags["background"])
    quad = _quad(rng, centre, tags["angle"], tags["distance"])
    width, height = SCENE_SIZE
    x0, y0 = np.floor(quad.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    source = np.array(
        [[0, 0], [PLATE_SIZE[0], 0], [PLATE_SIZE[0], PLATE_SIZE[1]], [0, PLATE_SIZE[1]]], np.float32
    )
    warp = cv2.getPerspectiveTransform(source, quad - np.array([x0, y0], np.float32))
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(plate, warp, size, flags=cv2.INTER_AREA).astype(np.float32)
    mask = cv2.warpPerspective(np.ones(plate.shape[:2], np.float32), warp, size, flags=cv2.INTER_LINEAR)[
        ..., None
    ]
    image = scene
    roi = image[y0:y1, x0:x1]
    roi *= 1 - mask
    roi += warped * mask
    if tags["time"] == "day":
        image *= rng.uniform(0.8, 1.15)
        image += rng.uniform(-15, 15)
    else:
        ambient = rng.uniform(0.12, 0.25)
        lamp = rng.uniform(0.45, 0.8)  # the plate lamp keeps the plate lighter than the dark scene
        roi *= 1 + (lamp / ambient - 1) * mask
        image *= ambient * np.array([1.12, 1.0, 0.9], np.float32)  # a bluish night cast (BGR)
        plate_w = quad[:, 0].max() - quad[:, 0].min()
        cy = quad[:, 1].mean()
        for side in (-1, 1):
            spot = (
                quad[:, 0].mean() + side * plate_w * rng.uniform(0.7, 1.6),
                cy - plate_w * rng.uniform(0.1, 0.5),
            )
            _add_glare(image, spot, plate_w * rng.uniform(0.2, 0.45), rng.uniform(150, 260))
    if tags["blur"] == "motion":
        length = int(rng.integers(6, 14)) if tags["distance"] == "near" else int(rng.integers(3, 6))
        image = cv2.filter2D(image, -1, _motion_kernel(length, rng.uniform(-20, 20)))
    elif tags["blur"] == "gaussian":
        sigma = rng.uniform(1.2, 2.6) if tags["distance"] == "near" else rng.uniform(0.7, 1.3)
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    sigma = {"none": 0.0, "low": 4.0, "high": 14.0}[tags["noise"]]
    if sigma:
        image += rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    polygon = tuple((round(float(x), 2), round(float(y), 2)) for x, y in quad)
    return SyntheticSample(
        index=index,
        text=text,
        jurisdiction=f"us-{code}",
        polygon=polygon,
        tags=tags,
        image=cv2.convertScaleAbs(np.maximum(image, 0, out=image)),
        plate=plate,
    )


def sample_id(index: int) -> str:
    """Sample ids carry the index only, never the plate text."""
    return f"synth-{index:05d}"


def _write_sample(out_dir: Path, seed: int, index: int) -> Sample:
    drawn = render_sample(seed, index)
    ok, encoded = cv2.imencode(".jpg", drawn.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    data = encoded.tobytes()
    path = out_dir / "images" / f"{sample_id(index)}.jpg"
    path.write_bytes(data)
    return Sample(
        id=sample_id(index),
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        plates=(
            Plate(text=drawn.text, box=drawn.box, polygon=drawn.polygon, jurisdiction=drawn.jurisdiction),
        ),
        tags=drawn.tags,
    )


def _write_range(out_dir: Path, seed: int, indices: range) -> list[Sample]:
    return [_write_sample(out_dir, seed, i) for i in indices]


Progress = Callable[[int, int], None]
"""Called with (samples written, samples in all) as generation goes on."""


def progress_lines(stream: TextIO, *, every_s: float = 2.0) -> Progress:
    """A :data:`Progress` that writes ``generating the synthetic corpus: 40 of 200 images`` lines to
    ``stream``: the first at once, then at most one every ``every_s`` seconds, and the last."""
    last = [-math.inf]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - last[0] >= every_s:
            last[0] = now
            print(f"generating the synthetic corpus: {done} of {total} images", file=stream, flush=True)

    return report


def synth_corpus(
    out_dir: str | os.PathLike[str],
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write ``n`` samples (``images/*.jpg``) and ``manifest.jsonl`` into ``out_dir``; returns the manifest path.

    ``progress`` is called once before the first sample and after each batch (every few samples).

    Large corpora are rendered by ``workers`` processes (default: one per core); every sample has its
    own random generator, so the output does not depend on how the work is split. Workers are
    spawned, so a script calling this at import time needs the usual ``if __name__ == "__main__"``.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    workers = workers or min(os.cpu_count() or 1, 8)
    report = progress or (lambda done, total: None)
    report(0, n)
    samples: list[Sample] = []
    if workers > 1 and n >= PARALLEL_FROM:
        step = -(-n // (workers * 4))
        chunks = [range(start, min(n, start + step)) for start in range(0, n, step)]
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for part in pool.map(_write_range, repeat(out), repeat(seed), chunks):
                samples += part
                report(len(samples), n)
    else:
        for start in range(0, n, PROGRESS_STEP):
            samples += _write_range(out, seed, range(start, min(n, start + PROGRESS_STEP)))
            report(len(samples), n)
    header = {
        "name": f"platebench-synthetic-s{seed}-n{n}",
        "version": f"generator-{GENERATOR_VERSION}",
        "description": "Synthetic US-style plates rendered by platebench (datasets/synthetic/RECIPE.md).",
        "license": "CC0-1.0",
        "generator": {"name": "platebench.synth", "version": GENERATOR_VERSION, "seed": seed, "n": n},
    }
    return write_manifest(out / MANIFEST_NAME, header, samples)


def cache_root() -> Path:
    """``$PLATEBENCH_CACHE`` or ``~/.cache/platebench``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "platebench"


def default_corpus_path(n: int = DEFAULT_N, seed: int = DEFAULT_SEED, progress: Progress | None = None) -> Path:
    """The default synthetic corpus folder, generated into the cache on first use and reused afterwards
    (``progress`` as for :func:`synth_corpus`, called only when it is generated).

    Generation happens in a temporary folder beside the target that is renamed into place only when
    complete, so an interrupted generation never leaves a half corpus behind.
    """
    root = cache_root()
    target = root / f"synth-v{GENERATOR_VERSION}-s{seed}-n{n}"
    if (target / MANIFEST_NAME).is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{target.name}-"))
    try:
        synth_corpus(staging, n=n, seed=seed, progress=progress)
        if target.exists() and not (target / MANIFEST_NAME).is_file():
            shutil.rmtree(target)  # a folder left by hand or by an older platebench
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / MANIFEST_NAME).is_file():  # not a concurrent generation that won the race
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
