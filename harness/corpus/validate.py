"""Loading a corpus from a path: detect its format, read it, and validate everything before use.

:func:`load_corpus` never trusts its input. It reads every label and every image, and collects every
problem (missing or unreadable image, a file that is not a whole JPEG/PNG, checksum mismatch, box
outside the image, empty or non-alphanumeric plate text, duplicate ids, malformed lines, unknown
manifest version...) into one :class:`CorpusError` naming file and line, so a corpus is either
entirely valid or rejected with the full list, before any vendor is called.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.corpus.entries import Entry, PlateEntry
from harness.corpus.images import ImageDefect, ImageInfo, inspect_image
from harness.corpus.importers import is_openalpr_folder, read_csv, read_openalpr
from harness.corpus.manifest import MANIFEST_NAME, corpus_sha256, read_manifest
from harness.corpus.model import Corpus, CorpusError, Plate, Problem, Sample
from vendor_adapters.base import Box

BOX_TOLERANCE_PX = 2.0
"""How far (pixels) a box or polygon may reach past the image edge before it is an error."""
POLYGON_BOX_TOLERANCE_PX = 1.0
"""How far a given box may differ from its polygon's bounding box."""
PLATE_SEPARATORS = re.compile(r"[ .\-]")
"""Characters dropped from plate text before checking it: spaces, dots and hyphens."""
_PLATE_TEXT = re.compile(r"^[A-Z0-9]+$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_JURISDICTION = re.compile(r"^[a-z]{2}(-[a-z0-9]{1,3})?$")
MANIFEST_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True)
class _ImageCheck:
    sha256: str | None = None
    info: ImageInfo | None = None
    error: str | None = None


def normalize_label_text(text: str) -> str:
    """Ground-truth normalization: upper case, spaces, dots and hyphens removed (nothing else)."""
    return PLATE_SEPARATORS.sub("", text.upper())


def detect_format(path: Path) -> tuple[str, Path]:
    """``(format, source)`` for a corpus path: ``manifest``, ``openalpr`` or ``csv``.

    Raises :class:`CorpusError` when the path does not exist or is not a recognizable corpus.
    """
    if path.is_dir():
        if (path / MANIFEST_NAME).is_file():
            return "manifest", path / MANIFEST_NAME
        if is_openalpr_folder(path):
            return "openalpr", path
        raise CorpusError(
            [
                Problem(
                    str(path),
                    0,
                    f"not a corpus folder: expected {MANIFEST_NAME} or OpenALPR NAME.jpg + NAME.txt label files",
                )
            ]
        )
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return "csv", path
        if suffix in MANIFEST_SUFFIXES:
            return "manifest", path
        raise CorpusError(
            [Problem(str(path), 0, "not a corpus file: expected a manifest (.jsonl) or a labels .csv file")]
        )
    raise CorpusError([Problem(str(path), 0, "no such file or folder")])


def _check_image(path: Path) -> _ImageCheck:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _ImageCheck(error="missing image")
    except OSError as exc:
        return _ImageCheck(error=f"unreadable image ({exc.strerror or exc})")
    digest = hashlib.sha256(data).hexdigest()
    try:
        return _ImageCheck(sha256=digest, info=inspect_image(data))
    except ImageDefect as exc:
        return _ImageCheck(sha256=digest, error=str(exc))


def _derived_id(entry: Entry, digest: str, texts: Iterable[str]) -> str:
    """The file stem, unless it is not a valid id or contains plate text; then a hash of the image."""
    stem = entry.image.stem
    squashed = re.sub(r"[^A-Z0-9]", "", stem.upper())
    if ID_PATTERN.match(stem) and not any(len(t) >= 3 and t in squashed for t in texts):
        return stem
    return f"img-{digest[:16]}"


def _within(value: float, low: float, high: float) -> bool:
    return low - BOX_TOLERANCE_PX <= value <= high + BOX_TOLERANCE_PX


def _check_plate(
    plate: PlateEntry, info: ImageInfo | None, where: tuple[str, int]
) -> tuple[Plate | None, list[Problem]]:
    file, line = where
    line = plate.line or line
    problems: list[Problem] = []
    text = normalize_label_text(plate.text)
    if not text:
        problems.append(Problem(file, line, "plate text is empty"))
    elif not _PLATE_TEXT.match(text):
        problems.append(
            Problem(
                file,
                line,
                "plate text has characters other than A-Z and 0-9 (after removing spaces, dots, hyphens)",
            )
        )
    jurisdiction = plate.jurisdiction.lower() if plate.jurisdiction else None
    if jurisdiction and not _JURISDICTION.match(jurisdiction):
        problems.append(
            Problem(file, line, f"jurisdiction {plate.jurisdiction!r} is not like 'us' or 'us-co'")
        )
    box = Box(*plate.box) if plate.box else None
    polygon = plate.polygon
    if box is not None and (box.width <= 0 or box.height <= 0):
        problems.append(Problem(file, line, "box width and height must be positive"))
    if polygon:
        outline = Box.from_points(polygon)
        if (
            box is not None
            and max(
                abs(box.x - outline.x),
                abs(box.y - outline.y),
                abs(box.width - outline.width),
                abs(box.height - outline.height),
            )
            > POLYGON_BOX_TOLERANCE_PX
        ):
            problems.append(Problem(file, line, "box is not the bounding box of the polygon"))
        box = outline
    if info is not None and box is not None:
        points = list(polygon) if polygon else [(box.x, box.y), (box.x + box.width, box.y + box.height)]
        if not all(_within(x, 0, info.width) and _within(y, 0, info.height) for x, y in points):
            shape = "polygon" if polygon else "box"
            problems.append(
                Problem(
                    file,
                    line,
                    f"{shape} lies outside the {info.width}x{info.height} image "
                    f"(tolerance {BOX_TOLERANCE_PX:g} px): x={box.x:g} y={box.y:g} "
                    f"width={box.width:g} height={box.height:g}",
                )
            )
    if problems:
        return None, problems
    return Plate(text=text, box=box, polygon=polygon, jurisdiction=jurisdiction), []


def check_entries(entries: list[Entry], workers: int | None = None) -> tuple[list[Sample], list[Problem]]:
    """Validate entries (images read, hashed and decoded in parallel); returns samples and problems."""
    workers = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        checks = list(pool.map(lambda e: _check_image(e.image), entries))
    samples: list[Sample] = []
    problems: list[Problem] = []
    first_line: dict[str, tuple[str, int]] = {}
    for entry, check in zip(entries, checks, strict=True):
        where = (entry.file, entry.line)
        entry_problems: list[Problem] = []
        if check.error:
            entry_problems.append(Problem(*where, f"image {entry.image_ref}: {check.error}"))
        if check.sha256 and entry.sha256 and check.sha256 != entry.sha256.lower():
            entry_problems.append(
                Problem(
                    *where,
                    f"image {entry.image_ref}: checksum mismatch (manifest {entry.sha256[:12]}..., "
                    f"file {check.sha256[:12]}...)",
                )
            )
        for key in entry.tags:
            if not _TAG_KEY.match(key):
                entry_problems.append(
                    Problem(*where, f"tag name {key!r} must be letters, digits, '_', '.', '-'")
                )
        plates: list[Plate] = []
        for plate_entry in entry.plates:
            plate, plate_problems = _check_plate(plate_entry, check.info, where)
            entry_problems += plate_problems
            if plate is not None:
                plates.append(plate)
        sample_id = entry.id
        if sample_id is None and check.sha256:
            sample_id = _derived_id(entry, check.sha256, (p.text for p in plates))
        if sample_id is not None and not ID_PATTERN.match(sample_id):
            entry_problems.append(Problem(*where, f"sample id {sample_id!r} must match {ID_PATTERN.pattern}"))
        elif sample_id is not None:
            if sample_id in first_line:
                file, line = first_line[sample_id]
                entry_problems.append(
                    Problem(*where, f"duplicate sample id {sample_id!r} (first at {file}:{line})")
                )
            else:
                first_line[sample_id] = where
        problems += entry_problems
        if not entry_problems and sample_id is not None and check.sha256:
            samples.append(
                Sample(
                    id=sample_id,
                    path=entry.image.resolve(),
                    sha256=check.sha256,
                    plates=tuple(plates),
                    tags=dict(entry.tags),
                )
            )
    return samples, problems


def load_corpus(path: str | os.PathLike[str]) -> Corpus:
    """Detect the format of the corpus at ``path``, read and validate it; raise :class:`CorpusError`."""
    path = Path(path)
    try:
        return _load(path)
    except OSError as exc:  # e.g. a folder we may not list
        raise CorpusError(
            [Problem(str(exc.filename or path), 0, f"cannot read: {exc.strerror or exc}")]
        ) from exc


def _load(path: Path) -> Corpus:
    fmt, source = detect_format(path)
    header: dict[str, Any] | None = None
    if fmt == "manifest":
        header, entries, problems = read_manifest(source)
        root = source.parent
        name = (header or {}).get("name") or root.name
    elif fmt == "openalpr":
        entries, problems = read_openalpr(source)
        root = source
        name = f"openalpr-{source.resolve().name}"
    else:
        entries, problems = read_csv(source)
        root = source.parent
        name = source.stem
    samples, sample_problems = check_entries(entries)
    problems = problems + sample_problems
    if not problems and not samples:
        problems.append(Problem(str(source), 0, "corpus has no samples"))
    if problems:
        raise CorpusError(problems)
    samples.sort(key=lambda s: s.id)
    return Corpus(
        name=name,
        root=root.resolve(),
        format=fmt,
        manifest_sha256=corpus_sha256(samples),
        samples=tuple(samples),
        version=str((header or {}).get("version") or "1"),
    )
