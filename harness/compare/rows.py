"""The side-by-side table: one row per requirement and headline figure, one cell per vendor.

Rows are plain dicts shared by every rendering (Markdown, HTML, CSV, XLSX, JSON)::

    {"area", "id", "title", "explain", "unit", "kind": "gate" | "weighted" | "verdict" | "metric" | "control",
     "rule", "higher_is_better", "cells": [{"value", "ci_low", "ci_high", "n", "passed", "text"}, ...]}

``value`` is always a number or ``None``; ``text`` holds codes (``PASS``, ``FAIL``...). A privacy
``control`` row's value is 1 for PASS and 0 otherwise (for spreadsheets); its code is what it says. Areas: ``requirements`` (mandatory gates first, then weighted lines),
``accuracy``, ``latency``, ``load``, ``privacy``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.compare.inputs import Bid
from harness.metrics.spec import METRICS
from harness.redact import redact_text
from harness.rubric import format_threshold

AREAS = ("requirements", "accuracy", "latency", "load", "privacy", "roadside")
OPTIONAL_AREAS = ("roadside",)
"""Areas left out of the spreadsheets when no compared scorecard has them."""

PLAIN: dict[str, str] = {
    "exact_read_plate": "Share of plates whose number was read exactly right.",
    "exact_read_image": "Share of photos in which every plate was read exactly right.",
    "top_n_read": "Share of plates whose right number was among the reader's top guesses.",
    "cer": "How many characters per plate number were wrong, on average (lower is better).",
    "detection_recall": "Share of plates the reader found in the photo at all.",
    "detection_precision": "Share of the reader's found plates that really were plates.",
    "unmatched_reads_per_1000": "Reads that matched no real plate, per 1,000 reads (lower is better).",
    "wrong_plate_per_1000": "Confident reads of a different, real-looking plate, per 1,000: the misreads that "
    "can send police after an innocent driver (lower is better).",
    "availability": "Share of requests the reader answered.",
    "error_rate": "Share of requests that failed (lower is better).",
    "ece": "How far the reader's confidence is from how often it is really right (lower is better).",
    "brier": "Confidence and correctness combined in one error score (lower is better).",
    "declared_precision": "At the confidence level the vendor told us to act on: share of reads that were right.",
    "declared_recall": "At the confidence level the vendor told us to act on: share of plates read right.",
}

HEADLINE_ACCURACY = (
    "exact_read_plate",
    "exact_read_image",
    "top_n_read",
    "cer",
    "detection_recall",
    "detection_precision",
    "unmatched_reads_per_1000",
    "wrong_plate_per_1000",
)
LATENCY_STATS = ("p50", "p90", "p95", "p99", "max")


def _cell(
    value: Any = None, *, ci: Any = None, n: Any = None, passed: bool | None = None, text: str | None = None
) -> dict[str, Any]:
    low, high = ci if isinstance(ci, list | tuple) and len(ci) == 2 else (None, None)
    return {
        "value": float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None,
        "ci_low": low,
        "ci_high": high,
        "n": n if isinstance(n, int) else None,
        "passed": passed,
        "text": text,
    }


def _estimate_cell(est: Any) -> dict[str, Any]:
    if not isinstance(est, Mapping):
        return _cell()
    return _cell(
        est.get("value"),
        ci=[est.get("ci_low"), est.get("ci_high")] if est.get("ci_low") is not None else None,
        n=est.get("n"),
    )


def _row(
    area: str,
    rid: str,
    title: str,
    explain: str,
    unit: str,
    cells: list[dict[str, Any]],
    *,
    kind: str = "metric",
    rule: str | None = None,
    higher_is_better: bool | None = None,
) -> dict[str, Any]:
    return {
        "area": area,
        "id": rid,
        "title": title,
        "explain": explain,
        "unit": unit,
        "kind": kind,
        "rule": rule,
        "higher_is_better": higher_is_better,
        "cells": cells,
    }


def _verdict_text(req: Mapping[str, Any]) -> str:
    if not req.get("applicable", True):
        return "N/A"
    return "PASS" if req["passed"] else "FAIL"


def requirement_rows(bids: list[Bid], plates: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every rubric line (from the first scorecard's rubric), mandatory gates first."""
    order: list[dict[str, Any]] = []
    seen: set[str] = set()
    for bid in bids:
        for req in bid.results["requirements"]:
            if req["id"] not in seen:
                seen.add(req["id"])
                order.append(req)
    order.sort(key=lambda r: not r["mandatory"])  # stable: gates first, rubric order kept
    rows = []
    for req in order:
        cells = []
        for bid in bids:
            mine = next((r for r in bid.results["requirements"] if r["id"] == req["id"]), None)
            cells.append(
                _cell()
                if mine is None
                else _cell(mine["observed"], passed=mine["passed"], text=_verdict_text(mine))
            )
        rule = f"{req['metric']} {req['comparator']} {format_threshold(req['threshold'])}"
        kind = "gate" if req["mandatory"] else "weighted"
        explain = (
            "Mandatory: a bid that fails it cannot be awarded."
            if req["mandatory"]
            else f"Worth {req['weight']:g} point(s) when met."
        )
        metric_id = (
            req["metric"].split(".")[-2] if req["metric"].endswith(".value") else req["metric"].split(".")[-1]
        )
        spec = METRICS.get(metric_id)
        rows.append(
            _row(
                "requirements",
                redact_text(req["id"], plates),
                redact_text(req["title"], plates),
                explain,
                spec.unit if spec else "",
                cells,
                kind=kind,
                rule=redact_text(rule, plates),
                higher_is_better=req["comparator"] in (">=", ">"),
            )
        )
    return rows


def verdict_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Eligibility and the weighted rubric score."""
    eligible = [
        _cell(
            1.0 if b.results["score"]["eligible"] else 0.0,
            passed=b.results["score"]["eligible"],
            text="ELIGIBLE" if b.results["score"]["eligible"] else "INELIGIBLE",
        )
        for b in bids
    ]
    score = [_cell(b.results["score"]["weighted"]) for b in bids]
    points = [
        _cell(
            b.results["score"]["points"],
            text=f"{b.results['score']['points']:g} of {b.results['score']['max']:g}",
        )
        for b in bids
    ]
    return [
        _row(
            "requirements",
            "eligible",
            "Eligible (every mandatory requirement met)",
            "A bid that fails any mandatory requirement cannot be awarded.",
            "",
            eligible,
            kind="verdict",
        ),
        _row(
            "requirements",
            "weighted_score",
            "Weighted rubric score",
            "Points of the weighted requirements met, out of all points.",
            "proportion",
            score,
            kind="verdict",
            higher_is_better=True,
        ),
        _row(
            "requirements",
            "points",
            "Rubric points",
            "Weights of the weighted requirements met.",
            "points",
            points,
            kind="verdict",
            higher_is_better=True,
        ),
    ]


def _metric_row(area: str, metric_id: str, bids: list[Bid], get: Callable[[Bid], Any]) -> dict[str, Any]:
    spec = METRICS[metric_id]
    return _row(
        area,
        metric_id,
        spec.title,
        PLAIN.get(metric_id, spec.description),
        spec.unit,
        [_estimate_cell(get(b)) for b in bids],
        higher_is_better=spec.higher_is_better,
    )


def accuracy_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Headline accuracy, calibration and error figures."""
    rows = [
        _metric_row("accuracy", m, bids, lambda b, m=m: b.results["accuracy"].get("overall", {}).get(m))
        for m in HEADLINE_ACCURACY
    ]
    for m in ("ece", "brier", "declared_precision", "declared_recall"):
        rows.append(
            _metric_row(
                "accuracy", m, bids, lambda b, m=m: (b.results["accuracy"].get("calibration") or {}).get(m)
            )
        )
    for m in ("availability", "error_rate"):
        rows.append(
            _metric_row(
                "accuracy", m, bids, lambda b, m=m: (b.results["accuracy"].get("errors") or {}).get(m)
            )
        )
    return rows


def latency_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Single-stream latency percentiles, client-observed and vendor-reported."""
    rows = []
    for series, who in (("client_ms", "measured by the harness"), ("vendor_ms", "reported by the vendor")):
        for stat in LATENCY_STATS:
            cells = []
            for b in bids:
                figs = b.results["latency"]["single_stream"].get(series) or {}
                cells.append(_cell(figs.get(stat), ci=figs.get(f"{stat}_ci"), n=figs.get("n")))
            pct = "slowest" if stat == "max" else f"{stat[1:]}th percentile"
            rows.append(
                _row(
                    "latency",
                    f"{series}.{stat}",
                    f"One image at a time, {pct} (ms, {who})",
                    f"{'The slowest answer' if stat == 'max' else f'{stat[1:]}% of answers came at least this fast'}, "
                    f"in milliseconds, {who}.",
                    "ms",
                    cells,
                    higher_is_better=False,
                )
            )
    return rows


def load_rows(bids: list[Bid], plates: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per load scenario: achieved throughput, p99 latency, errors, latency bound met."""
    scenarios: list[str] = []
    for b in bids:
        for s in b.results.get("load") or []:
            if s["scenario"] not in scenarios:
                scenarios.append(s["scenario"])
    rows = []
    for name in scenarios:
        found = [next((s for s in b.results.get("load") or [] if s["scenario"] == name), None) for b in bids]
        label = redact_text(name, plates)
        rows += [
            _row(
                "load",
                f"{label}.achieved_qps",
                f"{label}: images per second handled",
                "Requests per second the vendor actually answered.",
                "per second",
                [_cell(s["achieved_qps"], n=s["n"]) if s else _cell() for s in found],
                higher_is_better=True,
            ),
            _row(
                "load",
                f"{label}.p99",
                f"{label}: 99th percentile latency (ms)",
                "99% of answers came at least this fast, counted from when each request was due.",
                "ms",
                [_cell(s["latency_ms"].get("p99"), n=s["n"]) if s else _cell() for s in found],
                higher_is_better=False,
            ),
            _row(
                "load",
                f"{label}.errors",
                f"{label}: failed requests",
                "Requests that got no usable answer.",
                "requests",
                [
                    _cell(sum(s.get("errors", {}).values()) + s.get("timeouts", 0), n=s["n"])
                    if s
                    else _cell()
                    for s in found
                ],
                higher_is_better=False,
            ),
            _row(
                "load",
                f"{label}.bound_met",
                f"{label}: latency bound met",
                "Whether the latency limit was kept at this load.",
                "",
                [
                    _cell(
                        None if s is None or s.get("bound_met") is None else float(s["bound_met"]),
                        passed=None if s is None else s.get("bound_met"),
                        text=None
                        if s is None or s.get("bound_met") is None
                        else ("yes" if s["bound_met"] else "no"),
                    )
                    for s in found
                ],
            ),
        ]
    return rows


def privacy_rows(bids: list[Bid], plates: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per privacy control: PASS, FAIL, PARTIAL, ATTESTED, NOT-APPLICABLE or INCONCLUSIVE."""
    controls: dict[str, str] = {}
    for b in bids:
        for c in (b.results.get("privacy") or {}).get("controls", []):
            controls.setdefault(c["id"], c["title"])
    rows = []
    for cid, title in controls.items():
        cells = []
        for b in bids:
            c = next(
                (c for c in (b.results.get("privacy") or {}).get("controls", []) if c["id"] == cid), None
            )
            cells.append(
                _cell(
                    None if c is None else float(c["result"] == "PASS"),
                    passed=None if c is None else c["result"] == "PASS",
                    text=None if c is None else c["result"],
                )
            )
        rows.append(
            _row(
                "privacy",
                redact_text(cid, plates),
                redact_text(title, plates),
                "PASS only when shown through the vendor's test system; ATTESTED is a promise, not a pass.",
                "",
                cells,
                kind="control",
            )
        )
    return rows


def roadside_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """The camera bench's figures for the bench as a whole (its worst camera and route); none when no
    bid was benched."""
    from harness.bench.report import ROUTE_COLUMNS

    if not any(b.results.get("roadside") for b in bids):
        return []
    explain = {
        "capture_rate": "Share of the vehicles shown to the camera that it reported at all.",
        "exact_read_rate": "Share of the vehicles shown whose plate the camera reported exactly right.",
        "duplicates_per_pass": "Extra reports of the same vehicle, per vehicle (lower is better).",
        "phantoms_per_hour": "Reports of plates nobody showed, per hour (lower is better).",
        "latency_p50_s": "Half of the reports arrived within this many seconds of the plate passing.",
        "latency_p95_s": "95% of the reports arrived within this many seconds of the plate passing.",
        "latency_p99_s": "99% of the reports arrived within this many seconds of the plate passing.",
        "clock_offset_s": "How far the camera's clock is from the true time (seconds; 0 is best).",
        "clock_spread_s": "How much that offset varies between reports (seconds, lower is better).",
    }
    rows = []
    for key, title in ROUTE_COLUMNS:
        cells = [_estimate_cell((b.results.get("roadside") or {}).get(key)) for b in bids]
        first = next(((b.results.get("roadside") or {}).get(key) for b in bids if (b.results.get("roadside") or {}).get(key)), None)
        rows.append(_row("roadside", key, f"{title}, worst camera", explain[key], (first or {}).get("unit", ""), cells,
                         higher_is_better=(first or {}).get("higher_is_better")))
    return rows


def all_rows(bids: list[Bid], plates: tuple[str, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    """Rows by area; ``requirements`` starts with the gates, then weighted lines, then the verdict."""
    return {
        "requirements": requirement_rows(bids, plates) + verdict_rows(bids),
        "accuracy": accuracy_rows(bids),
        "latency": latency_rows(bids),
        "load": load_rows(bids, plates),
        "privacy": privacy_rows(bids, plates),
        "roadside": roadside_rows(bids),
    }
