"""Measure the reference recognizer on a corpus (an OpenALPR-layout folder or a platebench manifest).

Usage::

    python benchmarks/reference_accuracy.py ../shared/datasets/openalpr-benchmarks/us [--threads N]
        [--max-side PX] [--region us] [--limit N] [--misses FILE]
    python benchmarks/reference_accuracy.py ~/.cache/platebench/synth-v1-s20240601-n200 --limit 100

Prints n, the exact-read rate (the plate's text is the top read's text, and is any read's text)
with Wilson 95% intervals, top-5 (any candidate), detection recall at IoU 0.5 (any read's box vs the
label box), reads per image, mean/p50/p95 wall time and mean CPU time (all threads of the process) per
image, the machine and its load average, and the precision/recall of
the top read over confidence thresholds (to choose the declared threshold). ``--misses`` writes
each image the top read got wrong (file name, label, reads) for failure analysis; that file
holds plate text, so keep it out of the repository.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

import cv2

from harness.corpus.validate import load_corpus
from harness.scorecard.provenance import machine_info
from vendor_adapters.base import Box
from vendor_adapters.reference.recognizer import DEFAULT_MAX_SIDE, REGIONS, PlateRecognizer


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval for a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def load_labels(corpus: Path, limit: int | None = None) -> list[tuple[Path, str, Box | None]]:
    """(image, plate text, box) for the first ``limit`` samples of a corpus holding one plate per image."""
    samples = load_corpus(corpus).samples[:limit]
    if any(len(s.plates) != 1 for s in samples):
        raise SystemExit(f"{corpus}: this benchmark scores one plate per image; use platebench run instead")
    return [(s.path, s.plates[0].text, s.plates[0].box) for s in samples]


def rate(label: str, hits: int, n: int) -> str:
    lo, hi = wilson(hits, n)
    return f"{label:<28} {hits:>4}/{n:<4} {hits / n:6.1%}  (95% CI {lo:.1%}-{hi:.1%})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="corpus folder or manifest")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE)
    parser.add_argument("--region", choices=REGIONS, default=None, help="plate glyph convention")
    parser.add_argument("--limit", type=int, default=None, help="only the first N samples (by sample id)")
    parser.add_argument("--misses", type=Path, help="write misses (holds plate text) to this JSON file")
    args = parser.parse_args(argv)
    samples = load_labels(args.folder, args.limit)
    if not samples:
        print(f"no labeled images in {args.folder}", file=sys.stderr)
        return 2
    recognizer = PlateRecognizer(max_side=args.max_side, threads=args.threads, region=args.region)
    t0 = time.perf_counter()
    recognizer.read(cv2.imread(str(samples[0][0])))  # load the engine outside the timed loop
    load_s = time.perf_counter() - t0
    top1 = anyread = top5 = detected = nreads = 0
    times: list[float] = []
    cpu_ms = 0.0
    tops: list[tuple[float, bool]] = []  # (top read's confidence, top read correct) per image with a read
    misses = []
    for path, text, box in samples:
        image = cv2.imread(str(path))
        t, cpu = time.perf_counter(), time.process_time()
        reads = recognizer.read(image)
        times.append((time.perf_counter() - t) * 1000)
        cpu_ms += (time.process_time() - cpu) * 1000
        nreads += len(reads)
        if reads:
            tops.append((reads[0].confidence or 0.0, reads[0].text == text))
        top1 += bool(reads) and reads[0].text == text
        anyread += any(r.text == text for r in reads)
        top5 += any(r.text == text or any(c.text == text for c in r.candidates) for r in reads)
        detected += box is not None and any(r.box is not None and r.box.iou(box) >= 0.5 for r in reads)
        if not reads or reads[0].text != text:
            misses.append({"image": path.name, "label": text, "box": box.as_dict() if box else None,
                           "reads": [[r.text, r.confidence, r.box.as_dict() if r.box else None,
                                      [c.text for c in r.candidates]] for r in reads]})
    n = len(samples)
    times.sort()
    print(f"folder: {args.folder}  (max_side={args.max_side}, threads={args.threads or 'onnxruntime default'}, region={args.region})")
    print(f"machine: {machine_info().describe()}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"n = {n} images, {n} plates; engine load {load_s:.2f} s")
    print(rate("exact read (top read)", top1, n))
    print(rate("exact read (any read)", anyread, n))
    print(rate("top-5 (any candidate)", top5, n))
    print(rate("detection recall IoU>=0.5", detected, n))
    print(f"{'reads per image':<28} {nreads / n:.2f}")
    p95 = times[min(n - 1, math.ceil(0.95 * n) - 1)]
    print(f"{'time per image (ms)':<28} mean {statistics.fmean(times):.0f}  p50 {statistics.median(times):.0f}  p95 {p95:.0f}")
    print(f"{'CPU time per image (ms)':<28} mean {cpu_ms / n:.0f}")
    print("threshold  top reads kept  precision  recall (exact reads kept / n)")
    for threshold in (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9):
        kept = [ok for conf, ok in tops if conf >= threshold]
        precision = sum(kept) / len(kept) if kept else float("nan")
        print(f"{threshold:9.1f}  {len(kept):14d}  {precision:9.1%}  {sum(kept) / n:6.1%}")
    if args.misses:
        args.misses.write_text(json.dumps(misses, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
