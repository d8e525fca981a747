"""Facts about the software and machine a run used, for the scorecard's provenance."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from harness.scorecard.model import GitInfo, Machine

_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def git_info(root: Path = _SOURCE_ROOT) -> GitInfo | None:
    """The commit and dirty flag of the platebench checkout, or ``None`` outside a git checkout."""
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return GitInfo(commit=commit, dirty=bool(status.strip()))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def machine_info() -> Machine:
    """CPU model, usable cores, memory, OS and Python of this machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return Machine(
        cpu=_cpu_model(),
        cores=cores,
        memory_bytes=_memory_bytes(),
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
    )
