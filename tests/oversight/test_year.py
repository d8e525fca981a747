"""Twelve generated monthly periods with planted events, through the CLI, a real reference server on
loopback per period and a real DuckDB history; then a truncated export that must be refused.

Planted: the outside-access share creeps from 20% to 80% (crossing the contract's 45% threshold in
month 6), prohibited purposes appear in month 7, an outside agency's admins start creating accounts
in month 8, and from month 9 the sandbox runs with the ``share-all`` flaw (sharing without an
agreement), so the sharing controls regress against the baseline scorecard.
"""

from __future__ import annotations

import json
import socket
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

from harness.audit.synthetic import QUERY_PREFIX, LogSpec, default_agencies, write_log, write_roster
from harness.cli.main import main
from harness.oversight import history
from harness.oversight.contract import month_bounds
from harness.privacy.controls import CONTROLS
from harness.privacy.runner import run_privacy_suite
from harness.privacy.sandbox import SandboxClient
from harness.reference_server.launcher import running_reference_server
from harness.report.chromium import find_chromium
from harness.scorecard.privacy_section import privacy_results
from harness.scorecard.signing import check, keygen, load_public_key

TOKEN = "oversight-test-admin-token-0123456789"
TOKEN_ENV = "PLATEBENCH_TEST_SANDBOX_TOKEN"
CONTROLS_CHECKED = ("PC-SHR-01", "PC-SHR-02", "PC-SHR-03")
PERIODS = [f"2027-{m:02d}" for m in range(1, 13)]
HOME_ACCOUNTS = 40
EXPECTED_FIRST = {"OV-SHARE-ACCOUNTS": 6, "OV-SHARE-SEARCHES": 6, "OV-PURPOSE": 7, "OV-ADMIN": 8, "OV-PRIVACY": 9}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_period(folder: Path, month: int) -> None:
    share = 0.2 + 0.6 * (month - 1) / 11
    agencies = default_agencies(round(HOME_ACCOUNTS / (1 - share)), share)
    folder.mkdir(parents=True)
    write_roster(folder / "roster.csv", agencies)
    start, end = month_bounds(PERIODS[month - 1])
    write_log(folder / "audit-log.csv", agencies, LogSpec(
        2500, start, end, outside_search_share=share, prohibited_share=0.01 if month >= 7 else 0.0,
        outside_admin_entries=4 if month >= 8 else 0, seed=month, id_prefix=f"m{month:02d}-"))


def _baseline(path: Path) -> None:
    """The baseline scorecard's privacy section: the checked controls on a clean reference server."""
    selected = [c for c in CONTROLS if c.id in CONTROLS_CHECKED]
    with running_reference_server() as server:
        client = SandboxClient(server.base_url, server.admin_token)
        try:
            report = run_privacy_suite(client, controls=selected)
        finally:
            client.close()
    path.write_text(json.dumps({"results": {"privacy": privacy_results(report)}}))


def _contract(root: Path, port: int) -> Path:
    contract = root / "contract.toml"
    contract.write_text(f"""baseline_scorecard = "baseline.json"

[contract]
name = "LPR services 2027-001"
city = "Denver"
home_agency = "Denver Police Department"

[vendor]
name = "reference"
adapter = "reference"

[sandbox]
base_url = "http://127.0.0.1:{port}"
admin_token_env = "{TOKEN_ENV}"

[privacy]
controls = {json.dumps(list(CONTROLS_CHECKED))}

[exports]
folder = "exports"

[thresholds]
outside_account_share_max = 45.0
outside_search_share_max = 45.0
""")
    return contract


@pytest.mark.acceptance
@pytest.mark.slow
def test_a_year_of_oversight_flags_each_event_in_its_month(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    _baseline(tmp_path / "baseline.json")
    port = _free_port()
    contract = _contract(tmp_path, port)
    for month in range(1, 13):
        _write_period(tmp_path / "exports" / PERIODS[month - 1], month)
    assert main(["oversight", "init", str(contract)]) == 0
    codes = {}
    for month, period in enumerate(PERIODS, start=1):
        flaws = ("share-all",) if month >= 9 else ()
        with running_reference_server(flaws=flaws, port=port, admin_token=TOKEN):
            codes[month] = main(["oversight", "run", "--workspace", str(tmp_path), "--period", period])
    printed = capsys.readouterr().out

    with history.open_history(tmp_path, read_only=True) as con:
        rows = con.execute("SELECT period, rule FROM findings WHERE breach ORDER BY period").fetchall()
        regressed = con.execute("""SELECT period, control_id FROM controls WHERE result = 'FAIL'
            AND baseline_result = 'PASS' ORDER BY period, control_id""").fetchall()
        log_rows = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        before = history.period_state(con)
    breaches: dict[int, set[str]] = {}
    for period, rule in rows:
        breaches.setdefault(PERIODS.index(period) + 1, set()).add(rule)
    for month in range(1, 13):
        expected = {rule for rule, first in EXPECTED_FIRST.items() if month >= first}
        assert breaches.get(month, set()) == expected, (month, breaches.get(month))
        assert codes[month] == (1 if expected else 0)
    assert {p for p, _ in regressed} == set(PERIODS[8:])
    assert {c for _, c in regressed} == set(CONTROLS_CHECKED)
    assert log_rows == 12 * 2500
    assert "no breach" in printed and "BREACH OV-PRIVACY" in printed

    # The report: signed JSON, HTML (and PDF with Chromium), every event in its month, no plate text.
    keygen(tmp_path / "city")
    out = tmp_path / "report"
    args = ["oversight", "report", "--workspace", str(tmp_path), "--out", str(out), "--key", str(tmp_path / "city.key")]
    assert main(args if find_chromium() else [*args, "--no-pdf"]) == 0
    doc = json.loads((out / "oversight-report.json").read_text())
    verdict = check(doc, [load_public_key(tmp_path / "city.pub")])
    assert [p for p in verdict.problems if "schema_version" not in p] == []
    flagged = {p["period"]: {f["rule"] for f in p["breaches"]} for p in doc["periods"]}
    assert flagged["2027-05"] == set() and flagged["2027-09"] >= {"OV-PRIVACY", "OV-ADMIN"}
    html = (out / "oversight-report.html").read_text()
    assert "What changed in 2027-12 since 2027-11" in html and "untested" not in html.split("<h2>Privacy")[1][:50]
    for text in (html, json.dumps(doc)):
        assert QUERY_PREFIX not in text and TOKEN not in text
    if find_chromium():
        pdf = out / "oversight-report.pdf"
        assert pdf.read_bytes()[:4] == b"%PDF"
        info = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=False)
        if info.returncode == 0:
            assert "Oversight report" in info.stdout and "2027-09" in info.stdout

    # A truncated export is refused and the history stays as it was.
    log = tmp_path / "exports" / "2027-12" / "audit-log.csv"
    data = log.read_bytes()
    log.write_bytes(data[: len(data) // 2])
    with ExitStack() as stack:
        stack.enter_context(running_reference_server(port=port, admin_token=TOKEN))
        assert main(["oversight", "run", "--workspace", str(tmp_path), "--period", "2027-12"]) == 2
    err = capsys.readouterr().err
    assert "2027-12 refused, history unchanged" in err and "audit-log.csv: line" in err
    with history.open_history(tmp_path, read_only=True) as con:
        assert history.period_state(con) == before
