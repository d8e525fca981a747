"""Bench plans: written, read back, and every problem of a bad plan reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.bench.plan import (
    BenchSettings,
    Camera,
    PlanError,
    load_plan,
    make_plan,
    parse_plan,
    resolve_truth,
    write_plan,
)
from harness.corpus.model import Plate, Sample


def test_make_write_load_round_trip(tmp_path: Path) -> None:
    cameras = [Camera("cam-1", "axis", "push", "axis-lpv", "ACCC8ED3290D"), Camera("cam-2", "flock", "push", "flock-alert")]
    plan = make_plan(cameras=cameras, passes=5, interval_s=2.5, plates=["abc-123", "XYZ 987"],
                     settings=BenchSettings(name="gate", window_after_s=8.0), speeds_kmh=[30.0, 70.0])
    loaded = load_plan(write_plan(plan, tmp_path / "plan.toml"))
    assert loaded == plan and loaded.sha256 == plan.sha256
    assert [p.camera for p in loaded.passes] == ["cam-1", "cam-2", "cam-1", "cam-2", "cam-1"]
    assert [p.plate for p in loaded.passes[:2]] == ["ABC123", "XYZ987"]
    assert [p.offset_s for p in loaded.passes] == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert loaded.camera("cam-1").device_id == "ACCC8ED3290D" and loaded.camera("cam-2").device_id == "cam-2"


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "bench": {"window_after_s": -1, "frame_rate": "fast", "colour": "red"},
        "cameras": [
            {"id": "cam-1", "vendor": "axis", "format": "no-such-format"},
            {"id": "cam-1", "vendor": "", "delivery": "carrier-pigeon"},
        ],
        "passes": [
            {"id": "p1", "offset_s": 0, "camera": "cam-9", "plate": "ABC123"},
            {"id": "p1", "camera": "cam-1", "plate": "ABC123", "sample": "s1"},
            {"id": "p3", "offset_s": 1, "camera": "cam-1", "plate": "--", "lane": 0, "direction": "sideways"},
        ],
    }
    with pytest.raises(PlanError) as info:
        parse_plan(data)
    text = "\n".join(info.value.problems)
    for expected in ("window_after_s must be >= 0", "frame_rate must be a number", "unknown key 'colour'",
                     "no-such-format", "duplicate camera id", "carrier-pigeon", "camera 'cam-9' is not in",
                     "duplicate pass id", "offset_s is required", "exactly one of sample", "letters or digits",
                     "lane must be", "direction must be"):
        assert expected in text, expected
    assert len(info.value.problems) >= 13


def test_unreadable_files_are_plan_errors(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such file"):
        load_plan(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[bench\n", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid TOML"):
        load_plan(tmp_path / "bad.toml")


def test_truth_comes_from_the_plan_or_the_corpus() -> None:
    plan = make_plan(cameras=[Camera("c", "v", "push", "genetec")], passes=3, interval_s=1, samples=["s1", "s2", "s3"])
    samples = {
        "s1": Sample("s1", Path("s1.jpg"), "0" * 64, (Plate("ab 123"),), {"time": "night"}),
        "s2": Sample("s2", Path("s2.jpg"), "0" * 64, (Plate("X1"), Plate("Y2"))),
    }
    with pytest.raises(PlanError) as info:
        resolve_truth(plan, samples)
    assert any("holds 2 plates" in p for p in info.value.problems)
    assert any("'s3' is not in the corpus" in p for p in info.value.problems)
    truth, tags = resolve_truth(plan, samples | {"s2": Sample("s2", Path("s2.jpg"), "0" * 64, (Plate("X1"),)),
                                                  "s3": Sample("s3", Path("s3.jpg"), "0" * 64, (Plate("Z9Z"),))})
    assert truth == {"p00001": "AB123", "p00002": "X1", "p00003": "Z9Z"}
    assert tags["s1"] == {"time": "night"}
