"""Rubric files: validated at load, judged against results, scored by weight."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.rubric import RubricError, judge, load_rubric


def rubric_file(tmp_path: Path, *requirements: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text("\n".join(f"[[requirement]]\n{r}" for r in requirements), encoding="utf-8")
    return path


def req(rid: str, metric: str, comparator: str, threshold: float, kind: str) -> str:
    return f'id = "{rid}"\ntitle = "{rid} title"\nmetric = "{metric}"\ncomparator = "{comparator}"\nthreshold = {threshold}\n{kind}\n'


def test_default_rubric_loads_and_every_path_is_known() -> None:
    rubric = load_rubric()
    assert rubric.name == "default" and len(rubric.requirements) >= 8
    assert sum(r.mandatory for r in rubric.requirements) >= 2


def test_unknown_metric_path_names_the_path_and_shows_valid_ones(tmp_path: Path) -> None:
    path = rubric_file(tmp_path, req("A", "accuracy.overall.exactread", ">=", 0.9, "mandatory = true"))
    with pytest.raises(RubricError, match=r"requirement A: unknown metric path 'accuracy.overall.exactread'.*exact_read_plate"):
        load_rubric(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (req("A", "accuracy.overall.cer", "=>", 0.1, "weight = 1"), "comparator '=>'"),
        (req("A", "accuracy.overall.cer", "<=", 0.1, "mandatory = true\nweight = 2"), "exactly one of"),
        (req("A", "accuracy.overall.cer", "<=", 0.1, ""), "exactly one of"),
        (req("A", "accuracy.overall.cer", "<=", 0.1, "weight = 1\nunit = 'x'"), "unknown key"),
        ('id = "A"\ntitle = "t"\nmetric = "accuracy.overall.cer"\ncomparator = "<="\nthreshold = "low"\nweight = 1\n', "threshold"),
    ],
)
def test_malformed_requirements_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RubricError, match=message):
        load_rubric(rubric_file(tmp_path, body))


def test_duplicate_ids_and_broken_toml_are_refused(tmp_path: Path) -> None:
    line = req("A", "accuracy.overall.cer", "<=", 0.1, "weight = 1")
    with pytest.raises(RubricError, match="duplicate id"):
        load_rubric(rubric_file(tmp_path, line, line))
    broken = tmp_path / "b.toml"
    broken.write_text("[[requirement]\n", encoding="utf-8")
    with pytest.raises(RubricError, match="not valid TOML"):
        load_rubric(broken)


def test_judge_scores_weights_and_treats_unmeasured_as_not_met(tmp_path: Path) -> None:
    rubric = load_rubric(
        rubric_file(
            tmp_path,
            req("EXACT", "accuracy.overall.exact_read_plate.value", ">=", 0.9, "weight = 3"),
            req("DET", "accuracy.overall.detection_recall", ">=", 0.5, "weight = 1"),
            req("NIGHT", "accuracy.by_tag.time=night.exact_read_plate.value", ">=", 0.5, "weight = 1"),
            req("P95", "latency.single_stream.client_ms.p95", "<=", 100, "mandatory = true"),
        )
    )
    results = {
        "accuracy": {"overall": {"exact_read_plate": {"value": 0.95, "n": 20}, "detection_recall": {"value": None, "n": 0}}, "by_tag": {}},
        "latency": {"single_stream": {"client_ms": {"p95": 100.0}}},
    }
    verdicts, score = judge(rubric, results)
    by_id = {v["id"]: v for v in verdicts}
    assert by_id["EXACT"]["passed"] and by_id["EXACT"]["observed"] == 0.95
    assert by_id["DET"]["reason"] == "not met: not measured" and not by_id["DET"]["passed"]
    assert by_id["NIGHT"]["reason"].startswith("not met: not measured") and by_id["NIGHT"]["observed"] is None
    assert by_id["P95"]["passed"]  # 100 <= 100
    assert score == {"weighted": 3 / 5, "points": 3.0, "max": 5.0, "mandatory_passed": True, "eligible": True}
