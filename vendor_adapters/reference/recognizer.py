"""The reference plate reader: RapidOCR's text detector and recognizer, constrained to plates.

Pipeline for one BGR image:

1. **Detect text lines** with RapidOCR's DB detector on a copy scaled so its longer side is at most
   ``max_side`` pixels (large photos cost time, and plates in them are large enough anyway).
2. **Read each line at full resolution**: the line's quadrilateral is mapped back to the original
   image, padded a little, rectified and fed to the PP-OCRv6 (small) recognizer. Its CTC output over
   ~18,700 characters is folded onto the 36 plate characters (:mod:`.plates`), so a plate cannot be read
   as punctuation or CJK.
3. **Merge fragments**: two lines side by side on one baseline (a plate read in two pieces, e.g.
   split at a sticker or a dash) are also read as one line.
4. **Keep plate-like lines**: 4-8 characters, no timestamps; confidence is the mean character
   probability times a plate-shape prior (:func:`.plates.plate_prior`). Overlapping reads are
   de-duplicated, best first. Per-character alternatives become ranked candidates.
5. **Retry on low contrast**: when nothing plate-like is found, text is detected again on a
   CLAHE-equalized copy (the reads still come from the original pixels).

The ONNX models ship inside the ``rapidocr`` wheel (``rapidocr/models``) and are loaded by explicit
path, so rapidocr never downloads (it fetches a model only when given no path); the angle classifier
is not loaded. The engine is loaded lazily, once per process: use :func:`get_recognizer`.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any

import cv2
import numpy as np

from vendor_adapters.base import Box, Candidate, Read
from vendor_adapters.reference import plates

RECOGNIZER_VERSION = "2"
"""Bumped whenever the pipeline or its constants change (part of the adapter's reported version)."""

DETECTOR_MODEL = "PP-OCRv6_det_small.onnx"
RECOGNIZER_MODEL = "PP-OCRv6_rec_small.onnx"
MODELS = "PP-OCRv6 small"
"""The ONNX models used, as shipped in the ``rapidocr`` wheel (``rapidocr/models``), and their name."""
DEFAULT_MAX_SIDE = 1600
REGIONS = ("us",)
"""Plate conventions :class:`PlateRecognizer` knows (see :func:`.plates.apply_region`)."""
_MIN_LINE_HEIGHT = 8
"""Lines lower than this (full-resolution pixels) cannot hold readable plate characters."""
_PAD_X = 0.15
_PAD_Y = 0.0
"""Padding added at the ends / above and below each line before recognition, as a fraction of its height.

Exact reads on the US set (no region convention, before the contrast retry): 0.15/0 72.5%,
0/0 70.3%, 0.3/0 70.3%, 0.12/0.12 60.8%."""
_DEDUP_IOU = 0.3


@dataclass(frozen=True)
class _Line:
    quad: np.ndarray  # (4, 2) float32, clockwise from top-left, full-resolution pixels

    @property
    def height(self) -> float:
        q = self.quad
        return float(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2])))

    @property
    def width(self) -> float:
        q = self.quad
        return float(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[3] - q[2])))

    @property
    def center_y(self) -> float:
        return float(self.quad[:, 1].mean())


class _Engine:
    """The two ONNX sessions and the fold from the model's character set to plate characters."""

    def __init__(self, threads: int | None) -> None:
        from rapidocr import RapidOCR
        from rapidocr.ch_ppocr_det import TextDetector
        from rapidocr.ch_ppocr_rec import TextRecognizer

        models = resources.files("rapidocr") / "models"
        params: dict[str, Any] = {
            "Global.log_level": "warning",
            # Explicit model paths: rapidocr downloads a model only when it is given none.
            "Det.model_path": str(models / DETECTOR_MODEL),
            "Rec.model_path": str(models / RECOGNIZER_MODEL),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        if threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
        cfg = RapidOCR(params=params).cfg  # the library's defaults with these options; loads no model
        for section in (cfg.Det, cfg.Rec):
            section.engine_cfg = cfg.EngineConfig.onnxruntime
        self.detector = TextDetector(cfg.Det)
        self.recognizer = TextRecognizer(cfg.Rec)
        self.fold = plates.reduction_matrix(self.recognizer.postprocess_op.character)

    def detect(self, image: np.ndarray) -> np.ndarray:
        quads = self.detector(image).boxes
        return np.zeros((0, 4, 2), np.float32) if quads is None or len(quads) == 0 else quads

    def recognize(self, crops: list[np.ndarray], batch: int = 8) -> list[np.ndarray]:
        """Reduced ``(T, 37)`` probabilities per crop."""
        order = np.argsort([c.shape[1] / c.shape[0] for c in crops])
        out: list[np.ndarray] = [np.zeros((0, 37))] * len(crops)
        _, height, width = self.recognizer.rec_image_shape
        for start in range(0, len(crops), batch):
            chunk = order[start : start + batch]
            ratio = max(width / height, *(crops[i].shape[1] / crops[i].shape[0] for i in chunk))
            tensor = np.stack([self.recognizer.resize_norm_img(crops[i], ratio) for i in chunk])
            probs = self.recognizer.session(tensor.astype(np.float32))
            for row, i in zip(probs, chunk, strict=True):
                used = math.ceil(len(row) * min(1.0, (crops[i].shape[1] / crops[i].shape[0]) / ratio)) + 1
                out[i] = row[: min(used, len(row))] @ self.fold
        return out


class PlateRecognizer:
    """Reads every licence plate in a BGR image. Thread-compatible, not thread-safe: one per worker."""

    def __init__(self, max_side: int = DEFAULT_MAX_SIDE, threads: int | None = None, region: str | None = None) -> None:
        if max_side < 320:
            raise ValueError("max_side must be at least 320 pixels")
        if threads is not None and threads < 1:
            raise ValueError("threads must be a positive integer")
        if region is not None and region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}")
        self.region = region
        self.max_side = max_side
        self.threads = threads
        self._engine: _Engine | None = None

    @property
    def engine(self) -> _Engine:
        """The ONNX sessions, loaded on first use."""
        if self._engine is None:
            self._engine = _Engine(self.threads)
        return self._engine

    def read(self, image: np.ndarray) -> list[Read]:
        """Plates in ``image`` (BGR or grayscale ``uint8``), most confident first."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        reads = self._read(image, image)
        if not reads:  # low-contrast plates (dirty, backlit, night): detect again on an equalized copy
            reads = self._read(_equalize(image), image)
        return reads

    def read_line(self, image: np.ndarray) -> list[Read]:
        """``image`` read as one line of plate characters (a plate's character band): no text detection,
        the slowest stage; the read's box is the whole image."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        height, width = image.shape[:2]
        whole = _Line(np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32))
        return _select([whole], [plates.decode(self.engine.recognize([image])[0])], image.shape, self.region)

    def _read(self, detect_on: np.ndarray, image: np.ndarray) -> list[Read]:
        lines = self._detect(detect_on)
        if not lines:
            return []
        decoded = self._read_lines(image, lines)
        pairs = _fragment_pairs(lines, decoded)
        if pairs:
            merged = [_union(lines[i], lines[j]) for i, j in pairs]
            lines += merged
            decoded += self._read_lines(image, merged)
        return _select(lines, decoded, image.shape, self.region)

    def _detect(self, image: np.ndarray) -> list[_Line]:
        scale = min(1.0, self.max_side / max(image.shape[:2]))
        small = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        quads = self.engine.detect(small) / scale
        lines = [_Line(q.astype(np.float32)) for q in quads]
        return [ln for ln in lines if ln.height >= _MIN_LINE_HEIGHT and ln.width >= ln.height]

    def _read_lines(self, image: np.ndarray, lines: list[_Line]) -> list[plates.Decoded]:
        crops = [_rectify(image, ln.quad, _PAD_X, _PAD_Y) for ln in lines]
        return [plates.decode(p) for p in self.engine.recognize(crops)]


def _equalize(image: np.ndarray) -> np.ndarray:
    """Local contrast equalization (CLAHE on the lightness channel)."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _rectify(image: np.ndarray, quad: np.ndarray, pad_x: float, pad_y: float) -> np.ndarray:
    """The quadrilateral, padded by ``pad_x`` / ``pad_y`` x its height, warped to an upright rectangle."""
    top, right, bottom, left = quad[1] - quad[0], quad[2] - quad[1], quad[3] - quad[2], quad[0] - quad[3]
    width = max(np.linalg.norm(top), np.linalg.norm(bottom))
    height = max(np.linalg.norm(left), np.linalg.norm(right))
    along = (top - bottom) / 2 / max(width, 1e-6)
    across = (right - left) / 2 / max(height, 1e-6)
    mx, my = pad_x * height, pad_y * height
    shift = np.stack([-along * mx - across * my, along * mx - across * my, along * mx + across * my, -along * mx + across * my])
    src = (quad + shift).astype(np.float32)
    w, h = int(width + 2 * mx + 0.5), int(height + 2 * my + 0.5)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _fragment_pairs(lines: list[_Line], decoded: list[plates.Decoded]) -> list[tuple[int, int]]:
    """Pairs of lines (left, right) that look like two pieces of one plate on one baseline."""
    pairs = []
    for i, a in enumerate(lines):
        for j, b in enumerate(lines):
            if i == j or not decoded[i].text or not decoded[j].text:
                continue
            if len(decoded[i].text) + len(decoded[j].text) > plates.MAX_PLATE_CHARS:
                continue
            ha, hb = a.height, b.height
            if max(ha, hb) > 1.4 * min(ha, hb) or abs(a.center_y - b.center_y) > 0.4 * min(ha, hb):
                continue
            gap = b.quad[:, 0].min() - a.quad[:, 0].max()
            if -0.3 * min(ha, hb) <= gap <= 1.2 * max(ha, hb):
                pairs.append((i, j))
    return pairs


def _union(a: _Line, b: _Line) -> _Line:
    """The line covering ``a`` (left) and ``b`` (right)."""
    return _Line(np.array([a.quad[0], b.quad[1], b.quad[2], a.quad[3]], np.float32))


def _select(
    lines: list[_Line], decoded: list[plates.Decoded], shape: tuple[int, ...], region: str | None
) -> list[Read]:
    height, width = shape[:2]
    scored = []
    for line, dec in zip(lines, decoded, strict=True):
        prior = plates.plate_prior(dec.text)  # on the model's own letters: "METRO" stays a word
        text = plates.apply_region(dec.text, region)
        if prior == 0.0:
            continue
        scored.append((dec.confidence * prior, text, line, dec))
    scored.sort(key=lambda item: -item[0])
    reads: list[Read] = []
    for score, text, line, dec in scored:
        xs = np.clip(line.quad[:, 0], 0, width)
        ys = np.clip(line.quad[:, 1], 0, height)
        box = Box.from_corners(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
        if any(box.iou(r.box) > _DEDUP_IOU for r in reads if r.box is not None):
            continue
        alts: dict[str, float] = {}
        for alt, conf in plates.candidates(dec):
            for variant in dict.fromkeys((plates.apply_region(alt, region), alt)):
                alts.setdefault(variant, round(conf * plates.plate_prior(alt), 4))
        reads.append(
            Read(
                text=text,
                confidence=round(float(min(1.0, max(0.0, score))), 4),
                box=box,
                polygon=tuple((float(x), float(y)) for x, y in zip(xs, ys, strict=True)),
                candidates=tuple(Candidate(t, c) for t, c in alts.items() if c > 0),
            )
        )
    return reads


@functools.cache
def get_recognizer(
    max_side: int = DEFAULT_MAX_SIDE, threads: int | None = None, region: str | None = None
) -> PlateRecognizer:
    """The process-wide recognizer for these options (one engine per process and option set)."""
    return PlateRecognizer(max_side=max_side, threads=threads, region=region)


def default_threads(workers: int) -> int:
    """onnxruntime intra-op threads per worker so ``workers`` processes share the machine's cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
