"""The privacy suite against the REAL reference server on loopback: no flaw -> every control PASS;
each flaw -> exactly the controls it violates FAIL, with a message saying what was observed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.privacy.controls import CONTROLS
from harness.privacy.explorer import Budget
from harness.privacy.runner import CONFORMANCE_ID, PrivacyReport, run_privacy_suite
from harness.privacy.sandbox import SandboxClient
from harness.reference_server.flaws import FLAWS
from harness.reference_server.launcher import running_reference_server
from harness.scorecard.privacy_section import privacy_results

PLANTED_SECRET = "PBSECRET-ZZtop-0123456789-planted-admin-token"

EXPECTED_FAILURES: dict[str, set[str]] = {name: set(flaw.controls) for name, flaw in FLAWS.items()}
"""Flaw -> the controls it violates (every other control must PASS), as the reference server declares them."""
EXPLORATION = Budget(60, 60)
"""A small exploration in the default tests; the acceptance tests run the default budget, as ``platebench run``."""
FULL = Budget()
CLEAN_SEEDS = range(1, 21)
"""The 20 seeds on which the clean reference server must PASS every control (issue 10's acceptance)."""
FLAW_SEED = 20260310
"""The seed of the per-flaw acceptance runs (any seed must do; a fixed one makes a failure reproducible)."""

ALL_IDS = {c.id for c in CONTROLS} | {CONFORMANCE_ID}
MAX_REPRODUCING_STEPS = 8
"""A shrunk sequence longer than this is not minimal in any useful sense (every flaw needs at most a few steps)."""


def _run(flaws: tuple[str, ...], admin_token: str | None = None, seed: int | None = None,
         budget: Budget = EXPLORATION) -> tuple[PrivacyReport, SandboxClient]:
    with running_reference_server(flaws=flaws, admin_token=admin_token) as server:
        client = SandboxClient(server.base_url, server.admin_token)
        try:
            return run_privacy_suite(client, seed=seed, budget=budget), client
        finally:
            client.close()


@pytest.fixture(scope="module")
def clean_run() -> tuple[PrivacyReport, SandboxClient]:
    return _run((), admin_token=PLANTED_SECRET, seed=20261202)


def test_every_control_passes_without_flaws(clean_run) -> None:
    report, client = clean_run
    results = {c.id: (c.result, c.message) for c in report.controls}
    assert set(results) == ALL_IDS
    assert {k: v for k, v in results.items() if v[0] != "PASS"} == {}
    assert [f for f in client.conformance_failures] == []  # neither side broke the spec


@pytest.mark.acceptance
@pytest.mark.slow
@pytest.mark.parametrize("seed", CLEAN_SEEDS)
def test_clean_server_passes_every_control_on_every_seed(seed: int) -> None:
    """The whole pass as ``platebench run`` runs it (default exploration budget): no false FAIL on any seed."""
    report, client = _run((), seed=seed, budget=FULL)
    assert {c.id: (c.result, c.message) for c in report.controls if c.result != "PASS"} == {}
    assert report.exploration is not None and not report.exploration["summary"]["unavailable"]
    assert [f for f in client.conformance_failures] == []


@pytest.mark.acceptance
@pytest.mark.slow
@pytest.mark.parametrize("flaw", sorted(EXPECTED_FAILURES))
def test_each_flaw_fails_exactly_the_controls_it_violates(flaw: str) -> None:
    """The whole pass as ``platebench run`` runs it (default exploration budget) against each flaw."""
    report, _ = _run((flaw,), seed=FLAW_SEED, budget=FULL)
    results = {c.id: c for c in report.controls}
    failed = {cid for cid, c in results.items() if c.result == "FAIL"}
    others = {cid: (c.result, c.message) for cid, c in results.items() if cid not in failed and c.result != "PASS"}
    assert failed == EXPECTED_FAILURES[flaw]
    assert others == {}
    for cid in failed:
        message = results[cid].message
        # what was observed, then what was expected
        observed, _, _ = message.partition("expected")
        assert len(observed) > 20 and "expected" in message, message
        # the evidence reproduces it: the fixed control's exchanges, or the explorer's shrunk sequence
        evidence = results[cid].evidence
        explored = evidence.get("exploration")
        assert evidence.get("exchanges") or explored, cid
        if explored:
            assert 1 <= len(explored["steps"]) <= MAX_REPRODUCING_STEPS and explored["exchanges"], cid


@pytest.mark.acceptance
@pytest.mark.slow
def test_failure_message_says_what_was_observed() -> None:
    report, _ = _run(("share-all",))
    message = report.by_id()["PC-SHR-01"].message
    assert "in-state searcher without agreement received 1 result(s) for a full-plate search of a home plate; " \
           "expected 403" in message


@pytest.mark.parametrize(("flaw", "control_ids", "failing"), [
    ("retention-ignored-alerts", ("PC-RET-01",), {"PC-RET-01"}),  # alerts are a path to a read too
    ("renewal-teaser", ("PC-MIN-02",), {"PC-MIN-02"}),  # an agency whose agreement lapsed learns nothing either
    ("alert-extensions", ("PC-RET-01", "PC-MIN-01"), {"PC-MIN-01"}),  # no x- members on what points at a read
    ("audit-redacted", ("PC-AUD-02", "PC-ACC-05"), {"PC-AUD-02"}),  # a redacted log is no hidden account
    ("roster-missing-deactivated", ("PC-AUTH-01", "PC-AUD-02", "PC-ACC-05"), {"PC-ACC-05"}),
])
def test_a_check_fails_exactly_its_flaw(flaw: str, control_ids: tuple[str, ...], failing: set[str]) -> None:
    """The fixed controls alone (no exploration), clean and flawed: only the flaw's controls FAIL."""
    chosen = [c for c in CONTROLS if c.id in control_ids]
    for flaws, expected in (((), set()), ((flaw,), failing)):
        with running_reference_server(flaws=flaws) as server:
            client = SandboxClient(server.base_url, server.admin_token)
            try:
                report = run_privacy_suite(client, seed=4242, controls=chosen)
            finally:
                client.close()
        results = {c.id: c.result for c in report.controls if c.id in control_ids}
        assert {cid for cid, r in results.items() if r == "FAIL"} == expected, (flaws, report.by_id())
        assert set(results.values()) <= {"PASS", "FAIL"}, results


def test_no_secret_in_any_output_file(clean_run, tmp_path: Path) -> None:
    report, client = clean_run
    bundle = report.write_evidence(tmp_path / "evidence")
    card = {"results": {"privacy": privacy_results(report)}}
    (tmp_path / "scorecard.json").write_text(json.dumps(card))
    tokens = [PLANTED_SECRET, *(s for s in client.redactor._secrets if s != PLANTED_SECRET)]
    assert len(tokens) > 20  # the admin token and every actor's token
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == len(ALL_IDS) + 4  # controls, suite.json, exploration.json, MANIFEST.sha256, scorecard.json
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not [t for t in tokens if t in text], path
    everything = "".join(p.read_text(encoding="utf-8") for p in files)
    assert "PBSECRET" not in everything
    assert not [plate for plate in client.redactor.ledger.plates if plate in everything]  # no plate text either
    assert card["results"]["privacy"]["evidence_bundle_sha256"] == bundle
    evidence = json.loads((tmp_path / "evidence" / "PC-SHR-03.json").read_text(encoding="utf-8"))
    assert evidence["exchanges"] and evidence["exchanges"][0]["actor"]
    created = [e for e in client.transcript if e.path == "/v1/sandbox/actors"]
    assert created and all(e.response_body["token"] == "<redacted>" for e in created if e.status == 201)


def test_manifest_lists_every_evidence_file_with_its_sha256(clean_run, tmp_path: Path) -> None:
    import hashlib

    report, _ = clean_run
    bundle = report.write_evidence(tmp_path)
    manifest = (tmp_path / "MANIFEST.sha256").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == bundle
    for line in manifest.decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    by_id = report.by_id()
    assert by_id["PC-AUD-01"].evidence_sha256 == hashlib.sha256((tmp_path / "PC-AUD-01.json").read_bytes()).hexdigest()
