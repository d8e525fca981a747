"""The main job checks the privacy controls: on the reference vendor's own server, through an evalapi
sandbox, or records them as not demonstrated for a vendor without the RFP evaluation API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from scripted_vendor import script, write_vendors_toml

from harness.cli.main import main
from harness.corpus.model import Corpus
from harness.errors import USER_ERRORS
from harness.privacy.runner import control_registry
from harness.reference_server import launcher
from harness.reference_server.launcher import ServerHandle, running_reference_server
from harness.rubric import load_rubric
from harness.runner.privacy_pass import NOT_DEMONSTRATED
from harness.runner.run import RunRequest, prepare, rescore, run
from harness.scorecard.reading import scorecard_problems as verify_path
from vendor_adapters.evalapi import NO_SANDBOX_TOKEN

ALL_CONTROLS = set(control_registry())
PRIVACY_GATES = {r.id for r in load_rubric().requirements if r.metric.startswith("privacy.") and r.mandatory}
PLANTED = "PBSECRET-planted-sandbox-admin-token-0123456789"


@pytest.fixture
def started_servers(monkeypatch: pytest.MonkeyPatch) -> list[ServerHandle]:
    """Records every reference server the harness starts (a spy: the servers are real)."""
    handles: list[ServerHandle] = []
    real = launcher.running_reference_server

    @contextmanager
    def spy(*args: Any, **kwargs: Any) -> Iterator[ServerHandle]:
        with real(*args, **kwargs) as handle:
            handles.append(handle)
            yield handle

    monkeypatch.setattr(launcher, "running_reference_server", spy)
    return handles


def _files_containing(folder: Path, secret: str) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def _results(doc: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["result"] for c in doc["results"]["privacy"]["controls"]}


def _verdicts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in doc["results"]["requirements"]}


@pytest.mark.slow
def test_reference_run_checks_every_control_on_its_own_server_with_evidence_and_no_token_leaks(
    tmp_path: Path, small_corpus: Corpus, started_servers: list[ServerHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--no-load", "--vendor", "reference", "--corpus", str(small_corpus.root), "--limit", "3",
                 "--scorecard-dir", str(tmp_path / "sc"), "--privacy-budget", "40,30s", "--privacy-seed", "7"])
    out = capsys.readouterr().out
    assert code == 0
    path = Path(out.strip().splitlines()[-1])
    doc = json.loads(path.read_text(encoding="utf-8"))
    run_dir = path.parent
    assert _results(doc) == dict.fromkeys(ALL_CONTROLS, "PASS")
    assert doc["provenance"]["privacy"]["method"] == "reference-server"
    assert "in-process" in doc["provenance"]["privacy"]["detail"]
    assert all(_verdicts(doc)[rid]["passed"] for rid in PRIVACY_GATES)
    assert "conformance" not in doc["results"]  # the accuracy pass did not go through the RFP API
    assert f"privacy controls: {len(ALL_CONTROLS)} PASS, 0 FAIL (reference-server)" in out
    assert doc["results"]["privacy"]["seed"] == 7
    assert doc["results"]["privacy"]["exploration"]["budget"] == {"actions": 40, "seconds": 30.0}
    assert f"evidence: {run_dir / 'evidence'}" in out
    # The evidence bundle: one file per control, its digest in the scorecard, the manifest's in the bundle hash.
    evidence = run_dir / "evidence"
    manifest = (evidence / "MANIFEST.sha256").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == doc["results"]["privacy"]["evidence_bundle_sha256"]
    for control in doc["results"]["privacy"]["controls"]:
        assert hashlib.sha256((evidence / f"{control['id']}.json").read_bytes()).hexdigest() == control["evidence_sha256"]
    assert verify_path(run_dir) == []
    markdown = (run_dir / "scorecard.md").read_text(encoding="utf-8")
    n = len(ALL_CONTROLS)
    assert "## Does it protect the city's data?" in markdown and f"**{n} controls: {n} PASS.**" in markdown
    # The harness started exactly one server; its admin token is nowhere in the run folder.
    assert len(started_servers) == 1 and started_servers[0].flaws == frozenset()
    assert _files_containing(run_dir, started_servers[0].admin_token) == []
    assert len(list(run_dir.rglob("*.json"))) > 20  # the search did look at the evidence files


@pytest.mark.slow
def test_share_all_flaw_fails_the_sharing_controls_and_their_mandatory_requirements(
    tmp_path: Path, small_corpus: Corpus
) -> None:
    from harness.privacy.budget import Budget

    result = run(RunRequest(load=False, vendor="reference", corpus_path=small_corpus.root, limit=1, scorecard_dir=tmp_path / "sc",
                            reference_flaws=("share-all",), privacy_budget=Budget(0, 0)))
    doc = result.document
    failed = {cid for cid, code in _results(doc).items() if code != "PASS"}
    assert failed == {"PC-SHR-01", "PC-SHR-02", "PC-SHR-03"}
    assert {c["result"] for c in doc["results"]["privacy"]["controls"] if c["id"] in failed} == {"FAIL"}
    verdicts = _verdicts(doc)
    for rid in failed:
        assert not verdicts[rid]["passed"] and verdicts[rid]["mandatory"]
        assert verdicts[rid]["reason"].startswith(f"not met: {rid} is FAIL, PASS required (")
    assert all(verdicts[rid]["passed"] for rid in PRIVACY_GATES - failed)
    assert doc["results"]["score"]["eligible"] is False
    assert doc["provenance"]["privacy"]["reference_flaws"] == ["share-all"]
    assert "deliberate flaw(s) share-all" in result.markdown_path.read_text(encoding="utf-8")
    # Re-scoring needs neither the vendor nor its server: the privacy results come from the journal.
    again = rescore(result.run_dir)
    assert again.document["results"]["privacy"] == doc["results"]["privacy"]
    assert again.document["results"]["requirements"] == doc["results"]["requirements"]


ATTESTATIONS = """
[[attestation]]
control = "PC-AUD-03"
mechanism = "Denied searches are written to the append-only audit store by the API gateway"
signer = "A. Officer, CISO, Example Vendor Inc."
date = 2026-03-01

[[attestation]]
control = "PC-SHR-01"
mechanism = "We never share"
signer = "A. Officer, CISO, Example Vendor Inc."
date = 2026-03-01
"""


def test_a_vendor_without_privacy_api_is_not_demonstrated_and_attestations_never_pass(
    tmp_path: Path, small_corpus: Corpus
) -> None:
    vendors = write_vendors_toml(tmp_path, script(small_corpus.samples, ("right",)))
    plain = run(RunRequest(load=False, vendor="scripted", corpus_path=small_corpus.root, limit=2, scorecard_dir=tmp_path / "a",
                           vendors_file=vendors))
    doc = plain.document
    assert doc["provenance"]["privacy"]["method"] == "not-tested"
    assert {(c["result"], c["message"]) for c in doc["results"]["privacy"]["controls"]} == {("INCONCLUSIVE", NOT_DEMONSTRATED)}
    assert doc["results"]["privacy"]["evidence_bundle_sha256"] is None and plain.evidence_dir is None
    verdicts = _verdicts(doc)
    for rid in PRIVACY_GATES:
        assert not verdicts[rid]["passed"]
        assert "not demonstrated through an API" in verdicts[rid]["reason"]
    assert doc["results"]["score"]["eligible"] is False
    assert "NOT ELIGIBLE" in plain.markdown_path.read_text(encoding="utf-8")

    attestations = tmp_path / "attestations.toml"
    attestations.write_text(ATTESTATIONS, encoding="utf-8")
    attested = run(RunRequest(load=False, vendor="scripted", corpus_path=small_corpus.root, limit=2,
                              scorecard_dir=tmp_path / "b", vendors_file=vendors, attestations=attestations))
    results = _results(attested.document)
    assert results["PC-AUD-03"] == "ATTESTED"  # the catalogue accepts an attestation for it
    assert results["PC-SHR-01"] == "INCONCLUSIVE"  # it does not for default-deny sharing
    reason = _verdicts(attested.document)["PC-AUD-03"]["reason"]
    assert reason.startswith("not met: PC-AUD-03 is ATTESTED, PASS required; an attestation is not a demonstration")
    assert "A. Officer" in reason
    sha = hashlib.sha256(attestations.read_bytes()).hexdigest()
    assert attested.document["provenance"]["privacy"]["attestations_sha256"] == sha
    assert verify_path(attested.run_dir) == []


def test_no_privacy_leaves_the_section_out_and_privacy_requirements_unmet(tmp_path: Path, small_corpus: Corpus) -> None:
    vendors = write_vendors_toml(tmp_path, script(small_corpus.samples, ("right",)))
    result = run(RunRequest(load=False, vendor="scripted", corpus_path=small_corpus.root, limit=1, scorecard_dir=tmp_path / "sc",
                            vendors_file=vendors, privacy=False))
    doc = result.document
    assert "privacy" not in doc["results"] and "privacy" not in doc["provenance"]
    assert _verdicts(doc)["PC-SHR-01"]["reason"] == "not met: not demonstrated (the privacy controls were not run in this run)"
    assert "privacy controls were not checked in this run" in result.markdown_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("vendor", "kwargs", "message"),
    [
        ("scripted", {"reference_flaws": ("share-all",)}, "--reference-flaw applies to the reference vendor"),
        ("reference", {"reference_flaws": ("share-everything",)}, "unknown flaw.*share-everything.*known flaws: share-all"),
        ("reference", {"reference_flaws": ("share-all",), "privacy": False}, "drop --no-privacy"),
        ("scripted", {"attestations": Path("missing.toml")}, "--attestations missing.toml: cannot read"),
    ],
)
def test_privacy_option_mistakes_stop_the_run_before_any_call(
    tmp_path: Path, small_corpus: Corpus, vendor: str, kwargs: dict[str, Any], message: str
) -> None:
    vendors = write_vendors_toml(tmp_path, {})
    with pytest.raises(USER_ERRORS, match=message):
        prepare(RunRequest(load=False, vendor=vendor, corpus_path=small_corpus.root, scorecard_dir=tmp_path / "sc",
                           vendors_file=vendors, **kwargs))
    assert not (tmp_path / "sc").exists()


def test_a_broken_attestation_file_is_named(tmp_path: Path, small_corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    vendors = write_vendors_toml(tmp_path, {})
    broken = tmp_path / "att.toml"
    broken.write_text('[[attestation]]\ncontrol = "PC-NOPE-99"\nmechanism = "m"\nsigner = "s"\ndate = 2026-01-01\n',
                      encoding="utf-8")
    code = main(["run", "--no-load", "--vendor", "scripted", "--corpus", str(small_corpus.root), "--vendors-config", str(vendors),
                 "--scorecard-dir", str(tmp_path / "sc"), "--attestations", str(broken)])
    assert code == 2
    assert "unknown control 'PC-NOPE-99'" in capsys.readouterr().err


@pytest.fixture
def sandbox_server() -> Iterator[ServerHandle]:
    """A vendor's RFP evaluation API server (the reference implementation) with a known admin token."""
    with running_reference_server(admin_token=PLANTED) as handle:
        yield handle


def _evalapi_vendors(folder: Path, base_url: str, token_env: str | None) -> Path:
    path = folder / "vendors.toml"
    token = f'token_env = "{token_env}"\n' if token_env else ""
    path.write_text(f'[vendors.acme]\nadapter = "evalapi"\nbase_url = "{base_url}"\n{token}', encoding="utf-8")
    return path


@pytest.mark.slow
def test_evalapi_vendor_is_checked_through_its_sandbox_and_without_a_token_says_what_to_set(
    tmp_path: Path, small_corpus: Corpus, sandbox_server: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_token = run(RunRequest(load=False, vendor="acme", corpus_path=small_corpus.root, limit=1, scorecard_dir=tmp_path / "a",
                              vendors_file=_evalapi_vendors(tmp_path, sandbox_server.base_url, None)))
    doc = no_token.document
    assert {c["result"] for c in doc["results"]["privacy"]["controls"]} == {"INCONCLUSIVE"}
    assert {c["message"] for c in doc["results"]["privacy"]["controls"]} == {NO_SANDBOX_TOKEN}
    assert NO_SANDBOX_TOKEN.startswith("no sandbox token configured: set token_env")
    assert doc["provenance"]["privacy"]["method"] == "not-tested"
    assert doc["results"]["conformance"] == []  # recognition went through the RFP API and conformed

    monkeypatch.setenv("ACME_SANDBOX_TOKEN", PLANTED)
    checked = run(RunRequest(load=False, vendor="acme", corpus_path=small_corpus.root, limit=1, scorecard_dir=tmp_path / "b",
                             vendors_file=_evalapi_vendors(tmp_path, sandbox_server.base_url, "ACME_SANDBOX_TOKEN")))
    doc = checked.document
    assert doc["provenance"]["privacy"]["method"] == "vendor-sandbox"
    assert _results(doc) == dict.fromkeys(ALL_CONTROLS, "PASS")
    assert doc["results"]["conformance"] == []
    assert checked.evidence_dir is not None
    assert _files_containing(tmp_path, PLANTED) == []


def test_markdown_privacy_and_conformance_sections_redact_and_escape(tmp_path: Path, small_corpus: Corpus) -> None:
    from harness.report.markdown import render_markdown
    from harness.scorecard.model import Scorecard

    vendors = write_vendors_toml(tmp_path, script(small_corpus.samples, ("right",)))
    doc = run(RunRequest(load=False, vendor="scripted", corpus_path=small_corpus.root, limit=1, scorecard_dir=tmp_path / "sc",
                         vendors_file=vendors)).document
    doc["results"]["privacy"]["controls"][0]["message"] = "echoed Authorization: Bearer abcd1234efgh5678 | <b>x</b>"
    doc["results"]["conformance"] = [{"source": "recognition", "method": "POST", "path": "/v1/recognize", "status": 200,
                                      "field": "reads[0].confidence", "message": "must be at most 1"}]
    markdown = render_markdown(Scorecard.model_validate(doc))
    privacy = markdown.split("## Does it protect the city's data?")[1].split("\n## ")[0]
    assert "abcd1234efgh5678" not in privacy and "\\<b\\>x\\</b\\>" in privacy and "\\|" in privacy
    assert "**INCONCLUSIVE**" in privacy and "Evidence: none" in privacy
    assert "## Does it follow the published RFP evaluation API?" in markdown
    assert "| recognition | `POST /v1/recognize` | 200 | `reads[0].confidence` | must be at most 1 |" in markdown


def test_resume_keeps_the_recorded_privacy_options_and_does_not_repeat_the_pass(
    tmp_path: Path, small_corpus: Corpus
) -> None:
    from harness.runner.run import RunError, execute

    vendors = write_vendors_toml(tmp_path, script(small_corpus.samples, ("right",)))
    base = {"vendor": "scripted", "corpus_path": small_corpus.root, "scorecard_dir": tmp_path / "sc", "vendors_file": vendors}
    first = run(RunRequest(limit=2, load=False, **base))  # type: ignore[arg-type]
    run_id = first.document["provenance"]["run_id"]
    with pytest.raises(RunError, match="other privacy options: it started with --privacy"):
        prepare(RunRequest(resume=run_id, privacy=False, load=False, **base))  # type: ignore[arg-type]
    again = execute(prepare(RunRequest(resume=run_id, load=False, **base)))  # type: ignore[arg-type]
    assert again.document["results"]["privacy"] == first.document["results"]["privacy"]
    assert first.journal_path.read_text(encoding="utf-8").count('"type":"privacy"') == 1
