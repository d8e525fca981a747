"""Loading the scorecards to compare: integrity and schema first, then the same corpus, rubric and samples."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from harness.errors import UserError
from harness.redact import redact_text
from harness.scorecard.model import Scorecard
from harness.scorecard.reading import ScorecardError, read_scorecard
from harness.scorecard.signing import SignatureStatus
from harness.scorecard.words import bid_name, conditions_text, overloaded


class CompareError(UserError, ValueError):
    """The scorecards cannot be compared as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Bid:
    """One verified scorecard (redacted), who signed it, and the column label it gets in every report."""

    path: Path
    card: Scorecard
    label: str
    signature: SignatureStatus


def load_bids(
    paths: list[Path], plates: tuple[str, ...] = (), trusted: Sequence[Ed25519PublicKey] = ()
) -> list[Bid]:
    """Read and verify each scorecard (a tampered, malformed or unreadable one is refused), redact,
    label the columns."""
    if len(paths) < 2:
        raise CompareError("compare needs at least two scorecards")
    read = []
    problems: list[str] = []
    for path in paths:
        try:
            read.append(read_scorecard(path, trusted))
        except ScorecardError as exc:
            problems.extend(f"{exc.path}: {p}" for p in exc.problems)
    if problems:
        raise CompareError(
            "refusing to compare scorecards that fail verification:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    hashes = Counter(r.card.integrity.sha256 for r in read)
    if any(n > 1 for n in hashes.values()):
        raise CompareError("the same scorecard was given more than once")
    cards = [r.card.redacted(plates) for r in read]
    labels = bid_labels(cards)
    return [
        Bid(r.path, card, label, r.signature) for r, card, label in zip(read, cards, labels, strict=True)
    ]


def bid_labels(cards: list[Scorecard]) -> list[str]:
    """Each bid named by vendor and product; those that share a name also by run:
    ``Acme Reader 2 (run 20261127T000103Z-ce1c60)``."""
    names = [bid_name(c) for c in cards]
    return [
        f"{name} (run {c.provenance.run_id})" if names.count(name) > 1 else name
        for name, c in zip(names, cards, strict=True)
    ]


def mismatches(bids: list[Bid]) -> list[str]:
    """Why these scorecards are not measurements of the same thing (empty: comparable)."""
    found: list[str] = []
    first = bids[0]
    for bid in bids[1:]:
        a_corpus, b_corpus = first.card.provenance.corpus, bid.card.provenance.corpus
        if a_corpus.manifest_sha256 != b_corpus.manifest_sha256:
            found.append(
                f"different corpus: {first.label} used corpus {a_corpus.name!r} (manifest_sha256 "
                f"{a_corpus.manifest_sha256[:12]}...), {bid.label} used {b_corpus.name!r} "
                f"(manifest_sha256 {b_corpus.manifest_sha256[:12]}...)"
            )
        a_rubric, b_rubric = first.card.provenance.rubric, bid.card.provenance.rubric
        if a_rubric.sha256 != b_rubric.sha256:
            found.append(
                f"different rubric: {first.label} used rubric {a_rubric.name!r} (sha256 {a_rubric.sha256[:12]}...), "
                f"{bid.label} used {b_rubric.name!r} (sha256 {b_rubric.sha256[:12]}...)"
            )
        only_a = set(first.card.samples) - set(bid.card.samples)
        only_b = set(bid.card.samples) - set(first.card.samples)
        if only_a or only_b:
            found.append(
                f"different samples: {len(only_a)} image(s) scored only for {first.label}, "
                f"{len(only_b)} only for {bid.label} (e.g. a different --limit); pairwise tests use the images both have"
            )
    return [redact_text(f) for f in found]


def condition_differences(bids: list[Bid]) -> list[str]:
    """Ways the bids were measured under different conditions (machine, its load, calls in flight,
    kind of vendor),
    which move latency figures but not accuracy ones (empty: same conditions)."""
    found: list[str] = []
    machines = {b.label: b.card.provenance.machine for b in bids}
    described = {label: m.describe() for label, m in machines.items()}
    if len(set(described.values())) > 1:
        found.append(
            "measured on different machines: "
            + "; ".join(f"{label}: {text}" for label, text in described.items())
        )
    busy = [b for b in bids if b.card.provenance.adapter.kind != "http" and overloaded(b.card)]
    if busy and len(busy) < len(bids):
        found.append(
            "measured under different machine load: "
            + "; ".join(f"{b.label}: {conditions_text(b.card)}" for b in bids)
        )
    elif busy:
        found.append(
            "every engine on the harness's machine was measured while it was overloaded: "
            + "; ".join(f"{b.label}: {conditions_text(b.card)}" for b in busy)
        )
    timings = {b.label: b.card.results.latency.accuracy_pass.in_flight for b in bids}
    if len(set(timings.values())) > 1:
        found.append(
            "accuracy passes ran with different numbers of calls in flight: "
            + "; ".join(f"{label}: {n}" for label, n in timings.items())
        )
    kinds = {b.label: b.card.provenance.adapter.kind for b in bids}
    if len(set(kinds.values())) > 1:
        found.append(
            "different kinds of vendor (latency of an engine on the harness's machine and of a service "
            "over the network are not the same measurement): "
            + "; ".join(f"{label}: {kind}" for label, kind in kinds.items())
        )
    return [redact_text(f) for f in found]
