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
