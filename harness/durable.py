"""Append-only JSON Lines made durable record by record: the run journal and the bench journal share it.

Each record is one line written with ``write`` + ``os.fsync`` before :meth:`DurableLog.append` returns.
A write that fails (disk full, I/O error) is cut back off the file and raised as
:class:`JournalWriteError`, so the file always ends with a whole record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from harness.errors import UserError


class JournalError(UserError):
    """The journal cannot be used (missing, damaged, or belongs to another run)."""


class JournalWriteError(JournalError):
    """A record could not be written (e.g. the disk is full); the journal ends with its last whole record."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.error = error
        reason = error.strerror or str(error)
        super().__init__(f"cannot write the journal {path}: {reason}")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: written to a temporary file, fsync'd, renamed over it,
    and the folder fsync'd, so a reader (or a crash) sees the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class DurableLog:
    """An open append-only log, appended to one durable record at a time."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._size = os.fstat(fd).st_size

    @classmethod
    def create(cls, path: Path, first: Mapping[str, Any]) -> Self:
        """Create a new log (refuses to overwrite one) and write its first record."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except FileExistsError:
            raise JournalError(f"{path} already exists; a run id is never reused") from None
        log = cls(path, fd)
        _fsync_dir(path.parent)
        log.append(first)
        return log

    @classmethod
    def reopen(cls, path: Path, good_bytes: int) -> Self:
        """Open an existing journal for appending, first cutting off a torn last record."""
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        if os.fstat(fd).st_size != good_bytes:
            os.ftruncate(fd, good_bytes)
            os.fsync(fd)
        return cls(path, fd)

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record durably: one line, fsync'd before returning.

        Raises :class:`JournalWriteError` when the line cannot be written whole; what was written
        of it is cut off again first, so the file still ends with the previous record."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
        data = memoryview(line.encode("utf-8"))
        try:
            written = 0
            while written < len(data):  # a write may be partial (e.g. the disk filled up)
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:
            try:
                os.ftruncate(self._fd, self._size)
                os.fsync(self._fd)
            except OSError:
                pass  # read_journal drops a torn last line anyway
            raise JournalWriteError(self.path, exc) from exc
        self._size += len(data)

    def close(self) -> None:
        """Close the file (every record is already on disk)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
