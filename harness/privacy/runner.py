"""Run the privacy controls against a sandbox and turn the results into evidence and a scorecard section.

::

    client = SandboxClient(base_url, admin_token)
    report = run_privacy_suite(client, attestations=load_attestations(path), seed=seed)
    bundle_sha = report.write_evidence(run_dir / "evidence")
    section = privacy_results(report)  # harness.scorecard.privacy_section: the scorecard converts it

The evidence bundle is one JSON file per control (``<control-id>.json``: observations and the
redacted request/response transcript), ``suite.json`` (run metadata and spec-conformance
failures) and ``MANIFEST.sha256`` (``sha256sum`` format). The bundle hash is the sha256 of the
manifest; each control's ``evidence_sha256`` is the sha256 of its file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import __version__
from harness.policy import Policy, default_policy
from harness.privacy.attestations import Attestation
from harness.privacy.budget import Budget
from harness.privacy.context import ControlContext, NotOffered, SetupFailed, new_seed
from harness.privacy.controls import (
    ATTESTED,
    CONTROLS,
    FAIL,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    PASS,
    Control,
)
from harness.privacy.sandbox import Actor, SandboxClient, SandboxUnavailable
from harness.privacy.traffic import Traffic

CONFORMANCE_ID = "API-CONF-01"
CONFORMANCE_TITLE = "Every sandbox response conforms to the published RFP evaluation API"


def control_registry() -> dict[str, str]:
    """Every control id the suite reports, in run order, with its title (``API-CONF-01`` last)."""
    return {**{c.id: c.title for c in CONTROLS}, CONFORMANCE_ID: CONFORMANCE_TITLE}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class ControlReport:
    """One control's result and the evidence behind it."""

    id: str
    title: str
    result: str
    message: str
    evidence: dict[str, Any]
    evidence_sha256: str | None = None

    def scorecard_entry(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "result": self.result, "message": self.message,
                "evidence_sha256": self.evidence_sha256}


@dataclass
class PrivacyReport:
    """The suite's outcome: every control's result, and evidence not yet written to disk."""

    seed: int | None
    """The seed the run's traffic was drawn from (``None``: nothing was sent)."""
    started_at: str
    ended_at: str
    controls: list[ControlReport]
    suite: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    evidence_bundle_sha256: str | None = None
    exploration: dict[str, Any] | None = None
    """The explorer's summary and findings (``exploration.json`` in the bundle), when it ran."""

    def by_id(self) -> dict[str, ControlReport]:
        return {c.id: c for c in self.controls}

    def write_evidence(self, directory: Path) -> str:
        """Write the bundle into ``directory``; returns (and records) the bundle sha256."""
        directory.mkdir(parents=True, exist_ok=True)
        lines = []
        files = [(f"{c.id}.json", c.evidence, c) for c in self.controls]
        files.append(("suite.json", self.suite, None))
        if self.exploration is not None:
            files.append(("exploration.json", self.exploration, None))
        for name, doc, owner in files:
            data = self._scrub(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n").encode()
            _atomic_write(directory / name, data)
            digest = hashlib.sha256(data).hexdigest()
            if owner is not None:
                owner.evidence_sha256 = digest
            lines.append(f"{digest}  {name}\n")
        manifest = "".join(lines).encode()
        _atomic_write(directory / "MANIFEST.sha256", manifest)
        self.evidence_bundle_sha256 = hashlib.sha256(manifest).hexdigest()
        return self.evidence_bundle_sha256

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def scorecard_section(self) -> dict[str, Any]:
        """The report as plain data in the shape of ``results.privacy`` (the scorecard builder
        validates and converts it: :func:`harness.scorecard.privacy_section.privacy_results`)."""
        return {"controls": [c.scorecard_entry() for c in self.controls],
                "evidence_bundle_sha256": self.evidence_bundle_sha256, "seed": self.seed,
                "exploration": self.exploration["summary"] if self.exploration else None}

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.controls:
            counts[c.result] = counts.get(c.result, 0) + 1
        return counts


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def suite_context(client: SandboxClient, seed: int, policy: Policy | None = None) -> ControlContext:
    """Who the admin token is (it must be the home agency's admin), the city's offense list, and the
    run's traffic drawn from ``seed``."""
    me = client.me(client.admin)
    agency = me.get("agency") if me.ok else None
    actor = me.get("actor") if me.ok else None
    if not isinstance(agency, dict) or not agency.get("id") or not isinstance(actor, dict):
        raise SetupFailed(f"GET /v1/me with the sandbox admin token answered {me.describe()}")
    if agency.get("kind") != "home":
        raise SetupFailed("the sandbox admin token does not belong to the home agency")
    offenses = client.offense_types(client.admin)
    codes = [str(o.get("code")) for o in offenses.get("offense_types", []) if isinstance(o, dict) and o.get("code")] \
        if offenses.ok else []
    if not codes:
        raise SetupFailed(f"GET /v1/offense-types answered {offenses.describe()} with no offense types")
    client.admin = Actor(client.admin.label, str(actor.get("id", "")), str(agency["id"]), "admin", client.admin.token,
                         str(actor.get("name", "")))
    state = str(agency.get("state", ""))
    traffic = Traffic(seed, state, codes, prohibited_categories=(policy or default_policy()).prohibited_categories)
    traffic.ledger = client.redactor.ledger
    return ControlContext(client, traffic, str(agency["id"]), state, codes)


def _run_one(control: Control, ctx: ControlContext | None, setup_error: str | None,
             client: SandboxClient) -> tuple[str, str, list[dict[str, Any]], int]:
    mark = len(client.transcript)
    if ctx is None:
        return INCONCLUSIVE, f"suite set-up failed: {setup_error}", [], mark
    ctx.observations = []
    try:
        result, message = control.check(ctx)
    except SetupFailed as exc:
        result, message = INCONCLUSIVE, f"set-up failed: {exc}"
    except NotOffered as exc:
        result, message = NOT_APPLICABLE, str(exc)
    except SandboxUnavailable as exc:
        result, message = INCONCLUSIVE, f"sandbox unreachable: {exc}"
    except Exception as exc:  # noqa: BLE001 - a harness bug must not end the suite; it is recorded
        result, message = INCONCLUSIVE, f"harness error while testing: {type(exc).__name__}: {exc}"
    errors = [e for e in client.transcript[mark:] if e.status is not None and e.status >= 500 and e.status != 501]
    if errors and result != FAIL:
        first = errors[0]
        result = INCONCLUSIVE
        message = f"server error {first.status} on {first.method} {first.path} during the control; re-test ({message})"
    return result, message, [o.as_dict() for o in ctx.observations], mark


def _apply_attestation(control: Control, result: str, message: str,
                       attestation: Attestation | None) -> tuple[str, str, dict[str, str] | None]:
    if attestation is None or result != INCONCLUSIVE:
        return result, message, None
    if not control.attestable:
        return result, message + _NOT_ATTESTABLE, None
    return ATTESTED, f"not demonstrated through the API ({message}){_attested_by(attestation)}", attestation.as_dict()


_NOT_ATTESTABLE = "; an attestation was supplied but the catalogue accepts none for this control"


def _attested_by(attestation: Attestation) -> str:
    return f"; attested by {attestation.signer} on {attestation.date}: {attestation.mechanism}"


def untested_report(reason: str, attestations: dict[str, Attestation] | None = None) -> PrivacyReport:
    """The suite's outcome when there is no sandbox to drive: every control INCONCLUSIVE with ``reason``
    (nothing was sent), except ATTESTED where an attestation names a control the catalogue accepts one for.
    No evidence is written for it: there is none."""
    attestations = attestations or {}
    now = _now()
    reports = []
    attestable = {c.id: c.attestable for c in CONTROLS}
    for control_id, title in control_registry().items():
        attestation = attestations.get(control_id)
        if attestation is not None and attestable.get(control_id, False):
            result, message = ATTESTED, reason + _attested_by(attestation)
        else:
            result, message = INCONCLUSIVE, reason + (_NOT_ATTESTABLE if attestation is not None else "")
        reports.append(ControlReport(control_id, title, result, message, {}))
    return PrivacyReport(None, now, now, reports, {"results": {r.id: r.result for r in reports}})


def run_privacy_suite(
    client: SandboxClient,
    attestations: dict[str, Attestation] | None = None,
    *,
    seed: int | None = None,
    controls: Sequence[Control] | None = None,
    budget: Budget | None = None,
    policy: Policy | None = None,
) -> PrivacyReport:
    """Run every control (or ``controls``) in order against ``client``'s sandbox, then explore within
    ``budget`` (none: no exploration); never raises on vendor behaviour. The traffic and the exploration
    are drawn from ``seed`` (a fresh one by default, recorded); ``policy`` is the city's (Denver's by default)."""
    seed = new_seed() if seed is None else seed
    attestations = attestations or {}
    started = _now()
    ctx: ControlContext | None = None
    setup_error = None
    try:
        ctx = suite_context(client, seed, policy)
    except (SetupFailed, SandboxUnavailable) as exc:
        setup_error = str(exc)
    info = client.info() if setup_error is None else None
    reports = []
    for control in controls if controls is not None else CONTROLS:
        control_started = _now()
        result, message, observations, mark = _run_one(control, ctx, setup_error, client)
        result, message, attested = _apply_attestation(control, result, message, attestations.get(control.id))
        evidence = {
            "control": {"id": control.id, "title": control.title, "source": control.source,
                        "actors": control.actors, "attestable": control.attestable},
            "result": result, "message": message,
            "started_at": control_started, "ended_at": _now(),
            "seed": seed,
            "observations": observations,
            "attestation": attested,
            "exchanges": client.exchanges_since(mark),
        }
        reports.append(ControlReport(control.id, control.title, result, message, evidence))
    exploration = None
    if budget is not None and setup_error is None and budget.actions > 0 and budget.seconds > 0:
        from harness.privacy.explorer import (  # Hypothesis: here only
            Explorer,
            exploration_evidence,
            merge_exploration,
        )

        explored = Explorer(client.base_url, client.admin.token, seed=seed, budget=budget,
                            http=client.http, validator=client.validator, policy=policy).run()
        client.conformance_failures.extend(explored.conformance)
        merge_exploration(reports, explored)
        exploration = exploration_evidence(explored)
    response_failures = [f for f in client.conformance_failures if f.direction == "response"]
    request_failures = [f for f in client.conformance_failures if f.direction == "request"]
    if setup_error is None:
        conf_result = FAIL if response_failures else PASS
        shown = "; ".join(str(f) for f in response_failures[:5])
        more = f" (and {len(response_failures) - 5} more)" if len(response_failures) > 5 else ""
        conf_message = (f"{len(response_failures)} response(s) broke the spec: {shown}{more}" if response_failures
                        else f"all {len(client.transcript)} sandbox responses conformed to the spec")
    else:
        conf_result, conf_message = INCONCLUSIVE, f"suite set-up failed: {setup_error}"
    reports.append(ControlReport(CONFORMANCE_ID, CONFORMANCE_TITLE, conf_result, conf_message, {
        "control": {"id": CONFORMANCE_ID, "title": CONFORMANCE_TITLE,
                    "source": "DESIGN.md section 5 (responses validated with openapi-core on every call)"},
        "result": conf_result, "message": conf_message,
        "response_failures": [f.as_dict() for f in response_failures],
    }))
    suite = {
        "harness": {"platebench_version": __version__},
        "seed": seed,
        "phrasing_library": ctx.traffic.library.version if ctx else None,
        "planted": {"plates": len(client.redactor.ledger.plates), "patterns": len(client.redactor.ledger.patterns)},
        "vendor_info": info.body if info is not None and info.ok else None,
        "home_agency_id": ctx.home_agency_id if ctx else None,
        "started_at": started, "ended_at": _now(),
        "exchanges": len(client.transcript),
        "harness_request_failures": [f.as_dict() for f in request_failures],
        "results": {r.id: r.result for r in reports},
    }
    return PrivacyReport(seed, started, _now(), reports, suite, client.redactor.secrets, exploration=exploration)
