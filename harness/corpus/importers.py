"""Readers for the corpus formats platebench accepts besides its own manifest.

* **OpenALPR benchmark layout**: a folder of ``NAME.jpg`` + ``NAME.txt``, each label line
  ``NAME.jpg<TAB>x<TAB>y<TAB>width<TAB>height<TAB>PLATE`` (one line per plate).
* **CSV** with a header row (see ``docs/corpus.md``): ``image`` and ``plate`` required; ``x``,
  ``y``, ``width``, ``height`` (all or none), ``jurisdiction``, ``id`` optional; every
  ``tag:NAME`` column becomes the tag ``NAME``. Several rows naming the same image are several
  plates in it.

Readers only parse; they never trust what they read. Each returns :class:`Entry` values and the
problems it found (file and line); the validator checks images, text and boxes afterwards.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from harness.corpus.entries import Entry, PlateEntry
from harness.corpus.model import Problem

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
OPENALPR_COLUMNS = ("image", "x", "y", "width", "height", "plate")
OPENALPR_SETS = {"us": "us", "eu": "eu", "br": "br", "au": "au", "kr": "kr", "in": "in"}
"""OpenALPR benchmark folder names -> the jurisdiction their plates share (country or region)."""
CSV_REQUIRED = ("image", "plate")
CSV_BOX = ("x", "y", "width", "height")
CSV_OPTIONAL = ("id", "jurisdiction", "sha256")
CSV_TAG_PREFIX = "tag:"


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _images_by_stem(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()}


def is_openalpr_folder(folder: Path) -> bool:
    """True when ``folder`` holds at least one ``NAME.txt`` label beside a ``NAME.<image>`` file."""
    images = _images_by_stem(folder)
    return any(p.suffix == ".txt" and p.stem in images for p in folder.iterdir())


def read_openalpr(folder: Path) -> tuple[list[Entry], list[Problem]]:
    """Read an OpenALPR benchmark folder; tags ``set``/``split=public`` and jurisdiction by folder name."""
    problems: list[Problem] = []
    entries: list[Entry] = []
    images = _images_by_stem(folder)
    labels = {p.stem: p for p in sorted(folder.glob("*.txt"))}
    set_name = folder.resolve().name.lower()
    jurisdiction = OPENALPR_SETS.get(set_name)
    tags = {"split": "public"}
    if jurisdiction:
        tags["set"] = set_name
    for stem, image in images.items():
        if stem not in labels:
            problems.append(Problem(str(image), 0, f"image has no label file {stem}.txt"))
    for stem, label in labels.items():
        file = str(label)
        image = images.get(stem)
        try:
            text = label.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(file, 0, f"cannot read label file: {exc}"))
            continue
        plates: list[PlateEntry] = []
        for number, line in enumerate(io.StringIO(text), start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            columns = line.split("\t")
            if len(columns) != len(OPENALPR_COLUMNS):
                problems.append(
                    Problem(
                        file,
                        number,
                        f"expected {len(OPENALPR_COLUMNS)} tab-separated columns "
                        f"({', '.join(OPENALPR_COLUMNS)}), found {len(columns)}",
                    )
                )
                continue
            name, *coords, plate = (c.strip() for c in columns)
            if image is not None and name.lower() != image.name.lower():
                problems.append(
                    Problem(file, number, f"names image {name!r} but the label belongs to {image.name!r}")
                )
                continue
            try:
                x, y, w, h = (_number(c) for c in coords)
            except ValueError:
                problems.append(Problem(file, number, "x, y, width and height must be numbers"))
                continue
            plates.append(PlateEntry(text=plate, box=(x, y, w, h), jurisdiction=jurisdiction, line=number))
        if not plates and not any(p.file == file for p in problems):
            problems.append(Problem(file, 0, "label file has no label line"))
        if image is None:
            problems.append(Problem(file, 0, f"missing image: no {stem}.jpg/.jpeg/.png beside the label"))
            continue
        if plates:
            entries.append(
                Entry(
                    id=None,
                    image=image,
                    image_ref=image.name,
                    plates=plates,
                    tags=dict(tags),
                    file=file,
                    line=1,
                )
            )
    return entries, problems


def read_csv(path: Path) -> tuple[list[Entry], list[Problem]]:
    """Read a labels CSV (header row required); image paths are relative to the CSV's folder."""
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [], [Problem(file, 0, f"cannot read CSV: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return [], [Problem(file, 0, "not UTF-8 text")]
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return [], [Problem(file, 0, f"malformed CSV: {exc}")]
    if not rows:
        return [], [Problem(file, 0, "empty CSV: a header row is required")]
    header = [h.strip().lower() for h in rows[0]]
    problems: list[Problem] = []
    missing = [c for c in CSV_REQUIRED if c not in header]
    box_columns = [c for c in CSV_BOX if c in header]
    if box_columns and len(box_columns) != len(CSV_BOX):
        missing += [c for c in CSV_BOX if c not in header]
    unknown = [
        c
        for c in header
        if c not in (*CSV_REQUIRED, *CSV_BOX, *CSV_OPTIONAL) and not c.startswith(CSV_TAG_PREFIX)
    ]
    if missing:
        problems.append(Problem(file, 1, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(
            Problem(file, 1, f"unknown column(s): {', '.join(unknown)} (tags are written tag:NAME)")
        )
    if len(set(header)) != len(header):
        problems.append(Problem(file, 1, "duplicate column names"))
    if problems:
        return [], problems
    by_image: dict[str, Entry] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(file, number, f"expected {len(header)} columns, found {len(row)}"))
            continue
        cells = {h: c.strip() for h, c in zip(header, row, strict=True)}
        ref = cells["image"]
        if not ref:
            problems.append(Problem(file, number, "empty image column"))
            continue
        box = None
        if box_columns and any(cells[c] for c in CSV_BOX):
            try:
                x, y, w, h = (_number(cells[c]) for c in CSV_BOX)
                box = (x, y, w, h)
            except ValueError:
                problems.append(
                    Problem(file, number, "x, y, width and height must all be numbers (or all empty)")
                )
                continue
        tags = {h[len(CSV_TAG_PREFIX) :]: v for h, v in cells.items() if h.startswith(CSV_TAG_PREFIX) and v}
        plate = PlateEntry(
            text=cells["plate"], box=box, jurisdiction=cells.get("jurisdiction") or None, line=number
        )
        entry = by_image.get(ref)
        if entry is None:
            by_image[ref] = Entry(
                id=cells.get("id") or None,
                image=path.parent / ref,
                image_ref=ref,
                plates=[plate],
                tags=tags,
                sha256=cells.get("sha256") or None,
                file=file,
                line=number,
            )
            continue
        entry.plates.append(plate)
        if tags != entry.tags or (cells.get("id") or entry.id) != entry.id:
            problems.append(
                Problem(
                    file,
                    number,
                    f"rows for image {ref!r} disagree on id or tags (first row: line {entry.line})",
                )
            )
    return list(by_image.values()), problems
