"""The period's privacy pass against the sandbox tenant, through the privacy suite's public entry point.

Without a sandbox in the contract, or when it cannot be reached, every control is untested
(INCONCLUSIVE, saying why): untested is not failed, and no regression is inferred from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.oversight.contract import Contract, ContractError
from harness.privacy.controls import CONTROLS
from harness.privacy.runner import PrivacyReport, run_privacy_suite, untested_report
from harness.privacy.sandbox import SandboxClient
from harness.scorecard.privacy_section import privacy_results


@dataclass
class PrivacyOutcome:
    """The privacy pass of one period."""

    method: str
    """``sandbox`` (tested) or ``not-tested``."""
    detail: str
    controls: list[dict[str, Any]] = field(default_factory=list)
    bundle_sha256: str | None = None
    evidence_dir: Path | None = None

    @property
    def tested(self) -> bool:
        return self.method == "sandbox"

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for control in self.controls:
            counts[control["result"]] = counts.get(control["result"], 0) + 1
        shown = ", ".join(f"{n} {result}" for result, n in sorted(counts.items()))
        return f"{self.method}: {shown or 'no controls'}"

    @classmethod
    def skipped(cls, reason: str) -> PrivacyOutcome:
        """Every control untested, for ``reason``."""
        return cls._from_report("not-tested", reason, untested_report(reason), None)

    @classmethod
    def _from_report(cls, method: str, detail: str, report: PrivacyReport, evidence: Path | None) -> PrivacyOutcome:
        section = privacy_results(report)
        controls = [{k: c.get(k) for k in ("id", "title", "result", "message", "evidence_sha256")}
                    for c in section["controls"]]
        return cls(method, detail, controls, section.get("evidence_bundle_sha256"), evidence)


def run_privacy(contract: Contract, evidence_dir: Path, say: Callable[[str], None]) -> PrivacyOutcome:
    """Run the suite against the contract's sandbox; evidence (transcripts) goes into ``evidence_dir``."""
    try:
        sandbox = contract.sandbox()
    except ContractError as exc:
        return PrivacyOutcome.skipped(f"not tested: {exc}")
    if sandbox is None:
        return PrivacyOutcome.skipped("not tested: the contract names no sandbox tenant")
    base_url, token = sandbox
    wanted = contract.privacy_controls
    selected = None
    if wanted is not None:
        selected = [c for c in CONTROLS if c.id in wanted]
        unknown = sorted(set(wanted) - {c.id for c in selected})
        if unknown:
            return PrivacyOutcome.skipped(f"not tested: the contract names unknown control(s) {', '.join(unknown)}")
    say(f"privacy: checking {len(selected) if selected is not None else 'all'} controls on the sandbox tenant {base_url}")
    client = SandboxClient(base_url, token)
    try:
        report = run_privacy_suite(client, controls=selected)
    finally:
        client.close()
    if all(c.result == "INCONCLUSIVE" for c in report.controls):
        reason = report.controls[0].message if report.controls else "no controls ran"
        return PrivacyOutcome._from_report("not-tested", f"not tested: {reason}", report, None)
    report.write_evidence(evidence_dir)
    return PrivacyOutcome._from_report(
        "sandbox", f"checked through the sandbox tenant {base_url} as the home agency's sandbox admin", report,
        evidence_dir)
