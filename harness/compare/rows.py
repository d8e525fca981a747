"""The side-by-side table: one row per requirement and headline figure, one cell per bid.

Rows are plain dicts shared by every rendering (Markdown, HTML, CSV, XLSX, JSON)::

    {"area", "id", "title", "explain", "unit", "kind": "gate" | "weighted" | "verdict" | "metric" | "control",
     "rule", "higher_is_better", "cells": [{"value", "ci_low", "ci_high", "n", "passed", "text", "code",
     "note", "warning"}, ...]}

``value`` is always a number or ``None``. ``code`` is a privacy result code (``PASS``,
``INCONCLUSIVE``...) where the row is about a control, so an untested control never shows as a
failed one; ``text`` is the requirement's verdict (``met``, ``not met``, ``not applicable``) or a
word that stands for the value; ``note`` what was observed (a control's message, a requirement's
reason); ``warning`` a caveat that belongs next to the figure (too few samples for a percentile).
Metric titles, plain wording and order come from :mod:`harness.metrics.spec`. Areas:
``requirements`` (mandatory gates first, then weighted lines, then the verdict), ``accuracy``,
``latency``, ``load``, ``privacy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.compare.inputs import Bid
from harness.metrics.spec import (
    CALIBRATION,
    ERRORS,
    HEADLINE,
    LATENCY_STATS,
    METRICS,
    MetricSpec,
    latency_title,
)
from harness.rubric import format_threshold
from harness.scorecard.model import LoadScenarioResult, RequirementResult, Scorecard
from harness.scorecard.words import (
    SCENARIO_WORDS,
    eligibility_text,
    flaws_text,
    load_warning,
    percentile_warning,
    privacy_method_text,
    requirement_verdict,
)

AREAS = ("requirements", "accuracy", "latency", "load", "privacy", "roadside")
OPTIONAL_AREAS = ("roadside",)
"""Areas left out of the spreadsheets when no compared scorecard has them."""
PRIVACY_PREFIX = "privacy.controls."


def cell(
    value: Any = None,
    *,
    ci: Any = None,
    n: Any = None,
    passed: bool | None = None,
    text: str | None = None,
    code: str | None = None,
    note: str | None = None,
    warning: str | None = None,
) -> dict[str, Any]:
    """One table cell (see the module docstring)."""
    low, high = ci if isinstance(ci, list | tuple) and len(ci) == 2 else (None, None)
    return {
        "value": float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None,
        "ci_low": low,
        "ci_high": high,
        "n": n if isinstance(n, int) else None,
        "passed": passed,
        "text": text,
        "code": code,
        "note": note,
        "warning": warning,
    }


def _estimate_cell(est: Any) -> dict[str, Any]:
    if est is None:
        return cell()
    return cell(est.value, ci=[est.ci_low, est.ci_high] if est.ci_low is not None else None, n=est.n)


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


def requirement_metric(req: RequirementResult) -> MetricSpec | None:
    """The metric a requirement is about, when it is one of the spec's."""
    parts = req.metric.split(".")
    metric_id = parts[-2] if parts[-1] in ("value", "ci_low", "ci_high", "n") else parts[-1]
    return METRICS.get(metric_id)


def _estimate_at(card: Scorecard, metric: str) -> Any:
    """The estimate a requirement's metric path points into (for its n and interval), or ``None``."""
    node: Any = card.results
    for part in metric.split("."):
        if part in ("value", "ci_low", "ci_high", "n") and hasattr(node, "ci_low"):
            break
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            return None
    return node if hasattr(node, "ci_low") and hasattr(node, "n") else None


def requirement_cell(req: RequirementResult | None, card: Scorecard | None = None) -> dict[str, Any]:
    """A requirement's cell: the observed value (or a control's result code) with the n and interval
    of its estimate, the verdict, and why."""
    if req is None:
        return cell(text="not in this rubric")
    verdict = requirement_verdict(req)
    passed = None if verdict == "not applicable" else req.passed
    if req.metric.startswith(PRIVACY_PREFIX):
        code = req.observed if isinstance(req.observed, str) else None
        observed = _control_message(card, req.metric) if card is not None else None
        return cell(passed=passed, text=verdict, code=code, note=observed or req.reason)
    value = req.observed if isinstance(req.observed, int | float) and not isinstance(req.observed, bool) else None
    text = verdict
    if isinstance(req.observed, bool):
        text = f"{'yes' if req.observed else 'no'}: {verdict}"
    est = _estimate_at(card, req.metric) if card is not None else None
    ci = [est.ci_low, est.ci_high] if est is not None and est.ci_low is not None else None
    note = None if value is not None else req.reason  # a value and its rule speak for themselves
    return cell(value, ci=ci, n=est.n if est is not None else None, passed=passed, text=text, note=note)


def _control_message(card: Scorecard, metric: str) -> str | None:
    """What was observed for the control a privacy requirement names (its message)."""
    control_id = metric.removeprefix(PRIVACY_PREFIX).rpartition(".")[0]
    controls = card.results.privacy.controls if card.results.privacy else []
    found = next((c for c in controls if c.id == control_id), None)
    return found.message or None if found else None


def requirement_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Every rubric line (in the first scorecard's rubric order), mandatory gates first."""
    order: list[RequirementResult] = []
    seen: set[str] = set()
    for bid in bids:
        for req in bid.card.results.requirements:
            if req.id not in seen:
                seen.add(req.id)
                order.append(req)
    order.sort(key=lambda r: not r.mandatory)  # stable: gates first, rubric order kept
    rows = []
    for req in order:
        cells = [
            requirement_cell(next((r for r in bid.card.results.requirements if r.id == req.id), None), bid.card)
            for bid in bids
        ]
        spec = requirement_metric(req)
        rows.append(
            _row(
                "requirements",
                req.id,
                req.title,
                "Mandatory: a bid that fails it cannot be awarded."
                if req.mandatory
                else f"Worth {req.weight:g} point(s) when met.",
                spec.unit if spec else "",
                cells,
                kind="gate" if req.mandatory else "weighted",
                rule=f"{req.metric} {req.comparator} {format_threshold(req.threshold)}",
                higher_is_better=req.comparator in (">=", ">"),
            )
        )
    return rows


def verdict_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Eligibility (naming the gates failed), the weighted rubric score, how privacy was checked and
    the deliberate flaws of a demonstration bid."""
    eligible = [
        cell(
            1.0 if b.card.results.score.eligible else 0.0,
            passed=b.card.results.score.eligible,
            text="ELIGIBLE" if b.card.results.score.eligible else "INELIGIBLE",
            note=eligibility_text(b.card),
        )
        for b in bids
    ]
    score = [_score_cell(b.card) for b in bids]
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
            "privacy_method",
            "How the privacy controls were checked",
            "A PASS means the control was shown to work through this route.",
            "",
            [cell(text=privacy_method_text(b.card)) for b in bids],
            kind="verdict",
        ),
        _row(
            "requirements",
            "flaws",
            "Deliberate flaws (demonstration runs only)",
            "Flaws the harness built into the reference server on purpose, to show what a failing bid looks like.",
            "",
            [cell(text=flaws_text(b.card)) for b in bids],
            kind="verdict",
        ),
    ]


def _score_cell(card: Scorecard) -> dict[str, Any]:
    s = card.results.score
    return cell(s.weighted, text=f"{s.points:g} of {s.max:g} points")


def _metric_row(area: str, spec: MetricSpec, bids: list[Bid], get: Callable[[Scorecard], Any]) -> dict[str, Any]:
    return _row(
        area,
        spec.id,
        spec.title,
        spec.plain or spec.description,
        spec.unit,
        [_estimate_cell(get(b.card)) for b in bids],
        higher_is_better=spec.higher_is_better,
    )


def accuracy_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Headline accuracy, calibration and error figures (spec order)."""
    rows = [
        _metric_row("accuracy", m, bids, lambda c, m=m: getattr(c.results.accuracy.overall, m.id))
        for m in HEADLINE
    ]
    rows += [
        _metric_row("accuracy", m, bids, lambda c, m=m: getattr(c.results.accuracy.calibration, m.id))
        for m in CALIBRATION
    ]
    rows += [
        _metric_row("accuracy", m, bids, lambda c, m=m: getattr(c.results.accuracy.errors, m.id)) for m in ERRORS
    ]
    return rows


LATENCY_SETS = (
    ("single_stream", "One image at a time", "With exactly one call in flight (what single-stream requirements judge)"),
    ("accuracy_pass", "Accuracy pass", "Every call of the accuracy pass, as many at once as it ran (see its n and the note)"),
)


def _latency_figures(card: Scorecard, which: str, series: str) -> Any:
    figures = getattr(card.results.latency, which)
    return None if figures is None else getattr(figures, series)


def latency_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Latency percentiles with one call in flight, then of the accuracy pass as it ran; client-observed
    and vendor-reported (a series no bid has is left out)."""
    rows = []
    for which, name, meaning in LATENCY_SETS:
        for series, who in (("client_ms", "measured by the harness"), ("vendor_ms", "reported by the vendor")):
            found = [_latency_figures(b.card, which, series) for b in bids]
            if not any(f is not None and f.n for f in found):
                continue
            for stat in LATENCY_STATS:
                cells = [
                    cell()
                    if figs is None
                    else cell(
                        getattr(figs, stat),
                        ci=getattr(figs, f"{stat}_ci", None),
                        n=figs.n,
                        warning=percentile_warning(stat, figs.n),
                    )
                    for figs in found
                ]
                rows.append(
                    _row(
                        "latency",
                        f"{which}.{series}.{stat}",
                        f"{name}, {latency_title(stat)} (ms, {who})",
                        f"{meaning}. "
                        f"{'The slowest answer' if stat == 'max' else f'{stat[1:]}% of answers came at least this fast'}, "
                        f"in milliseconds, {who}.",
                        "ms",
                        cells,
                        higher_is_better=False,
                    )
                )
    return rows


def load_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """Per load scenario: achieved throughput, p99 latency, errors, latency bound met."""
    scenarios: list[str] = []
    for b in bids:
        for s in b.card.results.load or []:
            if s.scenario not in scenarios:
                scenarios.append(s.scenario)
    rows = []
    for name in scenarios:
        found: list[LoadScenarioResult | None] = [
            next((s for s in b.card.results.load or [] if s.scenario == name), None) for b in bids
        ]
        words = SCENARIO_WORDS.get(name, name)
        rows += [
            _row(
                "load",
                f"{name}.achieved_qps",
                f"{name}: images per second handled",
                f"{words}. Requests per second the vendor actually answered.",
                "per second",
                [cell(s.achieved_qps, n=s.n) if s else cell() for s in found],
                higher_is_better=True,
            ),
            _row(
                "load",
                f"{name}.p99",
                f"{name}: 99th percentile latency (ms)",
                "99% of answers came at least this fast, counted from when each request was due.",
                "ms",
                [
                    cell(s.latency_ms.get("p99"), n=s.n, warning=load_warning(s)) if s else cell()
                    for s in found
                ],
                higher_is_better=False,
            ),
            _row(
                "load",
                f"{name}.errors",
                f"{name}: failed requests",
                "Requests that got no usable answer.",
                "requests",
                [cell(sum(s.errors.values()) + s.timeouts, n=s.n) if s else cell() for s in found],
                higher_is_better=False,
            ),
            _row(
                "load",
                f"{name}.bound_met",
                f"{name}: latency bound met",
                "Whether the latency limit was kept at this load.",
                "",
                [
                    cell(
                        None if s is None or s.bound_met is None else float(s.bound_met),
                        passed=None if s is None else s.bound_met,
                        text="no bound set" if s is not None and s.bound_met is None else (
                            None if s is None else ("yes" if s.bound_met else "no")
                        ),
                    )
                    for s in found
                ],
            ),
        ]
    return rows


def privacy_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """One row per privacy control: its result code and what was observed, per bid."""
    controls: dict[str, str] = {}
    for b in bids:
        for c in b.card.results.privacy.controls if b.card.results.privacy else []:
            controls.setdefault(c.id, c.title)
    rows = []
    for cid, title in controls.items():
        cells = []
        for b in bids:
            found = b.card.results.privacy.controls if b.card.results.privacy else []
            c = next((c for c in found if c.id == cid), None)
            cells.append(
                cell(text="not run")
                if c is None
                else cell(
                    float(c.result == "PASS"),
                    passed={"PASS": True, "FAIL": False}.get(c.result),
                    code=c.result,
                    note=c.message or None,
                )
            )
        rows.append(
            _row(
                "privacy",
                cid,
                title,
                "PASS only when shown through the vendor's test system; ATTESTED is a promise, not a pass.",
                "",
                cells,
                kind="control",
            )
        )
    return rows


_ROADSIDE_EXPLAIN = {
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


def _roadside_cell(figure: Any) -> dict[str, Any]:
    """A roadside figure (a JSON estimate: value, ci_low, ci_high, n) as a cell."""
    if not isinstance(figure, dict):
        return cell()
    low, high = figure.get("ci_low"), figure.get("ci_high")
    return cell(figure.get("value"), ci=[low, high] if low is not None else None, n=figure.get("n"))


def roadside_rows(bids: list[Bid]) -> list[dict[str, Any]]:
    """The camera bench's figures for the bench as a whole (its worst camera and route); none when no
    bid was benched."""
    from harness.metrics.roadside import ROUTE_COLUMNS

    sections = [b.card.results.roadside or {} for b in bids]
    if not any(sections):
        return []
    rows = []
    for key, title in ROUTE_COLUMNS:
        first = next((s[key] for s in sections if s.get(key)), None) or {}
        rows.append(_row("roadside", key, f"{title}, worst camera", _ROADSIDE_EXPLAIN[key], first.get("unit", ""),
                         [_roadside_cell(s.get(key)) for s in sections],
                         higher_is_better=first.get("higher_is_better")))
    return rows


def all_rows(bids: list[Bid]) -> dict[str, list[dict[str, Any]]]:
    """Rows by area; ``requirements`` starts with the gates, then weighted lines, then the verdict."""
    return {
        "requirements": requirement_rows(bids) + verdict_rows(bids),
        "accuracy": accuracy_rows(bids),
        "latency": latency_rows(bids),
        "load": load_rows(bids),
        "privacy": privacy_rows(bids),
        "roadside": roadside_rows(bids),
    }
