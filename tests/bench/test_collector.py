"""The collector on loopback: per-vendor authentication, bad pushes rejected and counted (never a
crash), everything journaled with mode 0600, resume."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path

import httpx
import pytest

from conftest import small_plan
from harness.bench.auth import CollectorAuth, client_headers, verkada_signature
from harness.bench.collector import CollectorConfig, running_collector
from harness.bench.events import EdgeRead
from harness.bench.formats import FORMATS, PushFormat
from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
from harness.runner.journal import JournalError

SAMPLES = Path(__file__).parent / "samples"


def read(device: str = "cam-1") -> EdgeRead:
    return EdgeRead("KXB4521", 0.93, time.time(), time.time() - 0.2, time.time(), device, "ev-1")


def post(url: str, fmt: str, device: str = "cam-1", headers: dict[str, str] | None = None) -> httpx.Response:
    body, content_type = FORMATS[fmt].encode(read(device))
    return httpx.post(f"{url}/events/{fmt}", content=body, headers={"Content-Type": content_type, **(headers or {})})


def test_accepts_pushes_stamps_arrival_and_journals_raw_bodies_0600(journal: BenchJournal) -> None:
    with running_collector(journal) as (_, server):
        before = time.time()
        response = post(server.base_url, "platerecognizer-stream")
        after = time.time()
        assert response.status_code == 200 and response.json() == {"status": "accepted", "events": 1}
        assert httpx.get(f"{server.base_url}/status").json()["events"] == 1
    path = journal.path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = [json.loads(line) for line in path.read_text().splitlines()][-1]
    assert before <= record["arrival"] <= after
    assert b"kxb4521" in base64.b64decode(record["body_b64"])  # raw payload kept (Plate Recognizer sends lower case)
    records = read_bench_journal(path)
    (event,) = records.events
    assert (event.event.plate, event.camera, event.route) == ("KXB4521", "cam-1", "platerecognizer-stream")


def test_malformed_pushes_are_rejected_with_reasons_and_counted(journal: BenchJournal) -> None:
    bad = [
        ("platerecognizer-stream", b"{}", "application/json"),
        ("verkada-lpr", b"not json", "application/json"),
        ("flock-alert", (SAMPLES / "flock_hotlist_alert.json").read_bytes(), "text/plain"),
        ("genetec", b'{"Plate": "", "DateUtc": "1/1/2024", "TimeUtc": "00:00:00"}', "application/json"),
        ("no-such-vendor", b"{}", "application/json"),
    ]
    with running_collector(journal) as (_, server):
        for fmt, body, content_type in bad:
            response = httpx.post(f"{server.base_url}/events/{fmt}", content=body, headers={"Content-Type": content_type})
            assert response.status_code in (400, 404) and response.json()["error"]
        assert post(server.base_url, "verkada-lpr", "cam-2").status_code == 200  # still serving
    records = read_bench_journal(journal.path)
    rejected = {route: n for (route, status), n in records.statuses.items() if status == "rejected"}
    assert rejected == {"platerecognizer-stream": 1, "verkada-lpr": 1, "flock-alert": 1, "genetec": 1, "no-such-vendor": 1}
    reasons = {route: reason for route, reason in records.reasons}
    assert "hook is not a JSON object" in reasons["platerecognizer-stream"]
    assert "not valid JSON" in reasons["verkada-lpr"]
    assert "unsupported content type" in reasons["flock-alert"]
    assert len(records.events) == 1 and records.events[0].camera == "cam-2"


def test_a_parser_bug_is_a_recorded_rejection_not_a_crash(journal: BenchJournal, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(body: bytes, content_type: str, **_: object) -> None:
        raise KeyError("bug")

    original = FORMATS["genetec"]
    monkeypatch.setitem(FORMATS, "genetec", PushFormat(original.name, original.vendor, original.description,
                                                       original.auth, original.encode, broken))
    with running_collector(journal) as (_, server):
        response = post(server.base_url, "genetec", "cam-4")
        assert response.status_code == 400 and "KeyError" in response.json()["error"]
        assert post(server.base_url, "flock-alert", "cam-3").status_code == 200


def test_authentication_per_vendor_scheme(journal: BenchJournal) -> None:
    config = CollectorConfig({
        "platerecognizer-stream": CollectorAuth("header", "Authorization", "Token s3cret-pr"),
        "genetec": CollectorAuth("basic", secret="bench:pa55"),
        "verkada-lpr": CollectorAuth("verkada-signature", secret="shared-secret"),
        "flock-alert": CollectorAuth("oauth2", secret="flock-client:flock-secret"),
    })
    with running_collector(journal, config) as (_, server):
        url = server.base_url
        assert post(url, "platerecognizer-stream").status_code == 401
        assert post(url, "platerecognizer-stream", headers={"Authorization": "Token wrong"}).status_code == 401
        assert post(url, "platerecognizer-stream", headers={"Authorization": "Token s3cret-pr"}).status_code == 200
        assert post(url, "genetec", "cam-4", {"Authorization": "Basic eDp5"}).status_code == 401
        body, content_type = FORMATS["genetec"].encode(read("cam-4"))
        headers = client_headers(config.auth["genetec"], body)
        assert httpx.post(f"{url}/events/genetec", content=body, headers={"Content-Type": content_type, **headers}).status_code == 200
        # Verkada: signature over body|timestamp, stale timestamps refused
        body, content_type = FORMATS["verkada-lpr"].encode(read("cam-2"))
        good = client_headers(config.auth["verkada-lpr"], body)
        stale_stamp = str(int(time.time()) - 3600)
        stale = {"Verkada-Signature": f"{stale_stamp}|{verkada_signature('shared-secret', body, stale_stamp)}"}
        for headers, expected in ((good, 200), (stale, 401), ({"Verkada-Signature": good["Verkada-Signature"] + "0"}, 401)):
            answer = httpx.post(f"{url}/events/verkada-lpr", content=body, headers={"Content-Type": content_type, **headers})
            assert answer.status_code == expected
        # Flock: client-credentials token from the collector, then Bearer
        assert post(url, "flock-alert", "cam-3", {"Authorization": "Bearer made-up"}).status_code == 401
        denied = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials", "client_id": "flock-client",
                                                         "client_secret": "nope"})
        assert denied.status_code == 401
        token = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials", "client_id": "flock-client",
                                                        "client_secret": "flock-secret"}).json()["access_token"]
        assert post(url, "flock-alert", "cam-3", {"Authorization": f"Bearer {token}"}).status_code == 200
    records = read_bench_journal(journal.path)
    assert sum(n for (_, status), n in records.statuses.items() if status == "unauthorized") == 6
    assert "s3cret-pr" not in "".join(r for _, r in records.reasons)


def test_auth_secrets_come_from_the_environment() -> None:
    auth = CollectorAuth.from_env("header:X-Api-Key:BENCH_KEY", {"BENCH_KEY": "k1"})
    assert (auth.scheme, auth.header, auth.secret) == ("header", "X-Api-Key", "k1")
    with pytest.raises(ValueError, match="environment variable"):
        CollectorAuth.from_env("bearer:MISSING", {})


def test_resume_appends_and_another_plan_is_refused(tmp_path: Path) -> None:
    plan = small_plan()
    truth = {p.id: p.plate for p in plan.passes if p.plate}
    BenchJournal.open(tmp_path, plan, truth).close()
    BenchJournal.open(tmp_path, plan, truth).close()
    assert read_bench_journal(tmp_path / BENCH_JOURNAL).resumes == 1
    with pytest.raises(JournalError, match="another plan"):
        BenchJournal.open(tmp_path, small_plan(passes=5), truth)
