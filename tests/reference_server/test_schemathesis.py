"""schemathesis, every check and every phase (stateful included), against a real reference server: 0 failures.

This is the conformance run a bidder's engineers will make against their own sandbox with the
published spec; the reference server is the proof that the spec can be implemented exactly.
``harness/api/schemathesis.toml`` holds the only configuration (recognition's 422 and latency).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from harness.reference_server import running_reference_server
from vendor_adapters.openapi_check import SPEC_PATH

CONFIG = Path(__file__).parents[2] / "harness" / "api" / "schemathesis.toml"


def run_schemathesis(base_url: str, token: str, *, max_examples: int, seed: int,
                     cwd: Path) -> subprocess.CompletedProcess[str]:
    """One schemathesis CLI run with all checks and phases against ``base_url`` (its cache goes to ``cwd``)."""
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(SPEC_PATH),
               "--url", base_url, "--checks", "all", "-H", f"Authorization: Bearer {token}",
               "--max-examples", str(max_examples), "--seed", str(seed), "--workers", "1",
               "--request-timeout", "60", "--no-color"]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=cwd)


def _warm_up(base_url: str) -> None:
    """Load the recognizer once, so the first generated upload is not charged its start-up time."""
    ok, jpeg = cv2.imencode(".jpg", np.full((120, 320, 3), 255, np.uint8))
    assert ok
    httpx.post(f"{base_url}/v1/recognize", files={"image": ("blank.jpg", jpeg.tobytes(), "image/jpeg")}, timeout=120)


@pytest.mark.slow
def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    with running_reference_server() as server:
        _warm_up(server.base_url)
        result = run_schemathesis(server.base_url, server.admin_token, max_examples=1, seed=2, cwd=tmp_path)
    summary = result.stdout[result.stdout.rfind("SUMMARY"):]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Stateful" in summary and "passed" in summary
