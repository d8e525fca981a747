"""Assembling a scorecard from a run's journal contents, its corpus and its rubric (no vendor needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness import __version__
from harness.corpus.model import Corpus, Sample
from harness.metrics import sample_verdict, score_accuracy, score_latency
from harness.metrics.latency import latency_summary
from harness.outcome import CallOutcome
from harness.rubric import Conditions, Rubric, breaking_points, judge
from harness.scorecard.integrity import seal
from harness.scorecard.model import (
    AdapterRef,
    CorpusRef,
    Machine,
    PrivacyCheck,
    Provenance,
    RubricRef,
    RunConditions,
    RunOptions,
    Scorecard,
    ScorecardBody,
    VendorRef,
)
from harness.scorecard.provenance import git_info, machine_info


def latency_results(
    accuracy_pass: Mapping[str, Any], in_flight: int, load: Sequence[Mapping[str, Any]] | None
) -> dict[str, Any]:
    """``results.latency``: the accuracy pass as timed (``in_flight`` calls at once), and
    single-stream latency from a measurement with exactly one call in flight, if any: the accuracy
    pass itself when it ran one at a time, else the single-stream load scenario."""
    section: dict[str, Any] = {"accuracy_pass": {**accuracy_pass, "in_flight": in_flight}}
    scenario = next((s for s in load or () if s["scenario"] == "single-stream"), None)
    if in_flight == 1:
        section["single_stream"] = {**accuracy_pass, "source": "accuracy-pass"}
    elif scenario is not None and scenario.get("n"):
        section["single_stream"] = {
            "client_ms": series_from_scenario(scenario),
            "vendor_ms": latency_summary([]),
            "source": "single-stream-scenario",
        }
    return section


def series_from_scenario(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """A load scenario's percentiles as a latency series (no bootstrap intervals, no distribution sketch)."""
    lat = scenario["latency_ms"]
    figures = {k: lat.get(k) for k in ("mean", "min", "p50", "p90", "p95", "p99", "max")}
    return {
        **latency_summary([]),
        **figures,
        "n": scenario["n"],
        "percentile_method": "nearest-rank, single-stream load scenario",
        "ci_method": "none",
    }


def build_scorecard(
    *,
    header: Mapping[str, Any],
    corpus: Corpus,
    samples: Sequence[Sample],
    outcomes: Mapping[str, CallOutcome],
    rubric: Rubric,
    ended_at: str,
    resumed: bool,
    privacy: Mapping[str, Any] | None = None,
    conformance: Sequence[Mapping[str, Any]] | None = None,
    load: Sequence[Mapping[str, Any]] | None = None,
    roadside: Mapping[str, Any] | None = None,
    conditions: Mapping[str, Any] | None = None,
    derived: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The sealed scorecard document of a run.

    ``header`` is the journal header (adapter, vendor, options, start time); ``samples`` the
    samples the run covers (the corpus, or its first ``limit``), each with an outcome in ``outcomes``.
    ``privacy`` is the privacy pass's journal record (``check`` goes to ``provenance.privacy``,
    ``section`` to ``results.privacy``, before the rubric is judged); ``conformance`` the
    spec-conformance findings (``results.conformance``), for adapters that speak the RFP API;
    ``load`` the load scenarios' entries (``results.load``), when any ran; ``roadside`` the camera
    bench's section (``results.roadside``, :func:`harness.bench.section.roadside_section`), when one ran.
    ``load`` the load scenarios' entries (``results.load``), when any ran; ``conditions`` the machine's
    load and CPU time per image during the accuracy pass (``provenance.conditions``; requirements on
    the latency of an engine on an overloaded machine are not judged, see :func:`harness.rubric.judge`).
    ``derived`` holds, by call id, the source sample and recipe of every derived call (perturbation sweeps,
    probes: ``results.robustness``, ``results.probes``); ``outcomes`` holds their outcomes too.
    The machine is the one that made the calls (from the header); the platebench version and git
    commit are those of the software that computed the figures (the same, unless re-scored later).
    """
    options = header["options"]
    vendor = header["vendor_info"]
    pairs = [(s, outcomes[s.id]) for s in samples]
    ordered = [o for _, o in pairs]
    accuracy = score_accuracy(
        pairs,
        iou_threshold=options["iou_threshold"],
        declared_threshold=vendor.get("declared_threshold"),
        top_n=options["top_n"],
    )
    results: dict[str, Any] = {
        "accuracy": accuracy,
        "latency": latency_results(score_latency(ordered), options["concurrency"], load),
    }
    if load is not None:
        results["load"] = [dict(entry) for entry in load]
    if roadside is not None:
        results["roadside"] = dict(roadside)
    if privacy is not None:
        results["privacy"] = privacy["section"]
    if conformance is not None:
        results["conformance"] = list(conformance)
    results.update(_robustness_results(header, corpus, samples, outcomes, derived or {}, accuracy))
    machine = Machine(**header["machine"]) if "machine" in header else machine_info()
    run_conditions = RunConditions(**conditions) if conditions else None
    loads = [v for k, v in (conditions or {}).items() if k.startswith("load_average") and v is not None]
    judged = Conditions(
        network=header["adapter"]["kind"] == "http", load_per_core=max(loads) / machine.cores if loads else None
    )
    requirements, score = judge(rubric, results, judged)
    if "robustness" in results:
        breaking_points(rubric, results["robustness"])
    results.update(requirements=requirements, score=score)
    provenance = Provenance(
        run_id=header["run_id"],
        platebench_version=__version__,
        git=git_info(),
        adapter=AdapterRef(**header["adapter"]),
        vendor=VendorRef(**vendor),
        corpus=CorpusRef(
            name=corpus.name,
            format=corpus.format,
            version=corpus.version,
            manifest_sha256=corpus.manifest_sha256,
            samples=len(corpus),
        ),
        rubric=RubricRef(name=rubric.name, sha256=rubric.sha256),
        options=RunOptions(**options, resumed=resumed),
        machine=machine,
        started_at=header["started_at"],
        ended_at=ended_at,
        privacy=None if privacy is None else PrivacyCheck(**privacy["check"]),
        conditions=run_conditions,
    )
    verdicts = {
        s.sha256: sample_verdict(s, o, iou_threshold=options["iou_threshold"]) for s, o in pairs
    }
    body = ScorecardBody.model_validate({"provenance": provenance, "results": results, "samples": verdicts})
    sealed = seal(body.to_json_dict())
    Scorecard.model_validate(sealed)  # the published schema holds for what is written
    return sealed


def _robustness_results(header: Mapping[str, Any], corpus: Corpus, samples: Sequence[Sample],
                        outcomes: Mapping[str, CallOutcome],
                        derived: Mapping[str, Mapping[str, Any]], accuracy: Mapping[str, Any]) -> dict[str, Any]:
    """``robustness`` (sweeps), ``split`` (public/sequestered), ``probes`` and ``hotlist``, where they apply."""
    from harness.metrics.accuracy import analyze
    from harness.metrics.hotlist import hotlist_section
    from harness.metrics.probes import probes_section
    from harness.metrics.robustness import robustness_section
    from harness.metrics.split import split_section
    from harness.perturb.sweep import parse_sweeps
    from harness.probes.plan import ProbePlan

    options = header["options"]
    declared = header["vendor_info"].get("declared_threshold")
    settings = {"iou_threshold": options["iou_threshold"], "declared_threshold": declared, "top_n": options["top_n"]}
    out: dict[str, Any] = {}
    if options.get("perturb"):
        out["robustness"] = robustness_section(
            parse_sweeps(options["perturb"]), options["perturb_seed"], samples, outcomes, derived,
            boxes_reported=accuracy["counts"]["boxes_reported"], **settings)
    split = split_section(accuracy["by_tag"])
    if split is not None:
        out["split"] = split
    plan = ProbePlan.from_json(options.get("probes"))
    if plan is not None:
        def plates(sample: Sample, outcome: CallOutcome) -> list[bool]:
            return [p.exact for p in analyze(sample, outcome, **settings).plates]

        def correct(sample: Sample, outcome: CallOutcome) -> bool:
            return analyze(sample, outcome, **settings).verdict == "correct"

        out["probes"] = probes_section(plan, corpus.samples, samples, outcomes, derived, header.get("canary_seed"),
                                       correct, plates)
    out["hotlist"] = hotlist_section([(s, outcomes[s.id]) for s in samples], declared)
    return out
