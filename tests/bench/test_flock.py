"""The Flock adapter against an imitation of Flock's documented API (tests/bench/flock_imitation.py):
client credentials, a hotlist of the bench's plates, an alert subscription delivering to the
collector with OAuth2 client credentials, lookups by plate and window with the bench's reason, and
the privacy probe (a lookup without a reason must be refused)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flock_imitation import running_flock

from harness.bench.auth import CollectorAuth
from harness.bench.collector import CollectorConfig, running_collector
from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
from harness.bench.metrics import score
from harness.bench.plan import BenchSettings, Camera, make_plan
from harness.bench.pollers import poll
from vendor_adapters.flock import FlockClient, FlockError, FlockLookup, SubscriberCredentials

FLOCK_ROUTE = FlockLookup.route

DEVICE = "0b1c2d3e-0000-4000-8000-000000000001"


def test_flock_bench_alerts_and_lookups(tmp_path: Path) -> None:
    plates = ["KXB4521", "TRM7730", "ADF1234"]
    plan = make_plan(cameras=[Camera("flock-1", "flock", "push", "flock-alert", DEVICE)], passes=3, interval_s=5.0,
                     plates=plates, settings=BenchSettings(window_before_s=1.0, window_after_s=30.0))
    truth = {p.id: p.plate for p in plan.passes if p.plate}
    journal = BenchJournal.open(tmp_path, plan, truth)
    config = CollectorConfig({"flock-alert": CollectorAuth("oauth2", secret="flock-sub:sub-secret")})
    t0 = time.time()
    try:
        with running_flock() as (flock, flock_url), running_collector(journal, config) as (_, server):
            client = FlockClient("bench-client", "bench-secret", base_url=f"{flock_url}/api/v3", auth_base=flock_url)
            hotlist = client.create_hotlist("platebench", plates, reason="bench pass", case_number="RFP-2026-14")
            sub = client.subscribe_alerts("platebench", f"{server.base_url}/events/flock-alert", SubscriberCredentials(
                "oauth2", token_endpoint=f"{server.base_url}/oauth/token", client_id="flock-sub", client_secret="sub-secret"))
            paints = {}
            for i, item in enumerate(plan.passes):
                painted = t0 - 10 + 5 * i  # alerts arrive now: inside every window
                journal.paint(item.id, painted, painted, "test")
                paints[item.id] = painted
                if i != 1:  # the camera misses the second pass
                    flock.capture(truth[item.id], DEVICE, painted + 0.4)
            flock.capture("ZZZ9999", DEVICE, t0 + 2)  # not on the hotlist: no alert, not looked up
            assert flock.alerts_sent == [200, 200]
            kept, rejected = poll(journal, FlockLookup(client), {"flock-1"}, truth, paints, reason="RFP camera bench",
                                  case_number="RFP-2026-14")
            assert (kept, rejected) == (2, 0)
            assert {lookup["reason"] for lookup in flock.lookups} == {"RFP camera bench"}
            assert {lookup["caseNumber"] for lookup in flock.lookups} == {"RFP-2026-14"}
            refused, status = client.lookup_without_reason_refused("KXB4521", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
            assert refused and status == 422
            client.unsubscribe(sub)
            client.delete_hotlist(hotlist)
            with pytest.raises(FlockError, match="HTTP 404"):
                client.delete_hotlist(hotlist)
    finally:
        journal.close()
    records = read_bench_journal(tmp_path / BENCH_JOURNAL)
    by_route = {s.route: s for s in score(records)}
    assert by_route["flock-alert"].figures["capture_rate"].value == pytest.approx(2 / 3)
    assert by_route["flock-alert"].figures["latency_p50_s"].value is not None
    assert by_route[FLOCK_ROUTE].figures["capture_rate"].value == pytest.approx(2 / 3)
    assert by_route[FLOCK_ROUTE].figures["clock_offset_s"].value == pytest.approx(0.4, abs=0.01)


def test_a_flock_that_answers_lookups_without_a_reason_fails_the_probe() -> None:
    with running_flock(flaws=frozenset({"lookup-without-reason"})) as (_, url):
        client = FlockClient("bench-client", "bench-secret", base_url=f"{url}/api/v3", auth_base=url)
        refused, status = client.lookup_without_reason_refused("KXB4521", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
        assert not refused and status == 200


def test_wrong_client_credentials_are_a_clear_error() -> None:
    with running_flock() as (_, url):
        client = FlockClient("bench-client", "wrong", base_url=f"{url}/api/v3", auth_base=url)
        with pytest.raises(FlockError, match="Flock token: HTTP 401"):
            client.token()
