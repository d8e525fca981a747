"""Argument parsers shared by ``platebench run`` and ``pytest --vendor``: one definition of each check."""

from __future__ import annotations

import argparse
import re
from typing import Any


def positive_int(text: str) -> int:
    """A whole number >= 1 (``--limit``, ``--concurrency``, ``--queries``)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (``--retries``, ``--seed``)."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text: str) -> float:
    """A number > 0 (time-outs, rates, durations)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def fraction(text: str) -> float:
    """A number in (0, 1] (``--iou-threshold``)."""
    value = positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be at most 1, got {text}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def privacy_budget(text: str) -> Any:
    """``--privacy-budget``: ``300`` (actions), ``60s`` (seconds) or ``300,60s``; ``0`` turns exploration off."""
    from harness.privacy.budget import Budget

    try:
        return Budget.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--privacy-budget: ")) from None


EXECUTOR_LOCAL = "local"
EXECUTOR_DASK = "dask"
DASK_SCHEME = "dask://"
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252})):([0-9]{1,5})$")


def executor(text: str) -> str:
    """``--executor``: ``local`` (this machine's worker processes), ``dask`` (a Dask ``LocalCluster`` here)
    or ``dask://HOST:PORT`` (the scheduler of an existing Dask cluster)."""
    if text in (EXECUTOR_LOCAL, EXECUTOR_DASK):
        return text
    if text.startswith(DASK_SCHEME):
        match = _HOST_PORT.match(text.removeprefix(DASK_SCHEME))
        if match and 0 < int(match.group(3)) < 65536:
            return text
        raise argparse.ArgumentTypeError(f"{text!r}: give the scheduler as dask://HOST:PORT, e.g. dask://scheduler:8786")
    raise argparse.ArgumentTypeError(f"{text!r}: choose local, dask or dask://HOST:PORT")
