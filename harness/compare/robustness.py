"""The comparison's robustness curves: each sweep both scorecards ran, level by level, with McNemar's exact test
between vendors at every level (perturbed images joined by sha256: the same ``--perturb-seed`` makes the same
images for every vendor)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.compare.pairwise import compare_pairs
from harness.scorecard.model import Scorecard


def robustness_comparison(labels: Sequence[str], cards: Sequence[Scorecard]) -> list[dict[str, Any]]:
    """Per operator every scorecard swept, per level every one of them has: each vendor's exact plate reads and
    the pairwise tests (Holm-corrected over the pairs of that level when more than two vendors)."""
    sections = [c.results.robustness for c in cards]
    if not sections or any(s is None for s in sections):
        return []
    out = []
    for name, first in sections[0].operators.items():  # type: ignore[union-attr]
        curves = [s.operators.get(name) for s in sections]  # type: ignore[union-attr]
        if any(c is None for c in curves):
            continue
        levels = []
        for point in first.points:
            same = [next((p for p in c.points if p.key == point.key), None) for c in curves]  # type: ignore[union-attr]
            if any(p is None for p in same):
                continue
            levels.append({
                "level": point.level,
                "key": point.key,
                "exact_read_plate": [p.figures.exact_read_plate.model_dump() for p in same],  # type: ignore[union-attr]
                "pairs": [r.to_json() for r in compare_pairs(list(labels), [p.samples for p in same])],  # type: ignore[union-attr]
            })
        out.append({"operator": name, "title": first.title, "unit": first.unit, "levels": levels})
    return out
