"""The metric and report docs name only command-line options that exist (issue 12 #7)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from harness.cli.main import build_parser

DOCS = Path(__file__).resolve().parents[2] / "docs"
FOREIGN = {"--print-to-pdf"}
"""Options of other programs the docs name (Chromium's)."""


def _all_options() -> set[str]:
    options: set[str] = set()
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                options.update(o for a in sub._actions for o in a.option_strings)
    return options


@pytest.mark.parametrize("doc", ["metrics.md", "scorecard.md", "reports.md", "comparison.md", "signing.md"])
def test_every_option_a_doc_names_exists(doc: str) -> None:
    named = set(re.findall(r"`[^`]*?(--[a-z][a-z0-9-]+)", (DOCS / doc).read_text(encoding="utf-8")))
    assert named - _all_options() - FOREIGN == set()
