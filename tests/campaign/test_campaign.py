"""``platebench campaign``: every run, the comparisons and the index; an interrupted campaign resumes without
repeating a journaled call; the same campaign on a LocalCluster gives the local executor's scorecards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from campaign_helpers import comparable

from harness.campaign.config import load_campaign
from harness.cli.main import main
from harness.corpus.validate import load_corpus

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"


def _calls(journal: Path) -> list[str]:
    return [r["sample_id"] for r in map(json.loads, journal.read_text().splitlines()) if r["type"] == "call"]


def _index(campaign_file: Path) -> dict:
    return json.loads((load_campaign(campaign_file).output / "campaign.json").read_text())


def test_an_interrupted_campaign_resumes_without_repeating_a_call(campaign_file: Callable[..., Path],
                                                                  corpora: dict[str, Path]) -> None:
    path = campaign_file(delay_s=0.3, options="limit = 3", concurrency=1)
    out = load_campaign(path).output
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(RUNNER_TESTS), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-m", "harness.cli.main", "campaign", "run", str(path)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # kill -9 in the middle of the first run
            journal = next((out / "runs" / "alpha").glob("*/journal.jsonl"), None)
            if journal and len(_calls(journal)) >= 2:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
    assert _index(path)["runs"][0]["status"] == "running"
    assert main(["campaign", "status", str(path)]) == 0
    assert main(["campaign", "run", str(path)]) == 2  # already started: resume it
    assert main(["campaign", "resume", str(path)]) == 0
    index = _index(path)
    assert [r["status"] for r in index["runs"]] == ["done"] * 4
    for run in index["runs"]:
        journal = out / run["scorecard"].replace("scorecard.json", "journal.jsonl")
        assert sorted(_calls(journal)) == sorted(s.id for s in load_corpus(corpora[run["corpus"]]).samples[:3])
    assert [c["status"] for c in index["comparisons"]] == ["done", "done"]
    assert (out / "comparison" / "north" / "comparison.json").is_file()
    assert "| alpha | north |" in (out / "campaign.md").read_text()


def test_a_changed_campaign_file_is_not_resumed(campaign_file: Callable[..., Path]) -> None:
    path = campaign_file(options="limit = 1")
    assert main(["campaign", "run", str(path)]) == 0
    path.write_text(path.read_text().replace("limit = 1", "limit = 2"))
    assert main(["campaign", "resume", str(path)]) == 2


@pytest.mark.acceptance
def test_a_campaign_on_a_local_cluster_gives_the_local_scorecards(campaign_file: Callable[..., Path]) -> None:
    """Two vendors (the reference engine and a scripted one), two corpora and, where this build has
    perturbation sweeps, a small grid: the same scorecards from the local executor and a LocalCluster."""
    grid = "[perturbations]\nblur = [3]\nnight = [0.5]"
    scorecards = {}
    for executor in ("local", "dask"):
        path = campaign_file(executor, executor=executor, extra=grid, options="limit = 3")
        text = path.read_text().replace('vendors = ["alpha", "beta"]', 'vendors = ["reference", "alpha"]')
        path.write_text(text)
        assert main(["campaign", "run", str(path)]) == 0
        index = _index(path)
        scorecards[executor] = {
            (r["vendor"], r["corpus"]): comparable(json.loads((load_campaign(path).output / r["scorecard"]).read_text()))
            for r in index["runs"]
        }
        assert [c["status"] for c in index["comparisons"]] == ["done", "done"]
    assert len(scorecards["dask"]) == 4
    assert scorecards["dask"] == scorecards["local"]
