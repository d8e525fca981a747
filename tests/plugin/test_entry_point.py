"""``pytest --vendor`` after ``pip install``: the plugin comes from the package's pytest11 entry point.

Each test runs pytest in a subprocess in a folder of its own, outside the checkout (no conftest.py,
no ``-p``), as a test bench would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"


def pytest_in(folder: Path, *args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


def scorecard_of(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    line = next(line for line in result.stdout.splitlines() if line.startswith("scorecard: "))
    return dict(json.loads(Path(line.removeprefix("scorecard: ")).read_text(encoding="utf-8")))


def test_the_plugin_is_registered_under_its_module_name() -> None:
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.value == "harness.pytest_plugin"]
    assert plugin.name == "harness.pytest_plugin"  # so conftest.py's pytest_plugins does not register it twice


def test_space_separated_options_work_in_a_folder_without_conftest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(RUNNER_TESTS))
    from scripted_vendor import script, write_vendors_toml

    corpus = tmp_path / "corpus"
    synth_corpus(corpus, n=6, seed=3)
    bench = tmp_path / "bench"
    bench.mkdir()
    write_vendors_toml(bench, script(load_corpus(corpus).samples, ("right", "none")))
    result = pytest_in(bench, "--vendor", "scripted", "--corpus", str(corpus), "--limit", "4",
                       "--no-load", "--no-privacy", pythonpath=RUNNER_TESTS)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stderr  # some requirements are not met
    assert "unrecognized arguments" not in result.stderr
    card = scorecard_of(result)
    assert card["provenance"]["options"]["limit"] == 4  # type: ignore[index]
    assert next((bench / "scorecards" / "scripted").glob("*/scorecard.json")).is_file()


def test_without_vendor_the_plugin_stays_out_of_the_way(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_ok():\n    assert True\n", encoding="utf-8")
    result = pytest_in(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.slow
def test_reference_vendor_from_an_empty_folder(tmp_path: Path) -> None:
    result = pytest_in(tmp_path, "--vendor=reference", "--limit", "5", "--no-load")
    assert result.returncode in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stderr
    card = scorecard_of(result)
    assert card["results"]["errors"]["calls"] == 5  # type: ignore[index]
    assert next((tmp_path / "scorecards" / "reference").glob("*/scorecard.json")).is_file()
