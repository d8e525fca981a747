"""OpenALPR cloud adapter against a loopback imitation of the documented API, and the ``alpr -j`` CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from vendor_imitations import OA_SECRET, TruthPlate, alpr_result

from vendor_adapters.base import Box, Candidate, Image
from vendor_adapters.errors import (
    AuthError,
    ConfigurationError,
    PrerequisiteError,
    ProtocolError,
    QuotaError,
    TransportError,
    VendorError,
    VendorHTTPError,
    VendorTimeout,
)
from vendor_adapters.openalpr import OpenAlprCloudAdapter, redacted_url
from vendor_adapters.registry import create_adapter

ENV = {"OA_KEY": OA_SECRET}


def _cloud(url: str, **options: object) -> OpenAlprCloudAdapter:
    adapter = create_adapter("openalpr", {"base_url": f"{url}/v3", "secret_key_env": "OA_KEY", **options}, env=ENV)
    assert isinstance(adapter, OpenAlprCloudAdapter)
    return adapter


def test_plate_is_read_with_percent_confidences_polygon_and_timing(openalpr, synthetic):
    state, url = openalpr
    image = synthetic[0].image
    state.register(image.data, TruthPlate("7ABC123", 0.914, (300, 410, 402, 455), "us-ca", (("7A8C123", 0.77),)))
    with _cloud(url, country="us", topn=5) as adapter:
        recognition = adapter.recognize(image)
        rate_limit = adapter.rate_limit
    (read,) = recognition.reads
    assert read.text == "7ABC123"
    assert read.confidence == pytest.approx(0.914)
    assert read.polygon == ((300, 410), (402, 411), (401, 455), (299, 454))
    assert read.box == Box(299, 410, 103, 45)
    assert read.region == "us-ca"
    assert read.candidates == (Candidate("7ABC123", pytest.approx(0.914)), Candidate("7A8C123", pytest.approx(0.77)))
    assert recognition.vendor_ms == pytest.approx(412.5)
    assert rate_limit is not None and (rate_limit.limit, rate_limit.remaining) == (10, 9)
    assert state.requests[0]["params"] == {"secret_key": OA_SECRET, "country": "us", "recognize_vehicle": "0",
                                           "return_image": "0", "topn": "5"}


def test_body_is_the_base64_image(synthetic):
    adapter = OpenAlprCloudAdapter(secret_key=OA_SECRET)
    request = adapter.build_request(synthetic[0].image)
    assert request.url.path == "/v3/recognize_bytes"
    assert base64.b64decode(request.read()) == synthetic[0].image.data
    assert OA_SECRET not in redacted_url(request.url)
    assert "secret_key=REDACTED" in redacted_url(request.url) and "country=us" in redacted_url(request.url)


def test_several_plates_and_no_plate(openalpr, synthetic):
    state, url = openalpr
    state.register(synthetic[1].image.data, TruthPlate("ABC123"), TruthPlate("XYZ789", region=""))
    with _cloud(url) as adapter:
        several = adapter.recognize(synthetic[1].image)
        none = adapter.recognize(synthetic[4].image)
    assert [r.text for r in several.reads] == ["ABC123", "XYZ789"]
    assert [r.region for r in several.reads] == ["us-ca", None]
    assert none.reads == ()


def test_v2_base_url_works_too(openalpr, synthetic):
    state, url = openalpr
    state.register(synthetic[2].image.data, TruthPlate("KD52RTN"))
    adapter = create_adapter("openalpr", {"base_url": f"{url}/v2", "secret_key_env": "OA_KEY"}, env=ENV)
    with adapter:
        assert [r.text for r in adapter.recognize(synthetic[2].image).reads] == ["KD52RTN"]


def test_missing_secret_names_the_variable_before_any_request(openalpr):
    state, url = openalpr
    with pytest.raises(ConfigurationError, match="OA_KEY"):
        create_adapter("openalpr", {"base_url": url, "secret_key_env": "OA_KEY"}, env={})
    with pytest.raises(ConfigurationError, match="secret_key_env"):
        create_adapter("openalpr", {"base_url": url}, env={})
    assert state.requests == []


def _error_from(adapter: OpenAlprCloudAdapter, image) -> VendorError:
    with pytest.raises(VendorError) as caught:
        adapter.recognize(image)
    return caught.value


def test_bad_key_is_auth_error_and_the_echoed_key_is_scrubbed(openalpr, synthetic):
    _, url = openalpr
    secret = "sk_wrongwrongwrong42"
    adapter = create_adapter("openalpr", {"base_url": f"{url}/v3", "secret_key_env": "K"}, env={"K": secret})
    with adapter:
        error = _error_from(adapter, synthetic[0].image)
    assert isinstance(error, AuthError) and error.status == 401
    assert secret not in str(error) and secret not in repr(error) and secret not in repr(adapter)
    assert error.__cause__ is None


def test_monthly_credits_used_up_is_quota_without_wait(openalpr, synthetic):
    state, url = openalpr
    state.credits = 0
    with _cloud(url) as adapter:
        error = _error_from(adapter, synthetic[0].image)
    assert isinstance(error, QuotaError) and error.status == 402 and error.retry_after is None


@pytest.mark.parametrize("fault", [None, "403_bare"])
def test_403_is_the_temporary_rate_limit(openalpr, synthetic, fault):
    state, url = openalpr
    state.rate_per_s, state.fault = 1.0, fault
    with _cloud(url) as adapter:
        adapter.recognize(synthetic[0].image)
        error = _error_from(adapter, synthetic[0].image)
    assert isinstance(error, QuotaError) and error.kind == "quota" and error.status == 403
    if fault is None:
        assert error.retry_after is not None and 0 <= error.retry_after <= 3
    else:
        assert error.retry_after is None


@pytest.mark.parametrize(("fault", "kind"), [("500", "http_status"), ("503", "http_status"),
                                             ("malformed", "protocol"), ("wrong_shape", "protocol"),
                                             ("html", "protocol")])
def test_server_and_format_failures(openalpr, synthetic, fault, kind):
    state, url = openalpr
    state.fault = fault
    with _cloud(url) as adapter:
        error = _error_from(adapter, synthetic[0].image)
    assert error.kind == kind
    assert OA_SECRET not in str(error)


def _mock(handler) -> OpenAlprCloudAdapter:
    return OpenAlprCloudAdapter(secret_key=OA_SECRET, client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_400_that_quotes_the_url_is_scrubbed(synthetic):
    adapter = _mock(lambda request: httpx.Response(400, json={"error": f"bad parameter in {request.url}"}))
    error = _error_from(adapter, synthetic[0].image)
    assert isinstance(error, VendorHTTPError) and error.status == 400
    assert OA_SECRET not in str(error) and "secret_key=REDACTED" in str(error)


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.ConnectError])
def test_transport_failures_never_carry_the_key(synthetic, exc):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc(f"failed talking to {request.url}", request=request)

    error = _error_from(_mock(handler), synthetic[0].image)
    assert isinstance(error, VendorTimeout if exc is httpx.ReadTimeout else TransportError)
    assert OA_SECRET not in str(error) and error.__cause__ is None


def test_refused_connection_on_loopback_is_transport_error(synthetic):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = create_adapter("openalpr", {"base_url": f"http://127.0.0.1:{port}/v3", "secret_key_env": "OA_KEY"},
                             env=ENV)
    with adapter:
        error = _error_from(adapter, synthetic[0].image)
    assert isinstance(error, TransportError) and OA_SECRET not in str(error)


@pytest.mark.parametrize("result", [{"plate": "ABC", "confidence": 0.9, "coordinates": [{"x": 1, "y": 2}]},
                                    {"plate": "ABC", "confidence": 190.0}, {"plate": None, "confidence": 90}])
def test_wrong_shaped_results_are_protocol_errors(result):
    adapter = _mock(lambda request: httpx.Response(200, json={"results": [result]}))
    with pytest.raises(ProtocolError):
        adapter.parse_response(adapter.client.send(adapter.build_request(Image(b"x"))))


# ---------------------------------------------------------------- alpr -j command line

FAKE_ALPR = """#!{python}
import hashlib, json, sys, time
args = sys.argv[1:]
table = json.load(open({table!r}))
if "slow" in table: time.sleep(30)
if "crash" in table:
    print("Error loading config", file=sys.stderr); sys.exit(3)
if "garbage" in table:
    print("{{not json"); sys.exit(0)
digest = hashlib.sha256(open(args[-1], "rb").read()).hexdigest()
assert args[0] == "-j", args
print("warning: runtime data not found in default location")
print(json.dumps({{"version": 2, "data_type": "alpr_results", "epoch_time": 1714554764123, "img_width": 800,
                  "img_height": 450, "processing_time_ms": 48.3, "args": args,
                  "regions_of_interest": [{{"x": 0, "y": 0, "width": 800, "height": 450}}],
                  "results": table.get(digest, [])}}))
"""


def _fake_alpr(tmp_path: Path, table: dict) -> Path:
    (tmp_path / "table.json").write_text(json.dumps(table))
    script = tmp_path / "alpr"
    script.write_text(FAKE_ALPR.format(python=sys.executable, table=str(tmp_path / "table.json")))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_cli_runs_alpr_and_normalizes_its_json(tmp_path, synthetic):
    image = synthetic[0].image
    table = {hashlib.sha256(image.data).hexdigest(): [alpr_result(0, TruthPlate("ZX81KLM", 0.897, (600, 400, 700, 430), ""))]}
    adapter = create_adapter("openalpr-cli", {"binary": str(_fake_alpr(tmp_path, table)), "country": "eu", "topn": 5},
                             env={})
    recognition = adapter.recognize(image)
    (read,) = recognition.reads
    assert (read.text, read.region, read.box) == ("ZX81KLM", None, Box(599, 400, 101, 30))
    assert read.confidence == pytest.approx(0.897)
    assert recognition.vendor_ms == pytest.approx(48.3)
    assert adapter.command("x.jpg")[1:] == ["-j", "-c", "eu", "-n", "5", "x.jpg"]
    assert adapter.recognize(synthetic[4].image).reads == ()


@pytest.mark.parametrize(("mode", "error"), [("crash", ProtocolError), ("garbage", ProtocolError),
                                             ("slow", VendorTimeout)])
def test_cli_failures_are_vendor_errors_and_leave_no_temp_file(tmp_path, monkeypatch, synthetic, mode, error):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    adapter = create_adapter("openalpr-cli", {"binary": str(_fake_alpr(tmp_path, {mode: 1})), "timeout_s": 1},
                             env={})
    with pytest.raises(error):
        adapter.recognize(synthetic[0].image)
    assert list(scratch.iterdir()) == []


def test_cli_missing_binary_says_how_to_install(tmp_path):
    with pytest.raises(PrerequisiteError, match="apt-get install openalpr"):
        create_adapter("openalpr-cli", {"binary": str(tmp_path / "no-such-alpr")}, env={})


def test_cli_replays_recorded_output_by_the_images_sha256(tmp_path, synthetic):
    first, second = synthetic[0].image, synthetic[1].image
    lines = [
        {"image_sha256": hashlib.sha256(first.data).hexdigest(), "version": 2, "processing_time_ms": 20.0,
         "results": [alpr_result(0, TruthPlate("ABC1234"))]},
        {"image": "/data/cam/car2.jpg", "image_sha256": hashlib.sha256(second.data).hexdigest().upper(),
         "version": 2, "processing_time_ms": 21.0,
         "results": [alpr_result(0, TruthPlate("7XKD482")), alpr_result(1, TruthPlate("KD52RTN"))]},
    ]
    replay = tmp_path / "recorded.jsonl"
    replay.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    adapter = create_adapter("openalpr-cli", {"replay": str(replay), "binary": "/nonexistent/alpr"}, env={})
    assert [r.text for r in adapter.recognize(first).reads] == ["ABC1234"]
    assert [r.text for r in adapter.recognize(second).reads] == ["7XKD482", "KD52RTN"]
    with pytest.raises(ProtocolError, match="no recorded line"):
        adapter.recognize(synthetic[2].image)


def test_cli_replay_file_problems_are_found_before_any_image(tmp_path):
    replay = tmp_path / "recorded.jsonl"
    replay.write_text(f'{{"image_sha256": "{"0" * 64}", "results": []}}\n{{"image": "a.jpg", "results": []}}\n')
    with pytest.raises(ConfigurationError, match="line 2.*image_sha256"):
        create_adapter("openalpr-cli", {"replay": str(replay)}, env={})
    replay.write_text("not json\n")
    with pytest.raises(ConfigurationError, match="line 1"):
        create_adapter("openalpr-cli", {"replay": str(replay)}, env={})
    with pytest.raises(ConfigurationError, match="cannot read"):
        create_adapter("openalpr-cli", {"replay": str(tmp_path / "missing.jsonl")}, env={})
