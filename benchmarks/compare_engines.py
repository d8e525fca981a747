"""Compare the reference recognizer with SimpleLPR on the shared OpenALPR US and EU sets.

Usage::

    python benchmarks/compare_engines.py [--sets ../shared/datasets/openalpr-benchmarks]
        [--engine reference --engine simplelpr] [--set us --set eu] [--simplelpr-countries eu]
        [--json out.json]

Each engine reads every image once, one at a time, in this process (single-stream), after one
warm-up call outside the timing. Time per image is the client's wall clock around the call, image
decoding included (SimpleLPR decodes the bytes itself; the reference is given them decoded by
OpenCV inside the timed call). Scoring uses the project's metrics (``harness.metrics``): exact read
per plate with a Wilson 95% interval, character error rate with a bootstrap interval, wrong-plate
reads per 1,000 confident reads, p50/p95 latency. Prints a Markdown table plus the machine; no
plate text is printed.

``--simplelpr-countries eu`` enables SimpleLPR's European country templates (weight 1 each) for
the EU set; the default is the SDK's default (no country template: raw reads), which is the only
choice for the US set because SimpleLPR has no United States template.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from harness.corpus.model import Corpus
from harness.corpus.validate import load_corpus
from harness.metrics import score_accuracy, score_latency
from harness.outcome import CallOutcome
from harness.scorecard.provenance import machine_info
from vendor_adapters.base import Image, Recognition
from vendor_adapters.errors import VendorError
from vendor_adapters.registry import create_adapter

DEFAULT_SETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "openalpr-benchmarks"
EUROPEAN = (
    "Albania", "Andorra", "Austria", "Belarus", "Belgium", "Bosnia and Herzegovina", "Bulgaria", "Croatia",
    "Cyprus", "Czech-Republic", "Denmark", "Estonia", "Finland", "France", "Germany", "Greece", "Hungary",
    "Iceland", "Ireland", "Italy", "Kosovo", "Latvia", "Lithuania", "Luxembourg", "Malta", "Netherlands",
    "Norway", "Poland", "Portugal", "Romania", "Slovakia", "Slovenia", "Spain", "Sweden", "Switzerland",
    "UK-GreatBritain", "Ukraine",
)
"""SimpleLPR country names of European countries (for ``--simplelpr-countries eu``)."""

Engine = Callable[[Image], Recognition]




def reference_engine() -> tuple[str, Engine, float | None]:
    """The built-in reference recognizer (OpenCV + RapidOCR) through its adapter, with its declared threshold."""
    adapter = create_adapter("reference", {}, env={})
    return "reference", adapter.recognize, adapter.info().declared_threshold


def simplelpr_engine(countries: dict[str, float]) -> tuple[str, Engine, float | None]:
    """SimpleLPR through its platebench adapter (evaluation mode; it declares no threshold, so every
    read counts as confident for the wrong-plate figure)."""
    adapter = create_adapter("simplelpr", {"countries": countries} if countries else {}, env={})
    label = f"SimpleLPR {adapter.info().version}" + (" (EU templates)" if countries else "")
    return label, adapter.recognize, adapter.info().declared_threshold


def run(engine: Engine, corpus: Corpus) -> list[tuple]:
    """Single-stream pass over ``corpus``: one (sample, outcome) pair per image."""
    images = [(s, s.load_image()) for s in corpus.samples]
    engine(images[0][1])  # warm-up, untimed
    pairs = []
    for sample, image in images:
        started = datetime.now(UTC).isoformat()
        t0 = time.perf_counter()
        try:
            recognition, kind, message = engine(image), None, None
        except VendorError as exc:
            recognition, kind, message = None, exc.kind, str(exc)
        ms = (time.perf_counter() - t0) * 1000
        pairs.append((sample, CallOutcome(sample.id, sample.sha256, 1, ms, recognition, kind, message, started)))
    return pairs


def figures(pairs: list[tuple], declared_threshold: float | None) -> dict[str, object]:
    """The table's figures from the project's metrics (wrong-plate reads at the engine's declared threshold)."""
    accuracy = score_accuracy(pairs, declared_threshold=declared_threshold)["overall"]
    latency = score_latency([o for _, o in pairs])["client_ms"]
    exact, cer, wrong = accuracy["exact_read_plate"], accuracy["cer"], accuracy["wrong_plate_per_1000"]
    return {
        "n_images": len(pairs),
        "n_plates": exact["n"],
        "exact": exact["value"], "exact_ci": [exact["ci_low"], exact["ci_high"]],
        "cer": cer["value"], "cer_ci": [cer["ci_low"], cer["ci_high"]],
        "wrong_per_1000": wrong["value"], "wrong_n": wrong["n"],
        "p50_ms": latency["p50"], "p95_ms": latency["p95"],
        "errors": sum(1 for _, o in pairs if not o.ok),
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table(rows: list[dict[str, object]]) -> str:
    """Markdown table of the figures."""
    head = ("| engine | set | n (plates) | exact read (95% CI) | CER (95% CI) | wrong-plate reads / 1,000 "
            "confident reads | p50 ms | p95 ms |\n|---|---|---:|---|---|---:|---:|---:|")
    lines = [head]
    for r in rows:
        ex_lo, ex_hi = r["exact_ci"]
        c_lo, c_hi = r["cer_ci"]
        wrong = "-" if r["wrong_per_1000"] is None else f"{r['wrong_per_1000']:.0f} (n={r['wrong_n']})"
        lines.append(
            f"| {r['engine']} | {r['set']} | {r['n_plates']} | {_pct(r['exact'])} ({_pct(ex_lo)}-{_pct(ex_hi)}) "
            f"| {r['cer']:.3f} ({c_lo:.3f}-{c_hi:.3f}) | {wrong} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=Path, default=DEFAULT_SETS, help="folder holding us/ and eu/")
    parser.add_argument("--engine", action="append", choices=("reference", "simplelpr"),
                        help="engine to run (repeatable; default both)")
    parser.add_argument("--set", action="append", choices=("us", "eu"), dest="sets_wanted",
                        help="set to run (repeatable; default both)")
    parser.add_argument("--simplelpr-countries", choices=("none", "eu"), default="none",
                        help="SimpleLPR country templates on the EU set (default none: raw reads)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    engines = args.engine or ["reference", "simplelpr"]
    rows = []
    for set_name in args.sets_wanted or ["us", "eu"]:
        corpus = load_corpus(args.sets / set_name)
        for engine_name in engines:
            if engine_name == "reference":
                label, engine, threshold = reference_engine()
            else:
                eu = args.simplelpr_countries == "eu" and set_name == "eu"
                label, engine, threshold = simplelpr_engine({c: 1.0 for c in EUROPEAN} if eu else {})
            t0 = time.perf_counter()
            row = {"engine": label, "set": set_name.upper(), "declared_threshold": threshold,
                   **figures(run(engine, corpus), threshold)}
            print(f"{label} on {set_name}: {row['n_images']} images in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
            rows.append(row)
    print(table(rows))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nMachine: {machine_info().describe()}. Single-stream, one process, warm-up call excluded. "
          f"Load average at the end (1, 5, 15 min): {load}; other work on the machine inflates latency.")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_info().describe(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
