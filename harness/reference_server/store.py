"""SQLite storage of one reference-server instance: agencies, actors, reads, agreements, audit log.

One :class:`Store` per server; every method takes the store's lock, so the connection (opened with
``check_same_thread=False``) is used by one thread at a time. Times are stored as UNIX seconds of
the sandbox clock (:class:`SandboxClock`); tokens only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS agencies (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS actors (
    id TEXT PRIMARY KEY, agency_id TEXT NOT NULL REFERENCES agencies(id), role TEXT NOT NULL,
    name TEXT NOT NULL, token_sha256 TEXT NOT NULL UNIQUE, active INTEGER NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reads (
    id TEXT PRIMARY KEY, agency_id TEXT NOT NULL REFERENCES agencies(id), plate TEXT NOT NULL,
    captured_at REAL NOT NULL, camera_id TEXT NOT NULL, ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reads_plate ON reads(plate);
CREATE TABLE IF NOT EXISTS agreements (
    id TEXT PRIMARY KEY, agency_id TEXT NOT NULL REFERENCES agencies(id), created_at REAL NOT NULL,
    expires_at REAL, revoked_at REAL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, at REAL NOT NULL,
    actor_id TEXT, actor_name TEXT, actor_role TEXT, agency_id TEXT, agency_name TEXT, agency_kind TEXT,
    action TEXT NOT NULL, query TEXT NOT NULL, reason TEXT, case_number TEXT, offense_type TEXT,
    outcome TEXT NOT NULL, code TEXT, result_count INTEGER, search_id TEXT
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hotlists (
    id TEXT PRIMARY KEY, agency_id TEXT NOT NULL REFERENCES agencies(id), name TEXT NOT NULL,
    plates TEXT NOT NULL, offered TEXT NOT NULL, accepted TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL
);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, hotlist_id TEXT NOT NULL REFERENCES hotlists(id), read_id TEXT NOT NULL,
    recipient_id TEXT NOT NULL REFERENCES agencies(id), at REAL NOT NULL
);
"""
RESETTABLE_TABLES = ("alerts", "hotlists", "audit", "agreements", "reads")


def new_id(prefix: str) -> str:
    """A fresh opaque id such as ``rd_3f9c0a1b2c3d4e5f``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a bearer token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def format_time(seconds: float) -> str:
    """RFC 3339 UTC text for UNIX seconds (microseconds only when present)."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_time(text: str) -> float:
    """UNIX seconds of an RFC 3339 date-time with an offset; raises ``ValueError`` otherwise."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset")
    return moment.timestamp()


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    kind: str
    state: str
    created_at: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "state": self.state,
                "created_at": format_time(self.created_at)}


@dataclass(frozen=True)
class Actor:
    id: str
    agency: Agency
    role: str
    name: str
    active: bool
    created_at: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "agency_id": self.agency.id, "role": self.role, "name": self.name,
                "active": self.active, "created_at": format_time(self.created_at)}


@dataclass(frozen=True)
class StoredRead:
    id: str
    agency_id: str
    plate: str
    captured_at: float
    camera_id: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "plate": self.plate, "captured_at": format_time(self.captured_at),
                "camera_id": self.camera_id, "agency_id": self.agency_id}


@dataclass(frozen=True)
class Hotlist:
    id: str
    agency_id: str
    name: str
    plates: tuple[str, ...]
    offered: tuple[str, ...]
    accepted: tuple[str, ...]
    created_at: float
    expires_at: float | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "agency_id": self.agency_id, "name": self.name, "plates": list(self.plates),
                "created_at": format_time(self.created_at),
                "expires_at": None if self.expires_at is None else format_time(self.expires_at),
                "share_with": list(self.offered), "accepted_by": list(self.accepted)}


@dataclass(frozen=True)
class Alert:
    id: str
    hotlist_id: str
    read_id: str
    recipient_id: str
    at: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "read_id": self.read_id, "hotlist_id": self.hotlist_id, "at": format_time(self.at)}


@dataclass(frozen=True)
class Agreement:
    id: str
    agency: Agency
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def status(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"

    def as_json(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id, "agency_id": self.agency.id, "agency_name": self.agency.name,
            "agency_kind": self.agency.kind, "created_at": format_time(self.created_at),
            "expires_at": None if self.expires_at is None else format_time(self.expires_at),
            "revoked_at": None if self.revoked_at is None else format_time(self.revoked_at),
            "status": self.status(now),
        }


class SandboxClock:
    """Server-side virtual time: the wall clock plus an offset that only grows."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset += seconds
        return self.now()


class Store:
    """All persistent state of one server instance (``":memory:"`` or a file path)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)
        self.clock = SandboxClock(float(self.setting("clock_offset", "0")))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, locked, inside one transaction (rolled back on error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # settings and clock

    def setting(self, key: str, default: str) -> str:
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def advance_clock(self, seconds: int) -> float:
        with self._lock:
            now = self.clock.advance(seconds)
            self.set_setting("clock_offset", repr(self.clock.offset))
            return now

    # agencies and actors

    def _agency(self, row: sqlite3.Row) -> Agency:
        return Agency(row["id"], row["name"], row["kind"], row["state"], row["created_at"])

    def add_agency(self, name: str, kind: str, state: str) -> Agency:
        agency = Agency(new_id("ag"), name, kind, state, self.clock.now())
        with self.transaction() as db:
            db.execute("INSERT INTO agencies VALUES (?, ?, ?, ?, ?)",
                       (agency.id, name, kind, state, agency.created_at))
        return agency

    def agency(self, agency_id: str) -> Agency | None:
        rows = self.query("SELECT * FROM agencies WHERE id = ?", (agency_id,))
        return self._agency(rows[0]) if rows else None

    def home(self) -> Agency | None:
        rows = self.query("SELECT * FROM agencies WHERE kind = 'home'")
        return self._agency(rows[0]) if rows else None

    def agencies(self) -> list[Agency]:
        rows = self.query("SELECT * FROM agencies ORDER BY kind != 'home', created_at, id")
        return [self._agency(r) for r in rows]

    def _actor(self, row: sqlite3.Row) -> Actor:
        agency = self.agency(row["agency_id"])
        assert agency is not None
        return Actor(row["id"], agency, row["role"], row["name"], bool(row["active"]), row["created_at"])

    def add_actor(self, agency: Agency, role: str, name: str, token: str) -> Actor:
        actor = Actor(new_id("ac"), agency, role, name, True, self.clock.now())
        with self.transaction() as db:
            db.execute("INSERT INTO actors VALUES (?, ?, ?, ?, ?, 1, ?)",
                       (actor.id, agency.id, role, name, token_digest(token), actor.created_at))
        return actor

    def actor(self, actor_id: str) -> Actor | None:
        rows = self.query("SELECT * FROM actors WHERE id = ?", (actor_id,))
        return self._actor(rows[0]) if rows else None

    def actor_by_token(self, token: str) -> Actor | None:
        rows = self.query("SELECT * FROM actors WHERE token_sha256 = ?", (token_digest(token),))
        return self._actor(rows[0]) if rows else None

    def actors(self) -> list[Actor]:
        return [self._actor(r) for r in self.query("SELECT * FROM actors ORDER BY created_at, id")]

    def deactivate_actor(self, actor_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE actors SET active = 0 WHERE id = ?", (actor_id,))

    # reads

    @staticmethod
    def _read(row: sqlite3.Row) -> StoredRead:
        return StoredRead(row["id"], row["agency_id"], row["plate"], row["captured_at"], row["camera_id"])

    def add_read(self, agency: Agency, plate: str, captured_at: float, camera_id: str) -> StoredRead:
        read = StoredRead(new_id("rd"), agency.id, plate, captured_at, camera_id)
        with self.transaction() as db:
            db.execute("INSERT INTO reads VALUES (?, ?, ?, ?, ?, ?)",
                       (read.id, agency.id, plate, captured_at, camera_id, self.clock.now()))
        return read

    def read(self, read_id: str) -> StoredRead | None:
        rows = self.query("SELECT * FROM reads WHERE id = ?", (read_id,))
        return self._read(rows[0]) if rows else None

    def find_reads(self, agency_ids: list[str] | None, *, plate: str | None = None, glob: str | None = None,
                   since: float | None = None, until: float | None = None,
                   kept_after: float | None = None) -> list[StoredRead]:
        """Reads of ``agency_ids`` (every agency when ``None``) matching all the given filters."""
        where, params = [], []
        if agency_ids is not None:
            where.append(f"agency_id IN ({','.join('?' * len(agency_ids))})")
            params.extend(agency_ids)
        for clause, value in (("plate = ?", plate), ("plate GLOB ?", glob), ("captured_at >= ?", since),
                              ("captured_at <= ?", until), ("captured_at > ?", kept_after)):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = "SELECT * FROM reads" + (" WHERE " + " AND ".join(where) if where else "")
        return [self._read(r) for r in self.query(sql + " ORDER BY captured_at, id", tuple(params))]

    def delete_reads(self, *, agency_id: str | None = None, captured_before: float | None = None) -> int:
        """Delete one agency's reads, or every read captured at or before ``captured_before``."""
        with self.transaction() as db:
            if agency_id is not None:
                return db.execute("DELETE FROM reads WHERE agency_id = ?", (agency_id,)).rowcount
            return db.execute("DELETE FROM reads WHERE captured_at <= ?", (captured_before,)).rowcount

    # agreements

    def _agreement(self, row: sqlite3.Row) -> Agreement:
        agency = self.agency(row["agency_id"])
        assert agency is not None
        return Agreement(row["id"], agency, row["created_at"], row["expires_at"], row["revoked_at"])

    def add_agreement(self, agency: Agency, expires_at: float | None) -> Agreement:
        agreement = Agreement(new_id("sa"), agency, self.clock.now(), expires_at, None)
        with self.transaction() as db:
            db.execute("INSERT INTO agreements VALUES (?, ?, ?, ?, NULL)",
                       (agreement.id, agency.id, agreement.created_at, expires_at))
        return agreement

    def agreement(self, agreement_id: str) -> Agreement | None:
        rows = self.query("SELECT * FROM agreements WHERE id = ?", (agreement_id,))
        return self._agreement(rows[0]) if rows else None

    def agreements(self, agency_id: str | None = None) -> list[Agreement]:
        if agency_id is None:
            rows = self.query("SELECT * FROM agreements ORDER BY created_at, id")
        else:
            rows = self.query("SELECT * FROM agreements WHERE agency_id = ? ORDER BY created_at, id", (agency_id,))
        return [self._agreement(r) for r in rows]

    def reset(self, keep_agency: str, keep_actor: str) -> None:
        """Back to the initial sandbox: only the home agency and its bootstrap admin; the clock keeps its time."""
        with self.transaction() as db:
            for table in RESETTABLE_TABLES:
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM actors WHERE id != ?", (keep_actor,))
            db.execute("UPDATE actors SET active = 1 WHERE id = ?", (keep_actor,))
            db.execute("DELETE FROM agencies WHERE id != ?", (keep_agency,))
            db.execute("DELETE FROM settings WHERE key != 'clock_offset'")

    # hotlists and alerts

    @staticmethod
    def _hotlist(row: sqlite3.Row) -> Hotlist:
        return Hotlist(row["id"], row["agency_id"], row["name"], tuple(json.loads(row["plates"])),
                       tuple(json.loads(row["offered"])), tuple(json.loads(row["accepted"])), row["created_at"],
                       row["expires_at"])

    def add_hotlist(self, agency: Agency, name: str, plates: list[str], offered: list[str],
                    expires_at: float | None) -> Hotlist:
        hotlist = Hotlist(new_id("hl"), agency.id, name, tuple(plates), tuple(offered), (), self.clock.now(), expires_at)
        with self.transaction() as db:
            db.execute("INSERT INTO hotlists VALUES (?, ?, ?, ?, ?, '[]', ?, ?)",
                       (hotlist.id, agency.id, name, json.dumps(plates), json.dumps(offered), hotlist.created_at,
                        expires_at))
        return hotlist

    def hotlist(self, hotlist_id: str) -> Hotlist | None:
        rows = self.query("SELECT * FROM hotlists WHERE id = ?", (hotlist_id,))
        return self._hotlist(rows[0]) if rows else None

    def hotlists(self) -> list[Hotlist]:
        return [self._hotlist(r) for r in self.query("SELECT * FROM hotlists ORDER BY created_at, id")]

    def accept_hotlist(self, hotlist_id: str, agency_id: str) -> None:
        with self.transaction() as db:
            row = db.execute("SELECT accepted FROM hotlists WHERE id = ?", (hotlist_id,)).fetchone()
            accepted = json.loads(row["accepted"])
            if agency_id not in accepted:
                db.execute("UPDATE hotlists SET accepted = ? WHERE id = ?",
                           (json.dumps([*accepted, agency_id]), hotlist_id))

    def add_alert(self, hotlist_id: str, read_id: str, recipient_id: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, ?)",
                       (new_id("al"), hotlist_id, read_id, recipient_id, self.clock.now()))

    def alerts(self, recipient_id: str) -> list[Alert]:
        rows = self.query("SELECT * FROM alerts WHERE recipient_id = ? ORDER BY at, id", (recipient_id,))
        return [Alert(r["id"], r["hotlist_id"], r["read_id"], r["recipient_id"], r["at"]) for r in rows]

    def revoke_agreement(self, agreement_id: str, at: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE agreements SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (at, agreement_id))

    # audit log

    def append_audit(self, entry: dict[str, Any]) -> str:
        """Append one entry (``at`` as UNIX seconds, ``query`` a dict); returns its id."""
        entry_id = new_id("au")
        with self.transaction() as db:
            db.execute(
                "INSERT INTO audit(id, at, actor_id, actor_name, actor_role, agency_id, agency_name, agency_kind,"
                " action, query, reason, case_number, offense_type, outcome, code, result_count, search_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry_id, entry["at"], entry["actor_id"], entry["actor_name"], entry["actor_role"],
                 entry["agency_id"], entry["agency_name"], entry["agency_kind"], entry["action"],
                 json.dumps(entry["query"], sort_keys=True), entry["reason"], entry["case_number"],
                 entry["offense_type"], entry["outcome"], entry["code"], entry["result_count"],
                 entry["search_id"]),
            )
        return entry_id

    def delete_audit(self, entry_id: str | None = None) -> int:
        """Remove one entry, or all of them: only the flaws ``audit-editable`` and ``audit-purged-on-termination`` do."""
        with self.transaction() as db:
            if entry_id is None:
                return db.execute("DELETE FROM audit").rowcount
            return db.execute("DELETE FROM audit WHERE id = ?", (entry_id,)).rowcount

    def edit_audit(self, entry_id: str, changes: dict[str, Any]) -> int:
        """Overwrite text members of one entry (only the flaw ``audit-editable`` does)."""
        editable = ("reason", "case_number", "offense_type", "outcome", "code", "actor_name", "agency_name")
        chosen = {k: str(v) for k, v in changes.items() if k in editable}
        if not chosen:
            return 0
        with self.transaction() as db:
            sets = ", ".join(f"{k} = ?" for k in chosen)
            return db.execute(f"UPDATE audit SET {sets} WHERE id = ?", (*chosen.values(), entry_id)).rowcount

    def audit_entries(self, since: float | None = None, until: float | None = None, *, after_seq: int | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
        """Entries in append order (``at`` as UNIX seconds, ``query`` a dict, ``seq`` the append position)."""
        where, params = [], []
        if after_seq is not None:
            where.append("seq > ?")
            params.append(after_seq)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        if until is not None:
            where.append("at < ?")
            params.append(until)
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        entries = []
        for row in self.query(sql, tuple(params)):
            entry = dict(zip(row.keys(), tuple(row), strict=True))
            entry["query"] = json.loads(entry["query"])
            entries.append(entry)
        return entries
