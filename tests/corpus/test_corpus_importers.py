"""Importers on the real shared OpenALPR sets, the CSV mapping, and format-independent identity."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.corpus import Corpus, CorpusError
from harness.corpus.validate import load_corpus

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def us(openalpr_us: Path) -> Corpus:
    return load_corpus(openalpr_us)


@pytest.fixture(scope="module")
def eu(openalpr_eu: Path) -> Corpus:
    return load_corpus(openalpr_eu)


def test_us_set(us: Corpus, openalpr_us: Path) -> None:
    corpus = us
    assert (len(corpus), corpus.format) == (222, "openalpr")
    assert all(len(s.plates) == 1 for s in corpus)
    assert {s.tags["set"] for s in corpus} == {"us"} and {s.tags["split"] for s in corpus} == {"public"}
    assert {p.jurisdiction for s in corpus for p in s.plates} == {"us"}
    assert all(p.text.isalnum() and p.text.isupper() or p.text.isdigit() for s in corpus for p in s.plates)
    sample = corpus.by_id()["0b86cecf-67d1-4fc0-87c9-b36b0ee228bb"]
    assert sample.plates[0].text == "YG9X2G"
    assert sample.plates[0].box.as_dict() == {"x": 935, "y": 362, "width": 99, "height": 49}
    assert sample.path == openalpr_us.resolve() / "0b86cecf-67d1-4fc0-87c9-b36b0ee228bb.jpg"


def test_eu_set(eu: Corpus) -> None:
    corpus = eu
    assert len(corpus) == 108
    assert {p.jurisdiction for s in corpus for p in s.plates} == {"eu"}


def test_ids_are_file_stems_without_plate_text(
    us: Corpus, eu: Corpus, openalpr_us: Path, openalpr_eu: Path
) -> None:
    for folder, corpus in ((openalpr_us, us), (openalpr_eu, eu)):
        assert {s.id for s in corpus} == {p.stem for p in folder.glob("*.jpg")}
        assert not any(p.text in s.id.upper() for s in corpus for p in s.plates)


def test_identity_is_stable_between_loads(us: Corpus, openalpr_us: Path) -> None:
    first, second = us, load_corpus(openalpr_us)
    assert first.manifest_sha256 == second.manifest_sha256
    assert len(first.manifest_sha256) == 64


def test_us_and_eu_differ(us: Corpus, eu: Corpus) -> None:
    assert us.manifest_sha256 != eu.manifest_sha256


def _label_rows(folder: Path) -> list[list[str]]:
    return [p.read_text().strip().split("\t") for p in sorted(folder.glob("*.txt"))]


def test_csv_of_the_same_labels_has_the_same_identity(eu: Corpus, openalpr_eu: Path, tmp_path: Path) -> None:
    relative = Path(os.path.relpath(openalpr_eu, tmp_path))
    with (tmp_path / "labels.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["image", "x", "y", "width", "height", "plate", "jurisdiction", "tag:set", "tag:split"]
        )
        for name, x, y, w, h, plate in _label_rows(openalpr_eu):
            writer.writerow([(relative / name).as_posix(), x, y, w, h, plate, "EU", "eu", "public"])
    from_csv = load_corpus(tmp_path / "labels.csv")
    assert from_csv.format == "csv"
    assert from_csv.manifest_sha256 == eu.manifest_sha256


def test_csv_several_rows_are_several_plates(openalpr_eu: Path, tmp_path: Path) -> None:
    image = min(openalpr_eu.glob("*.jpg"))
    rel = os.path.relpath(image, tmp_path)
    (tmp_path / "labels.csv").write_text(
        "image,plate,x,y,width,height,tag:time,tag:weather\n"
        f"{rel},ab 123,10,10,60,20,day,rain\n"
        f"{rel},XY-987,100,10,60,20,day,rain\n"
    )
    corpus = load_corpus(tmp_path / "labels.csv")
    (sample,) = corpus.samples
    assert sorted(p.text for p in sample.plates) == ["AB123", "XY987"]
    assert dict(sample.tags) == {"time": "day", "weather": "rain"}


def test_csv_problems_name_the_row(openalpr_eu: Path, tmp_path: Path) -> None:
    rel = os.path.relpath(min(openalpr_eu.glob("*.jpg")), tmp_path)
    (tmp_path / "labels.csv").write_text(
        "image,plate,x,y,width,height\n"
        f"{rel},AB123,10,10,60\n"
        f"{rel},AB123,ten,10,60,20\n"
        "missing.jpg,AB123,1,1,5,5\n"
        f"{rel},,1,1,5,5\n"
    )
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path / "labels.csv")
    found = [str(p) for p in info.value.problems]
    assert any("labels.csv:2: expected 6 columns, found 5" in p for p in found), found
    assert any("labels.csv:3: x, y, width and height must all be numbers" in p for p in found), found
    assert any("labels.csv:4: image missing.jpg: missing image" in p for p in found), found
    assert any("labels.csv:5: plate text is empty" in p for p in found), found


def test_csv_with_missing_columns(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("picture,plate,x\nfoo.jpg,AB1,1\n")
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path / "labels.csv")
    found = [str(p) for p in info.value.problems]
    assert found == [
        f"{tmp_path / 'labels.csv'}:1: missing column(s): image, y, width, height",
        f"{tmp_path / 'labels.csv'}:1: unknown column(s): picture (tags are written tag:NAME)",
    ]


def test_import_command_writes_a_manifest_with_the_same_identity(
    us: Corpus, openalpr_us: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["corpus", "import", "--from", str(openalpr_us), "--out", str(tmp_path), "--license", "AGPL-3.0"]
        )
        == 0
    )
    assert not list(tmp_path.glob("*.jpg")), "import must reference images, never copy them"
    imported = load_corpus(tmp_path)
    assert imported.format == "manifest" and len(imported) == 222
    assert imported.manifest_sha256 == us.manifest_sha256
    assert imported.manifest_sha256 in capsys.readouterr().out
