"""The auditor's analysis of an access roster and an audit-log export (control PC-SHR-07 and friends).

Answers the questions Denver's auditor could not get answered: what share of the accounts that can
reach the city's data, and of the searches run on it, come from outside the contracting agency, by
kind of agency (the "80% outside the department" figure); which outside agencies have accounts or
searches but no sharing agreement; which actors in the log are not on the roster; which searches
lack a reason or case number; which reasons name a prohibited purpose; how many searches came from
out-of-state and federal agencies; what was allowed and what was denied.

The figures are computed in DuckDB (:mod:`harness.audit.tables` loads the exports), so a log of
tens of millions of entries is analysed in bounded memory. The report holds counts, agency and
account names, entry ids and matched keywords. It never holds the search query (that is plate text)
nor the free-text reason itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from harness import __version__
from harness.audit.purposes import CATEGORIES, match_prohibited
from harness.audit.records import AGENCY_KINDS, Account, Agreement, AuditInputError, Entry, SourceFile
from harness.audit.tables import connect, load_file, load_objects, scratch_dir

REPORT_VERSION = 2
KINDS: tuple[str, ...] = (*AGENCY_KINDS, "unknown")
"""Agency kinds in report order; ``unknown`` when neither the files nor the rules below say."""
MAX_WARNED = 10
"""Longest list of examples in one warning."""
ADMIN_ACTIONS: tuple[str, ...] = ("create_agency", "create_actor", "deactivate_actor", "share", "revoke",
                                   "retention", "delete")
"""Log actions that administer the city's system (accounts, agencies, agreements, retention, deletion)."""
_ENTRY_ORDER = 1 << 40
"""Position of a log entry among all records: roster rows first, then log entries (file order)."""


@dataclass
class Agency:
    """One agency after merging spellings: the first id seen, the first name, kind and state stated."""

    id: str
    name: str
    kind: str
    state: str
    raw_ids: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)


@dataclass
class Inputs:
    """Parsed inputs of one analysis (the privacy suite analyses API responses this way)."""

    accounts: list[Account]
    entries: list[Entry]
    agreements: list[Agreement] | None = None
    sources: dict[str, SourceFile] = field(default_factory=dict)


def percent(part: int, whole: int) -> float | None:
    """``part / whole`` in percent, one decimal; ``None`` when ``whole`` is zero."""
    return round(100.0 * part / whole, 1) if whole else None


def _share(part: int, whole: int) -> dict[str, Any]:
    return {"count": part, "of": whole, "percent": percent(part, whole)}


def agency_key(text: str) -> str:
    """How agency ids and names are compared: Unicode NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def analyze(inputs: Inputs, home: str) -> dict[str, Any]:
    """The analysis of parsed inputs as a JSON-ready dict (see ``docs/audit-analysis.md``)."""
    with scratch_dir() as tmp:
        workdir = Path(tmp)
        con = connect(workdir)
        try:
            load_objects(con, "accounts", inputs.accounts, workdir)
            load_objects(con, "entries", inputs.entries, workdir)
            if inputs.agreements is not None:
                load_objects(con, "agreements", inputs.agreements, workdir)
            return analyze_tables(con, home, inputs.sources, inputs.agreements is not None)
        finally:
            con.close()


def analyze_files(roster: Path, log: Path, home: str, agreements: Path | None = None,
                  memory_limit: str = "1GB", keep_in: Path | None = None) -> dict[str, Any]:
    """The analysis of export files (JSON or CSV); raises :class:`AuditInputError` naming file and line.

    With ``keep_in`` (an empty folder), the loaded tables stay in ``keep_in/analysis.duckdb``
    (``accounts``, ``entries``, ``agreements``; see :mod:`harness.audit.tables`)."""
    if keep_in is not None:
        return _analyze_in(keep_in, roster, log, home, agreements, memory_limit, keep=True)
    with scratch_dir() as tmp:
        return _analyze_in(Path(tmp), roster, log, home, agreements, memory_limit, keep=False)


def _analyze_in(workdir: Path, roster: Path, log: Path, home: str, agreements: Path | None,
                memory_limit: str, keep: bool) -> dict[str, Any]:
    con = connect(workdir, memory_limit, keep)
    try:
        sources = {"roster": load_file(con, "accounts", roster, workdir),
                   "log": load_file(con, "entries", log, workdir)}
        if agreements is not None:
            sources["agreements"] = load_file(con, "agreements", agreements, workdir)
        return analyze_tables(con, home, sources, agreements is not None)
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchone()[0]


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in items[:MAX_WARNED])
    return shown + (f" and {len(items) - MAX_WARNED} more" if len(items) > MAX_WARNED else "")


def _deduplicate(con: duckdb.DuckDBPyConnection, warnings: list[str]) -> tuple[int, int]:
    """Views ``acc`` (one row per actor_id) and ``ent`` (one entry per id); returns the duplicates dropped."""
    dup_accounts = [r[0] for r in _rows(con, "SELECT actor_id FROM accounts GROUP BY actor_id HAVING count(*) > 1 "
                                              "ORDER BY min(rowid)")]
    con.execute("""CREATE OR REPLACE TEMP TABLE acc AS SELECT actor_id,
        arg_min(name, rowid) AS name, arg_min(agency_id, rowid) AS agency_id,
        arg_min(agency_name, rowid) AS agency_name, arg_min(agency_by_name, rowid) AS agency_by_name,
        arg_min(agency_kind, rowid) AS agency_kind, arg_min(state, rowid) AS state,
        arg_min(role, rowid) AS role, bool_or(active) AS active,
        bool_or(active AND home_data_access) AS reach, min(rowid) AS pos
        FROM accounts GROUP BY actor_id""")
    dropped_accounts = int(_one(con, "SELECT (SELECT count(*) FROM accounts) - (SELECT count(*) FROM acc)"))
    if dup_accounts:
        warnings.append(f"{len(dup_accounts)} account(s) appear more than once in the roster ({dropped_accounts} "
                        f"duplicate rows), counted once each (active if any row is): {_listed(dup_accounts)}")
    dup_ids = [r[0] for r in _rows(con, "SELECT id FROM entries WHERE id <> '' GROUP BY id HAVING count(*) > 1 "
                                        "ORDER BY min(rowid)")]
    if dup_ids:
        con.execute("""CREATE OR REPLACE TEMP TABLE ent AS SELECT rowid AS pos, * FROM entries
            WHERE id = '' OR rowid IN (SELECT min(rowid) FROM entries WHERE id <> '' GROUP BY id)""")
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW ent AS SELECT rowid AS pos, * FROM entries")
    dropped_entries = int(_one(con, "SELECT (SELECT count(*) FROM entries) - (SELECT count(*) FROM ent)"))
    if dup_ids:
        warnings.append(f"{len(dup_ids)} log entry id(s) appear more than once ({dropped_entries} duplicate "
                        f"entries), counted once (the first): {_listed(dup_ids)}")
    return dropped_accounts, dropped_entries


def _agencies(con: duckdb.DuckDBPyConnection, warnings: list[str]) -> dict[str, Agency]:
    """Raw agency id -> merged :class:`Agency` (spellings differing in case, spaces or Unicode form are one)."""
    raw = _rows(con, f"""
        WITH recs AS (
            SELECT agency_id, agency_name, agency_by_name, agency_kind, state, pos AS p FROM acc
            UNION ALL
            SELECT agency_id, agency_name, agency_by_name, agency_kind, '' AS state, pos + {_ENTRY_ORDER} FROM ent
            WHERE agency_id <> '')
        SELECT agency_id, min(p),
            arg_min(agency_name, p) FILTER (WHERE agency_name <> ''), min(p) FILTER (WHERE agency_name <> ''),
            arg_min(agency_kind, p) FILTER (WHERE agency_kind <> ''), min(p) FILTER (WHERE agency_kind <> ''),
            arg_min(state, p) FILTER (WHERE state <> ''), min(p) FILTER (WHERE state <> ''),
            bool_and(agency_by_name), list(DISTINCT agency_kind) FILTER (WHERE agency_kind <> '')
        FROM recs GROUP BY agency_id ORDER BY min(p)""")
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for row in raw:
        groups.setdefault(agency_key(row[0]), []).append(row)
    by_name = {agency_key(r[2] or ""): key for key, rows in groups.items() for r in rows if not r[8]}
    for key in [k for k, rows in groups.items() if all(r[8] for r in rows)]:
        target = by_name.get(key)
        if target is not None and target != key:
            groups[target].extend(groups.pop(key))
    merged: dict[str, Agency] = {}
    for rows in groups.values():
        rows.sort(key=lambda r: r[1])

        def first(value: int, pos: int) -> str:
            best = min((r for r in rows if r[pos] is not None), key=lambda r: r[pos], default=None)  # noqa: B023
            return "" if best is None else str(best[value])

        agency = Agency(rows[0][0], first(2, 3) or rows[0][0], first(4, 5), first(6, 7),
                        [r[0] for r in rows], {r[2] for r in rows if r[2]})
        kinds = sorted({k for r in rows for k in (r[9] or [])})
        if len(kinds) > 1:
            warnings.append(f"agency {agency.name!r} is given kind {' and '.join(kinds)} in different records; "
                            f"used {agency.kind!r} (the first)")
        if len(rows) > 1:
            warnings.append(f"agency spellings differing only in case, spaces or Unicode form were merged as "
                            f"{agency.name!r}: {_listed([r[0] for r in rows])}")
        for r in rows:
            merged[r[0]] = agency
    return merged


def _find_home(agencies: dict[str, Agency], home: str) -> Agency:
    wanted = agency_key(home)
    for agency in _unique(agencies):
        if wanted in {agency_key(agency.id), agency_key(agency.name), *map(agency_key, agency.raw_ids),
                      *map(agency_key, agency.names)}:
            return agency
    known = ", ".join(sorted(f"{a.name} ({a.id})" if a.name != a.id else a.id for a in _unique(agencies)))
    raise AuditInputError(f"home agency {home!r} appears in neither the roster nor the log (agencies: {known})")


def _unique(agencies: dict[str, Agency]) -> list[Agency]:
    seen: dict[int, Agency] = {}
    for agency in agencies.values():
        seen.setdefault(id(agency), agency)
    return list(seen.values())


def _covered(agency: Agency, covered: set[str] | None) -> bool:
    if covered is None:
        return False
    return bool({agency_key(agency.id), agency_key(agency.name), *map(agency_key, agency.raw_ids),
                 *map(agency_key, agency.names)} & covered)


def _resolve_kinds(agencies: list[Agency], home: Agency, covered: set[str] | None) -> None:
    """Fill in every agency's kind: the files' word, else derived (see ``docs/audit-analysis.md``)."""
    for agency in agencies:
        if agency is home:
            agency.kind = "home"
        elif agency.kind == "home":
            raise AuditInputError(
                f"agency {agency.name or agency.id!r} is marked agency_kind=home but --home names "
                f"{home.name or home.id!r}"
            )
        elif not agency.kind:
            if agency.state and home.state and agency.state != home.state:
                agency.kind = "out_of_state"
            elif covered is not None:
                agency.kind = "partner" if _covered(agency, covered) else "instate"
            else:
                agency.kind = "unknown"


def _agency_table(con: duckdb.DuckDBPyConnection, agencies: dict[str, Agency]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE agency_map (raw_id VARCHAR, aid VARCHAR, name VARCHAR, kind VARCHAR)")
    if agencies:
        con.executemany("INSERT INTO agency_map VALUES (?, ?, ?, ?)",
                        [(raw, a.id, a.name, a.kind) for raw, a in agencies.items()])
    con.execute("""CREATE OR REPLACE TEMP VIEW acc_k AS
        SELECT acc.*, m.aid, m.name AS aname, m.kind FROM acc JOIN agency_map m ON m.raw_id = acc.agency_id""")
    con.execute("""CREATE OR REPLACE TEMP VIEW search_k AS
        SELECT ent.*, m.aid, m.name AS aname, m.kind FROM ent JOIN agency_map m ON m.raw_id = ent.agency_id
        WHERE ent.action = 'search'""")


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in _rows(con, sql)}


def _by_kind(counter: dict[str, int], whole: int) -> dict[str, dict[str, Any]]:
    return {kind: _share(counter[kind], whole) for kind in KINDS if counter.get(kind)}


def _timestamps(con: duckdb.DuckDBPyConnection, warnings: list[str]) -> dict[str, Any]:
    row = con.execute("""SELECT count(*) FILTER (WHERE t IS NULL), min(t), max(t) FROM (
        SELECT try_cast("at" AS TIMESTAMPTZ) AS t FROM ent)""").fetchone()
    bad = int(row[0])
    if bad:
        examples = [f"entry {i}" if i else f"row {p + 1}" for i, p in _rows(
            con, f"SELECT id, pos FROM ent WHERE try_cast(\"at\" AS TIMESTAMPTZ) IS NULL ORDER BY pos LIMIT {MAX_WARNED}")]
        warnings.append(f"{bad} log entr{'y' if bad == 1 else 'ies'} with a timestamp that is not an ISO 8601 "
                        f"date-time (counted, but not placed in time): {', '.join(examples)}")
    return {"unparseable": bad,
            "earliest": row[1].isoformat() if row[1] else None,
            "latest": row[2].isoformat() if row[2] else None}


def analyze_tables(con: duckdb.DuckDBPyConnection, home: str, sources: dict[str, SourceFile],
                   agreements_given: bool) -> dict[str, Any]:
    """The analysis of the tables :mod:`harness.audit.tables` loaded into ``con``."""
    warnings: list[str] = []
    dropped_accounts, dropped_entries = _deduplicate(con, warnings)
    agencies = _agencies(con, warnings)
    home_agency = _find_home(agencies, home)
    covered = None
    if agreements_given:
        covered = {agency_key(t) for row in _rows(con, "SELECT agency_id, agency_name FROM agreements WHERE active")
                   for t in row if t}
    _resolve_kinds(_unique(agencies), home_agency, covered)
    _agency_table(con, agencies)

    active, inactive, reach = con.execute(
        "SELECT count(*) FILTER (WHERE active), count(*) FILTER (WHERE NOT active), count(*) FILTER (WHERE reach) "
        "FROM acc").fetchone()
    account_kinds = _counts(con, "SELECT kind, count(*) FROM acc_k WHERE reach GROUP BY kind")
    search_kinds = _counts(con, "SELECT kind, count(*) FROM search_k GROUP BY kind")
    allowed_kinds = _counts(con, "SELECT kind, count(*) FROM search_k WHERE outcome = 'allowed' GROUP BY kind")
    denied_kinds = _counts(con, "SELECT kind, count(*) FROM search_k WHERE outcome = 'denied' GROUP BY kind")
    searches = sum(search_kinds.values())
    allowed = sum(allowed_kinds.values())

    return {
        "report": "platebench-audit-analysis",
        "report_version": REPORT_VERSION,
        "platebench_version": __version__,
        "home": {"agency_id": home_agency.id, "agency_name": home_agency.name, "state": home_agency.state},
        "inputs": {name: asdict(src) for name, src in sources.items()},
        "warnings": warnings,
        "accounts": {
            "active": int(active),
            "inactive": int(inactive),
            "without_home_access": int(active) - int(reach),
            "duplicates_dropped": dropped_accounts,
            "outside_home": _share(int(reach) - account_kinds.get("home", 0), int(reach)),
            "by_kind": _by_kind(account_kinds, int(reach)),
        },
        "searches": {
            "total": searches,
            "outside_home": _share(searches - search_kinds.get("home", 0), searches),
            "by_kind": _by_kind(search_kinds, searches),
            "allowed": _share(allowed, searches),
            "denied": _share(searches - allowed, searches),
            "allowed_outside_home": _share(allowed - allowed_kinds.get("home", 0), allowed),
            "outcome_by_kind": {
                kind: {"allowed": allowed_kinds.get(kind, 0), "denied": denied_kinds.get(kind, 0)}
                for kind in KINDS if search_kinds.get(kind)
            },
        },
        "log": {"entries": int(_one(con, "SELECT count(*) FROM ent")), "duplicates_dropped": dropped_entries,
                "timestamps": _timestamps(con, warnings)},
        "actions": _counts(con, "SELECT action, count(*) FROM ent GROUP BY action ORDER BY action"),
        "roster_reconciliation": _reconcile(con),
        "outside_administration": _outside_administration(con),
        "agencies_without_agreement": _without_agreement(con, agencies, covered),
        "missing_reason": _missing(con, "reason"),
        "missing_case_number": _missing(con, "case_number"),
        "prohibited_purpose": _prohibited(con, searches),
        "out_of_state_searches": _kind_searches(con, "out_of_state", searches),
        "federal_searches": _kind_searches(con, "federal", searches),
    }


def _reconcile(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Actors in the log missing from the roster, and searches by accounts the roster says cannot search."""
    missing = _rows(con, """SELECT ent.actor_id, arg_min(ent.actor_name, ent.pos), arg_min(m.name, ent.pos),
            count(*), count(*) FILTER (WHERE ent.action = 'search'),
            count(*) FILTER (WHERE ent.action = 'search' AND ent.outcome = 'allowed')
        FROM ent LEFT JOIN agency_map m ON m.raw_id = ent.agency_id
        WHERE ent.actor_id <> '' AND ent.actor_id NOT IN (SELECT actor_id FROM acc)
        GROUP BY ent.actor_id ORDER BY min(ent.pos)""")
    unlisted = [{"actor_id": a, "actor_name": n or "", "agency_name": g or "", "entries": int(e),
                 "searches": int(s), "allowed_searches": int(al)} for a, n, g, e, s, al in missing]
    cannot = _rows(con, """SELECT s.actor_id, arg_min(acc.name, s.pos), arg_min(s.aname, s.pos),
            bool_or(acc.active), count(*)
        FROM search_k s JOIN acc ON acc.actor_id = s.actor_id
        WHERE s.outcome = 'allowed' AND NOT acc.reach GROUP BY s.actor_id ORDER BY min(s.pos)""")
    actors = int(_one(con, "SELECT count(DISTINCT actor_id) FROM ent WHERE actor_id <> ''"))
    return {
        "actors_in_log": actors,
        "not_on_roster": _share(len(unlisted), actors) | {"actors": unlisted},
        "allowed_searches_without_access": [
            {"actor_id": a, "actor_name": n or "", "agency_name": g or "",
             "roster": "active, no home-data access" if act else "inactive", "allowed_searches": int(c)}
            for a, n, g, act, c in cannot],
    }


def _outside_administration(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Administrative actions (:data:`ADMIN_ACTIONS`) by actors of agencies other than the contracting one."""
    actions = ", ".join(f"'{a}'" for a in ADMIN_ACTIONS)
    rows = _rows(con, f"""SELECT ent.id, ent."at", ent.actor_id, ent.actor_name, m.name, m.kind, ent.action, ent.outcome
        FROM ent JOIN agency_map m ON m.raw_id = ent.agency_id
        WHERE ent.action IN ({actions}) AND m.kind <> 'home' ORDER BY ent.pos""")
    entries = [{"entry_id": r[0], "at": r[1], "actor_id": r[2], "actor_name": r[3], "agency_name": r[4],
                "agency_kind": r[5], "action": r[6], "outcome": r[7]} for r in rows]
    allowed = [e for e in entries if e["outcome"] == "allowed"]
    by_action: dict[str, int] = {}
    for e in allowed:
        by_action[e["action"]] = by_action.get(e["action"], 0) + 1
    return {"attempts": len(entries), "allowed": len(allowed), "allowed_by_action": by_action, "entries": entries}


def _without_agreement(con: duckdb.DuckDBPyConnection, agencies: dict[str, Agency],
                       covered: set[str] | None) -> dict[str, Any]:
    if covered is None:
        return {"checked": False, "note": "no --agreements file given", "agencies": []}
    accounts = _counts(con, "SELECT aid, count(*) FROM acc_k WHERE active GROUP BY aid")
    searches = _counts(con, "SELECT aid, count(*) FROM search_k GROUP BY aid")
    allowed = _counts(con, "SELECT aid, count(*) FROM search_k WHERE outcome = 'allowed' GROUP BY aid")
    rows = [
        {
            "agency_id": agency.id,
            "agency_name": agency.name,
            "agency_kind": agency.kind,
            "accounts": accounts.get(agency.id, 0),
            "searches": searches.get(agency.id, 0),
            "allowed_searches": allowed.get(agency.id, 0),
        }
        for agency in sorted(_unique(agencies), key=lambda a: (KINDS.index(a.kind), a.name, a.id))
        if agency.kind != "home" and not _covered(agency, covered)
        and (accounts.get(agency.id) or searches.get(agency.id))
    ]
    return {"checked": True, "agencies": rows}


def _missing(con: duckdb.DuckDBPyConnection, column: str) -> dict[str, Any]:
    total, hits, allowed = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {column} = ''), "
        f"count(*) FILTER (WHERE {column} = '' AND outcome = 'allowed') FROM search_k").fetchone()
    by_kind = _counts(con, f"SELECT kind, count(*) FROM search_k WHERE {column} = '' GROUP BY kind ORDER BY min(pos)")
    ids = [r[0] for r in _rows(con, f"SELECT id FROM search_k WHERE {column} = '' AND id <> '' ORDER BY pos")]
    return {**_share(int(hits), int(total)), "allowed": int(allowed), "by_kind": by_kind, "entry_ids": ids}


_CANDIDATE = ("(NOT regexp_full_match({c}, '[\\x00-\\x7F]*') OR regexp_matches(replace({c}, '.', ''), "
              "'[A-Za-z]{{3}}') OR contains({c}, '287'))")
"""A superset of the texts :func:`match_prohibited` can flag: every pattern needs three letters in a row
(once acronym dots are gone) or ``287``, and fuzzy words eight; non-ASCII text is always examined."""

_PURPOSE_FIELDS = ("reason", "offense_type", "case_number")


def _prohibited(con: duckdb.DuckDBPyConnection, total: int) -> dict[str, Any]:
    texts = [r[0] for r in _rows(con, " UNION ".join(
        f"SELECT DISTINCT {c} FROM search_k WHERE {c} <> '' AND {_CANDIDATE.format(c=c)}" for c in _PURPOSE_FIELDS))]
    matches = [(t, m.category, m.term, m.fuzzy) for t in texts if (m := match_prohibited(t)) is not None]
    con.execute("CREATE OR REPLACE TEMP TABLE purpose (text VARCHAR, category VARCHAR, term VARCHAR, fuzzy BOOLEAN)")
    if matches:
        con.executemany("INSERT INTO purpose VALUES (?, ?, ?, ?)", matches)
    joins = " ".join(f"LEFT JOIN purpose p{i} ON p{i}.text = s.{c}" for i, c in enumerate(_PURPOSE_FIELDS))
    pick = lambda part: "coalesce(" + ", ".join(f"p{i}.{part}" for i in range(3)) + ")"
    which = "CASE " + " ".join(f"WHEN p{i}.text IS NOT NULL THEN '{c}'" for i, c in enumerate(_PURPOSE_FIELDS)) + " END"
    rows = _rows(con, f"""SELECT s.id, s."at", s.actor_name, s.aname, s.kind, {pick('category')}, {which},
            {pick('term')}, {pick('fuzzy')}, s.outcome
        FROM search_k s {joins}
        WHERE p0.text IS NOT NULL OR p1.text IS NOT NULL OR p2.text IS NOT NULL ORDER BY s.pos""")
    hits = [{"entry_id": r[0], "at": r[1], "actor_name": r[2], "agency_name": r[3], "agency_kind": r[4],
             "category": r[5], "field": r[6], "matched": r[7], "fuzzy": bool(r[8]), "outcome": r[9]} for r in rows]
    return {
        **_share(len(hits), total),
        "allowed": sum(h["outcome"] == "allowed" for h in hits),
        "by_category": {cat: sum(h["category"] == cat for h in hits) for cat in CATEGORIES},
        "searches": hits,
    }


def _kind_searches(con: duckdb.DuckDBPyConnection, kind: str, total: int) -> dict[str, Any]:
    rows = _rows(con, """SELECT aid, any_value(aname), count(*) FILTER (WHERE outcome = 'allowed'),
            count(*) FILTER (WHERE outcome = 'denied') FROM search_k WHERE kind = ? GROUP BY aid
        ORDER BY any_value(aname), min(pos)""", [kind])
    allowed = sum(int(r[2]) for r in rows)
    denied = sum(int(r[3]) for r in rows)
    return {
        **_share(allowed + denied, total),
        "allowed": allowed,
        "denied": denied,
        "agencies": [{"agency_id": a, "agency_name": n, "allowed": int(al), "denied": int(d)} for a, n, al, d in rows],
    }
