"""One oversight period: check the exports, analyse them, run the privacy pass, judge, and record it all.

Order matters for the "refused leaves the previous state" rule: the exports are found, parsed and
checked against their manifest before the sandbox is touched or the history opened for writing;
the privacy evidence is written to a staging folder and moved into place only after the history
transaction committed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from harness import __version__
from harness.audit.analyze import analyze_files
from harness.audit.records import AuditInputError
from harness.oversight import history
from harness.oversight.accuracy import AccuracyOutcome, baseline_exact, rerun_accuracy
from harness.oversight.contract import Contract, file_sha256, month_bounds
from harness.oversight.exports import ExportRefused, check_manifest, find_exports
from harness.oversight.findings import PeriodFacts, Previous, evaluate
from harness.oversight.privacy import PrivacyOutcome, run_privacy

PERIODS_DIR = "periods"
EVIDENCE_DIR = "evidence"
ACCURACY_DIR = "accuracy"


@dataclass(frozen=True)
class PeriodResult:
    """What ``platebench oversight run`` prints."""

    period: str
    breaches: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    privacy_summary: str
    analysis: dict[str, Any]


def log_coverage(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, Any]:
    """Days of the period without entries (and the longest run), entries outside it or without a time."""
    start, end = month_bounds(period)
    counts = dict(con.execute("""SELECT CAST(t AS DATE), count(*) FROM (
        SELECT try_cast("at" AS TIMESTAMPTZ) AS t FROM entries) WHERE t >= ? AND t < ? GROUP BY 1""",
                              [start, end]).fetchall())
    silent, run, longest = [], 0, 0
    for offset in range((end - start).days):
        day = (start + timedelta(days=offset)).date()
        if counts.get(day, 0) == 0:
            silent.append(day.isoformat())
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    outside, unparseable = con.execute("""SELECT count(*) FILTER (WHERE t IS NOT NULL AND (t < ? OR t >= ?)),
        count(*) FILTER (WHERE t IS NULL) FROM (SELECT try_cast("at" AS TIMESTAMPTZ) AS t FROM entries)""",
                                       [start, end]).fetchone()
    examples = [r[0] for r in con.execute("""SELECT id FROM (SELECT id, rowid AS pos, try_cast("at" AS TIMESTAMPTZ) AS t
        FROM entries) WHERE t IS NULL OR t < ? OR t >= ? ORDER BY pos LIMIT 200""", [start, end]).fetchall()]
    return {"days": (end - start).days, "silent_days": silent, "longest_silent_run": longest,
            "outside_period": int(outside), "unparseable": int(unparseable), "examples": examples}


def _roster_sets(con: duckdb.DuckDBPyConnection, table: str, where: str = "", params: list[Any] | None = None,
                 home: str = "") -> tuple[set[str], dict[str, str]]:
    accounts = {r[0] for r in con.execute(f"SELECT DISTINCT actor_id FROM {table} {where}", params or []).fetchall()}
    agencies = {r[0]: r[1] for r in con.execute(
        f"SELECT agency_id, any_value(agency_name) FROM {table} {where} {'AND' if where else 'WHERE'} "
        "agency_kind <> 'home' AND lower(agency_id) <> lower(?) AND lower(agency_name) <> lower(?) GROUP BY agency_id",
        [*(params or []), home, home]).fetchall()}
    return accounts, agencies


def _previous(con: duckdb.DuckDBPyConnection, period: str, home: str) -> Previous:
    before = history.previous_period(con, period)
    if before is None:
        return Previous()
    analysis = json.loads(con.execute("SELECT analysis FROM periods WHERE period = ?", [before]).fetchone()[0])
    accounts, agencies = _roster_sets(con, "roster", "WHERE period = ?", [before], home)
    return Previous(analysis, accounts, agencies)


def read_baseline(path: Path | None) -> dict[str, Any] | None:
    """The baseline scorecard, its integrity checked when sealed (``None`` without a baseline)."""
    if path is None:
        return None
    from harness.scorecard.integrity import verify

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportRefused(f"baseline scorecard {path}: unreadable: {exc}") from exc
    if not isinstance(doc, dict):
        return {}
    if "integrity" in doc:
        problems = verify(doc)
        if problems:
            raise ExportRefused(f"baseline scorecard {path}: {'; '.join(problems)}")
    return doc


def baseline_controls(doc: dict[str, Any] | None) -> dict[str, str] | None:
    """Control id -> result of the baseline scorecard's privacy section (``None`` without a baseline)."""
    if doc is None:
        return None
    controls = (doc.get("results") or {}).get("privacy", {}).get("controls", [])
    return {c["id"]: c["result"] for c in controls if isinstance(c, dict) and "id" in c and "result" in c}


def _figures(analysis: dict[str, Any]) -> list[tuple[str, str, int | None, int | None, float | None]]:
    rows: list[tuple[str, str, int | None, int | None, float | None]] = []
    for section in ("accounts", "searches"):
        share = analysis[section]["outside_home"]
        rows.append((f"{section}_outside_home", "all", share["count"], share["of"], share["percent"]))
        rows += [(f"{section}_by_kind", kind, s["count"], s["of"], s["percent"])
                 for kind, s in analysis[section]["by_kind"].items()]
    for key in ("missing_reason", "missing_case_number", "prohibited_purpose"):
        item = analysis[key]
        rows.append((key, "all", item["count"], item["of"], item["percent"]))
    admin = analysis["outside_administration"]
    rows.append(("outside_administration_allowed", "all", admin["allowed"], admin["attempts"], None))
    return rows


def _accuracy_facts(rerun: AccuracyOutcome | None) -> dict[str, Any] | None:
    if rerun is None:
        return None
    return {"run_id": rerun.run_id, "scorecard_sha256": rerun.scorecard_sha256, "exact": rerun.exact}


def _accuracy_figures(rerun: AccuracyOutcome | None) -> list[tuple[str, str, int | None, int | None, float | None]]:
    if rerun is None:
        return []
    exact = rerun.exact
    hits = round(exact["value"] * exact["n"]) if exact.get("n") else None
    return [("exact_read_plate", "all", hits, exact.get("n"), round(100 * exact["value"], 1))]


def run_period(contract: Contract, workspace: Path, period: str, *, privacy: bool = True, accuracy: bool = True,
               say: Callable[[str], None] = lambda _line: None) -> PeriodResult:
    """Run and record one period; raises :class:`ExportRefused` (nothing recorded) on unusable exports.
    ``accuracy``: make the contract's accuracy re-run, if it has one."""
    exports = find_exports(contract.exports_folder(period), contract.require_manifest)
    baseline_doc = read_baseline(contract.file("baseline_scorecard"))
    baseline = baseline_controls(baseline_doc)
    with tempfile.TemporaryDirectory(prefix="platebench-oversight-") as tmp:
        staging = Path(tmp)
        analysis_dir = staging / "analysis"
        analysis_dir.mkdir()
        say(f"{period}: analysing {exports.roster.name} and {exports.log.name}")
        try:
            analysis = analyze_files(exports.roster, exports.log, contract.home_agency, exports.agreements,
                                     keep_in=analysis_dir)
        except AuditInputError as exc:
            raise ExportRefused(f"export refused: {exc}") from exc
        sources = analysis["inputs"]
        check_manifest(exports, sources)
        with duckdb.connect(str(analysis_dir / "analysis.duckdb"), read_only=True) as con:
            coverage = log_coverage(con, period)
            accounts, outside = _roster_sets(con, "accounts", home=contract.home_agency)
        outcome = run_privacy(contract, staging / EVIDENCE_DIR, say) if privacy else PrivacyOutcome.skipped(
            "privacy pass not run this period (--no-privacy)")
        rerun = rerun_accuracy(contract, staging / ACCURACY_DIR, say) if accuracy else None
        final_evidence = workspace / PERIODS_DIR / period / EVIDENCE_DIR
        for control in outcome.controls:
            if control.get("evidence_sha256"):
                control["evidence_file"] = str(Path(PERIODS_DIR) / period / EVIDENCE_DIR / f"{control['id']}.json")
            control["baseline_result"] = (baseline or {}).get(control["id"])
        export_rows = [{"kind": kind, **{k: v for k, v in src.items()}} for kind, src in sources.items()]
        with history.open_history(workspace) as hist:
            previous = _previous(hist, period, contract.home_agency)
            facts = PeriodFacts(analysis, export_rows, coverage, accounts, outside, outcome.controls,
                                outcome.tested, _accuracy_facts(rerun))
            found = evaluate(facts, previous, contract.thresholds, baseline,
                             baseline_exact(baseline_doc))
            record = history.PeriodRecord(
                period=period, run_at=datetime.now(UTC).isoformat(timespec="seconds"),
                platebench_version=__version__, contract_sha256=contract.sha256,
                policy_sha256=file_sha256(contract.file("policy")), rubric_sha256=file_sha256(contract.file("rubric")),
                baseline_sha256=file_sha256(contract.file("baseline_scorecard")),
                privacy_method=outcome.method, privacy_detail=outcome.detail,
                evidence_bundle_sha256=outcome.bundle_sha256, analysis=analysis, exports=export_rows,
                figures=_figures(analysis) + _accuracy_figures(rerun), controls=outcome.controls, findings=found)
            history.write_period(hist, record, analysis_dir / "analysis.duckdb")
        if final_evidence.exists():
            shutil.rmtree(final_evidence)
        if outcome.evidence_dir is not None:
            final_evidence.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(outcome.evidence_dir), final_evidence)
        final_accuracy = workspace / PERIODS_DIR / period / ACCURACY_DIR
        if final_accuracy.exists():
            shutil.rmtree(final_accuracy)
        if rerun is not None:
            shutil.move(str(staging / ACCURACY_DIR), final_accuracy)
    return PeriodResult(period, [f for f in found if f["breach"]], [f for f in found if not f["breach"]],
                        outcome.summary(), analysis)
