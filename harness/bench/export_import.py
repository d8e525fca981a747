"""Reads exported from a vendor's portal (Motorola Vigilant, Axon...: no push, no API), imported
with a column mapping so those cameras can be benched too.

The mapping is TOML::

    [source]
    name = "vigilant-export"          # the route the reads are scored under
    [columns]
    plate = "Plate"                   # required
    time = "Read Date"                # required: when the camera read the plate
    camera = "Camera"                 # optional: the device id (plan cameras' ``device``)
    confidence = "Confidence"         # optional
    id = "Read ID"                    # optional
    [time]
    format = "%m/%d/%Y %I:%M:%S %p"   # strptime format, or "iso", "epoch_s", "epoch_ms"
    timezone = "America/Chicago"      # of times without an offset (default UTC)
    [confidence]
    scale = 100                       # 100 for percentages (default 1)

Exported reads have no arrival time: latency is not measured for them; they are matched by their
own time corrected by the camera's clock offset. Every row is journaled; a bad row stops the import
with its line number (nothing of that file is journaled), so a fixed file can be imported again.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.bench.events import CameraEvent, PayloadError, confidence, plate_text
from harness.bench.journal import BenchJournal
from harness.errors import UserError

MAX_ROWS = 1_000_000


class ExportError(UserError):
    """The export or its mapping cannot be used; the message says where."""


@dataclass(frozen=True)
class Mapping:
    """A parsed column mapping."""

    source: str
    columns: dict[str, str]
    time_format: str
    timezone: Any
    confidence_scale: float


def load_mapping(path: Path) -> Mapping:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ExportError(f"mapping {path}: {exc}") from None
    columns = data.get("columns", {})
    problems = [f"columns.{k} is required" for k in ("plate", "time") if not isinstance(columns.get(k), str)]
    unknown = set(columns) - {"plate", "time", "camera", "confidence", "id"}
    problems += [f"unknown column key {k!r}" for k in sorted(unknown)]
    time_table = data.get("time", {})
    zone_name = time_table.get("timezone", "UTC")
    try:
        zone = UTC if zone_name == "UTC" else ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"unknown time zone {zone_name!r}")
        zone = UTC
    scale = data.get("confidence", {}).get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or scale <= 0:
        problems.append("confidence.scale must be a positive number")
    if problems:
        raise ExportError(f"mapping {path}: " + "; ".join(problems))
    return Mapping(str(data.get("source", {}).get("name", "export")), dict(columns),
                   str(time_table.get("format", "iso")), zone, float(scale))


def _time(value: str, mapping: Mapping) -> float:
    value = value.strip()
    if mapping.time_format == "epoch_s":
        return float(value)
    if mapping.time_format == "epoch_ms":
        return float(value) / 1000.0
    if mapping.time_format == "iso":
        parsed = datetime.fromisoformat(value)
    else:
        parsed = datetime.strptime(value, mapping.time_format)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=mapping.timezone)
    return parsed.timestamp()


def read_export(csv_path: Path, mapping: Mapping) -> list[CameraEvent]:
    """Every row of the export as a camera event; raises :class:`ExportError` naming the first bad row."""
    try:
        handle = csv_path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ExportError(f"{csv_path}: {exc.strerror or exc}") from None
    events = []
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in mapping.columns.values() if c not in (reader.fieldnames or [])]
        if missing:
            raise ExportError(f"{csv_path}: column(s) {', '.join(missing)} not in the header")
        for line, row in enumerate(reader, start=2):
            if line > MAX_ROWS:
                raise ExportError(f"{csv_path}: more than {MAX_ROWS} rows")
            try:
                cols = mapping.columns
                conf = row.get(cols["confidence"]) if "confidence" in cols else None
                events.append(CameraEvent(
                    format=mapping.source,
                    plate=plate_text(row[cols["plate"]], cols["plate"]),
                    confidence=confidence(conf or None, cols.get("confidence", ""), scale=mapping.confidence_scale,
                                          allow_string=True),
                    event_time=_time(row[cols["time"]] or "", mapping),
                    device=(row.get(cols["camera"]) or None) if "camera" in cols else None,
                    event_id=(row.get(cols["id"]) or None) if "id" in cols else None,
                ))
            except (PayloadError, ValueError) as exc:
                raise ExportError(f"{csv_path}:{line}: {exc}") from None
    return events


def import_export(journal: BenchJournal, csv_path: Path, mapping_path: Path) -> int:
    """Journal an export's reads (route = the mapping's source name); returns how many."""
    mapping = load_mapping(mapping_path)
    events = read_export(csv_path, mapping)
    journal.append({"type": "imported", "source": mapping.source, "file": csv_path.name,
                    "events": [e.to_json() for e in events]})
    return len(events)



