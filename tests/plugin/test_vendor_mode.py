"""``pytest --vendor=NAME`` through pytester: usage errors, requirement items, scorecard always written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.corpus.synth import synth_corpus

pytest_plugins = ("pytester",)

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"

RUBRIC = """
name = "two-lines"

[[requirement]]
id = "EASY"
title = "Answers calls"
metric = "accuracy.errors.availability.value"
comparator = ">="
threshold = 0.5
mandatory = true

[[requirement]]
id = "HARD"
title = "Reads every plate"
metric = "accuracy.overall.exact_read_plate.value"
comparator = ">="
threshold = 0.99
weight = 1
"""


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus6")
    synth_corpus(folder, n=6, seed=3)
    return folder


@pytest.fixture
def scripted(pytester: pytest.Pytester, corpus_dir: Path) -> pytest.Pytester:
    """A pytester folder with a scripted vendor (right on half the images) and a two-line rubric."""
    from harness.corpus.validate import load_corpus

    pytester.syspathinsert(RUNNER_TESTS)
    from scripted_vendor import script, write_vendors_toml

    write_vendors_toml(pytester.path, script(load_corpus(corpus_dir).samples, ("right", "none")))
    pytester.makefile(".toml", rubric=RUBRIC)
    pytester.makepyfile(test_project="def test_own():\n    assert False, 'project test must not run'\n")
    return pytester


def run_vendor(pytester: pytest.Pytester, corpus_dir: Path, *extra: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "harness.pytest_plugin", "--vendor=scripted", f"--corpus={corpus_dir}", "--rubric=rubric.toml", *extra
    )


def test_unknown_vendor_is_a_usage_error_with_did_you_mean(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "harness.pytest_plugin", "--vendor=referenc")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*Unknown vendor 'referenc'. Did you mean 'reference'?*Known adapters:*"])
    result.stdout.no_fnmatch_line("*collected*")


def test_inline_secret_in_vendors_toml_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", vendors='[vendors.acme]\nadapter = "platerecognizer"\ntoken = "abc123"\n')
    result = pytester.runpytest("-p", "harness.pytest_plugin", "--vendor=acme")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*key 'token': looks like a secret*token_env*"])
    assert "abc123" not in result.stderr.str()


def test_requirements_are_the_items_a_failing_one_fails_and_the_scorecard_is_written(
    scripted: pytest.Pytester, corpus_dir: Path
) -> None:
    result = run_vendor(scripted, corpus_dir, "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*platebench[[]scripted[]]::EASY PASSED*",
            "*platebench[[]scripted[]]::HARD FAILED*",
            "*HARD Reads every plate (weight 1): not met: 0.5 >= 0.99 is false*",
            "*scorecard: *scorecard.json",
        ]
    )
    result.stdout.no_fnmatch_line("*project test must not run*")
    path = Path(re.findall(r"scorecard: (\S+)", result.stdout.str())[-1])
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert path.parent.parent == scripted.path / "scorecards" / "scripted"
    assert [r["passed"] for r in doc["results"]["requirements"]] == [True, False]
    assert doc["provenance"]["rubric"]["name"] == "two-lines"


def test_without_vendor_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_own="def test_own():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "harness.pytest_plugin")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "scorecards").exists()


def test_options_are_documented_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "harness.pytest_plugin", "--help")
    result.stdout.fnmatch_lines(["*platebench vendor evaluation*", "*--vendor=NAME*", "*--resume=RUN_ID*"])


@pytest.mark.slow
def test_reference_vendor_mode_checks_privacy_controls_as_requirement_items(
    pytester: pytest.Pytester, corpus_dir: Path
) -> None:
    from harness.privacy.runner import control_registry

    result = pytester.runpytest("-p", "harness.pytest_plugin", "--vendor=reference", f"--corpus={corpus_dir}", "--limit=2",
                                "--no-load", "--privacy-budget=40,30s", "-v")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 19  # every privacy requirement, at least
    result.stdout.fnmatch_lines(
        [
            "*platebench[[]reference[]]::PC-SHR-01 PASSED*",
            "*platebench[[]reference[]]::PC-RET-05 PASSED*",
            "*platebench[[]reference[]]::API-CONF-01 PASSED*",
            f"*privacy controls: {len(control_registry())} PASS, 0 FAIL (reference-server)",
            "*evidence: *evidence",
            "*scorecard: *scorecard.json",
        ]
    )
    evidence = Path(re.findall(r"evidence: (\S+)", result.stdout.str())[-1])
    assert (evidence / "MANIFEST.sha256").is_file() and (evidence / "PC-SHR-01.json").is_file()


def test_privacy_options_are_documented_and_a_misplaced_flaw_is_a_usage_error(
    scripted: pytest.Pytester, corpus_dir: Path
) -> None:
    result = scripted.runpytest("-p", "harness.pytest_plugin", "--help")
    result.stdout.fnmatch_lines(["*--no-privacy*", "*--attestations=FILE*", "*--reference-flaw=NAME*"])
    result = run_vendor(scripted, corpus_dir, "--reference-flaw=share-all")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--reference-flaw applies to the reference vendor's own server only*"])


def test_load_options_run_the_scenarios_and_requirements_judge_them(
    scripted: pytest.Pytester, corpus_dir: Path
) -> None:
    scripted.makefile(".toml", loadrubric=RUBRIC + """
[[requirement]]
id = "LOAD"
title = "Answers under load"
metric = "load.server.availability"
comparator = ">="
threshold = 0.99
weight = 1

[[requirement]]
id = "BOUND"
title = "Bound held"
metric = "load.server.bound_met"
comparator = "=="
threshold = true
weight = 1
""")
    result = scripted.runpytest(
        "-p", "harness.pytest_plugin", "--vendor=scripted", f"--corpus={corpus_dir}", "--rubric=loadrubric.toml",
        "--scenario=single-stream", "--scenario=server", "--target-qps=50", "--queries=20",
        "--latency-bound-ms=1000", "--seed=7", "-v",
    )
    result.stdout.fnmatch_lines([
        "*::LOAD PASSED*", "*::BOUND FAILED*", "*not met: load.server.bound_met is false*", "*rule: load.server.bound_met == true*",
        "*load single-stream: achieved * q/s over 20 queries*",
        "*load server: target 50 q/s, achieved * q/s over 20 queries*p99 <= 1,000 ms: not shown*",
    ])
    card = json.loads(Path(re.findall(r"scorecard: (\S+)", result.stdout.str())[-1]).read_text(encoding="utf-8"))
    load = {s["scenario"]: s for s in card["results"]["load"]}
    assert set(load) == {"single-stream", "server"} and load["server"]["n"] == 20
    assert load["server"]["availability"] == 1.0 and load["server"]["bound_met"] is False
    assert any("too few" in w for w in load["server"]["warnings"])  # 20 queries cannot show a p99
    options = card["provenance"]["options"]
    assert options["scenarios"] == ["single-stream", "server"] and options["seed"] == 7
    assert options["load"]["queries"] == 20 and options["load"]["target_qps"] == 50
    result = run_vendor(scripted, corpus_dir, "--scenario=server")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*server scenario needs a target rate*"])
