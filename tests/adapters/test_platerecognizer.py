"""Plate Recognizer adapter against a loopback imitation of the documented Snapshot API."""

from __future__ import annotations

import json

import httpx
import pytest
from vendor_imitations import PR_TOKEN, TruthPlate

from vendor_adapters.base import Box, Candidate, Image
from vendor_adapters.errors import (
    AuthError,
    ConfigurationError,
    ImageRejected,
    ProtocolError,
    QuotaError,
    VendorHTTPError,
)
from vendor_adapters.platerecognizer import PlateRecognizerAdapter
from vendor_adapters.registry import create_adapter

ENV = {"PR_TOKEN": PR_TOKEN}


def _cloud(url: str, **options: object) -> PlateRecognizerAdapter:
    adapter = create_adapter("platerecognizer", {"base_url": url, "token_env": "PR_TOKEN", **options}, env=ENV)
    assert isinstance(adapter, PlateRecognizerAdapter)
    return adapter


def test_one_plate_is_read_and_normalized(pr_cloud, synthetic):
    state, url = pr_cloud
    image = synthetic[0].image
    state.register(image.data, TruthPlate("AB12CDE", 0.912, (410, 502, 548, 561), "gb", (("AB12CD3", 0.701),)))
    with _cloud(url, regions=["gb", "us-ca"], camera_id="gate-north", config={"mode": "fast"}, mmc=True) as adapter:
        recognition = adapter.recognize(image)
    (read,) = recognition.reads
    assert read.text == "AB12CDE"
    assert read.confidence == pytest.approx(0.912)
    assert read.detection_confidence == pytest.approx(0.874)
    assert read.box == Box(410, 502, 138, 59)
    assert read.region == "gb"
    assert read.candidates == (Candidate("AB12CDE", 0.912), Candidate("AB12CD3", 0.701))
    assert recognition.vendor_ms == pytest.approx(141.2)
    sent = state.requests[0]
    assert sent["regions"] == ["gb", "us-ca"]
    assert sent["camera_id"] == "gate-north"
    assert sent["config"] == {"mode": "fast"}
    assert sent["mmc"] == "true"
    assert sent["headers"]["authorization"] == f"Token {PR_TOKEN}"


def test_several_plates_and_no_plate(pr_cloud, synthetic):
    state, url = pr_cloud
    plates = [TruthPlate("7ABC123", 0.95, (10, 10, 90, 40)), TruthPlate("XYZ789", 0.6, (200, 100, 280, 130), "us-tx")]
    state.register(synthetic[1].image.data, *plates)
    with _cloud(url) as adapter:
        several = adapter.recognize(synthetic[1].image)
        none = adapter.recognize(synthetic[4].image)
    assert [r.text for r in several.reads] == ["7ABC123", "XYZ789"]
    assert [r.region for r in several.reads] == ["us-ca", "us-tx"]
    assert none.reads == ()
    assert none.vendor_ms == pytest.approx(141.2)


def test_vehicle_detection_mode_shape_is_understood(pr_cloud, synthetic):
    state, url = pr_cloud
    state.register(synthetic[0].image.data, TruthPlate("AB12CDE", 0.85, (1, 2, 30, 14), "gb", (("AB12CD3", 0.5),)))
    with _cloud(url, config={"detection_mode": "vehicle"}) as adapter:
        (read,) = adapter.recognize(synthetic[0].image).reads
    assert (read.text, read.confidence, read.region) == ("AB12CDE", 0.85, "gb")
    assert read.box == Box(1, 2, 29, 12)
    assert [c.text for c in read.candidates] == ["AB12CDE", "AB12CD3"]


def test_on_premise_sdk_sends_no_token_and_reports_its_version(pr_sdk, synthetic):
    state, url = pr_sdk
    state.register(synthetic[2].image.data, TruthPlate("KD52RTN"))
    with create_adapter("platerecognizer", {"base_url": url}, env={}) as adapter:
        assert adapter.client_rate_limit() is None
        (read,) = adapter.recognize(synthetic[2].image).reads
        info = adapter.info()
    assert read.text == "KD52RTN"
    assert "authorization" not in state.requests[0]["headers"]
    assert (info.product, info.version) == ("Snapshot SDK", "1.42.0")


def test_missing_credential_names_the_variable_before_any_request(pr_cloud):
    state, url = pr_cloud
    with pytest.raises(ConfigurationError, match="PR_TOKEN"):
        create_adapter("platerecognizer", {"token_env": "PR_TOKEN"}, env={})
    with pytest.raises(ConfigurationError, match="token_env"):
        create_adapter("platerecognizer", {}, env={})
    with pytest.raises(ConfigurationError, match="PR_TOKEN"):
        create_adapter("platerecognizer", {"base_url": url, "token_env": "PR_TOKEN"}, env={})
    assert state.requests == []


def test_unknown_and_mistyped_options_are_refused():
    with pytest.raises(ConfigurationError, match="regoins"):
        create_adapter("platerecognizer", {"token_env": "PR_TOKEN", "regoins": ["gb"]}, env=ENV)
    with pytest.raises(ConfigurationError, match="rate_limit_per_s"):
        create_adapter("platerecognizer", {"token_env": "PR_TOKEN", "rate_limit_per_s": 0}, env=ENV)


def test_wrong_token_is_an_auth_error_that_does_not_echo_the_token(pr_cloud, synthetic):
    _, url = pr_cloud
    adapter = create_adapter("platerecognizer", {"base_url": url, "token_env": "T"}, env={"T": "wrong-token-123"})
    with adapter, pytest.raises(AuthError) as caught:
        adapter.recognize(synthetic[0].image)
    assert caught.value.kind == "auth" and caught.value.status == 403
    assert "wrong API token or no credits" in str(caught.value)
    assert "wrong-token-123" not in str(caught.value) and "wrong-token-123" not in repr(adapter)


def test_no_credits_left_is_an_auth_error(pr_cloud, synthetic):
    state, url = pr_cloud
    state.credits = 0
    with _cloud(url) as adapter, pytest.raises(AuthError, match="credits"):
        adapter.recognize(synthetic[0].image)


def test_too_large_image_names_its_size(pr_cloud, synthetic):
    state, url = pr_cloud
    state.upload_limit = 1000
    image = synthetic[0].image
    with _cloud(url) as adapter, pytest.raises(ImageRejected) as caught:
        adapter.recognize(image)
    assert caught.value.kind == "image_rejected" and caught.value.status == 413
    assert f"{len(image.data)} bytes" in str(caught.value)


@pytest.mark.parametrize(("fault", "retry_after"), [(None, 1.0), ("429_header", 2.0)])
def test_throttling_is_a_quota_error_with_the_wait(pr_cloud, synthetic, fault, retry_after):
    state, url = pr_cloud
    state.rate_per_s, state.fault = 1.0, fault
    with _cloud(url) as adapter:
        adapter.recognize(synthetic[0].image)
        with pytest.raises(QuotaError) as caught:
            adapter.recognize(synthetic[0].image)
    assert caught.value.kind == "quota" and caught.value.status == 429
    assert caught.value.retry_after == retry_after


def test_client_side_rate_limit_keeps_under_the_vendor_limit(pr_cloud, synthetic):
    # The imitation allows 2 calls/s; the limiter is set well under it (1.25/s) so that scheduling
    # jitter on a busy machine cannot bring two sends within the vendor's window.
    state, url = pr_cloud
    state.rate_per_s = 2.0
    with _cloud(url) as unlimited:
        unlimited.recognize(synthetic[0].image)
        with pytest.raises(QuotaError):
            unlimited.recognize(synthetic[0].image)
    state.reset()
    state.token, state.rate_per_s = PR_TOKEN, 2.0
    with _cloud(url, rate_limit_per_s=1.25) as limited:
        assert limited.client_rate_limit() == pytest.approx(0.8)
        for _ in range(3):
            limited.recognize(synthetic[0].image)
    assert len(state.requests) == 3


def test_cloud_defaults_to_the_trial_rate():
    adapter = create_adapter("platerecognizer", {"token_env": "PR_TOKEN"}, env=ENV)
    assert adapter.client_rate_limit() == pytest.approx(1.0)


@pytest.mark.parametrize("fault", ["500", "503"])
def test_server_errors_keep_their_status(pr_cloud, synthetic, fault):
    state, url = pr_cloud
    state.fault = fault
    with _cloud(url) as adapter, pytest.raises(VendorHTTPError) as caught:
        adapter.recognize(synthetic[0].image)
    assert caught.value.kind == "http_status" and caught.value.status == int(fault)


@pytest.mark.parametrize("fault", ["malformed", "wrong_shape", "html"])
def test_malformed_answers_are_protocol_errors(pr_cloud, synthetic, fault):
    state, url = pr_cloud
    state.fault = fault
    with _cloud(url) as adapter, pytest.raises(ProtocolError) as caught:
        adapter.recognize(synthetic[0].image)
    assert caught.value.kind == "protocol"


@pytest.mark.parametrize(
    "result",
    [
        {"plate": "abc", "score": 91.0},
        {"plate": 123, "score": 0.9},
        {"plate": "abc", "score": 0.9, "box": {"xmin": 1, "ymin": 2, "xmax": 3}},
        {"plate": "abc", "score": 0.9, "candidates": "abc"},
    ],
)
def test_wrong_shaped_results_are_protocol_errors(result):
    adapter = PlateRecognizerAdapter(token=PR_TOKEN)
    request = httpx.Request("POST", "https://api.platerecognizer.com/v1/plate-reader/")
    response = httpx.Response(200, content=json.dumps({"results": [result]}), request=request)
    with pytest.raises(ProtocolError):
        adapter.parse_response(response)


def test_requests_are_built_without_sending():
    adapter = PlateRecognizerAdapter(token=PR_TOKEN, regions=("us-ca",))
    request = adapter.build_request(Image(b"jpeg-bytes"))
    assert request.method == "POST" and request.url.path == "/v1/plate-reader/"
    assert request.headers["authorization"] == f"Token {PR_TOKEN}"
    body = request.read()
    assert b'name="upload"' in body and b"jpeg-bytes" in body and b'name="regions"' in body
