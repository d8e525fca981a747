"""Rubric files: validated at load, judged against results, scored by weight."""

from __future__ import annotations

import json
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
        (req("A", "accuracy.overall.cer", "=>", 0.1, "weight = 1"), r"requirement\[0\].comparator: '=>' is not one of"),
        (req("A", "accuracy.overall.cer", "<=", 0.1, "mandatory = true\nweight = 2"), "exactly one of"),
        (req("A", "accuracy.overall.cer", "<=", 0.1, ""), "exactly one of"),
        (req("A", "accuracy.overall.cer", "<=", 0.1, "weight = 1\nunit = 'x'"), r"requirement\[0\]: Additional properties .*'unit'"),
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


def privacy_req(rid: str, control: str, threshold: str = '"PASS"', comparator: str = "==", kind: str = "mandatory = true") -> str:
    return req(rid, f"privacy.controls.{control}.result", comparator, threshold, kind)  # type: ignore[arg-type]


def test_default_rubric_gates_the_denver_must_pass_controls() -> None:
    gates = {r.metric for r in load_rubric().requirements if r.mandatory and r.metric.startswith("privacy.")}
    denver = {"PC-SHR-01", "PC-SHR-02", "PC-SHR-03", "PC-SHR-04", "PC-SHR-05", "PC-SHR-07", "PC-PUR-01", "PC-PUR-02",
              "PC-PUR-03", "PC-AUD-01", "PC-AUD-02", "PC-AUD-03", "PC-RET-01", "PC-RET-05", "PC-ACC-04", "PC-AUTH-01"}
    assert gates == {f"privacy.controls.{c}.result" for c in denver}
    assert all(r.threshold == "PASS" for r in load_rubric().requirements if r.metric.startswith("privacy."))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (privacy_req("P", "PC-SHR-99"), r"unknown privacy control 'PC-SHR-99'.*known controls: PC-AUTH-01, PC-SHR-01"),
        (req("P", "privacy.controls.PC-SHR-01.message", "==", '"PASS"', "mandatory = true"), "unknown privacy path"),  # type: ignore[arg-type]
        (privacy_req("P", "PC-SHR-01", comparator=">="), "compared with '=='"),
        (privacy_req("P", "PC-SHR-01", threshold="1"), "must be a result code: PASS, FAIL"),
        (privacy_req("P", "PC-SHR-01", threshold='"pass"'), "must be a result code"),
        (req("A", "accuracy.overall.cer", "<=", '"PASS"', "weight = 1"), "'threshold' must be a number"),  # type: ignore[arg-type]
    ],
)
def test_privacy_requirements_are_checked_at_load(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RubricError, match=message):
        load_rubric(rubric_file(tmp_path, body))


def test_judge_privacy_results_by_code_and_never_counts_attested_as_pass(tmp_path: Path) -> None:
    rubric = load_rubric(rubric_file(
        tmp_path,
        privacy_req("SHR", "PC-SHR-01"),
        privacy_req("AUD", "PC-AUD-03"),
        privacy_req("RET", "PC-RET-06", kind="weight = 2"),
        privacy_req("NA", "PC-RET-01", threshold='"NOT-APPLICABLE"', kind="weight = 1"),
    ))
    controls = [
        {"id": "PC-SHR-01", "title": "t", "result": "PASS", "message": "6 searches refused"},
        {"id": "PC-AUD-03", "title": "t", "result": "ATTESTED", "message": "attested by A. Officer"},
        {"id": "PC-RET-06", "title": "t", "result": "FAIL", "message": "the entry was gone"},
        {"id": "PC-RET-01", "title": "t", "result": "NOT-APPLICABLE", "message": "no retention"},
    ]
    verdicts, score = judge(rubric, {"privacy": {"controls": controls}})
    by_id = {v["id"]: v for v in verdicts}
    assert by_id["SHR"]["passed"] and by_id["SHR"]["observed"] == "PASS"
    assert by_id["SHR"]["reason"] == "met: PC-SHR-01 is PASS (6 searches refused)"
    assert not by_id["AUD"]["passed"]
    assert by_id["AUD"]["reason"] == (
        "not met: PC-AUD-03 is ATTESTED, PASS required; an attestation is not a demonstration and never meets "
        "a PASS requirement (attested by A. Officer)"
    )
    assert not by_id["RET"]["passed"] and by_id["NA"]["passed"]
    assert score == {"weighted": 1 / 3, "points": 1.0, "max": 3.0, "mandatory_passed": False, "eligible": False}
    unmet, _ = judge(rubric, {})
    assert {v["reason"] for v in unmet} == {"not met: not demonstrated (the privacy controls were not run in this run)"}


def test_load_paths_are_checked_and_bound_met_is_judged_as_true_or_false(tmp_path: Path) -> None:
    bad = rubric_file(tmp_path, req("L", "load.server.latency_ms.p42", "<=", 100, "weight = 1"))
    with pytest.raises(RubricError, match=r"unknown load path 'load.server.latency_ms.p42'.*load.server.latency_ms.p99"):
        load_rubric(bad)
    bad = rubric_file(tmp_path, req("L", "load.server.bound_met", ">=", 1, "weight = 1"))
    with pytest.raises(RubricError, match="bound_met is true or false"):
        load_rubric(bad)
    path = rubric_file(
        tmp_path,
        req("B", "load.server.bound_met", "==", "true", "weight = 2"),
        req("P", "load.server.latency_ms.p99", "<=", 500, "weight = 1"),
        req("O", "load.offline.achieved_qps", ">=", 10, "weight = 1"),
    )
    rubric = load_rubric(path)
    server = {"scenario": "server", "bound_met": True, "latency_ms": {"p99": 420.0}}
    verdicts, score = judge(rubric, {"load": [server]})
    by_id = {v["id"]: v for v in verdicts}
    assert by_id["B"]["passed"] and by_id["B"]["observed"] is True and by_id["P"]["passed"]
    assert by_id["O"]["reason"] == "not met: not measured (the offline load scenario was not run in this run)"
    assert score["points"] == 3
    verdicts, _ = judge(rubric, {"load": [{**server, "bound_met": None}]})
    assert not verdicts[0]["passed"] and "not shown" in verdicts[0]["reason"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[load.network]\nscenarios = ["server"]\nduration_s = 10\n', "server scenario needs target_qps"),
        ('[load.network]\nscenarios = ["sever"]\nduration_s = 10\n', "scenarios must be a list"),
        ('[load.local]\nscenarios = ["single-stream"]\n', "give duration_s or queries"),
        ('[load.local]\nscenarios = ["offline"]\nqueries = 0\n', "load.local.queries: must be a positive whole number"),
        ('[load]\npercentile = 100\n', "percentile must be between 0 and 100"),
        ('[load.cloud]\nscenarios = []\n', r"load: Additional properties .*'cloud'"),
        ('[laod]\nseed = 1\n', r"top level: Additional properties .*'laod'"),
    ],
)
def test_a_bad_load_table_is_refused_when_the_rubric_is_loaded(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(table + "\n[[requirement]]\n" + req("A", "accuracy.overall.cer", "<=", 0.1, "weight = 1"),
                    encoding="utf-8")
    with pytest.raises(RubricError, match=message):
        load_rubric(path)


def test_the_default_rubric_plans_a_server_scenario_for_network_vendors_and_single_stream_for_local_ones() -> None:
    load = load_rubric().load
    network, local = load.settings(network=True), load.settings(network=False)
    assert network.scenarios == ("server",) and network.target_qps and network.latency_bound_ms
    assert local.scenarios == ("single-stream",) and local.duration_s
    assert load.percentile == 0.99


def test_every_problem_of_a_malformed_rubric_is_reported_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        '[load.network]\nscenarios = ["server"]\nqueries = -1\n\n'
        '[[requirement]]\nid = "A"\ntitle = ""\nmetric = "accuracy.overall.cer"\ncomparator = "<="\nthreshold = 0.1\n'
        '\n[[requirement]]\nid = "B"\ntitle = "t"\nmetric = "accuracy.overall.cer"\ncomparator = "<="\nthreshold = 0.1\n'
        'weight = 1\nmandatory = true\n',
        encoding="utf-8",
    )
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    lines = str(info.value).splitlines()
    assert "has 5 problem(s)" in lines[0]
    assert lines[1:] == [
        "  - load.network: the server scenario needs target_qps",
        "  - load.network.queries: must be a positive whole number",
        "  - requirement[0]: give exactly one of 'mandatory = true' or 'weight = N' (N > 0)",
        "  - requirement[0].title: must be a non-empty string",
        "  - requirement[1]: give exactly one of 'mandatory = true' or 'weight = N' (N > 0)",
    ]


def test_the_published_schema_names_the_harness_scenarios() -> None:
    from harness.load import SCENARIOS
    from harness.rubric import RUBRIC_SCHEMA

    schema = json.loads(RUBRIC_SCHEMA.read_text(encoding="utf-8"))
    assert tuple(schema["$defs"]["load_settings"]["properties"]["scenarios"]["items"]["enum"]) == SCENARIOS
