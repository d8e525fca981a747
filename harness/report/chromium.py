"""Driving a headless Chromium: finding it, and printing an HTML file to PDF.

Chromium is not a Python dependency; it is found on ``PATH`` (``chromium``, ``chromium-browser``,
``google-chrome``) or at ``$PLATEBENCH_CHROMIUM``. Every launch uses a throw-away profile and
turns off everything that could reach the network on its own (updates, sync, QUIC...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from vendor_adapters.errors import PrerequisiteError

ENV_VAR = "PLATEBENCH_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: `apt-get install -y chromium`) or set PLATEBENCH_CHROMIUM to the "
    "path of a Chromium or Chrome binary"
)
QUIET_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)
"""Flags of every headless launch (``--user-data-dir`` is added per launch)."""


def find_chromium() -> str | None:
    """Path of a Chromium binary, or ``None``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Path of a Chromium binary; raises :class:`PrerequisiteError` naming how to install one."""
    found = find_chromium()
    if found is None:
        where = (
            f"${ENV_VAR} ({os.environ[ENV_VAR]}) is not an executable file"
            if os.environ.get(ENV_VAR)
            else ("no chromium, chromium-browser or google-chrome on PATH")
        )
        raise PrerequisiteError(f"making a PDF needs Chromium: {where}; {INSTALL_HINT}")
    return found


def print_to_pdf(html: Path, pdf: Path, *, timeout_s: float = 120.0) -> Path:
    """Print a local HTML file to ``pdf`` with headless Chromium (no header/footer; the page's
    ``@page`` rules set the paper size and margins)."""
    binary = require_chromium()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    # ignore_cleanup_errors: Chromium's helper processes may still be leaving the profile folder
    with tempfile.TemporaryDirectory(prefix="platebench-chromium-", ignore_cleanup_errors=True) as profile:
        command = [
            binary,
            *QUIET_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf.resolve()}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise PrerequisiteError(f"Chromium did not print {html} within {timeout_s:g} s") from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise PrerequisiteError(
            f"Chromium could not print {html} to PDF (exit {done.returncode}): " + " | ".join(tail)
        )
    return pdf
