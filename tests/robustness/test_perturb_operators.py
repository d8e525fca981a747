"""The operators and recipes: deterministic by seed, labels moved with the image, bytes made again exactly."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from harness.corpus.model import Corpus
from harness.errors import UserError
from harness.perturb.recipe import decode, regenerate, render_all, verify
from harness.perturb.registry import OPERATORS
from harness.perturb.sweep import PerturbError, parse_sweep, parse_sweeps
from harness.perturb.targets import REPEAT, Job, boxes, derived_sample, derived_targets
from vendor_adapters.base import content_name


def _all_jobs() -> list[tuple[str, float]]:
    return [(name, spec.examples[-1]) for name, spec in OPERATORS.items()] + [("rewrap", 1.0)]


def test_every_operator_is_deterministic_by_seed_and_made_again_bit_for_bit(corpus12: Corpus) -> None:
    sample = corpus12.samples[0]
    data = sample.path.read_bytes()
    first = {(op, lvl): r for op, lvl, r in render_all(data, "image/jpeg", _all_jobs(), 5, boxes(sample))}
    again = {(op, lvl): r for op, lvl, r in render_all(data, "image/jpeg", _all_jobs(), 5, boxes(sample))}
    others = [{(op, lvl): r for op, lvl, r in render_all(data, "image/jpeg", _all_jobs(), seed, boxes(sample))}
              for seed in range(6, 12)]
    for job, rendered in first.items():
        assert rendered is not None, job
        assert rendered.data == again[job].data, job
        assert hashlib.sha256(rendered.data).hexdigest() == rendered.recipe.sha256
        assert verify(rendered.recipe, data, boxes(sample)), job
        assert rendered.data != data, job
    random_ops = ("blur", "noise", "glare", "rain", "recolour", "occlusion", "rewrap")
    for op in random_ops:  # the seed matters (occlusion draws one of two sides: compare over several seeds)
        job = (op, OPERATORS[op].examples[-1] if op != "rewrap" else 1.0)
        assert len({first[job].data} | {other[job].data for other in others}) > 1, op


def test_rewrap_keeps_the_pixels_under_new_bytes(corpus12: Corpus) -> None:
    data = corpus12.samples[1].path.read_bytes()
    [(_, _, rendered)] = render_all(data, "image/jpeg", [("rewrap", 1.0)], 0, ())
    assert rendered is not None and rendered.data != data
    assert np.array_equal(decode(rendered.data), decode(data))


def test_distance_reaches_the_asked_character_height_and_moves_the_box(corpus12: Corpus) -> None:
    sample = corpus12.samples[2]
    [(_, _, rendered)] = render_all(sample.path.read_bytes(), "image/jpeg", [("distance", 10.0)], 0, boxes(sample))
    assert rendered is not None
    moved = derived_sample(sample, "x", rendered.recipe)
    assert moved.plates[0].box.height * 0.5 == pytest.approx(10.0, rel=0.05)
    height, width = decode(rendered.data).shape[:2]
    assert moved.plates[0].box.x + moved.plates[0].box.width <= width + 1
    assert moved.plates[0].box.y + moved.plates[0].box.height <= height + 1


def test_rotation_turns_the_plate_outline_with_the_image(corpus12: Corpus) -> None:
    sample = corpus12.samples[3]
    [(_, _, rendered)] = render_all(sample.path.read_bytes(), "image/jpeg", [("rotate", 90.0)], 0, boxes(sample))
    assert rendered is not None
    before, after = sample.plates[0].box, derived_sample(sample, "x", rendered.recipe).plates[0].box
    assert after.width == pytest.approx(before.height, rel=0.1)
    assert after.height == pytest.approx(before.width, rel=0.1)


def test_mirror_flips_the_pixels_and_the_plate_box(corpus12: Corpus) -> None:
    sample = corpus12.samples[4]
    data = sample.path.read_bytes()
    [(_, _, rendered)] = render_all(data, "image/jpeg", [("mirror", 1.0)], 0, boxes(sample))
    assert rendered is not None
    original, flipped = decode(data), decode(rendered.data)
    assert np.abs(flipped.astype(int) - original[:, ::-1].astype(int)).mean() < 2  # JPEG round trip only
    before, after = sample.plates[0].box, derived_sample(sample, "x", rendered.recipe).plates[0].box
    assert after.x == pytest.approx(original.shape[1] - before.x - before.width, abs=0.5)
    assert (after.y, after.width, after.height) == pytest.approx((before.y, before.width, before.height))


def test_images_reach_the_vendor_under_names_made_from_their_bytes(corpus12: Corpus) -> None:
    jobs = [Job(f"x{i}", op, level) for i, (op, level) in enumerate([("blur", 7.0), ("shift", 2.0), (REPEAT, 0.0)])]
    images = [sample.load_image() for sample in corpus12.samples]
    images += [target.image for target in derived_targets([(s, jobs) for s in corpus12.samples[:3]], 1)]
    for image in images:
        assert image.name == content_name(hashlib.sha256(image.data).hexdigest(), image.media_type)
    sent = " ".join(image.name for image in images)
    assert not any(sample.id in sent or sample.path.name in sent for sample in corpus12.samples)


def test_operators_aimed_at_the_plate_do_not_apply_without_a_box(corpus12: Corpus) -> None:
    data = corpus12.samples[0].path.read_bytes()
    out = list(render_all(data, "image/jpeg", [("occlusion", 0.3), ("glare", 0.5), ("distance", 10.0), ("fog", 0.5)], 0, ()))
    assert [r is None for *_, r in out] == [True, True, True, False]


def test_a_recipe_refuses_another_source_image(corpus12: Corpus) -> None:
    a, b = corpus12.samples[0], corpus12.samples[1]
    [(_, _, rendered)] = render_all(a.path.read_bytes(), "image/jpeg", [("noise", 10.0)], 0, boxes(a))
    assert rendered is not None
    with pytest.raises(ValueError, match="sha256"):
        regenerate(rendered.recipe, b.path.read_bytes(), boxes(b))


def test_night_darkens_and_jpeg_quality_shrinks(corpus12: Corpus) -> None:
    data = corpus12.samples[0].path.read_bytes()
    out = {op: r for op, _, r in render_all(data, "image/jpeg", [("night", 0.1), ("jpeg", 10.0)], 0, ())}
    assert cv2.cvtColor(decode(out["night"].data), cv2.COLOR_BGR2GRAY).mean() < 0.6 * cv2.cvtColor(
        decode(data), cv2.COLOR_BGR2GRAY).mean()
    assert len(out["jpeg"].data) < len(data) / 2


@pytest.mark.parametrize("text, message", [
    ("blur", "NAME=L1,L2"), ("sharpen=3", "unknown operator"), ("blur=3,x", "not a number"),
    ("jpeg=0", "from 1 to 100"), ("night=2", "from 0.01 to 1"),
])
def test_bad_sweeps_are_user_errors_saying_why(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_sweep(text)


def test_a_sweep_keeps_its_order_and_drops_duplicates() -> None:
    assert parse_sweep("blur=11,3,3,7").levels == (11.0, 3.0, 7.0)
    with pytest.raises(PerturbError, match="given twice"):
        parse_sweeps(["blur=3", "blur=7"])
