"""Fixtures for report tests: real scorecards (shared with tests/compare) and a headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compare"))

from scorecard_factory import card_a, card_b, corpus12  # noqa: F401  (fixtures)

from harness.report.chromium import find_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _may_install() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "not running as root"
    if os.environ.get("PLATEBENCH_INSTALL_CHROMIUM") != "1" and os.environ.get("CI") != "true":
        return False, "set PLATEBENCH_INSTALL_CHROMIUM=1 (or CI=true) to let the tests install it"
    if shutil.which("apt-get") is None:
        return False, "no apt-get"
    return True, ""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless Chromium (and poppler's pdftotext beside it, to read the PDFs back): found, or
    installed with apt-get where allowed, else the test skips."""
    missing = [pkg for pkg, found in (("chromium", find_chromium()), ("poppler-utils", shutil.which("pdftotext")))
               if not found]
    if missing:
        allowed, why = _may_install()
        if not allowed:
            pytest.skip(f"{', '.join(missing)} not found and not installed: {why} (apt-get install -y {' '.join(missing)})")
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *missing]):
            done = subprocess.run(
                command,
                capture_output=True,
                encoding="utf-8",
                errors="replace",
                check=False,
                timeout=900,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
            if done.returncode != 0:
                pytest.skip(f"could not install {', '.join(missing)} ({' '.join(command)} failed: {done.stderr.strip()[-300:]})")
    found = find_chromium()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/`` at the repository root (git-ignored): screenshots and PDFs to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
