"""The validator: every failure kind is reported with file and line, all problems in one report."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.corpus import CorpusError
from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pristine")
    synth_corpus(folder, n=4, seed=7)
    return folder


@pytest.fixture
def corpus(pristine: Path, tmp_path: Path) -> Path:
    """A fresh, valid 4-sample corpus to break."""
    folder = tmp_path / "corpus"
    shutil.copytree(pristine, folder)
    return folder


def lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]


def rewrite(folder: Path, records: list[dict]) -> None:
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def problems(folder: Path) -> list[str]:
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    return [str(p) for p in info.value.problems]


def test_pristine_corpus_is_valid(corpus: Path) -> None:
    assert len(load_corpus(corpus)) == 4


def test_truncated_jpeg(corpus: Path) -> None:
    image = corpus / "images" / "synth-00001.jpg"
    image.write_bytes(image.read_bytes()[:4000])
    found = problems(corpus)
    assert any("manifest.jsonl:3:" in p and "truncated JPEG" in p for p in found), found


def test_jpeg_cut_short_with_end_marker_patched_on(corpus: Path) -> None:
    image = corpus / "images" / "synth-00001.jpg"
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2] + b"\xff\xd9")
    assert any("corrupt JPEG data" in p for p in problems(corpus))


def test_box_outside_image(corpus: Path) -> None:
    records = lines(corpus)
    records[2]["plates"][0].pop("polygon")
    records[2]["plates"][0]["box"] = {"x": 700, "y": 100, "width": 200, "height": 50}
    rewrite(corpus, records)
    found = problems(corpus)
    assert any("manifest.jsonl:3:" in p and "outside the 800x600 image" in p for p in found), found


def test_box_within_tolerance_is_accepted(corpus: Path) -> None:
    records = lines(corpus)
    records[1]["plates"][0].pop("polygon")
    records[1]["plates"][0]["box"] = {"x": -1.5, "y": 0, "width": 801, "height": 50}
    rewrite(corpus, records)
    assert len(load_corpus(corpus)) == 4


def test_polygon_outside_image(corpus: Path) -> None:
    records = lines(corpus)
    plate = records[1]["plates"][0]
    plate["polygon"] = [[x + 2000, y] for x, y in plate["polygon"]]
    plate.pop("box")
    rewrite(corpus, records)
    assert any("polygon lies outside" in p for p in problems(corpus))


def test_wrong_checksum(corpus: Path) -> None:
    records = lines(corpus)
    records[4]["sha256"] = "0" * 64
    rewrite(corpus, records)
    found = problems(corpus)
    assert any("manifest.jsonl:5:" in p and "checksum mismatch" in p for p in found), found


def test_duplicate_id(corpus: Path) -> None:
    records = lines(corpus)
    records[3]["id"] = records[1]["id"]
    rewrite(corpus, records)
    found = problems(corpus)
    assert any("manifest.jsonl:4:" in p and "duplicate sample id" in p and ":2)" in p for p in found), found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "plate text is empty"),
        (" - . ", "plate text is empty"),
        ("AB#123", "characters other than A-Z and 0-9"),
    ],
)
def test_bad_plate_text(corpus: Path, text: str, message: str) -> None:
    records = lines(corpus)
    records[2]["plates"][0]["text"] = text
    rewrite(corpus, records)
    found = problems(corpus)
    assert any("manifest.jsonl:3:" in p and message in p for p in found), found
    assert not any(text.strip() and text in p for p in found), "the report must not echo plate text"


def test_plate_text_is_normalized(corpus: Path) -> None:
    records = lines(corpus)
    records[1]["plates"][0]["text"] = "ab-12 3.x"
    rewrite(corpus, records)
    assert load_corpus(corpus).by_id()[records[1]["id"]].plates[0].text == "AB123X"


def test_missing_image(corpus: Path) -> None:
    (corpus / "images" / "synth-00002.jpg").unlink()
    found = problems(corpus)
    assert any("manifest.jsonl:4:" in p and "images/synth-00002.jpg: missing image" in p for p in found), (
        found
    )


def test_file_that_is_not_an_image(corpus: Path) -> None:
    (corpus / "images" / "synth-00000.jpg").write_text("these are not pixels\n")
    found = problems(corpus)
    assert any("manifest.jsonl:2:" in p and "not a JPEG or PNG image" in p for p in found), found


def test_unknown_manifest_version(corpus: Path) -> None:
    records = lines(corpus)
    records[0]["platebench_manifest"] = 2
    rewrite(corpus, records)
    assert problems(corpus) == [
        f"{corpus / 'manifest.jsonl'}:1: unknown manifest version 2 (this platebench reads version 1)"
    ]


def test_malformed_json_line(corpus: Path) -> None:
    text = (corpus / "manifest.jsonl").read_text().splitlines()
    text[2] = text[2][:40]
    (corpus / "manifest.jsonl").write_text("\n".join(text) + "\n")
    found = problems(corpus)
    assert any("manifest.jsonl:3: malformed JSON" in p for p in found), found


def test_schema_violation_names_the_field(corpus: Path) -> None:
    records = lines(corpus)
    records[1]["plates"][0]["box"]["width"] = -5
    records[1]["colour"] = "red"
    rewrite(corpus, records)
    found = problems(corpus)
    assert any("manifest.jsonl:2: plates/0/box/width" in p for p in found), found
    assert any("manifest.jsonl:2:" in p and "colour" in p for p in found), found


def test_openalpr_label_with_wrong_column_count(tmp_path: Path, pristine: Path) -> None:
    shutil.copy(pristine / "images" / "synth-00000.jpg", tmp_path / "car1.jpg")
    shutil.copy(pristine / "images" / "synth-00001.jpg", tmp_path / "car2.jpg")
    (tmp_path / "car1.txt").write_text("car1.jpg\t10\t20\t100\t50\tABC123\n")
    (tmp_path / "car2.txt").write_text("car2.jpg 10 20 100 50 XYZ789\n")
    found = problems(tmp_path)
    assert found == [
        f"{tmp_path / 'car2.txt'}:1: expected 6 tab-separated columns (image, x, y, width, height, plate), found 1"
    ]


def test_three_problems_in_one_report(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = corpus / "images" / "synth-00000.jpg"
    image.write_bytes(image.read_bytes()[:3000])
    records = lines(corpus)
    records[1]["sha256"] = hashlib.sha256(image.read_bytes()).hexdigest()  # labelled after it was cut
    records[2]["plates"][0].pop("polygon")
    records[2]["plates"][0]["box"] = {"x": 10, "y": 580, "width": 120, "height": 60}
    records[3]["sha256"] = "f" * 64
    rewrite(corpus, records)

    found = problems(corpus)
    assert any(":2:" in p and "truncated JPEG" in p for p in found), found
    assert any(":3:" in p and "outside the 800x600 image" in p for p in found), found
    assert any(":4:" in p and "checksum mismatch" in p for p in found), found

    assert main(["corpus", "validate", str(corpus)]) == 1
    out, err = capsys.readouterr()
    assert "3 problem(s)" in out
    for needle in ("truncated JPEG", "outside the 800x600 image", "checksum mismatch"):
        assert needle in out
    assert "Traceback" not in out + err
