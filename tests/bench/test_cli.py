"""``platebench bench``: plan, simulate, score, import, and clear errors."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import cv2
import pytest

from conftest import serial_plates, small_plan
from harness.bench.scene import SceneRenderer
from harness.bench.virtual_camera import VirtualCamera, rtsp_relay, rtsp_unavailable_reason, serving
from harness.cli.main import main


def test_plan_simulate_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.toml"
    plates = serial_plates(3)
    args = ["bench", "plan", "--passes", "3", "--interval", "1.2", "--format", "axis-lpv", "--vendor", "axis",
            "--frame-rate", "15", "--crossing", "0.8", "--start-delay", "1", "--window", "0.5", "600", "--out", str(plan)]
    for p in plates:
        args += ["--plate", p]
    assert main(args) == 0
    out = tmp_path / "bench"
    assert main(["bench", "simulate", str(plan), "--out", str(out), "--drop-every", "3"]) == 0
    section = json.loads((out / "roadside.json").read_text())
    (route,) = section["routes"]
    assert route["route"] == "axis-lpv" and route["figures"]["capture_rate"]["value"] == pytest.approx(2 / 3)
    assert not any(p in json.dumps(section) for p in plates)
    assert main(["bench", "score", str(out)]) == 0
    assert "At the roadside" in capsys.readouterr().out


def test_bad_plan_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[bench]\nwindow_after_s = -1\n[[cameras]]\nid = "c"\nvendor = "v"\nformat = "nope"\n', encoding="utf-8")
    assert main(["bench", "collect", str(plan), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "window_after_s" in err and "nope" in err and "[[passes]]" in err
    assert main(["bench", "score", str(tmp_path / "missing")]) == 2


def test_rtsp_stream_where_ffmpeg_is_installed() -> None:
    """The virtual camera published over RTSP through ffmpeg is readable by OpenCV (skipped, with the
    reason, without ffmpeg and an RTSP server)."""
    reason = rtsp_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    plan = small_plan(passes=2, start_delay_s=0.5, frame_rate=10.0)
    camera = VirtualCamera(SceneRenderer(plan, "cam-1", {}, (320, 180)))
    with serving(camera) as url:
        feeder = threading.Thread(target=camera.run, args=(time.time(), 20.0), daemon=True)
        feeder.start()
        with rtsp_relay(url) as rtsp:
            ok, frame = False, None
            deadline = time.monotonic() + 15
            while not ok and time.monotonic() < deadline:  # the publisher needs a moment to announce
                capture = cv2.VideoCapture(rtsp, cv2.CAP_FFMPEG)
                ok, frame = capture.read()
                capture.release()
        camera.stop()
    assert ok and frame.shape[:2] == (180, 320)


def test_collect_runs_for_its_duration_and_checks_auth_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan.toml"
    assert main(["bench", "plan", "--passes", "2", "--interval", "1", "--format", "verkada-lpr", "--plate", "KXB4521",
                 "--out", str(plan)]) == 0
    assert main(["bench", "collect", str(plan), "--out", str(tmp_path / "b"), "--port", "0",
                 "--auth", "verkada-lpr=basic:NOPE"]) == 2
    assert "environment variable" in capsys.readouterr().err
    monkeypatch.setenv("VK_SECRET", "s3cret")
    assert main(["bench", "collect", str(plan), "--out", str(tmp_path / "b"), "--port", "0",
                 "--auth", "verkada-lpr=basic:VK_SECRET"]) == 2
    assert "documents these auth schemes" in capsys.readouterr().err
    assert main(["bench", "collect", str(plan), "--out", str(tmp_path / "b"), "--port", "0", "--duration", "0.5",
                 "--auth", "verkada-lpr=verkada-signature:VK_SECRET"]) == 0
    out = capsys.readouterr().out
    assert "/events/verkada-lpr" in out and "s3cret" not in out
    assert (tmp_path / "b" / "bench.jsonl").is_file()
