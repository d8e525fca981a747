"""After ``kill -9`` of the process running a pool, its spawned workers exit within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PARENT = """
import sys, time
from harness.calls.pool import CallPool
from vendor_adapters.registry import AdapterFactory
factory = AdapterFactory("scripted_vendor:ScriptedPoolAdapter", {})
pool = CallPool(factory, factory(), 2)
executor = pool.start()
print(" ".join(str(pid) for pid in executor._processes), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ")[-1].startswith("Z"))  # a zombie is gone


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_workers_exit_within_5_s_of_a_kill_9_of_their_parent() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(5)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
    finally:
        parent.kill()
        parent.wait()
