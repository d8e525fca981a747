"""Side-by-side comparison of vendors' scorecards, with paired significance tests.

:func:`build_comparison` verifies each scorecard, refuses ones made on different corpora, rubrics
or image sets (unless ``allow_mismatch``), and returns the comparison document every rendering
(``comparison.md``, ``.html``, ``.json``, ``.xlsx``, ``.csv``) is made from. See ``docs/comparison.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from harness import __version__
from harness.compare.inputs import Bid, CompareError, condition_differences, load_bids, mismatches
from harness.compare.pairwise import ALPHA, compare_pairs
from harness.compare.robustness import robustness_comparison
from harness.compare.rows import all_rows
from harness.redact import redact_text
from harness.scorecard.words import (
    accuracy_pass_timing,
    availability_warning,
    eligibility_text,
    flaws_text,
    privacy_method_text,
    single_stream_source,
)

COMPARISON_VERSION = 2
TITLE_PAGE_NAMED = 4
"""Failed mandatory requirements named per bid where space is short (title pages, terminal lines)."""

__all__ = ["COMPARISON_VERSION", "CompareError", "build_comparison"]


def _input(bid: Bid) -> dict[str, Any]:
    p = bid.card.provenance
    return {
        "label": bid.label,
        "file": bid.path.name,
        "vendor": p.vendor.vendor,
        "product": p.vendor.product,
        "version": p.vendor.version,
        "declared_threshold": p.vendor.declared_threshold,
        "adapter": p.adapter.name,
        "kind": p.adapter.kind,
        "run_id": p.run_id,
        "corpus": {"name": p.corpus.name, "manifest_sha256": p.corpus.manifest_sha256, "samples": p.corpus.samples},
        "rubric": {"name": p.rubric.name, "sha256": p.rubric.sha256},
        "started_at": p.started_at,
        "ended_at": p.ended_at,
        "scored_samples": bid.card.scored,
        "sha256": bid.card.integrity.sha256,
        "signature": {
            "state": bid.signature.state,
            "signer": bid.signature.signer,
            "text": bid.signature.text(),
        },
        "eligible": bid.card.results.score.eligible,
        "eligibility": eligibility_text(bid.card),
        "eligibility_short": eligibility_text(bid.card, named=TITLE_PAGE_NAMED),
        "weighted_score": bid.card.results.score.weighted,
        "privacy_method": privacy_method_text(bid.card),
        "latency_timing": accuracy_pass_timing(bid.card),
        "single_stream_source": single_stream_source(bid.card),
        "flaws": flaws_text(bid.card),
        "availability_warning": availability_warning(bid.card),
    }


def build_comparison(
    paths: list[Path],
    *,
    allow_mismatch: bool = False,
    plates: tuple[str, ...] = (),
    rfp: str | None = None,
    trusted: Sequence[Ed25519PublicKey] = (),
) -> tuple[dict[str, Any], list[Bid]]:
    """The comparison document (JSON-ready) and the verified scorecards it was made from.

    Raises :class:`CompareError` for a tampered or unreadable input, or (without
    ``allow_mismatch``) inputs made on different corpora, rubrics or image sets. ``plates`` are
    plate strings to redact from every vendor-provided string; ``trusted`` the public keys a signature
    must be made with to read as verified.
    """
    bids = load_bids(paths, plates, trusted)
    problems = mismatches(bids)
    if problems and not allow_mismatch:
        raise CompareError(
            "these scorecards do not measure the same thing, so they cannot be ranked:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nRun every vendor on the same corpus with the same rubric, or pass --allow-mismatch "
            "to compare anyway (every report will then say so)."
        )
    pairs = compare_pairs([b.label for b in bids], [b.card.samples for b in bids])
    doc = {
        "comparison_version": COMPARISON_VERSION,
        "platebench_version": __version__,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rfp": redact_text(rfp, plates) if rfp else None,
        "mismatch": problems,
        "conditions": condition_differences(bids),
        "eligible_bids": [b.label for b in bids if b.card.results.score.eligible],
        "inputs": [_input(b) for b in bids],
        "significance": {
            "test": "McNemar's exact test on per-image correctness (images joined by sha256)",
            "alpha": ALPHA,
            "correction": "holm" if len(bids) > 2 else "none",
            "difference_ci": "paired percentile bootstrap, 95%",
        },
        "pairs": [p.to_json() for p in pairs],
        "rows": all_rows(bids),
        "robustness": robustness_comparison([b.label for b in bids], [b.card for b in bids]),
    }
    return doc, bids
