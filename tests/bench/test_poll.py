"""``platebench bench poll``: reads looked up in a vendor's cloud through the adapter seam, here the RFP
evaluation API's search on a real reference server, with the bench's reason and case number."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
from harness.bench.metrics import score
from harness.bench.plan import BenchSettings, Camera, make_plan
from harness.cli.main import main
from harness.reference_server.launcher import running_reference_server
from vendor_adapters.evalapi import EvalApiLookup

PLATES = ["KXB4521", "TRM7730", "ADF1234"]
REASON, CASE = "RFP camera bench", "RFP-2026-14"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _bench(folder: Path) -> dict[str, float]:
    plan = make_plan(cameras=[Camera("cloud-1", "acme", "poll", None, "cam-7")], passes=3, interval_s=5.0,
                     plates=PLATES, settings=BenchSettings(window_before_s=1.0, window_after_s=30.0))
    truth = {p.id: p.plate for p in plan.passes if p.plate}
    paints: dict[str, float] = {}
    journal = BenchJournal.open(folder, plan, truth)
    t0 = time.time() - 60
    for i, item in enumerate(plan.passes):
        paints[item.id] = t0 + 5 * i
        journal.paint(item.id, paints[item.id], paints[item.id], "test")
    journal.close()
    return {truth[k]: v for k, v in paints.items()}


def _vendors(path: Path, base_url: str, search: bool = True) -> Path:
    lines = ["[vendors.acme]", 'adapter = "evalapi"', f'base_url = "{base_url}"']
    if search:
        lines += ['search_token_env = "ACME_SEARCH_TOKEN"', 'search_offense_type = "motor_vehicle_theft"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_poll_finds_the_cameras_reads_once_with_the_benchs_purpose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bench"
    painted = _bench(folder)
    with running_reference_server() as server:
        admin = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(base_url=server.base_url, headers=admin, timeout=60) as http:
            home = http.get("/v1/me").json()["agency"]["id"]
            searcher = http.post("/v1/sandbox/actors", json={"agency_id": home, "role": "searcher",
                                                             "name": "Bench Searcher"}).json()
            for plate in PLATES[0], PLATES[2]:  # the camera misses the second pass
                created = http.post("/v1/sandbox/reads", json={"plate": plate, "captured_at": _iso(painted[plate] + 0.4),
                                                               "camera_id": "cam-7"})
                assert created.status_code == 201, created.text
            http.post("/v1/sandbox/reads", json={"plate": "ZZZ9999", "captured_at": _iso(painted[PLATES[0]]),
                                                 "camera_id": "cam-7"})  # never shown: never looked up
            monkeypatch.setenv("ACME_SEARCH_TOKEN", searcher["token"])
            vendors = _vendors(tmp_path / "vendors.toml", server.base_url)
            args = ["bench", "poll", str(folder), "--vendor", "acme", "--vendors-config", str(vendors),
                    "--reason", REASON, "--case-number", CASE]
            assert main(args) == 0
            assert "polled 2 read(s) through rfp-search" in capsys.readouterr().out
            assert main(args) == 0  # polled again: every plate was looked up already
            assert "polled 0 read(s)" in capsys.readouterr().out
            searches = [e for e in http.get("/v1/audit-log").json()["entries"] if e["action"] == "search"]
    assert len(searches) == 3 and {(e["reason"], e["case_number"]) for e in searches} == {(REASON, CASE)}
    records = read_bench_journal(folder / BENCH_JOURNAL)
    (route,) = score(records)
    assert route.route == EvalApiLookup.route and route.camera == "cloud-1"
    assert route.figures["capture_rate"].value == pytest.approx(2 / 3)
    assert route.figures["exact_read_rate"].value == pytest.approx(2 / 3)  # of passes shown: both reads exact
    assert route.figures["clock_offset_s"].value == pytest.approx(0.4, abs=0.01)
    assert route.figures["phantoms_per_hour"].value == 0  # the unshown plate was never looked up


def test_poll_needs_a_vendor_with_a_lookup_and_a_camera_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bench"
    _bench(folder)
    vendors = _vendors(tmp_path / "vendors.toml", "http://127.0.0.1:9", search=False)
    base = ["bench", "poll", str(folder), "--vendors-config", str(vendors), "--reason", REASON, "--case-number", CASE]
    assert main([*base, "--vendor", "acme"]) == 2
    assert "offers no read lookup" in capsys.readouterr().err
    assert main([*base, "--vendor", "other"]) == 2
    assert "no camera of vendor 'other' in the plan (its cameras' vendors: acme)" in capsys.readouterr().err


def test_a_camera_vendor_is_refused_by_run_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLOCK_CLIENT_ID", "bench-client")
    monkeypatch.setenv("FLOCK_CLIENT_SECRET", "bench-secret")
    assert main(["run", "--vendor", "flock", "--scorecard-dir", str(tmp_path / "sc"), "--limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "sells cameras with no image API" in err and "platebench bench" in err
    assert not (tmp_path / "sc").exists() or not any((tmp_path / "sc").rglob("journal.jsonl"))
    assert json.dumps(err).count("bench-secret") == 0
