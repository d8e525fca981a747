"""``platebench compare``: several bids' scorecards side by side, with significance tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.reading_args import add_corpus, add_public_key, corpus_plates, trusted_keys
from harness.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``compare``."""
    compare = subparsers.add_parser(
        "compare",
        help="put several vendors' scorecards side by side, with significance tests",
        description=(
            "Verify each scorecard (hash, signature, schema), then write comparison.md, .html, .json, .xlsx and "
            ".csv (and plots/*.svg) to --out: one column per bid, mandatory requirements first, headline figures "
            "with 95% CIs and n, and for each pair of bids McNemar's exact test on per-image correctness "
            "(Holm-corrected for more than two bids) with a paired bootstrap CI of the accuracy difference. "
            "Refuses scorecards made on different corpora, rubrics or image sets unless --allow-mismatch; warns "
            "when the bids were measured under different conditions."
        ),
    )
    compare.add_argument("scorecards", nargs="+", type=Path, metavar="SCORECARD", help="scorecard.json files or run folders")
    compare.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the comparison into")
    compare.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare even across corpora, rubrics or image sets (every report then says so)",
    )
    compare.add_argument("--rfp", metavar="NAME", help='RFP name for titles, e.g. "RFP 2026-114"')
    compare.add_argument("--pdf", action="store_true", help="also write comparison.pdf (needs Chromium)")
    add_public_key(compare, purpose="a signature made with one of them reads 'verified against the city's key'")
    add_corpus(compare)
    compare.set_defaults(handler=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench compare``."""
    from harness.compare import CompareError
    from harness.report.comparison import compare_scorecards

    plates = corpus_plates(args.corpus)
    try:
        cmp, bids, written = compare_scorecards(
            args.scorecards,
            args.out,
            allow_mismatch=args.allow_mismatch,
            plates=plates,
            rfp=args.rfp,
            trusted=trusted_keys(args.public_key),
            pdf=args.pdf,
        )
    except CompareError as exc:
        raise UserError(str(exc)) from None
    for problem in cmp["mismatch"]:
        print(f"WARNING: not comparable: {problem}", file=sys.stderr)
    for problem in cmp["conditions"]:
        print(f"WARNING: different conditions: {problem}", file=sys.stderr)
    for bid in bids:
        if bid.signature.state == "unverified":
            print(f"WARNING: {bid.label}: {bid.signature.text()}", file=sys.stderr)
    for pair in cmp["pairs"]:
        print(pair["verdict"])
    for entry in cmp["inputs"]:
        print(f"{entry['label']}: {entry['eligibility_short']}")
    if not cmp["eligible_bids"]:
        print("no bid is eligible")
    print(f"wrote {len(written)} files to {args.out}")
    return 0
