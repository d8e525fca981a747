"""The evalapi adapter and the privacy runner against a tiny Starlette server that breaks the spec."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.privacy.attestations import AttestationError, load_attestations
from harness.privacy.context import canary_prefix
from harness.privacy.runner import run_privacy_suite
from harness.privacy.sandbox import SandboxClient
from vendor_adapters.base import Image
from vendor_adapters.errors import ProtocolError, VendorError, VendorHTTPError
from vendor_adapters.registry import create_adapter

GOOD_READ = {"plate": "QXTEST0001", "confidence": 0.9, "box": {"x": 1, "y": 2, "width": 30, "height": 10},
             "region": "us-co", "candidates": []}
ANSWERS = {
    "good": (200, {"reads": [GOOD_READ], "processing_ms": 12.5}),
    "wrong-type": (200, {"reads": [{**GOOD_READ, "confidence": "high"}], "processing_ms": 12.5}),
    "missing-field": (200, {"reads": [{k: v for k, v in GOOD_READ.items() if k != "plate"}], "processing_ms": 1}),
    "undocumented-status": (418, {"teapot": True}),
}
"""Image name -> what the server answers (the test picks the behaviour by the uploaded file name)."""


async def recognize(request: Request) -> Response:
    form = await request.form()
    status, body = ANSWERS[form["image"].filename]
    return JSONResponse(body, status_code=status)


async def info(_: Request) -> Response:
    return JSONResponse({"vendor": "broken", "product": "p", "version": "1", "api_version": "1.0.0",
                         "declared_threshold": "0.5", "capabilities": {}})


async def me(_: Request) -> Response:
    return Response(status_code=404)


APP = Starlette(routes=[Route("/v1/recognize", recognize, methods=["POST"]), Route("/v1/info", info),
                        Route("/v1/me", me)])


@pytest.fixture(scope="module")
def broken_server() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(APP, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/v1/info")
            break
        except httpx.TransportError:
            time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(timeout=5)


def test_adapter_records_conformance_failures_naming_the_field_and_keeps_going(broken_server: str) -> None:
    adapter = create_adapter("evalapi", {"base_url": broken_server}, {})
    outcomes = {}
    for name in ("wrong-type", "missing-field", "undocumented-status", "good"):
        try:
            outcomes[name] = adapter.recognize(Image(b"\xff\xd8fake", name=name))
        except VendorError as exc:  # recorded as that sample's outcome by the runner
            outcomes[name] = exc
    assert isinstance(outcomes["wrong-type"], ProtocolError) and "reads[0].confidence" in str(outcomes["wrong-type"])
    assert isinstance(outcomes["missing-field"], ProtocolError) and "reads[0].plate" in str(outcomes["missing-field"])
    assert isinstance(outcomes["undocumented-status"], VendorHTTPError)
    good = outcomes["good"]
    assert good.reads[0].text == "QXTEST0001" and good.reads[0].box.width == 30 and good.vendor_ms == 12.5
    fields = {(f["status"], f["field"]) for f in adapter.conformance_findings()}
    assert fields == {(200, "reads[0].confidence"), (200, "reads[0].plate"), (418, "status")}
    with pytest.raises(ProtocolError, match="declared_threshold"):
        adapter.info()
    assert any(f.field == "declared_threshold" for f in adapter.conformance_failures)


def test_undocumented_error_status_is_recorded_then_mapped(broken_server: str) -> None:
    adapter = create_adapter("evalapi", {"base_url": broken_server}, {})
    with pytest.raises(VendorHTTPError) as caught:
        adapter.recognize(Image(b"x", name="undocumented-status"))
    assert caught.value.status == 418
    assert [f.field for f in adapter.conformance_failures] == ["status"]


def test_suite_without_a_sandbox_is_inconclusive_and_attestations_apply_only_where_accepted(
        broken_server: str, tmp_path: Path) -> None:
    attest = tmp_path / "attest.toml"
    attest.write_text(
        '[[attestation]]\ncontrol = "PC-AUD-03"\nmechanism = "append-only log of denials"\n'
        'signer = "A. Officer, CISO"\ndate = 2026-03-01\n\n'
        '[[attestation]]\ncontrol = "PC-SHR-01"\nmechanism = "trust us"\nsigner = "A. Officer"\ndate = "2026-03-01"\n'
    )
    from harness.privacy.controls import CONTROLS

    attestations = load_attestations(attest, {c.id for c in CONTROLS})
    client = SandboxClient(broken_server, "pb-admin-token-not-used-0000", canary_prefix=canary_prefix("TEST"))
    report = run_privacy_suite(client, attestations, nonce="TEST")
    results = {c.id: c for c in report.controls}
    assert results["PC-AUD-03"].result == "ATTESTED" and "A. Officer, CISO on 2026-03-01" in results["PC-AUD-03"].message
    assert results["PC-SHR-01"].result == "INCONCLUSIVE"
    assert "catalogue accepts none" in results["PC-SHR-01"].message
    assert results["PC-RET-01"].result == "INCONCLUSIVE" and "GET /v1/me" in results["PC-RET-01"].message
    assert "PASS" not in {c.result for c in report.controls}


def test_bad_attestation_files_are_rejected_with_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "a.toml"
    bad.write_text('[[attestation]]\ncontrol = "PC-AUD-03"\nsigner = "x"\ndate = "2026-03-01"\n')
    with pytest.raises(AttestationError, match="attestation 1: missing mechanism"):
        load_attestations(bad)
    bad.write_text('[[attestation]]\ncontrol = "PC-NOPE-01"\nmechanism = "m"\nsigner = "x"\ndate = "2026-03-01"\n')
    with pytest.raises(AttestationError, match="unknown control 'PC-NOPE-01'"):
        load_attestations(bad, {"PC-AUD-03"})
    bad.write_text('[[attestation]]\ncontrol = "PC-AUD-03"\nmechanism = "m"\nsigner = "x"\ndate = "soon"\n')
    with pytest.raises(AttestationError, match="not YYYY-MM-DD"):
        load_attestations(bad)
