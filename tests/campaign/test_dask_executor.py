"""The Dask executor: engines built once per worker, images read once per worker, the same scorecard as the
local executor, and a worker killed with SIGKILL mid-run loses nothing and counts nothing twice."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from campaign_helpers import comparable

from harness.calls.single import HarnessFault
from harness.cli.main import main
from harness.corpus.validate import load_corpus
from harness.run_options import RunRequest
from harness.runner.journal import read_journal
from harness.runner.run import rescore, run

distributed = pytest.importorskip("distributed")


@pytest.fixture
def cluster() -> Iterator[distributed.LocalCluster]:
    """A LocalCluster of two single-thread worker processes, closed after the test."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as local:
        yield local


def _address(cluster: distributed.LocalCluster) -> str:
    return "dask://" + cluster.scheduler_address.removeprefix("tcp://")


def _request(vendors: Path, corpus: Path, out: Path, executor: str, **extra: object) -> RunRequest:
    return RunRequest(vendor="alpha", corpus_path=corpus, vendors_file=vendors, scorecard_dir=out, executor=executor,
                      load=False, privacy=False, concurrency=2, **extra)


def test_engine_built_once_per_worker_and_each_image_read_once(cluster: distributed.LocalCluster,
                                                               corpora: dict[str, Path], tmp_path: Path) -> None:
    from harness.calls.dask_pool import DaskCallPool
    from harness.calls.dask_worker import engine_stats
    from vendor_adapters.registry import AdapterFactory

    factory = AdapterFactory("scripted_vendor:ScriptedPoolAdapter", {})
    samples = load_corpus(corpora["north"]).samples
    with DaskCallPool(factory, factory(), 2, _address(cluster)) as pool:
        outcomes = [f.result() for f in [pool.submit(s) for s in samples * 3]]
        stats = pool.client.run(engine_stats, pool.plugin_name)
        assert [o.sample_id for o in outcomes] == [s.id for s in samples] * 3
        assert [s["builds"] for s in stats.values()] == [1, 1]
        assert sum(s["image_reads"] for s in stats.values()) <= 2 * len(samples)  # at most once per worker
        forged = tmp_path / "forged.jpg"
        forged.write_bytes(b"not the corpus's image")
        with pytest.raises(HarnessFault, match="sha256 differs"):
            pool.submit(type(samples[0])("forged", forged, "ab" * 32, samples[0].plates)).result()
    assert not any("platebench-engine" in name for name in cluster.scheduler.worker_plugins)  # engines closed


def test_a_worker_sends_an_image_under_the_same_content_name_as_a_local_call(corpora: dict[str, Path]) -> None:
    from harness.calls.dask_worker import PathTarget

    for sample in load_corpus(corpora["north"]).samples:
        name = PathTarget.of(sample).name
        assert name == sample.load_image().name and sample.id not in name


def test_a_dask_run_gives_the_local_scorecard_and_rescores_and_verifies(
    cluster: distributed.LocalCluster, corpora: dict[str, Path], vendors_file: Callable[..., Path], tmp_path: Path
) -> None:
    vendors = vendors_file()
    local = run(_request(vendors, corpora["north"], tmp_path / "local", "local"))
    dask = run(_request(vendors, corpora["north"], tmp_path / "dask", _address(cluster)))
    assert comparable(dask.document) == comparable(local.document)
    assert read_journal(dask.journal_path).header["executor"] == _address(cluster)
    assert comparable(rescore(dask.run_dir).document) == comparable(dask.document)
    assert main(["verify", str(dask.scorecard_path)]) == 0


def test_a_worker_killed_mid_run_loses_nothing_and_counts_nothing_twice(
    cluster: distributed.LocalCluster, corpora: dict[str, Path], vendors_file: Callable[..., Path], tmp_path: Path
) -> None:
    client = distributed.Client(cluster)
    try:
        pids = client.run(os.getpid)
    finally:
        client.close()
    request = _request(vendors_file(delay_s=0.4), corpora["north"], tmp_path / "dask", _address(cluster))
    done: dict[str, object] = {}
    runner = threading.Thread(target=lambda: done.update(result=run(request)), daemon=True)
    runner.start()
    journal = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill one worker once two calls are journaled (others are under way)
        journal = next((tmp_path / "dask" / "alpha").glob("*/journal.jsonl"), None)
        if journal and sum('"type":"call"' in line for line in journal.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    victim = next(iter(pids.values()))
    os.kill(victim, signal.SIGKILL)
    runner.join(120)
    assert "result" in done, "the run did not finish"
    assert journal is not None
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    calls = [r["sample_id"] for r in records if r["type"] == "call"]
    samples = [s.id for s in load_corpus(corpora["north"]).samples]
    assert sorted(calls) == sorted(samples)  # each sample exactly once
    lost = [r for r in records if r["type"] == "lost"]
    assert lost and all(r["sample_id"] in samples and r["worker"] for r in lost)
    for record in lost:  # the lost attempt is journaled before the call that replaced it
        assert records.index(record) < max(i for i, r in enumerate(records) if r.get("sample_id") == record["sample_id"]
                                           and r["type"] == "call")
    assert done["result"].document["results"]["accuracy"]["counts"]["samples"] == len(samples)  # type: ignore[attr-defined]
