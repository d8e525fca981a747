"""platebench's pytest plugin: ``pytest --vendor=NAME`` scores a vendor, one test item per requirement.

Registered with pytest through the package's ``pytest11`` entry point (named ``harness.pytest_plugin``, so
the checkout's root ``conftest.py`` and ``-p harness.pytest_plugin`` find it already loaded): after
``pip install platebench``, ``pytest --vendor=NAME`` works in any folder. Its options are those of
``platebench run`` (:data:`harness.run_options.RUN_OPTIONS`), except ``--strict``. Importing it is cheap;
the runner is imported only in vendor mode.

- Without ``--vendor`` the plugin only adds its options; plain ``pytest`` runs the project's tests.
- With ``--vendor`` every user mistake (unknown vendor, bad ``vendors.toml``, missing credential,
  invalid corpus or rubric, a resume that does not match) is a usage error before collection.
  Nothing but the rubric's requirements is collected; the run happens once, at collection, with
  output capture suspended so the progress bar shows on a terminal. The scorecard is written
  right after the run, before the items execute, so it exists whatever they report; each item
  passes or fails as its requirement did, and the terminal summary names the scorecard.
- After the accuracy pass the load scenarios run (the rubric's ``[load]`` defaults, or ``--scenario``
  and friends; ``--no-load`` for none), then the privacy controls are checked where the vendor can be tested (see
  :mod:`harness.runner.privacy_pass`); privacy requirements are items like the others, and the
  summary prints a privacy line and the evidence folder.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import USER_ERRORS
from harness.run_options import add_to_pytest, request_from

if TYPE_CHECKING:
    from harness.runner.run import PreparedRun, RunResult


@dataclass
class EvaluationSession:
    """The vendor run of this pytest session."""

    prepared: PreparedRun
    result: RunResult | None = None
    started: bool = False


SESSION_KEY = pytest.StashKey[EvaluationSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_to_pytest(parser.getgroup("platebench", "platebench vendor evaluation (pytest --vendor=NAME)"))


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("vendor"):
        return
    from harness.runner.run import prepare  # the metrics stack: only in vendor mode

    try:
        request = request_from(vars(config.option), config.invocation_params.dir, pytest=True)
        prepared = prepare(request)
    except USER_ERRORS as exc:
        raise pytest.UsageError(f"platebench: {exc}") from None
    config.stash[SESSION_KEY] = EvaluationSession(prepared)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None and not session.started:
        session.prepared.adapter.close()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        return None
    p = session.prepared
    line = (
        f"platebench: vendor {p.vendor.name} ({p.vendor.adapter}), corpus {p.corpus.name} "
        f"({len(p.todo)} of {len(p.samples)} samples to send), rubric {p.rubric.name}, run {p.header['run_id']}"
    )
    return [line]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """In vendor mode the project's own tests are not collected."""
    return True if SESSION_KEY in config.stash else None


class RequirementNotMet(Exception):
    """A rubric requirement failed; the message says what was measured against what."""


class RubricRun(pytest.Collector):
    """The vendor run: its children are the rubric's requirements."""

    def collect(self) -> list[pytest.Item]:
        session = self.config.stash[SESSION_KEY]
        verdicts: dict[str, dict[str, Any]] = {}
        if session.result is not None:
            verdicts = {v["id"]: v for v in session.result.document["results"]["requirements"]}
        return [
            RequirementItem.from_parent(self, name=req.id, title=req.title, verdict=verdicts.get(req.id))
            for req in session.prepared.rubric.requirements
        ]


class RequirementItem(pytest.Item):
    """One rubric requirement; passes exactly when the requirement was met, skips when it does not
    apply to this kind of vendor."""

    def __init__(self, *, title: str, verdict: dict[str, Any] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.verdict = verdict

    def runtest(self) -> None:
        if self.verdict is None:
            raise RequirementNotMet(f"{self.name} {self.title}: no verdict (the run did not finish)")
        if not self.verdict.get("applicable", True):
            pytest.skip(f"{self.name} {self.title}: {self.verdict['reason']}")
        if not self.verdict["passed"]:
            v = self.verdict
            kind = "mandatory" if v["mandatory"] else f"weight {v['weight']:g}"
            from harness.rubric import format_threshold

            raise RequirementNotMet(
                f"{v['id']} {v['title']} ({kind}): {v['reason']}\n"
                f"  rule: {v['metric']} {v['comparator']} {format_threshold(v['threshold'])}"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RequirementNotMet):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.config.stash[SESSION_KEY].prepared.rubric.path, None, f"{self.name}: {self.title}"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    evaluation = config.stash.get(SESSION_KEY, None)
    if evaluation is None:
        return
    if not config.option.collectonly:
        evaluation.started = True
        capman = config.pluginmanager.getplugin("capturemanager")
        suspended = capman.global_and_fixture_disabled() if capman is not None else nullcontext()
        from harness.runner.run import execute

        try:
            with suspended:
                evaluation.result = execute(evaluation.prepared, progress_stream=sys.stderr)
        except USER_ERRORS as exc:
            pytest.exit(f"platebench: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    name = f"platebench[{evaluation.prepared.vendor.name}]"
    run = RubricRun.from_parent(session, name=name, nodeid=name, path=evaluation.prepared.rubric.path)
    items[:] = run.collect()
    config.hook.pytest_collectreport(report=pytest.CollectReport(run.nodeid, "passed", None, list(items)))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    evaluation = config.stash.get(SESSION_KEY, None)
    if evaluation is None:
        return
    from harness.redact import scrub_known
    from harness.runner.summary import summary_lines

    run_id = evaluation.prepared.header["run_id"]
    terminalreporter.section("platebench")
    if evaluation.result is None:
        if evaluation.started:
            terminalreporter.write_line(
                f"run {run_id} did not finish; every finished call is journaled. Continue with: "
                f"pytest --vendor={evaluation.prepared.vendor.name} --resume={run_id}"
            )
        return
    for warning in evaluation.result.warnings:
        terminalreporter.write_line(scrub_known(f"warning: {warning}"))
    for line in summary_lines(evaluation.result):
        terminalreporter.write_line(scrub_known(line))
    terminalreporter.write_line(f"scorecard: {evaluation.result.scorecard_path}")
