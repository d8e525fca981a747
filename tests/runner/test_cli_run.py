"""``platebench run`` in a real process: exit codes, last line, and a SIGKILL mid-run then --resume."""

from __future__ import annotations

import html
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from scripted_vendor import script, write_vendors_toml

from harness.cli.main import main
from harness.corpus.model import Corpus
from harness.runner.journal import read_journal

HERE = Path(__file__).resolve().parent
PLAN = ("right", "wrong", "right", "none")


def test_run_prints_the_scorecard_path_last_and_strict_sets_the_exit_code(
    tmp_path: Path, small_corpus: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors = write_vendors_toml(tmp_path, script(small_corpus.samples, PLAN))
    args = ["run", "--vendor", "scripted", "--corpus", str(small_corpus.root), "--vendors-config", str(vendors),
            "--scorecard-dir", str(tmp_path / "sc"), "--limit", "4"]
    assert main(args) == 0  # requirements fail, but the run completed
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.endswith("scorecard.json") and Path(last).is_file()
    assert main([*args, "--strict"]) == 1
    capsys.readouterr()
    assert main(["verify", last]) == 0
    assert capsys.readouterr().out.startswith("OK")


def test_a_run_under_the_availability_floor_says_so_first_in_every_rendering(
    tmp_path: Path, small_corpus: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    """One call in six times out: under the gate (the run completes), under the rubric's 99% floor."""
    from harness.report.html import render_scorecard_html
    from harness.scorecard.model import Scorecard

    vendors = write_vendors_toml(tmp_path, script(small_corpus.samples, ("right",) * 5 + ("timeout",)))
    assert main(["run", "--no-load", "--no-privacy", "--vendor", "scripted", "--corpus", str(small_corpus.root),
                 "--vendors-config", str(vendors), "--scorecard-dir", str(tmp_path / "sc"), "--limit", "12"]) == 0
    out = capsys.readouterr().out.splitlines()
    warning = "Only 83.3% of the calls were answered (10 of 12), under the rubric's floor of 99.0% (AVL-01)"
    assert out[0].startswith("WARNING: " + warning)
    path = Path(out[-1])
    markdown = path.with_name("scorecard.md").read_text(encoding="utf-8").splitlines()
    assert markdown[2].startswith("**WARNING**: " + warning) and "2 failed calls as unread plates" in markdown[2]
    page = html.unescape(render_scorecard_html(Scorecard.model_validate_json(path.read_text(encoding="utf-8"))))
    assert page.index(warning) < page.index('id="verdict"')


def test_a_run_above_the_floor_carries_no_warning(
    tmp_path: Path, small_corpus: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors = write_vendors_toml(tmp_path, script(small_corpus.samples, ("right", "wrong", "none")))
    assert main(["run", "--no-load", "--no-privacy", "--vendor", "scripted", "--corpus", str(small_corpus.root),
                 "--vendors-config", str(vendors), "--scorecard-dir", str(tmp_path / "sc"), "--limit", "6"]) == 0
    out = capsys.readouterr().out
    assert "WARNING" not in out
    assert "WARNING" not in Path(out.strip().splitlines()[-1]).with_name("scorecard.md").read_text(encoding="utf-8")


def test_unknown_vendor_is_a_usage_error_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--no-load", "--vendor", "referenc"]) == 2
    assert "Did you mean 'reference'?" in capsys.readouterr().err


def _start(tmp_path: Path, corpus: Corpus, vendors: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "run", "--no-load", "--vendor", "scripted", "--corpus", str(corpus.root),
         "--vendors-config", str(vendors), "--scorecard-dir", str(tmp_path / "sc"), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_to_every_sample_exactly_once(tmp_path: Path, small_corpus: Corpus) -> None:
    answers = script(small_corpus.samples, PLAN)
    fast = tmp_path / "fast"
    fast.mkdir()
    uninterrupted = _start(fast, small_corpus, write_vendors_toml(fast, answers))
    out, err = uninterrupted.communicate(timeout=120)
    assert uninterrupted.returncode == 0, err
    expected = json.loads(Path(out.strip().splitlines()[-1]).read_text(encoding="utf-8"))

    slow = tmp_path / "slow"
    slow.mkdir()
    vendors = write_vendors_toml(slow, answers, delay_s=0.25)
    victim = _start(slow, small_corpus, vendors)
    journal = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list((slow / "sc" / "scripted").glob("*/journal.jsonl"))
        if found and found[0].read_text(encoding="utf-8").count('"type":"call"') >= 4:
            journal = found[0]
            break
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert journal is not None and victim.returncode == -signal.SIGKILL
    done = read_journal(journal).outcomes
    assert 4 <= len(done) < len(small_corpus)

    resumed = _start(slow, small_corpus, vendors, "--resume", journal.parent.name)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    contents = read_journal(journal)
    per_sample = Counter(
        json.loads(line)["sample_id"] for line in journal.read_text(encoding="utf-8").splitlines()
        if '"type":"call"' in line
    )
    assert set(per_sample) == {s.id for s in small_corpus.samples} and set(per_sample.values()) == {1}
    assert contents.resumes == 1
    result = json.loads(Path(out.strip().splitlines()[-1]).read_text(encoding="utf-8"))
    assert result["results"]["accuracy"] == expected["results"]["accuracy"]
    assert result["samples"] == expected["samples"]


def test_the_ctrl_c_hint_repeats_where_the_run_lives() -> None:
    """Issue 12 #7: the resume command printed on Ctrl-C names --scorecard-dir (and --vendors-config)."""
    from harness.cli.main import build_parser
    from harness.cli.run_cmd import resume_command

    args = build_parser().parse_args(
        ["run", "--vendor", "acme", "--scorecard-dir", "my runs", "--vendors-config", "bids/vendors.toml"]
    )
    assert resume_command("acme", "RID", args) == (
        "platebench run --vendor acme --resume RID --scorecard-dir 'my runs' --vendors-config bids/vendors.toml"
    )
    default = build_parser().parse_args(["run", "--vendor", "acme"])
    assert resume_command("acme", "RID", default) == "platebench run --vendor acme --resume RID"
