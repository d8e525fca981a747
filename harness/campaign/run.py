"""Running a campaign: every (vendor, corpus) run in turn, then one comparison per corpus, with the index
(:mod:`harness.campaign.index`) rewritten at every step.

A run is :func:`harness.runner.run.prepare` then :func:`~harness.runner.run.execute`, exactly as
``platebench run`` does it, into ``OUTPUT/runs/VENDOR/RUN_ID/``. Its id goes into the index before
its journal exists; on resume a run with a journal is continued from it (``--resume RUN_ID``: its
journaled calls are not made again), a run without one starts afresh, a finished run is kept.
With ``executor = "dask"`` one ``LocalCluster`` serves every run of the campaign.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from harness.campaign.config import Campaign, CampaignError
from harness.campaign.index import new_index, read_index, write_index
from harness.errors import USER_ERRORS
from harness.options import EXECUTOR_DASK
from harness.runner.journal import JOURNAL_FILE


def start_campaign(campaign: Campaign, *, executor: str | None = None, stream: IO[str] | None = None) -> dict[str, Any]:
    """Start a new campaign (its output folder must not hold one) and run it to the end; the index."""
    if read_index(campaign) is not None:
        raise CampaignError(
            f"{campaign.output} already holds this campaign: continue it with platebench campaign resume {campaign.path}"
        )
    index = new_index(campaign)
    write_index(campaign, index)
    return _run(campaign, index, executor, stream or sys.stderr)


def resume_campaign(campaign: Campaign, *, executor: str | None = None, stream: IO[str] | None = None) -> dict[str, Any]:
    """Continue a started campaign: unfinished runs from their journals, then the comparisons; the index."""
    index = read_index(campaign)
    if index is None:
        raise CampaignError(f"no campaign in {campaign.output} yet: start it with platebench campaign run {campaign.path}")
    return _run(campaign, index, executor, stream or sys.stderr)


@contextmanager
def _executor(campaign: Campaign, override: str | None) -> Iterator[str]:
    """The executor the runs use: a ``dask`` campaign gets one LocalCluster for all its runs."""
    executor = override or campaign.executor
    if executor != EXECUTOR_DASK:
        yield executor
        return
    from harness.calls.dask_pool import local_cluster

    with local_cluster(campaign.options.get("concurrency") or os.cpu_count() or 1) as address:
        yield address


def _run(campaign: Campaign, index: dict[str, Any], executor: str | None, stream: IO[str]) -> dict[str, Any]:
    todo = [run for run in index["runs"] if run["status"] != "done"]
    if todo:
        with _executor(campaign, executor) as where:
            for number, run in enumerate(todo, start=1):
                print(f"campaign {campaign.name}: run {number} of {len(todo)}: {run['vendor']} on {run['corpus']}",
                      file=stream, flush=True)
                _one_run(campaign, index, run, where, stream)
    index["comparisons"] = [_compare(campaign, index, corpus, stream) for corpus in campaign.corpora]
    write_index(campaign, index)
    return index


def _one_run(campaign: Campaign, index: dict[str, Any], run: dict[str, Any], executor: str, stream: IO[str]) -> None:
    from harness.runner.run import execute, prepare

    journal = run["run_id"] and campaign.runs_dir / run["vendor"] / run["run_id"] / JOURNAL_FILE
    resume = run["run_id"] if journal and journal.is_file() else None
    try:
        prepared = prepare(campaign.request(run["vendor"], run["corpus"], resume=resume, executor=executor))
    except USER_ERRORS as exc:
        _set(campaign, index, run, status="failed", message=str(exc))
        return
    _set(campaign, index, run, run_id=prepared.header["run_id"], status="running", message=None)
    try:
        result = execute(prepared, progress_stream=stream)
    except USER_ERRORS as exc:
        _set(campaign, index, run, status="failed", message=str(exc))
        return
    except KeyboardInterrupt:
        _set(campaign, index, run, status="interrupted", message=None)
        raise
    score = result.document["results"]["score"]
    _set(campaign, index, run, status="done",
         scorecard=str(result.scorecard_path.relative_to(campaign.output)),
         scorecard_sha256=result.document["integrity"]["sha256"], eligible=score["eligible"])


def _set(campaign: Campaign, index: dict[str, Any], run: dict[str, Any], **changes: Any) -> None:
    run.update(changes)
    write_index(campaign, index)


def _compare(campaign: Campaign, index: dict[str, Any], corpus: str, stream: IO[str]) -> dict[str, Any]:
    """The comparison of ``corpus``'s finished runs (as ``platebench compare`` writes it)."""
    from harness.compare import CompareError
    from harness.corpus.validate import load_corpus
    from harness.report.comparison import compare_scorecards

    runs = [run for run in index["runs"] if run["corpus"] == corpus]
    done = [campaign.output / run["scorecard"] for run in runs if run["status"] == "done"]
    folder = Path("comparison") / corpus
    entry: dict[str, Any] = {"corpus": corpus, "folder": str(folder), "scorecards": len(done), "message": None}
    missing = [run["vendor"] for run in runs if run["status"] != "done"]
    if len(done) < 2:
        why = f"unfinished: {', '.join(missing)}" if missing else "one vendor: nothing to compare"
        return {**entry, "status": "skipped", "message": why}
    if missing:
        entry["message"] = f"without {', '.join(missing)} (unfinished)"
    plates = tuple(p.text for s in load_corpus(campaign.corpora[corpus]).samples for p in s.plates)
    try:
        cmp, _bids, written = compare_scorecards(done, campaign.output / folder, plates=plates,
                                                 rfp=campaign.rfp or campaign.name)
    except CompareError as exc:
        return {**entry, "status": "failed", "message": str(exc)}
    print(f"campaign {campaign.name}: compared {len(done)} scorecards on {corpus}: {campaign.output / folder}",
          file=stream, flush=True)
    return {**entry, "status": "done", "files": len(written), "eligible_bids": cmp["eligible_bids"]}
