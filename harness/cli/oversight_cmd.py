"""``platebench oversight``: monthly checks of the awarded vendor's production system, and the report."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import UserError

if TYPE_CHECKING:
    from harness.oversight.contract import Contract


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``oversight`` command group."""
    group = subparsers.add_parser("oversight", help="monthly oversight of the awarded vendor (exports, privacy, trends)")
    commands = group.add_subparsers(dest="oversight_command", metavar="SUBCOMMAND")
    group.set_defaults(handler=lambda _args: (group.print_help(), 2)[1])
    init = commands.add_parser("init", help="create the oversight history for a contract file",
                               description="Validate CONTRACT.toml and create the oversight history "
                                           "(oversight.duckdb) in --workspace (default: the contract's folder).")
    init.add_argument("contract", type=Path, help="the contract file (docs/oversight.md)")
    init.add_argument("--workspace", type=Path, help="where the history and evidence live")
    init.set_defaults(handler=run_init)
    run = commands.add_parser("run", help="check one period (default: the last full month)",
                              description="Analyse the period's roster and audit-log exports, run the privacy pass "
                                          "against the sandbox tenant, judge against the contract's thresholds and "
                                          "record everything; re-running a period replaces it.")
    run.add_argument("--period", help="YYYY-MM (default: the previous calendar month)")
    run.add_argument("--workspace", type=Path, default=Path("."), help="the workspace (default: .)")
    run.add_argument("--no-privacy", action="store_true", help="skip the privacy pass (every control untested)")
    run.add_argument("--no-accuracy", action="store_true",
                     help="skip the contract's accuracy re-run ([accuracy] in the contract) this period")
    run.set_defaults(handler=run_period_cmd)
    report = commands.add_parser("report", help="the report over all periods: JSON, HTML and PDF, signed",
                                 description="Write oversight-report.json (sealed; signed with --key), .html and .pdf.")
    report.add_argument("--workspace", type=Path, default=Path("."), help="the workspace (default: .)")
    report.add_argument("--out", type=Path, help="output folder (default: WORKSPACE/report)")
    report.add_argument("--key", type=Path, help="the city's Ed25519 private key (platebench keygen)")
    report.add_argument("--no-pdf", action="store_true", help="skip the PDF (it needs Chromium)")
    report.set_defaults(handler=run_report)


def _workspace_contract(workspace: Path) -> Contract:
    """The contract the workspace was initialised with (read and validated again)."""
    from harness.oversight import history
    from harness.oversight.contract import load_contract

    with history.open_history(workspace, read_only=True) as con:
        path = history.meta(con, "contract_path")
    return load_contract(Path(path or ""))


def run_init(args: argparse.Namespace) -> int:
    """Handler of ``platebench oversight init``."""
    from harness.oversight import history
    from harness.oversight.contract import load_contract

    contract = load_contract(args.contract)
    workspace = args.workspace or contract.path.parent
    workspace.mkdir(parents=True, exist_ok=True)
    path = history.create(workspace, contract.path, contract.sha256)
    print(f"oversight of {contract.name} ({contract.vendor}): history {path}")
    print(f"exports expected in {contract.exports_folder('YYYY-MM')}; run `platebench oversight run --workspace "
          f"{workspace} --period YYYY-MM`")
    return 0


def _last_month() -> str:
    today = datetime.now(UTC)
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{year:04d}-{month:02d}"


def run_period_cmd(args: argparse.Namespace) -> int:
    """Handler of ``platebench oversight run``; exit 1 when the period has a breach, 2 when refused."""
    from harness.oversight.contract import check_period
    from harness.oversight.exports import ExportRefused
    from harness.oversight.history import HistoryError
    from harness.oversight.run import run_period

    period = check_period(args.period or _last_month())
    contract = _workspace_contract(args.workspace)
    try:
        result = run_period(contract, args.workspace, period, privacy=not args.no_privacy,
                            accuracy=not args.no_accuracy, say=lambda line: print(line, file=sys.stderr))
    except (ExportRefused, HistoryError) as exc:
        raise UserError(f"{period} refused, history unchanged: {exc}") from None
    acc = result.analysis["accounts"]["outside_home"]
    srch = result.analysis["searches"]["outside_home"]
    print(f"{period}: accounts outside {acc['percent']}% ({acc['count']} of {acc['of']}), searches outside "
          f"{srch['percent']}% ({srch['count']} of {srch['of']}); privacy {result.privacy_summary}")
    for finding in result.breaches:
        print(f"BREACH {finding['rule']}: {finding['detail']}")
    for finding in result.changes:
        print(f"change {finding['rule']}: {finding['detail']}")
    if not result.breaches:
        print("no breach")
    return 1 if result.breaches else 0


def run_report(args: argparse.Namespace) -> int:
    """Handler of ``platebench oversight report``."""
    from harness.oversight import history
    from harness.oversight.report import build_report, write_report
    from harness.report.chromium import find_chromium
    from harness.scorecard.signing import SigningKeyError

    contract = _workspace_contract(args.workspace)
    with history.open_history(args.workspace, read_only=True) as con:
        doc = build_report(con, contract.data)
    pdf = not args.no_pdf
    if pdf and find_chromium() is None:
        print("platebench: warning: no Chromium found, writing JSON and HTML only", file=sys.stderr)
        pdf = False
    try:
        written = write_report(doc, args.out or args.workspace / "report", key_path=args.key, pdf=pdf)
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    breaches = sum(1 for p in doc["periods"] if p["breaches"])
    print(f"{len(doc['periods'])} period(s), {breaches} with a breach; wrote " + ", ".join(str(p) for p in written.values()))
    return 0



