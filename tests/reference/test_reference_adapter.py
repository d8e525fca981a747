"""The built-in ``reference`` adapter: real OCR on generated and real plate images, and its contract."""

from __future__ import annotations

import io
import pickle
import socket
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from vendor_adapters.base import Box, Image, normalize_plate_text
from vendor_adapters.errors import ConfigurationError, ImageRejected
from vendor_adapters.reference import PlateRecognizer, ReferenceAdapter
from vendor_adapters.registry import create_adapter

FONT = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"

# Images of the shared US set the recognizer reads (chosen from a measured run, not by label).
US_IMAGES = ("0b86cecf-67d1-4fc0-87c9-b36b0ee228bb", "car11", "us10", "wts-lg-000010", "wts-lg-000020")


@pytest.fixture(scope="module")
def adapter() -> ReferenceAdapter:
    return ReferenceAdapter(region="us")


def plate_photo(text: str) -> bytes:
    """A grey 'car' with a white plate bearing ``text`` in a bold sans font, as JPEG bytes."""
    canvas = PILImage.new("RGB", (640, 400), (96, 104, 110))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((180, 150, 460, 290), fill=(70, 70, 75))
    draw.rounded_rectangle((220, 190, 420, 250), radius=6, fill=(245, 245, 240), outline=(20, 20, 20), width=2)
    font = ImageFont.truetype(str(FONT), 34)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text((320 - (right - left) / 2 - left, 220 - (bottom - top) / 2 - top), text, fill=(15, 25, 60), font=font)
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=92)
    return out.getvalue()


def test_reads_a_generated_plate(adapter: ReferenceAdapter) -> None:
    result = adapter.recognize(Image(plate_photo("KTX4821"), name="generated.jpg"))
    assert result.reads, "no plate read"
    top = result.reads[0]
    assert top.text == "KTX4821"
    assert 0.0 <= top.confidence <= 1.0
    assert top.box is not None and top.box.iou(Box(220, 190, 200, 60)) >= 0.3
    assert result.vendor_ms is not None and result.vendor_ms > 0


def test_plate_line_input_reads_a_character_band_without_detection() -> None:
    """``input = "plate-line"``: the image is one plate's line of characters; the read's box is the image."""
    photo = np.asarray(PILImage.open(io.BytesIO(plate_photo("KTX4821"))))[:, :, ::-1]
    band = np.ascontiguousarray(photo[196:244, 222:418])
    ok, png = cv2.imencode(".png", band)
    line = create_adapter("reference", {"input": "plate-line", "threads": 1}, env={})
    (read,) = line.recognize(Image(png.tobytes(), "image/png", "band.png")).reads
    assert ok and read.text == "KTX4821" and read.box == Box(0, 0, 196, 48)


def test_engine_loads_and_reads_with_the_network_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    recognizer = PlateRecognizer()  # a new engine: its models are found and loaded inside this test
    pixels = np.asarray(PILImage.open(io.BytesIO(plate_photo("KTX4821"))).convert("RGB"))[:, :, ::-1]
    assert [r.text for r in recognizer.read(np.ascontiguousarray(pixels))][:1] == ["KTX4821"]


def test_blank_image_has_no_reads(adapter: ReferenceAdapter) -> None:
    blank = PILImage.new("RGB", (320, 240), (128, 128, 128))
    out = io.BytesIO()
    blank.save(out, format="PNG")
    assert adapter.recognize(Image(out.getvalue(), media_type="image/png", name="blank.png")).reads == ()


def test_region_us_reads_round_glyph_as_zero_and_keeps_letter_candidate() -> None:
    photo = Image(plate_photo("KOX4821"), name="generated.jpg")
    top = ReferenceAdapter(region="us").recognize(photo).reads[0]
    assert top.text == "K0X4821"
    assert "KOX4821" in {c.text for c in top.candidates}
    assert ReferenceAdapter().recognize(photo).reads[0].text == "KOX4821"


def test_corrupt_image_is_rejected(adapter: ReferenceAdapter) -> None:
    truncated = plate_photo("KTX4821")[:200]
    with pytest.raises(ImageRejected) as caught:
        adapter.recognize(Image(truncated, name="broken.jpg"))
    assert caught.value.status == 415


@pytest.mark.realdata
@pytest.mark.parametrize("stem", US_IMAGES)
def test_reads_real_us_photos(adapter: ReferenceAdapter, openalpr_us: Path, stem: str) -> None:
    fields = (openalpr_us / f"{stem}.txt").read_text().strip().split("\t")
    label_box = Box(*(float(v) for v in fields[1:5]))
    result = adapter.recognize(Image((openalpr_us / fields[0]).read_bytes(), name="sample.jpg"))
    matching = [r for r in result.reads if r.text == normalize_plate_text(fields[5])]
    assert matching, "the plate was not read"
    assert matching[0].box is not None and matching[0].box.iou(label_box) > 0.3
    assert all(r.confidence is not None and 0.0 <= r.confidence <= 1.0 for r in result.reads)
    assert all(r.text == normalize_plate_text(r.text) and r.text for r in result.reads)
    assert result.vendor_ms is not None and result.vendor_ms > 0


def test_registry_builds_it_and_it_pickles() -> None:
    built = create_adapter("reference", {"threads": 1, "max_side": 1280, "region": "us"}, env={})
    assert isinstance(built, ReferenceAdapter)
    clone = pickle.loads(pickle.dumps(built))
    assert (clone.threads, clone.max_side, clone.region) == (1, 1280, "us")
    info = built.info()
    assert info.vendor == "platebench" and "rapidocr 3.10" in info.version and "PP-OCRv6" in info.version
    assert info.declared_threshold is not None and 0.0 < info.declared_threshold < 1.0
    caps = ReferenceAdapter.capabilities
    assert caps.cpu_bound and caps.boxes and caps.candidates and caps.vendor_timing


@pytest.mark.parametrize(
    "config",
    [{"thread": 1}, {"threads": 0}, {"threads": "2"}, {"max_side": 100}, {"region": "mars"}, {"input": "crop"}],
)
def test_bad_config_is_a_configuration_error(config: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        create_adapter("reference", config, env={})


def test_grayscale_array_is_accepted(adapter: ReferenceAdapter) -> None:
    gray = np.asarray(PILImage.open(io.BytesIO(plate_photo("KTX4821"))).convert("L"))
    assert [r.text for r in adapter.recognizer.read(gray)][:1] == ["KTX4821"]
