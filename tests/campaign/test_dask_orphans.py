"""After ``kill -9`` of a process running the Dask executor's LocalCluster, its worker processes exit too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"
PARENT = """
import time
import psutil
from harness.calls.dask_pool import DaskCallPool
from vendor_adapters.registry import AdapterFactory
if __name__ == "__main__":
    factory = AdapterFactory("scripted_vendor:ScriptedPoolAdapter", {})
    pool = DaskCallPool(factory, factory(), 2, "dask")
    pool.start()
    print(" ".join(str(p.pid) for p in psutil.Process().children(recursive=True)), flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ")[-1].startswith("Z"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_local_cluster_processes_exit_within_15_s_of_a_kill_9_of_their_client(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(RUNNER_TESTS), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=env)
    try:
        assert parent.stdout is not None
        children = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(children) >= 2 and all(_alive(pid) for pid in children)  # nannies and workers
        parent.send_signal(signal.SIGKILL)
        parent.wait(5)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in children)
    finally:
        parent.kill()
        parent.wait()
