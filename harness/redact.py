"""Redaction rules, in one place: what must never appear in a scorecard, comparison, report or log.

- **plate text**: the corpus's plate strings (given by the caller; a plate is matched whatever its
  case and with or without spaces, hyphens or dots between characters) become ``<plate>``;
- **credentials**: ``Authorization``/``Token``/``Bearer`` values, and the values of fields or
  parameters named like ``api_key``, ``secret_key``, ``token``, ``password`` (in ``key=value``,
  ``key: value`` and JSON ``"key": "value"`` forms, and as mapping keys) become ``<redacted>``;
- **URLs**: user info (``https://user:pass@host``) and secret query parameters become ``<redacted>``.

Known secret *values* (the credentials a vendor's configuration names with ``*_env`` keys) are
remembered when an adapter is built (:func:`remember_config_secrets`) and :func:`scrub` replaces
them wherever they appear, whatever the text around them: every error message recorded for a call
and every error line printed goes through it, so a vendor echoing the token cannot leak it; every
line the command line prints goes through :func:`scrub_known` (:func:`scrubbed_output`).

Renderers call :func:`redact_text` on every string that came from a vendor, a corpus or a rubric
(or :func:`redact_value` on whole structures); :func:`find_leaks` searches finished outputs
(text, HTML, JSON, CSV, SVG, XLSX/ZIP members, PDF text) for known secrets.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from html import escape as html_escape
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from vendor_adapters.base import normalize_plate_text

REDACTED = "<redacted>"
PLATE = "<plate>"
MIN_PLATE_LENGTH = 3
"""Shorter plate strings are not redacted from free text (they would match too much)."""

SECRET_NAME = re.compile(
    r"(?i)^(?:.*[_-])?(?:api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key|token|access[_-]?token|"
    r"auth(?:orization)?|bearer|password|passwd|pwd|client[_-]?secret|session|cookie|signature|sig)$"
)
"""Field and parameter names whose values are credentials."""

_NAMES = (
    r"api[_-]?key|apikey|secret[_-]?key|secret|access[_-]?key|access[_-]?token|token|password|passwd|pwd|"
    r"client[_-]?secret|x-api-key"
)
_RULES: tuple[tuple[re.Pattern[str], Any], ...] = (
    # scheme://user:pass@host -> scheme://<redacted>@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@<>\"']+@"), r"\1" + REDACTED + "@"),
    # Authorization: Basic xyz (the scheme word kept, the credential dropped)
    (
        re.compile(r"(?i)(\bauthorization\s*[:=]\s*)(?:(bearer|basic|token|digest)\s+)?[^\s,;\"'<>]+"),
        lambda m: m.group(1) + (m.group(2) + " " if m.group(2) else "") + REDACTED,
    ),
    # Bearer xyz / Token xyz (a credential-looking word: 8+ characters with a digit)
    (
        re.compile(r"(?i)\b(bearer|token)\s+(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{8,}"),
        r"\1 " + REDACTED,
    ),
    # "api_key": "value" (JSON)
    (
        re.compile(r'(?i)("(?:[\w-]*[_-])?(?:' + _NAMES + r')"\s*:\s*)"(?:[^"\\]|\\.)*"'),
        r'\1"' + REDACTED + '"',
    ),
    # api_key=value / secret_key: value / ?token=value&...
    (
        re.compile(r"(?i)(\b(?:[\w-]*[_-])?(?:" + _NAMES + r")\b\s*[=:]\s*)(?!<redacted>)[^\s&;,\"'<>)\]}]+"),
        r"\1" + REDACTED,
    ),
)


@lru_cache(maxsize=64)
def _plate_pattern(plates: tuple[str, ...]) -> re.Pattern[str] | None:
    texts = sorted(
        {normalize_plate_text(p) for p in plates if len(normalize_plate_text(p)) >= MIN_PLATE_LENGTH},
        key=len,
        reverse=True,
    )
    if not texts:
        return None
    sep = r"[\s.\-]?"
    alternatives = [sep.join(re.escape(ch) for ch in t) for t in texts]
    return re.compile(r"(?i)(?<![A-Z0-9])(?:" + "|".join(alternatives) + r")(?![A-Z0-9])")


MIN_SECRET_LENGTH = 4
"""Shorter known secret values are not scrubbed from free text (they would match too much)."""
_known_secrets: set[str] = set()


def remember_config_secrets(config: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """Remember the values of the environment variables a vendor's table names (``token_env = "X"``)."""
    for key, name in config.items():
        if key.endswith("_env") and isinstance(name, str) and len(env.get(name, "")) >= MIN_SECRET_LENGTH:
            _known_secrets.add(env[name])


def scrub_known(text: str) -> str:
    """``text`` with every remembered secret value (as is, HTML-escaped or URL-encoded) redacted."""
    for secret in sorted(_known_secrets, key=len, reverse=True):
        for variant in {secret, html_escape(secret), quote(secret, safe="")}:
            text = text.replace(variant, REDACTED)
    return text


def scrub(text: str) -> str:
    """``text`` with every remembered secret value and every credential-looking pattern redacted."""
    return redact_text(scrub_known(text))


class ScrubbingStream:
    """A text stream that writes through to ``stream`` with every remembered secret value redacted.

    Text is passed on a whole line at a time (and on ``flush``), so a secret split over two writes is
    still caught; everything else (``isatty``, ``fileno``, ``encoding``...) is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        cut = self._pending.rfind("\n") + 1
        if cut:
            self._stream.write(scrub_known(self._pending[:cut]))
            self._pending = self._pending[cut:]
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(scrub_known(self._pending))
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def scrubbed_output() -> Iterator[None]:
    """While inside: everything printed to ``sys.stdout`` and ``sys.stderr`` goes through :func:`scrub_known`."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ScrubbingStream(saved[0]), ScrubbingStream(saved[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def redact_text(text: str, plates: Iterable[str] = ()) -> str:
    """``text`` with credentials, URL user info/query secrets and the given plate strings replaced."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    pattern = _plate_pattern(tuple(plates))
    return pattern.sub(PLATE, text) if pattern else text


def redact_value(value: Any, plates: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with every string redacted and credential-named members blanked."""
    plates = tuple(plates)
    if isinstance(value, str):
        return redact_text(value, plates)
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED
                if isinstance(k, str) and SECRET_NAME.match(k) and isinstance(v, str) and v
                else redact_value(v, plates)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(v, plates) for v in value]
    return value


# --------------------------------------------------------------------------- leak checker


@dataclass(frozen=True)
class Leak:
    """A secret found in an output file. ``label`` names the secret, never its value."""

    path: Path
    label: str
    where: str
    """Which part of the file: ``text``, a ZIP member name, or ``pdf text``."""

    def __str__(self) -> str:
        return f"{self.path}: {self.label} found in {self.where}"


def _variants(secret: str) -> set[str]:
    """How a secret may be spelled in an output: as is, HTML-escaped, URL-encoded, JSON-escaped."""
    return {
        v.lower() for v in (secret, html_escape(secret), quote(secret, safe=""), secret.replace("/", "\\/"))
    }


def _pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        raise RuntimeError("cannot search PDF text: pdftotext not found (install poppler-utils)")
    done = subprocess.run(
        [tool, "-q", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"pdftotext failed on {path}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode("utf-8", errors="replace")


def _parts(path: Path) -> Iterable[tuple[str, str]]:
    """(where, text) pieces of a file, unpacking ZIP containers (xlsx, docx) and PDF text."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        yield "pdf text", _pdf_text(path)
        yield "pdf bytes", path.read_bytes().decode("latin-1")
    elif suffix in {".xlsx", ".docx", ".zip"} and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield name, archive.read(name).decode("utf-8", errors="replace")
    else:
        yield "text", path.read_bytes().decode("utf-8", errors="replace")


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


def find_leaks(paths: Sequence[Path], secrets: Mapping[str, str]) -> list[Leak]:
    """Every place a secret appears in ``paths`` (files, or folders searched recursively).

    ``secrets`` maps a label (printed) to the secret value (searched case-insensitively, also in
    its HTML-escaped, URL-encoded and JSON-escaped spellings). A plate string is also searched in
    its normalized form (``ABC 123`` as ``ABC123``).
    """
    leaks: list[Leak] = []
    needles = {
        label: _variants(value) | _variants(normalize_plate_text(value)) - {""}
        for label, value in secrets.items()
    }
    for file in _files(paths):
        for where, text in _parts(file):
            lowered = text.lower()
            leaks.extend(
                Leak(file, label, where)
                for label, forms in needles.items()
                if any(f in lowered for f in forms)
            )
    return leaks
