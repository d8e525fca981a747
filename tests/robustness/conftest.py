"""Fixtures for the robustness tests: a small synthetic corpus and the oracle vendor in a vendors.toml."""

from __future__ import annotations

import pytest

from harness.corpus.model import Corpus
from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus


@pytest.fixture(scope="session")
def corpus12(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """12 synthetic samples (8 public, 4 sequestered at this seed), rendered once per session."""
    folder = tmp_path_factory.mktemp("synth12")
    synth_corpus(folder, n=12, seed=7)
    return load_corpus(folder)


@pytest.fixture(scope="session")
def corpus30(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """30 synthetic samples: enough public ones for 16 canaries."""
    folder = tmp_path_factory.mktemp("synth30")
    synth_corpus(folder, n=30, seed=11)
    return load_corpus(folder)
