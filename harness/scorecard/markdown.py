"""Markdown rendering of a scorecard, for people (and for appending to a contract).

The document is a list of sections, each a function of the scorecard JSON returning Markdown (or
``None`` when it has nothing to say). A module that adds a result section registers its renderer
with :func:`register_section`. Every string that came from a vendor, a corpus or a rubric is
escaped with :func:`escape`, so a vendor cannot inject Markdown or HTML into the rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from harness.metrics.spec import METRICS
from harness.redact import redact_text
from harness.rubric import format_threshold

Doc = Mapping[str, Any]
SectionRenderer = Callable[[Doc], str | None]

_SECTIONS: list[tuple[str, SectionRenderer]] = []
_SPECIAL = re.compile(r"([\\`*_\[\]#!|<>~])")


def register_section(name: str, render: SectionRenderer, *, before: str | None = None) -> None:
    """Add (or replace) a section; placed before the section named ``before``, else at the end."""
    existing = [i for i, (n, _) in enumerate(_SECTIONS) if n == name]
    if existing:
        _SECTIONS[existing[0]] = (name, render)
        return
    names = [n for n, _ in _SECTIONS]
    index = names.index(before) if before in names else len(_SECTIONS)
    _SECTIONS.insert(index, (name, render))


def escape(text: object) -> str:
    """``text`` made inert for Markdown: special characters backslash-escaped, line breaks flattened."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def code(text: object) -> str:
    """``text`` as an inline code span (backticks inside replaced, line breaks flattened)."""
    return "`" + " ".join(str(text).replace("`", "'").split()) + "`"


def render_markdown(doc: Doc) -> str:
    """The whole Markdown document."""
    parts = [part for _, render in _SECTIONS if (part := render(doc))]
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


# --------------------------------------------------------------------------- formatting helpers


def number(value: Any, unit: str = "") -> str:
    """A figure in a human form: proportions as percentages, others to 4 significant digits."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return escape(value)
    if unit == "proportion":
        return f"{100 * value:.1f}%"
    return f"{value:.4g}" if abs(value) < 10_000 else f"{value:.0f}"


def estimate(est: Mapping[str, Any] | None) -> tuple[str, str, str]:
    """(value, 95% CI, n) cells of an estimate object."""
    if not isinstance(est, Mapping):
        return "n/a", "", ""
    unit = est.get("unit", "")
    ci = "" if est.get("ci_low") is None else f"{number(est['ci_low'], unit)} to {number(est['ci_high'], unit)}"
    return number(est.get("value"), unit), ci, str(est.get("n", ""))


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (cells already escaped)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _title(metric_id: str) -> str:
    spec = METRICS.get(metric_id)
    return escape(spec.title if spec else metric_id)


# --------------------------------------------------------------------------- built-in sections


def _heading(doc: Doc) -> str:
    p = doc["provenance"]
    score = doc["results"]["score"]
    verdict = "ELIGIBLE: every mandatory requirement met" if score["eligible"] else "NOT ELIGIBLE: a mandatory requirement is not met"
    weighted = "n/a" if score["weighted"] is None else f"{100 * score['weighted']:.1f}% ({score['points']:g} of {score['max']:g} points)"
    return (
        f"# platebench scorecard: {escape(p['vendor']['vendor'])}\n\n"
        f"**{verdict}.** Weighted score: **{weighted}**.\n\n"
        f"Run {code(p['run_id'])} on corpus {escape(p['corpus']['name'])} "
        f"({p['corpus']['samples']} samples), rubric {escape(p['rubric']['name'])}."
    )


def _provenance(doc: Doc) -> str:
    p = doc["provenance"]
    v, c, o, m = p["vendor"], p["corpus"], p["options"], p["machine"]
    git = p.get("git")
    rows = [
        ["Vendor", f"{escape(v['vendor'])} {escape(v.get('product', ''))} {escape(v.get('version', ''))}".strip()],
        ["Declared confidence threshold", number(v.get("declared_threshold"))],
        ["Adapter", f"{escape(p['adapter']['name'])} ({escape(p['adapter']['adapter'])}, {escape(p['adapter']['kind'])})"],
        ["Corpus", f"{escape(c['name'])} ({escape(c['format'])}), {c['samples']} samples"],
        ["Corpus manifest sha256", f"`{c['manifest_sha256']}`"],
        ["Rubric", f"{escape(p['rubric']['name'])}, sha256 `{p['rubric']['sha256']}`"],
        ["Options", escape(", ".join(f"{k}={val}" for k, val in o.items() if val not in (None, [], False)))],
        ["platebench", escape(p["platebench_version"]) + (f", commit `{git['commit'][:12]}`{' (modified)' if git['dirty'] else ''}" if git else "")],
        ["Machine", escape(f"{m['cpu']}, {m['cores']} cores, {m['os']}, Python {m['python']}")],
        ["Started / ended (UTC)", f"{escape(p['started_at'])} / {escape(p['ended_at'])}"],
    ]
    privacy = p.get("privacy")
    if privacy:
        flaws = f", deliberate flaws: {escape(', '.join(privacy['reference_flaws']))}" if privacy.get("reference_flaws") else ""
        attested = f", attestation file sha256 `{privacy['attestations_sha256']}`" if privacy.get("attestations_sha256") else ""
        rows.insert(-2, ["Privacy controls", f"{_METHODS.get(privacy['method'], escape(privacy['method']))}{flaws}{attested}"])
    return "## Provenance\n\n" + table(["", ""], rows)


_HEADLINE = (
    "exact_read_plate", "exact_read_image", "top_n_read", "cer", "detection_recall", "detection_precision",
    "unmatched_reads_per_1000", "wrong_plate_reads", "wrong_plate_per_1000",
)


def _accuracy(doc: Doc) -> str:
    acc = doc["results"]["accuracy"]
    overall = acc.get("overall", {})
    rows = [[_title(mid), *estimate(overall.get(mid))] for mid in _HEADLINE if mid in overall]
    settings = acc.get("settings", {})
    note = (
        f"Detection matched at IoU >= {number(settings.get('iou_threshold'))}; "
        f"top-N with N = {settings.get('top_n', 'n/a')}; intervals at "
        f"{number(settings.get('confidence_level'), 'proportion')} confidence."
    )
    return "## Accuracy\n\n" + table(["Metric", "Value", "95% CI", "n"], rows) + "\n\n" + escape(note)


_BY_GROUP = ("exact_read_plate", "cer", "detection_recall")


def _groups(title: str, groups: Mapping[str, Any]) -> str | None:
    if not groups:
        return None
    rows = []
    for name, figs in groups.items():
        cells = [escape(name)]
        for mid in _BY_GROUP:
            value, ci, n = estimate(figs.get(mid))
            cells.append(f"{value} ({ci}, n={n})" if ci else f"{value} (n={n})")
        rows.append(cells)
    return f"## {title}\n\n" + table(["Group", *(_title(m) for m in _BY_GROUP)], rows)


def _by_tag(doc: Doc) -> str | None:
    return _groups("Accuracy by tag", doc["results"]["accuracy"].get("by_tag", {}))


def _by_jurisdiction(doc: Doc) -> str | None:
    return _groups("Accuracy by jurisdiction", doc["results"]["accuracy"].get("by_jurisdiction", {}))


def _calibration(doc: Doc) -> str | None:
    cal = doc["results"]["accuracy"].get("calibration")
    if not cal:
        return None
    rows = [[_title(mid), *estimate(cal.get(mid))] for mid in ("ece", "brier", "declared_precision", "declared_recall")]
    return (
        "## Confidence calibration\n\n"
        + table(["Metric", "Value", "95% CI", "n"], rows)
        + f"\n\nReads with a confidence: {cal.get('reads_with_confidence', 'n/a')}; "
        f"declared threshold: {number(cal.get('declared_threshold'))}."
    )


def _latency(doc: Doc) -> str | None:
    ss = doc["results"]["latency"]["single_stream"]
    cols = ("n", "mean", "p50", "p90", "p95", "p99", "max")
    rows = []
    for series, label in (("client_ms", "Client-observed (ms)"), ("vendor_ms", "Vendor-reported (ms)")):
        figs = ss.get(series)
        if isinstance(figs, Mapping):
            rows.append([label, *(number(figs.get(c)) if c != "n" else str(figs.get("n", 0)) for c in cols)])
    timing = doc["provenance"]["options"].get("timing", "client")
    note = (
        "Client-observed time is the engine call timed inside the worker process."
        if timing == "worker"
        else "Client-observed time is measured around each call in the harness."
    )
    return "## Latency, accuracy pass\n\n" + table(["Series", *cols], rows) + f"\n\n{note}"


LOAD_HEADING = "## How fast under load?"


def _bound(s: Mapping[str, Any]) -> str:
    if s.get("latency_bound_ms") is None:
        return "no bound"
    pct = f"p{100 * s['percentile']:g}" if s.get("percentile") else "percentile"
    verdict = {True: "held", False: "**not shown**", None: "n/a"}[s.get("bound_met")]
    return f"{pct} <= {number(s['latency_bound_ms'])} ms: {verdict}"


def scenario_line(s: Mapping[str, Any]) -> str:
    """One scenario in a line (for terminal summaries): rate, percentiles, errors, bound."""
    lat = s.get("latency_ms", {})
    target = f"target {number(s.get('target_qps'))} q/s, " if s.get("target_qps") is not None else ""
    errors = sum(s.get("errors", {}).values())
    return (
        f"{s['scenario']}: {target}achieved {number(s['achieved_qps'])} q/s over {s['n']} queries; "
        f"p50 {number(lat.get('p50'))} ms, p99 {number(lat.get('p99'))} ms, max {number(lat.get('max'))} ms; "
        f"{errors} failed; {_bound(s).replace('**', '')}"
    )


def _load(doc: Doc) -> str | None:
    load = doc["results"].get("load")
    if not load:
        return None
    rows = []
    for s in load:
        lat = s.get("latency_ms", {})
        kinds = ", ".join(f"{escape(k)}: {v}" for k, v in s.get("errors", {}).items()) or "none"
        rows.append([
            escape(s["scenario"]), number(s.get("target_qps")), number(s["achieved_qps"]),
            str(s["n"]) + (f" ({s['concurrency']} at once)" if s.get("concurrency") and s["concurrency"] > 1 else ""),
            *(number(lat.get(k)) for k in ("p50", "p90", "p99", "max")),
            number(s.get("availability"), "proportion"), kinds, str(s.get("timeouts", 0)), _bound(s),
        ])
    plan = doc["provenance"]["options"].get("load") or {}
    length = f"{number(plan['duration_s'])} s" if plan.get("duration_s") else f"{plan.get('queries', 'n/a')} queries"
    parts = [
        LOAD_HEADING,
        (
            f"Each scenario ran for {length} after the accuracy pass, on the run's images (MLPerf LoadGen terms). "
            "*single-stream*: one query at a time; *server*: Poisson arrivals at the target rate "
            f"(seed {plan.get('seed', 'n/a')}), latency counted from each query's **scheduled** send time, so a "
            "stalling vendor cannot hide behind coordinated omission; *offline*: throughput at a fixed concurrency. "
            "A bound is held only when the run had enough queries to show it at 99% confidence (early stopping). "
            "Failed queries count as over the bound."
        ),
        table(["Scenario", "Target q/s", "Achieved q/s", "Queries", "p50 ms", "p90 ms", "p99 ms", "max ms",
               "Answered", "Errors by kind", "Time-outs", "Latency bound"], rows),
    ]
    warnings = [f"- {escape(s['scenario'])}: {_text(w)}" for s in load for w in s.get("warnings", [])]
    if warnings:
        parts.append("Warnings:\n\n" + "\n".join(warnings))
    if doc["provenance"]["adapter"]["kind"] != "http":
        parts.append(
            "This engine ran on the harness's own machine: the figures describe that machine "
            f"({escape(doc['provenance']['machine']['cores'])} cores), not a vendor's deployment."
        )
    return "\n\n".join(parts)


def _errors(doc: Doc) -> str:
    e = doc["results"]["errors"]
    kinds = ", ".join(f"{escape(k)}: {v}" for k, v in e["by_kind"].items()) or "none"
    return (
        f"## Errors\n\n{e['ok']} of {e['calls']} calls answered "
        f"(availability {number(e['availability'], 'proportion')}). Failed calls by kind: {kinds}. "
        "Failed calls count as failures to read in every accuracy figure."
    )


_METHODS = {
    "reference-server": "checked on the reference vendor's HTTP server (loopback)",
    "vendor-sandbox": "checked through the vendor's RFP evaluation API sandbox",
    "not-tested": "not tested",
}
_CODES = (
    "PASS: demonstrated through the vendor's API. FAIL: a violation was demonstrated. PARTIAL: no data "
    "leaked, but not as the contract says. ATTESTED: backed only by the vendor's signed statement; it never "
    "counts as a pass. NOT-APPLICABLE: the capability verifiably does not exist. INCONCLUSIVE: could not be "
    "tested; re-test before award."
)
PRIVACY_HEADING = "## Does it protect the city's data?"


def _text(value: object) -> str:
    """Free text from a result (written by our suite, but it may quote a vendor): redacted, then escaped."""
    return escape(redact_text(str(value)))


def _privacy(doc: Doc) -> str | None:
    privacy = doc["results"].get("privacy")
    check = doc["provenance"].get("privacy")
    if not privacy:
        if any(r["metric"].startswith("privacy.") for r in doc["results"]["requirements"]):
            return f"{PRIVACY_HEADING}\n\nThe privacy controls were not checked in this run (privacy pass turned off)."
        return None
    counts: dict[str, int] = {}
    for c in privacy["controls"]:
        counts[c["result"]] = counts.get(c["result"], 0) + 1
    tally = ", ".join(f"{n} {code}" for code, n in sorted(counts.items(), key=lambda kv: (kv[0] != "PASS", kv[0])))
    parts = [PRIVACY_HEADING, f"**{len(privacy['controls'])} controls: {tally}.**"]
    if check:
        parts.append(_text(check["detail"]))
    rows = [
        [
            escape(c["id"]), _text(c["title"]), f"**{c['result']}**" if c["result"] != "PASS" else c["result"],
            _text(c.get("message", "")), code(c["evidence_sha256"][:16]) if c.get("evidence_sha256") else "none",
        ]
        for c in privacy["controls"]
    ]
    parts.append(table(["Control", "What the contract requires", "Result", "What was observed", "Evidence sha256"], rows))
    bundle = privacy.get("evidence_bundle_sha256")
    parts.append(
        f"Evidence: the request/response transcripts (tokens removed) are in `evidence/` beside this scorecard; "
        f"sha256 of its `MANIFEST.sha256`: `{bundle}` (the table shows the first 16 hex digits of each file's "
        "digest; check them with `cd evidence && sha256sum -c MANIFEST.sha256`)."
        if bundle else "Evidence: none (nothing was sent to a sandbox)."
    )
    parts.append(escape(_CODES))
    return "\n\n".join(parts)


_CONFORMANCE_SHOWN = 50


def _conformance(doc: Doc) -> str | None:
    findings = doc["results"].get("conformance")
    if findings is None:
        return None
    heading = "## Does it follow the published RFP evaluation API?"
    if not findings:
        return f"{heading}\n\nEvery response checked against the published OpenAPI document conformed."
    rows = [
        [escape(f["source"]), code(f"{f['method']} {f['path']}"), str(f.get("status") or ""), code(f["field"]), _text(f["message"])]
        for f in findings[:_CONFORMANCE_SHOWN]
    ]
    more = f"\n\n{len(findings) - _CONFORMANCE_SHOWN} more in `scorecard.json`." if len(findings) > _CONFORMANCE_SHOWN else ""
    return (
        f"{heading}\n\n{len(findings)} response(s) broke the published OpenAPI document (where and which rule; "
        "never a value).\n\n" + table(["Pass", "Call", "Status", "Field", "Rule broken"], rows) + more
    )


def _verdict(r: Mapping[str, Any]) -> str:
    if not r.get("applicable", True):
        return "N/A"
    return "**PASS**" if r["passed"] else "**FAIL**"


def _roadside(doc: Doc) -> str | None:
    from harness.bench.report import roadside_markdown

    return roadside_markdown(doc["results"].get("roadside"))


def _requirements(doc: Doc) -> str:
    rows = [
        [
            escape(r["id"]), escape(r["title"]), "mandatory" if r["mandatory"] else f"weight {r['weight']:g}",
            f"{code(r['metric'])} {escape(r['comparator'])} {escape(format_threshold(r['threshold']))}",
            number(r["observed"]), _verdict(r), _text(r["reason"]),
        ]
        for r in doc["results"]["requirements"]
    ]
    return "## Requirements\n\n" + table(["Id", "Requirement", "Kind", "Rule", "Observed", "Result", "Why"], rows)


def _samples(doc: Doc) -> str:
    counts: dict[str, int] = {}
    for verdict in doc["samples"].values():
        counts[verdict] = counts.get(verdict, 0) + 1
    summary = ", ".join(f"{k}: {counts.get(k, 0)}" for k in ("correct", "incorrect", "error"))
    return (
        f"## Per-sample outcomes\n\n{summary}. Keyed by image sha256 in `scorecard.json` "
        "(no plate text), for pairwise comparison with another vendor's scorecard."
    )


def _integrity(doc: Doc) -> str:
    integrity = doc.get("integrity") or {}
    signed = " Signed (Ed25519)." if integrity.get("signature") else ""
    return (
        f"## Integrity\n\nsha256 `{integrity.get('sha256', 'not sealed')}` over the "
        f"{escape(integrity.get('canonical', ''))} canonical form of `scorecard.json`.{signed} "
        "Check it with `platebench verify`."
    )


for _name, _render in (
    ("heading", _heading), ("provenance", _provenance), ("accuracy", _accuracy), ("by_tag", _by_tag),
    ("by_jurisdiction", _by_jurisdiction), ("calibration", _calibration), ("latency", _latency),
    ("load", _load), ("errors", _errors), ("privacy", _privacy), ("roadside", _roadside), ("conformance", _conformance),
    ("requirements", _requirements),
    ("samples", _samples), ("integrity", _integrity),
):
    register_section(_name, _render)
