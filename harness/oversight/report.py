"""The oversight report over all periods: a sealed (optionally signed) JSON document, HTML and PDF.

Same honesty rules as scorecards: every share is shown with its n and a 95% Wilson interval, a
control that was not tested in a period is "untested", never "failed", and no plate text appears
(the history never stores the log's query; free text is redacted on the way out anyway).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from harness import __version__
from harness.metrics.stats import wilson
from harness.oversight.findings import RULES, UNTESTED
from harness.redact import redact_value

REPORT_KIND = "platebench-oversight-report"
REPORT_VERSION = 1
STEM = "oversight-report"
KIND_LABELS = {"home": "contracting agency", "partner": "in-state, agreement", "instate": "in-state, no agreement",
               "out_of_state": "out-of-state", "federal": "federal", "unknown": "unknown kind"}

_env = Environment(loader=PackageLoader("harness.oversight", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _interval(count: int | None, of: int | None) -> dict[str, Any]:
    if count is None or not of:
        return {"count": count, "of": of, "percent": None, "low": None, "high": None}
    est = wilson(int(count), int(of))
    return {"count": int(count), "of": int(of), "percent": round(100 * est.value, 1),
            "low": round(100 * est.ci_low, 1), "high": round(100 * est.ci_high, 1)}


def build_report(con: duckdb.DuckDBPyConnection, contract: Mapping[str, Any]) -> dict[str, Any]:
    """The report document (not yet sealed) from the history."""
    periods = []
    rows = con.execute("""SELECT period, run_at, contract_sha256, privacy_method, privacy_detail,
        evidence_bundle_sha256, analysis FROM periods ORDER BY period""").fetchall()
    for period, run_at, contract_sha, method, detail, bundle, analysis_json in rows:
        analysis = json.loads(analysis_json)
        exports = [dict(zip(("kind", "sha256", "format", "rows"), r)) for r in con.execute(
            "SELECT kind, sha256, format, rows FROM exports WHERE period = ? ORDER BY kind", [period]).fetchall()]
        controls = [dict(zip(("id", "title", "result", "baseline", "evidence_file", "evidence_sha256"), r))
                    for r in con.execute("""SELECT control_id, title, result, baseline_result, evidence_file,
                        evidence_sha256 FROM controls WHERE period = ? ORDER BY rowid""", [period]).fetchall()]
        findings = [{"rule": r[0], "breach": r[1], "title": r[2], "observed": r[3], "threshold": r[4], "detail": r[5],
                     "evidence": json.loads(r[6])} for r in con.execute(
            """SELECT rule, breach, title, observed, threshold, detail, evidence FROM findings WHERE period = ?
               ORDER BY rowid""", [period]).fetchall()]
        acc, srch = analysis["accounts"], analysis["searches"]
        periods.append({
            "period": period, "run_at": str(run_at), "contract_sha256": contract_sha,
            "exports": exports,
            "accounts_outside": _interval(acc["outside_home"]["count"], acc["outside_home"]["of"]),
            "searches_outside": _interval(srch["outside_home"]["count"], srch["outside_home"]["of"]),
            "searches_by_kind": {k: v["count"] for k, v in srch["by_kind"].items()},
            "accounts_by_kind": {k: v["count"] for k, v in acc["by_kind"].items()},
            "prohibited_purpose": analysis["prohibited_purpose"]["count"],
            "missing_reason": _interval(analysis["missing_reason"]["count"], analysis["missing_reason"]["of"]),
            "missing_case_number": _interval(analysis["missing_case_number"]["count"],
                                             analysis["missing_case_number"]["of"]),
            "outside_administration": analysis["outside_administration"]["allowed"],
            "warnings": analysis.get("warnings", []),
            "privacy": {"method": method, "detail": detail, "evidence_bundle_sha256": bundle, "controls": controls},
            "breaches": [f for f in findings if f["breach"]],
            "changes": [f for f in findings if not f["breach"]],
        })
    doc = {
        "report": REPORT_KIND, "report_version": REPORT_VERSION, "platebench_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "contract": {"name": contract["contract"]["name"], "city": contract["contract"].get("city"),
                     "home_agency": contract["contract"]["home_agency"], "vendor": contract["vendor"]["name"]},
        "rules": RULES,
        "periods": periods,
    }
    return redact_value(doc)


def _changes(periods: Sequence[Mapping[str, Any]]) -> list[str]:
    """What changed from the second-to-last period to the last, in sentences."""
    if len(periods) < 2:
        return []
    before, now = periods[-2], periods[-1]
    lines = []
    for key, noun in (("accounts_outside", "accounts outside the contracting agency"),
                      ("searches_outside", "searches from outside the contracting agency")):
        a, b = before[key]["percent"], now[key]["percent"]
        if a is not None and b is not None and a != b:
            lines.append(f"Share of {noun}: {a}% -> {b}% ({b - a:+.1f} points).")
    new_rules = {f["rule"] for f in now["breaches"]} - {f["rule"] for f in before["breaches"]}
    gone = {f["rule"] for f in before["breaches"]} - {f["rule"] for f in now["breaches"]}
    lines += [f"New breach: {RULES[r]} ({r})." for r in sorted(new_rules, key=list(RULES).index)]
    lines += [f"No longer in breach: {RULES[r]} ({r})." for r in sorted(gone, key=list(RULES).index)]
    before_controls = {c["id"]: c["result"] for c in before["privacy"]["controls"]}
    for c in now["privacy"]["controls"]:
        old = before_controls.get(c["id"])
        if old is not None and old != c["result"]:
            lines.append(f"Control {c['id']}: {_result_word(old)} -> {_result_word(c['result'])}.")
    lines += [f"{f['title']}: {f['detail']}." for f in now["changes"] if f["rule"] != "OV-CHANGE-CONTROLS"]
    return lines


def _result_word(result: str) -> str:
    return f"untested ({result})" if result in UNTESTED else result


def render_html(doc: Mapping[str, Any], plots: Mapping[str, str]) -> str:
    """The report as one self-contained HTML page."""
    periods = doc["periods"]
    control_ids = list(dict.fromkeys(c["id"] for p in periods for c in p["privacy"]["controls"]))
    grid = [{"id": cid, "cells": [{c["id"]: c["result"] for c in p["privacy"]["controls"]}.get(cid) for p in periods]}
            for cid in control_ids]
    return _env.get_template("report.html.j2").render(
        doc=doc, periods=periods, plots={k: Markup(v) for k, v in plots.items()}, changes=_changes(periods),
        grid=grid, untested=UNTESTED, kind_labels=KIND_LABELS, version=__version__,
        integrity=doc.get("integrity", {}), fingerprint=_fingerprint(doc))


def _fingerprint(doc: Mapping[str, Any]) -> str | None:
    from harness.scorecard.signing import fingerprint

    signature = (doc.get("integrity") or {}).get("signature")
    if not signature:
        return None
    return fingerprint(base64.b64decode(signature["public_key"]))


def write_report(doc: dict[str, Any], out: Path, *, key_path: Path | None = None, pdf: bool = True) -> dict[str, Path]:
    """Seal (and sign with ``key_path``) ``doc``; write JSON, HTML and (with Chromium) PDF into ``out``."""
    from harness.oversight.plots import render_plots
    from harness.scorecard.integrity import seal
    from harness.scorecard.signing import load_private_key, sign

    sealed = sign(doc, load_private_key(key_path)) if key_path is not None else seal(doc)
    out.mkdir(parents=True, exist_ok=True)
    written = {"json": out / f"{STEM}.json", "html": out / f"{STEM}.html"}
    html = render_html(sealed, render_plots(sealed))
    _atomic(written["json"], json.dumps(sealed, indent=2, ensure_ascii=False) + "\n")
    _atomic(written["html"], html)
    if pdf:
        from harness.report.chromium import print_to_pdf

        written["pdf"] = print_to_pdf(written["html"], out / f"{STEM}.pdf")
    return written


def _atomic(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
    os.replace(handle.name, path)
