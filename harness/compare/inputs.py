"""Loading the scorecards to compare: integrity first, then the same corpus, rubric and samples."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness.scorecard.signing  # noqa: F401  (registers the signature self-check used by verify)
from harness.redact import redact_text, redact_value
from harness.scorecard.integrity import load_document, resolve_scorecard_path, verify


class CompareError(ValueError):
    """The scorecards cannot be compared as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Bid:
    """One verified scorecard and the column label it gets in every report."""

    path: Path
    doc: dict[str, Any]
    label: str

    @property
    def provenance(self) -> dict[str, Any]:
        return self.doc["provenance"]

    @property
    def results(self) -> dict[str, Any]:
        return self.doc["results"]


def load_bids(paths: list[Path], plates: tuple[str, ...] = ()) -> list[Bid]:
    """Read and verify each scorecard (a tampered or unreadable one is refused), redact, label the columns."""
    if len(paths) < 2:
        raise CompareError("compare needs at least two scorecards")
    docs: list[tuple[Path, dict[str, Any]]] = []
    problems: list[str] = []
    for path in paths:
        target = resolve_scorecard_path(path)
        doc, read_problems = load_document(path)
        found = read_problems if doc is None else verify(doc)
        if found:
            problems.extend(f"{target}: {p}" for p in found)
        else:
            docs.append((target, doc))  # type: ignore[arg-type]
    if problems:
        raise CompareError(
            "refusing to compare scorecards that fail their integrity check:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    hashes = Counter(doc["integrity"]["sha256"] for _, doc in docs)
    if any(n > 1 for n in hashes.values()):
        raise CompareError("the same scorecard was given more than once")
    labels = _labels([doc for _, doc in docs], plates)
    return [
        Bid(path, redact_value(doc, plates), label) for (path, doc), label in zip(docs, labels, strict=True)
    ]


def _labels(docs: list[dict[str, Any]], plates: tuple[str, ...]) -> list[str]:
    """Vendor names, made unique with the adapter name, then the run id, where they collide."""
    labels = [redact_text(d["provenance"]["vendor"]["vendor"], plates) for d in docs]
    if len(set(labels)) < len(labels):
        labels = [
            f"{lab} [{redact_text(d['provenance']['adapter']['name'], plates)}]"
            for lab, d in zip(labels, docs, strict=True)
        ]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} ({d['provenance']['run_id'][-6:]})" for lab, d in zip(labels, docs, strict=True)]
    return labels


def mismatches(bids: list[Bid]) -> list[str]:
    """Why these scorecards are not measurements of the same thing (empty: comparable)."""
    found: list[str] = []
    first = bids[0]
    for bid in bids[1:]:
        for what, key in (("corpus", "manifest_sha256"), ("rubric", "sha256")):
            section = "corpus" if what == "corpus" else "rubric"
            a, b = first.provenance[section][key], bid.provenance[section][key]
            if a != b:
                found.append(
                    f"different {what}: {first.label} used {what} {first.provenance[section]['name']!r} "
                    f"({key} {a[:12]}...), {bid.label} used {bid.provenance[section]['name']!r} ({key} {b[:12]}...)"
                )
        only_a = set(first.doc["samples"]) - set(bid.doc["samples"])
        only_b = set(bid.doc["samples"]) - set(first.doc["samples"])
        if only_a or only_b:
            found.append(
                f"different samples: {len(only_a)} image(s) scored only for {first.label}, "
                f"{len(only_b)} only for {bid.label} (e.g. a different --limit); pairwise tests use the images both have"
            )
    return [redact_text(f) for f in found]
