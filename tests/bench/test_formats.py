"""Each push format's parser on its vendor's documented sample payload (sources in samples/README.md),
its encoder round trip, and bad payloads: rejected with a reason, never an unexpected exception."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import numpy as np
import pytest
import yaml

from harness.bench.events import EdgeRead, PayloadError
from harness.bench.formats import FORMATS
from harness.bench.formats._body import multipart

SAMPLES = Path(__file__).parent / "samples"
FLOCK_ASYNCAPI = Path("/work/shared/reference/flock/flock-safety-lpr-alerts-asyncapi.yml")
RFP_SPEC = Path(__file__).parents[2] / "vendor_adapters" / "rfp-evaluation-api.yaml"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def parse(fmt: str, document: Any, **options: Any):
    return FORMATS[fmt].parse(json.dumps(document).encode(), "application/json", **options)


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_platerecognizer_stream_sample_as_multipart_json_and_upload() -> None:
    """Plate Recognizer's webhook tester sends the sample as multipart ``json`` + ``upload``."""
    body, content_type = multipart({"json": json.dumps(sample("platerecognizer_stream.json"))},
                                   {"upload": ("image.jpg", JPEG, "image/jpeg")})
    (event,) = FORMATS["platerecognizer-stream"].parse(body, content_type).events
    assert (event.plate, event.confidence, event.device) == ("PL8REC", 0.902, "camera-1")
    assert event.event_time == pytest.approx(epoch("2025-08-11T16:42:58.740143"))


def test_platerecognizer_form_encoded_and_plain_json() -> None:
    text = json.dumps(sample("platerecognizer_stream.json"))
    form = httpx.Request("POST", "http://x/", data={"json": text})
    for body, content_type in ((form.read(), form.headers["content-type"]), (text.encode(), "application/json")):
        assert FORMATS["platerecognizer-stream"].parse(body, content_type).events[0].plate == "PL8REC"


def test_rekor_alpr_group_sample() -> None:
    """OpenALPR's documented group: the best read, percent confidence, the best frame's time from best_uuid."""
    (event,) = parse("rekor-alpr-group", sample("rekor_alpr_group.json")).events
    assert (event.plate, event.device) == ("A13709", "1414799424")
    assert event.confidence == pytest.approx(0.92075203)
    assert event.event_time == pytest.approx(1448326208.789)
    assert event.facts == {"site_id": "dimitar-video"}


def test_rekor_heartbeat_results_and_test_ping_are_ignored() -> None:
    assert parse("rekor-alpr-group", sample("rekor_heartbeat.json")).ignored == "heartbeat"
    results = {"data_type": "alpr_results", "results": [{"plate": "ZX81KLM", "confidence": 89.7}]}
    assert parse("rekor-alpr-group", results).events == ()
    assert parse("rekor-alpr-group", {"openalpr_webhook": "test"}).ignored == "test ping"


def test_axis_sample_numbers_as_strings_multipart_event_and_image() -> None:
    event_json = (SAMPLES / "axis_lpv_event.json").read_bytes()
    body, content_type = multipart({}, {"event": ("event.json", event_json, "application/json"),
                                        "image": ("image.jpg", JPEG, "image/jpeg")})
    (event,) = FORMATS["axis-lpv"].parse(body, content_type).events
    assert (event.plate, event.device, event.event_id) == ("RLE11684", "ACCC8ED3290D", "1144696")
    assert event.confidence == pytest.approx(0.719034)
    assert event.event_time == pytest.approx(1623405938.252)
    assert event.facts["ProdShortName"] == "AXIS P1445-LE-3"


def test_genetec_security_center_sample_month_first_by_default() -> None:
    (event,) = parse("genetec", sample("genetec_security_center.json")).events
    assert (event.plate, event.device, event.confidence) == ("9HKA742", "G637821011231200521C", 0.99)
    assert event.event_time == pytest.approx(epoch("2024-10-24T20:29:26"))


def test_genetec_day_first_is_configurable_and_a_mismatch_is_a_clear_rejection() -> None:
    document = sample("genetec_security_center.json") | {"DateUtc": "03/04/2024"}
    assert parse("genetec", document, date_order="dmy").events[0].event_time == pytest.approx(epoch("2024-04-03T20:29:26"))
    with pytest.raises(PayloadError, match="dmy date order"):
        parse("genetec", sample("genetec_security_center.json"), date_order="dmy")  # 10/24: no month 24


def test_genetec_sharpv_http_extension_sample() -> None:
    (event,) = parse("genetec", sample("genetec_sharpv.json")).events
    assert (event.plate, event.device, event.confidence) == ("F12ABC", "SHARPV00001", 0.87)
    assert event.event_time == pytest.approx(epoch("2024-05-01T09:12:44.120"))


@pytest.mark.skipif(not FLOCK_ASYNCAPI.is_file(), reason="Flock's AsyncAPI description is not available here")
def test_flock_sample_is_valid_against_flocks_asyncapi_schema_and_parses() -> None:
    spec = yaml.safe_load(FLOCK_ASYNCAPI.read_text(encoding="utf-8"))
    jsonschema.validate(sample("flock_hotlist_alert.json"), spec["components"]["schemas"]["LprHotlistAlert"])
    (event,) = parse("flock-alert", sample("flock_hotlist_alert.json")).events
    assert (event.plate, event.confidence) == ("ABC1234", 0.94)
    assert event.device == "0b1c2d3e-0000-4000-8000-000000000001"
    assert event.event_time == pytest.approx(epoch("2025-03-01T14:22:05"))


def test_flock_alert_without_ocr_or_required_fields_is_rejected() -> None:
    with pytest.raises(PayloadError, match="ocr is null"):
        parse("flock-alert", sample("flock_hotlist_alert.json") | {"ocr": None})
    document = sample("flock_hotlist_alert.json")
    del document["objectId"], document["sources"]
    with pytest.raises(PayloadError, match="objectId, sources"):
        parse("flock-alert", document)


def test_verkada_sample_uses_the_millisecond_detection_time() -> None:
    (event,) = parse("verkada-lpr", sample("verkada_lpr.json")).events
    assert (event.plate, event.device) == ("ABCD123", "38718198-8a78-4718-a60f-68e1a8de30ac")
    assert event.confidence == pytest.approx(0.9630414285714286)
    assert event.event_time == pytest.approx(1758302865.879)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_encode_then_parse_round_trip(fmt: str) -> None:
    read = EdgeRead("KXB4521", 0.9312, 1_790_000_000.125, 1_789_999_999.9, 1_790_000_000.3, "cam-7", "ev-1",
                    (10, 20, 100, 50), (320, 180), JPEG)
    body, content_type = FORMATS[fmt].encode(read)
    (event,) = FORMATS[fmt].parse(body, content_type).events
    assert (event.plate, event.device) == ("KXB4521", "cam-7")
    assert event.event_time == pytest.approx(read.event_time, abs=0.0011)
    assert event.confidence == pytest.approx(0.9312, abs=0.006)


SAMPLE_OF = {
    "platerecognizer-stream": "platerecognizer_stream.json",
    "rekor-alpr-group": "rekor_alpr_group.json",
    "axis-lpv": "axis_lpv_event.json",
    "genetec": "genetec_security_center.json",
    "flock-alert": "flock_hotlist_alert.json",
    "verkada-lpr": "verkada_lpr.json",
}
WEIRD = (None, 0, -1, 1e308, True, "", "x" * 50, "2024-13-45", [], {}, [{}], {"a": None})


def _mutations(document: Any, rng: np.random.Generator, count: int) -> list[Any]:
    """Copies of ``document`` with one value somewhere replaced by something odd, or a key removed."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((*path, k))
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node[:3]):
                paths.append((*path, i))
                walk(v, (*path, i))

    walk(document, ())
    out = []
    for _ in range(count):
        mutated = copy.deepcopy(document)
        path = paths[int(rng.integers(len(paths)))]
        parent = mutated
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.25:
            del parent[path[-1]]
        else:
            parent[path[-1]] = WEIRD[int(rng.integers(len(WEIRD)))]
        out.append(mutated)
    return out


@pytest.mark.parametrize("fmt", sorted(SAMPLE_OF))
def test_malformed_payloads_are_rejected_with_a_reason_never_a_crash(fmt: str) -> None:
    rng = np.random.default_rng(7)
    document = sample(SAMPLE_OF[fmt])
    bodies: list[tuple[bytes, str]] = [
        (b"", "application/json"),
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[" * 100_000, "application/json"),
        (json.dumps(document).encode(), "text/html"),
        (b"--x\r\n\r\n", "multipart/form-data; boundary=x"),
        (b"--x--", "multipart/form-data"),
    ]
    bodies += [(bytes(rng.integers(0, 256, int(rng.integers(1, 300)), dtype=np.uint8)), "application/json") for _ in range(20)]
    bodies += [(json.dumps(m).encode(), "application/json") for m in _mutations(document, rng, 300)]
    rejected = 0
    for body, content_type in bodies:
        if fmt in ("axis-lpv",) and content_type == "application/json" and body.startswith(b"{"):
            body, content_type = multipart({}, {"event": ("event.json", body, "application/json")})
        try:
            FORMATS[fmt].parse(body, content_type)
        except PayloadError as exc:
            assert str(exc)
            rejected += 1
    assert rejected >= 8


def test_rfp_push_matches_the_api_descriptions_webhook_and_its_example_parses() -> None:
    """The RFP evaluation API's ``webhooks: cameraRead`` (vendor_adapters/rfp-evaluation-api.yaml) is the spec."""
    spec = yaml.safe_load(RFP_SPEC.read_text(encoding="utf-8"))
    content = spec["webhooks"]["cameraRead"]["post"]["requestBody"]["content"]["application/json"]
    schema = content["schema"] | {"components": spec["components"]}
    body, _ = FORMATS["rfp-evaluation"].encode(
        EdgeRead("ABC1234", 0.9, 1.8e9, 1.8e9, 1.8e9, "cam-1", "r-1"))
    jsonschema.validate(json.loads(body), schema)
    (event,) = parse("rfp-evaluation", content["example"]).events
    assert (event.plate, event.device, event.confidence) == ("ABC1234", "cam-1", 0.97)
    assert event.event_time == pytest.approx(epoch("2026-12-02T05:00:00.125"))
