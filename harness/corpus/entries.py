"""Labeled images as read from a source file, before validation.

Every reader (manifest, OpenALPR folder, CSV) turns its input into :class:`Entry` values that keep
the raw label and where it came from (file and line), so the validator can check them all and name
the place of each problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PlateEntry:
    """One plate label as written in the source (text not yet normalized)."""

    text: str
    box: tuple[float, float, float, float] | None = None
    """``x, y, width, height`` in pixels."""
    polygon: tuple[tuple[float, float], ...] | None = None
    jurisdiction: str | None = None
    line: int = 0
    """Line of the source file that holds this plate (CSV: one row per plate)."""


@dataclass
class Entry:
    """One labeled image as read from a source file."""

    id: str | None
    """``None`` when the source gives none; the validator derives one from the image."""
    image: Path
    image_ref: str
    """The image as the source names it (for messages)."""
    plates: list[PlateEntry]
    tags: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None
    """The expected checksum when the source states one (manifests do)."""
    file: str = ""
    line: int = 0
