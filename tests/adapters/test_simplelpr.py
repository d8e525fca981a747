"""SimpleLPR adapter on real photographs (skipped where the optional SDK is not installed)."""

from __future__ import annotations

import importlib.util
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from vendor_adapters.base import Box, Image, Recognition
from vendor_adapters.errors import ConfigurationError, ImageRejected, PrerequisiteError
from vendor_adapters.registry import create_adapter

needs_sdk = pytest.mark.skipif(
    importlib.util.find_spec("simplelpr") is None,
    reason="SimpleLPR SDK not installed (optional extra: pip install 'platebench[simplelpr]')",
)


def _labeled(folder: Path, stem: str) -> tuple[Image, str, Box]:
    """An image of the shared benchmark and its label (``file x y w h TEXT``)."""
    _, x, y, w, h, text = (folder / f"{stem}.txt").read_text().split()
    return Image((folder / f"{stem}.jpg").read_bytes(), name=f"{stem}.jpg"), text, Box(*map(float, (x, y, w, h)))


def _recognize(adapter, image: Image) -> Recognition:
    return adapter.recognize(image)


@needs_sdk
@pytest.mark.realdata
@pytest.mark.parametrize(("where", "stem"), [("us", "0b86cecf-67d1-4fc0-87c9-b36b0ee228bb"), ("eu", "eu1"),
                                             ("eu", "eu10")])
def test_reads_real_plates(openalpr_us, openalpr_eu, where, stem):
    image, text, truth_box = _labeled(openalpr_us if where == "us" else openalpr_eu, stem)
    adapter = create_adapter("simplelpr", {}, env={})
    reads = adapter.recognize(image).reads
    best = max(reads, key=lambda r: r.box.iou(truth_box) if r.box else 0.0)
    assert best.text == text
    assert best.box is not None and best.box.iou(truth_box) > 0.5
    assert 0.0 <= best.confidence <= 1.0 and 0.0 <= best.detection_confidence <= 1.0
    assert best.polygon is not None and len(best.polygon) == 4
    assert best.candidates[0].text == text
    assert [r.confidence for r in reads] == sorted((r.confidence for r in reads), reverse=True)


@needs_sdk
@pytest.mark.realdata
def test_country_weights_validate_the_read(openalpr_eu):
    image, text, _ = _labeled(openalpr_eu, "eu1")
    adapter = create_adapter("simplelpr", {"countries": {"UK-GreatBritain": 1.0}}, env={})
    read = next(r for r in adapter.recognize(image).reads if r.text == text)
    assert read.region == "gb"


@needs_sdk
@pytest.mark.realdata
def test_works_pickled_into_a_worker_process(openalpr_eu):
    image, text, _ = _labeled(openalpr_eu, "eu1")
    adapter = create_adapter("simplelpr", {}, env={})
    assert adapter.capabilities.cpu_bound
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = pool.submit(_recognize, pickle.loads(pickle.dumps(adapter)), image).result()
    assert remote == adapter.recognize(image)
    assert text in [r.text for r in remote.reads]


@needs_sdk
def test_unknown_country_is_refused_with_a_suggestion():
    with pytest.raises(ConfigurationError, match="Did you mean 'Spain'"):
        create_adapter("simplelpr", {"countries": {"Spian": 1.0}}, env={})
    with pytest.raises(ConfigurationError, match="countries.Spain"):
        create_adapter("simplelpr", {"countries": {"Spain": -1}}, env={})


@needs_sdk
def test_corrupt_image_is_rejected_not_crashed():
    adapter = create_adapter("simplelpr", {}, env={})
    with pytest.raises(ImageRejected):
        adapter.recognize(Image(b"\xff\xd8\xff\xe0 not really a jpeg"))


@needs_sdk
def test_product_key_variable_must_be_set():
    with pytest.raises(ConfigurationError, match="SIMPLELPR_KEY"):
        create_adapter("simplelpr", {"product_key_env": "SIMPLELPR_KEY"}, env={})


def test_missing_sdk_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "simplelpr", None)  # makes `import simplelpr` fail
    with pytest.raises(PrerequisiteError, match=r"pip install 'platebench\[simplelpr\]'"):
        create_adapter("simplelpr", {"countries": {"Spain": 0.5}, "plate_region_detection": False}, env={})


@needs_sdk
def test_engine_leaves_the_process_locale_alone(openalpr_eu):
    """The SDK sets LC_ALL to "C" when an engine is built; the adapter must undo it, or every later
    ``open()`` in the harness process defaults to ASCII and fails on non-ASCII text."""
    import locale

    before = locale.setlocale(locale.LC_ALL)
    image, _, _ = _labeled(openalpr_eu, "eu1")
    create_adapter("simplelpr", {"countries": {"Germany": 1.0}}, env={}).recognize(image)
    assert locale.setlocale(locale.LC_ALL) == before
