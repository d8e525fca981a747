"""The campaign index: each run's id and status, and the comparisons, as ``campaign.json`` and ``campaign.md``.

The index is rewritten (atomically, fsync'd) at every change of a run's status, and a run's id is
written *before* its journal is created, so an interrupted campaign always knows every journal it
started: ``platebench campaign resume`` continues each unfinished run from its journal.

Run statuses: ``pending`` (not started), ``running`` (started; if no campaign is running, it was
interrupted), ``interrupted`` (stopped by Ctrl-C), ``failed`` (stopped with an error, in ``message``),
``done`` (scorecard written).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.calls.single import utc_now
from harness.campaign.config import Campaign, CampaignError
from harness.durable import write_atomic
from harness.report.markdown import code, escape, table

INDEX_JSON = "campaign.json"
INDEX_MD = "campaign.md"
INDEX_FORMAT = 1
STATUSES = ("pending", "running", "interrupted", "failed", "done")


def new_index(campaign: Campaign) -> dict[str, Any]:
    """The index of a campaign that has not started a run yet."""
    return {
        "index_format": INDEX_FORMAT,
        "campaign": campaign.name,
        "file": str(campaign.path),
        "file_sha256": campaign.sha256,
        "started_at": utc_now(),
        "updated_at": utc_now(),
        "vendors": list(campaign.vendors),
        "corpora": {name: str(path) for name, path in campaign.corpora.items()},
        "perturb": list(campaign.perturb),
        "runs": [
            {"vendor": vendor, "corpus": corpus, "run_id": None, "status": "pending", "scorecard": None,
             "scorecard_sha256": None, "eligible": None, "message": None}
            for vendor, corpus in campaign.pairs()
        ],
        "comparisons": [],
    }


def read_index(campaign: Campaign) -> dict[str, Any] | None:
    """The campaign's index, if it has started; a :class:`CampaignError` if it belongs to another file."""
    path = campaign.output / INDEX_JSON
    try:
        index: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CampaignError(f"cannot read the campaign index {path}: {exc}") from None
    if index.get("index_format") != INDEX_FORMAT:
        raise CampaignError(f"{path}: unsupported index format {index.get('index_format')!r}")
    if index.get("file_sha256") != campaign.sha256:
        raise CampaignError(
            f"{campaign.path} changed since the campaign in {campaign.output} started (sha256 "
            f"{index.get('file_sha256', '?')[:12]}... then, {campaign.sha256[:12]}... now): a changed campaign "
            "is a new one; give it another output folder"
        )
    return index


def write_index(campaign: Campaign, index: dict[str, Any]) -> Path:
    """Write ``campaign.json`` and ``campaign.md`` (each atomically); the JSON's path."""
    index["updated_at"] = utc_now()
    campaign.output.mkdir(parents=True, exist_ok=True)
    path = campaign.output / INDEX_JSON
    write_atomic(path, json.dumps(index, indent=2, ensure_ascii=False) + "\n")
    write_atomic(campaign.output / INDEX_MD, render_index(index, campaign.output))
    return path


def counts(index: dict[str, Any]) -> dict[str, int]:
    """Runs per status."""
    found = {status: 0 for status in STATUSES}
    for run in index["runs"]:
        found[run["status"]] += 1
    return found


def render_index(index: dict[str, Any], output: Path) -> str:
    """``campaign.md``: the runs and the comparisons."""
    tally = ", ".join(f"{n} {status}" for status, n in counts(index).items() if n)
    rows = [
        [escape(run["vendor"]), escape(run["corpus"]), code(run["run_id"]) if run["run_id"] else "",
         run["status"] + (f": {escape(run['message'])}" if run.get("message") else ""),
         f"[scorecard]({run['scorecard']})" if run["scorecard"] else "",
         {True: "eligible", False: "not eligible", None: ""}[run["eligible"]]]
        for run in index["runs"]
    ]
    lines = [
        f"# Campaign {escape(index['campaign'])}",
        "",
        (f"Campaign file {code(index['file'])} (sha256 `{index['file_sha256'][:16]}...`), started "
         f"{index['started_at']}, updated {index['updated_at']}."),
        "",
        f"Perturbation grid: {', '.join(f'`{p}`' for p in index['perturb']) or 'none'}.",
        "",
        f"## Runs ({tally})",
        "",
        table(["vendor", "corpus", "run id", "status", "scorecard", "verdict"], rows),
        "",
        "## Comparisons",
        "",
    ]
    if not index["comparisons"]:
        lines.append("None yet.")
    for entry in index["comparisons"]:
        where = f" ([comparison.md]({entry['folder']}/comparison.md))" if entry["status"] == "done" else ""
        note = f": {escape(entry['message'])}" if entry.get("message") else ""
        lines.append(f"- {escape(entry['corpus'])}: {entry['status']}{where}{note}")
    return "\n".join(lines) + "\n"
