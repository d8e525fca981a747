"""The display rig: its API on loopback, and its page in headless Chromium painting every plate within
one frame of the schedule (Chromium found or installed as for the report tests, else skipped)."""

from __future__ import annotations

import importlib.util
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from conftest import serial_plates
from harness.bench.collector import serve_in_thread
from harness.bench.display import DisplayRig
from harness.bench.journal import BENCH_JOURNAL, BenchJournal, read_bench_journal
from harness.bench.plan import BenchSettings, Camera, make_plan
from harness.report.chromium import QUIET_FLAGS

_spec = importlib.util.spec_from_file_location("report_conftest", Path(__file__).parents[1] / "report" / "conftest.py")
assert _spec and _spec.loader
_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_report)
chromium = _report.chromium  # the report tests' fixture: find or install Debian's chromium


def rig_for(tmp_path: Path, passes: int, interval: float) -> tuple[DisplayRig, BenchJournal]:
    plan = make_plan(cameras=[Camera("cam-1", "axis", "push", "axis-lpv")], passes=passes, interval_s=interval,
                     plates=serial_plates(passes), settings=BenchSettings(start_delay_s=2.0, frame_rate=60.0))
    journal = BenchJournal.open(tmp_path, plan, {p.id: p.plate for p in plan.passes if p.plate})
    return DisplayRig(plan, journal, {}), journal


def test_api_paints_and_drive_bys_are_journaled(tmp_path: Path) -> None:
    rig, journal = rig_for(tmp_path, 3, 1.0)
    with serve_in_thread(rig.app()) as server:
        url = server.base_url
        assert "Screen width in mm" in httpx.get(f"{url}/").text
        assert httpx.post(f"{url}/paint", json={"pass": "p00001", "painted_ms": 1}).status_code == 400  # not started
        schedule = httpx.post(f"{url}/start").json()
        assert [p["id"] for p in schedule["passes"]] == ["p00001", "p00002", "p00003"]
        assert httpx.get(f"{url}/plate/p00002.png").content[:8] == b"\x89PNG\r\n\x1a\n"
        assert httpx.get(f"{url}/plate/nope.png").status_code == 404
        first = schedule["passes"][0]["at_ms"]
        assert httpx.post(f"{url}/paint", json={"pass": "p00001", "painted_ms": first + 5, "frame_ms": 16.7}).json()["ok"]
        assert httpx.post(f"{url}/paint", json={"pass": "p00001"}).status_code == 400
        assert httpx.post(f"{url}/drive-by").json() == {"pass": "p00002"}
    journal.close()
    paints = read_bench_journal(tmp_path / BENCH_JOURNAL).paints
    assert paints["p00001"] == pytest.approx(first / 1000 + 0.005)
    assert "p00002" in paints and "p00003" not in paints


def test_page_paints_every_plate_within_one_frame_in_headless_chromium(tmp_path: Path, chromium: str) -> None:
    rig, journal = rig_for(tmp_path / "bench", 8, 0.5)
    with serve_in_thread(rig.app()) as server, tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [chromium, *QUIET_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1280,720",
             f"{server.base_url}/?auto=1&screen_mm=600"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not rig.done and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            browser.terminate()
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                browser.kill()
    journal.close()
    assert rig.done, "the page did not paint every plate"
    records = read_bench_journal(tmp_path / "bench" / BENCH_JOURNAL)
    for item in records.plan.passes:  # shown in the frame under way at its scheduled time, not a frame later
        error = records.paints[item.id] - rig.scheduled(item.id)
        frame_s = rig.frame_ms[item.id] / 1000
        assert abs(error) <= frame_s + 1e-3, f"{item.id} painted {error * 1000:.1f} ms off (frame {frame_s * 1000:.1f} ms)"
