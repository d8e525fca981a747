"""POST /v1/recognize reads real photographs with the reference recognizer; bad uploads get problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Sandbox
from vendor_adapters.base import normalize_plate_text


def _labeled_photo(folder: Path) -> tuple[bytes, str]:
    image = min(folder.glob("*.jpg"))
    label = image.with_suffix(".txt").read_text().split()
    return image.read_bytes(), normalize_plate_text(label[-1])


@pytest.mark.realdata
def test_recognize_reads_a_real_photo(sandbox: Sandbox, openalpr_us: Path) -> None:
    data, truth = _labeled_photo(openalpr_us)
    response = sandbox.call("POST", "/v1/recognize", files={"image": ("car.jpg", data, "image/jpeg")})
    assert response.status_code == 200
    body = response.json()
    assert body["processing_ms"] > 0
    assert truth in {r["plate"] for r in body["reads"]}
    best = body["reads"][0]
    assert 0 <= best["confidence"] <= 1 and best["box"]["width"] > 0 and best["candidates"]


def test_recognize_refuses_bad_uploads(sandbox: Sandbox) -> None:
    garbage = sandbox.call("POST", "/v1/recognize", files={"image": ("x.jpg", b"not an image", "image/jpeg")})
    assert (garbage.status_code, garbage.json()["code"]) == (422, "invalid_image")
    missing = sandbox.call("POST", "/v1/recognize", files={"other": ("x.jpg", b"123", "image/jpeg")})
    assert (missing.status_code, missing.json()["code"]) == (400, "invalid_request")
    too_big = sandbox.call("POST", "/v1/recognize", files={"image": ("x.jpg", b"\0" * (11 * 1024 * 1024), "image/jpeg")})
    assert (too_big.status_code, too_big.json()["code"]) == (413, "payload_too_large")
