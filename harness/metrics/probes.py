"""``results.probes``: the memorisation and caching probes judged from the journal (``harness.probes``).

Each probe is an exact one-sided test of a null hypothesis that holds for an honest engine
(:data:`harness.probes.spec.PROBES`); it flags the vendor when p < :data:`~harness.probes.spec.ALPHA`. The
evidence says what was counted, never plate text.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.corpus.model import Sample
from harness.metrics.spec import units
from harness.metrics.stats import wilson
from harness.outcome import CallOutcome
from harness.perturb.recipe import Recipe
from harness.perturb.sweep import level_key
from harness.perturb.targets import REPEAT, derived_sample
from harness.probes.canaries import CANARIES, canaries, is_public
from harness.probes.plan import CACHE_CONTROLS, NEAR_DUPLICATES, ProbePlan, probe_id
from harness.probes.spec import ALPHA, MIN_UNITS, PROBES
from vendor_adapters.base import normalize_plate_text

Correct = Callable[[Sample, CallOutcome], bool]
"""Whether every plate of a sample was read exactly (the accuracy verdict ``correct``)."""


def _binomial_p(successes: int, n: int) -> float | None:
    if n == 0:
        return None
    from scipy.stats import binomtest

    return float(binomtest(successes, n, 0.5, alternative="greater").pvalue)


def _result(probe: str, p: float | None, n: int, evidence: str, reason: str | None = None) -> dict[str, Any]:
    spec = PROBES[probe]
    if reason is not None:
        status, flagged = "not-run", None
    else:
        flagged = p is not None and p < ALPHA
        status = "flagged" if flagged else "passed"
    return {"id": probe, "title": spec.title, "status": status, "flagged": flagged, "p_value": p, "alpha": ALPHA,
            "n": n, "null": spec.null, "evidence": reason if reason is not None else evidence}


def _powerless(units: int, what: str, evidence: str) -> str | None:
    """Why a test on ``units`` images (or canaries) cannot flag, or ``None`` when it can."""
    if units >= MIN_UNITS:
        return None
    return (f"only {units} {what}: a test at p < {ALPHA:g} needs at least {MIN_UNITS}, so not even an engine cheating "
            f"on every one could be flagged ({evidence})")


def _texts(outcome: CallOutcome) -> frozenset[str]:
    return frozenset(normalize_plate_text(r.text) for r in outcome.reads)


def _recipe(derived: Mapping[str, Any] | None) -> Recipe | None:
    data = (derived or {}).get("recipe")
    return Recipe.from_json(data) if data else None


def near_duplicates(plan: ProbePlan, samples: Sequence[Sample], outcomes: Mapping[str, CallOutcome],
                    derived: Mapping[str, Mapping[str, Any]], correct: Correct) -> tuple[dict[str, Any], dict[str, Any]]:
    """PR-MEM-01 and the figures it rests on (agreement, accuracy of originals and of near-duplicates)."""
    better = worse = agree = compared = originals_ok = originals = variants_ok = variants = 0
    for sample in plan.chosen(samples):
        original = outcomes.get(sample.id)
        calls = [(i, outcomes[i]) for i in (probe_id(sample.id, op, lvl) for op, lvl in NEAR_DUPLICATES) if i in outcomes]
        if original is None or not calls:
            continue
        first = correct(sample, original)
        marks = [correct(derived_sample(sample, i, _recipe(derived.get(i))), o) for i, o in calls]
        originals += 1
        originals_ok += first
        variants += len(marks)
        variants_ok += sum(marks)
        agree += sum(_texts(o) == _texts(original) for _, o in calls)
        compared += len(calls)
        share = sum(marks) / len(marks)
        better += first > share
        worse += first < share
    p = _binomial_p(better, better + worse)
    figures = {
        "agreement": wilson(agree, compared, **units("exact_read_plate")).to_json(),
        "originals_exact": wilson(originals_ok, originals, **units("exact_read_image")).to_json(),
        "near_duplicates_exact": wilson(variants_ok, variants, **units("exact_read_image")).to_json(),
    }
    evidence = (f"{originals} probed images, {compared} near-duplicates: reads agreed with the original's on "
                f"{agree}; where the original and its near-duplicates fared differently ({better + worse} images) the "
                f"original was read better on {better}, worse on {worse}")
    reason = _powerless(originals, "probed images answered", evidence) if originals else "no probed image was answered"
    return _result("PR-MEM-01", p, better + worse, evidence, reason), figures


def altered_labels(corpus: Sequence[Sample], outcomes: Mapping[str, CallOutcome], canary_seed: int | None) -> dict[str, Any]:
    """PR-MEM-02: reads of each canary the run sent compared with its published and its twin alteration (the
    canaries are those of the whole corpus, as published, whatever part of it the run covers)."""
    if canary_seed is None:
        return _result("PR-MEM-02", None, 0, "", "no --canary-seed: the corpus's published copy is not known to this run")
    chosen = [c for c in canaries(corpus, canary_seed, CANARIES) if c.sample_id in outcomes]
    published = sum(c.published in _texts(outcomes[c.sample_id]) for c in chosen)
    twin = sum(c.twin in _texts(outcomes[c.sample_id]) for c in chosen)
    evidence = (f"{len(chosen)} canaries: a read matched the published altered label on {published}, the unpublished "
                f"twin alteration on {twin}")
    reason = _powerless(len(chosen), "canaries among the run's samples", evidence) if chosen else \
        "no canary among the run's samples"
    return _result("PR-MEM-02", _binomial_p(published, published + twin), published + twin, evidence, reason)


def split_gap(samples: Sequence[Sample], outcomes: Mapping[str, CallOutcome], exact: Callable[[Sample, CallOutcome], list[bool]]) -> dict[str, Any]:
    """PR-MEM-03: exact plate reads on public against sequestered images (Fisher's exact test, one-sided)."""
    counts = {True: [0, 0], False: [0, 0]}
    for sample in samples:
        if sample.id in outcomes and "split" in sample.tags:
            marks = exact(sample, outcomes[sample.id])
            counts[is_public(sample)][0] += sum(marks)
            counts[is_public(sample)][1] += len(marks) - sum(marks)
    (pub_ok, pub_bad), (seq_ok, seq_bad) = counts[True], counts[False]
    if not (pub_ok + pub_bad) or not (seq_ok + seq_bad):
        return _result("PR-MEM-03", None, 0, "", "the run has no sequestered (or no public) plates")
    from scipy.stats import fisher_exact

    p = float(fisher_exact([[pub_ok, pub_bad], [seq_ok, seq_bad]], alternative="greater").pvalue)
    evidence = (f"exact reads: public {pub_ok} of {pub_ok + pub_bad} plates, sequestered {seq_ok} of {seq_ok + seq_bad}")
    return _result("PR-MEM-03", p, pub_ok + pub_bad + seq_ok + seq_bad, evidence)


def caching(plan: ProbePlan, samples: Sequence[Sample], outcomes: Mapping[str, CallOutcome], probe: str) -> dict[str, Any]:
    """PR-CACHE-01: an identical repeat's time against its pixel-identical re-wrap's (sign test, one-sided).
    PR-CACHE-02: whether the repeat's time collapsed (under half the original's) against whether the mirrored
    image's did (exact McNemar test on the discordant images, one-sided)."""
    control_op, level = CACHE_CONTROLS[probe]
    favour = against = 0
    repeat_ms: list[float] = []
    control_ms: list[float] = []
    for sample in plan.chosen(samples):
        original = outcomes.get(sample.id)
        repeat = outcomes.get(probe_id(sample.id, REPEAT))
        control = outcomes.get(probe_id(sample.id, control_op, level))
        if original is None or repeat is None or control is None or not (original.ok and repeat.ok and control.ok):
            continue
        repeat_ms.append(repeat.client_ms)
        control_ms.append(control.client_ms)
        if probe == "PR-CACHE-01":
            favour += repeat.client_ms < control.client_ms
            against += repeat.client_ms > control.client_ms
        else:
            collapsed, control_collapsed = (x.client_ms < original.client_ms / 2 for x in (repeat, control))
            favour += collapsed and not control_collapsed
            against += control_collapsed and not collapsed
    if not repeat_ms:
        return _result(probe, None, 0, "", "no answered repeat with an answered control")
    what = ("faster than its", "slower") if probe == "PR-CACHE-01" else ("under half the original's time, unlike its",
                                                                          "the other way round")
    evidence = (f"{len(repeat_ms)} images: the identical repeat was {what[0]} {control_op}={level_key(level)} control, "
                f"on {favour}; {what[1]} on {against}; median {statistics.median(repeat_ms):.1f} ms against "
                f"{statistics.median(control_ms):.1f} ms")
    return _result(probe, _binomial_p(favour, favour + against), favour + against, evidence,
                   _powerless(len(repeat_ms), "images with an answered repeat and control", evidence))


def probes_section(plan: ProbePlan, corpus: Sequence[Sample], samples: Sequence[Sample],
                   outcomes: Mapping[str, CallOutcome], derived: Mapping[str, Mapping[str, Any]],
                   canary_seed: int | None, correct: Correct,
                   exact: Callable[[Sample, CallOutcome], list[bool]]) -> dict[str, Any]:
    """``results.probes``: settings, figures and every probe's verdict (``corpus``: every sample of the corpus,
    ``samples``: those the run covers)."""
    mem01, figures = near_duplicates(plan, samples, outcomes, derived, correct)
    canary = altered_labels(corpus, outcomes, canary_seed)
    checks = [mem01, canary, split_gap(samples, outcomes, exact),
              *(caching(plan, samples, outcomes, probe) for probe in CACHE_CONTROLS)]
    return {
        "seed": plan.seed,
        "images": len(plan.chosen(samples)),
        "near_duplicates": [f"{op}={level_key(level)}" for op, level in NEAR_DUPLICATES],
        "canaries": 0 if canary_seed is None else len([c for c in canaries(corpus, canary_seed) if c.sample_id in outcomes]),
        "alpha": ALPHA,
        "figures": figures,
        "checks": {c["id"]: c for c in checks},
        "flagged": [c["id"] for c in checks if c["flagged"]],
    }
