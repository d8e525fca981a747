"""``platebench compare``: refusals, the paired verdict, and every output file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from scipy.stats import binomtest
from scorecard_factory import make_corpus, run_vendor

from harness.cli.main import main


def _discordant(a: Path, b: Path) -> tuple[int, int]:
    sa = json.loads(a.read_text())["samples"]
    sb = json.loads(b.read_text())["samples"]
    keys = set(sa) & set(sb)
    a_only = sum(sa[k] == "correct" and sb[k] != "correct" for k in keys)
    b_only = sum(sb[k] == "correct" and sa[k] != "correct" for k in keys)
    return a_only, b_only


def test_same_corpus_comparison_reports_mcnemar_p_and_verdict(
    card_a: Path, card_b: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(card_a), str(card_b), "--out", str(out)]) == 0
    a_only, b_only = _discordant(card_a, card_b)
    expected_p = binomtest(
        min(a_only, b_only), a_only + b_only, 0.5
    ).pvalue  # exact McNemar = two-sided binomial
    cmp = json.loads((out / "comparison.json").read_text())
    (pair,) = cmp["pairs"]
    assert (pair["a_only"], pair["b_only"], pair["n"]) == (a_only, b_only, 12)
    assert pair["p_value"] == pytest.approx(expected_p)
    assert cmp["significance"]["alpha"] == 0.05 and cmp["significance"]["correction"] == "none"
    low, high = pair["difference_ci"]
    assert low <= pair["difference"] <= high
    if pair["significant"]:
        assert "reads more plates correctly than" in pair["verdict"]
    else:
        assert pair["verdict"].startswith("no significant difference")
    md = (out / "comparison.md").read_text()
    assert f"p = {expected_p:.4g}" in md and "significance level 0.05" in md
    assert pair["verdict"].split(" (p")[0].replace("<", "\\<")[:20] in md
    printed = capsys.readouterr().out
    assert "McNemar" in printed and "p " in printed
    for name in ("comparison.md", "comparison.html", "comparison.json", "comparison.xlsx", "comparison.csv"):
        assert (out / name).stat().st_size > 0
    assert {p.name for p in (out / "plots").iterdir()} >= {
        "accuracy-by-tag.svg",
        "latency-cdf.svg",
        "reliability.svg",
    }


def test_gates_come_first_and_a_vendor_failing_one_is_ineligible(
    card_a: Path, card_b: Path, tmp_path: Path
) -> None:
    assert main(["compare", str(card_a), str(card_b), "--out", str(tmp_path)]) == 0
    cmp = json.loads((tmp_path / "comparison.json").read_text())
    kinds = [r["kind"] for r in cmp["rows"]["requirements"]]
    assert kinds == sorted(kinds, key=["gate", "weighted", "verdict"].index)
    b = cmp["inputs"][1]  # vendor B times out on some images: fails the mandatory availability gate
    assert b["eligible"] is False
    eligible_row = next(r for r in cmp["rows"]["requirements"] if r["id"] == "eligible")
    assert eligible_row["cells"][1]["text"] == "INELIGIBLE"
    assert "INELIGIBLE" in (tmp_path / "comparison.md").read_text()


def test_different_corpora_are_refused_unless_allowed(
    card_a: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = make_corpus(tmp_path / "corpus6", 6, seed=8)
    card_other = run_vendor(other, tmp_path / "other", ("right",), vendor="Other")
    capsys.readouterr()
    out = tmp_path / "refused"
    assert main(["compare", str(card_a), str(card_other), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "different corpus" in err and "--allow-mismatch" in err
    assert not out.exists()

    allowed = tmp_path / "allowed"
    assert main(["compare", str(card_a), str(card_other), "--out", str(allowed), "--allow-mismatch"]) == 0
    assert "WARNING" in capsys.readouterr().err
    for name in ("comparison.md", "comparison.html", "comparison.csv"):
        assert "WARNING" in (allowed / name).read_text(), name
    assert json.loads((allowed / "comparison.json").read_text())["mismatch"]
    wb = load_workbook(allowed / "comparison.xlsx")
    assert all(str(ws["A1"].value).startswith("WARNING") for ws in wb.worksheets)


def test_different_image_sets_are_refused(
    card_a: Path, corpus12: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    partial = run_vendor(corpus12, tmp_path / "partial", ("right",), vendor="Partial", limit=5)
    assert main(["compare", str(card_a), str(partial), "--out", str(tmp_path / "o")]) == 2
    assert "different samples" in capsys.readouterr().err


def test_a_tampered_scorecard_is_refused(
    card_a: Path, card_b: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(card_b.read_text())
    doc["results"]["score"]["eligible"] = True
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc))
    assert main(["compare", str(card_a), str(forged), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "integrity hash mismatch" in err and "forged.json" in err


def test_the_same_scorecard_twice_is_refused(
    card_a: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", str(card_a), str(card_a), "--out", str(tmp_path)]) == 2
    assert "more than once" in capsys.readouterr().err


def test_spreadsheets_hold_numbers_with_formats(card_a: Path, card_b: Path, tmp_path: Path) -> None:
    assert main(["compare", str(card_a), str(card_b), "--out", str(tmp_path)]) == 0
    wb = load_workbook(tmp_path / "comparison.xlsx")
    assert wb.sheetnames == [
        "Summary",
        "Significance",
        "Requirements",
        "Accuracy",
        "Latency",
        "Load",
        "Privacy",
    ]
    acc = wb["Accuracy"]
    row = next(r for r in acc.iter_rows(min_row=2) if r[0].value == "Exact read (per plate)")
    value = row[4]
    assert isinstance(value.value, float) and value.number_format == "0.0%"
    assert isinstance(row[7].value, int)  # n
    p_cell = wb["Significance"]["K2"]
    assert isinstance(p_cell.value, float)
    with (tmp_path / "comparison.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    exact = next(r for r in rows if r["id"] == "exact_read_plate")
    label = json.loads((tmp_path / "comparison.json").read_text())["inputs"][0]["label"]
    assert 0.0 <= float(exact[f"{label}: value"]) <= 1.0 and int(exact[f"{label}: n"]) == 12


def test_vendor_strings_cannot_become_spreadsheet_formulas(
    corpus12: Path, card_b: Path, tmp_path: Path
) -> None:
    evil = run_vendor(corpus12, tmp_path / "evil", ("right",), vendor='=HYPERLINK("http://evil.example","x")')
    assert main(["compare", str(evil), str(card_b), "--out", str(tmp_path / "o")]) == 0
    wb = load_workbook(tmp_path / "o" / "comparison.xlsx")
    header = [c.value for c in wb["Summary"][1]]
    assert header[3].startswith("'=HYPERLINK") and wb["Summary"].cell(1, 4).data_type == "s"
    text = (tmp_path / "o" / "comparison.csv").read_text()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
