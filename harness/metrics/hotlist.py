"""``results.hotlist``: how often a reader's confident reads would raise a hotlist alert on an innocent plate.

A hotlist is simulated from the corpus labels: for every labelled plate, near-miss plates are planted on it
(every plate one confusable glyph away: 0/O, 8/B, 1/I, 5/S, 2/Z, and one plate one random character away),
leaving out every true plate of the corpus. No true plate is on the list, so every alert is raised on an
innocent plate: a confident read that turned a passing plate into a listed one. The rate is per 10,000
confident reads, with a Wilson interval. This is a worst case for the listed plates (each passing plate has its
near misses listed); a real list is sparser, so the real rate scales with the share of near misses listed.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from harness.corpus.model import Sample
from harness.metrics.accuracy import is_confident
from harness.metrics.stats import wilson
from harness.outcome import CallOutcome
from vendor_adapters.base import normalize_plate_text

CONFUSABLE = {"0": "O", "O": "0", "8": "B", "B": "8", "1": "I", "I": "1", "5": "S", "S": "5", "2": "Z", "Z": "2"}
"""Glyph pairs readers confuse (and plate fonts make alike)."""
UNIT = "per 10,000"
_ALPHABET = string.ascii_uppercase + string.digits
SEED = 0x4071


def near_misses(text: str, rng: np.random.Generator) -> dict[str, str]:
    """Near-miss plates of ``text`` by kind: every single confusable swap, and one random one-character change."""
    out = {text[:i] + CONFUSABLE[c] + text[i + 1:]: "confusable" for i, c in enumerate(text) if c in CONFUSABLE}
    position = int(rng.integers(len(text)))
    choices = [c for c in _ALPHABET if c != text[position]]
    out.setdefault(text[:position] + choices[int(rng.integers(len(choices)))] + text[position + 1:], "one-off")
    return out


def build_hotlist(samples: Sequence[Sample]) -> dict[str, str]:
    """Listed plate -> kind of near miss, for every labelled plate of ``samples`` (true plates left out)."""
    rng = np.random.default_rng(SEED)
    truths = {normalize_plate_text(p.text) for s in samples for p in s.plates}
    listed: dict[str, str] = {}
    for text in sorted(truths):
        if text:
            for plate, kind in near_misses(text, rng).items():
                listed.setdefault(plate, kind)
    return {plate: kind for plate, kind in listed.items() if plate not in truths}


def _rate(events: int, n: int) -> dict[str, Any]:
    p = wilson(events, n)
    scale = (lambda x: None if x is None else 10000.0 * x)
    return {"value": scale(p.value), "n": n, "ci_low": scale(p.ci_low), "ci_high": scale(p.ci_high), "unit": UNIT,
            "higher_is_better": False, "method": "wilson x 10000"}


def hotlist_section(pairs: Sequence[tuple[Sample, CallOutcome]], declared_threshold: float | None) -> dict[str, Any]:
    """The section over the accuracy pass's reads."""
    hotlist = build_hotlist([s for s, _ in pairs])
    reads = [r for _, o in pairs for r in o.reads if is_confident(r, declared_threshold)]
    kinds = [hotlist.get(normalize_plate_text(r.text)) for r in reads]
    alerts = sum(k is not None for k in kinds)
    return {
        "listed": len(hotlist),
        "confident_reads": len(reads),
        "alerts": alerts,
        "false_alerts_per_10000": _rate(alerts, len(reads)),
        "by_kind": {kind: _rate(kinds.count(kind), len(reads)) for kind in ("confusable", "one-off")},
        "rule": ("hotlist: every plate one confusable glyph (0/O, 8/B, 1/I, 5/S, 2/Z) away from a labelled plate, and "
                 "one plate one random character away; no true plate listed; alerts = confident reads on the list"),
    }


def by_tag_note(section: Mapping[str, Any]) -> str:
    """One line for reports: alerts per 10,000 confident reads with its interval."""
    rate = section["false_alerts_per_10000"]
    if rate["value"] is None:
        return "no confident read"
    return f"{rate['value']:.1f} per 10,000 confident reads (95% CI {rate['ci_low']:.1f}-{rate['ci_high']:.1f})"
