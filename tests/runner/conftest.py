"""Fixtures for runner tests: a small synthetic corpus and a scripted vendor in a vendors.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.corpus.model import Corpus
from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """12 synthetic samples (rendered once per session)."""
    folder = tmp_path_factory.mktemp("synth12")
    synth_corpus(folder, n=12, seed=7)
    return load_corpus(folder)


@pytest.fixture
def scorecard_dir(tmp_path: Path) -> Path:
    return tmp_path / "scorecards"
