"""Self-contained HTML pages for one scorecard and for a comparison (jinja2, autoescaped).

Every page is one file: inline CSS, inline SVG plots, no script, no external font or image, and a
Content-Security-Policy that forbids fetching anything, so it opens the same offline, in an e-mail
attachment or in a contract archive. Every string that came from a vendor, a corpus or a rubric is
redacted (:mod:`harness.redact`) and HTML-escaped by the template engine (autoescape on); only the
SVG made by :mod:`harness.report.plots` is inserted as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from harness import __version__
from harness.compare.inputs import Bid
from harness.compare.rows import all_rows
from harness.redact import redact_text, redact_value
from harness.report.plots import PLOTS, render_plots

_env = Environment(
    loader=PackageLoader("harness.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def fmt(value: Any, unit: str = "") -> str:
    """A number for people: proportions as percentages, milliseconds to 0.1, others to 4 digits."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if unit == "proportion":
        return f"{100 * value:.1f}%"
    if unit == "ms":
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if float(value).is_integer() and abs(value) < 1e9:
        return f"{int(value):,}"
    return f"{value:.4g}"


def cell_text(cell: Mapping[str, Any], unit: str, kind: str = "metric") -> str:
    """The main text of a table cell, never empty: a control's result code, a requirement's value
    and PASS/FAIL, or the value."""
    if kind == "control" or (cell.get("text") and cell.get("value") is None):
        return str(cell.get("text") or "not checked")
    if cell.get("text") in ("PASS", "FAIL"):
        return f"{fmt(cell['value'], unit)} {cell['text']}"
    if cell.get("text"):
        return str(cell["text"])
    return fmt(cell.get("value"), unit)


def ci_text(cell: Mapping[str, Any], unit: str) -> str:
    """``95% CI a to b, n = k`` (the parts available)."""
    parts = []
    if cell.get("ci_low") is not None:
        parts.append(f"95% CI {fmt(cell['ci_low'], unit)} to {fmt(cell['ci_high'], unit)}")
    if cell.get("n") is not None:
        parts.append(f"n = {cell['n']:,}")
    return ", ".join(parts)


def status_class(cell: Mapping[str, Any]) -> str:
    """CSS class of a cell: pass, fail, or neutral."""
    return {True: "pass", False: "fail"}.get(cell.get("passed"), "")


_env.filters.update(fmt=fmt, cell_text=cell_text, ci_text=ci_text, status_class=status_class)


def _figures(svgs: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"name": n, "caption": PLOTS[n][0], "svg": Markup(svg)} for n, svg in svgs.items()]


def redacted_plots(
    cards: list[tuple[str, Mapping[str, Any]]], plates: tuple[str, ...] = ()
) -> dict[str, str]:
    """Every plot (name -> SVG) of ``(label, scorecard)`` pairs, vendor strings redacted."""
    return render_plots([(redact_text(label, plates), redact_value(doc, plates)) for label, doc in cards])


def scorecard_facts(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The title page's lines for one (redacted) scorecard."""
    p = doc["provenance"]
    integrity = doc.get("integrity") or {}
    signature = integrity.get("signature")
    vendor = p["vendor"]
    return [
        (
            "Vendor",
            " ".join(
                x for x in (vendor["vendor"], vendor.get("product", ""), vendor.get("version", "")) if x
            ),
        ),
        ("Corpus", f"{p['corpus']['name']} ({p['corpus']['samples']} images)"),
        ("Corpus manifest sha256", p["corpus"]["manifest_sha256"]),
        ("Rubric", p["rubric"]["name"]),
        ("Rubric sha256", p["rubric"]["sha256"]),
        ("Run", p["run_id"]),
        ("Tested (UTC)", f"{p['started_at']} to {p['ended_at']}"),
        ("Scorecard sha256", integrity.get("sha256", "not sealed")),
        ("Signature", f"Ed25519, public key {signature['public_key']}" if signature else "not signed"),
    ]


def render_scorecard_html(
    doc: Mapping[str, Any],
    *,
    plates: tuple[str, ...] = (),
    title_page: bool = False,
    rfp: str | None = None,
    plots: Mapping[str, str] | None = None,
) -> str:
    """One scorecard as a self-contained HTML page.

    ``title_page`` adds the contract-appendix cover naming ``rfp`` (default: the rubric's name),
    vendor, corpus, rubric, dates and the scorecard's sha256. ``plots`` (from :func:`redacted_plots`)
    saves drawing them again when they were already made.
    """
    safe = redact_value(dict(doc), plates)
    label = safe["provenance"]["vendor"]["vendor"]
    bid = Bid(Path("scorecard.json"), safe, label)
    return _env.get_template("scorecard.html.j2").render(
        doc=safe,
        rows=all_rows([bid], plates),
        plots=_figures(plots if plots is not None else redacted_plots([(label, safe)], plates)),
        title_page=title_page,
        rfp=redact_text(rfp, plates) if rfp else safe["provenance"]["rubric"]["name"],
        facts=scorecard_facts(safe),
        version=__version__,
    )


def render_comparison_html(
    comparison: Mapping[str, Any],
    bids: list[Bid],
    *,
    plates: tuple[str, ...] = (),
    title_page: bool = False,
    plots: Mapping[str, str] | None = None,
) -> str:
    """A comparison document (from :func:`harness.compare.build_comparison`) as one HTML page."""
    cmp = redact_value(dict(comparison), plates)
    first = cmp["inputs"][0]
    facts = [
        ("Vendors", ", ".join(i["label"] for i in cmp["inputs"])),
        ("Corpus", f"{first['corpus']['name']} ({first['corpus']['samples']} images)"),
        ("Corpus manifest sha256", first["corpus"]["manifest_sha256"]),
        ("Rubric", first["rubric"]["name"]),
        ("Rubric sha256", first["rubric"]["sha256"]),
        ("Compared (UTC)", cmp["generated_at"]),
        *((f"{i['label']}: scorecard sha256", i["sha256"]) for i in cmp["inputs"]),
    ]
    if cmp["mismatch"]:
        facts.insert(0, ("WARNING", "the scorecards were made on different corpora, rubrics or images"))
    svgs = plots if plots is not None else redacted_plots([(b.label, b.doc) for b in bids], plates)
    return _env.get_template("comparison.html.j2").render(
        cmp=cmp,
        plots=_figures(svgs),
        title_page=title_page,
        rfp=cmp.get("rfp") or first["rubric"]["name"],
        facts=facts,
        version=__version__,
    )


def write_plots(plots: Mapping[str, str], folder: Path) -> list[Path]:
    """Write each plot as ``folder/NAME.svg``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, svg in plots.items():
        path = folder / f"{name}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    return written
