"""``results.robustness``: how a reader degrades, one curve per perturbation sweep ("How it degrades").

Every point is the full set of accuracy figures (:func:`harness.metrics.accuracy.figures`: exact reads with
Wilson intervals, CER with a bootstrap interval...) over the perturbed images of one level, judged against
the plate labels moved with the image (:func:`harness.perturb.targets.derived_sample`). Each point also keeps
the outcome of each perturbed image by its sha256, so two vendors' curves compare pairwise (McNemar).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.corpus.model import Sample
from harness.metrics.accuracy import analyze, as_json, figures
from harness.outcome import CallOutcome
from harness.perturb.recipe import Recipe
from harness.perturb.registry import OPERATORS
from harness.perturb.sweep import Sweep, level_key
from harness.perturb.targets import derived_sample, sweep_id


def harshest(operator: str, levels: Sequence[float]) -> float:
    """The harshest of ``levels`` for ``operator``."""
    return max(levels) if OPERATORS[operator].harsher_when_higher else min(levels)


def mildest_first(operator: str, levels: Sequence[float]) -> list[float]:
    """``levels`` from the mildest to the harshest."""
    return sorted(levels, reverse=not OPERATORS[operator].harsher_when_higher)


def robustness_section(
    sweeps: Sequence[Sweep], seed: int, samples: Sequence[Sample], outcomes: Mapping[str, CallOutcome],
    derived: Mapping[str, Mapping[str, Any]], *, iou_threshold: float, declared_threshold: float | None, top_n: int,
    boxes_reported: bool,
) -> dict[str, Any]:
    """The section: the perturbation seed and, per operator, its meaning and one point per level."""
    operators: dict[str, Any] = {}
    for sweep in sweeps:
        spec = OPERATORS[sweep.operator]
        points = []
        for level in mildest_first(sweep.operator, sweep.levels):
            pairs = []
            for sample in samples:
                call = sweep_id(sample.id, sweep.operator, level)
                if call in outcomes:
                    recipe = Recipe.from_json(derived[call]["recipe"])
                    pairs.append((derived_sample(sample, call, recipe), outcomes[call]))
            results = [analyze(s, o, iou_threshold=iou_threshold, top_n=top_n, declared_threshold=declared_threshold)
                       for s, o in pairs]
            points.append({
                "level": level,
                "key": level_key(level),
                "figures": as_json(figures(results, boxes_reported=boxes_reported)),
                "not_applicable": len(samples) - len(pairs),
                "samples": {s.sha256: r.verdict for (s, _), r in zip(pairs, results, strict=True)},
            })
        worst = next(p for p in points if p["level"] == harshest(sweep.operator, sweep.levels))
        operators[sweep.operator] = {
            "title": spec.title, "condition": spec.condition, "unit": spec.unit, "level_meaning": spec.level_meaning,
            "points": points, "worst": worst["figures"], "breaking_points": [],
        }
    return {"seed": seed, "operators": operators}
