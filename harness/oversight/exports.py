"""Finding and checking one period's production exports before anything is analysed.

A period's folder holds ``roster.csv`` or ``roster.json`` (``GET /v1/access-roster``), ``audit-log.csv``
or ``audit-log.json`` (``GET /v1/audit-log``), optionally ``agreements.csv``/``.json`` and
``manifest.json``: ``{"files": {"audit-log.csv": {"sha256": "...", "rows": 123}, ...}}``, written by the
vendor when it exports. The manifest is how a file cut at a line boundary is recognised as truncated;
a file cut mid-row or mid-JSON is refused by the parser without one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError

STEMS = {"roster": "roster", "log": "audit-log", "agreements": "agreements"}
MANIFEST = "manifest.json"


class ExportRefused(UserError):
    """The period's exports cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class PeriodExports:
    """The files of one period (``agreements`` and ``manifest`` optional)."""

    folder: Path
    roster: Path
    log: Path
    agreements: Path | None
    manifest: dict[str, Any] | None


def _one(folder: Path, stem: str, required: bool) -> Path | None:
    found = [folder / f"{stem}{ext}" for ext in (".csv", ".json") if (folder / f"{stem}{ext}").is_file()]
    if len(found) > 1:
        raise ExportRefused(f"{folder}: both {found[0].name} and {found[1].name}; keep one")
    if not found and required:
        raise ExportRefused(f"{folder}: no {stem}.csv or {stem}.json")
    return found[0] if found else None


def find_exports(folder: Path, require_manifest: bool) -> PeriodExports:
    """The period's export files; refuses a missing folder, file or (when required) manifest."""
    if not folder.is_dir():
        raise ExportRefused(f"{folder}: no exports folder for this period")
    manifest = None
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ExportRefused(f"{manifest_path}: unreadable manifest: {exc}") from exc
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise ExportRefused(f"{manifest_path}: expected {{\"files\": {{NAME: {{\"sha256\": ..., \"rows\": ...}}}}}}")
    elif require_manifest:
        raise ExportRefused(f"{folder}: no {MANIFEST}, which the contract requires (sha256 and rows of each export)")
    roster, log = _one(folder, STEMS["roster"], True), _one(folder, STEMS["log"], True)
    assert roster is not None and log is not None
    return PeriodExports(folder, roster, log, _one(folder, STEMS["agreements"], False), manifest)


def sha256_of(path: Path) -> str:
    """sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_manifest(exports: PeriodExports, sources: dict[str, dict[str, Any]]) -> None:
    """Every file the manifest lists must have its sha256 and row count; every export must be listed."""
    if exports.manifest is None:
        return
    listed = exports.manifest["files"]
    for name, source in sources.items():
        file = Path(source["path"]).name
        entry = listed.get(file)
        if not isinstance(entry, dict):
            raise ExportRefused(f"{exports.folder / MANIFEST}: does not list {file}")
        if entry.get("rows") != source["rows"]:
            raise ExportRefused(f"{exports.folder / file}: {source['rows']} rows, the manifest says {entry.get('rows')} "
                                f"(truncated or padded) [{name}]")
        if entry.get("sha256") != source["sha256"]:
            raise ExportRefused(f"{exports.folder / file}: sha256 {source['sha256']} differs from the manifest's "
                                f"{entry.get('sha256')} (corrupt, truncated or replaced)")
