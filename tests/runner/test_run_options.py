"""The run option table: both parsers, RunRequest, the checks and the resume comparison come from it."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest
from scripted_vendor import script, write_vendors_toml

from harness.cli.main import main
from harness.corpus.model import Corpus
from harness.run_options import (
    RUN_OPTIONS,
    RUNNER_SETTINGS,
    OptionError,
    RunRequest,
    add_to_argparse,
    check_request,
    check_resume,
    request_from,
)
from harness.runner.run import rescore


def cli_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="platebench run", exit_on_error=False)
    add_to_argparse(parser)
    return parser


pytest_plugins = ("pytester",)


def test_run_request_has_one_attribute_per_row_with_the_rows_default() -> None:
    fields = {f.name: f for f in dataclasses.fields(RunRequest)}
    assert list(fields) == [row.field for row in RUN_OPTIONS] + [name for name, _, _ in RUNNER_SETTINGS]
    request = RunRequest(vendor="x")
    for row in RUN_OPTIONS[1:]:
        assert getattr(request, row.field) == row.request_default, row.field


def test_both_parsers_offer_every_row_and_give_the_same_request(tmp_path: Path, pytester: pytest.Pytester) -> None:
    argv = ["--vendor", "acme", "--limit", "7", "--scenario", "server", "--scenario", "offline", "--queries", "9",
            "--no-privacy", "--reference-flaw", "a", "--reference-flaw", "b", "--scorecard-dir", "out"]
    from_cli = request_from(vars(cli_parser().parse_args(argv)), tmp_path)
    config = pytester.parseconfig("-p", "harness.pytest_plugin", *argv)
    from_pytest = request_from(vars(config.option), tmp_path, pytest=True)
    assert from_cli == from_pytest
    assert from_cli.limit == 7 and from_cli.scenarios == ("server", "offline") and from_cli.queries == 9
    assert from_cli.privacy is False and from_cli.reference_flaws == ("a", "b")
    assert from_cli.scorecard_dir == tmp_path / "out"
    for row in RUN_OPTIONS:
        assert row.field in vars(config.option) or row.cli_only, row.flag


def test_vendors_toml_is_looked_up_in_the_invocation_folder(tmp_path: Path) -> None:
    assert request_from({"vendor": "x"}, tmp_path).vendors_file is None
    (tmp_path / "vendors.toml").write_text("", encoding="utf-8")
    assert request_from({"vendor": "x"}, tmp_path).vendors_file == tmp_path / "vendors.toml"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--limit", "0"], "must be at least 1"),
        (["--retries", "-1"], "must be 0 or more"),
        (["--target-qps", "fast"], "not a number"),
        (["--scenario", "sever"], "invalid choice"),
        (["--duration", "5", "--queries", "3"], "not allowed with argument"),
    ],
)
def test_the_command_line_refuses_bad_values(argv: list[str], message: str) -> None:
    with pytest.raises(argparse.ArgumentError, match=message):
        cli_parser().parse_args(["--vendor", "x", *argv])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"limit": 0}, "--limit 0: must be at least 1"),
        ({"total_timeout": -2.0}, "--total-timeout -2.0: must be positive"),
        ({"seed": -1}, "--seed -1: must be 0 or more"),
        ({"scenarios": ("offline", "warp")}, "--scenario warp: choose from"),
        ({"duration_s": 5.0, "queries": 3}, "give --duration or --queries, not both"),
    ],
)
def test_requests_built_in_code_get_the_same_checks(changes: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        check_request(RunRequest(vendor="x", **changes))


def test_resume_refuses_an_option_that_differs_from_the_recorded_run() -> None:
    recorded = {"limit": 20, "concurrency": 4, "seed": 3, "scenarios": ["server"],
                "transport": {"read_timeout_s": 30.0}, "retry": {"max_attempts": 3}, "load": {"queries": 50}}
    check_resume(RunRequest(vendor="x", limit=20, retries=2, queries=50, scenarios=("server",)), recorded, "R")
    check_resume(RunRequest(vendor="x"), recorded, "R")  # nothing given again: nothing to compare
    for changes, message in (
        ({"limit": 21}, "cannot resume run R with --limit 21: the run started with 20"),
        ({"retries": 0}, "--retries 0: the run started with 2"),
        ({"read_timeout": 5.0}, "--read-timeout 5.0: the run started with 30.0"),
        ({"queries": 10}, "--queries 10: the run started with 50"),
        ({"load": False}, "--scenario none: the run started with server"),
        ({"scenarios": ("offline",)}, "--scenario offline: the run started with server"),
    ):
        with pytest.raises(OptionError, match=message):
            check_resume(RunRequest(vendor="x", **changes), recorded, "R")


def test_iou_threshold_decides_matching_is_recorded_kept_by_rescore_and_must_match_on_resume(
    tmp_path: Path, small_corpus: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = script(small_corpus.samples, ("right",))
    for answer in answers.values():  # each read's box shifted by half its width: IoU 1/3 with the plate's
        if answer.get("box"):
            answer["box"][0] += answer["box"][2] / 2
    vendors = write_vendors_toml(tmp_path, answers)
    args = ["run", "--vendor", "scripted", "--corpus", str(small_corpus.root), "--vendors-config", str(vendors),
            "--scorecard-dir", str(tmp_path / "sc"), "--limit", "3", "--no-load", "--no-privacy"]

    def recall(*extra: str) -> tuple[Path, float]:
        assert main([*args, *extra]) == 0
        path = Path(capsys.readouterr().out.strip().splitlines()[-1])
        card = json.loads(path.read_text(encoding="utf-8"))
        assert card["provenance"]["options"]["iou_threshold"] == card["results"]["accuracy"]["settings"]["iou_threshold"]
        return path, card["results"]["accuracy"]["overall"]["detection_recall"]["value"]

    assert recall()[1] == 0.0  # default 0.5: no box matches
    loose, value = recall("--iou-threshold", "0.3")
    assert value == 1.0
    card = json.loads(loose.read_text(encoding="utf-8"))
    assert card["provenance"]["options"]["iou_threshold"] == 0.3
    assert rescore(loose.parent).document["results"]["accuracy"] == card["results"]["accuracy"]
    run_id = card["provenance"]["run_id"]
    assert main([*args, "--resume", run_id, "--iou-threshold", "0.5"]) == 2
    assert f"cannot resume run {run_id} with --iou-threshold 0.5: the run started with 0.3" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        main([*args, "--iou-threshold", "1.5"])
    assert "--iou-threshold: must be at most 1" in capsys.readouterr().err
