"""Test vendors for the robustness tests: a fast "oracle" that recognises corpus images by their look.

``ThumbnailOracle`` finds the corpus image an image was made from (nearest 24x24 grey thumbnail) and answers
its label, unless the image is much less sharp than that corpus image (variance of the Laplacian below half),
when it misreads the last character: a reader that degrades with blur and distance, fast enough for CI.

Two behaviours a city would not publish, to show the probes catch behaviour and not one implementation:

- ``mode = "memorise-pixels"``: answers the labels of a published corpus copy (``published``) for any image
  that looks like a published one (so near-duplicates are answered alike), honestly otherwise;
- ``mode = "cache-pixels"``: answers an image whose decoded pixels it has seen from a cache, at once; new pixels
  take ``delay_s`` (so same pixels under new bytes are cached too);
- ``mode = "cache-looks"``: answers at once any image that looks like one it has seen (its 24x24 thumbnail within
  ``LOOK_TOLERANCE`` of a cached one: a perceptual-hash cache), so every near-duplicate is cached too.

Used through ``vendors.toml``::

    [vendors.oracle]
    adapter = "oracle_vendor:ThumbnailOracle"
    corpus = "/path/to/corpus"
    mode = "honest"            # or memorise-pixels (with published = "/path/published/manifest.jsonl"),
                               # cache-pixels, cache-looks
    delay_s = 0.004
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np

from harness.corpus.model import Corpus
from harness.corpus.validate import load_corpus
from vendor_adapters.base import (
    Adapter,
    Capabilities,
    Image,
    Read,
    Recognition,
    VendorInfo,
    raise_unknown_options,
)

THUMB = 24
LOOK_TOLERANCE = 16.0
"""Squared distance between normalised thumbnails under which ``cache-looks`` takes two images for one: the
near-duplicates of the synthetic corpus lie under 10, other corpus images and mirrored ones above 30."""


def _grey(pixels: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)


def _thumb(grey: np.ndarray) -> np.ndarray:
    small = cv2.resize(grey, (THUMB, THUMB), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    return (small - small.mean()) / (small.std() + 1e-6)


def _sharpness(grey: np.ndarray) -> float:
    scale = 640 / max(grey.shape)
    sized = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(sized, cv2.CV_32F).var())


class ThumbnailOracle(Adapter):
    """Answers from the corpus labels by look; degrades when the image is blurred (see the module)."""

    name: ClassVar[str] = "oracle"
    capabilities: ClassVar[Capabilities] = Capabilities(kind="in-process")

    def __init__(self, corpus: str, mode: str = "honest", published: str | None = None, delay_s: float = 0.004) -> None:
        samples = load_corpus(Path(corpus)).samples
        self.labels = [[p.text for p in s.plates] for s in samples]
        greys = [_grey(s.load_image().decode()) for s in samples]
        self.thumbs = np.stack([_thumb(g) for g in greys])
        self.sharp = [_sharpness(g) for g in greys]
        self.mode = mode
        self.delay_s = delay_s
        self.published: dict[int, list[str]] = {}
        if published:
            by_sha = {s.sha256: [p.text for p in s.plates] for s in load_corpus(Path(published)).samples}
            self.published = {i: by_sha[s.sha256] for i, s in enumerate(samples) if s.sha256 in by_sha}
        self._cache: dict[str, Recognition] = {}
        self._looks: list[tuple[np.ndarray, Recognition]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> ThumbnailOracle:
        raise_unknown_options(cls.name, config, allowed=("corpus", "mode", "published", "delay_s"))
        return cls(config["corpus"], config.get("mode", "honest"), config.get("published"),
                   float(config.get("delay_s", 0.004)))

    def info(self) -> VendorInfo:
        return VendorInfo(vendor="oracle", product=self.mode, version="1", declared_threshold=0.5)

    def recognize(self, image: Image) -> Recognition:
        pixels = image.decode()
        key = hashlib.sha256(pixels.tobytes()).hexdigest()
        if self.mode == "cache-pixels":
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
        grey = _grey(pixels)
        thumb = _thumb(grey)
        if self.mode == "cache-looks":
            with self._lock:
                for seen, answer in self._looks:
                    if float(((seen - thumb) ** 2).sum()) < LOOK_TOLERANCE:
                        return answer
        time.sleep(self.delay_s)
        index = int(np.argmin(((self.thumbs - thumb) ** 2).sum(axis=1)))
        if self.mode == "memorise-pixels" and index in self.published:
            texts = self.published[index]
        else:
            blurred = _sharpness(grey) < 0.2 * self.sharp[index]
            texts = [t[:-1] + ("X" if t[-1] != "X" else "Y") if blurred else t for t in self.labels[index]]
        answer = Recognition(reads=tuple(Read(t, 0.9) for t in texts), vendor_ms=self.delay_s * 1000)
        with self._lock:
            if self.mode == "cache-pixels":
                self._cache[key] = answer
            elif self.mode == "cache-looks":
                self._looks.append((thumb, answer))
        return answer


def oracle_vendors(folder: Path, corpus: Corpus, **modes: dict[str, object]) -> Path:
    """A vendors.toml with one oracle vendor per keyword (its options), e.g. ``honest={}``."""
    lines = []
    for name, options in modes.items():
        lines += [f"[vendors.{name}]", 'adapter = "oracle_vendor:ThumbnailOracle"', f'corpus = "{corpus.root}"']
        lines += [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in options.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "vendors.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
