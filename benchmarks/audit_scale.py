"""Time and peak memory of ``platebench audit analyze`` on a generated production-size audit log.

    python benchmarks/audit_scale.py --entries 10000000 --dir /tmp/audit-bench

Generates (once; reused while the size and seed match) a roster of 310 accounts and an audit log
of ``--entries`` entries in the RFP evaluation API's CSV shape (``harness.audit.synthetic``: every
agency kind, 1% prohibited-purpose reasons, missing reasons and case numbers, denied searches,
reads), then runs ``platebench audit analyze`` on it in a child process and prints its wall time
and peak resident memory (``ru_maxrss`` of the child, from ``os.wait4``). The generated files are
large (about 1.3 GB for 10 million entries) and are not part of the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from harness.audit.synthetic import LogSpec, default_agencies, write_log, write_roster
from harness.scorecard.provenance import machine_info

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


def _generate(folder: Path, entries: int, seed: int) -> tuple[Path, Path]:
    roster, log, stamp = folder / "roster.csv", folder / "audit-log.csv", folder / "generated.json"
    wanted = {"entries": entries, "seed": seed, "accounts": 310}
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted and log.is_file():
        return roster, log
    folder.mkdir(parents=True, exist_ok=True)
    agencies = default_agencies(310, 0.8)
    started = time.perf_counter()
    write_roster(roster, agencies)
    write_log(log, agencies, LogSpec(entries, START, END, outside_search_share=0.7, prohibited_share=0.01,
                                     missing_reason_share=0.02, missing_case_share=0.03, seed=seed))
    stamp.write_text(json.dumps(wanted))
    print(f"generated {entries:,} entries ({log.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
    return roster, log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/platebench-audit-bench"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    roster, log = _generate(args.dir, args.entries, args.seed)
    out = args.dir / "report"
    command = [sys.executable, "-m", "harness.cli.main", "audit", "analyze", "--roster", str(roster), "--log", str(log),
               "--home", "dpd", "--out", str(out)]
    load = os.getloadavg()
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        print(f"analysis failed (exit {os.waitstatus_to_exitcode(status)})")
        return 1
    report = json.loads((out / "audit-analysis.json").read_text())
    print(f"machine: {machine_info().describe()}; load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"log: {args.entries:,} entries, {log.stat().st_size / 1e6:.0f} MB CSV, "
          f"{report['accounts']['active'] + report['accounts']['inactive']} accounts")
    print(f"wall time: {elapsed:.1f} s; CPU time (user + system): {usage.ru_utime + usage.ru_stime:.1f} s; "
          f"peak RSS of the analysis process: {usage.ru_maxrss / 1024:.0f} MB")
    print(f"searches: {report['searches']['total']:,}; outside: {report['searches']['outside_home']['percent']}%; "
          f"prohibited-purpose hits: {report['prohibited_purpose']['count']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
