"""Loading a roster, audit log and agreements into DuckDB tables, normalized the way :mod:`records` reads them.

A CSV export is read by DuckDB directly (all columns as text, in parallel, without passing through
Python), mapped to the canonical field names of :data:`records.KNOWN_FIELDS` and normalized in SQL
exactly as :mod:`harness.audit.records` normalizes one row (trimmed, defaults, outcome synonyms,
agency kinds). A JSON export, or parsed objects, are validated in Python and written as a canonical
CSV first, so every input reaches the analysis through the same SQL. When the SQL finds an invalid
row, the file is read again by the Python reader, whose message names the line and the field.

Tables (``rowid`` keeps file order):

- ``accounts(actor_id, name, agency_id, agency_name, agency_by_name, agency_kind, state, role, active,
  home_data_access)``
- ``entries(id, at, actor_id, actor_name, agency_id, agency_name, agency_by_name, agency_kind, action,
  reason, case_number, offense_type, outcome)``
- ``agreements(agency_id, agency_name, active)``

``agency_by_name`` is true where the export gave no ``agency_id`` (the name stands in for it).
"""

from __future__ import annotations

import csv
import hashlib
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb

from harness.audit.records import (
    AGENCY_KINDS,
    FALSE_WORDS,
    OUTCOME_WORDS,
    TRUE_WORDS,
    Account,
    Agreement,
    AuditInputError,
    Entry,
    SourceFile,
    csv_header,
    load_agreements,
    load_log,
    load_roster,
)

WHITESPACE = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
"""What Python's ``str.strip()`` removes; SQL trims the same characters."""

_HASH_CHUNK = 1 << 20


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in WHITESPACE) + "]"
_STRIP = f"'^{_SPACE_CLASS}+|{_SPACE_CLASS}+$'"


def _strip(column: str) -> str:
    """SQL for ``column`` stripped as ``str.strip()`` does ('' when NULL).

    Most values start and end with a printable ASCII character: they are kept as they are after a
    cheap test, and only the others go through the regular expression (ten times the cost)."""
    c = f'"{column}"'
    return (f"(CASE WHEN {c} IS NULL THEN '' WHEN ascii({c}) BETWEEN 33 AND 126 AND {c}[-1] BETWEEN '!' AND '~' "
            f"THEN {c} ELSE regexp_replace({c}, {_STRIP}, '', 'g') END)")


def _t(column: str, present: set[str]) -> str:
    """``column`` of the stripped source row ('' when the export has no such column)."""
    return f'"{column}"' if column in present else "''"


USED_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("actor_id", "name", "actor_name", "agency_id", "agency_name", "agency_kind", "state", "role",
                 "active", "home_data_access"),
    "entries": ("id", "at", "actor_id", "actor_name", "agency_id", "agency_name", "agency_kind", "action", "reason",
                "case_number", "offense_type", "outcome"),
    "agreements": ("agency_id", "agency_name", "active", "revoked_at", "status"),
}
"""The fields the analysis reads; other columns are only looked at to skip blank rows."""


def _either(first: str, second: str, present: set[str]) -> str:
    return f"coalesce(nullif({_t(first, present)}, ''), {_t(second, present)})"


def _kind(present: set[str]) -> str:
    return f"replace(replace(lower({_t('agency_kind', present)}), '-', '_'), ' ', '_')"


def _flag(column: str, present: set[str]) -> str:
    word = f"lower({_t(column, present)})"
    trues = ", ".join(map(_lit, sorted(TRUE_WORDS)))
    falses = ", ".join(map(_lit, sorted(FALSE_WORDS)))
    return f"(CASE WHEN {word} = '' THEN true WHEN {word} IN ({trues}) THEN true WHEN {word} IN ({falses}) THEN false END)"


def _select(key: str, present: set[str]) -> tuple[str, str]:
    """The normalizing SELECT list of table ``key`` and the SQL condition of an invalid row."""
    t = lambda c: _t(c, present)
    kinds = ", ".join(map(_lit, AGENCY_KINDS))
    bad_kind = f"(agency_kind <> '' AND agency_kind NOT IN ({kinds}))"
    if key == "accounts":
        cols = {
            "actor_id": t("actor_id"),
            "name": _either("name", "actor_name", present),
            "agency_id": _either("agency_id", "agency_name", present),
            "agency_name": _either("agency_name", "agency_id", present),
            "agency_by_name": f"({t('agency_id')} = '')",
            "agency_kind": _kind(present),
            "state": f"upper({t('state')})",
            "role": f"lower({t('role')})",
            "active": _flag("active", present),
            "home_data_access": _flag("home_data_access", present),
        }
        bad = f"actor_id = '' OR agency_id = '' OR {bad_kind} OR active IS NULL OR home_data_access IS NULL"
    elif key == "entries":
        outcome_cases = " ".join(f"WHEN {_lit(w)} THEN {_lit(o)}" for w, o in OUTCOME_WORDS.items())
        cols = {
            "id": t("id"),
            "at": t("at"),
            "actor_id": _either("actor_id", "actor_name", present),
            "actor_name": t("actor_name"),
            "agency_id": _either("agency_id", "agency_name", present),
            "agency_name": _either("agency_name", "agency_id", present),
            "agency_by_name": f"({t('agency_id')} = '')",
            "agency_kind": _kind(present),
            "action": f"lower({t('action')})",
            "reason": t("reason"),
            "case_number": t("case_number"),
            "offense_type": t("offense_type"),
            "outcome": f"(CASE lower({t('outcome')}) {outcome_cases} END)",
        }
        bad = (f"\"at\" = '' OR action = '' OR outcome IS NULL OR {bad_kind} OR "
               "(action = 'search' AND (actor_id = '' OR agency_id = ''))")
    else:
        status = f"lower({t('status')})"
        cols = {
            "agency_id": _either("agency_id", "agency_name", present),
            "agency_name": t("agency_name"),
            "active_flag": _flag("active", present),
            "active": f"({_flag('active', present)} AND {t('revoked_at')} = '' AND {status} NOT IN ('revoked', 'expired'))",
        }
        bad = "agency_id = '' OR active_flag IS NULL"
    select = ", ".join(f"{expr} AS {name}" for name, expr in cols.items())
    return select, bad


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise AuditInputError(f"{path}: line 1: not UTF-8 text") from exc
    except (OSError, csv.Error) as exc:
        raise AuditInputError(f"{path}: cannot read: {exc}") from exc
    if not header:
        raise AuditInputError(f"{path}: line 1: empty file (expected a CSV header row)")
    return header


def _python_error(path: Path, key: str) -> AuditInputError:
    """The Python reader's message for the first bad row of ``path`` (it reads the whole file)."""
    loader = {"accounts": load_roster, "entries": load_log, "agreements": load_agreements}[key]
    try:
        loader(path)
    except AuditInputError as exc:
        return exc
    return AuditInputError(f"{path}: a row could not be read (no line-level detail available)")


def is_json(path: Path) -> bool:
    """Whether ``path`` is read as JSON: a ``.json`` name, or ``{``/``[`` as its first character."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as handle:
            start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise AuditInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return start[:1] in (b"{", b"[")


def load_csv(con: duckdb.DuckDBPyConnection, key: str, path: Path, table: str | None = None) -> int:
    """Create table ``table`` (default ``key``) from CSV ``path``; returns its row count."""
    header = _read_header(path)
    names = csv_header(path, header, key)
    used = [(i, n) for i, n in enumerate(names) if n in USED_FIELDS[key]]
    present = {n for _, n in used}
    columns = "{" + ", ".join(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(names))) + "}"
    stripped = ", ".join(f"{_strip(f'c{i}')} AS \"{name}\"" for i, name in used)
    others = [f"c{i}" for i, n in enumerate(names) if n not in present]
    blank = " AND ".join([f"\"{n}\" = ''" for _, n in used] + [f"{_strip(c)} = ''" for c in others])
    source = (f"(SELECT {stripped} FROM read_csv({_lit(str(path))}, header = true, columns = {columns}, "
              "delim = ',', quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8') "
              f"WHERE NOT ({blank})) AS raw")
    select, bad = _select(key, present)
    target = table or key
    try:
        con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT *, ({bad}) AS invalid FROM "
                    f"(SELECT {select} FROM {source})")
        invalid = con.execute(f"SELECT count(*) FROM {target} WHERE invalid IS NOT false").fetchone()[0]
    except duckdb.Error as exc:
        error = _python_error(path, key)
        raise AuditInputError(f"{error} ({type(exc).__name__})" if "no line-level" in str(error) else str(error)) from exc
    if invalid:
        raise _python_error(path, key)
    con.execute(f"ALTER TABLE {target} DROP COLUMN invalid")
    if key == "agreements":
        con.execute(f"ALTER TABLE {target} DROP COLUMN active_flag")
    return int(con.execute(f"SELECT count(*) FROM {target}").fetchone()[0])


def _write_canonical(path: Path, key: str, items: Iterable[Any]) -> None:
    fields = {"accounts": Account, "entries": Entry, "agreements": Agreement}[key].__dataclass_fields__
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(fields))
        for item in items:
            row = asdict(item)
            writer.writerow([("true" if v else "false") if isinstance(v, bool) else v for v in row.values()])


def load_objects(con: duckdb.DuckDBPyConnection, key: str, items: Iterable[Any], workdir: Path) -> int:
    """Create table ``key`` from parsed :class:`Account`/:class:`Entry`/:class:`Agreement` objects."""
    path = workdir / f"{key}.canonical.csv"
    _write_canonical(path, key, items)
    try:
        return load_csv(con, key, path)
    finally:
        path.unlink(missing_ok=True)


def load_file(con: duckdb.DuckDBPyConnection, key: str, path: Path, workdir: Path) -> SourceFile:
    """Create table ``key`` from a JSON or CSV export; its provenance (sha256, format, rows)."""
    if not path.is_file():
        raise AuditInputError(f"{path}: cannot read: no such file")
    if is_json(path):
        loader = {"accounts": load_roster, "entries": load_log, "agreements": load_agreements}[key]
        items, source = loader(path)
        load_objects(con, key, items, workdir)
        return source
    rows = load_csv(con, key, path)
    return SourceFile(str(path), _sha256(path), "csv", rows)


def connect(workdir: Path, memory_limit: str = "1GB", keep: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB database bounded in memory (it spills to ``workdir``): in memory, or with ``keep`` the file
    ``workdir/analysis.duckdb`` (writing it compresses the tables, which costs about twice the time)."""
    con = duckdb.connect(str(workdir / "analysis.duckdb") if keep else ":memory:")
    con.execute(f"SET memory_limit = {_lit(memory_limit)}")
    con.execute(f"SET temp_directory = {_lit(str(workdir / 'spill'))}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET TimeZone = 'UTC'")
    return con


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for one analysis's database file and spill."""
    return tempfile.TemporaryDirectory(prefix="platebench-audit-")
