"""The few lines that sum up a finished run, shared by ``platebench run``/``rescore`` and ``pytest --vendor``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.runner.privacy_pass import summary_line
from harness.scorecard.markdown import scenario_line

if TYPE_CHECKING:
    from harness.runner.run import RunResult


def summary_lines(result: RunResult) -> list[str]:
    """Calls, exact plate reads, latency, requirements and score, load scenarios, privacy, evidence and report.

    The warnings (``result.warnings``) and the scorecard's path are left to the caller, which shows them its way."""
    document = result.document
    results = document["results"]
    exact = results["accuracy"]["overall"]["exact_read_plate"]
    p95 = results["latency"]["single_stream"]["client_ms"]["p95"]
    errors = results["errors"]
    score = results["score"]
    failed = [r["id"] for r in results["requirements"] if not r["passed"]]
    value = "n/a" if exact["value"] is None else f"{100 * exact['value']:.1f}%"
    ci = "" if exact["ci_low"] is None else f" (95% CI {100 * exact['ci_low']:.1f}-{100 * exact['ci_high']:.1f}%)"
    weighted = "n/a" if score["weighted"] is None else f"{100 * score['weighted']:.1f}%"
    lines = [
        f"samples: {errors['calls']}, failed calls: {errors['calls'] - errors['ok']}",
        f"exact plate reads: {value}{ci}, n={exact['n']}",
        f"latency p95: {'n/a' if p95 is None else f'{p95:.1f} ms'}",
        f"requirements: {len(results['requirements']) - len(failed)}/{len(results['requirements'])} met"
        + (f" (not met: {', '.join(failed)})" if failed else "")
        + f"; weighted score {weighted}; {'eligible' if score['eligible'] else 'NOT eligible'}",
    ]
    lines += [f"load {scenario_line(scenario)}" for scenario in results.get("load") or []]
    privacy = results.get("privacy")
    if privacy is not None:
        lines.append(f"privacy controls: {summary_line(privacy)} ({document['provenance']['privacy']['method']})")
    if result.evidence_dir is not None:
        lines.append(f"evidence: {result.evidence_dir}")
    lines.append(f"report: {result.markdown_path}")
    return lines
