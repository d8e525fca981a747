"""The oversight history: one embedded DuckDB file holding every period's exports, figures and findings.

The schema (:data:`SCHEMA`) is documented in ``docs/oversight.md`` so an auditor can query the file
directly (``duckdb oversight.duckdb``). A period is written in one transaction that first deletes
whatever the period held: re-running a period replaces it, and a failure leaves the previous state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from harness.errors import UserError

DB_FILE = "oversight.duckdb"
SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS periods (
    period VARCHAR PRIMARY KEY, run_at TIMESTAMPTZ NOT NULL, platebench_version VARCHAR NOT NULL,
    contract_sha256 VARCHAR NOT NULL, policy_sha256 VARCHAR, rubric_sha256 VARCHAR, baseline_sha256 VARCHAR,
    privacy_method VARCHAR NOT NULL, privacy_detail VARCHAR, evidence_bundle_sha256 VARCHAR,
    analysis JSON NOT NULL);
CREATE TABLE IF NOT EXISTS exports (
    period VARCHAR NOT NULL, kind VARCHAR NOT NULL, path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
    format VARCHAR NOT NULL, rows BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS roster (
    period VARCHAR NOT NULL, actor_id VARCHAR, name VARCHAR, agency_id VARCHAR, agency_name VARCHAR,
    agency_kind VARCHAR, state VARCHAR, role VARCHAR, active BOOLEAN, home_data_access BOOLEAN);
CREATE TABLE IF NOT EXISTS audit_log (
    period VARCHAR NOT NULL, id VARCHAR, at_text VARCHAR, logged_at TIMESTAMPTZ, actor_id VARCHAR, actor_name VARCHAR,
    agency_id VARCHAR, agency_name VARCHAR, agency_kind VARCHAR, action VARCHAR, reason VARCHAR,
    case_number VARCHAR, offense_type VARCHAR, outcome VARCHAR);
CREATE TABLE IF NOT EXISTS figures (
    period VARCHAR NOT NULL, metric VARCHAR NOT NULL, kind VARCHAR NOT NULL, count BIGINT, "of" BIGINT,
    percent DOUBLE);
CREATE TABLE IF NOT EXISTS controls (
    period VARCHAR NOT NULL, control_id VARCHAR NOT NULL, title VARCHAR, result VARCHAR NOT NULL,
    baseline_result VARCHAR, message VARCHAR, evidence_file VARCHAR, evidence_sha256 VARCHAR);
CREATE TABLE IF NOT EXISTS findings (
    period VARCHAR NOT NULL, rule VARCHAR NOT NULL, breach BOOLEAN NOT NULL, title VARCHAR NOT NULL,
    observed DOUBLE, threshold DOUBLE, detail VARCHAR, evidence JSON NOT NULL);
"""
"""Every table has a ``period`` column (``YYYY-MM``); ``roster`` and ``audit_log`` hold the exports as
analysed (the log's ``query``, which holds plate text, is never stored)."""

PERIOD_TABLES = ("periods", "exports", "roster", "audit_log", "figures", "controls", "findings")


class HistoryError(UserError):
    """The history file is missing, not an oversight database, or could not be written."""


@dataclass
class PeriodRecord:
    """Everything one period adds to the history (besides the export rows, copied from the analysis DB)."""

    period: str
    run_at: str
    platebench_version: str
    contract_sha256: str
    policy_sha256: str | None
    rubric_sha256: str | None
    baseline_sha256: str | None
    privacy_method: str
    privacy_detail: str
    evidence_bundle_sha256: str | None
    analysis: dict[str, Any]
    exports: list[dict[str, Any]]
    figures: list[tuple[str, str, int | None, int | None, float | None]]
    controls: list[dict[str, Any]]
    findings: list[dict[str, Any]]


def create(workspace: Path, contract_path: Path, contract_sha256: str) -> Path:
    """Create (or re-open and re-point) the history file in ``workspace``; returns its path."""
    path = workspace / DB_FILE
    with duckdb.connect(str(path)) as con:
        con.execute(SCHEMA)
        for key, value in (("schema_version", SCHEMA_VERSION), ("contract_path", str(contract_path)),
                           ("contract_sha256", contract_sha256)):
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
    return path


@contextmanager
def open_history(workspace: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the workspace's history file (created by ``platebench oversight init``)."""
    path = workspace / DB_FILE
    if not path.is_file():
        raise HistoryError(f"{path}: no oversight history here; run `platebench oversight init CONTRACT.toml` first")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise HistoryError(f"{path}: cannot open the history database: {exc}") from exc
    try:
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error:
        version = None
    if version is None or version[0] != SCHEMA_VERSION:
        con.close()
        raise HistoryError(f"{path}: not a platebench oversight history (schema version {SCHEMA_VERSION})")
    try:
        yield con
    finally:
        con.close()


def meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """One value of the ``meta`` table."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def write_period(con: duckdb.DuckDBPyConnection, record: PeriodRecord, analysis_db: Path) -> None:
    """Replace the period atomically with ``record`` and the export rows of ``analysis_db``."""
    p = record.period
    con.execute(f"ATTACH {_lit(str(analysis_db))} AS staging (READ_ONLY)")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            for table in PERIOD_TABLES:
                con.execute(f"DELETE FROM {table} WHERE period = ?", [p])
            con.execute("INSERT INTO periods VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                p, record.run_at, record.platebench_version, record.contract_sha256, record.policy_sha256,
                record.rubric_sha256, record.baseline_sha256, record.privacy_method, record.privacy_detail,
                record.evidence_bundle_sha256, json.dumps(record.analysis, ensure_ascii=False)])
            for e in record.exports:
                con.execute("INSERT INTO exports VALUES (?, ?, ?, ?, ?, ?)",
                            [p, e["kind"], e["path"], e["sha256"], e["format"], e["rows"]])
            con.execute("""INSERT INTO roster SELECT ?, actor_id, name, agency_id, agency_name, agency_kind, state,
                role, active, home_data_access FROM staging.accounts ORDER BY rowid""", [p])
            con.execute("""INSERT INTO audit_log SELECT ?, id, "at", try_cast("at" AS TIMESTAMPTZ), actor_id,
                actor_name, agency_id, agency_name, agency_kind, action, reason, case_number, offense_type, outcome
                FROM staging.entries ORDER BY rowid""", [p])
            if record.figures:
                con.executemany("INSERT INTO figures VALUES (?, ?, ?, ?, ?, ?)", [(p, *f) for f in record.figures])
            for c in record.controls:
                con.execute("INSERT INTO controls VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                    p, c["id"], c["title"], c["result"], c.get("baseline_result"), c["message"],
                    c.get("evidence_file"), c.get("evidence_sha256")])
            for f in record.findings:
                con.execute("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                    p, f["rule"], f["breach"], f["title"], f.get("observed"), f.get("threshold"), f["detail"],
                    json.dumps(f["evidence"], ensure_ascii=False)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("DETACH staging")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def previous_period(con: duckdb.DuckDBPyConnection, period: str) -> str | None:
    """The latest period before ``period`` in the history."""
    row = con.execute("SELECT max(period) FROM periods WHERE period < ?", [period]).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def period_state(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """A fingerprint of the whole history (rows per table and period, and the periods' run times)."""
    rows: list[tuple[Any, ...]] = []
    for table in PERIOD_TABLES:
        rows += [(table, *r) for r in con.execute(
            f"SELECT period, count(*) FROM {table} GROUP BY period ORDER BY period").fetchall()]
    rows += con.execute("SELECT period, run_at, analysis FROM periods ORDER BY period").fetchall()
    return rows
