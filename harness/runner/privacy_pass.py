"""The privacy pass of a run: after the accuracy calls, check the contractual privacy controls.

How depends on the vendor (decided by :func:`plan_privacy` before any call, recorded in the journal
header, and said in the scorecard's ``provenance.privacy``):

- ``reference``: the harness starts the reference vendor's HTTP server (its implementation of the
  RFP evaluation API) on a free loopback port, runs the suite against it and stops it. The accuracy
  pass ran the same vendor's recognizer in-process; the server is fresh, so the suite's clock moves
  and its closing termination drill touch nothing else. ``--reference-flaw`` starts it with flaws.
- an adapter with a privacy API (``evalapi``): through ``adapter.sandbox_client`` with the home
  agency's sandbox admin token; without a configured token every control is INCONCLUSIVE, saying so.
- any other adapter: every control INCONCLUSIVE ("not demonstrated through an API"), except
  ATTESTED where a vendor attestation file (``--attestations``) names a control that accepts one.

The suite's evidence bundle is written to ``<run_dir>/evidence/`` (only when something was tested),
and the pass returns the journal record from which the scorecard's ``results.privacy`` is built.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from harness.privacy.attestations import Attestation, AttestationError, load_attestations
from harness.privacy.context import canary_prefix, new_nonce
from harness.privacy.runner import (
    PrivacyReport,
    add_privacy_to_scorecard,
    control_registry,
    run_privacy_suite,
    untested_report,
)
from harness.privacy.sandbox import SandboxClient
from vendor_adapters.base import Adapter
from vendor_adapters.errors import ConfigurationError
from vendor_adapters.registry import load_adapter_class

EVIDENCE_DIR = "evidence"
NOT_DEMONSTRATED = (
    "not demonstrated through an API: the vendor must implement the RFP evaluation API sandbox or provide attestations"
)
REFERENCE_DETAIL = (
    "Checked on the reference vendor's own HTTP server (its implementation of the RFP evaluation API), "
    "started by the harness on a loopback port for this run and stopped after it; the accuracy pass ran "
    "the same vendor's recognizer in-process."
)
NO_API_DETAIL = (
    "the adapter drives the vendor's own API, which has no RFP evaluation API sandbox to test the controls "
    "through; every control is INCONCLUSIVE (not demonstrated) unless a vendor attestation covers it"
)
SANDBOX_DETAIL = (
    "Checked through the vendor's RFP evaluation API sandbox, as the home agency's sandbox admin "
    "(token from the environment variable named by token_env), after the accuracy pass."
)


class PrivacyOptionError(ConfigurationError):
    """A privacy option that cannot apply to this run (says which and why)."""


@dataclass(frozen=True)
class PrivacyPlan:
    """How this run checks the privacy controls."""

    route: str
    """``reference-server``, ``vendor-sandbox`` or ``no-api``."""
    reference_flaws: tuple[str, ...] = ()
    attestations_path: Path | None = None
    attestations_sha256: str | None = None

    def to_header(self) -> dict[str, Any]:
        """The journal header's ``privacy`` member."""
        return {
            "route": self.route,
            "reference_flaws": list(self.reference_flaws),
            "attestations_path": None if self.attestations_path is None else str(self.attestations_path),
            "attestations_sha256": self.attestations_sha256,
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
        return cls(data["route"], tuple(data.get("reference_flaws", ())), Path(path) if path else None,
                   data.get("attestations_sha256"))


def plan_privacy(
    *, enabled: bool, adapter: Adapter, vendor: str,
    reference_flaws: Sequence[str] = (), attestations: Path | None = None,
) -> PrivacyPlan | None:
    """Decide how the controls will be checked; every option mistake is a :class:`PrivacyOptionError` now."""
    if not enabled:
        if reference_flaws or attestations:
            raise PrivacyOptionError("--reference-flaw and --attestations need the privacy pass; drop --no-privacy")
        return None
    is_reference = _is_reference(adapter)
    if reference_flaws:
        if not is_reference:
            raise PrivacyOptionError(
                f"--reference-flaw applies to the reference vendor's own server only, not to vendor {vendor!r}"
            )
        from harness.reference_server.flaws import UnknownFlawError, parse_flaws

        try:
            parse_flaws(reference_flaws)
        except UnknownFlawError as exc:
            raise PrivacyOptionError(f"--reference-flaw: {exc}") from None
    sha = None
    if attestations is not None:
        sha = _attestation_sha256(attestations)
        _load(attestations, sha)
        attestations = attestations.resolve()
    route = "reference-server" if is_reference else "vendor-sandbox" if adapter.capabilities.privacy_api else "no-api"
    return PrivacyPlan(route, tuple(dict.fromkeys(reference_flaws)), attestations, sha)


def _is_reference(adapter: Adapter) -> bool:
    """The built-in reference vendor (or a subclass): the harness can start its HTTP server."""
    try:
        return isinstance(adapter, load_adapter_class("reference"))
    except ConfigurationError:
        return False


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
    if plan.route == "reference-server":
        _say(log, f"privacy: checking {len(control_registry())} controls on the reference server (loopback)")
        report, detail = _on_reference_server(plan.reference_flaws, attestations)
    elif plan.route == "vendor-sandbox":
        _say(log, f"privacy: checking {len(control_registry())} controls through the vendor's sandbox")
        report, detail, conformance = _on_vendor_sandbox(adapter, attestations)
    if report is None:
        report = untested_report(detail, attestations)
        check = {"method": "not-tested", "detail": f"Not tested: {NO_API_DETAIL if plan.route == 'no-api' else detail}."}
    else:
        report.write_evidence(run_dir / EVIDENCE_DIR)  # first: it fills in the evidence digests
        check = {"method": plan.route, "detail": detail}
    check.update(reference_flaws=list(plan.reference_flaws), attestations_sha256=plan.attestations_sha256)
    section = add_privacy_to_scorecard({}, report)["results"]["privacy"]
    _say(log, f"privacy: {summary_line(section)}")
    return {"check": check, "section": section, "conformance": conformance}


def _say(log: IO[str] | None, line: str) -> None:
    if log is not None:
        print(line, file=log, flush=True)


def _on_reference_server(
    flaws: tuple[str, ...], attestations: dict[str, Attestation]
) -> tuple[PrivacyReport | None, str]:
    from harness.reference_server.launcher import ServerStartError, running_reference_server

    nonce = new_nonce()
    try:
        with running_reference_server(flaws=flaws) as server:
            client = SandboxClient(server.base_url, server.admin_token, canary_prefix=canary_prefix(nonce))
            try:
                report = run_privacy_suite(client, attestations, nonce=nonce)
            finally:
                client.close()
    except (ServerStartError, OSError) as exc:
        return None, f"the reference server did not start ({exc})"
    detail = REFERENCE_DETAIL
    if flaws:
        detail += (f" Started with deliberate flaw(s) {', '.join(flaws)} for a demonstration: these results do "
                   "not describe the reference vendor as shipped.")
    return report, detail


def _on_vendor_sandbox(
    adapter: Adapter, attestations: dict[str, Attestation]
) -> tuple[PrivacyReport | None, str, list[dict[str, Any]] | None]:
    nonce = new_nonce()
    try:
        client = adapter.sandbox_client(canary_prefix(nonce))  # type: ignore[attr-defined]
    except ConfigurationError as exc:
        return None, str(exc), None
    try:
        report = run_privacy_suite(client, attestations, nonce=nonce)
        failures = [f.as_dict() for f in client.conformance_failures if f.direction == "response"]
    finally:
        client.close()
    return report, SANDBOX_DETAIL, [conformance_finding(f, "privacy-sandbox") for f in failures]


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
