"""``platebench report``: a scorecard as self-contained HTML and/or a PDF contract appendix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.reading_args import add_corpus, add_public_key, corpus_plates, read_or_fail, trusted_keys


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``report``."""
    report = subparsers.add_parser(
        "report",
        help="render a scorecard as self-contained HTML and/or PDF",
        description="Write scorecard.html (default) and/or scorecard.pdf (title page for a contract appendix; "
        "needs Chromium) for a verified scorecard, beside it or into --out, plus plots/*.svg. Every page that "
        "mentions the signature names the signing key's fingerprint and whether it was verified against --public-key.",
    )
    report.add_argument("scorecard", type=Path, metavar="SCORECARD", help="scorecard.json or a run folder")
    report.add_argument("--html", action="store_true", help="write scorecard.html (the default when neither is given)")
    report.add_argument("--pdf", action="store_true", help="write scorecard.pdf")
    report.add_argument(
        "--markdown",
        action="store_true",
        help="write scorecard.md again (e.g. after signing, so it names the signer and whether it was verified)",
    )
    report.add_argument("--out", type=Path, metavar="DIR", help="Default: the scorecard's folder")
    report.add_argument("--rfp", metavar="NAME", help="RFP name for the PDF title page. Default: the rubric's name")
    add_public_key(report, purpose="a signature made with one of them reads 'verified against the city's key'")
    add_corpus(report)
    report.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench report``."""
    from harness.report.html import render_scorecard_html, scorecard_plots, write_plots
    from harness.scorecard.words import bid_name

    read = read_or_fail(args.scorecard, trusted_keys(args.public_key))
    if read.signature.state == "unverified":
        print(f"WARNING: {read.path}: {read.signature.text()}", file=sys.stderr)
    plates = corpus_plates(args.corpus)
    out = args.out or read.path.parent
    out.mkdir(parents=True, exist_ok=True)
    if args.markdown:
        from harness.report.markdown import render_markdown

        page = out / "scorecard.md"
        page.write_text(render_markdown(read.card.redacted(plates), read.signature), encoding="utf-8")
        print(page)
    if args.html or not (args.pdf or args.markdown):
        page = out / "scorecard.html"
        safe = read.card.redacted(plates)
        plots = scorecard_plots([(bid_name(safe), safe)])
        html = render_scorecard_html(read.card, plates=plates, plots=plots, signature=read.signature)
        page.write_text(html, encoding="utf-8")
        write_plots(plots, out / "plots")
        print(page)
    if args.pdf:
        from harness.report.pdf import write_scorecard_pdf

        print(write_scorecard_pdf(read.card, out / "scorecard.pdf", rfp=args.rfp, plates=plates, signature=read.signature))
    return 0
