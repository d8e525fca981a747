"""Writing a comparison (:func:`harness.compare.build_comparison`): ``comparison.json``, ``.md``,
``.csv``, ``.xlsx``, ``.html`` and the plots.

Spreadsheet cells hold numbers with number formats (percentages, milliseconds), never numbers as
text; a text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is
prefixed with ``'``. When the inputs did not match (``--allow-mismatch``) every file starts with
the warning.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from harness.compare.inputs import Bid
from harness.compare.rows import AREAS, OPTIONAL_AREAS
from harness.report.html import cell_text, ci_text, render_comparison_html, scorecard_plots, write_plots
from harness.report.markdown import escape, table
from harness.report.numbers import excel_format, interval, number, percentage_points
from harness.scorecard.words import legend

FILES = ("comparison.json", "comparison.md", "comparison.html", "comparison.csv", "comparison.xlsx")
WARNING = "WARNING: these scorecards do not measure the same thing; this is not a fair ranking"
CONDITIONS = "WARNING: the bids were measured under different conditions; their latency figures are not directly comparable"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: Any) -> str:
    """A string a spreadsheet shows as text (a leading formula character is quoted)."""
    s = "" if text is None else str(text)
    return "'" + s if s.startswith(_FORMULA_START) else s




# --------------------------------------------------------------------------- Markdown


def _md_cell(cell: Mapping[str, Any], unit: str, kind: str) -> str:
    main = cell_text(cell, unit)
    extra = [e for e in (ci_text(cell, unit), cell.get("warning")) if e]
    if cell.get("note") and kind in ("control", "verdict"):
        extra.append(cell["note"])
    bold = "**" if cell.get("passed") is False else ""
    return f"{bold}{escape(main)}{bold}" + (f" ({escape('; '.join(extra))})" if extra else "")


def _md_rows(rows: Sequence[Mapping[str, Any]], labels: list[str], rule: bool = False) -> str:
    header = ["What is measured", *(["Kind", "Rule"] if rule else []), *(escape(lab) for lab in labels)]
    body = []
    for row in rows:
        kind = {"gate": "mandatory", "weighted": "weighted", "verdict": "result"}.get(row["kind"], "")
        cells = [escape(row["title"]), *([kind, f"`{row['rule']}`" if row["rule"] else ""] if rule else [])]
        body.append(cells + [_md_cell(c, row["unit"], row["kind"]) for c in row["cells"]])
    return table(header, body)


def render_markdown(cmp: Mapping[str, Any]) -> str:
    """The comparison as Markdown (fits in a memo or a contract)."""
    labels = [i["label"] for i in cmp["inputs"]]
    sig = cmp["significance"]
    title = f"# Comparison of {len(labels)} bids" + (f": {escape(cmp['rfp'])}" if cmp.get("rfp") else "")
    parts = [title]
    if not cmp["eligible_bids"]:
        parts.append("**No bid is eligible**: every bid fails at least one mandatory requirement (named below).")
    if cmp["mismatch"]:
        parts.append(f"> **{WARNING}:**\n" + "\n".join(f"> - {escape(m)}" for m in cmp["mismatch"]))
    if cmp["conditions"]:
        parts.append(f"> **{CONDITIONS}:**\n" + "\n".join(f"> - {escape(m)}" for m in cmp["conditions"]))
    level = f"{sig['test']}, significance level {sig['alpha']:g}" + (
        "; p-values Holm-corrected for the number of pairs" if sig["correction"] == "holm" else ""
    )
    verdicts = []
    for p in cmp["pairs"]:
        ci = interval(*p["difference_ci"], points=True) if p["difference_ci"] else ""
        verdicts.append(
            f"- **{escape(p['verdict'])}.** Images read correctly: {number(p['accuracy_a'], 'proportion')} vs "
            f"{number(p['accuracy_b'], 'proportion')} (n = {p['n']}); difference {percentage_points(p['difference'])}"
            + (f" ({ci})" if ci else "")
            + f"; read by only one: {p['a_only']} vs {p['b_only']}; p = {number(p['p_value'])}"
            + (f", Holm-adjusted p = {number(p['p_adjusted'])}" if sig["correction"] == "holm" else "")
            + "."
        )
    parts.append(
        "## Is one reader really better than another?\n\n"
        + "\n".join(verdicts)
        + f"\n\nTest: {escape(level)}. "
        "A vendor is called better only when the difference is significant at that level."
    )
    eligibility = "\n".join(
        f"- {escape(i['label'])}: {'' if i['eligible'] else '**'}{escape(i['eligibility'])}{'' if i['eligible'] else '**'}; "
        f"weighted score {number(i['weighted_score'], 'proportion')}"
        + (f"; this bid was {escape(i['flaws'])}" if i["flaws"] != "none" else "")
        + f"; privacy checked by: {escape(i['privacy_method'])}"
        + (f". **Warning**: {escape(i['availability_warning'])}" if i.get("availability_warning") else "")
        for i in cmp["inputs"]
    )
    parts.append(
        "## Requirements (mandatory first)\n\n"
        + eligibility
        + "\n\n"
        + _md_rows(cmp["rows"]["requirements"], labels, rule=True)
    )
    titles = {
        "accuracy": "Does it read plates correctly?",
        "latency": "How fast?",
        "load": "Under load",
        "privacy": "Does it protect privacy?",
    }
    sources = "; ".join(f"{escape(i['label'])}: {escape(i['single_stream_source'])}" for i in cmp["inputs"])
    timing = "; ".join(f"{escape(i['label'])}: {escape(i['latency_timing'])}" for i in cmp["inputs"])
    intro = {
        "latency": f"Single-stream figures (one image at a time, what single-stream requirements judge) come "
        f"from: {sources}. The accuracy pass, as timed for each bid: {timing}.\n\n",
        "privacy": "",
    }
    for area in ("accuracy", "latency", "load", "privacy"):
        if cmp["rows"][area]:
            parts.append(f"## {titles[area]}\n\n" + intro.get(area, "") + _md_rows(cmp["rows"][area], labels))
    if cmp["rows"]["privacy"]:
        parts.append(escape(legend()))
    if cmp.get("robustness"):
        parts.append(_robustness_md(cmp["robustness"], labels))
    inputs = [
        [
            escape(i["label"]),
            escape(i["run_id"]),
            f"{escape(i['corpus']['name'])} ({i['scored_samples']} of {i['corpus']['samples']} images)",
            escape(i["rubric"]["name"]),
            f"`{i['sha256']}`",
            escape(i["signature"]["text"]),
        ]
        for i in cmp["inputs"]
    ]
    parts.append(
        "## Scorecards compared\n\n"
        + table(["Column", "Run", "Corpus", "Rubric", "Scorecard sha256", "Signature"], inputs)
    )
    return "\n\n".join(parts) + "\n"


def _robustness_md(sweeps: Sequence[Mapping[str, Any]], labels: list[str]) -> str:
    """How they degrade: each vendor's exact plate reads per level, and the paired verdicts at that level."""
    parts = [("## How they degrade\n\nPlates read exactly on the same perturbed images (joined by sha256), and "
              "McNemar's exact test between vendors at each level.")]
    for sweep in sweeps:
        rows = []
        for level in sweep["levels"]:
            cells = [f"{number(e['value'], 'proportion')} ({interval(e['ci_low'], e['ci_high'], 'proportion')}, n = {e['n']})"
                     for e in level["exact_read_plate"]]
            verdicts = "; ".join(escape(p["verdict"]) for p in level["pairs"])
            rows.append([escape(level["key"]), *cells, verdicts])
        parts.append(f"### {escape(sweep['title'])} ({escape(sweep['unit'])})\n\n"
                     + table(["level", *[escape(label) for label in labels], "paired test"], rows))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- CSV and XLSX


def _flat_header(labels: list[str]) -> list[str]:
    head = ["area", "id", "what is measured", "kind", "rule", "unit"]
    for label in labels:
        head += [
            f"{label}: value",
            f"{label}: 95% CI low",
            f"{label}: 95% CI high",
            f"{label}: n",
            f"{label}: result",
            f"{label}: observed",
        ]
    return head


def _flat_values(row: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = [row["area"], row["id"], row["title"], row["kind"], row["rule"] or "", row["unit"]]
    for c in row["cells"]:
        result = ": ".join(part for part in (c["code"], c["text"]) if part)
        out += [c["value"], c["ci_low"], c["ci_high"], c["n"], result, "; ".join(p for p in (c["warning"], c["note"]) if p)]
    return out


def write_csv(cmp: Mapping[str, Any], path: Path) -> Path:
    """Every row of every area, one block of six columns (value, CI low and high, n, result, observed) per bid."""
    labels = [i["label"] for i in cmp["inputs"]]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for problem in cmp["mismatch"]:
            writer.writerow(["WARNING", "", safe_text(f"{WARNING}: {problem}")])
        writer.writerow([safe_text(h) for h in _flat_header(labels)])
        for area in AREAS:
            for row in cmp["rows"][area]:
                writer.writerow(
                    [
                        "" if v is None else (safe_text(v) if isinstance(v, str) else v)
                        for v in _flat_values(row)
                    ]
                )
        for p in cmp["pairs"]:
            writer.writerow(
                ["significance", "", safe_text(p["verdict"]), "", "", "", p["p_value"], p["p_adjusted"]]
            )
    return path


_BOLD = Font(bold=True)
_RED = Font(bold=True, color="B3261E")
_HEAD_FILL = PatternFill("solid", fgColor="E8EDF2")


def _warn(ws: Any, cmp: Mapping[str, Any]) -> None:
    for problem in cmp["mismatch"]:
        ws.append([safe_text(f"{WARNING}: {problem}")])
        ws.cell(ws.max_row, 1).font = _RED


def _head(ws: Any, values: list[str]) -> None:
    ws.append([safe_text(v) for v in values])
    for cell in ws[ws.max_row]:
        cell.font = _BOLD
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _put(ws: Any, row: int, col: int, value: Any, number_fmt: str | None = None) -> None:
    cell = ws.cell(row, col)
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
        if number_fmt and value is not None:
            cell.number_format = number_fmt


def _area_sheet(wb: Workbook, cmp: Mapping[str, Any], area: str, labels: list[str]) -> None:
    ws = wb.create_sheet(area.capitalize())
    _warn(ws, cmp)
    _head(ws, _flat_header(labels)[2:])
    for row in cmp["rows"][area]:
        r = ws.max_row + 1
        values = _flat_values(row)[2:]
        fmt_ = excel_format(row["unit"])
        for col, value in enumerate(values, start=1):
            offset = (col - 5) % 6 if col > 4 else None  # 0 value, 1 low, 2 high, 3 n, 4 result, 5 observed
            _put(ws, r, col, value, fmt_ if offset in (0, 1, 2) else ("0" if offset == 3 else None))
    ws.column_dimensions["A"].width = 48
    for col in range(2, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14
    ws.freeze_panes = ws.cell(len(cmp["mismatch"]) + 2, 2)


def write_xlsx(cmp: Mapping[str, Any], path: Path) -> Path:
    """``Summary`` (one column per vendor), ``Significance``, then one sheet per area."""
    labels = [i["label"] for i in cmp["inputs"]]
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    _warn(ws, cmp)
    _head(ws, ["What is measured", "Kind", "Rule", *labels])
    summary = list(cmp["rows"]["requirements"])
    summary += [
        r
        for r in cmp["rows"]["accuracy"]
        if r["id"] in ("exact_read_plate", "cer", "wrong_plate_per_1000", "availability")
    ]
    summary += [
        r for r in cmp["rows"]["latency"] if r["id"] in ("single_stream.client_ms.p95", "single_stream.client_ms.p99")
    ]
    for row in summary:
        r = ws.max_row + 1
        _put(ws, r, 1, row["title"])
        _put(
            ws,
            r,
            2,
            {"gate": "mandatory", "weighted": "weighted", "verdict": "result"}.get(row["kind"], "metric"),
        )
        _put(ws, r, 3, row["rule"] or "")
        for col, c in enumerate(row["cells"], start=4):
            if row["id"] in ("eligible", "privacy_method", "flaws") or c["value"] is None or c["code"]:
                _put(ws, r, col, cell_text(c, row["unit"]))
            else:
                _put(ws, r, col, c["value"], excel_format(row["unit"]))
                if c["passed"] is not None:
                    ws.cell(r, col).font = Font(
                        color="1E7B34" if c["passed"] else "B3261E", bold=not c["passed"]
                    )
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["C"].width = 40
    for col in range(4, 4 + len(labels)):
        ws.column_dimensions[get_column_letter(col)].width = 22
    sig = wb.create_sheet("Significance")
    _warn(sig, cmp)
    _head(
        sig,
        [
            "Vendor A",
            "Vendor B",
            "Images paired",
            "Only A correct",
            "Only B correct",
            "Accuracy A",
            "Accuracy B",
            "Difference A-B",
            "95% CI low",
            "95% CI high",
            "p (McNemar exact)",
            "p (adjusted)",
            "Significant",
            "Verdict",
        ],
    )
    for p in cmp["pairs"]:
        r = sig.max_row + 1
        ci = p["difference_ci"] or [None, None]
        values = [
            p["a"],
            p["b"],
            p["n"],
            p["a_only"],
            p["b_only"],
            p["accuracy_a"],
            p["accuracy_b"],
            p["difference"],
            ci[0],
            ci[1],
            p["p_value"],
            p["p_adjusted"],
            "yes" if p["significant"] else "no",
            p["verdict"],
        ]
        formats = [
            None,
            None,
            "0",
            "0",
            "0",
            "0.0%",
            "0.0%",
            "0.0%",
            "0.0%",
            "0.0%",
            "0.0000",
            "0.0000",
            None,
            None,
        ]
        for col, (value, f) in enumerate(zip(values, formats, strict=True), start=1):
            _put(sig, r, col, value, f)
    for area in AREAS:
        if area in OPTIONAL_AREAS and not cmp["rows"].get(area):
            continue  # no bid was benched: no empty "Roadside" sheet
        _area_sheet(wb, cmp, area, labels)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- everything


def write_comparison(cmp: Mapping[str, Any], bids: list[Bid], out: Path) -> list[Path]:
    """Write every comparison file and the plots (``plots/NAME.svg``) into ``out``; returns the paths.
    ``cmp`` and ``bids`` are already redacted (:func:`harness.compare.build_comparison`)."""
    out.mkdir(parents=True, exist_ok=True)
    plots = scorecard_plots([(b.label, b.card) for b in bids])
    (out / "comparison.json").write_text(
        json.dumps(cmp, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "comparison.md").write_text(render_markdown(cmp), encoding="utf-8")
    (out / "comparison.html").write_text(
        render_comparison_html(cmp, bids, plots=plots), encoding="utf-8"
    )
    write_csv(cmp, out / "comparison.csv")
    write_xlsx(cmp, out / "comparison.xlsx")
    return [out / name for name in FILES] + write_plots(plots, out / "plots")


def compare_scorecards(
    paths: list[Path],
    out: Path,
    *,
    allow_mismatch: bool = False,
    plates: tuple[str, ...] = (),
    rfp: str | None = None,
    trusted: Sequence[Any] = (),
    pdf: bool = False,
) -> tuple[dict[str, Any], list[Bid], list[Path]]:
    """What ``platebench compare`` does (and ``platebench campaign`` for each corpus): verify the scorecards,
    compare them (:func:`harness.compare.build_comparison`, which raises ``CompareError``) and write every
    rendering (and ``comparison.pdf`` with ``pdf``) into ``out``; the comparison, its bids and the files."""
    from harness.compare import build_comparison

    cmp, bids = build_comparison(paths, allow_mismatch=allow_mismatch, plates=plates, rfp=rfp, trusted=trusted)
    written = write_comparison(cmp, bids, out)
    if pdf:
        from harness.report.pdf import write_comparison_pdf

        written.append(write_comparison_pdf(cmp, bids, out / "comparison.pdf"))
    return cmp, bids, written
