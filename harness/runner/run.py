"""One evaluation run, start to scorecard: prepare (validate everything), call, journal, score, write.

:func:`prepare` does every check that can fail on a user's mistake (unknown vendor, bad
``vendors.toml``, missing credential, invalid corpus or rubric, a journal that belongs to another
run) before the first call, raising :class:`RunError`. :func:`execute` makes the calls, journaling
each, then writes ``scorecard.json`` and ``scorecard.md`` beside the journal. :func:`rescore`
rebuilds the scorecard from a finished journal and the corpus without calling the vendor.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from harness import __version__
from harness.calls.pool import CallPool, PoolStartError
from harness.calls.single import HarnessFault, utc_now
from harness.corpus.model import Corpus, CorpusError, Sample
from harness.durable import write_atomic
from harness.load.plan import LoadPlan
from harness.metrics.spec import DEFAULT_IOU_THRESHOLD
from harness.options import DASK_SCHEME, EXECUTOR_LOCAL
from harness.outcome import CallOutcome
from harness.perturb.sweep import Sweep, parse_sweeps
from harness.perturb.targets import DerivedTarget, Job, derived_targets, sweep_jobs
from harness.probes.plan import ProbePlan
from harness.report.markdown import render_markdown
from harness.rubric import Rubric, load_rubric
from harness.run_options import RunRequest, check_request, check_resume
from harness.runner import RunError
from harness.runner.conditions import ConditionsMeter
from harness.runner.executors import RunAborted, Strategy, choose_strategy
from harness.runner.executors import execute as execute_calls
from harness.runner.health import HealthGate, HealthGateTripped, diagnose
from harness.runner.journal import (
    JOURNAL_FILE,
    Journal,
    JournalContents,
    JournalError,
    JournalWriteError,
    read_journal,
)
from harness.runner.privacy_pass import (
    EVIDENCE_DIR,
    PrivacyPlan,
    adapter_conformance,
    plan_privacy,
    run_privacy_pass,
)
from harness.runner.progress import run_progress
from harness.scorecard.build import build_scorecard
from harness.scorecard.model import Scorecard
from harness.scorecard.provenance import machine_info
from harness.transport import RetryPolicy, TransportConfig
from harness.vendors_config import VendorSpec, resolve_vendor
from vendor_adapters.base import Adapter, HttpAdapter
from vendor_adapters.errors import VendorError

SCORECARD_JSON = "scorecard.json"
SCORECARD_MD = "scorecard.md"
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
BYTES_PER_SAMPLE = 16 * 1024
"""Room kept per sample on top of :data:`harness.runner.MIN_FREE_BYTES` (a journal record is ~0.5-2 KB; margin for retries)."""


@dataclass
class PreparedRun:
    """A validated run, ready to make its calls."""

    vendor: VendorSpec
    class_path: str
    adapter: Adapter
    corpus: Corpus
    rubric: Rubric
    run_dir: Path
    header: dict[str, Any]
    strategy: Strategy
    samples: list[Sample]
    """The samples this run covers (the corpus, or its first ``limit``)."""
    previous: JournalContents | None = None
    """On resume: what the journal already holds."""
    warnings: list[str] = field(default_factory=list)
    privacy: PrivacyPlan | None = None
    """How the privacy controls are checked after the calls; ``None``: they are not."""
    load: LoadPlan | None = None
    """The load scenarios run after the calls; ``None``: none."""
    retry_failed: bool = False
    """On resume: send the samples whose last call failed again."""
    bench: Path | None = None
    """The camera bench (a plan to simulate or a recorded bench folder); ``None``: none."""
    executor: str = EXECUTOR_LOCAL
    """Where in-process engines run (``--executor``); a resume may use another than the run started on."""
    sweeps: tuple[Sweep, ...] = ()
    """Perturbation sweeps: every sample is also sent perturbed at each level (``results.robustness``)."""
    perturb_seed: int = 0
    probes: ProbePlan | None = None
    """The memorisation and caching probes, sent after the accuracy pass; ``None``: none."""

    def pending(self, call_id: str) -> bool:
        """Whether the call ``call_id`` is still to be made (see :attr:`todo`)."""
        if self.previous is None:
            return True
        done, extras = self.previous.outcomes, self.previous.extras
        return (call_id not in done or bool(extras.get(call_id, {}).get("retried"))
                or (self.retry_failed and not done[call_id].ok))

    def derived_work(self) -> tuple[list[tuple[Sample, list[Job]]], list[tuple[Sample, list[Job]]]]:
        """The sweep calls and the probe calls still to make, by source sample (sample order)."""
        sweeps = [(s, [j for j in sweep_jobs(s, self.sweeps) if self.pending(j.id)]) for s in self.samples]
        probes = [(s, [j for j in self.probes.jobs(s) if self.pending(j.id)])
                  for s in self.probes.chosen(self.samples)] if self.probes else []
        return sweeps, probes

    def derived_total(self) -> int:
        """Derived calls of the whole run (made or not)."""
        return (len(self.samples) * sum(len(s.levels) for s in self.sweeps)
                + (len(self.probes.chosen(self.samples)) * len(self.probes.jobs(self.samples[0])) if self.probes and self.samples else 0))

    @property
    def journal_path(self) -> Path:
        return self.run_dir / JOURNAL_FILE

    @property
    def todo(self) -> list[Sample]:
        """Samples without a final journaled call (none yet, or a retry still due when the run stopped),
        and, with :attr:`retry_failed`, those whose last call failed."""
        return [s for s in self.samples if self.pending(s.id)]


@dataclass
class RunResult:
    """A finished run's files and scorecard."""

    run_dir: Path
    scorecard_path: Path
    markdown_path: Path
    journal_path: Path
    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def evidence_dir(self) -> Path | None:
        """The privacy suite's evidence bundle, when the run has one."""
        folder = self.run_dir / EVIDENCE_DIR
        return folder if (folder / "MANIFEST.sha256").is_file() else None


def new_run_id() -> str:
    """UTC timestamp plus a short random suffix, e.g. ``20250101T120000Z-3fa9c1``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def load_corpus_checked(path: Path) -> Corpus:
    """Load and validate a corpus, turning its problems into a :class:`RunError`."""
    from harness.corpus.validate import load_corpus

    try:
        return load_corpus(path)
    except CorpusError as exc:
        raise RunError(f"corpus {path}: {exc}") from None


def default_corpus() -> Path:
    """The synthetic default corpus (generated into the cache on first use, saying so on stderr from
    the first image)."""
    from harness.corpus.synth import default_corpus_path, progress_lines

    return default_corpus_path(progress=progress_lines(sys.stderr))


def prepare(request: RunRequest) -> PreparedRun:
    """Validate everything and build the adapter; no image is sent. Raises :class:`RunError`."""
    check_request(request)  # requests built in code; the command lines parsed theirs already
    if request.retry_failed and not request.resume:
        raise RunError("--retry-failed goes with --resume RUN_ID: it sends a stopped run's failed samples again")
    vendor = resolve_vendor(request.vendor, request.vendors_file)
    class_path = vendor.class_path
    adapter = vendor.create()  # ConfigurationError: missing credential, bad option...
    try:
        if adapter.capabilities.kind == "camera":
            raise RunError(f"vendor {request.vendor!r} sells cameras with no image API: score it at the roadside "
                           "with `platebench bench` (docs/bench.md)")
        if request.resume:
            return _prepare_resume(request, vendor, class_path, adapter)
        return _prepare_new(request, vendor, class_path, adapter)
    except BaseException:
        adapter.close()
        raise


def _vendor_info(adapter: Adapter, name: str) -> dict[str, Any]:
    try:
        info = adapter.info()
    except VendorError as exc:
        raise RunError(f"vendor {name!r} did not answer its service-info call ({exc.kind}: {exc.message})") from None
    return {
        "vendor": info.vendor,
        "product": info.product,
        "version": info.version,
        "declared_threshold": info.declared_threshold,
    }


def check_output_dir(folder: Path, need_bytes: int) -> None:
    """Fail before any vendor call when ``folder`` cannot hold a run: not a folder, not writable, or
    short of space. Creates ``folder`` (and its parents) when missing."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".platebench-write-test-{os.getpid()}"
        with open(probe, "wb") as fh:
            fh.write(b"platebench")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        reason = {errno.ENOTDIR: "a path component is a file, not a folder",
                  errno.EEXIST: "it exists and is not a folder",
                  errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                  errno.EROFS: "the file system is read-only",
                  errno.ENOSPC: "no space left on the device"}.get(exc.errno, exc.strerror or str(exc))
        raise RunError(f"cannot write to the scorecard folder {folder}: {reason}; choose another with --scorecard-dir") from None
    free = shutil.disk_usage(folder).free
    if free < need_bytes:
        raise RunError(
            f"the scorecard folder {folder} has {free / 2**20:.1f} MiB free; a run needs at least "
            f"{need_bytes / 2**20:.1f} MiB (journal, scorecard, evidence). Free some space or choose another "
            "folder with --scorecard-dir"
        )


def _need_bytes(request: RunRequest, samples: int) -> int:
    return request.min_free_bytes + BYTES_PER_SAMPLE * samples


def _transport(request: RunRequest, vendor: VendorSpec) -> TransportConfig:
    """Time-outs: command line, else ``vendors.toml``, else the transport's defaults."""
    values = dict(vendor.transport)
    for name, given in (("connect_timeout_s", request.connect_timeout), ("read_timeout_s", request.read_timeout),
                        ("total_timeout_s", request.total_timeout)):
        if given is not None:
            values[name] = given
    return TransportConfig(**values)


def _retry(retries: int | None) -> RetryPolicy:
    return RetryPolicy(max_attempts=1 + (retries or 0))


def _plan_load(request: RunRequest, rubric: Rubric, adapter: Adapter, strategy: Strategy) -> LoadPlan | None:
    """The load scenarios: the user's options over the rubric's ``[load]`` defaults for this kind of vendor."""
    if request.load is False:
        return None
    network = strategy.mode == "async"
    defaults = rubric.load.settings(network)
    scenarios = request.scenarios if request.scenarios is not None else defaults.scenarios
    if not scenarios:
        return None
    queries = request.queries if request.queries is not None else (None if request.duration_s else defaults.queries)
    duration = request.duration_s if request.duration_s is not None else (None if request.queries else defaults.duration_s)
    try:
        return LoadPlan(
            scenarios=tuple(dict.fromkeys(scenarios)),
            target_qps=request.target_qps or defaults.target_qps,
            duration_s=duration,
            queries=queries,
            concurrency=request.concurrency or defaults.concurrency or strategy.concurrency,
            latency_bound_ms=request.latency_bound_ms or defaults.latency_bound_ms,
            percentile=rubric.load.percentile,
            seed=request.seed if request.seed is not None else rubric.load.seed,
            transport=strategy.transport,
            retry=strategy.retry,
        )
    except ValueError as exc:
        kind = "network vendors" if network else "local engines"
        raise RunError(f"load scenarios: {exc} (rubric {rubric.name!r} [load] for {kind}, or the command line)") from None


def _options(request: RunRequest, strategy: Strategy, load: LoadPlan | None, adapter: Adapter,
             robustness: tuple[tuple[Sweep, ...], int, ProbePlan | None]) -> dict[str, Any]:
    network = isinstance(adapter, HttpAdapter)
    sweeps, perturb_seed, probes = robustness
    return {
        "limit": request.limit,
        "concurrency": strategy.concurrency,
        "iou_threshold": DEFAULT_IOU_THRESHOLD if request.iou_threshold is None else request.iou_threshold,
        "top_n": request.top_n,
        "timing": strategy.timing,
        "scenarios": list(load.scenarios) if load else [],
        "seed": load.seed if load else None,
        "transport": strategy.transport.to_json() if network else None,
        "retry": strategy.retry.to_json() if network else None,
        "load": _plan_json(load),
        "bench": None if request.bench is None else str(request.bench),
        "perturb": [sweep.text for sweep in sweeps],
        "perturb_seed": perturb_seed if sweeps else None,
        "probes": None if probes is None else probes.to_json(),
    }


def _plan_robustness(request: RunRequest, rubric: Rubric) -> tuple[tuple[Sweep, ...], int, ProbePlan | None]:
    """The sweeps (``--perturb``, else the rubric's ``[perturb]``), their seed, and the probes (``--probes``)."""
    if request.canary_seed is not None and not request.probes:
        raise RunError("--canary-seed goes with --probes: it is the secret of the altered-label probe")
    if request.probe_seed is not None and not request.probes:
        raise RunError("--probe-seed goes with --probes")
    sweeps = parse_sweeps(request.perturb or rubric.perturb.sweeps)
    seed = request.perturb_seed if request.perturb_seed is not None else (rubric.perturb.seed or 0)
    probes = None
    if request.probes:
        probes = ProbePlan(request.probe_seed if request.probe_seed is not None else secrets.randbelow(2**31))
    return sweeps, seed, probes


def _plan_json(load: LoadPlan | None) -> dict[str, Any] | None:
    """The load plan as recorded (transport and retry are recorded once, beside it)."""
    if load is None:
        return None
    return {k: v for k, v in load.to_json().items() if k not in ("transport", "retry")}


def _plan_from_json(data: dict[str, Any] | None, strategy: Strategy) -> LoadPlan | None:
    if not data:
        return None
    fields = {k: (tuple(v) if k == "scenarios" else v) for k, v in data.items()}
    return LoadPlan(**fields, transport=strategy.transport, retry=strategy.retry)


def _prepare_new(request: RunRequest, vendor: VendorSpec, class_path: str, adapter: Adapter) -> PreparedRun:
    corpus_path = request.corpus_path or default_corpus()
    corpus = load_corpus_checked(corpus_path)
    rubric = load_rubric(request.rubric_path)
    strategy = choose_strategy(adapter, _concurrency(request, adapter), _transport(request, vendor),
                               _retry(request.retries))
    load = _plan_load(request, rubric, adapter, strategy)
    robustness = _plan_robustness(request, rubric)
    privacy = _plan_privacy(request, vendor, adapter)
    if request.bench is not None:
        from harness.bench.run_pass import check_bench_argument  # the bench's stack only when asked for

        check_bench_argument(request.bench)
    samples = list(corpus.samples[: request.limit])
    check_output_dir(request.scorecard_dir, _need_bytes(request, len(samples)))
    run_id = new_run_id()
    header = {
        "run_id": run_id,
        "vendor": vendor.name,
        "adapter": {
            "name": vendor.name,
            "adapter": vendor.adapter,
            "class_path": class_path,
            "kind": adapter.capabilities.kind,
        },
        "vendor_info": _vendor_info(adapter, vendor.name),
        "corpus": {
            "name": corpus.name,
            "path": str(Path(corpus_path).resolve()),
            "format": corpus.format,
            "manifest_sha256": corpus.manifest_sha256,
            "samples": len(corpus),
        },
        "rubric": {"name": rubric.name, "path": str(rubric.path.resolve()), "sha256": rubric.sha256},
        "options": _options(request, strategy, load, adapter, robustness),
        "canary_seed": request.canary_seed,
        "privacy": None if privacy is None else privacy.to_header(),
        "machine": machine_info().model_dump(mode="json"),
        "executor": request.executor,
        "platebench_version": __version__,
        "started_at": utc_now(),
    }
    return PreparedRun(
        vendor=vendor,
        class_path=class_path,
        adapter=adapter,
        corpus=corpus,
        rubric=rubric,
        run_dir=request.scorecard_dir / vendor.name / run_id,
        header=header,
        strategy=strategy,
        samples=samples,
        privacy=privacy,
        load=load,
        bench=request.bench,
        executor=request.executor,
        sweeps=robustness[0],
        perturb_seed=robustness[1],
        probes=robustness[2],
    )


def _concurrency(request: RunRequest, adapter: Adapter) -> int | None:
    """Calls in flight: the option, else (an engine on an existing Dask cluster) the cluster's worker
    threads, else the strategy's default for the adapter."""
    if request.concurrency is not None or not request.executor.startswith(DASK_SCHEME) \
            or not adapter.capabilities.cpu_bound:
        return request.concurrency
    from harness.calls.dask_pool import cluster_width

    try:
        return cluster_width(request.executor)
    except PoolStartError as exc:
        raise RunError(str(exc)) from None


def open_pool(prepared: PreparedRun, workers: int) -> CallPool:
    """The run's pool on its executor: this machine's processes, or a Dask cluster's workers."""
    factory = prepared.vendor.factory()
    if prepared.executor == EXECUTOR_LOCAL:
        return CallPool(factory, prepared.adapter, workers)
    from harness.calls.dask_pool import DaskCallPool

    return DaskCallPool(factory, prepared.adapter, workers, prepared.executor)


def _plan_privacy(request: RunRequest, vendor: VendorSpec, adapter: Adapter) -> PrivacyPlan | None:
    return plan_privacy(
        enabled=request.privacy is not False, adapter=adapter, vendor=vendor.name,
        reference_flaws=request.reference_flaws, attestations=request.attestations,
        budget=request.privacy_budget, seed=request.privacy_seed,
    )


def _resumed_privacy(request: RunRequest, vendor: VendorSpec, adapter: Adapter,
                     header: dict[str, Any]) -> PrivacyPlan | None:
    """The privacy plan the run recorded; privacy options given again must say the same."""
    recorded = PrivacyPlan.from_header(header.get("privacy"))
    if request.privacy is not None or request.reference_flaws or request.attestations \
            or request.privacy_budget is not None or request.privacy_seed is not None:
        wanted = _plan_privacy(request, vendor, adapter)
        if (wanted and wanted.to_header()) != (recorded and recorded.to_header()):
            raise RunError(
                f"cannot resume run {header['run_id']} with other privacy options: it started with "
                + (_describe(recorded) if recorded else "--no-privacy")
            )
    if recorded is not None:
        recorded.attestations()  # the file must still be there, unchanged
    return recorded


def _describe(plan: PrivacyPlan) -> str:
    flaws = "".join(f" --reference-flaw {f}" for f in plan.reference_flaws)
    attested = f" --attestations {plan.attestations_path}" if plan.attestations_path else ""
    return f"--privacy{flaws}{attested}"


def _prepare_resume(request: RunRequest, vendor: VendorSpec, class_path: str, adapter: Adapter) -> PreparedRun:
    run_id = request.resume or ""
    if not _RUN_ID.match(run_id):
        raise RunError(f"--resume {run_id!r} is not a run id (they look like 20250101T120000Z-3fa9c1)")
    run_dir = request.scorecard_dir / vendor.name / run_id
    try:
        previous = read_journal(run_dir / JOURNAL_FILE)
    except JournalError as exc:
        raise RunError(f"cannot resume run {run_id}: {exc}") from None
    header = previous.header
    recorded = header.get("adapter", {})
    if header.get("vendor") != vendor.name or recorded.get("class_path") != class_path:
        raise RunError(
            f"cannot resume run {run_id}: it was made with vendor {header.get('vendor')!r} "
            f"({recorded.get('class_path')}), not {vendor.name!r} ({class_path})"
        )
    corpus_path = request.corpus_path or Path(header["corpus"]["path"])
    corpus = load_corpus_checked(corpus_path)
    if corpus.manifest_sha256 != header["corpus"]["manifest_sha256"]:
        raise RunError(
            f"cannot resume run {run_id}: corpus {corpus_path} (manifest sha256 {corpus.manifest_sha256[:16]}...) "
            f"is not the corpus the run started on ({header['corpus']['manifest_sha256'][:16]}...)"
        )
    options = header["options"]
    check_resume(request, options, run_id)
    transport = options.get("transport") or {}
    retry = options.get("retry") or {}
    load = options.get("load") or {}
    rubric_path = request.rubric_path or Path(header["rubric"]["path"])
    strategy = choose_strategy(
        adapter, options["concurrency"],
        TransportConfig(**transport) if transport else None,
        RetryPolicy(**{**retry, "retry_kinds": tuple(retry["retry_kinds"])}) if retry else None,
    )
    samples = list(corpus.samples[: options["limit"]])
    check_output_dir(run_dir, _need_bytes(request, len(samples)))
    if request.canary_seed is not None and request.canary_seed != header.get("canary_seed"):
        raise RunError(f"cannot resume run {run_id} with another --canary-seed than it started with")
    return PreparedRun(
        vendor=vendor,
        class_path=class_path,
        adapter=adapter,
        corpus=corpus,
        rubric=load_rubric(rubric_path),
        run_dir=run_dir,
        header=header,
        strategy=strategy,
        samples=samples,
        previous=previous,
        warnings=list(previous.warnings),
        privacy=_resumed_privacy(request, vendor, adapter, header),
        load=_plan_from_json(load, strategy),
        retry_failed=request.retry_failed,
        bench=Path(options["bench"]) if options.get("bench") else None,
        executor=request.executor,
        sweeps=parse_sweeps(options.get("perturb", [])),
        perturb_seed=options.get("perturb_seed") or 0,
        probes=ProbePlan.from_json(options.get("probes")),
    )


def execute(prepared: PreparedRun, *, progress_stream: IO[str] | None = None) -> RunResult:
    """Make every outstanding call (journaling each), run the load scenarios and the privacy pass,
    then write the scorecard files.

    A journal that cannot be written (disk full, I/O error) stops the run with a :class:`RunError`
    saying so; the journal then ends with its last whole record and the run can be resumed."""
    outcomes: dict[str, CallOutcome] = dict(prepared.previous.outcomes) if prepared.previous else {}
    todo = prepared.todo
    resume_hint = f"resume with --resume {prepared.header['run_id']}"
    try:
        if prepared.previous is None:
            journal = Journal.create(prepared.journal_path, prepared.header)
        else:
            journal = Journal.reopen(prepared.journal_path, prepared.previous.good_bytes)
            journal.append({"type": "resume", "at": utc_now(), "remaining": len(todo), "executor": prepared.executor})
    except JournalWriteError as exc:
        prepared.adapter.close()
        raise RunError(f"{exc}; nothing was sent") from None
    label = f"{prepared.vendor.name} on {prepared.corpus.name}"
    sweep_work, probe_work = prepared.derived_work()
    extra_todo = sum(len(jobs) for _, jobs in [*sweep_work, *probe_work])
    derived: dict[str, dict[str, Any]] = prepared.previous.derived if prepared.previous else {}
    pool = open_pool(prepared, min(prepared.strategy.concurrency, max(1, len(todo) + extra_todo)))  # no idle worker loading an engine
    gate = HealthGate()
    total = len(prepared.samples) + prepared.derived_total()
    try:
        with run_progress(total, total - len(todo) - extra_todo, label, progress_stream) as bar:
            sent = 0

            def record(outcome: CallOutcome, extra: dict[str, Any]) -> None:
                nonlocal sent
                for lost in pool.lost_attempts():  # calls under way on a lost Dask worker, run again
                    journal.append(lost)
                fields = {"derived": derived[outcome.sample_id]} if outcome.sample_id in derived else {}
                journal.append_outcome(outcome, **extra, **fields)
                outcomes[outcome.sample_id] = outcome
                sent += 1
                if not extra.get("retried"):
                    bar.advance(outcome.ok)
                    gate.observe(outcome)

            def registered(targets: Iterable[DerivedTarget]) -> Iterator[DerivedTarget]:
                for target in targets:
                    derived[target.id] = target.journal_fields()["derived"]
                    yield target

            meter = ConditionsMeter.start()
            calls = itertools.chain(todo, registered(derived_targets(sweep_work, prepared.perturb_seed)))
            stats = execute_calls(prepared.strategy, pool, calls, record)
            if prepared.probes is not None:  # after every original was answered (the caching probes need it)
                probes = registered(derived_targets(probe_work, prepared.probes.seed))
                stats.reused_resent += execute_calls(prepared.strategy, pool, probes, record).reused_resent
            for lost in pool.lost_attempts():
                journal.append(lost)
            conditions = meter.record(sent)
            journal.append(conditions)
        if stats.reused_resent:
            journal.append({"type": "connections", "reused_resent": stats.reused_resent})
        problem = diagnose(outcomes.values())
        if problem is not None:  # no load scenario, privacy pass or scorecard on a red gate
            raise HealthGateTripped(problem)
        found = adapter_conformance(prepared.adapter)
        if found is not None:
            journal.append({"type": "conformance", "failures": found})
        recorded = prepared.previous.conformance if prepared.previous else None
        conformance = None if found is None and recorded is None else [*(recorded or []), *(found or [])]
        load = prepared.previous.load if prepared.previous else None
        if prepared.load is not None and load is None:
            load = {"type": "load", "plan": _plan_json(prepared.load),
                    "results": _run_load(prepared, pool, progress_stream)}
            journal.append(load)
        privacy = prepared.previous.privacy if prepared.previous else None
        if prepared.privacy is not None and privacy is None:
            privacy = {"type": "privacy", **run_privacy_pass(prepared.privacy, prepared.adapter, prepared.run_dir,
                                                             progress_stream)}
            journal.append(privacy)
        bench = prepared.previous.bench if prepared.previous else None
        if prepared.bench is not None and bench is None:
            bench = _run_bench(prepared, progress_stream)
            journal.append(bench)
        ended_at = utc_now()
        journal.append({"type": "end", "at": ended_at})
    except HealthGateTripped as exc:
        raise RunError(
            f"run stopped: {exc}. No scorecard was written; the journal keeps every call. After the fix, "
            f"send the failed samples again with --resume {prepared.header['run_id']} --retry-failed"
        ) from None
    except RunAborted as exc:
        raise RunError(f"{exc}; the journal keeps every finished call: {resume_hint}") from None
    except JournalWriteError as exc:
        raise RunError(
            f"{exc}. The run stopped; the journal keeps every call recorded before this one. "
            f"Free space (or fix the folder), then {resume_hint}"
        ) from None
    finally:
        pool.close()
        journal.close()
        prepared.adapter.close()
    document = build_scorecard(
        header=prepared.header,
        corpus=prepared.corpus,
        samples=prepared.samples,
        outcomes=outcomes,
        rubric=prepared.rubric,
        ended_at=ended_at,
        resumed=prepared.previous is not None,
        privacy=privacy,
        conformance=_with_sandbox_findings(conformance, privacy),
        load=load["results"] if load else None,
        roadside=bench["section"] if bench else None,
        conditions={k: v for k, v in conditions.items() if k != "type"},
        derived=derived,
    )
    return _write(prepared.run_dir, document, prepared.warnings)


def _run_bench(prepared: PreparedRun, progress_stream: IO[str] | None) -> dict[str, Any]:
    """The camera bench stage (see :mod:`harness.bench.run_pass`)."""
    from harness.bench.run_pass import BenchError, run_bench_pass

    assert prepared.bench is not None
    if progress_stream is not None:
        print(f"camera bench: {prepared.bench}", file=progress_stream, flush=True)
    try:
        return run_bench_pass(prepared.bench, prepared.run_dir, prepared.corpus.by_id())
    except BenchError as exc:
        raise RunAborted(str(exc)) from None


def _run_load(prepared: PreparedRun, pool: CallPool, progress_stream: IO[str] | None) -> list[dict[str, Any]]:
    """The load scenarios of ``prepared`` through the run's pool (see :mod:`harness.runner.load_pass`)."""
    from concurrent.futures import BrokenExecutor

    from harness.runner.load_pass import run_load_pass

    plan = prepared.load
    assert plan is not None
    if progress_stream is not None:
        what = plan.duration_s and f"{plan.duration_s:g} s" or f"{plan.queries} queries"
        print(f"load: {', '.join(plan.scenarios)} ({what} each)", file=progress_stream, flush=True)
    try:
        entries = run_load_pass(plan, pool, prepared.samples)
    except (BrokenExecutor, PoolStartError):
        raise RunAborted(f"the worker processes could not build the adapter {prepared.class_path} for the load scenarios") from None
    except HarnessFault as exc:
        raise RunAborted(f"the harness failed in the load scenarios, not the vendor: {exc}") from None
    interval = prepared.adapter.client_rate_limit()
    for item in entries:
        if interval and item["scenario"] == "server" and item["target_qps"] and item["target_qps"] * interval > 1:
            item["warnings"].append(
                f"the target rate {item['target_qps']:g}/s is above the rate this vendor is configured to accept "
                f"({1 / interval:g}/s): queries beyond it may be refused (quota)"
            )
    return entries


def rescore(run_dir: Path, *, corpus_path: Path | None = None, rubric_path: Path | None = None) -> RunResult:
    """Rebuild a finished run's scorecard from its journal and corpus; the vendor is not called."""
    try:
        contents = read_journal(run_dir / JOURNAL_FILE)
    except JournalError as exc:
        raise RunError(f"cannot rescore {run_dir}: {exc}") from None
    header = contents.header
    corpus = load_corpus_checked(corpus_path or Path(header["corpus"]["path"]))
    if corpus.manifest_sha256 != header["corpus"]["manifest_sha256"]:
        raise RunError(f"cannot rescore {run_dir}: the corpus's manifest sha256 differs from the run's")
    samples = list(corpus.samples[: header["options"]["limit"]])
    missing = [s.id for s in samples if s.id not in contents.outcomes or contents.extras.get(s.id, {}).get("retried")]
    if missing:
        raise RunError(
            f"cannot rescore {run_dir}: the run is unfinished ({len(missing)} of {len(samples)} samples have no "
            f"call recorded); finish it with --resume {header['run_id']}"
        )
    rubric = load_rubric(rubric_path or Path(header["rubric"]["path"]))
    last_call = max((o.started_at for o in contents.outcomes.values()), default=header["started_at"])
    document = build_scorecard(
        header=header,
        corpus=corpus,
        samples=samples,
        outcomes=contents.outcomes,
        rubric=rubric,
        ended_at=contents.ended_at or last_call,
        resumed=contents.resumes > 0,
        privacy=contents.privacy,
        conformance=_with_sandbox_findings(contents.conformance, contents.privacy),
        load=contents.load["results"] if contents.load else None,
        roadside=contents.bench["section"] if contents.bench else None,
        conditions=contents.conditions,
        derived=contents.derived,
    )
    return _write(run_dir, document, contents.warnings)


def _with_sandbox_findings(
    calls: list[dict[str, Any]] | None, privacy: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    """``results.conformance``: the calls' findings, then the privacy sandbox's (``None`` if neither applies)."""
    sandbox = privacy.get("conformance") if privacy else None
    if calls is None and sandbox is None:
        return None
    return [*(calls or []), *(sandbox or [])]


def _write(run_dir: Path, document: dict[str, Any], warnings: list[str]) -> RunResult:
    scorecard = run_dir / SCORECARD_JSON
    markdown = run_dir / SCORECARD_MD
    try:
        write_atomic(scorecard, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        write_atomic(markdown, render_markdown(Scorecard.model_validate(document)))
    except OSError as exc:
        raise RunError(
            f"cannot write the scorecard in {run_dir}: {exc.strerror or exc}. The journal is complete: free space, "
            f"then rebuild the scorecard with: platebench rescore {run_dir}"
        ) from None
    return RunResult(run_dir, scorecard, markdown, run_dir / JOURNAL_FILE, document, warnings)


def run(request: RunRequest, *, progress_stream: IO[str] | None = None) -> RunResult:
    """:func:`prepare` then :func:`execute`."""
    return execute(prepare(request), progress_stream=progress_stream or sys.stderr)
