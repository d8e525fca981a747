"""What the default privacy pass costs on the reference server, and whether it stays clean across seeds.

    python benchmarks/privacy_pass.py                    # one seed, the default exploration budget
    python benchmarks/privacy_pass.py --seeds 20 --budget 120   # the no-false-FAIL check on 20 seeds
    python benchmarks/privacy_pass.py --flaw share-all   # one flawed server

For each seed it starts a fresh reference server on loopback, runs the fixed controls and the
exploration, and prints the wall time of each pass, the requests sent, and every control that did
not PASS. The machine and its load average are printed with the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.privacy.explorer import Budget, Explorer
from harness.privacy.runner import run_privacy_suite
from harness.privacy.sandbox import SandboxClient
from harness.reference_server.launcher import ServerStartError, running_reference_server
from harness.scorecard.provenance import machine_info


def one(seed: int, budget: Budget, flaws: tuple[str, ...]) -> tuple[float, float, float, int, dict[str, str]]:
    """(fixed-pass seconds, exploration seconds, CPU seconds of both, requests, non-PASS results) for one seed.

    The server runs in this process (a thread), so the CPU seconds are harness and server together:
    about the wall time the pass takes on an otherwise idle machine."""
    with running_reference_server(flaws=flaws) as server:
        client = SandboxClient(server.base_url, server.admin_token)
        cpu, started = time.process_time(), time.perf_counter()
        report = run_privacy_suite(client, seed=seed)
        fixed = time.perf_counter() - started
        explored = Explorer(server.base_url, server.admin_token, seed=seed, budget=budget,
                            http=client.http, validator=client.validator).run()
        cpu = time.process_time() - cpu
        client.close()
    failing = {c.id: f"{c.result}: {c.message[:160]}" for c in report.controls if c.result != "PASS"}
    failing.update({c: f"exploration: {f.divergences[0].message[:160]}" for c, f in explored.findings.items()})
    if explored.unavailable:
        failing["exploration"] = explored.unavailable
    return fixed, explored.seconds, cpu, len(client.transcript) + explored.actions, failing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds (1, 2, ...)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--budget", type=Budget.parse, default=Budget(), help="exploration budget: 300, 60s or 300,60s")
    parser.add_argument("--flaw", action="append", default=[], help="start the server with this flaw")
    args = parser.parse_args(argv)
    clean = 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        load = os.getloadavg()[0]
        for attempt in range(3):  # a loaded machine can be slower than the launcher's start-up wait
            try:
                fixed, explored, cpu, requests, failing = one(seed, args.budget, tuple(args.flaw))
                break
            except ServerStartError as exc:
                print(f"seed {seed}: {exc}; retrying", flush=True)
        else:
            return 2
        clean += not failing
        print(f"seed {seed}: fixed pass {fixed:.1f} s, exploration {explored:.1f} s ({args.budget.describe()}), "
              f"CPU {cpu:.1f} s, {requests} requests, load {load:.1f}: "
              + ("all PASS" if not failing else f"{len(failing)} not PASS"), flush=True)
        for control, what in sorted(failing.items()):
            print(f"    {control} {what}", flush=True)
    print(f"{clean} of {args.seeds} seeds all PASS. Machine: {machine_info().describe()}.")
    return 0 if clean == args.seeds or args.flaw else 1


if __name__ == "__main__":
    raise SystemExit(main())
