"""Assembling a scorecard from a run's journal contents, its corpus and its rubric (no vendor needed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harness import __version__
from harness.corpus.model import Corpus, Sample
from harness.metrics import sample_verdict, score_accuracy, score_latency
from harness.outcome import CallOutcome
from harness.rubric import Rubric, judge
from harness.scorecard.integrity import seal
from harness.scorecard.model import (
    AdapterRef,
    CorpusRef,
    Machine,
    PrivacyCheck,
    Provenance,
    RubricRef,
    RunOptions,
    Scorecard,
    VendorRef,
)
from harness.scorecard.provenance import git_info, machine_info


def error_summary(outcomes: Sequence[CallOutcome]) -> dict[str, Any]:
    """``results.errors``: calls, ok, failed calls by kind, availability."""
    kinds = Counter(o.error_kind or "unknown" for o in outcomes if not o.ok)
    calls = len(outcomes)
    ok = calls - sum(kinds.values())
    return {"calls": calls, "ok": ok, "by_kind": dict(sorted(kinds.items())), "availability": ok / calls if calls else None}


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
) -> dict[str, Any]:
    """The sealed scorecard document of a run.

    ``header`` is the journal header (adapter, vendor, options, start time); ``samples`` the
    samples the run covers (the corpus, or its first ``limit``), each with an outcome in ``outcomes``.
    ``privacy`` is the privacy pass's journal record (``check`` goes to ``provenance.privacy``,
    ``section`` to ``results.privacy``, before the rubric is judged); ``conformance`` the
    spec-conformance findings (``results.conformance``), for adapters that speak the RFP API;
    ``load`` the load scenarios' entries (``results.load``), when any ran; ``roadside`` the camera
    bench's section (``results.roadside``, :func:`harness.bench.section.roadside_section`), when one ran.
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
        "latency": {"single_stream": score_latency(ordered)},
        "errors": error_summary(ordered),
    }
    if load is not None:
        results["load"] = [dict(entry) for entry in load]
    if roadside is not None:
        results["roadside"] = dict(roadside)
    if privacy is not None:
        results["privacy"] = privacy["section"]
    if conformance is not None:
        results["conformance"] = list(conformance)
    requirements, score = judge(rubric, results)
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
        machine=Machine(**header["machine"]) if "machine" in header else machine_info(),
        started_at=header["started_at"],
        ended_at=ended_at,
        privacy=None if privacy is None else PrivacyCheck(**privacy["check"]),
    )
    verdicts = {
        s.sha256: sample_verdict(s, o, iou_threshold=options["iou_threshold"]) for s, o in pairs
    }
    card = Scorecard.model_validate({"provenance": provenance, "results": results, "samples": verdicts})
    return seal(card.to_json_dict())
