"""Derived calls: images made from corpus samples (perturbed, near-duplicates, identical repeats), sent
through the run's pool like samples, and the ground truth that goes with each.

A derived call's id is ``<sample id>@<what>`` (``synth-00007@blur=7``, ``synth-00007@probe-repeat``); the
image's name handed to the adapter is opaque (a prefix of its sha256), so a vendor cannot tell a derived
image from a corpus image by its name. :func:`derived_targets` decodes each source image once, makes every
image it needs, encodes each once, and yields them lazily (memory holds one source's images at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.corpus.model import Plate, Sample
from harness.perturb.recipe import Recipe, render_all
from harness.perturb.sweep import Sweep, level_key
from vendor_adapters.base import Box, Image, content_name

REPEAT = "repeat"
"""A job with this operator sends the sample's own bytes again (no recipe)."""


@dataclass(frozen=True)
class Job:
    """One derived call to make from a sample: its id, and the operator and level (``REPEAT``: same bytes)."""

    id: str
    operator: str
    level: float


@dataclass(frozen=True)
class DerivedTarget:
    """A derived image as a call target (:class:`harness.calls.single.CallTarget`)."""

    id: str
    sha256: str
    image: Image
    source_id: str
    recipe: Recipe | None
    """``None``: the source's own bytes, sent again."""

    def load_image(self) -> Image:
        return self.image

    def journal_fields(self) -> dict[str, Any]:
        """What the call record keeps besides the outcome: the source sample and the recipe."""
        return {"derived": {"from": self.source_id, "recipe": None if self.recipe is None else self.recipe.to_json()}}


def sweep_id(sample_id: str, operator: str, level: float) -> str:
    """``synth-00007@blur=7``."""
    return f"{sample_id}@{operator}={level_key(level)}"


def sweep_jobs(sample: Sample, sweeps: Sequence[Sweep]) -> list[Job]:
    """The sweep calls of one sample, operator by operator, level by level."""
    return [Job(sweep_id(sample.id, s.operator, level), s.operator, level) for s in sweeps for level in s.levels]


def boxes(sample: Sample) -> tuple[Box, ...]:
    """The sample's labelled plate boxes (what plate-aimed operators aim at)."""
    return tuple(p.box for p in sample.plates if p.box is not None)


def derived_targets(work: Iterable[tuple[Sample, Sequence[Job]]], run_seed: int) -> Iterator[DerivedTarget]:
    """The targets of ``work`` in order: each sample's image read and decoded once, each result encoded once.
    Jobs whose operator does not apply to the image (no plate box) yield nothing."""
    for sample, jobs in work:
        if not jobs:
            continue
        source = sample.load_image()
        pixel_jobs = [(j.operator, j.level) for j in jobs if j.operator != REPEAT]
        rendered = {(op, lvl): r for op, lvl, r in render_all(source.data, source.media_type, pixel_jobs, run_seed,
                                                                  boxes(sample))}
        for job in jobs:
            if job.operator == REPEAT:
                image = source  # the same bytes, so the same name
                yield DerivedTarget(job.id, sample.sha256, image, sample.id, None)
                continue
            result = rendered[(job.operator, job.level)]
            if result is None:
                continue
            image = Image(result.data, result.media_type, content_name(result.recipe.sha256, result.media_type))
            yield DerivedTarget(job.id, result.recipe.sha256, image, sample.id, result.recipe)


def derived_sample(sample: Sample, derived_id: str, recipe: Recipe | None) -> Sample:
    """The ground truth of a derived image: the sample's plates moved with the image (same text, tags)."""
    if recipe is None:
        return replace(sample, id=derived_id)
    plates = tuple(_moved(p, recipe) for p in sample.plates)
    return replace(sample, id=derived_id, sha256=recipe.sha256, plates=plates)


def _moved(plate: Plate, recipe: Recipe) -> Plate:
    if recipe.matrix is None:
        return plate
    polygon = recipe.transform_points(plate.polygon) if plate.polygon else None
    box = Box.from_points(polygon) if polygon else (recipe.transform(plate.box) if plate.box else None)
    return replace(plate, box=box, polygon=polygon)
