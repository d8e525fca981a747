"""What the virtual camera films: a static road and, for each pass, a vehicle carrying the pass's
plate crossing the frame from left to right, its centre at the frame's centre at the pass's time.

The plate is the corpus sample's own plate (its labelled outline cut out and rectified) or, for a
``plate`` pass, a plate drawn by the synthetic corpus's renderer. A pass with ``speed_kmh`` is
blurred along the motion by :data:`BLUR_PX_PER_KMH` pixels per km/h (an exposure of about 1/100 s
at the bench's scale).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from harness.bench.plan import BenchPlan, Pass
from harness.corpus.model import Sample
from harness.corpus.synth import PLATE_SIZE, render_plate

BLUR_PX_PER_KMH = 0.12
PLATE_FRACTION = 0.34
"""Plate width as a fraction of the frame width."""
ROAD_GREY = 92


@dataclass(frozen=True)
class Vehicle:
    """A pass's vehicle as drawn: body with the plate on it."""

    image: np.ndarray
    """BGR."""
    pass_id: str


def road(width: int, height: int) -> np.ndarray:
    """The empty scene (BGR): asphalt, a kerb and lane markings. Deterministic."""
    frame = np.full((height, width, 3), ROAD_GREY, np.uint8)
    frame[: height // 6] = (150, 160, 120)
    cv2.line(frame, (0, height // 6), (width, height // 6), (200, 200, 200), max(1, height // 90))
    for x in range(0, width, max(8, width // 8)):
        cv2.line(frame, (x, height - height // 12), (x + width // 16, height - height // 12), (220, 220, 220), max(1, height // 90))
    return frame


def _rectified_plate(sample: Sample) -> np.ndarray:
    image = cv2.imread(str(sample.path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read the image of sample {sample.id}")
    plate = sample.plates[0]
    if plate.polygon and len(plate.polygon) == 4:
        quad = np.array(plate.polygon, np.float32)
    elif plate.box is not None:
        b = plate.box
        quad = np.array([[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]], np.float32)
    else:
        raise ValueError(f"sample {sample.id} has no plate outline to show")
    w, h = PLATE_SIZE
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad, target), (w, h), flags=cv2.INTER_AREA)


def plate_image(item: Pass, samples: dict[str, Sample]) -> np.ndarray:
    """The flat plate shown for a pass (BGR, ``PLATE_SIZE``)."""
    if item.sample is not None:
        if item.sample not in samples:
            raise ValueError(f"pass {item.id}: sample {item.sample!r} is not in the corpus")
        return _rectified_plate(samples[item.sample])
    assert item.plate is not None
    rng = np.random.default_rng(zlib.crc32(item.id.encode()))
    return render_plate(rng, item.plate, "BENCH")


def vehicle(item: Pass, samples: dict[str, Sample], frame_size: tuple[int, int]) -> Vehicle:
    """The vehicle of a pass, scaled to the frame, motion-blurred by its speed."""
    width = frame_size[0]
    plate_w = max(40, int(width * PLATE_FRACTION))
    plate_h = plate_w * PLATE_SIZE[1] // PLATE_SIZE[0]
    body_w, body_h = int(plate_w * 1.6), int(plate_h * 2.3)
    rng = np.random.default_rng(zlib.crc32(item.id.encode()) + 1)
    colour = tuple(int(c) for c in rng.integers(20, 90, 3))
    body = np.full((body_h, body_w, 3), colour, np.uint8)
    cv2.rectangle(body, (body_w // 10, body_h // 12), (body_w - body_w // 10, body_h // 3), (40, 40, 40), -1)
    plate = cv2.resize(plate_image(item, samples), (plate_w, plate_h), interpolation=cv2.INTER_AREA)
    x0, y0 = (body_w - plate_w) // 2, body_h - plate_h - body_h // 10
    body[y0 : y0 + plate_h, x0 : x0 + plate_w] = plate
    if item.speed_kmh:
        length = round(item.speed_kmh * BLUR_PX_PER_KMH)
        if length >= 2:
            kernel = np.full((1, length), 1.0 / length, np.float32)
            body = cv2.filter2D(body, -1, kernel)
    return Vehicle(body, item.id)


class SceneRenderer:
    """Draws frame ``t`` (seconds since the bench's start) of one camera's view."""

    def __init__(self, plan: BenchPlan, camera: str, samples: dict[str, Sample], frame_size: tuple[int, int]) -> None:
        self.plan = plan
        self.frame_size = frame_size
        self.background = road(*frame_size)
        self.passes = [p for p in plan.passes if p.camera == camera]
        self._samples = samples
        self._vehicle = lru_cache(maxsize=8)(self._make_vehicle)

    def _make_vehicle(self, index: int) -> Vehicle:
        return vehicle(self.passes[index], self._samples, self.frame_size)

    def centre_time(self, item: Pass) -> float:
        """Seconds since the start at which the pass's vehicle is centred."""
        return self.plan.settings.start_delay_s + item.offset_s

    def visible(self, t: float) -> list[tuple[int, float]]:
        """(pass index, x of the vehicle's centre in pixels) for vehicles in the frame at ``t``."""
        width = self.frame_size[0]
        crossing = self.plan.settings.crossing_s
        result = []
        for i, item in enumerate(self.passes):
            dt = t - self.centre_time(item)
            if abs(dt) <= crossing / 2:
                result.append((i, width / 2 + dt / crossing * (width * 1.9)))
        return result

    def frame(self, t: float) -> np.ndarray:
        """The frame at ``t`` (BGR)."""
        frame = self.background.copy()
        height, width = frame.shape[:2]
        for index, centre_x in self.visible(t):
            car = self._vehicle(index).image
            h, w = car.shape[:2]
            left, top = round(centre_x - w / 2), height - h - height // 8
            x0, x1 = max(0, left), min(width, left + w)
            if x1 > x0:
                frame[top : top + h, x0:x1] = car[:, x0 - left : x1 - left]
        return frame
