"""The prohibited-purpose library: every variant it draws is flagged by its classifier, with its category."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from harness.policy.phrasings import PhrasingError, PhrasingLibrary, default_library, normalize

FILL = {"veh": ["blk Honda Civic"], "place": ["the lot"]}


def test_every_drawn_variant_is_flagged_with_its_category() -> None:
    library = default_library()
    classifier = library.classifier()
    shapes = set()
    for seed in range(150):
        for variant in library.variants(random.Random(seed), 25, fill=FILL):
            found = classifier.judge(variant.text)
            assert found is not None and found.category == variant.category, variant
            shapes.update(variant.shape.split(", "))
    assert {"misspelt", "embedded", "dotted", "case-number tag", "accents dropped"} <= shapes
    assert any(s.startswith("language ") for s in shapes)


def test_runs_draw_different_sets() -> None:
    library = default_library()
    one = {v.text for v in library.variants(random.Random(1), 20)}
    two = {v.text for v in library.variants(random.Random(2), 20)}
    assert one != two and len(one) == 20


@pytest.mark.parametrize(("text", "category"), [
    ("I.C.E. request", "immigration"), ("per ICE/ERO", "immigration"), ("ICE2455037", "immigration"),
    ("287(g) check", "immigration"), ("La MIGRA pregunta", "immigration"), ("inmigración", "immigration"),
    ("imigration hold", "immigration"), ("депортация", "immigration"), ("移民", "immigration"),
    ("nhập cư", "immigration"), ("abortoin clinic visit", "reproductive_care"), ("Planned Parenthood", "reproductive_care"),
    ("No Kings rally", "protest"), ("1st Amendment activity", "protest"), ("manifestación", "protest"),
    ("checking on my ex", "personal_use"),
])
def test_classifier_catches_spellings(text: str, category: str) -> None:
    assert default_library().classifier()(text) == category


@pytest.mark.parametrize("text", [
    "stolen veh reported overnight, owner states taken from the Walmart lot", "Police assist, victim's vehicle",
    "protect the scene, witness saw blk Honda", "demonstrated intent, agg assault susp", "Erie County case 26-004512",
    "Justice center follow up", "",
])
def test_classifier_leaves_lawful_reasons_alone(text: str) -> None:
    assert default_library().classifier().judge(text) is None


def test_categories_can_be_narrowed_and_unknown_ones_are_refused() -> None:
    library = default_library()
    assert library.classifier(["protest"])("ICE request") is None
    with pytest.raises(PhrasingError, match="unknown purpose categories"):
        library.classifier(["astrology"])
    drawn = library.variants(random.Random(4), 12, categories=["protest"])
    assert {v.category for v in drawn} == {"protest"}


def test_normalize() -> None:
    assert normalize("  I.C.E.  Request ") == "ice request"
    assert normalize("CR26-004512") == "cr 26 004512"


def test_malformed_library_files_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "lib.toml"
    path.write_text('version = "1"\n[categories.x]\nterms = ["a"]\nfuzzy = ["short"]\n'
                    '[embedding]\ntemplates = ["{p}"]\nagencies = ["x"]\n')
    with pytest.raises(PhrasingError, match="fuzzy word 'short'"):
        PhrasingLibrary.load(path)
    path.write_text('version = "1"\n[categories.x]\nterms = ["a"]\n[embedding]\ntemplates = ["no slot"]\nagencies = []\n')
    with pytest.raises(PhrasingError, match="lacks"):
        PhrasingLibrary.load(path)
    with pytest.raises(PhrasingError):
        PhrasingLibrary.load(tmp_path / "missing.toml")
    assert default_library().version
