"""``--executor`` is one row of the option table: on ``platebench run``, ``pytest --vendor`` and campaign files."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from harness.options import executor
from harness.run_options import OptionError, RunRequest, add_to_argparse, check_request


@pytest.mark.parametrize("text", ["local", "dask", "dask://scheduler:8786", "dask://10.0.0.5:8786", "dask://[::1]:8786"])
def test_executor_values_accepted(text: str) -> None:
    assert executor(text) == text


@pytest.mark.parametrize("text", ["", "ray", "dask://", "dask://host", "dask://host:0", "dask://host:99999", "tcp://h:1"])
def test_executor_values_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        executor(text)


def test_platebench_run_takes_executor_and_checks_requests_made_in_code() -> None:
    parser = argparse.ArgumentParser()
    add_to_argparse(parser)
    assert parser.parse_args(["--vendor", "x"]).executor == "local"
    assert parser.parse_args(["--vendor", "x", "--executor", "dask"]).executor == "dask"
    with pytest.raises(OptionError, match="--executor"):
        check_request(RunRequest(vendor="x", executor="threads"))


def test_pytest_offers_executor() -> None:
    out = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"], check=False,
                         capture_output=True,
                         text=True, timeout=120).stdout
    assert "--executor=local|dask|dask://HOST:PORT" in out


def test_the_local_executor_does_not_import_dask() -> None:
    code = ("import sys; from harness.cli.main import build_parser; from harness.runner import run; "
            "build_parser(); print('distributed' in sys.modules or 'dask' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120).stdout.strip() == "False"
