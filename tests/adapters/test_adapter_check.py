"""The adapter contract kit and ``platebench adapter check``, with a third-party plugin package."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from vendor_imitations import PR_TOKEN, TruthPlate

from harness.adapter_check import check_adapter
from harness.cli.main import main
from vendor_adapters.registry import adapter_names, load_adapter_class

PLUGIN = '''
"""A vendor's adapter package, as docs/adapters.md tells vendors to write one."""
from vendor_adapters import Adapter, Box, Image, Read, Recognition, VendorInfo, normalize_plate_text
from vendor_adapters.errors import ImageRejected


class AcmeAdapter(Adapter):
    name = "acme"

    def recognize(self, image: Image) -> Recognition:
        if not image.data.startswith(b"\\xff\\xd8") or len(image.data) < 100:
            raise ImageRejected("acme: not a JPEG", 415)
        return Recognition(reads=(Read(normalize_plate_text("abc-123"), 0.93, box=Box(10, 10, 100, 30)),),
                           vendor_ms=12.0)

    def info(self) -> VendorInfo:
        return VendorInfo(vendor="Acme", product="Acme LPR", version="1.0", declared_threshold=0.8)


class BrokenAdapter(Adapter):
    name = "acme-broken"

    def recognize(self, image: Image) -> Recognition:
        if len(image.data) < 100:
            raise KeyError("results")
        return Recognition(reads=(Read("abc-123", 93.0, box=Box(700, 400, 300, 100), region="US-CA"),),
                           vendor_ms=-1.0)
'''


@pytest.fixture
def acme_plugin(tmp_path, monkeypatch) -> Path:
    """A fake installed distribution exposing two adapters through the ``platebench.adapters`` group."""
    (tmp_path / "acme_platebench.py").write_text(textwrap.dedent(PLUGIN))
    dist = tmp_path / "acme_platebench-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-platebench\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[platebench.adapters]\nacme = acme_platebench:AcmeAdapter\nacme-broken = acme_platebench:BrokenAdapter\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_platebench", raising=False)
    return tmp_path


def test_plugin_is_found_through_the_entry_point_group(acme_plugin, capsys):
    assert {"acme", "acme-broken"} <= set(adapter_names())
    assert load_adapter_class("acme").__module__ == "acme_platebench"
    assert main(["adapter", "list"]) == 0
    assert "acme" in capsys.readouterr().out


def test_a_well_behaved_plugin_passes(acme_plugin, capsys):
    assert main(["adapter", "check", "acme"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "11/11 checks passed" in out


def test_a_broken_plugin_fails_each_broken_rule(acme_plugin, capsys):
    assert main(["adapter", "check", "acme-broken"]) == 1
    failed = {line.split()[1] for line in capsys.readouterr().out.splitlines() if line.strip().startswith("FAIL")}
    assert {"text", "confidence", "box", "region", "vendor_ms", "corrupt"} <= failed
    assert "returns" not in failed  # it does return Recognition objects, just wrong ones


def test_check_against_the_platerecognizer_imitation_via_vendors_toml(pr_cloud, tmp_path, monkeypatch, capsys,
                                                                       synthetic):
    state, url = pr_cloud
    state.register(synthetic[0].image.data, TruthPlate("ABC1234", box=(300, 150, 660, 270)))
    config = tmp_path / "vendors.toml"
    config.write_text(f'[vendors.prtest]\nadapter = "platerecognizer"\nbase_url = "{url}"\ntoken_env = "PR_TOKEN"\n')
    monkeypatch.setenv("PR_TOKEN", PR_TOKEN)
    assert main(["adapter", "check", "prtest", "--vendors-config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "11/11 checks passed" in out and "1 plates read exactly" in out
    assert PR_TOKEN not in out


def test_check_reports_when_every_call_fails(pr_cloud, tmp_path, monkeypatch, capsys):
    _, url = pr_cloud
    config = tmp_path / "vendors.toml"
    config.write_text(f'[vendors.prtest]\nadapter = "platerecognizer"\nbase_url = "{url}"\ntoken_env = "PR_TOKEN"\n')
    monkeypatch.setenv("PR_TOKEN", "not-the-token")
    assert main(["adapter", "check", "prtest", "--vendors-config", str(config)]) == 1
    assert "every call failed" in capsys.readouterr().out


def test_missing_credential_is_a_user_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PR_TOKEN", raising=False)
    config = tmp_path / "vendors.toml"
    config.write_text('[vendors.prtest]\nadapter = "platerecognizer"\ntoken_env = "PR_TOKEN"\n')
    assert main(["adapter", "check", "prtest", "--vendors-config", str(config)]) == 2
    assert "PR_TOKEN" in capsys.readouterr().err


def test_a_hanging_adapter_fails_the_time_limit(synthetic):
    import threading

    from vendor_adapters.base import Adapter, Image, Recognition

    release = threading.Event()

    class Hanging(Adapter):
        def recognize(self, image: Image) -> Recognition:
            release.wait(5)
            return Recognition()

    try:
        results, _ = check_adapter(Hanging(), timeout_s=0.05, images=synthetic[:1])
    finally:
        release.set()
    verdict = {r.name: r.passed for r in results}
    assert verdict["answers in time"] is False
