"""The load harness's own performance against a loopback stub vendor; prints figures and the machine.

One core runs the stub (a separate process pinned to CPU 1), the other the harness (this process,
pinned to CPU 0), as in the issue's reference figures. On a shared machine other jobs' time
slices delay even a nice -20 process by several milliseconds, so by default the harness, the stub
and Locust run as ``SCHED_FIFO`` (root only; ``--no-realtime`` to turn off).

(a) accuracy: a 20 ms stub at 200 queries/s open loop; the harness's p50/p99 against the stub's
    own handler-time distribution (goal: within 0.5 ms and 2 ms).
(b) capacity: bisection for the highest open-loop rate whose achieved rate is within 2% of the
    target with no error, against a 1 ms stub (goal >= 2,000/s), each probe against a fresh stub
    and with at most 64 connections (``--connections``); then Locust's FastHttpUser (64 users,
    closed loop, so 64 connections) against a fresh stub, same payload, same CPU.

The harness runs on uvloop when it is installed (``--no-uvloop``: asyncio's own loop).
(c) memory: RSS of the harness sampled every 10 s over a long open-loop run (must stay flat).

    python benchmarks/load_capacity.py [--accuracy-seconds 30] [--probe-seconds 10] [--minutes 1]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Self

from harness.calls.single import ImageTarget
from harness.load.callers import http_caller
from harness.load.eventloop import loop_name, run
from harness.load.scenarios import LoadResult, meets_bound_and_rate, run_server, search_max_qps
from harness.load.stub_adapter import StubAdapter
from harness.load.stub_server import closed_port
from harness.scorecard.provenance import machine_info
from harness.transport import AsyncTransport, TransportConfig
from vendor_adapters.base import Image

USE_UVLOOP = True
"""Run the harness on uvloop when installed (``--no-uvloop``: asyncio's own loop)."""

PAYLOAD = Image(b"\xff\xd8" + os.urandom(1022), name="payload.jpg")
"""1 KiB request body, the same for the harness and Locust."""

LOCUSTFILE = '''
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

BODY = b"\\xff\\xd8" + bytes(1022)

class Stub(FastHttpUser):
    wait_time = constant(0)

    @task
    def recognize(self):
        self.client.post("/recognize", data=BODY, headers={"Content-Type": "image/jpeg"})
'''


class Stub:
    """The stub vendor in its own process, pinned to one CPU."""

    def __init__(self, service_ms: float, record: bool, cpu: int = 1) -> None:
        self.port = closed_port()
        cmd = [sys.executable, "-m", "harness.load.stub_server", "--port", str(self.port),
               "--service-ms", str(service_ms), "--cpu", str(cpu)]
        if not record:
            cmd.append("--no-record")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("stub did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/stats") as resp:
            return json.load(resp)

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/stats/reset", method="POST")).close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)




def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def server_run(url: str, qps: float, seconds: float, seed: int = 1, connections: int = 0) -> LoadResult:
    async with AsyncTransport(TransportConfig(max_connections=connections)) as transport:
        call = http_caller(StubAdapter(f"{url}/recognize"), [ImageTarget(PAYLOAD)], transport)
        return await run_server(call, target_qps=qps, duration_s=seconds, seed=seed)


def accuracy(seconds: float) -> None:
    print(f"\n(a) measurement accuracy: 20 ms stub, 200 q/s open loop, {seconds:g} s")
    with Stub(20.0, record=True) as stub:
        run(server_run(stub.url, 200, 2), USE_UVLOOP)  # warm up connections
        stub.reset()
        result = run(server_run(stub.url, 200, seconds), USE_UVLOOP)
        own = stub.stats()
    lat = result.latency_ms
    print(f"  harness: n={result.n} achieved={result.achieved_qps:.1f}/s p50={lat['p50']:.3f} "
          f"p90={lat['p90']:.3f} p99={lat['p99']:.3f} max={lat['max']:.3f} ms errors={result.errors}")
    print(f"  stub   : n={own['count']} p50={own['p50']:.3f} p90={own['p90']:.3f} p99={own['p99']:.3f} "
          f"max={own['max']:.3f} ms (its own handler time)")
    d50, d99 = lat["p50"] - own["p50"], lat["p99"] - own["p99"]
    print(f"  difference: p50 {d50:+.3f} ms (goal |d| <= 0.5: {'met' if abs(d50) <= 0.5 else 'NOT met'}), "
          f"p99 {d99:+.3f} ms (goal |d| <= 2: {'met' if abs(d99) <= 2 else 'NOT met'})")
    print(f"  harness schedule lag p50/p99: {result.details['schedule_lag_ms']['p50']:.3f} / "
          f"{result.details['schedule_lag_ms']['p99']:.3f} ms")


def locust(url: str, seconds: int, users: int = 64) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        locustfile = Path(tmp) / "locustfile.py"
        locustfile.write_text(LOCUSTFILE)
        prefix = Path(tmp) / "stats"
        cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(users),
               "-r", str(users), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix), "--only-summary",
               "--loglevel", "ERROR"]
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       preexec_fn=lambda: os.sched_setaffinity(0, {0}))
        with open(f"{prefix}_stats.csv", newline="") as fh:
            rows = {row["Name"]: row for row in csv.DictReader(fh)}
    agg = rows["Aggregated"]
    print(f"  locust FastHttpUser ({users} users, closed loop, {seconds} s): {float(agg['Requests/s']):.0f} req/s, "
          f"failures {agg['Failure Count']}, p50 {agg['50%']} ms, p99 {agg['99%']} ms")
    return float(agg["Requests/s"])


def capacity(probe_seconds: float, locust_seconds: int, low: float, high: float, rounds: int,
             connections: int) -> None:
    pool = f"at most {connections} connections" if connections else "unlimited connections"
    print(f"\n(b) load capacity: 1 ms stub, bisection between {low:g} and {high:g}/s on achieved >= 98% "
          f"of target, no errors, {probe_seconds:g} s probes, {pool}, a fresh stub per probe")

    async def probe(qps: float) -> LoadResult:
        with Stub(1.0, record=False) as stub:  # an overloaded probe must not slow the next one down
            await server_run(stub.url, 1000, 1, connections=connections)  # open connections, warm up
            result = await server_run(stub.url, qps, probe_seconds, connections=connections)
        print(f"  probe {qps:7.0f}/s: achieved {result.achieved_qps:7.1f}/s "
              f"({result.achieved_qps / qps:.1%}), p99 {result.latency_ms['p99']:.2f} ms, "
              f"lag p99 {result.details['schedule_lag_ms']['p99']:.2f} ms, "
              f"peak in flight {result.details['peak_in_flight']}, errors {result.errors}", flush=True)
        return result

    found = run(search_max_qps(probe, low, high, passes=meets_bound_and_rate, rounds=rounds), USE_UVLOOP)
    best = "none" if found.best_qps is None else f"{found.best_qps:.0f}"
    print(f"  harness sustains: {best} req/s open loop (goal >= 2,000)")
    with Stub(1.0, record=False) as stub:
        theirs = locust(stub.url, locust_seconds)
    if found.best_qps is not None:
        verdict = "harness ahead" if found.best_qps >= theirs else "Locust ahead"
        print(f"  comparison: harness {found.best_qps:.0f}/s open loop vs Locust {theirs:.0f}/s closed loop: "
              f"{verdict}")


def memory(minutes: float, qps: float) -> None:
    print(f"\n(c) memory: {minutes:g} min open loop at {qps:g}/s against a 1 ms stub, RSS every 10 s")
    with Stub(1.0, record=False) as stub:
        samples: list[float] = []

        async def go() -> LoadResult:
            async def sample() -> None:
                begin = time.perf_counter()
                while True:
                    samples.append(rss_mb())
                    print(f"  t={time.perf_counter() - begin:5.0f} s RSS {samples[-1]:.1f} MB", flush=True)
                    await asyncio.sleep(10)

            sampler = asyncio.create_task(sample())
            result = await server_run(stub.url, qps, minutes * 60)
            sampler.cancel()
            samples.append(rss_mb())
            return result

        result = run(go(), USE_UVLOOP)
    print(f"  queries {result.n}, achieved {result.achieved_qps:.1f}/s, errors {result.errors}, "
          f"precision: {result.details['precision']}")
    print(f"  RSS MB: first {samples[0]:.1f}, last {samples[-1]:.1f}, max {max(samples):.1f} "
          f"({len(samples)} samples: {' '.join(f'{s:.0f}' for s in samples)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accuracy-seconds", type=float, default=30)
    parser.add_argument("--probe-seconds", type=float, default=10)
    parser.add_argument("--locust-seconds", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--memory-qps", type=float, default=1000)
    parser.add_argument("--realtime", action=argparse.BooleanOptionalAction, default=True,
                        help="run harness, stub and Locust as SCHED_FIFO (root) to keep other jobs' noise out")
    parser.add_argument("--capacity-range", type=float, nargs=2, default=(1000, 32000), metavar=("LOW", "HIGH"))
    parser.add_argument("--rounds", type=int, default=7, help="bisection rounds for (b)")
    parser.add_argument("--connections", type=int, default=64,
                        help="(b): the harness's connection cap, as many as Locust's users (0: unlimited)")
    parser.add_argument("--uvloop", action=argparse.BooleanOptionalAction, default=True,
                        help="run the harness on uvloop when installed (default) or on asyncio's own loop")
    parser.add_argument("--only", choices=("accuracy", "capacity", "memory"))
    args = parser.parse_args()
    global USE_UVLOOP
    USE_UVLOOP = args.uvloop
    os.sched_setaffinity(0, {0})
    policy = "normal"
    if args.realtime:  # a shared sandbox preempts even nice -20 for several ms; FIFO does not
        try:  # inherited by the stub and Locust; the kernel's RT throttle keeps 5% for the rest
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
            policy = "SCHED_FIFO 10"
        except PermissionError:
            policy = "normal (SCHED_FIFO refused)"
    print(f"platebench load benchmark, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine_info().describe()}; harness pinned to CPU 0, stub to CPU 1, scheduling {policy}, "
          f"event loop {loop_name(USE_UVLOOP)}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other jobs on the machine)")
    if args.only in (None, "accuracy"):
        accuracy(args.accuracy_seconds)
    if args.only in (None, "capacity"):
        capacity(args.probe_seconds, args.locust_seconds, *args.capacity_range, args.rounds, args.connections)
    if args.only in (None, "memory"):
        memory(args.minutes, args.memory_qps)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
