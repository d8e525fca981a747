"""Fixtures for campaign and Dask-executor tests: two small synthetic corpora, two scripted CPU-bound
vendors whose answers are decided per image, and campaign files naming them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest

from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"


@pytest.fixture(scope="session", autouse=True)
def scripted_vendor_importable() -> Iterator[None]:
    """``scripted_vendor`` (tests/runner) importable here and in spawned workers (they inherit sys.path)."""
    sys.path.insert(0, str(RUNNER_TESTS))
    yield
    sys.path.remove(str(RUNNER_TESTS))


@pytest.fixture(scope="session")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two synthetic corpora of 6 images each."""
    root = tmp_path_factory.mktemp("campaign-corpora")
    found = {}
    for name, seed in (("north", 11), ("south", 12)):
        synth_corpus(root / name, n=6, seed=seed)
        found[name] = root / name
    return found


def _answers(corpus: Path, wrong_every: int) -> dict[str, Any]:
    """Right plate with its box, except every ``wrong_every``-th image (a wrong plate) and the last (no read)."""
    samples = load_corpus(corpus).samples
    answers: dict[str, Any] = {}
    for i, sample in enumerate(samples[:-1]):
        plate = sample.plates[0]
        text = plate.text if i % wrong_every else plate.text[::-1] + "X"
        answers[sample.sha256] = {"text": text, "confidence": 0.5 + i / 20,
                                  "box": list(astuple(plate.box)) if plate.box else None}
    return answers


@pytest.fixture(scope="session")
def vendors_file(tmp_path_factory: pytest.TempPathFactory, corpora: dict[str, Path]) -> Callable[..., Path]:
    """A vendors.toml with two scripted CPU-bound vendors, ``alpha`` and ``beta`` (``delay_s`` per call)."""
    root = tmp_path_factory.mktemp("campaign-vendors")

    def make(delay_s: float = 0.0) -> Path:
        lines = []
        for name, wrong_every in (("alpha", 3), ("beta", 2)):
            answers = {}
            for corpus in corpora.values():
                answers.update(_answers(corpus, wrong_every))
            script = root / f"{name}.json"
            script.write_text(json.dumps(answers), encoding="utf-8")
            lines += [f"[vendors.{name}]", 'adapter = "scripted_vendor:ScriptedPoolAdapter"',
                      f'answers = "{script}"', f"delay_s = {delay_s}", ""]
        path = root / f"vendors-{delay_s}.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    return make


@pytest.fixture
def campaign_file(tmp_path: Path, corpora: dict[str, Path], vendors_file: Callable[..., Path]) -> Callable[..., Path]:
    """Write a campaign file in ``tmp_path``: alpha and beta on north and south, no load, no privacy."""

    def make(name: str = "campaign", *, executor: str = "local", delay_s: float = 0.0, extra: str = "",
             output: str | None = None, options: str = "", concurrency: int = 2) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f'name = "Test {name}"\noutput = "{output or name + "-out"}"\nvendors_config = "{vendors_file(delay_s)}"\n'
            'vendors = ["alpha", "beta"]\n'
            f'[corpora]\nnorth = "{corpora["north"]}"\nsouth = "{corpora["south"]}"\n{extra}\n'
            f'[options]\nexecutor = "{executor}"\nconcurrency = {concurrency}\nload = false\nprivacy = false\n{options}\n',
            encoding="utf-8",
        )
        return path

    return make
