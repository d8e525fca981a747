"""Commands for ranking and signing bids: ``compare``, ``report``, ``keygen``, ``sign``, and the
signature part of ``verify`` (registered through :mod:`harness.cli.scorecard_cmd`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``compare``, ``report``, ``keygen`` and ``sign``."""
    compare = subparsers.add_parser(
        "compare",
        help="put several vendors' scorecards side by side, with significance tests",
        description=(
            "Verify each scorecard, then write comparison.md, .html, .json, .xlsx and .csv (and plots/*.svg) to "
            "--out: one column per vendor, mandatory requirements first, headline figures with 95% CIs and n, "
            "and for each pair of vendors McNemar's exact test on per-image correctness (Holm-corrected for more "
            "than two vendors) with a paired bootstrap CI of the accuracy difference. Refuses scorecards made on "
            "different corpora, rubrics or image sets unless --allow-mismatch."
        ),
    )
    compare.add_argument(
        "scorecards", nargs="+", type=Path, metavar="SCORECARD", help="scorecard.json files or run folders"
    )
    compare.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write the comparison into"
    )
    compare.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare even across corpora, rubrics or image sets (every report then says so)",
    )
    compare.add_argument("--rfp", metavar="NAME", help='RFP name for titles, e.g. "RFP 2026-114"')
    compare.add_argument("--pdf", action="store_true", help="also write comparison.pdf (needs Chromium)")
    compare.add_argument(
        "--corpus",
        type=Path,
        metavar="PATH",
        help="corpus whose plate strings are redacted from every vendor-provided string",
    )
    compare.set_defaults(handler=compare_command)

    report = subparsers.add_parser(
        "report",
        help="render a scorecard as self-contained HTML and/or PDF",
        description="Write scorecard.html (default) and/or scorecard.pdf (title page for a contract appendix; "
        "needs Chromium) for a verified scorecard, beside it or into --out, plus plots/*.svg.",
    )
    report.add_argument("scorecard", type=Path, metavar="SCORECARD", help="scorecard.json or a run folder")
    report.add_argument(
        "--html", action="store_true", help="write scorecard.html (the default when neither is given)"
    )
    report.add_argument("--pdf", action="store_true", help="write scorecard.pdf")
    report.add_argument("--out", type=Path, metavar="DIR", help="Default: the scorecard's folder")
    report.add_argument(
        "--rfp", metavar="NAME", help="RFP name for the PDF title page. Default: the rubric's name"
    )
    report.add_argument("--corpus", type=Path, metavar="PATH", help="corpus whose plate strings are redacted")
    report.set_defaults(handler=report_command)

    keygen = subparsers.add_parser(
        "keygen",
        help="create an Ed25519 key pair for signing scorecards",
        description="Write PREFIX.key (private, PEM PKCS#8, mode 0600: keep it secret) and PREFIX.pub (public, PEM: "
        "publish it so anyone can check the city's signatures).",
    )
    keygen.add_argument("--out", type=Path, required=True, metavar="PREFIX")
    keygen.set_defaults(handler=keygen_command)

    sign = subparsers.add_parser(
        "sign",
        help="sign a scorecard with the city's Ed25519 key",
        description="Verify the scorecard's integrity hash, then add integrity.signature (Ed25519 over the "
        "canonical form) and rewrite the file in place (or to --output).",
    )
    sign.add_argument("scorecard", type=Path, metavar="SCORECARD")
    sign.add_argument(
        "--key", type=Path, required=True, metavar="KEY", help="private key from platebench keygen"
    )
    sign.add_argument("--output", type=Path, metavar="PATH", help="Default: overwrite SCORECARD")
    sign.set_defaults(handler=sign_command)


def _plates(corpus: Path | None) -> tuple[str, ...]:
    if corpus is None:
        return ()
    from harness.corpus.validate import load_corpus

    return tuple(p.text for s in load_corpus(corpus).samples for p in s.plates)


def _verified(path: Path) -> dict:
    import harness.scorecard.signing  # noqa: F401  (registers the signature self-check)
    from harness.scorecard.integrity import load_document, resolve_scorecard_path, verify

    doc, problems = load_document(path)
    problems = problems if doc is None else verify(doc)
    if problems:
        raise UserError(
            f"{resolve_scorecard_path(path)} failed verification:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return doc  # type: ignore[return-value]


def compare_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench compare``."""
    from harness.compare import CompareError, build_comparison
    from harness.compare.outputs import write_comparison

    plates = _plates(args.corpus)
    try:
        cmp, bids = build_comparison(
            args.scorecards, allow_mismatch=args.allow_mismatch, plates=plates, rfp=args.rfp
        )
    except CompareError as exc:
        raise UserError(str(exc)) from None
    written = write_comparison(cmp, bids, args.out, plates=plates)
    if args.pdf:
        from harness.report.pdf import write_comparison_pdf

        written.append(write_comparison_pdf(cmp, bids, args.out / "comparison.pdf", plates=plates))
    for problem in cmp["mismatch"]:
        print(f"WARNING: not comparable: {problem}", file=sys.stderr)
    for pair in cmp["pairs"]:
        print(pair["verdict"])
    for entry in cmp["inputs"]:
        print(f"{entry['label']}: {'eligible' if entry['eligible'] else 'INELIGIBLE'}")
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench report``."""
    from harness.report.html import redacted_plots, render_scorecard_html, write_plots
    from harness.scorecard.integrity import resolve_scorecard_path

    doc = _verified(args.scorecard)
    plates = _plates(args.corpus)
    out = args.out or resolve_scorecard_path(args.scorecard).parent
    out.mkdir(parents=True, exist_ok=True)
    want_html = args.html or not args.pdf
    if want_html:
        page = out / "scorecard.html"
        plots = redacted_plots([(doc["provenance"]["vendor"]["vendor"], doc)], plates)
        page.write_text(render_scorecard_html(doc, plates=plates, plots=plots), encoding="utf-8")
        write_plots(plots, out / "plots")
        print(page)
    if args.pdf:
        from harness.report.pdf import write_scorecard_pdf

        print(write_scorecard_pdf(doc, out / "scorecard.pdf", rfp=args.rfp, plates=plates))
    return 0


def keygen_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench keygen``."""
    from harness.scorecard.signing import SigningKeyError, fingerprint, keygen, load_public_key

    try:
        key, pub = keygen(args.out)
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    print(f"private key (keep secret): {key}")
    print(f"public key (publish): {pub}  fingerprint {fingerprint(load_public_key(pub))}")
    return 0


def sign_command(args: argparse.Namespace) -> int:
    """Handler of ``platebench sign``."""
    from harness.scorecard.integrity import resolve_scorecard_path
    from harness.scorecard.signing import SigningKeyError, fingerprint, load_private_key, sign

    doc = _verified(args.scorecard)
    try:
        key = load_private_key(args.key)
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    target = args.output or resolve_scorecard_path(args.scorecard)
    signed = sign(doc, key)
    target.write_text(json.dumps(signed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"signed {target} with key {fingerprint(key.public_key())}")
    return 0


def verify_signed(path: Path, public_key: Path | None) -> int:
    """``platebench verify``: the hash, and the signature (against ``public_key`` when given)."""
    from harness.scorecard.integrity import load_document, resolve_scorecard_path
    from harness.scorecard.signing import SigningKeyError, check, load_public_key

    target = resolve_scorecard_path(path)
    try:
        trusted = load_public_key(public_key) if public_key else None
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    doc, problems = load_document(path)
    verdict = check(doc, trusted) if doc is not None else None
    problems = problems if verdict is None else verdict.problems
    if problems:
        for problem in problems:
            print(f"FAILED: {target}: {problem}")
        return 1
    for note in verdict.notes if verdict else []:
        print(f"note: {note}")
    print(f"OK: {target}")
    return 0
