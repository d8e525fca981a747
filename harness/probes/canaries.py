"""The published copy of a corpus, and its canaries: public images whose label the city altered on purpose.

A city publishes its public split so that bidders can prepare; a memorising bidder learns the published labels.
For each canary the city draws two different one-character alterations of the true label and publishes one,
chosen at random; the other (its twin) is never shown. An honest reader cannot tell them apart, so it reads
either as rarely as the other; a reader that echoes published labels reads the published one
(probe ``PR-MEM-02``). Everything derives from a secret seed (``--canary-seed``), so the city keeps only that.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from harness.corpus.manifest import MANIFEST_NAME, write_manifest
from harness.corpus.model import Corpus, Sample
from vendor_adapters.base import normalize_plate_text

CANARIES = 16
"""Canaries per corpus copy: a reader echoing every published label is flagged at p = 2**-16 (below 0.001 from
10 canaries on)."""
_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Canary:
    """One canary: the sample, the label the city published, and the unpublished twin alteration."""

    sample_id: str
    sha256: str
    published: str
    twin: str


def is_public(sample: Sample) -> bool:
    """Published images: tagged ``split=public``, or not tagged with a split at all."""
    return sample.tags.get("split", "public") == "public"


def _alter(text: str, rng: np.random.Generator) -> str:
    position = int(rng.integers(len(text)))
    choices = [c for c in _ALPHABET if c != text[position]]
    return text[:position] + choices[int(rng.integers(len(choices)))] + text[position + 1:]


def canaries(samples: Sequence[Sample], seed: int, count: int = CANARIES) -> list[Canary]:
    """The canaries among ``samples`` for ``seed``: public one-plate samples, drawn at random; for each, two
    distinct alterations, one published at random."""
    rng = np.random.default_rng([seed, 0xCA7A])
    eligible = sorted((s for s in samples if is_public(s) and len(s.plates) == 1
                       and len(normalize_plate_text(s.plates[0].text)) >= 2), key=lambda s: s.sha256)
    chosen = rng.choice(len(eligible), size=min(count, len(eligible)), replace=False) if eligible else []
    out = []
    for index in sorted(int(i) for i in chosen):
        sample = eligible[index]
        truth = normalize_plate_text(sample.plates[0].text)
        first = _alter(truth, rng)
        second = _alter(truth, rng)
        while second == first:
            second = _alter(truth, rng)
        published, twin = (first, second) if rng.integers(2) else (second, first)
        out.append(Canary(sample.id, sample.sha256, published, twin))
    return out


def published_samples(samples: Sequence[Sample], seed: int, count: int = CANARIES) -> list[Sample]:
    """The public samples as published: canary labels replaced by their published alteration."""
    altered = {c.sample_id: c.published for c in canaries(samples, seed, count)}
    return [
        replace(s, plates=(replace(s.plates[0], text=altered[s.id]),)) if s.id in altered else s
        for s in samples if is_public(s)
    ]


def write_published_copy(corpus: Corpus, seed: int, out: Path, count: int = CANARIES) -> Path:
    """Write the published copy's manifest into ``out`` (images referenced where they are); returns its path."""
    header = {"name": f"{corpus.name}-published", "description": "Published copy: the public images and their labels."}
    return write_manifest(out / MANIFEST_NAME, header, published_samples(corpus.samples, seed, count))
