"""The privacy pass of a run: after the accuracy calls, check the contractual privacy controls.

How depends on the adapter's :meth:`~vendor_adapters.base.Adapter.privacy_endpoint` (asked by
:func:`plan_privacy` before any call, its route recorded in the journal header and said in the
scorecard's ``provenance.privacy``):

- an endpoint: the pass opens it (an adapter may start its own server there, as the reference
  vendor does; ``--reference-flaw`` flaws are passed to it), builds its own :class:`SandboxClient`
  on the sandbox's URL and admin token, runs the suite and closes both. An endpoint that cannot be
  opened (no token configured, a server that does not start) makes every control INCONCLUSIVE,
  saying why.
- no endpoint: every control INCONCLUSIVE ("not demonstrated through an API"), except ATTESTED
  where a vendor attestation file (``--attestations``) names a control that accepts one.

The suite's evidence bundle is written to ``<run_dir>/evidence/`` (only when something was tested),
and the pass returns the journal record from which the scorecard's ``results.privacy`` is built.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from harness.privacy.attestations import Attestation, AttestationError, load_attestations
from harness.privacy.budget import Budget
from harness.privacy.context import new_seed
from harness.privacy.runner import (
    PrivacyReport,
    control_registry,
    run_privacy_suite,
    untested_report,
)
from harness.privacy.sandbox import SandboxClient
from harness.scorecard.privacy_section import privacy_results
from vendor_adapters.base import Adapter, PrivacyEndpoint
from vendor_adapters.errors import ConfigurationError

EVIDENCE_DIR = "evidence"
NOT_DEMONSTRATED = (
    "not demonstrated through an API: the vendor must implement the RFP evaluation API sandbox or provide attestations"
)
NO_API_DETAIL = (
    "the adapter drives the vendor's own API, which has no RFP evaluation API sandbox to test the controls "
    "through; every control is INCONCLUSIVE (not demonstrated) unless a vendor attestation covers it"
)


class PrivacyOptionError(ConfigurationError):
    """A privacy option that cannot apply to this run (says which and why)."""


@dataclass(frozen=True)
class PrivacyPlan:
    """How this run checks the privacy controls."""

    route: str
    """The endpoint's route (``reference-server``, ``vendor-sandbox``) or ``no-api``."""
    reference_flaws: tuple[str, ...] = ()
    attestations_path: Path | None = None
    attestations_sha256: str | None = None
    seed: int | None = None
    """Seed of the traffic and the exploration (drawn at planning, so a resumed run uses the same)."""
    budget: Budget = field(default_factory=Budget)
    """The exploration's budget (``Budget(0, ...)``: no exploration)."""

    def to_header(self) -> dict[str, Any]:
        """The journal header's ``privacy`` member."""
        return {
            "route": self.route,
            "reference_flaws": list(self.reference_flaws),
            "attestations_path": None if self.attestations_path is None else str(self.attestations_path),
            "attestations_sha256": self.attestations_sha256,
            "seed": self.seed,
            "budget": self.budget.as_dict(),
        }

    def attestations(self) -> dict[str, Attestation]:
        """The attestations by control id (none without a file); the file must be unchanged since planning."""
        return _load(self.attestations_path, self.attestations_sha256) if self.attestations_path else {}

    @classmethod
    def from_header(cls, data: Any) -> PrivacyPlan | None:
        """Inverse of :meth:`to_header`; ``None`` (privacy not run) for ``None`` or an older journal."""
        if not isinstance(data, dict) or "route" not in data:
            return None
        path = data.get("attestations_path")
        budget = data.get("budget") or {}
        return cls(data["route"], tuple(data.get("reference_flaws", ())), Path(path) if path else None,
                   data.get("attestations_sha256"), data.get("seed"),
                   Budget(int(budget.get("actions", Budget.actions)), float(budget.get("seconds", Budget.seconds))))


def plan_privacy(
    *, enabled: bool, adapter: Adapter, vendor: str,
    reference_flaws: Sequence[str] = (), attestations: Path | None = None,
    budget: Budget | None = None, seed: int | None = None,
) -> PrivacyPlan | None:
    """Decide how the controls will be checked; every option mistake is a :class:`PrivacyOptionError` now."""
    if not enabled:
        if reference_flaws or attestations or budget is not None or seed is not None:
            raise PrivacyOptionError("--reference-flaw, --attestations, --privacy-budget and --privacy-seed need the "
                                     "privacy pass; drop --no-privacy")
        return None
    endpoint = adapter.privacy_endpoint()
    if reference_flaws:
        if endpoint is None:
            raise PrivacyOptionError(
                f"--reference-flaw applies to the reference vendor's own server only, not to vendor {vendor!r}"
            )
        try:
            endpoint.check_flaws(reference_flaws)
        except ValueError as exc:
            raise PrivacyOptionError(f"--reference-flaw: {exc}") from None
    sha = None
    if attestations is not None:
        sha = _attestation_sha256(attestations)
        _load(attestations, sha)
        attestations = attestations.resolve()
    route = "no-api" if endpoint is None else endpoint.route
    return PrivacyPlan(route, tuple(dict.fromkeys(reference_flaws)), attestations, sha,
                       new_seed() if seed is None else seed, budget or Budget())


def _attestation_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise PrivacyOptionError(f"--attestations {path}: cannot read: {exc.strerror or exc}") from None


def _load(path: Path, sha256: str | None) -> dict[str, Attestation]:
    if sha256 is not None and _attestation_sha256(path) != sha256:
        raise PrivacyOptionError(f"attestation file {path} changed since the run started (sha256 differs)")
    try:
        return load_attestations(path, set(control_registry()))
    except AttestationError as exc:
        raise PrivacyOptionError(f"--attestations: {exc}") from None


def run_privacy_pass(plan: PrivacyPlan, adapter: Adapter, run_dir: Path, log: IO[str] | None = None) -> dict[str, Any]:
    """Check the controls as planned; returns the journal record's fields (``check``, ``section``,
    ``conformance``). Never raises on vendor behaviour: what could not be tested is INCONCLUSIVE."""
    attestations = plan.attestations()
    conformance: list[dict[str, Any]] | None = None
    report: PrivacyReport | None = None
    detail = NOT_DEMONSTRATED
    endpoint = adapter.privacy_endpoint() if plan.route != "no-api" else None
    if endpoint is not None:
        _say(log, f"privacy: checking {len(control_registry())} controls ({endpoint.route})")
        report, detail, conformance = _on_endpoint(endpoint, plan, attestations)
    if report is None:
        report = untested_report(detail, attestations)
        check = {"method": "not-tested", "detail": f"Not tested: {NO_API_DETAIL if plan.route == 'no-api' else detail}."}
    else:
        report.write_evidence(run_dir / EVIDENCE_DIR)  # first: it fills in the evidence digests
        check = {"method": plan.route, "detail": detail}
    check.update(reference_flaws=list(plan.reference_flaws), attestations_sha256=plan.attestations_sha256)
    section = privacy_results(report)
    _say(log, f"privacy: {summary_line(section)}")
    return {"check": check, "section": section, "conformance": conformance}


def _say(log: IO[str] | None, line: str) -> None:
    if log is not None:
        print(line, file=log, flush=True)


def _on_endpoint(
    endpoint: PrivacyEndpoint, plan: PrivacyPlan, attestations: dict[str, Attestation]
) -> tuple[PrivacyReport | None, str, list[dict[str, Any]] | None]:
    """Open the endpoint, drive the suite through the harness's own client, close both."""
    flaws = plan.reference_flaws
    try:
        with endpoint.open(flaws) as sandbox:
            client = SandboxClient(sandbox.base_url, sandbox.admin_token, timeout=sandbox.timeout)
            try:
                report = run_privacy_suite(client, attestations, seed=plan.seed, budget=plan.budget)
                failures = [f.as_dict() for f in client.conformance_failures if f.direction == "response"]
            finally:
                client.close()
    except (ConfigurationError, OSError) as exc:
        return None, str(exc), None
    detail = endpoint.detail
    if flaws:
        detail += (f" Started with deliberate flaw(s) {', '.join(flaws)} for a demonstration: these results do "
                   "not describe the vendor as shipped.")
    if not endpoint.conformance:
        return report, detail, None
    return report, detail, [conformance_finding(f, "privacy-sandbox") for f in failures]


def conformance_finding(failure: dict[str, Any], source: str) -> dict[str, Any]:
    """A ``ConformanceFailure.as_dict()`` as a scorecard ``results.conformance`` entry."""
    return {"source": source, **{k: failure.get(k) for k in ("method", "path", "status", "field", "message")}}


def adapter_conformance(adapter: Adapter) -> list[dict[str, Any]] | None:
    """The recognition pass's spec-conformance findings (``None`` for adapters that check no specification)."""
    findings = adapter.conformance_findings()
    if findings is None:
        return None
    return [conformance_finding(f, "recognition") for f in findings if f.get("direction", "response") == "response"]


def result_counts(section: dict[str, Any]) -> dict[str, int]:
    """Result code -> number of controls."""
    counts: dict[str, int] = {}
    for control in section.get("controls", []):
        counts[control["result"]] = counts.get(control["result"], 0) + 1
    return counts


def summary_line(section: dict[str, Any]) -> str:
    """``18 PASS, 1 FAIL`` (PASS and FAIL always shown, then any other code present)."""
    counts = result_counts(section)
    codes = ["PASS", "FAIL", *sorted(set(counts) - {"PASS", "FAIL"})]
    return ", ".join(f"{counts.get(code, 0)} {code}" for code in codes)
