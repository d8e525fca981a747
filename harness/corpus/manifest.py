"""The platebench manifest (JSON Lines), its schema, reader, writer and the corpus identity.

A manifest's first line is a header ``{"platebench_manifest": 1, "name": ...}``; each further line
is one sample ``{"id", "image", "sha256", "plates": [...], "tags": {...}}`` (schema:
``manifest.schema.json``, next to this module).

**Corpus identity.** The sha256 of the *canonical manifest*, a derived text that holds what the
corpus *is* and nothing about where it lies or how it was written:

* line 1: ``{"platebench_manifest":1}``;
* then one line per sample, sorted by id: ``{"id", "sha256", "plates", "tags"}`` with plate text
  normalized, each plate's ``box`` (its polygon's bounding box when it has a polygon), its
  ``polygon`` and ``jurisdiction`` when present, plates sorted by their own canonical JSON,
  numbers rounded to 3 decimals and written as integers when whole;
* JSON with sorted keys, separators ``,`` and ``:``, UTF-8 without escaping, each line ending in
  ``\\n``.

Image paths, the header's name/description/license and the source format are left out, so the
same images and labels have the same identity whether read from a manifest, an OpenALPR folder or
a CSV file, and wherever the folder sits.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from harness.corpus.entries import Entry, PlateEntry
from harness.corpus.model import Plate, Problem, Sample
from vendor_adapters.base import Box

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.jsonl"
SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")
MAX_MALFORMED_LINES = 20
"""A reader gives up on a file after this many unparsable lines (it is probably not a manifest)."""


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of one manifest line."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator(definition: str) -> jsonschema.Draft202012Validator:
    doc = schema()
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": doc["$defs"]})


def _schema_problems(obj: Any, definition: str, file: str, line: int) -> list[Problem]:
    problems = []
    for error in sorted(_validator(definition).iter_errors(obj), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path) or "line"
        # Never echo a plate's text back: the report may be shared.
        message = "must be a string" if where.endswith("/text") else error.message
        problems.append(Problem(file, line, f"{where}: {message}"))
    return problems


# ---------------------------------------------------------------- canonical form and identity


def _num(value: float) -> int | float:
    rounded = round(float(value), 3)
    return int(rounded) if rounded.is_integer() else rounded


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plate_record(plate: Plate) -> dict[str, Any]:
    """A plate as a manifest object (numbers canonicalized)."""
    record: dict[str, Any] = {"text": plate.text}
    box = Box.from_points(plate.polygon) if plate.polygon else plate.box
    if box is not None:
        record["box"] = {k: _num(v) for k, v in box.as_dict().items()}
    if plate.polygon:
        record["polygon"] = [[_num(x), _num(y)] for x, y in plate.polygon]
    if plate.jurisdiction:
        record["jurisdiction"] = plate.jurisdiction
    return record


def _canonical_plates(plates: Iterable[Plate]) -> list[dict[str, Any]]:
    return sorted((plate_record(p) for p in plates), key=_canonical_json)


def canonical_manifest(samples: Iterable[Sample]) -> bytes:
    """The canonical manifest text of a corpus (see the module docstring)."""
    lines = [_canonical_json({"platebench_manifest": MANIFEST_VERSION})]
    for sample in sorted(samples, key=lambda s: s.id):
        record = {
            "id": sample.id,
            "sha256": sample.sha256,
            "plates": _canonical_plates(sample.plates),
            "tags": dict(sample.tags),
        }
        lines.append(_canonical_json(record))
    return ("\n".join(lines) + "\n").encode("utf-8")


def corpus_sha256(samples: Iterable[Sample]) -> str:
    """The corpus identity: hex sha256 of :func:`canonical_manifest`."""
    return hashlib.sha256(canonical_manifest(samples)).hexdigest()


# ---------------------------------------------------------------- writer


def sample_record(sample: Sample, root: Path) -> dict[str, Any]:
    """A sample as a manifest line, its image path relative to ``root`` (the manifest's folder)."""
    image = Path(os.path.relpath(sample.path.resolve(), root.resolve())).as_posix()
    record: dict[str, Any] = {
        "id": sample.id,
        "image": image,
        "sha256": sample.sha256,
        "plates": _canonical_plates(sample.plates),
    }
    if sample.tags:
        record["tags"] = dict(sample.tags)
    return record


def write_manifest(path: Path, header: Mapping[str, Any], samples: Iterable[Sample]) -> Path:
    """Write a manifest (header first, samples sorted by id) atomically; returns ``path``."""
    head = {"platebench_manifest": MANIFEST_VERSION, **header}
    errors = _schema_problems(head, "header", str(path), 1)
    if errors:
        raise ValueError(f"invalid manifest header: {errors[0].message}")
    lines = [_canonical_json(head)]
    lines += [_canonical_json(sample_record(s, path.parent)) for s in sorted(samples, key=lambda s: s.id)]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------- reader


def _plate_entry(obj: Mapping[str, Any], line: int) -> PlateEntry:
    box = obj.get("box")
    polygon = obj.get("polygon")
    return PlateEntry(
        text=obj["text"],
        box=(box["x"], box["y"], box["width"], box["height"]) if box else None,
        polygon=tuple((float(x), float(y)) for x, y in polygon) if polygon else None,
        jurisdiction=obj.get("jurisdiction"),
        line=line,
    )


def read_manifest(path: Path) -> tuple[dict[str, Any] | None, list[Entry], list[Problem]]:
    """Parse a manifest: its header, its samples as :class:`Entry` values, and every problem found.

    Never raises for bad content: unreadable files, non-UTF-8 or malformed lines, schema violations
    and an unknown format version all come back as problems naming the file and line.
    """
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [], [Problem(file, 0, f"cannot read manifest: {exc.strerror or exc}")]
    lines = raw.split(b"\n")
    problems: list[Problem] = []
    header: dict[str, Any] | None = None
    entries: list[Entry] = []
    malformed = 0
    for number, chunk in enumerate(lines, start=1):
        if not chunk.strip():
            continue
        try:
            obj = json.loads(chunk.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            reason = (
                "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else f"malformed JSON ({exc.msg})"
            )
            if header is None:
                problems.append(
                    Problem(file, number, f"{reason}: the first line must be the manifest header")
                )
                return None, [], problems
            problems.append(Problem(file, number, reason))
            malformed += 1
            if malformed >= MAX_MALFORMED_LINES:
                problems.append(
                    Problem(file, number, "too many malformed lines; stopped reading (is this a manifest?)")
                )
                break
            continue
        if header is None:
            if not isinstance(obj, dict) or "platebench_manifest" not in obj:
                problems.append(
                    Problem(
                        file, number, 'first line must be the header {"platebench_manifest": 1, "name": ...}'
                    )
                )
                return None, [], problems
            version = obj["platebench_manifest"]
            if version != MANIFEST_VERSION or isinstance(version, bool):
                problems.append(
                    Problem(
                        file,
                        number,
                        f"unknown manifest version {version!r} (this platebench reads version {MANIFEST_VERSION})",
                    )
                )
                return None, [], problems
            header = obj
            problems += _schema_problems(obj, "header", file, number)
            continue
        errors = _schema_problems(obj, "sample", file, number)
        if errors:
            problems += errors
            continue
        entries.append(
            Entry(
                id=obj["id"],
                image=path.parent / obj["image"],
                image_ref=obj["image"],
                plates=[_plate_entry(p, number) for p in obj["plates"]],
                tags=dict(obj.get("tags", {})),
                sha256=obj["sha256"],
                file=file,
                line=number,
            )
        )
    if header is None and not problems:
        problems.append(Problem(file, 0, "empty manifest: no header line"))
    return header, entries, problems
