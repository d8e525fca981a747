"""platebench's pytest plugin: ``pytest --vendor=NAME`` scores a vendor, one test item per requirement.

Loaded one way only: the root ``conftest.py`` lists it in ``pytest_plugins`` (tests of the plugin
itself load it with ``-p harness.pytest_plugin``).

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
from typing import Any

import pytest

from harness.options import non_negative_int, positive_float, positive_int
from harness.report.markdown import scenario_line
from harness.rubric import format_threshold
from harness.runner import DEFAULT_SCORECARD_DIR
from harness.runner.privacy_pass import summary_line
from harness.runner.run import PreparedRun, RunRequest, RunResult, execute, prepare
from harness.scorecard.model import LoadScenarioResult
from harness.vendors_config import default_vendors_file
from vendor_adapters.errors import ConfigurationError


@dataclass
class EvaluationSession:
    """The vendor run of this pytest session."""

    prepared: PreparedRun
    result: RunResult | None = None
    started: bool = False


SESSION_KEY = pytest.StashKey[EvaluationSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("platebench", "platebench vendor evaluation (pytest --vendor=NAME)")
    group.addoption(
        "--vendor",
        metavar="NAME",
        default=None,
        help="score this vendor (a vendors.toml entry or a built-in adapter such as 'reference'); "
        "only the rubric's requirements are collected. Default: %(default)r (run the project's own tests)",
    )
    group.addoption("--corpus", type=Path, metavar="PATH", default=None, help="corpus folder or manifest. Default: the synthetic corpus")
    group.addoption("--rubric", type=Path, metavar="PATH", default=None, help="rubric TOML. Default: the shipped default rubric")
    group.addoption("--limit", type=positive_int, metavar="N", default=None, help="only the first N samples. Default: all")
    group.addoption("--resume", metavar="RUN_ID", default=None, help="continue an interrupted run of the same vendor")
    group.addoption(
        "--scorecard-dir", type=Path, metavar="DIR", default=DEFAULT_SCORECARD_DIR, help="where runs are written. Default: %(default)s"
    )
    group.addoption(
        "--vendors-config", type=Path, metavar="PATH", default=None, help="Default: vendors.toml in the current folder, if any"
    )
    group.addoption(
        "--privacy", dest="privacy", action="store_true", default=None,
        help="check the privacy controls after the accuracy pass, where the vendor can be tested (the default)",
    )
    group.addoption("--no-privacy", dest="privacy", action="store_false", help="skip the privacy controls")
    group.addoption(
        "--attestations", type=Path, metavar="FILE", default=None,
        help="vendor attestation file (TOML/JSON) for controls its API cannot demonstrate; ATTESTED is never a pass",
    )
    group.addoption(
        "--reference-flaw", dest="reference_flaws", action="append", default=[], metavar="NAME",
        help="start the reference vendor's server with this deliberate flaw (repeatable; demonstrations)",
    )
    group.addoption("--concurrency", type=positive_int, metavar="N", default=None,
                    help="calls in flight (and the offline load scenario's concurrency). Default: from the adapter")
    group.addoption("--connect-timeout", type=positive_float, metavar="S", default=None,
                    help="network vendors: seconds to connect. Default: vendors.toml connect_timeout, else 5")
    group.addoption("--read-timeout", type=positive_float, metavar="S", default=None,
                    help="network vendors: seconds of silence between reads. Default: vendors.toml read_timeout, else 30")
    group.addoption("--total-timeout", type=positive_float, metavar="S", default=None,
                    help="network vendors: seconds per call, body included. Default: vendors.toml total_timeout, else 60")
    group.addoption("--retries", type=non_negative_int, metavar="N", default=None,
                    help="network vendors: send a failed call again up to N times (every attempt journaled, the last "
                    "counts). Default: 0")
    group.addoption("--scenario", dest="scenarios", action="append", default=None,
                    choices=("single-stream", "server", "offline"),
                    help="load scenario after the accuracy pass (repeatable). Default: the rubric's [load] table")
    group.addoption("--no-load", dest="load", action="store_false", default=None, help="run no load scenario")
    group.addoption("--target-qps", type=positive_float, metavar="QPS", default=None,
                    help="server load scenario: Poisson arrival rate. Default: the rubric's")
    group.addoption("--duration", type=positive_float, metavar="S", default=None,
                    help="seconds per load scenario. Default: the rubric's")
    group.addoption("--queries", type=positive_int, metavar="N", default=None,
                    help="queries per load scenario (instead of --duration)")
    group.addoption("--latency-bound-ms", type=positive_float, metavar="MS", default=None,
                    help="latency bound for the rubric's percentile. Default: the rubric's")
    group.addoption("--seed", type=non_negative_int, metavar="N", default=None,
                    help="seed of the server scenario's arrival times (recorded). Default: the rubric's")


def pytest_configure(config: pytest.Config) -> None:
    vendor = config.getoption("vendor")
    if not vendor:
        return
    cwd = config.invocation_params.dir
    request = RunRequest(
        vendor=vendor,
        corpus_path=config.getoption("corpus"),
        rubric_path=config.getoption("rubric"),
        limit=config.getoption("limit"),
        resume=config.getoption("resume"),
        scorecard_dir=cwd / config.getoption("scorecard_dir"),
        vendors_file=config.getoption("vendors_config") or default_vendors_file(cwd),
        privacy=config.getoption("privacy"),
        attestations=config.getoption("attestations"),
        reference_flaws=tuple(config.getoption("reference_flaws")),
        concurrency=config.getoption("concurrency"),
        connect_timeout=config.getoption("connect_timeout"),
        read_timeout=config.getoption("read_timeout"),
        total_timeout=config.getoption("total_timeout"),
        retries=config.getoption("retries"),
        load=config.getoption("load"),
        scenarios=tuple(config.getoption("scenarios")) if config.getoption("scenarios") else None,
        target_qps=config.getoption("target_qps"),
        duration_s=config.getoption("duration"),
        queries=config.getoption("queries"),
        latency_bound_ms=config.getoption("latency_bound_ms"),
        seed=config.getoption("seed"),
    )
    if request.duration_s is not None and request.queries is not None:
        raise pytest.UsageError("platebench: give --duration or --queries, not both")
    try:
        prepared = prepare(request)
    except ConfigurationError as exc:
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
    """One rubric requirement; passes exactly when the requirement was met."""

    def __init__(self, *, title: str, verdict: dict[str, Any] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.verdict = verdict

    def runtest(self) -> None:
        if self.verdict is None:
            raise RequirementNotMet(f"{self.name} {self.title}: no verdict (the run did not finish)")
        if not self.verdict["passed"]:
            v = self.verdict
            kind = "mandatory" if v["mandatory"] else f"weight {v['weight']:g}"
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
        try:
            with suspended:
                evaluation.result = execute(evaluation.prepared, progress_stream=sys.stderr)
        except ConfigurationError as exc:
            pytest.exit(f"platebench: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    name = f"platebench[{evaluation.prepared.vendor.name}]"
    run = RubricRun.from_parent(session, name=name, nodeid=name, path=evaluation.prepared.rubric.path)
    items[:] = run.collect()
    config.hook.pytest_collectreport(report=pytest.CollectReport(run.nodeid, "passed", None, list(items)))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    evaluation = config.stash.get(SESSION_KEY, None)
    if evaluation is None:
        return
    run_id = evaluation.prepared.header["run_id"]
    terminalreporter.section("platebench")
    if evaluation.result is None:
        if evaluation.started:
            terminalreporter.write_line(
                f"run {run_id} did not finish; every finished call is journaled. Continue with: "
                f"pytest --vendor={evaluation.prepared.vendor.name} --resume={run_id}"
            )
        return
    score = evaluation.result.document["results"]["score"]
    weighted = "n/a" if score["weighted"] is None else f"{100 * score['weighted']:.1f}%"
    for warning in evaluation.result.warnings:
        terminalreporter.write_line(f"warning: {warning}")
    terminalreporter.write_line(
        f"weighted score {weighted}; {'eligible' if score['eligible'] else 'NOT eligible (a mandatory requirement is not met)'}"
    )
    for scenario in evaluation.result.document["results"].get("load") or []:
        terminalreporter.write_line(f"load {scenario_line(LoadScenarioResult.model_validate(scenario))}")
    privacy = evaluation.result.document["results"].get("privacy")
    if privacy is not None:
        method = evaluation.result.document["provenance"]["privacy"]["method"]
        terminalreporter.write_line(f"privacy controls: {summary_line(privacy)} ({method})")
    if evaluation.result.evidence_dir is not None:
        terminalreporter.write_line(f"evidence: {evaluation.result.evidence_dir}")
    terminalreporter.write_line(f"report: {evaluation.result.markdown_path}")
    terminalreporter.write_line(f"scorecard: {evaluation.result.scorecard_path}")
