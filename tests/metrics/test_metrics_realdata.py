"""Scoring on the real OpenALPR US labels (222 plates, real box geometry) with a scripted vendor.

The vendor is scripted per sample index i so every figure is known in advance:
i % 10 == 0 -> the call times out; == 1 -> last character misread, box shifted by 10% of its width;
in (2, 3) -> exact text without a box; otherwise exact text with the labeled box.
"""

import json
from pathlib import Path

import pytest

from harness.corpus.model import Plate, Sample
from harness.metrics import score_accuracy
from harness.outcome import CallOutcome
from vendor_adapters.base import Box, Read, Recognition

pytestmark = pytest.mark.realdata


def load_labels(folder: Path) -> list[Sample]:
    samples = []
    for label in sorted(folder.glob("*.txt")):
        name, x, y, w, h, text = label.read_text().split()
        samples.append(
            Sample(
                label.stem,
                folder / name,
                label.stem,
                (Plate(text, Box(float(x), float(y), float(w), float(h))),),
            )
        )
    return samples


def scripted(i: int, s: Sample) -> CallOutcome:
    plate = s.plates[0]
    box = plate.box
    if i % 10 == 0:
        return CallOutcome(s.id, s.sha256, 1, 1.0, None, error_kind="timeout")
    if i % 10 == 1:
        wrong = plate.text[:-1] + ("X" if plate.text[-1] != "X" else "Y")
        read = Read(wrong, 0.9, Box(box.x + box.width / 10, box.y, box.width, box.height))
    elif i % 10 in (2, 3):
        read = Read(plate.text, 0.9)
    else:
        read = Read(plate.text, 0.9, box)
    return CallOutcome(s.id, s.sha256, 1, 1.0, Recognition((read,)))


def test_scores_on_real_labels_match_the_script(openalpr_us):
    samples = load_labels(openalpr_us)
    assert len(samples) == 222
    pairs = [(s, scripted(i, s)) for i, s in enumerate(samples)]
    acc = score_accuracy(pairs)
    overall = acc["overall"]
    failed = sum(1 for i in range(222) if i % 10 == 0)  # 23
    misread = sum(1 for i in range(222) if i % 10 == 1)  # 23
    boxless = sum(1 for i in range(222) if i % 10 in (2, 3))  # 44
    assert (failed, misread, boxless) == (23, 23, 44)
    assert overall["exact_read_plate"]["value"] == pytest.approx((222 - failed - misread) / 222)
    assert overall["exact_read_plate"]["n"] == 222
    assert overall["detection_recall"]["value"] == pytest.approx((222 - failed - boxless) / 222)
    assert overall["detection_precision"]["value"] == 1.0
    assert overall["detection_precision"]["n"] == 222 - failed - boxless
    expected_cer = (
        failed + sum(1 / len(s.plates[0].text) for i, s in enumerate(samples) if i % 10 == 1)
    ) / 222
    assert overall["cer"]["value"] == pytest.approx(expected_cer)
    assert overall["wrong_plate_reads"]["value"] == misread
    assert overall["unmatched_reads"]["value"] == 0
    assert acc["errors"]["availability"]["value"] == pytest.approx(199 / 222)

    text = json.dumps(acc)
    leaked = [
        s.plates[0].text for s in samples if not s.plates[0].text.isdigit() and s.plates[0].text in text
    ]
    assert leaked == []
