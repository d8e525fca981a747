"""Markdown rendering of a scorecard, for people (and for appending to a contract).

The document is a list of sections, each a function of the typed :class:`Scorecard` returning
Markdown (or ``None`` when it has nothing to say). A module that adds a result section registers
its renderer with :func:`register_section`. Every string that came from a vendor, a corpus or a
rubric is escaped with :func:`escape`, so a vendor cannot inject Markdown or HTML into the
rendering. Numbers are written by :mod:`harness.report.numbers`, words and codes come from
:mod:`harness.scorecard.words`, metric titles and order from :mod:`harness.metrics.spec`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from harness.metrics.spec import BY_GROUP, CALIBRATION, HEADLINE, LATENCY_STATS, MetricSpec
from harness.redact import redact_text
from harness.report.numbers import interval, number
from harness.rubric import format_threshold
from harness.scorecard.model import LoadScenarioResult, Scorecard
from harness.scorecard.signing import SignatureStatus, check
from harness.scorecard.words import (
    CODES,
    SCENARIO_WORDS,
    accuracy_pass_timing,
    availability_warning,
    bid_name,
    conditions_text,
    eligibility_text,
    legend,
    options_text,
    percentile_warning,
    privacy_method_text,
    requirement_verdict,
    samples_text,
    single_stream_source,
    vendor_title,
)

SectionRenderer = Callable[[Scorecard], str | None]

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


def render_markdown(card: Scorecard, signature: SignatureStatus | None = None) -> str:
    """The whole Markdown document; ``signature`` is who signed it as checked by the caller
    (default: checked against no trusted key, so a signature reads as not verified)."""
    status = signature or check(card.to_json_dict()).status
    parts = [part for _, render in _SECTIONS if (part := render(card))]
    parts.append(_integrity(card, status))
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


# --------------------------------------------------------------------------- helpers


def estimate(est: Any) -> tuple[str, str, str]:
    """(value, 95% CI, n) cells of an estimate."""
    if est is None:
        return "n/a", "", ""
    ci = interval(est.ci_low, est.ci_high, est.unit).removeprefix("95% CI ")
    return number(est.value, est.unit), ci, f"{est.n:,}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (cells already escaped)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _text(value: object) -> str:
    """Free text from a result (written by our suite, but it may quote a vendor): redacted, then escaped."""
    return escape(redact_text(str(value)))


def _metric_rows(specs: tuple[MetricSpec, ...], group: Any) -> list[list[str]]:
    return [[escape(m.title), *estimate(getattr(group, m.id))] for m in specs]


def result_code(code: str) -> str:
    """A privacy result code with its words: ``**INCONCLUSIVE** (not tested: re-test before award)``."""
    found = CODES.get(code)
    shown = code if code == "PASS" else f"**{escape(code)}**"
    return f"{shown} ({escape(found.words)})" if found else escape(code)


# --------------------------------------------------------------------------- built-in sections


def _heading(card: Scorecard) -> str:
    p = card.provenance
    score = card.results.score
    verdict = "ELIGIBLE" if score.eligible else "NOT ELIGIBLE"
    weighted = "n/a" if score.weighted is None else f"{number(score.weighted, 'proportion')} ({score.points:g} of {score.max:g} points)"
    warning = availability_warning(card)
    return (
        f"# Scorecard: {escape(bid_name(card))}\n\n"
        + (f"**WARNING**: {escape(warning)}\n\n" if warning else "")
        + f"**{verdict}**: {_text(eligibility_text(card).split(': ', 1)[1])}. Weighted score: **{weighted}**.\n\n"
        f"Scored on {samples_text(card)} of corpus {escape(p.corpus.name)}, rubric {escape(p.rubric.name)}, "
        f"run {code(p.run_id)}."
    )


def _provenance(card: Scorecard) -> str:
    p = card.provenance
    v, c = p.vendor, p.corpus
    git = p.git
    rows = [
        ["Vendor", escape(vendor_title(card))],
        ["Declared confidence threshold", number(v.declared_threshold)],
        ["Adapter", f"{escape(p.adapter.name)} ({escape(p.adapter.adapter)}, {escape(p.adapter.kind)})"],
        ["Corpus", f"{escape(c.name)} ({escape(c.format)}), {samples_text(card)} scored"],
        ["Corpus manifest sha256", f"`{c.manifest_sha256}`"],
        ["Rubric", f"{escape(p.rubric.name)}, sha256 `{p.rubric.sha256}`"],
        ["Options", escape(options_text(card))],
        ["platebench", escape(p.platebench_version) + (f", commit `{git.commit[:12]}`{' (modified)' if git.dirty else ''}" if git else "")],
        ["Machine", escape(p.machine.describe())],
        ["Machine load during the accuracy pass", escape(conditions_text(card))],
        ["Started / ended (UTC)", f"{escape(p.started_at)} / {escape(p.ended_at)}"],
    ]
    if p.privacy:
        attested = f", attestation file sha256 `{p.privacy.attestations_sha256}`" if p.privacy.attestations_sha256 else ""
        rows.insert(-2, ["Privacy controls", f"{escape(privacy_method_text(card))}{attested}"])
    return "## Provenance\n\n" + table(["", ""], rows)


def _accuracy(card: Scorecard) -> str:
    acc = card.results.accuracy
    settings = acc.settings
    note = (
        f"{acc.counts.samples} images, {acc.counts.plates} plates, {acc.counts.reads} reads. "
        f"Detection matched at IoU >= {number(settings.iou_threshold)}; top-N with N = {settings.top_n}; "
        f"intervals at {number(settings.confidence_level, 'proportion')} confidence."
    )
    return "## Accuracy\n\n" + table(["Metric", "Value", "95% CI", "n"], _metric_rows(HEADLINE, acc.overall)) + "\n\n" + escape(note)


def _groups(title: str, groups: dict[str, Any]) -> str | None:
    if not groups:
        return None
    rows = []
    for name, figs in groups.items():
        cells = [escape(name)]
        for m in BY_GROUP:
            value, ci, n = estimate(getattr(figs, m.id))
            cells.append(f"{value} ({ci}, n={n})" if ci else f"{value} (n={n})")
        rows.append(cells)
    return f"## {title}\n\n" + table(["Group", *(escape(m.title) for m in BY_GROUP)], rows)


def _by_tag(card: Scorecard) -> str | None:
    return _groups("Accuracy by tag", card.results.accuracy.by_tag)


def _by_jurisdiction(card: Scorecard) -> str | None:
    return _groups("Accuracy by jurisdiction", card.results.accuracy.by_jurisdiction)


def _calibration(card: Scorecard) -> str | None:
    cal = card.results.accuracy.calibration
    return (
        "## Confidence calibration\n\n"
        + table(["Metric", "Value", "95% CI", "n"], _metric_rows(CALIBRATION, cal))
        + f"\n\nReads with a confidence: {cal.reads_with_confidence}; "
        f"declared threshold: {number(cal.declared_threshold)}."
    )


def _with_warning(text: str, warning: str | None) -> str:
    return f"{text} (**{escape(warning)}**)" if warning else text


def _latency_table(figures: Any) -> str:
    cols = ("n", "mean", *LATENCY_STATS)
    rows = []
    for figs, label in ((figures.client_ms, "Client-observed (ms)"), (figures.vendor_ms, "Vendor-reported (ms)")):
        if not figs.n:
            continue
        cells = [str(figs.n)]
        for stat in cols[1:]:
            cells.append(_with_warning(number(getattr(figs, stat), "ms"), percentile_warning(stat, figs.n)))
        rows.append([label, *cells])
    return table(["Series", *cols], rows) if rows else "No call was timed."


def _latency(card: Scorecard) -> str | None:
    lat = card.results.latency
    timing = accuracy_pass_timing(card)
    note = (
        "Client-observed time is the engine call timed inside the worker process."
        if card.provenance.options.timing == "worker"
        else "Client-observed time is measured around each call in the harness."
    )
    parts = [
        "## Latency, one image at a time",
        f"Single-stream figures (what single-stream requirements are judged on) come from {escape(single_stream_source(card))}.",
    ]
    if lat.single_stream is not None and lat.single_stream.source != "accuracy-pass":
        parts.append(_latency_table(lat.single_stream))
    parts += [
        f"## Latency, accuracy pass ({escape(timing)})",
        _latency_table(lat.accuracy_pass),
        note
        + (
            f" These calls ran {lat.accuracy_pass.in_flight} at a time, so they are not single-stream latency."
            if lat.accuracy_pass.in_flight > 1
            else ""
        ),
    ]
    return "\n\n".join(parts)


LOAD_HEADING = "## How fast under load?"


def _bound(s: LoadScenarioResult) -> str:
    if s.latency_bound_ms is None:
        return "no bound"
    pct = f"p{100 * s.percentile:g}" if s.percentile else "percentile"
    verdict = {True: "held", False: "**not shown**", None: "n/a"}[s.bound_met]
    return f"{pct} <= {number(s.latency_bound_ms)} ms: {verdict}"  # a threshold as the city wrote it


def scenario_line(s: LoadScenarioResult) -> str:
    """One scenario in a line (for terminal summaries): rate, percentiles, errors, bound, warnings."""
    lat = s.latency_ms
    target = f"target {number(s.target_qps)} q/s, " if s.target_qps is not None else ""
    errors = sum(s.errors.values())
    warn = f" (WARNING: {'; '.join(s.warnings)})" if s.warnings else ""
    return (
        f"{s.scenario}: {target}achieved {number(s.achieved_qps)} q/s over {s.n} queries; "
        f"p50 {number(lat.get('p50'), 'ms')} ms, p99 {number(lat.get('p99'), 'ms')} ms{warn}, "
        f"max {number(lat.get('max'), 'ms')} ms; {errors} failed; {_bound(s).replace('**', '')}"
    )


def _load(card: Scorecard) -> str | None:
    load = card.results.load
    if not load:
        return None
    rows = []
    for s in load:
        lat = s.latency_ms
        kinds = ", ".join(f"{escape(k)}: {v}" for k, v in s.errors.items()) or "none"
        few = "; ".join(s.warnings) or None
        rows.append([
            escape(s.scenario), number(s.target_qps), number(s.achieved_qps),
            str(s.n) + (f" ({s.concurrency} at once)" if s.concurrency and s.concurrency > 1 else ""),
            *(number(lat.get(k), "ms") for k in ("p50", "p90")),
            _with_warning(number(lat.get("p99"), "ms"), "too few queries, see below" if few else None),
            number(lat.get("max"), "ms"),
            number(s.availability, "proportion"), kinds, str(s.timeouts), _bound(s),
        ])
    plan = card.provenance.options.load or {}
    length = f"{number(plan['duration_s'])} s" if plan.get("duration_s") else f"{plan.get('queries', 'n/a')} queries"
    described = "; ".join(f"*{escape(s.scenario)}*: {escape(SCENARIO_WORDS.get(s.scenario, s.scenario))}" for s in load)
    parts = [
        LOAD_HEADING,
        (
            f"Each scenario ran for {length} after the accuracy pass, on the run's images (MLPerf LoadGen terms). "
            f"{described}. Latency is counted from each query's **scheduled** send time, so a stalling vendor "
            "cannot hide behind coordinated omission. A bound is held only when the run had enough queries to "
            "show it at 99% confidence (early stopping). Failed queries count as over the bound."
        ),
        table(["Scenario", "Target q/s", "Achieved q/s", "Queries", "p50 ms", "p90 ms", "p99 ms", "max ms",
               "Answered", "Errors by kind", "Time-outs", "Latency bound"], rows),
    ]
    warnings = [f"- {escape(s.scenario)}: {_text(w)}" for s in load for w in s.warnings]
    if warnings:
        parts.append("Warnings:\n\n" + "\n".join(warnings))
    if card.provenance.adapter.kind != "http":
        parts.append(
            "This engine ran on the harness's own machine: the figures describe that machine "
            f"({card.provenance.machine.cores} cores), not a vendor's deployment."
        )
    return "\n\n".join(parts)


def _errors(card: Scorecard) -> str:
    e = card.results.accuracy.errors
    kinds = ", ".join(f"{escape(k)}: {round(v.value * v.n) if v.value is not None else 0}" for k, v in e.by_kind.items()) or "none"
    return (
        f"## Errors\n\n{e.calls - e.failed} of {e.calls} calls answered "
        f"(availability {number(e.availability.value, 'proportion')}). Failed calls by kind: {kinds}. "
        "Failed calls count as failures to read in every accuracy figure."
    )


PRIVACY_HEADING = "## Does it protect the city's data?"


def _privacy(card: Scorecard) -> str | None:
    privacy = card.results.privacy
    check_ = card.provenance.privacy
    if not privacy:
        if any(r.metric.startswith("privacy.") for r in card.results.requirements):
            return f"{PRIVACY_HEADING}\n\nThe privacy controls were not checked in this run (privacy pass turned off)."
        return None
    counts: dict[str, int] = {}
    for c in privacy.controls:
        counts[c.result] = counts.get(c.result, 0) + 1
    tally = ", ".join(f"{n} {code}" for code, n in sorted(counts.items(), key=lambda kv: (kv[0] != "PASS", kv[0])))
    parts = [PRIVACY_HEADING, f"**{len(privacy.controls)} controls: {tally}.** Method: {escape(privacy_method_text(card))}."]
    if check_:
        parts.append(_text(check_.detail))
    rows = [
        [
            escape(c.id), _text(c.title), result_code(c.result),
            _text(c.message), code(c.evidence_sha256[:16]) if c.evidence_sha256 else "none",
        ]
        for c in privacy.controls
    ]
    parts.append(table(["Control", "What the contract requires", "Result", "What was observed", "Evidence sha256"], rows))
    bundle = privacy.evidence_bundle_sha256
    parts.append(
        f"Evidence: the request/response transcripts (tokens removed) are in `evidence/` beside this scorecard; "
        f"sha256 of its `MANIFEST.sha256`: `{bundle}` (the table shows the first 16 hex digits of each file's "
        "digest; check them with `cd evidence && sha256sum -c MANIFEST.sha256`)."
        if bundle else "Evidence: none (nothing was sent to a sandbox)."
    )
    parts.append(escape(legend()))
    return "\n\n".join(parts)


_CONFORMANCE_SHOWN = 50


def _roadside(card: Scorecard) -> str | None:
    from harness.report.roadside import roadside_markdown

    return roadside_markdown(card.results.roadside)


def _conformance(card: Scorecard) -> str | None:
    findings = card.results.conformance
    if findings is None:
        return None
    heading = "## Does it follow the published RFP evaluation API?"
    if not findings:
        return f"{heading}\n\nEvery response checked against the published OpenAPI document conformed."
    rows = [
        [escape(f.source), code(f"{f.method} {f.path}"), str(f.status or ""), code(f.field), _text(f.message)]
        for f in findings[:_CONFORMANCE_SHOWN]
    ]
    more = f"\n\n{len(findings) - _CONFORMANCE_SHOWN} more in `scorecard.json`." if len(findings) > _CONFORMANCE_SHOWN else ""
    return (
        f"{heading}\n\n{len(findings)} response(s) broke the published OpenAPI document (where and which rule; "
        "never a value).\n\n" + table(["Pass", "Call", "Status", "Field", "Rule broken"], rows) + more
    )


def _observed(req: Any) -> str:
    if req.metric.startswith("privacy.") and isinstance(req.observed, str):
        return result_code(req.observed)
    return number(req.observed)


def _verdict(req: Any) -> str:
    verdict = requirement_verdict(req)
    return {"met": "met", "not met": "**not met**", "not applicable": "not applicable"}[verdict]


def _requirements(card: Scorecard) -> str:
    rows = [
        [
            escape(r.id), escape(r.title), "mandatory" if r.mandatory else f"weight {r.weight:g}",
            f"{code(r.metric)} {escape(r.comparator)} {escape(format_threshold(r.threshold))}",
            _observed(r), _verdict(r), _text(r.reason),
        ]
        for r in card.results.requirements
    ]
    method = f"Privacy controls checked by: {escape(privacy_method_text(card))}."
    return "## Requirements\n\n" + table(["Id", "Requirement", "Kind", "Rule", "Observed", "Result", "Why"], rows) + "\n\n" + method


def _samples(card: Scorecard) -> str:
    counts: dict[str, int] = {}
    for verdict in card.samples.values():
        counts[verdict] = counts.get(verdict, 0) + 1
    summary = ", ".join(f"{k}: {counts.get(k, 0)}" for k in ("correct", "incorrect", "error"))
    return (
        f"## Per-sample outcomes\n\n{summary} ({samples_text(card)}). Keyed by image sha256 in `scorecard.json` "
        "(no plate text), for pairwise comparison with another vendor's scorecard."
    )


def _integrity(card: Scorecard, signature: SignatureStatus) -> str:
    integrity = card.integrity
    return (
        f"## Integrity\n\nsha256 `{integrity.sha256}` over the {escape(integrity.canonical)} canonical form of "
        "`scorecard.json`. "
        f"Signature: {escape(signature.text())}. "
        "Check both with `platebench verify scorecard.json --public-key city.pub`."
    )


for _name, _render in (
    ("heading", _heading), ("provenance", _provenance), ("accuracy", _accuracy), ("by_tag", _by_tag),
    ("by_jurisdiction", _by_jurisdiction), ("calibration", _calibration), ("latency", _latency),
    ("load", _load), ("errors", _errors), ("privacy", _privacy), ("roadside", _roadside),
    ("conformance", _conformance),
    ("requirements", _requirements), ("samples", _samples),
):
    register_section(_name, _render)


from harness.report import robustness_md  # noqa: F401  (registers its sections after the ones above)
