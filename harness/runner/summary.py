"""The few lines that sum up a finished run, shared by ``platebench run``/``rescore`` and ``pytest --vendor``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.report.markdown import scenario_line
from harness.report.numbers import interval, number
from harness.runner.privacy_pass import summary_line
from harness.scorecard.model import Scorecard
from harness.scorecard.words import (
    accuracy_pass_timing,
    availability_warning,
    eligibility_text,
    requirement_verdict,
)

if TYPE_CHECKING:
    from harness.runner.run import RunResult


def summary_lines(result: RunResult) -> list[str]:
    """Calls, exact plate reads, latency, requirements and score, load scenarios, privacy, evidence and report.

    The warnings (``result.warnings``) and the scorecard's path are left to the caller, which shows them its way."""
    card = Scorecard.model_validate(result.document)
    results = card.results
    exact = results.accuracy.overall.exact_read_plate
    errors = results.accuracy.errors
    ss = results.latency.single_stream
    verdicts = [requirement_verdict(r) for r in results.requirements]
    failed = [r.id for r, v in zip(results.requirements, verdicts, strict=True) if v == "not met"]
    not_applicable = verdicts.count("not applicable")
    ci = interval(exact.ci_low, exact.ci_high, exact.unit)
    warning = availability_warning(card)
    lines = [
        *([f"WARNING: {warning}"] if warning else []),
        f"samples: {errors.calls}, failed calls: {errors.failed}",
        f"exact plate reads: {number(exact.value, exact.unit)}" + (f" ({ci})" if ci else "") + f", n={exact.n}",
        (
            f"latency p95, one image at a time: {number(ss.client_ms.p95, 'ms') + ' ms' if ss else 'not measured'}; "
            f"{accuracy_pass_timing(card)}: {number(results.latency.accuracy_pass.client_ms.p95, 'ms')} ms"
        ),
        f"requirements: {verdicts.count('met')}/{len(verdicts) - not_applicable} met"
        + (f" (not met: {', '.join(failed)})" if failed else "")
        + (f", {not_applicable} not applicable" if not_applicable else "")
        + f"; weighted score {number(results.score.weighted, 'proportion')}; {eligibility_text(card, named=6)}",
    ]
    lines += [f"load {scenario_line(scenario)}" for scenario in results.load or []]
    if results.privacy is not None and card.provenance.privacy is not None:
        lines.append(
            f"privacy controls: {summary_line(result.document['results']['privacy'])} ({card.provenance.privacy.method})"
        )
    if result.evidence_dir is not None:
        lines.append(f"evidence: {result.evidence_dir}")
    lines.append(f"report: {result.markdown_path}")
    return lines
