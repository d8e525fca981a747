"""``platebench serve-reference`` refuses unsafe or unknown options with a clear message."""

from __future__ import annotations

import pytest

from harness.cli.main import main
from harness.cli.serve_cmd import is_loopback


def test_unknown_flaw_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve-reference", "--flaw", "share-everything"]) == 2
    err = capsys.readouterr().err
    assert "unknown flaw(s) share-everything" in err and "revocation-delayed" in err


def test_non_loopback_host_needs_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve-reference", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_admin_token_env_must_be_set(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PB_TEST_ADMIN_TOKEN", raising=False)
    assert main(["serve-reference", "--admin-token-env", "PB_TEST_ADMIN_TOKEN"]) == 2
    assert "PB_TEST_ADMIN_TOKEN" in capsys.readouterr().err


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")


def test_the_engine_must_be_an_in_process_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve-reference", "--engine", "evalapi"]) == 2
    assert "--engine evalapi: a http adapter" in capsys.readouterr().err


def test_the_server_serves_the_engine_it_is_given_through_the_adapter_seam() -> None:
    """SimpleLPR (an in-process adapter from the registry) behind the RFP evaluation API."""
    import cv2
    import httpx
    import numpy as np

    pytest.importorskip("simplelpr", reason="the SimpleLPR SDK is an optional extra: pip install -e '.[simplelpr]'")
    from harness.reference_server.launcher import running_reference_server

    with running_reference_server(engine="simplelpr") as server:
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        info = httpx.get(f"{server.base_url}/v1/info", headers=headers, timeout=60).json()
        ok, blank = cv2.imencode(".png", np.full((120, 320, 3), 255, np.uint8))
        answer = httpx.post(f"{server.base_url}/v1/recognize", headers=headers, timeout=60,
                            files={"image": ("blank.png", blank.tobytes(), "image/png")})
    assert "engine simplelpr" in info["version"]
    assert ok and answer.status_code == 200 and answer.json()["reads"] == []
