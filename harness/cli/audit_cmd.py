"""``platebench audit analyze``: the auditor's analysis of an access roster and an audit-log export."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness.errors import UserError

REPORT_STEM = "audit-analysis"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``audit`` command group."""
    audit = subparsers.add_parser("audit", help="analyze a vendor's access roster and audit-log export")
    commands = audit.add_subparsers(dest="audit_command", metavar="SUBCOMMAND")
    audit.set_defaults(handler=lambda _args: _usage(audit))
    analyze = commands.add_parser(
        "analyze",
        help="share of accounts and searches outside the contracting agency, missing reasons, prohibited purposes",
        description="Read an access roster and an audit-log export (RFP evaluation API JSON, or CSV; see "
        "docs/audit-analysis.md) and report who outside the contracting agency can reach and searched its data.",
    )
    analyze.add_argument("--roster", required=True, type=Path, help="access roster (JSON or CSV)")
    analyze.add_argument("--log", required=True, type=Path, help="audit-log export (JSON or CSV)")
    analyze.add_argument("--home", required=True, help="the contracting agency: its agency_id or agency_name")
    analyze.add_argument("--agreements", type=Path, help="sharing agreements (JSON or CSV); enables the "
                         "'agencies without agreement' list")
    analyze.add_argument("--out", type=Path, help=f"write {REPORT_STEM}.md and {REPORT_STEM}.json into this folder")
    analyze.add_argument("--format", choices=("md", "json"), default="md",
                         help="what to print when --out is not given (default: md)")
    analyze.set_defaults(handler=run_analyze)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_analyze(args: argparse.Namespace) -> int:
    """Handler of ``platebench audit analyze``."""
    from harness.audit.analyze import analyze_files
    from harness.audit.markdown import render_markdown

    report = analyze_files(args.roster, args.log, args.home, args.agreements)
    for warning in report["warnings"]:
        print(f"platebench: warning: {warning}", file=sys.stderr)
    as_json = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    as_md = render_markdown(report)
    if args.out is None:
        print(as_json if args.format == "json" else as_md, end="")
        return 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for suffix, text in ((".json", as_json), (".md", as_md)):
            target = args.out / f"{REPORT_STEM}{suffix}"
            tmp = target.with_suffix(suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
    except OSError as exc:
        raise UserError(f"cannot write the report into {args.out}: {exc.strerror or exc}") from exc
    acc, srch = report["accounts"]["outside_home"], report["searches"]["outside_home"]
    print(
        f"accounts outside {report['home']['agency_name'] or report['home']['agency_id']}: "
        f"{acc['percent']}% ({acc['count']} of {acc['of']}); searches outside: "
        f"{srch['percent']}% ({srch['count']} of {srch['of']}); "
        f"prohibited-purpose searches: {report['prohibited_purpose']['count']}\n"
        f"wrote {args.out / (REPORT_STEM + '.md')} and {args.out / (REPORT_STEM + '.json')}"
    )
    return 0
