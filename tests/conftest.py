"""Fixtures shared by the project's own tests (the evaluation plugin is loaded by the root conftest)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = Path(
    os.environ.get("PLATEBENCH_OPENALPR_BENCHMARKS", REPO_ROOT.parent / "shared" / "datasets" / "openalpr-benchmarks")
)


def _shared_set(name: str) -> Path:
    path = SHARED_BENCHMARKS / name
    if not path.is_dir():
        pytest.skip(
            f"real OpenALPR benchmark set not found at {path} "
            "(set PLATEBENCH_OPENALPR_BENCHMARKS to the folder holding us/ and eu/)"
        )
    return path


@pytest.fixture(scope="session")
def openalpr_us() -> Path:
    """The shared US benchmark folder (222 labeled photographs); skips where absent."""
    return _shared_set("us")


@pytest.fixture(scope="session")
def openalpr_eu() -> Path:
    """The shared EU benchmark folder (108 labeled photographs); skips where absent."""
    return _shared_set("eu")
