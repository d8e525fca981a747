"""Side-by-side comparison of vendors' scorecards, with paired significance tests.

:func:`build_comparison` verifies each scorecard, refuses ones made on different corpora, rubrics
or image sets (unless ``allow_mismatch``), and returns the comparison document every rendering
(``comparison.md``, ``.html``, ``.json``, ``.xlsx``, ``.csv``) is made from. See ``docs/comparison.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import __version__
from harness.compare.inputs import Bid, CompareError, load_bids, mismatches
from harness.compare.pairwise import ALPHA, compare_pairs
from harness.compare.rows import all_rows
from harness.redact import redact_text

COMPARISON_VERSION = 1

__all__ = ["COMPARISON_VERSION", "CompareError", "build_comparison"]


def _input(bid: Bid, plates: tuple[str, ...]) -> dict[str, Any]:
    p = bid.provenance
    signature = (bid.doc.get("integrity") or {}).get("signature")
    return {
        "label": bid.label,
        "file": bid.path.name,
        "vendor": redact_text(p["vendor"]["vendor"], plates),
        "product": redact_text(p["vendor"].get("product", ""), plates),
        "version": redact_text(p["vendor"].get("version", ""), plates),
        "declared_threshold": p["vendor"].get("declared_threshold"),
        "adapter": redact_text(p["adapter"]["name"], plates),
        "run_id": p["run_id"],
        "corpus": {
            "name": redact_text(p["corpus"]["name"], plates),
            "manifest_sha256": p["corpus"]["manifest_sha256"],
            "samples": p["corpus"]["samples"],
        },
        "rubric": {"name": redact_text(p["rubric"]["name"], plates), "sha256": p["rubric"]["sha256"]},
        "started_at": p["started_at"],
        "ended_at": p["ended_at"],
        "scored_samples": len(bid.doc["samples"]),
        "sha256": bid.doc["integrity"]["sha256"],
        "signed": signature is not None,
        "eligible": bid.results["score"]["eligible"],
        "weighted_score": bid.results["score"]["weighted"],
    }


def build_comparison(
    paths: list[Path], *, allow_mismatch: bool = False, plates: tuple[str, ...] = (), rfp: str | None = None
) -> tuple[dict[str, Any], list[Bid]]:
    """The comparison document (JSON-ready) and the verified scorecards it was made from.

    Raises :class:`CompareError` for a tampered or unreadable input, or (without
    ``allow_mismatch``) inputs made on different corpora, rubrics or image sets. ``plates`` are
    plate strings to redact from every vendor-provided string.
    """
    bids = load_bids(paths, plates)
    problems = mismatches(bids)
    if problems and not allow_mismatch:
        raise CompareError(
            "these scorecards do not measure the same thing, so they cannot be ranked:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nRun every vendor on the same corpus with the same rubric, or pass --allow-mismatch "
            "to compare anyway (every report will then say so)."
        )
    pairs = compare_pairs([b.label for b in bids], [b.doc["samples"] for b in bids])
    doc = {
        "comparison_version": COMPARISON_VERSION,
        "platebench_version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rfp": redact_text(rfp, plates) if rfp else None,
        "mismatch": problems,
        "inputs": [_input(b, plates) for b in bids],
        "significance": {
            "test": "McNemar's exact test on per-image correctness (images joined by sha256)",
            "alpha": ALPHA,
            "correction": "holm" if len(bids) > 2 else "none",
            "difference_ci": "paired percentile bootstrap, 95%",
        },
        "pairs": [p.to_json() for p in pairs],
        "rows": all_rows(bids, plates),
    }
    return doc, bids
