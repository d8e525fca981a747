"""``platebench corpus``: exit codes and output, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.main import main


@pytest.mark.realdata
@pytest.mark.parametrize(("fixture", "count"), [("openalpr_us", 222), ("openalpr_eu", 108)])
def test_validate_real_sets(
    fixture: str, count: int, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = request.getfixturevalue(fixture)
    assert main(["corpus", "validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"valid: {count} samples, corpus sha256 ")


@pytest.mark.parametrize("make", ["missing", "binary_manifest", "binary_other", "empty_folder"])
def test_validate_bad_paths_without_traceback(
    make: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x"
    if make == "binary_manifest":
        path = tmp_path / "manifest.jsonl"
        path.write_bytes(bytes(range(256)) * 50)
    elif make == "binary_other":
        path = tmp_path / "blob.bin"
        path.write_bytes(b"\x00\xff" * 100)
    elif make == "empty_folder":
        path.mkdir()
    assert main(["corpus", "validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"invalid corpus {path}: 1 problem(s)")
    assert "Traceback" not in out + err


def test_synth_then_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "synth"
    assert main(["corpus", "synth", "--out", str(out_dir), "--n", "6", "--seed", "5"]) == 0
    written = capsys.readouterr().out
    assert written.startswith(f"wrote 6 samples to {out_dir} (seed 5), corpus sha256 ")
    assert main(["corpus", "validate", str(out_dir)]) == 0
    sha = written.split("corpus sha256 ")[1].strip()
    assert sha in capsys.readouterr().out
    assert main(["corpus", "stats", str(out_dir)]) == 0
    stats = capsys.readouterr().out
    for heading in ("samples by tag", "plate length", "characters (all plates)", "time", "split"):
        assert heading in stats
    assert main(["corpus", "synth", "--out", str(out_dir), "--n", "6"]) == 2, (
        "refuses to overwrite without --force"
    )
    assert "--force" in capsys.readouterr().err


@pytest.mark.realdata
def test_stats_counts(openalpr_eu: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "stats", str(openalpr_eu)]) == 0
    out = capsys.readouterr().out
    assert "108 samples, 108 plates" in out
    assert "│ 7          │   104 │" in out  # plate-length histogram: 104 plates of 7 characters
