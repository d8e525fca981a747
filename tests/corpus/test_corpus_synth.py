"""The synthetic corpus: deterministic, labels match what was drawn, tags present, cached atomically."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from harness.corpus.manifest import MANIFEST_NAME
from harness.corpus.synth import (
    CONDITIONS,
    FORMATS,
    PLATE_SIZE,
    SCENE_SIZE,
    default_corpus_path,
    render_sample,
    synth_corpus,
)
from harness.corpus.validate import load_corpus

N = 12


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth-a")
    synth_corpus(folder, n=N, seed=3)
    return folder


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(generated: Path, tmp_path: Path) -> None:
    synth_corpus(tmp_path, n=N, seed=3)
    assert _tree(tmp_path) == _tree(generated)
    assert load_corpus(tmp_path).manifest_sha256 == load_corpus(generated).manifest_sha256


def test_parallel_rendering_gives_the_same_corpus(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.corpus import synth

    monkeypatch.setattr(synth, "PARALLEL_FROM", 1)
    synth_corpus(tmp_path, n=N, seed=3, workers=2)
    assert _tree(tmp_path) == _tree(generated)


def test_different_seed_different_corpus(generated: Path, tmp_path: Path) -> None:
    synth_corpus(tmp_path, n=N, seed=4)
    assert load_corpus(tmp_path).manifest_sha256 != load_corpus(generated).manifest_sha256
    texts = lambda folder: [s.plates[0].text for s in load_corpus(folder)]
    assert texts(tmp_path) != texts(generated)


def test_corpus_is_valid_and_tagged(generated: Path) -> None:
    corpus = load_corpus(generated)
    assert len(corpus) == N
    for sample in corpus:
        assert set(sample.tags) == {*CONDITIONS, "format"}
        for name, options in CONDITIONS.items():
            assert sample.tags[name] in {value for value, _ in options}
        (plate,) = sample.plates
        assert plate.jurisdiction.startswith("us-")
        assert plate.text not in sample.id
        fmt = sample.tags["format"]
        pattern = (
            "[A-Z]{4,7}" if fmt == "vanity" else FORMATS[fmt].replace("L", "[A-Z]").replace("D", "[0-9]")
        )
        assert re.fullmatch(pattern, plate.text), (fmt, plate.text)


def test_polygon_inside_image_and_box_is_its_bounds(generated: Path) -> None:
    for sample in load_corpus(generated):
        (plate,) = sample.plates
        assert len(plate.polygon) == 4
        assert all(0 <= x <= SCENE_SIZE[0] and 0 <= y <= SCENE_SIZE[1] for x, y in plate.polygon)
        xs, ys = [x for x, _ in plate.polygon], [y for _, y in plate.polygon]
        assert (plate.box.x, plate.box.y) == (min(xs), min(ys))
        assert plate.box.x + plate.box.width == pytest.approx(max(xs))


def _rectify(image: np.ndarray, polygon: tuple[tuple[float, float], ...]) -> np.ndarray:
    target = np.array(
        [[0, 0], [PLATE_SIZE[0], 0], [PLATE_SIZE[0], PLATE_SIZE[1]], [0, PLATE_SIZE[1]]], np.float32
    )
    warp = cv2.getPerspectiveTransform(np.array(polygon, np.float32), target)
    return cv2.cvtColor(cv2.warpPerspective(image, warp, PLATE_SIZE), cv2.COLOR_BGR2GRAY).astype(np.float32)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_labels_match_what_was_drawn() -> None:
    """Un-warping the labelled polygon gives back the drawn plate; a shifted polygon does not."""
    checked = 0
    for index in range(40):
        drawn = render_sample(11, index)
        if drawn.tags["blur"] != "none" or drawn.tags["distance"] != "near":
            continue
        flat = cv2.cvtColor(drawn.plate, cv2.COLOR_BGR2GRAY).astype(np.float32)
        assert _correlation(_rectify(drawn.image, drawn.polygon), flat) > 0.8
        width = drawn.box.width
        shifted = tuple((x + 0.3 * width, y) for x, y in drawn.polygon)
        assert _correlation(_rectify(drawn.image, shifted), flat) < 0.5
        checked += 1
    assert checked >= 5


def test_default_corpus_is_generated_once_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATEBENCH_CACHE", str(tmp_path))
    folder = default_corpus_path(n=5, seed=1)
    assert folder.parent == tmp_path and folder.name.startswith("synth-v") and folder.name.endswith("-s1-n5")
    manifest = folder / MANIFEST_NAME
    stamp = manifest.stat().st_mtime_ns
    assert default_corpus_path(n=5, seed=1) == folder
    assert manifest.stat().st_mtime_ns == stamp, "a complete cached corpus is reused, not regenerated"
    assert [p.name for p in tmp_path.iterdir()] == [folder.name], "no staging folder is left behind"
    assert len(load_corpus(folder)) == 5


def test_interrupted_generation_leaves_no_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.corpus import synth

    monkeypatch.setenv("PLATEBENCH_CACHE", str(tmp_path))

    def killed(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(synth, "write_manifest", killed)
    with pytest.raises(KeyboardInterrupt):
        default_corpus_path(n=3, seed=1)
    assert list(tmp_path.iterdir()) == []


def test_generation_reports_progress_from_the_start(tmp_path, monkeypatch) -> None:
    """Issue 12 #10: the first use of the default corpus says what it is doing from the first second."""
    import io

    from harness.corpus.synth import default_corpus_path, progress_lines

    monkeypatch.setenv("PLATEBENCH_CACHE", str(tmp_path / "cache"))
    calls: list[tuple[int, int]] = []
    default_corpus_path(n=25, seed=3, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 25) and calls[-1] == (25, 25) and len(calls) >= 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    calls.clear()
    default_corpus_path(n=25, seed=3, progress=lambda done, total: calls.append((done, total)))
    assert calls == []  # reused from the cache: nothing to report
    out = io.StringIO()
    report = progress_lines(out, every_s=3600)
    for done in (0, 10, 20, 25):
        report(done, 25)
    assert out.getvalue().splitlines() == [
        "generating the synthetic corpus: 0 of 25 images",
        "generating the synthetic corpus: 25 of 25 images",
    ]
