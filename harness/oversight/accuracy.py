"""The period's optional accuracy re-run: the awarded vendor scored again on the contract's corpus.

A contract with an ``[accuracy]`` table (``corpus``, optional ``vendors_config`` and ``limit``) has the
vendor re-run every period through the same runner as the bid (``platebench run``: accuracy pass only,
no load, no privacy pass, which the period runs against its sandbox tenant). The period keeps the run's
sealed scorecard and journal; its exact-read figure is compared with the baseline scorecard's
(``OV-ACCURACY``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.oversight.contract import Contract

FIGURE = "exact_read_plate"
"""The figure compared across periods (``results.accuracy.overall.<FIGURE>``)."""


@dataclass(frozen=True)
class AccuracyOutcome:
    """One period's re-run: its exact-read estimate (``value``, ``ci_low``, ``ci_high``, ``n``...)."""

    run_id: str
    scorecard_sha256: str
    run_dir: Path
    exact: dict[str, Any]


def rerun_accuracy(contract: Contract, out_dir: Path, say: Callable[[str], None]) -> AccuracyOutcome | None:
    """Score the vendor again on the contract's corpus into ``out_dir``; ``None`` without ``[accuracy]``."""
    from harness.runner.run import RunRequest, run

    table = contract.data.get("accuracy")
    if table is None:
        return None
    vendors_file = contract.resolve(table["vendors_config"]) if "vendors_config" in table else None
    vendor = contract.vendor if vendors_file is not None else contract.data["vendor"].get("adapter", contract.vendor)
    say(f"accuracy re-run of {vendor} on {table['corpus']}")
    result = run(RunRequest(vendor=vendor, vendors_file=vendors_file, corpus_path=contract.resolve(table["corpus"]),
                            limit=table.get("limit"), rubric_path=contract.file("rubric"), privacy=False, load=False,
                            scorecard_dir=out_dir))
    document = result.document
    return AccuracyOutcome(document["provenance"]["run_id"], document["integrity"]["sha256"], result.run_dir,
                           document["results"]["accuracy"]["overall"][FIGURE])


def baseline_exact(baseline: dict[str, Any] | None) -> dict[str, Any] | None:
    """The baseline scorecard's exact-read estimate (``None`` without a baseline or the figure)."""
    if baseline is None:
        return None
    figure = ((baseline.get("results") or {}).get("accuracy") or {}).get("overall", {}).get(FIGURE)
    return figure if isinstance(figure, dict) and figure.get("value") is not None else None
