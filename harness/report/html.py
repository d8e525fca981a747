"""Self-contained HTML pages for one scorecard and for a comparison (jinja2, autoescaped).

Every page is one file: inline CSS, inline SVG plots, no script, no external font or image, and a
Content-Security-Policy that forbids fetching anything, so it opens the same offline, in an e-mail
attachment or in a contract archive. Every string that came from a vendor, a corpus or a rubric is
redacted (:mod:`harness.redact`) and HTML-escaped by the template engine (autoescape on); only the
SVG made by :mod:`harness.report.plots` is inserted as markup. Numbers are written by
:mod:`harness.report.numbers`, result codes and their words by :mod:`harness.scorecard.words`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from harness import __version__
from harness.compare import TITLE_PAGE_NAMED
from harness.compare.inputs import Bid
from harness.compare.rows import all_rows
from harness.redact import redact_text
from harness.report.numbers import interval, number, percentage_points, sample_size
from harness.report.plots import PLOTS, render_plots
from harness.scorecard.model import Scorecard
from harness.scorecard.signing import SignatureStatus, check
from harness.scorecard.words import (
    CODES,
    VERDICTS,
    accuracy_pass_timing,
    availability_warning,
    bid_name,
    conditions_text,
    eligibility_text,
    legend,
    options_text,
    privacy_method_text,
    samples_text,
    single_stream_source,
    vendor_title,
)

_env = Environment(
    loader=PackageLoader("harness.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def cell_text(cell: Mapping[str, Any], unit: str) -> str:
    """The main text of a table cell, never empty: a control's result code, a requirement's value
    and verdict, or the value."""
    shown = number(cell.get("value"), unit) if cell.get("value") is not None else None
    if cell.get("code"):
        shown = f"{cell['code']}"
    text = cell.get("text")
    if shown is None:
        return text if text else "n/a"
    return f"{shown}: {text}" if text else shown


def ci_text(cell: Mapping[str, Any], unit: str) -> str:
    """``95% CI a to b, n = k`` (the parts available)."""
    return ", ".join(p for p in (interval(cell.get("ci_low"), cell.get("ci_high"), unit), sample_size(cell.get("n"))) if p)


def status_class(cell: Mapping[str, Any]) -> str:
    """CSS class of a cell: its result code's (an untested control is never coloured as failed),
    else met / not met / not applicable, else neutral."""
    if cell.get("code") in CODES:
        return CODES[cell["code"]].css
    if cell.get("text") == "not applicable":
        return VERDICTS["not applicable"].css
    return {True: "pass", False: "fail"}.get(cell.get("passed"), "")


_env.filters.update(
    fmt=number, cell_text=cell_text, ci_text=ci_text, status_class=status_class, pp=percentage_points
)


def _figures(svgs: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"name": n, "caption": PLOTS[n][0], "svg": Markup(svg)} for n, svg in svgs.items()]


def scorecard_plots(cards: list[tuple[str, Scorecard]]) -> dict[str, str]:
    """Every plot (name -> SVG) of ``(label, redacted scorecard)`` pairs."""
    return render_plots(cards)


def signature_status(card: Scorecard, status: SignatureStatus | None) -> SignatureStatus:
    """``status`` as checked by the caller, or (none given) checked against no trusted key."""
    return status if status is not None else check(card.to_json_dict()).status


def scorecard_facts(card: Scorecard, signature: SignatureStatus) -> list[tuple[str, str]]:
    """The title page's lines for one (redacted) scorecard."""
    p = card.provenance
    return [
        ("Vendor", vendor_title(card)),
        *([("Warning", warning)] if (warning := availability_warning(card)) else []),
        ("Verdict", eligibility_text(card, named=TITLE_PAGE_NAMED)),
        ("Corpus", f"{p.corpus.name}: {samples_text(card)} scored"),
        ("Corpus manifest sha256", p.corpus.manifest_sha256),
        ("Rubric", p.rubric.name),
        ("Rubric sha256", p.rubric.sha256),
        ("Privacy checked by", privacy_method_text(card)),
        ("Run", p.run_id),
        ("Tested (UTC)", f"{p.started_at} to {p.ended_at}"),
        ("Scorecard sha256", card.integrity.sha256),
        ("Signature", signature.text()),
    ]


def render_scorecard_html(
    card: Scorecard,
    *,
    plates: tuple[str, ...] = (),
    title_page: bool = False,
    rfp: str | None = None,
    plots: Mapping[str, str] | None = None,
    signature: SignatureStatus | None = None,
) -> str:
    """One scorecard as a self-contained HTML page.

    ``title_page`` adds the contract-appendix cover naming ``rfp`` (default: the rubric's name),
    vendor, verdict, corpus, rubric, dates, the scorecard's sha256 and who signed it. ``plots``
    (from :func:`scorecard_plots`) saves drawing them again. ``signature`` is the status the caller
    checked against its trusted keys (default: not verified).
    """
    status = signature_status(card, signature)
    safe = card.redacted(plates)
    label = bid_name(safe)
    bid = Bid(Path("scorecard.json"), safe, label, status)
    return _env.get_template("scorecard.html.j2").render(
        card=safe,
        label=label,
        vendor=vendor_title(safe),
        rows=all_rows([bid]),
        plots=_figures(plots if plots is not None else scorecard_plots([(label, safe)])),
        title_page=title_page,
        rfp=redact_text(rfp, plates) if rfp else safe.provenance.rubric.name,
        facts=scorecard_facts(safe, status),
        eligibility=eligibility_text(safe),
        availability_warning=availability_warning(safe),
        samples=samples_text(safe),
        options=options_text(safe),
        privacy_method=privacy_method_text(safe),
        timing=accuracy_pass_timing(safe),
        single_stream_source=single_stream_source(safe),
        conditions=conditions_text(safe),
        signature=status,
        legend=legend(),
        version=__version__,
    )


def render_comparison_html(
    comparison: Mapping[str, Any],
    bids: list[Bid],
    *,
    title_page: bool = False,
    plots: Mapping[str, str] | None = None,
) -> str:
    """A comparison document (from :func:`harness.compare.build_comparison`, already redacted) as one HTML page."""
    cmp = comparison
    first = cmp["inputs"][0]
    facts = [
        *((i["label"], i["eligibility_short"]) for i in cmp["inputs"]),
        ("Corpus", f"{first['corpus']['name']}: {first['scored_samples']} of {first['corpus']['samples']} images scored"),
        ("Corpus manifest sha256", first["corpus"]["manifest_sha256"]),
        ("Rubric", first["rubric"]["name"]),
        ("Rubric sha256", first["rubric"]["sha256"]),
        ("Compared (UTC)", cmp["generated_at"]),
        *((f"{i['label']}: scorecard sha256", i["sha256"]) for i in cmp["inputs"]),
        *((f"{i['label']}: signature", i["signature"]["text"]) for i in cmp["inputs"]),
    ]
    if cmp["mismatch"]:
        facts.insert(0, ("WARNING", "the scorecards were made on different corpora, rubrics or images"))
    svgs = plots if plots is not None else scorecard_plots([(b.label, b.card) for b in bids])
    return _env.get_template("comparison.html.j2").render(
        cmp=cmp,
        plots=_figures(svgs),
        title_page=title_page,
        rfp=cmp.get("rfp") or first["rubric"]["name"],
        facts=facts,
        legend=legend(),
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
