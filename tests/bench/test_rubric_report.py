"""Roadside requirements (not applicable without a bench) and the rendered section."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from test_metrics import T0, bench

from harness.bench.section import roadside_section
from harness.report.roadside import roadside_markdown
from harness.rubric import RubricError, judge, load_rubric
from harness.scorecard.model import RequirementResult


def test_roadside_requirements_are_not_applicable_without_a_bench() -> None:
    rubric = load_rubric()
    without = {v["id"]: v for v in judge(rubric, {})[0]}
    assert without["RS-01"]["applicable"] is False and without["RS-01"]["reason"].startswith("not applicable")
    _, score = judge(rubric, {})
    assert score["max"] == sum(r.weight for r in rubric.requirements if not r.metric.startswith("roadside."))


def test_roadside_requirements_judge_the_worst_route(tmp_path: Path) -> None:
    section = roadside_section(bench(tmp_path, [("KXB4521", T0 + 0.5, T0), ("TRM7730", T0 + 10.4, T0 + 10)]))
    assert section["capture_rate"]["value"] == 0.5 and section["capture_rate"]["route"] == "genetec"
    verdicts = {v["id"]: v for v in judge(load_rubric(), {"roadside": section})[0]}
    assert verdicts["RS-01"]["applicable"] and not verdicts["RS-01"]["passed"]
    assert verdicts["RS-02"]["passed"] and verdicts["RS-02"]["observed"] == pytest.approx(0.5, abs=0.02)


def test_unknown_roadside_figure_is_refused(tmp_path: Path) -> None:
    rubric = tmp_path / "r.toml"
    rubric.write_text('[[requirement]]\nid = "X"\ntitle = "x"\nmetric = "roadside.speed"\ncomparator = ">="\n'
                      'threshold = 1\nweight = 1\n', encoding="utf-8")
    with pytest.raises(RubricError, match="unknown roadside path"):
        load_rubric(rubric)


def test_markdown_section_has_figures_and_no_plate_text(tmp_path: Path) -> None:
    records = bench(tmp_path, [("KXB4521", T0 + 0.5, T0), ("QQQQQQQ", T0 + 11, T0 + 10)])
    text = roadside_markdown(roadside_section(records))
    assert text is not None and text.startswith("## At the roadside")
    assert "Capture rate" in text and "25.0%" in text and "Phantoms per hour" in text
    assert not any(p in text for p in records.truth.values()) and "QQQQQQQ" not in text
    assert roadside_markdown(None) is None


def _card(results: dict) -> SimpleNamespace:
    """The parts of a typed scorecard the comparison rows read (results.roadside, results.requirements)."""
    requirements = [RequirementResult.model_validate(v) for v in results["requirements"]]
    return SimpleNamespace(results=SimpleNamespace(roadside=results.get("roadside"), requirements=requirements,
                                                   privacy=None))


def test_compare_rows_show_the_worst_camera_and_na_requirements(tmp_path: Path) -> None:
    from harness.compare.inputs import Bid
    from harness.compare.rows import requirement_rows, roadside_rows

    section = roadside_section(bench(tmp_path, [("KXB4521", T0 + 0.5, T0)]))
    rubric = load_rubric()
    benched = _card({"roadside": section, "requirements": judge(rubric, {"roadside": section})[0]})
    image_only = _card({"requirements": judge(rubric, {})[0]})
    bids = [Bid(Path("a.json"), benched, "A", None), Bid(Path("b.json"), image_only, "B", None)]
    rows = {r["id"]: r for r in roadside_rows(bids)}
    assert rows["capture_rate"]["cells"][0]["value"] == 0.25 and rows["capture_rate"]["cells"][1]["value"] is None
    rs01 = next(r for r in requirement_rows(bids) if r["id"] == "RS-01")
    assert [c["text"] for c in rs01["cells"]] == ["not met", "not applicable"]
    assert roadside_rows([bids[1]]) == []
