"""Which images the probes use and the derived calls they make.

A random subset of the run's samples (``--probe-seed``) is probed. Each probed image is sent again as near-
duplicates (:data:`NEAR_DUPLICATES`), mirrored (a control no cache can match, however loosely it compares
images) and once more byte for byte (an identical repeat), after the accuracy pass sent the original; each
image's probe calls go in a random order, so a repeat comes before or after its controls by chance alone (what
makes the caching probes' sign tests exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.corpus.model import Sample
from harness.perturb.sweep import level_key
from harness.perturb.targets import REPEAT, Job
from harness.probes.spec import ALPHA

NEAR_DUPLICATES: tuple[tuple[str, float], ...] = (
    ("rewrap", 1.0),  # the same pixels under new bytes
    ("jpeg", 90.0),  # re-encoded
    ("shift", 2.0),  # moved two pixels
    ("rescale", 1.0),  # 1% larger
    ("recolour", 3.0),  # channel gains within 3%
)
"""The near-duplicates of every probed image (operator, level)."""
MIRROR = ("mirror", 1.0)
"""The unseen control: a mirrored image costs an honest reader the same work, and no cache keyed on bytes, pixels
or a perceptual hash of what it saw matches it."""
PROBE_IMAGES = 24
"""Images probed per run: 7 calls each. With 24, a vendor that answers every repeat from a cache is flagged at
p = 2**-24; fewer than 10 could not reach the 0.001 level at all."""
CACHE_CONTROLS: dict[str, tuple[str, float]] = {"PR-CACHE-01": ("rewrap", 1.0), "PR-CACHE-02": MIRROR}
"""The control each caching probe times a repeat against: PR-CACHE-01 the same pixels under new bytes (a cache
of bytes), PR-CACHE-02 the mirrored image (any cache of what was seen, exact or approximate)."""


def probe_id(sample_id: str, operator: str, level: float | None = None) -> str:
    """``synth-00007@probe-shift=2``, ``synth-00007@probe-repeat``."""
    return f"{sample_id}@probe-{operator}" + ("" if level is None else f"={level_key(level)}")


@dataclass(frozen=True)
class ProbePlan:
    """The probes of one run: their seed and how many images they probe."""

    seed: int
    images: int = PROBE_IMAGES

    def to_json(self) -> dict[str, Any]:
        """As recorded in the journal header (``options.probes``)."""
        return {"enabled": True, "seed": self.seed, "images": self.images, "alpha": ALPHA,
                "near_duplicates": [f"{op}={level_key(level)}" for op, level in NEAR_DUPLICATES],
                "controls": [f"{op}={level_key(level)}" for op, level in (MIRROR,)]}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ProbePlan | None:
        return cls(int(data["seed"]), int(data["images"])) if data and data.get("enabled") else None

    def chosen(self, samples: Sequence[Sample]) -> list[Sample]:
        """The probed samples, in corpus order."""
        rng = np.random.default_rng([self.seed, 0x9B0B])
        picks = rng.choice(len(samples), size=min(self.images, len(samples)), replace=False) if samples else []
        return [samples[i] for i in sorted(int(i) for i in picks)]

    def jobs(self, sample: Sample) -> list[Job]:
        """One probed sample's calls, in their random order."""
        jobs = [Job(probe_id(sample.id, op, level), op, level) for op, level in (*NEAR_DUPLICATES, MIRROR)]
        jobs.append(Job(probe_id(sample.id, REPEAT), REPEAT, 0.0))
        order = np.random.default_rng([self.seed, int(sample.sha256[:8], 16)]).permutation(len(jobs))
        return [jobs[int(i)] for i in order]
