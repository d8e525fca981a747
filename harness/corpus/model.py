"""The corpus model: a :class:`Sample` is one image with its ground-truth plates and tags.

A corpus is identified by the sha256 of its canonical manifest (see ``manifest.py``), so two runs
on the same images and labels name the same corpus whatever folder it sits in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UserError
from vendor_adapters.base import Box, Image, content_name


@dataclass(frozen=True)
class Plate:
    """One ground-truth plate in an image."""

    text: str
    """Plate characters, normalized (upper case, A-Z and 0-9 only)."""
    box: Box | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    """A 4-point outline, when labeled; ``box`` is then its bounding box."""
    jurisdiction: str | None = None
    """E.g. ``us-co`` or ``eu``; lower case."""


@dataclass(frozen=True)
class Sample:
    """One labeled image of the corpus."""

    id: str
    """Unique within the corpus; never contains plate text for corpora we generate or import."""
    path: Path
    sha256: str
    """Hex sha256 of the image file's bytes: the key that lets two scorecards be compared pairwise."""
    plates: tuple[Plate, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    """Free key/values: ``time=night``, ``split=public``, ``angle=oblique``..."""

    def load_image(self) -> Image:
        """The image as an adapter receives it."""
        suffix = self.path.suffix.lower()
        media_type = "image/png" if suffix == ".png" else "image/jpeg"
        return Image(data=self.path.read_bytes(), media_type=media_type, name=content_name(self.sha256, media_type))


@dataclass(frozen=True)
class Corpus:
    """A validated set of samples with its identity."""

    name: str
    root: Path
    format: str
    """How it was read: ``manifest``, ``openalpr`` or ``csv``."""
    manifest_sha256: str
    samples: tuple[Sample, ...]
    version: str = "1"

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    def by_id(self) -> dict[str, Sample]:
        """Samples keyed by id."""
        return {s.id: s for s in self.samples}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a corpus: where (file and line, 1-based; 0 when not line-specific) and what."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class CorpusError(UserError):
    """A corpus failed validation; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"corpus is invalid ({len(problems)} problem(s)):\n{lines}")
