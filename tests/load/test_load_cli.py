"""``platebench load`` end to end against the stub vendor, and the in-process pool caller."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.calls.pool import CallPool
from harness.calls.single import ImageTarget
from harness.cli.main import main
from harness.load.callers import pool_caller
from harness.load.scenarios import run_server
from harness.load.stub_server import StubOptions, StubServer
from harness.scorecard.model import LoadScenarioResult
from vendor_adapters.base import Image
from vendor_adapters.registry import AdapterFactory


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    with StubServer(StubOptions(service_ms=1.0)) as server:
        yield server


def write_vendors(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "vendors.toml"
    path.write_text(f'[vendors.bench]\nadapter = "stub"\nurl = "{url}"\n', encoding="utf-8")
    return path


def test_load_command_writes_scorecard_shaped_results(stub: StubServer, tmp_path: Path, capsys) -> None:
    out = tmp_path / "load.json"
    code = main([
        "load", "--vendor", "bench", "--vendors-config", str(write_vendors(tmp_path, f"{stub.url}/recognize")),
        "--scenario", "single-stream", "--scenario", "server", "--scenario", "offline",
        "--target-qps", "200", "--queries", "60", "--concurrency", "4", "--latency-bound-ms", "500",
        "--seed", "5", "--out", str(out),
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "bench: server" in printed and "too few" in printed  # 60 queries cannot support a p99
    data = json.loads(out.read_text())
    assert [r["scenario"] for r in data["results"]] == ["single-stream", "server", "offline"]
    for entry in data["results"]:
        details = entry.pop("details")
        LoadScenarioResult.model_validate(entry)  # exactly the scorecard's results.load shape
        assert entry["n"] == 60 and entry["errors"] == {}
        assert details["plan"]["transport"]["read_timeout_s"] == 30.0
    assert data["results"][1]["target_qps"] == 200 and data["results"][2]["concurrency"] == 4


def test_load_command_reports_faults_and_exits_cleanly(tmp_path: Path, stub: StubServer) -> None:
    out = tmp_path / "faults.json"
    vendors = write_vendors(tmp_path, f"{stub.url}/fault/truncated-json")
    assert main(["load", "--vendor", "bench", "--vendors-config", str(vendors), "--queries", "5", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["results"][0]["errors"] == {"protocol": 5}


@pytest.mark.parametrize(
    "argv",
    [
        ["--scenario", "server", "--queries", "5"],  # no --target-qps
        ["--queries", "5", "--search"],  # search without a bound
        ["--queries", "5", "--out", "/nonexistent-folder/x.json"],
    ],
)
def test_load_command_rejects_bad_options(tmp_path: Path, stub: StubServer, argv: list[str], capsys) -> None:
    vendors = write_vendors(tmp_path, f"{stub.url}/recognize")
    assert main(["load", "--vendor", "bench", "--vendors-config", str(vendors), *argv]) == 2
    assert "platebench: error:" in capsys.readouterr().err


def test_pool_caller_runs_an_adapter_through_the_call_pool(stub: StubServer) -> None:
    factory = AdapterFactory("stub", {"url": f"{stub.url}/recognize"})
    targets = [ImageTarget(Image(b"x" * 200))]
    with CallPool(factory, factory(), workers=2) as pool:
        assert pool.width == 1  # not cpu_bound: the run's one adapter, one call at a time
        result = asyncio.run(run_server(pool_caller(pool, targets), target_qps=200, queries=40))
    assert result.n == 40 and result.errors == {}
    assert result.latency_ms["p50"] is not None
