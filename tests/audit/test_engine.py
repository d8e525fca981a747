"""The DuckDB analysis against the plain-Python one, and the real-export quirks it handles.

The first test is the independent check of the engine: a generated log with every agency kind,
prohibited, misspelled and look-alike reasons, missing reasons and case numbers, denied searches,
reads and inactive accounts is analysed both ways; every figure and list must be identical.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.audit.analyze import analyze_files
from harness.audit.records import load_agreements, load_log, load_roster
from harness.audit.synthetic import (
    QUERY_PREFIX,
    AgencySpec,
    LogSpec,
    default_agencies,
    write_log,
    write_roster,
)
from harness.cli.main import main
from tests.audit import python_reference

START, END = datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)


def _generated(tmp_path: Path, *, with_access_flags: bool) -> tuple[Path, Path, Path]:
    agencies = [a if with_access_flags else AgencySpec(a.id, a.name, a.kind, a.state, a.accounts, a.inactive)
                for a in default_agencies(120, 0.7)]
    roster, log = tmp_path / "roster.csv", tmp_path / "log.csv"
    write_roster(roster, agencies)
    write_log(log, agencies, LogSpec(8_000, START, END, outside_search_share=0.6, prohibited_share=0.01,
                                     missing_reason_share=0.02, missing_case_share=0.03, seed=7))
    agreements = tmp_path / "agreements.json"
    agreements.write_text(json.dumps({"agreements": [
        {"agency_id": "par0"}, {"agency_id": "par1"}, {"agency_id": "ins0", "revoked_at": "2027-01-01T00:00:00Z"}]}))
    return roster, log, agreements


def _common(got: object, expected: object) -> object:
    """``got`` restricted to the members ``expected`` has (the engine reports more than the old analysis)."""
    if isinstance(got, dict) and isinstance(expected, dict):
        return {k: _common(got[k], v) for k, v in expected.items() if k in got}
    return got


def test_duckdb_figures_equal_the_plain_python_analysis(tmp_path: Path) -> None:
    roster, log, agreements = _generated(tmp_path, with_access_flags=False)
    reference = python_reference.analyze(python_reference.Inputs(
        load_roster(roster)[0], load_log(log)[0], load_agreements(agreements)[0]), "dpd")
    report = analyze_files(roster, log, "dpd", agreements)
    assert reference["prohibited_purpose"]["count"] > 20 and reference["missing_reason"]["count"] > 50
    for key, value in reference.items():
        assert _common(report[key], value) == value, key
    assert report["warnings"] == []


def test_json_and_csv_of_the_same_export_agree(tmp_path: Path) -> None:
    roster, log, agreements = _generated(tmp_path, with_access_flags=True)
    with log.open(encoding="utf-8") as handle:
        entries = list(csv.DictReader(handle))
    as_json = tmp_path / "log.json"
    as_json.write_text(json.dumps({"entries": entries}))
    from_csv = analyze_files(roster, log, "Denver Police Department", agreements)
    from_json = analyze_files(roster, as_json, "Denver Police Department", agreements)
    from_csv.pop("inputs"), from_json.pop("inputs")
    assert from_csv == from_json
    assert from_csv["accounts"]["without_home_access"] > 0
    assert QUERY_PREFIX not in json.dumps(from_csv)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


ROSTER_HEADER = ["actor_id", "name", "agency_id", "agency_name", "agency_kind", "state", "active", "home_data_access"]
LOG_HEADER = ["id", "at", "actor_id", "agency_name", "agency_kind", "action", "reason", "case_number", "outcome"]


def test_real_export_quirks_are_merged_counted_and_warned(tmp_path: Path) -> None:
    roster = _write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [
        ["h1", "Home 1", "", "Denver PD", "home", "CO", "true", "true"],
        ["h2", "Home 2", "", "denver  pd", "", "CO", "true", "true"],
        ["p1", "Partner 1", "", "Aurora PD", "partner", "CO", "yes", "true"],
        ["p1", "Partner 1", "", "Aurora PD", "partner", "CO", "yes", "true"],  # duplicated account
        ["p2", "Partner 2", "", "AURORA PD", "partner", "CO", "disabled", "false"],
        ["f1", "Fed 1", "", "Ｆｅｄｅｒａｌ Agency", "federal", "US", "true", "false"],  # no access to home data
        ["f2", "Fed 2", "", "federal agency", "federal", "US", "true", "true"],
    ])
    rows = [
        ["e1", "2027-03-01T10:00:00Z", "h1", "Denver PD", "home", "search", "robbery", "27-1", "allowed"],
        ["e2", "2027-03-01T11:00:00Z", "p1", "aurora pd", "partner", "search", "ICE", "27-2", "allowed"],
        ["e2", "2027-03-01T11:00:00Z", "p1", "aurora pd", "partner", "search", "ICE", "27-2", "allowed"],  # dup
        ["e3", "yesterday at noon", "f1", "Federal Agency", "federal", "search", "fraud", "27-3", "allowed"],
        ["e4", "2027-03-02T09:00:00Z", "x9", "Federal Agency", "federal", "search", "fraud", "27-4", "allowed"],
        ["e5", "2027-03-02T10:00:00Z", "p2", "Aurora PD", "partner", "search", "theft", "27-5", "allowed"],
    ]
    log = _write_csv(tmp_path / "log.csv", LOG_HEADER, rows)
    report = analyze_files(roster, log, "DENVER PD")
    accounts = report["accounts"]
    assert accounts["duplicates_dropped"] == 1 and accounts["inactive"] == 1 and accounts["without_home_access"] == 1
    # h1, h2 (home, merged spellings), p1, f2 can reach home data: 2 of 4 outside
    assert accounts["outside_home"] == {"count": 2, "of": 4, "percent": 50.0}
    assert report["searches"]["total"] == 5 and report["log"]["duplicates_dropped"] == 1
    assert report["log"]["timestamps"]["unparseable"] == 1
    reconciliation = report["roster_reconciliation"]
    assert [a["actor_id"] for a in reconciliation["not_on_roster"]["actors"]] == ["x9"]
    assert {a["actor_id"]: a["roster"] for a in reconciliation["allowed_searches_without_access"]} == {
        "f1": "active, no home-data access", "p2": "inactive"}
    warnings = "\n".join(report["warnings"])
    assert "'Denver PD', 'denver  pd'" in warnings
    assert "'Aurora PD', 'AURORA PD', 'aurora pd'" in warnings
    assert "'Ｆｅｄｅｒａｌ Agency'" in warnings and "'federal agency'" in warnings
    assert "1 account(s) appear more than once" in warnings and "'p1'" in warnings
    assert "1 log entry id(s) appear more than once" in warnings and "'e2'" in warnings
    assert "not an ISO 8601 date-time" in warnings and "entry e3" in warnings


def test_cli_prints_the_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = _write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [["h1", "H", "dpd", "Denver PD", "home", "CO", "1", "1"]])
    log = _write_csv(tmp_path / "log.csv", LOG_HEADER, [
        ["e1", "soon", "h1", "Denver PD", "home", "search", "robbery", "27-1", "allowed"]])
    assert main(["audit", "analyze", "--roster", str(roster), "--log", str(log), "--home", "dpd"]) == 0
    assert "platebench: warning: 1 log entry with a timestamp" in capsys.readouterr().err


def test_unknown_header_is_named_with_the_expected_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = _write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [["h1", "H", "dpd", "Denver PD", "home", "CO", "1", "1"]])
    log = _write_csv(tmp_path / "log.csv", ["id", "when", "actor_id", "agency_id", "action", "outcome", "Purpose Code"],
                     [["e1", "2027-03-01T00:00:00Z", "h1", "dpd", "search", "allowed", "x"]])
    assert main(["audit", "analyze", "--roster", str(roster), "--log", str(log), "--home", "dpd"]) == 2
    err = capsys.readouterr().err
    assert "log.csv: line 1: unknown column(s) 'when', 'Purpose Code'; expected columns: id, at, actor_id" in err
    assert "Traceback" not in err
