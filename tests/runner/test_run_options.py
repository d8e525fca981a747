"""The run option table: both parsers, RunRequest, the checks and the resume comparison come from it."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

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
