"""Print the Markdown tables of docs/benchmarks.md ("Robustness curves") from a robustness campaign's output.

Usage::

    python benchmarks/robustness/tables.py benchmarks/robustness/out/us [--requirement ACU-01 ...]

Reads the campaign index (``campaign.json``), each finished run's scorecard and the corpus's comparison
(``comparison/CORPUS/comparison.json``), all written by ``platebench campaign run``. Prints, per operator and
level, each engine's exact plate reads with the Wilson 95% interval and McNemar's exact p-value between the two
engines (per image, images joined by sha256), then each engine's breaking points for the rubric's requirements
(default: the exact-read ones). Figures and counts only: no plate text is read or printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _pct(figure: dict[str, Any]) -> str:
    if figure["value"] is None:
        return "-"
    return f"{100 * figure['value']:.1f}% ({100 * figure['ci_low']:.1f}-{100 * figure['ci_high']:.1f})"


def _p(pair: dict[str, Any] | None) -> str:
    if pair is None or pair["p_value"] is None:
        return "-"
    return f"{pair['p_value']:.2g}" + (" *" if pair["significant"] else "")


def _load(output: Path) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    """The vendors, their scorecards (index order) and the comparison of the campaign's one corpus."""
    index = json.loads((output / "campaign.json").read_text(encoding="utf-8"))
    runs = [r for r in index["runs"] if r["status"] == "done"]
    if len(runs) != 2 or len(index["comparisons"]) != 1 or index["comparisons"][0]["status"] != "done":
        sys.exit(f"{output}: needs one corpus with two finished runs and its comparison")
    cards = [json.loads((output / r["scorecard"]).read_text(encoding="utf-8")) for r in runs]
    folder = output / index["comparisons"][0]["folder"]
    comparison = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    return [r["vendor"] for r in runs], cards, comparison


def _conditions(cond: dict[str, Any]) -> str:
    cpu = cond.get("cpu_ms_per_image")
    return (f"CPU {cpu:,.0f} ms per call (the run's process tree), load average "
            f"{cond.get('load_average_start')} at the start, {cond.get('load_average_end')} at the end")


def summary(vendors: list[str], cards: list[dict[str, Any]]) -> str:
    """Runs, machine, sample sizes and the figures without perturbation."""
    lines = []
    for vendor, card in zip(vendors, cards, strict=True):
        prov, exact = card["provenance"], card["results"]["accuracy"]["overall"]["exact_read_plate"]
        m = prov["machine"]
        lines.append(
            f"- `{vendor}` ({prov['vendor']['product']} {prov['vendor']['version']}): run `{prov['run_id']}`, "
            f"{prov['started_at'][:19]}Z to {prov['ended_at'][:19]}Z; {len(card['samples'])} of the "
            f"{prov['corpus']['samples']} images, {exact['n']} plates; machine {m['cpu']}, {m['cores']} cores, {m['memory_bytes'] / 2**30:.0f} GiB, "
            f"{m['os']}, Python {m['python']}; {_conditions(prov.get('conditions') or {})}"
        )
    return "\n".join(lines)


def curves(vendors: list[str], cards: list[dict[str, Any]], comparison: dict[str, Any]) -> str:
    """Operator x level: each engine's exact plate reads (Wilson 95%) and McNemar's p between them."""
    head = f"| operator | level | {' | '.join(vendors)} | McNemar p |\n|---|---:|{'---|' * len(vendors)}---:|"
    base = [c["results"]["accuracy"]["overall"]["exact_read_plate"] for c in cards]
    rows = [f"| (unperturbed) | - | {' | '.join(_pct(b) for b in base)} | {_p(next(iter(comparison['pairs']), None))} |"]
    tested = {s["operator"]: {lv["key"]: lv for lv in s["levels"]} for s in comparison["robustness"]}
    for name, curve in cards[0]["results"]["robustness"]["operators"].items():
        for point in curve["points"]:
            others = [next(p for p in c["results"]["robustness"]["operators"][name]["points"] if p["key"] == point["key"])
                      for c in cards]
            level = tested.get(name, {}).get(point["key"])
            pair = level["pairs"][0] if level and level["pairs"] else None
            rows.append(f"| {name} | {point['key']} | {' | '.join(_pct(p['figures']['exact_read_plate']) for p in others)} "
                        f"| {_p(pair)} |")
    return "\n".join([head, *rows])


def breaking(vendors: list[str], cards: list[dict[str, Any]], wanted: list[str]) -> str:
    """Operator: each engine's breaking level for each wanted requirement (``-``: met at every level)."""
    cols = [f"{v} {r}" for r in wanted for v in vendors]
    head = f"| operator | {' | '.join(cols)} |\n|---|{'---:|' * len(cols)}"
    rows = []
    for name in cards[0]["results"]["robustness"]["operators"]:
        cells = []
        for req in wanted:
            for card in cards:
                found = [b for b in card["results"]["robustness"]["operators"][name]["breaking_points"]
                         if b["requirement"] == req]
                cells.append("?" if not found else "-" if found[0]["level"] is None else f"{found[0]['level']:g}")
        rows.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="the campaign's output folder (its campaign.json)")
    parser.add_argument("--requirement", action="append", help="rubric requirement ids for the breaking points "
                        "(repeatable). Default: ACU-01 and ACU-02 (the default rubric's exact-read ones)")
    args = parser.parse_args(argv)
    vendors, cards, comparison = _load(args.output)
    print(summary(vendors, cards), curves(vendors, cards, comparison),
          breaking(vendors, cards, args.requirement or ["ACU-01", "ACU-02"]), sep="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
