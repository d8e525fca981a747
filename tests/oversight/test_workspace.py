"""The oversight workspace without a sandbox: contract validation, refusals, atomic re-runs, the history schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from harness.audit.synthetic import LogSpec, default_agencies, write_log, write_roster
from harness.cli.main import main
from harness.oversight import history
from harness.oversight.contract import ContractError, load_contract, month_bounds

CONTRACT = """
[contract]
name = "LPR 2027-001"
home_agency = "dpd"

[vendor]
name = "acme"

[exports]
folder = "exports"
require_manifest = {manifest}

[thresholds]
outside_account_share_max = 90.0
outside_search_share_max = 90.0
"""


def _period(root: Path, period: str, *, prohibited: float = 0.0, manifest: bool = True, seed: int = 1) -> Path:
    folder = root / "exports" / period
    folder.mkdir(parents=True, exist_ok=True)
    agencies = default_agencies(60, 0.5)
    accounts = write_roster(folder / "roster.csv", agencies)
    start, end = month_bounds(period)
    entries = write_log(folder / "audit-log.csv", agencies, LogSpec(600, start, end, prohibited_share=prohibited,
                                                                    seed=seed, id_prefix=f"{period}-"))
    if manifest:
        files = {}
        for name, rows in (("roster.csv", accounts), ("audit-log.csv", entries)):
            data = (folder / name).read_bytes()
            files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": rows}
        (folder / "manifest.json").write_text(json.dumps({"files": files}))
    return folder


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "contract.toml").write_text(CONTRACT.format(manifest="true"))
    assert main(["oversight", "init", str(tmp_path / "contract.toml")]) == 0
    return tmp_path


def _run(workspace: Path, period: str) -> int:
    return main(["oversight", "run", "--workspace", str(workspace), "--period", period, "--no-privacy"])


def test_contract_is_validated_against_its_schema(tmp_path: Path) -> None:
    bad = tmp_path / "contract.toml"
    bad.write_text(CONTRACT.format(manifest="true").replace('home_agency = "dpd"', "")
                   + "\n[sandbox]\nbase_url = \"ftp://x\"\nadmin_token_env = \"T\"\n")
    with pytest.raises(ContractError) as caught:
        load_contract(bad)
    message = str(caught.value)
    assert "contract: 'home_agency' is a required property" in message
    assert "sandbox.base_url: 'ftp://x' does not match" in message
    bad.write_text(CONTRACT.format(manifest="true") + 'baseline_scorecard = "nowhere.json"\n')
    with pytest.raises(ContractError, match="contract .* problem"):
        load_contract(bad)  # a top-level key after a table belongs to that table: refused, not ignored


def test_a_period_is_recorded_and_queryable(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _period(workspace, "2027-03")
    assert _run(workspace, "2027-03") == 0
    assert "no breach" in capsys.readouterr().out
    with duckdb.connect(str(workspace / history.DB_FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE period = '2027-03'").fetchone()[0] == 600
        assert con.execute("SELECT count(*) FROM roster").fetchone()[0] == len(
            (workspace / "exports" / "2027-03" / "roster.csv").read_text().splitlines()) - 1
        assert con.execute("SELECT count(*) FROM controls WHERE result = 'INCONCLUSIVE'").fetchone()[0] > 0
        kinds = con.execute("SELECT DISTINCT kind FROM figures WHERE metric = 'searches_by_kind'").fetchall()
        assert {k for (k,) in kinds} >= {"home", "partner", "federal"}
        assert "query" not in {c[0] for c in con.execute("DESCRIBE audit_log").fetchall()}


def test_rerun_replaces_the_period_and_refusals_keep_the_history(workspace: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _period(workspace, "2027-03")
    assert _run(workspace, "2027-03") == 0
    _period(workspace, "2027-03", prohibited=0.05, seed=2)  # a corrected export arrives
    assert _run(workspace, "2027-03") == 1
    assert "BREACH OV-PURPOSE" in capsys.readouterr().out
    with history.open_history(workspace, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 600
        assert con.execute("SELECT count(*) FROM periods").fetchone()[0] == 1
        before = history.period_state(con)

    folder = workspace / "exports" / "2027-03"
    log = folder / "audit-log.csv"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-50]))  # cut at a line boundary: only the manifest can tell
    assert _run(workspace, "2027-03") == 2
    assert "550 rows, the manifest says 600 (truncated or padded)" in capsys.readouterr().err
    (folder / "manifest.json").unlink()
    assert _run(workspace, "2027-03") == 2
    assert "no manifest.json, which the contract requires" in capsys.readouterr().err
    log.write_bytes(b"".join(lines)[:-7])  # cut mid-row: the parser refuses it
    (workspace / "contract.toml").write_text(CONTRACT.format(manifest="false"))
    assert _run(workspace, "2027-03") == 2
    assert "audit-log.csv: line" in capsys.readouterr().err
    assert _run(workspace, "2027-04") == 2
    assert "no exports folder for this period" in capsys.readouterr().err
    with history.open_history(workspace, read_only=True) as con:
        assert history.period_state(con) == before


def test_run_without_init_and_bad_period_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, "2027-03") == 2
    assert "run `platebench oversight init CONTRACT.toml` first" in capsys.readouterr().err
    assert _run(tmp_path, "2027-13") == 2
    assert "period '2027-13' is not YYYY-MM" in capsys.readouterr().err


def test_the_accuracy_rerun_is_judged_against_the_baseline_scorecard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A contract with [accuracy]: each period scores the vendor again (here a scripted vendor that read every
    plate for the bid and reads none now); a significant drop beyond exact_read_drop_max is a breach, with
    the re-run's scorecard kept in the period and its figure in the history."""
    from harness.corpus.synth import synth_corpus
    from harness.corpus.validate import load_corpus

    runner_tests = Path(__file__).resolve().parents[1] / "runner"
    monkeypatch.syspath_prepend(str(runner_tests))
    from scripted_vendor import script, write_vendors_toml

    synth_corpus(tmp_path / "corpus", n=8, seed=5)
    corpus = load_corpus(tmp_path / "corpus")
    bid_dir, now_dir = tmp_path / "bid", tmp_path / "now"
    bid_dir.mkdir()
    now_dir.mkdir()
    bid_vendors = write_vendors_toml(bid_dir, script(corpus.samples, ("right",)))
    assert main(["run", "--vendor", "scripted", "--corpus", str(corpus.root), "--vendors-config", str(bid_vendors),
                 "--scorecard-dir", str(tmp_path / "sc"), "--no-load", "--no-privacy"]) == 0
    baseline = Path(capsys.readouterr().out.strip().splitlines()[-1])
    now_vendors = write_vendors_toml(now_dir, script(corpus.samples, ("none",)))
    contract = CONTRACT.format(manifest="true").replace('[vendor]\nname = "acme"', '[vendor]\nname = "scripted"')
    contract += "exact_read_drop_max = 10.0\n"
    (tmp_path / "contract.toml").write_text(
        f'baseline_scorecard = "{baseline}"\n' + contract
        + f'\n[accuracy]\ncorpus = "{corpus.root}"\nvendors_config = "{now_vendors}"\n', encoding="utf-8")
    assert main(["oversight", "init", str(tmp_path / "contract.toml")]) == 0
    _period(tmp_path, "2027-03")
    capsys.readouterr()
    assert _run(tmp_path, "2027-03") == 1
    out = capsys.readouterr().out
    assert "BREACH OV-ACCURACY: exact plate reads 0.0%" in out and "against 100.0% in the baseline scorecard" in out
    assert any((tmp_path / "periods" / "2027-03" / "accuracy").rglob("scorecard.json"))
    with duckdb.connect(str(tmp_path / history.DB_FILE), read_only=True) as con:
        row = con.execute("""SELECT count, "of", percent FROM figures WHERE period = '2027-03'
                             AND metric = 'exact_read_plate'""").fetchone()
    assert row == (0, 8, 0.0)
    assert main(["oversight", "run", "--workspace", str(tmp_path), "--period", "2027-03", "--no-privacy",
                 "--no-accuracy"]) == 0  # no re-run: nothing to judge, no breach
