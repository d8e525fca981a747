"""``platebench audit analyze`` on a generated roster and log with a known mix of agencies and searches."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from harness.audit.analyze import analyze_files
from harness.cli.main import main

PLATE_PREFIX = "QXPLATE"
"""Every query in the generated log holds this recognizable plate text; no output may contain it."""

# (agency_id, name, kind, state, active accounts, inactive accounts)
AGENCIES = [
    ("dpd", "Denver PD", "home", "CO", 2, 0),
    ("aur", "Aurora PD", "partner", "CO", 3, 0),
    ("lov", "Loveland PD", "instate", "CO", 2, 1),
    ("dal", "Dallas PD", "out_of_state", "TX", 2, 0),
    ("fbi", "FBI Denver", "federal", "US", 1, 0),
]
# (agency_id, reason, case_number, outcome) -- 20 searches
SEARCHES = [
    ("dpd", "stolen vehicle", "24-0001", "allowed"),
    ("dpd", "robbery", "24-0002", "allowed"),
    ("dpd", "", "24-0003", "denied"),
    ("dpd", "hit and run", "", "denied"),
    ("dpd", "burglary", "24-0005", "allowed"),
    ("aur", "stolen vehicle", "24-0101", "allowed"),
    ("aur", "homicide", "24-0102", "allowed"),
    ("aur", "ICE", "24-0103", "denied"),
    ("aur", "protective order violation", "24-0104", "allowed"),
    ("aur", "importation of controlled substances", "24-0105", "allowed"),
    ("aur", "", "", "denied"),
    ("lov", "I.C.E. request", "24-0201", "allowed"),
    ("lov", "imigration check", "24-0202", "allowed"),
    ("lov", "robbery", "", "denied"),
    ("dal", "abortion investigation", "24-0301", "denied"),
    ("dal", "Inmigración", "24-0302", "allowed"),
    ("dal", "No Kings protest", "24-0303", "denied"),
    ("dal", "robbery", "24-0304", "allowed"),
    ("fbi", "deportaton", "24-0401", "denied"),
    ("fbi", "fraud", "24-0402", "allowed"),
]


def _accounts() -> list[dict]:
    rows = []
    for agency_id, name, kind, state, active, inactive in AGENCIES:
        for i in range(active + inactive):
            rows.append({
                "actor_id": f"{agency_id}-{i}", "name": f"{name} user {i}", "agency_id": agency_id,
                "agency_name": name, "agency_kind": kind, "state": state, "role": "searcher",
                "active": i < active,
            })
    return rows


def _entries() -> list[dict]:
    names = {a[0]: a for a in AGENCIES}
    rows = []
    for n, (agency_id, reason, case, outcome) in enumerate(SEARCHES):
        _, name, kind, _, _, _ = names[agency_id]
        rows.append({
            "id": f"e{n}", "at": f"2026-01-01T00:{n:02d}:00Z", "actor_id": f"{agency_id}-0",
            "actor_name": f"{name} user 0", "agency_id": agency_id, "agency_name": name, "agency_kind": kind,
            "action": "search", "query": f"{PLATE_PREFIX}{n}", "reason": reason, "case_number": case,
            "offense_type": "", "outcome": outcome, "result_count": 1 if outcome == "allowed" else 0,
            "search_id": f"s{n}",
        })
    rows.append({**rows[0], "id": "r1", "action": "read", "query": f"{PLATE_PREFIX}R"})
    return rows


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps({"accounts": _accounts()}, indent=2))
    log = tmp_path / "log.json"
    log.write_text(json.dumps({"entries": _entries()}, indent=2))
    agreements = tmp_path / "agreements.json"
    agreements.write_text(json.dumps({"agreements": [
        {"id": "a1", "agency_id": "aur", "expires_at": None},
        {"id": "a2", "agency_id": "lov", "revoked_at": "2025-04-08T00:00:00Z"},
    ]}))
    return {"roster": roster, "log": log, "agreements": agreements}


def test_known_mix_gives_exact_shares(files: dict[str, Path]) -> None:
    report = analyze_files(files["roster"], files["log"], "Denver PD", files["agreements"])
    assert report["accounts"]["outside_home"] == {"count": 8, "of": 10, "percent": 80.0}
    assert report["accounts"]["inactive"] == 1
    assert report["accounts"]["by_kind"]["partner"] == {"count": 3, "of": 10, "percent": 30.0}
    assert report["accounts"]["by_kind"]["federal"] == {"count": 1, "of": 10, "percent": 10.0}
    assert report["searches"]["outside_home"] == {"count": 15, "of": 20, "percent": 75.0}
    assert report["searches"]["allowed"] == {"count": 12, "of": 20, "percent": 60.0}
    assert report["searches"]["allowed_outside_home"] == {"count": 9, "of": 12, "percent": 75.0}
    assert report["searches"]["outcome_by_kind"]["out_of_state"] == {"allowed": 2, "denied": 2}
    assert report["actions"] == {"read": 1, "search": 20}


def test_reasons_case_numbers_and_prohibited_purposes(files: dict[str, Path]) -> None:
    report = analyze_files(files["roster"], files["log"], "dpd", files["agreements"])
    assert report["missing_reason"]["count"] == 2 and report["missing_reason"]["entry_ids"] == ["e2", "e10"]
    assert report["missing_case_number"]["count"] == 3
    prohibited = report["prohibited_purpose"]
    # ICE, I.C.E., imigration, Inmigración, deportaton (immigration); abortion; No Kings protest.
    # "protective order" and "importation" must not match.
    assert prohibited["by_category"] == {"immigration": 5, "reproductive_care": 1, "protest": 1}
    assert prohibited["allowed"] == 3
    assert {h["entry_id"] for h in prohibited["searches"]} == {"e7", "e11", "e12", "e14", "e15", "e16", "e18"}
    assert report["out_of_state_searches"]["count"] == 4 and report["out_of_state_searches"]["denied"] == 2
    assert report["federal_searches"]["agencies"] == [
        {"agency_id": "fbi", "agency_name": "FBI Denver", "allowed": 1, "denied": 1}
    ]


def test_agencies_without_agreement_skip_revoked_and_home(files: dict[str, Path]) -> None:
    report = analyze_files(files["roster"], files["log"], "dpd", files["agreements"])
    listed = [(a["agency_id"], a["accounts"], a["searches"]) for a in report["agencies_without_agreement"]["agencies"]]
    assert listed == [("lov", 2, 3), ("dal", 2, 4), ("fbi", 1, 2)]
    without = analyze_files(files["roster"], files["log"], "dpd")["agencies_without_agreement"]
    assert without["checked"] is False


def test_csv_with_aliased_columns_gives_the_same_figures(files: dict[str, Path], tmp_path: Path) -> None:
    roster_csv = tmp_path / "roster.csv"
    with roster_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["User_ID", "username", "ORI", "Organization", "Agency Type", "state", "role", "active"])
        for a in _accounts():
            writer.writerow([a["actor_id"], a["name"], a["agency_id"], a["agency_name"],
                             a["agency_kind"].replace("_", "-"), a["state"], a["role"], "yes" if a["active"] else "no"])
    log_csv = tmp_path / "log.csv"
    with log_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["entry_id", "timestamp", "user_id", "user", "org_id", "org", "org_type", "action",
                         "query", "purpose", "Case #", "offense", "status"])
        for e in _entries():
            writer.writerow([e["id"], e["at"], e["actor_id"], e["actor_name"], e["agency_id"], e["agency_name"],
                             e["agency_kind"], e["action"], e["query"], e["reason"], e["case_number"],
                             e["offense_type"], "success" if e["outcome"] == "allowed" else "blocked"])
    from_json = analyze_files(files["roster"], files["log"], "dpd")
    from_csv = analyze_files(roster_csv, log_csv, "dpd")
    for key in ("accounts", "searches", "missing_reason", "missing_case_number", "prohibited_purpose",
                "out_of_state_searches", "federal_searches"):
        assert from_csv[key] == from_json[key], key


def test_kinds_are_derived_when_the_export_has_none(tmp_path: Path, files: dict[str, Path]) -> None:
    accounts = [{k: v for k, v in a.items() if k != "agency_kind"} for a in _accounts()]
    roster = tmp_path / "bare-roster.json"
    roster.write_text(json.dumps(accounts))
    log = tmp_path / "bare-log.json"
    log.write_text(json.dumps([{k: v for k, v in e.items() if k != "agency_kind"} for e in _entries()]))
    report = analyze_files(roster, log, "dpd", files["agreements"])
    by_kind = {k: v["count"] for k, v in report["accounts"]["by_kind"].items()}
    # Without kinds: other state -> out-of-state (TX, and "US" for the FBI); agreement -> partner.
    assert by_kind == {"home": 2, "partner": 3, "instate": 2, "out_of_state": 3}


def test_cli_writes_markdown_and_json_without_plate_text(files: dict[str, Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "report"
    code = main(["audit", "analyze", "--roster", str(files["roster"]), "--log", str(files["log"]),
                 "--home", "Denver PD", "--agreements", str(files["agreements"]), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "80.0% (8 of 10)" in printed
    md = (out / "audit-analysis.md").read_text()
    data = json.loads((out / "audit-analysis.json").read_text())
    assert "**Active accounts outside the contracting agency: 80.0% (8 of 10)**" in md
    assert "| Loveland PD | in-state, no agreement | 2 | 3 | 2 |" in md
    assert data["accounts"]["outside_home"]["percent"] == 80.0
    for text in (md, json.dumps(data), printed):
        assert PLATE_PREFIX not in text
        assert "importation" not in text  # free-text reasons are not copied into the report


def test_cli_prints_json_to_stdout(files: dict[str, Path], capsys) -> None:
    code = main(["audit", "analyze", "--roster", str(files["roster"]), "--log", str(files["log"]),
                 "--home", "dpd", "--format", "json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["searches"]["outside_home"]["percent"] == 75.0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("log.json", '{"entries": [\n  {"id": "e1",\n  "at": }\n]}', "log.json: line 3, column 9: invalid JSON"),
        ("log.csv", "id,at,actor_id,agency_id,action,outcome\ne1,2026,a,dpd,search,allowed\ne2,2026,a,dpd\n",
         "log.csv: line 3: 4 fields, header has 6"),
        ("log.csv", ("id,at,actor_id,agency_id,action,outcome\ne1,2026,a,dpd,search,allowed\n"
                    "e2,2026,a,dpd,search,maybe\n"), "log.csv: line 3: outcome 'maybe'"),
        ("log.csv", "id,at,actor_id,agency_id,action\ne1,2026,a,dpd,search\n",
         "log.csv: line 2: missing required field 'outcome'"),
        ("log.json", '{"entries": [{"id": "e1"}, 3]}', "log.json: entries[0] (item 1): missing required field 'outcome'"),
        ("log.json", '{"items": []}', "expected a JSON object with a 'entries' list"),
        ("log.csv", "", "log.csv: line 1: empty file"),
    ],
)
def test_malformed_log_is_a_clear_error(files, tmp_path, capsys, name, content, expected) -> None:
    bad = tmp_path / name
    bad.write_text(content)
    code = main(["audit", "analyze", "--roster", str(files["roster"]), "--log", str(bad), "--home", "dpd"])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert "Traceback" not in err


def test_malformed_roster_and_unknown_home(files, tmp_path, capsys) -> None:
    bad = tmp_path / "roster.csv"
    bad.write_text("actor_id,agency_id,agency_kind,active\nu1,dpd,home,true\nu2,dal,galactic,true\n")
    assert main(["audit", "analyze", "--roster", str(bad), "--log", str(files["log"]), "--home", "dpd"]) == 2
    assert "roster.csv: line 3: agency_kind 'galactic' is not one of" in capsys.readouterr().err
    assert main(["audit", "analyze", "--roster", str(files["roster"]), "--log", str(files["log"]),
                 "--home", "Boulder PD"]) == 2
    err = capsys.readouterr().err
    assert "home agency 'Boulder PD' appears in neither the roster nor the log" in err
    missing = tmp_path / "nope.json"
    assert main(["audit", "analyze", "--roster", str(missing), "--log", str(files["log"]), "--home", "dpd"]) == 2
    assert "nope.json: cannot read" in capsys.readouterr().err
