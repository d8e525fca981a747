"""The run options, defined once: ``platebench run`` and ``pytest --vendor`` are generated from :data:`RUN_OPTIONS`.

Each :class:`RunOption` row names its flags, parser (from :mod:`harness.options`), default, help, argparse
group, mutually exclusive set, whether it must match the recorded run on ``--resume``, and the
:class:`RunRequest` attribute it fills. From the table come

- the ``platebench run`` arguments (:func:`add_to_argparse`) and the ``pytest --vendor`` options
  (:func:`add_to_pytest`);
- :class:`RunRequest`, the runner's input (one attribute per row, plus :data:`RUNNER_SETTINGS`), built from
  either parser's values by :func:`request_from`;
- the checks of a request made in code (:func:`check_request`: the rows' parsers and exclusive sets);
- the resume comparison (:func:`check_resume`).

Adding a run option is one row here plus the code that uses ``request.<field>``.
This module stays light: ``platebench`` imports it at start-up.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.load import SCENARIOS
from harness.metrics.spec import DEFAULT_IOU_THRESHOLD, DEFAULT_TOP_N
from harness.options import (
    EXECUTOR_LOCAL,
    executor,
    fraction,
    non_negative_int,
    positive_float,
    positive_int,
    privacy_budget,
)
from harness.perturb.sweep import canonical_sweeps, sweep_argument
from harness.vendors_config import default_vendors_file

DEFAULT_SCORECARD_DIR = Path("scorecards")
"""Where runs are written unless ``--scorecard-dir`` says otherwise: ``DIR/<vendor>/<run_id>/``."""

MIN_FREE_BYTES = 50 * 1024 * 1024
"""Free space the scorecard folder needs before a run starts (journal, scorecard, evidence), at least."""


class RunError(UserError):
    """A run cannot start or continue because of something the user can fix; says what."""


GROUPS: dict[str, str] = {
    "": "",
    "network": "network vendors (recorded in the scorecard)",
    "load": "load scenarios (after the accuracy pass; defaults from the rubric's [load] table)",
    "privacy": "privacy controls (checked after the accuracy pass)",
    "bench": "camera bench (after the privacy controls; docs/bench.md)",
    "robustness": "robustness: perturbation sweeps and anti-gaming probes (docs/robustness.md)",
}
"""Argparse group titles by key (``""``: the command's own arguments)."""


class OptionError(RunError):
    """A run option's value is invalid or conflicts with another option or with the run being resumed."""


@dataclass(frozen=True)
class Resume:
    """How an option is compared with the run it resumes: the option, given again, must equal what was recorded."""

    recorded: Callable[[Mapping[str, Any]], Any]
    """The recorded value, from the journal header's ``options`` table."""
    given: Callable[[Any], Any] | None = None
    """The value to compare from the :class:`RunRequest` (``None``: its own attribute); ``None`` result: not given."""
    describe: Callable[[Any], str] = str
    """How a value reads in the error message."""


@dataclass(frozen=True)
class RunOption:
    """One run option: its command-line form, its :class:`RunRequest` attribute and its rules."""

    field: str
    """The :class:`RunRequest` attribute (and argparse/pytest ``dest``)."""
    flags: tuple[str, ...]
    help: str
    annotation: str
    """The attribute's type, as written in an annotation (documentation and ``dataclasses.fields``)."""
    type: Callable[[str], Any] | None = None
    """Parser of one value, from :mod:`harness.options` (raises ``argparse.ArgumentTypeError``)."""
    default: Any = None
    metavar: str | None = None
    action: str | type[argparse.Action] | None = None
    """``store_true``, ``store_false``, ``append``, or ``argparse.BooleanOptionalAction``."""
    choices: tuple[str, ...] | None = None
    group: str = ""
    """Key of :data:`GROUPS`."""
    exclusive: str | None = None
    """Options sharing this name cannot be given together."""
    required: bool = False
    """Required by ``platebench run`` (under pytest, leaving it out keeps the plugin idle)."""
    cli_only: bool = False
    """Not offered by ``pytest --vendor`` (pytest has its own way of saying the same)."""
    resume: Resume | None = None
    """Must match the resumed run; ``None``: not compared here."""
    convert: Callable[[Any, Path | None], Any] | None = None
    """Turns the parsed value into the attribute's value, given the invocation folder (``None``: in code,
    no folder: relative paths stay relative, nothing is looked up). Also gives the attribute's default."""

    @property
    def flag(self) -> str:
        return self.flags[0]

    @property
    def request_default(self) -> Any:
        """The :class:`RunRequest` attribute's default (the parser's default, converted without a folder)."""
        return self.convert(self.default, None) if self.convert else self.default

    def parser_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``add_argument`` (argparse) and ``addoption`` (pytest)."""
        kwargs: dict[str, Any] = {"dest": self.field, "help": self.help, "default": self.default}
        if self.action is not None:
            kwargs["action"] = self.action
        if self.type is not None:
            kwargs["type"] = self.type
        if self.metavar is not None:
            kwargs["metavar"] = self.metavar
        if self.choices is not None:
            kwargs["choices"] = self.choices
        return kwargs


def _tuple_or_none(value: Sequence[str] | None, _cwd: Path | None) -> tuple[str, ...] | None:
    return tuple(value) if value else None


def _tuple(value: Sequence[str] | None, _cwd: Path | None) -> tuple[str, ...]:
    return tuple(value or ())


def _in_folder(value: Path, cwd: Path | None) -> Path:
    return value if cwd is None else cwd / value


def _in_folder_optional(value: Path | None, cwd: Path | None) -> Path | None:
    return value if value is None or cwd is None else cwd / value


def _vendors_file(value: Path | None, cwd: Path | None) -> Path | None:
    return value if value is not None or cwd is None else default_vendors_file(cwd)


def _transport(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda options: (options.get("transport") or {}).get(name)


def _load(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda options: (options.get("load") or {}).get(name)


def _wanted_scenarios(request: Any) -> list[str] | None:
    if request.load is False:
        return []
    return None if request.scenarios is None else list(dict.fromkeys(request.scenarios))


def _scenario_list(value: list[str]) -> str:
    return ", ".join(value) or "none"


def _sweep_list(value: list[str]) -> str:
    return " ".join(f"--perturb {v}" for v in value) or "no --perturb"


RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption("vendor", ("--vendor",), "a vendors.toml entry or a built-in adapter, e.g. reference",
              "str", metavar="NAME", required=True),
    RunOption("corpus_path", ("--corpus",), "corpus folder or manifest. Default: the synthetic corpus "
              "(on --resume: the run's corpus)", "Path | None", type=Path, metavar="PATH"),
    RunOption("rubric_path", ("--rubric",), "rubric TOML. Default: the shipped default rubric", "Path | None",
              type=Path, metavar="PATH"),
    RunOption("limit", ("--limit",), "only the first N samples. Default: all", "int | None", type=positive_int,
              metavar="N", resume=Resume(lambda o: o["limit"])),
    RunOption("resume", ("--resume",), "continue an interrupted run; journaled samples are not sent again",
              "str | None", metavar="RUN_ID"),
    RunOption("retry_failed", ("--retry-failed",), "with --resume: send the samples whose call failed again "
              "(every attempt stays in the journal; the last one counts)", "bool", action="store_true",
              default=False),
    RunOption("scorecard_dir", ("--scorecard-dir",), "where runs are written. Default: %(default)s", "Path",
              type=Path, default=DEFAULT_SCORECARD_DIR, metavar="DIR", convert=_in_folder),
    RunOption("concurrency", ("--concurrency",),
              "calls in flight (and the offline load scenario's concurrency). Default: from the adapter",
              "int | None", type=positive_int, metavar="N", resume=Resume(lambda o: o["concurrency"])),
    RunOption("executor", ("--executor",),
              "where in-process engines run: local (worker processes on this machine), dask (a Dask LocalCluster "
              "on this machine) or dask://HOST:PORT (an existing Dask cluster's scheduler; docs/scale-out.md). "
              "Network vendors are sent from this process whatever the executor. Default: %(default)s",
              "str", type=executor, default=EXECUTOR_LOCAL, metavar="local|dask|dask://HOST:PORT"),
    RunOption("vendors_file", ("--vendors-config",), "Default: vendors.toml in the current folder, if any",
              "Path | None", type=Path, metavar="PATH", convert=_vendors_file),
    RunOption("iou_threshold", ("--iou-threshold",), "a read's box matches a plate's box when their IoU is at least "
              f"this (recorded in the scorecard; rescore uses it). Default: {DEFAULT_IOU_THRESHOLD}", "float | None",
              type=fraction, metavar="IOU", resume=Resume(lambda o: o["iou_threshold"])),
    RunOption("strict", ("--strict",), "exit 1 when a requirement is not met (pytest: each requirement is a test "
              "item, so the exit status already says it)", "bool", action="store_true", default=False,
              cli_only=True),
    RunOption("connect_timeout", ("--connect-timeout",),
              "seconds to open a connection. Default: vendors.toml connect_timeout, else 5", "float | None",
              type=positive_float, metavar="S", group="network", resume=Resume(_transport("connect_timeout_s"))),
    RunOption("read_timeout", ("--read-timeout",),
              "seconds of silence allowed between reads. Default: vendors.toml read_timeout, else 30",
              "float | None", type=positive_float, metavar="S", group="network",
              resume=Resume(_transport("read_timeout_s"))),
    RunOption("total_timeout", ("--total-timeout",),
              "seconds per call, body included. Default: vendors.toml total_timeout, else 60", "float | None",
              type=positive_float, metavar="S", group="network", resume=Resume(_transport("total_timeout_s"))),
    RunOption("retries", ("--retries",),
              "send a failed call (transport, timeout, quota, 5xx) again up to N times; every attempt is "
              "journaled, the last one counts. Default: 0 (measure what the vendor did)", "int | None",
              type=non_negative_int, metavar="N", group="network",
              resume=Resume(lambda o: (o.get("retry") or {}).get("max_attempts", 1) - 1)),
    RunOption("scenarios", ("--scenario",), "repeatable. Default: the rubric's scenarios for this kind of vendor",
              "tuple[str, ...] | None", action="append", choices=SCENARIOS, group="load", convert=_tuple_or_none,
              resume=Resume(lambda o: o.get("scenarios", []), _wanted_scenarios, _scenario_list)),
    RunOption("load", ("--no-load",), "run no load scenario", "bool | None", action="store_false", group="load"),
    RunOption("target_qps", ("--target-qps",), "server scenario: Poisson arrival rate", "float | None",
              type=positive_float, metavar="QPS", group="load", resume=Resume(_load("target_qps"))),
    RunOption("duration_s", ("--duration",), "seconds per scenario", "float | None", type=positive_float,
              metavar="S", group="load", exclusive="load-stop", resume=Resume(_load("duration_s"))),
    RunOption("queries", ("--queries",), "queries per scenario", "int | None", type=positive_int, metavar="N",
              group="load", exclusive="load-stop", resume=Resume(_load("queries"))),
    RunOption("latency_bound_ms", ("--latency-bound-ms",),
              "latency bound for the rubric's percentile (MLPerf LoadGen early stopping decides if it held)",
              "float | None", type=positive_float, metavar="MS", group="load",
              resume=Resume(_load("latency_bound_ms"))),
    RunOption("seed", ("--seed",), "seed of the server scenario's arrival times (recorded)", "int | None",
              type=non_negative_int, metavar="N", group="load", resume=Resume(lambda o: o.get("seed"))),
    RunOption("privacy", ("--privacy",),
              "check the privacy controls where the vendor can be tested: reference (the harness starts its "
              "server on loopback), evalapi (its sandbox, with token_env). Default: on", "bool | None",
              action=argparse.BooleanOptionalAction, group="privacy"),
    RunOption("attestations", ("--attestations",),
              "vendor attestation file (TOML/JSON) for controls its API cannot demonstrate; ATTESTED is never a pass",
              "Path | None", type=Path, metavar="FILE", group="privacy"),
    RunOption("reference_flaws", ("--reference-flaw",),
              "start the reference vendor's server with this deliberate flaw (repeatable; for demonstrations)",
              "tuple[str, ...]", action="append", metavar="NAME", group="privacy", convert=_tuple),
    RunOption("privacy_budget", ("--privacy-budget",),
              "the exploration after the fixed controls (random action sequences judged by the policy model): "
              "N actions, Ss seconds or both (300,60s), whichever ends first; 0 turns it off. Default: 300,60s",
              "Budget | None", type=privacy_budget, metavar="BUDGET", group="privacy"),
    RunOption("privacy_seed", ("--privacy-seed",),
              "seed of the privacy traffic and exploration (recorded in the scorecard; give it again to reproduce). "
              "Default: a fresh one", "int | None", type=non_negative_int, metavar="N", group="privacy"),
    RunOption("bench", ("--bench",),
              "camera bench: a plan (run on the simulated bench in the run's folder: virtual camera, simulated "
              "edge device, collector) or the folder of a bench run with real cameras (scored); adds 'At the "
              "roadside' to the scorecard", "Path | None", type=Path, metavar="PLAN|DIR", group="bench",
              convert=_in_folder_optional, resume=Resume(lambda o: o.get("bench"), lambda r: None if r.bench is None else str(r.bench))),
    RunOption("perturb", ("--perturb",),
              "perturbation sweep NAME=L1,L2,... (repeatable): every sample is also sent perturbed at each level, "
              "e.g. blur=3,7,11 night=0.5,0.25 (operators: platebench perturb list). Default: the rubric's "
              "[perturb] sweeps, if any", "tuple[str, ...]", type=sweep_argument, action="append",
              metavar="NAME=L1,L2", group="robustness", convert=_tuple,
              resume=Resume(lambda o: o.get("perturb", []), lambda r: canonical_sweeps(r.perturb) or None, _sweep_list)),
    RunOption("perturb_seed", ("--perturb-seed",),
              "seed of the perturbations' random draws (the same seed makes the same images for every vendor, so "
              "they compare pairwise). Default: the rubric's [perturb] seed, else 0", "int | None",
              type=non_negative_int, metavar="N", group="robustness",
              resume=Resume(lambda o: o.get("perturb_seed"))),
    RunOption("probes", ("--probes",),
              "memorisation and caching probes after the accuracy pass (near-duplicates, a mirrored control and "
              "identical repeats of a random subset: 7 extra calls per probed image). Default: off", "bool | None",
              action=argparse.BooleanOptionalAction, group="robustness",
              resume=Resume(lambda o: (o.get("probes") or {}).get("enabled", False), lambda r: r.probes)),
    RunOption("probe_seed", ("--probe-seed",),
              "seed of the probes' subset and variants (recorded; give it again to reproduce). Default: a fresh one",
              "int | None", type=non_negative_int, metavar="N", group="robustness",
              resume=Resume(lambda o: (o.get("probes") or {}).get("seed"))),
    RunOption("canary_seed", ("--canary-seed",),
              "the secret seed the corpus's published copy was made with (platebench corpus publish): the altered-"
              "label probe checks whether the vendor answers the published, altered labels. Recorded in the "
              "journal only, never in the scorecard. Default: no altered-label probe", "int | None",
              type=non_negative_int, metavar="N", group="robustness"),
)
"""Every run option. The privacy options are compared on resume as one plan (``runner.run``), not row by row."""

RUNNER_SETTINGS: tuple[tuple[str, str, Any], ...] = (
    ("top_n", "int", DEFAULT_TOP_N),
    ("min_free_bytes", "int", MIN_FREE_BYTES),
)
"""(attribute, annotation, default) of :class:`RunRequest` attributes no command-line option sets."""


def _request_fields(rows: Iterable[RunOption]) -> list[tuple[str, str, Any]]:
    return [(row.field, row.annotation, field() if row.required else field(default=row.request_default))
            for row in rows]


RunRequest = dataclasses.make_dataclass(
    "RunRequest",
    [*_request_fields(RUN_OPTIONS), *((name, annotation, field(default=default))
                                      for name, annotation, default in RUNNER_SETTINGS)],
)
RunRequest.__module__ = __name__
RunRequest.__doc__ = (
    "What the user asked for: one attribute per row of RUN_OPTIONS (same name, type and default), "
    "plus RUNNER_SETTINGS. Build it with request_from() from parsed options, or by keyword in code."
)


def add_to_argparse(parser: argparse.ArgumentParser) -> None:
    """Add every run option to ``platebench run``'s parser, in argparse groups and exclusive sets."""
    groups: dict[str, Any] = {"": parser}
    exclusive: dict[str, Any] = {}
    for row in RUN_OPTIONS:
        if row.group not in groups:
            groups[row.group] = parser.add_argument_group(GROUPS[row.group])
        target = groups[row.group]
        if row.exclusive is not None:
            if row.exclusive not in exclusive:
                exclusive[row.exclusive] = target.add_mutually_exclusive_group()
            target = exclusive[row.exclusive]
        kwargs = row.parser_kwargs()
        if row.required:
            kwargs["required"] = True
        target.add_argument(*row.flags, **kwargs)


def add_to_pytest(group: Any) -> None:
    """Add the run options to pytest's ``platebench`` option group (``parser.getgroup(...)``)."""
    for row in RUN_OPTIONS:
        if row.cli_only:
            continue
        group.addoption(*row.flags, **row.parser_kwargs())


def request_from(values: Mapping[str, Any], cwd: Path, *, pytest: bool = False) -> Any:
    """The :class:`RunRequest` of parsed option values (by attribute name), checked with :func:`check_request`.

    ``cwd`` is the folder the command was started in: relative paths are taken from there. With ``pytest``,
    the ``cli_only`` rows keep their defaults (pytest's own options may use the same names)."""
    kwargs: dict[str, Any] = {}
    for row in RUN_OPTIONS:
        value = row.default if pytest and row.cli_only else values.get(row.field, row.default)
        kwargs[row.field] = row.convert(value, cwd) if row.convert else value
    request = RunRequest(**kwargs)
    check_request(request)
    return request


def check_request(request: Any) -> None:
    """Raise :class:`OptionError` when a value breaks its row's parser, or options of one exclusive set meet.

    The parsers already ran for values from a command line; this also covers requests built in code."""
    given_in: dict[str, list[str]] = {}
    for row in RUN_OPTIONS:
        value = getattr(request, row.field)
        if value is None or value == row.request_default:
            continue
        if row.exclusive is not None:
            given_in.setdefault(row.exclusive, []).append(row.flag)
        if row.type is not None and row.type is not Path:
            for item in value if row.action == "append" else (value,):
                if not isinstance(item, str | int | float):  # already parsed (e.g. a Budget): nothing to re-check
                    continue
                try:
                    row.type(str(item))
                except argparse.ArgumentTypeError as exc:
                    raise OptionError(f"{row.flag} {item}: {exc}") from None
        if row.choices is not None:
            bad = [v for v in (value if row.action == "append" else (value,)) if v not in row.choices]
            if bad:
                raise OptionError(f"{row.flag} {bad[0]}: choose from {', '.join(row.choices)}")
    for flags in given_in.values():
        if len(flags) > 1:
            raise OptionError(f"give {' or '.join(flags)}, not both")


def check_resume(request: Any, recorded_options: Mapping[str, Any], run_id: str) -> None:
    """Raise :class:`OptionError` when an option given again differs from what run ``run_id`` recorded."""
    for row in RUN_OPTIONS:
        if row.resume is None:
            continue
        given = row.resume.given(request) if row.resume.given else getattr(request, row.field)
        if given is None:
            continue
        recorded = row.resume.recorded(recorded_options)
        if given != recorded:
            describe = row.resume.describe
            raise OptionError(
                f"cannot resume run {run_id} with {row.flag} {describe(given)}: the run started with {describe(recorded)}"
            )
