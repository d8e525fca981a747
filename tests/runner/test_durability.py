"""The journal and the output folder: SIGKILL at random moments, a full disk, a folder that cannot be written."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from scripted_vendor import script, write_vendors_toml

from harness.corpus.model import Corpus
from harness.corpus.synth import synth_corpus
from harness.corpus.validate import load_corpus
from harness.runner.journal import read_journal
from harness.runner.run import RunError, RunRequest, execute, prepare

RUNNER_TESTS = Path(__file__).resolve().parent
PLAN = ("right", "wrong", "none", "timeout")


def request(tmp_path: Path, corpus: Corpus, scorecard_dir: Path, **kwargs: object) -> RunRequest:
    vendors = write_vendors_toml(tmp_path, script(corpus.samples, PLAN))
    return RunRequest(vendor="scripted", corpus_path=corpus.root, scorecard_dir=scorecard_dir, vendors_file=vendors,
                      privacy=False, load=False, **kwargs)  # type: ignore[arg-type]


def test_a_scorecard_folder_under_a_file_fails_before_any_call(tmp_path: Path, small_corpus: Corpus) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(RunError, match=r"cannot write to the scorecard folder .*not-a-folder/sc: a path component is a file"):
        prepare(request(tmp_path, small_corpus, blocker / "sc"))


def test_a_scorecard_folder_the_system_refuses_fails_before_any_call(tmp_path: Path, small_corpus: Corpus) -> None:
    with pytest.raises(RunError, match=r"cannot write to the scorecard folder /proc/platebench-sc: "):
        prepare(request(tmp_path, small_corpus, Path("/proc/platebench-sc")))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs root and mount; skipped otherwise)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_too_little_free_space_fails_before_any_call(tmp_path: Path, small_corpus: Corpus, tiny_disk: Path) -> None:
    with pytest.raises(RunError, match=r"has 2\.0 MiB free; a run needs at least 50\.2 MiB"):
        prepare(request(tmp_path, small_corpus, tiny_disk / "sc"))
    assert not any((tiny_disk / "sc").rglob("journal.jsonl"))


def _fill(folder: Path) -> Path:
    """Fill the file system holding ``folder``; returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def test_a_disk_that_fills_up_during_the_run_stops_it_cleanly_and_it_resumes(
    tmp_path: Path, small_corpus: Corpus, tiny_disk: Path
) -> None:
    prepared = prepare(request(tmp_path, small_corpus, tiny_disk / "sc", min_free_bytes=64 * 1024))
    filler = _fill(tiny_disk)
    os.truncate(filler, filler.stat().st_size - 4096)  # one page: the header and a few records
    with pytest.raises(RunError, match=r"No space left on device\. The run stopped.*--resume"):
        execute(prepared)
    contents = read_journal(prepared.journal_path)
    assert not contents.warnings  # the failed record was cut off: the file ends with a whole record
    assert 0 < len(contents.outcomes) < len(small_corpus)
    kept = {k: v.to_json() for k, v in contents.outcomes.items()}
    filler.unlink()
    resumed = execute(prepare(request(tmp_path, small_corpus, tiny_disk / "sc", min_free_bytes=64 * 1024,
                                      resume=prepared.header["run_id"])))
    final = read_journal(prepared.journal_path)
    assert {k: v.to_json() for k, v in final.outcomes.items() if k in kept} == kept
    per_sample = Counter(
        json.loads(line)["sample_id"] for line in prepared.journal_path.read_text(encoding="utf-8").splitlines()
        if '"type":"call"' in line
    )
    assert set(per_sample) == {s.id for s in small_corpus.samples} and set(per_sample.values()) == {1}
    assert resumed.document["results"]["accuracy"]["errors"]["calls"] == len(small_corpus)


def test_a_scorecard_that_cannot_be_written_names_the_way_back(
    tmp_path: Path, small_corpus: Corpus, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = prepare(request(tmp_path, small_corpus, tiny_disk / "sc", min_free_bytes=64 * 1024, limit=2))
    real_fsync = os.fsync

    def fill_once_the_journal_ends(fd: int) -> None:  # the disk fills up right after the journal's end record
        real_fsync(fd)
        journal = prepared.journal_path
        if not (tiny_disk / "filler").exists() and journal.exists() and b'"type":"end"' in journal.read_bytes():
            _fill(tiny_disk)

    monkeypatch.setattr(os, "fsync", fill_once_the_journal_ends)
    with pytest.raises(RunError, match=r"cannot write the scorecard .*platebench rescore"):
        execute(prepared)
    assert read_journal(prepared.journal_path).ended_at


def _start(folder: Path, corpus: Path, vendors: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(RUNNER_TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "run", "--vendor", "scripted", "--corpus", str(corpus),
         "--vendors-config", str(vendors), "--scorecard-dir", str(folder / "sc"), "--no-load", "--no-privacy", *extra],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_five_sigkills_at_random_moments_lose_nothing_and_count_every_sample_once(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    synth_corpus(corpus_dir, n=40, seed=11)
    corpus = load_corpus(corpus_dir)
    vendors = write_vendors_toml(tmp_path, script(corpus.samples, PLAN), delay_s=0.02)
    rng = random.Random(5)
    journal: Path | None = None
    seen: dict[str, dict[str, object]] = {}
    kills = 0
    for _ in range(15):
        if kills == 5:
            break
        extra = ("--resume", journal.parent.name) if journal else ()
        victim = _start(tmp_path, corpus_dir, vendors, *extra)
        deadline = time.monotonic() + 60
        while journal is None and time.monotonic() < deadline:  # the first run: wait for its journal
            found = list((tmp_path / "sc" / "scripted").glob("*/journal.jsonl"))
            journal = found[0] if found else None
            time.sleep(0.01)
        assert journal is not None
        before = journal.stat().st_size
        while journal.stat().st_size == before and victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # calls are being journaled: now kill at a random moment
        time.sleep(rng.uniform(0, 0.15))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        if victim.returncode != -signal.SIGKILL:
            continue
        kills += 1
        contents = read_journal(journal)  # a torn last record, if any, is dropped with a warning
        now = {k: v.to_json() for k, v in contents.outcomes.items()}
        assert {k: now[k] for k in seen} == seen  # nothing recorded earlier was lost
        seen = now
    assert kills == 5 and journal is not None and len(seen) < len(corpus)
    finisher = _start(tmp_path, corpus_dir, vendors, "--resume", journal.parent.name)
    _, err = finisher.communicate(timeout=120)
    assert finisher.returncode == 0, err
    per_sample = Counter(
        json.loads(line)["sample_id"] for line in journal.read_text(encoding="utf-8").splitlines()
        if '"type":"call"' in line
    )
    assert set(per_sample) == {s.id for s in corpus.samples} and set(per_sample.values()) == {1}
    final = read_journal(journal)
    assert final.resumes == 5 and not final.warnings
    assert {k: v.to_json() for k, v in final.outcomes.items() if k in seen} == seen


def test_a_full_disk_under_a_network_vendor_charges_it_nothing_and_the_resume_equals_an_undisturbed_run(
    tmp_path: Path, small_corpus: Corpus, tiny_disk: Path
) -> None:
    """The async lanes of an HTTP vendor: calls answered while the journal could not be written are not
    kept as vendor failures; after the resume the vendor's figures equal those of an undisturbed run."""
    from fault_vendor import FaultVendor

    def network_request(scorecard_dir: Path, **kwargs: object) -> RunRequest:
        vendors = tmp_path / "vendors.toml"
        vendors.write_text(f'[vendors.faulty]\nadapter = "harness.load.stub_adapter:StubAdapter"\nurl = "{url}"\n',
                           encoding="utf-8")
        return RunRequest(vendor="faulty", corpus_path=small_corpus.root, scorecard_dir=scorecard_dir,
                          vendors_file=vendors, privacy=False, load=False, concurrency=4, **kwargs)  # type: ignore[arg-type]

    def figures(document: dict[str, object]) -> object:
        return document["results"]["accuracy"]  # type: ignore[index]

    with FaultVendor() as vendor:
        url = vendor.url
        undisturbed = execute(prepare(network_request(tmp_path / "plain")))
        prepared = prepare(network_request(tiny_disk / "sc", min_free_bytes=64 * 1024))
        filler = _fill(tiny_disk)
        os.truncate(filler, filler.stat().st_size - 4096)
        with pytest.raises(RunError, match=r"No space left on device\. The run stopped.*--resume"):
            execute(prepared)
        stopped = read_journal(prepared.journal_path)
        assert not stopped.warnings and all(o.ok for o in stopped.outcomes.values())  # nothing charged
        filler.unlink()
        resumed = execute(prepare(network_request(tiny_disk / "sc", min_free_bytes=64 * 1024,
                                                  resume=prepared.header["run_id"])))
    accuracy, plain = figures(resumed.document), figures(undisturbed.document)
    assert accuracy["errors"] == plain["errors"] and accuracy["errors"]["failed"] == 0  # type: ignore[index]
    assert accuracy["overall"] == plain["overall"]  # type: ignore[index]
