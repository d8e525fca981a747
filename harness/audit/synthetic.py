"""Synthetic access-roster and audit-log exports in the RFP evaluation API's CSV shape.

For benchmarks (a production-size log), tests (logs with a known mix) and oversight demonstrations
(a year of monthly exports with planted events). Seeded and reproducible; written as a stream, so a
log of tens of millions of entries needs no memory. Plate text in ``query`` is a synthetic marker
(:data:`QUERY_PREFIX`), which no report may contain.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROSTER_COLUMNS = ("actor_id", "name", "agency_id", "agency_name", "agency_kind", "state", "role", "active",
                  "home_data_access")
LOG_COLUMNS = ("id", "at", "actor_id", "actor_name", "actor_role", "agency_id", "agency_name", "agency_kind",
               "action", "query", "reason", "case_number", "offense_type", "outcome", "code", "result_count",
               "search_id")
QUERY_PREFIX = "QXSYN"
REASONS = ("stolen vehicle", "robbery", "burglary", "hit and run", "homicide investigation", "missing person",
           "amber alert", "aggravated assault", "carjacking", "fraud", "shots fired", "stolen plates",
           "armed robbery suspect vehicle", "felony warrant", "kidnapping", "vehicle used in burglary",
           "protective order violation", "importation of controlled substances", "trafficking investigation",
           "welfare check", "reckless driving pattern", "arson", "theft from motor vehicle")
"""Reasons as officers write them; a few look like prohibited purposes but are not (``protective``)."""
PROHIBITED_REASONS = ("ICE", "I.C.E. request", "immigration enforcement", "imigration check", "deportation",
                      "abortion investigation", "No Kings rally", "protest organizer")
OFFENSES = ("motor_vehicle_theft", "robbery", "burglary", "homicide", "assault", "fraud", "")
ADMIN_ACTIONS = ("create_actor", "deactivate_actor", "share", "revoke")


@dataclass(frozen=True)
class AgencySpec:
    """One agency of the synthetic roster and how many accounts it has."""

    id: str
    name: str
    kind: str
    state: str
    accounts: int
    inactive: int = 0
    without_access: int = 0


@dataclass
class LogSpec:
    """What one synthetic audit log holds."""

    entries: int
    start: datetime
    end: datetime
    outside_search_share: float = 0.3
    prohibited_share: float = 0.0
    missing_reason_share: float = 0.0
    missing_case_share: float = 0.0
    denied_share: float = 0.05
    read_share: float = 0.1
    outside_admin_entries: int = 0
    """Allowed ``create_actor`` entries by an outside agency's admin (planted provisioning)."""
    seed: int = 0
    id_prefix: str = "e"
    extra_actors: Sequence[str] = field(default_factory=tuple)


def default_agencies(accounts: int = 310, outside_share: float = 0.8) -> list[AgencySpec]:
    """A Denver-like network: the home agency, partners, in-state, out-of-state and federal agencies."""
    outside = round(accounts * outside_share)
    home = accounts - outside
    kinds = (("partner", "CO", 0.45), ("instate", "CO", 0.25), ("out_of_state", "TX", 0.2), ("federal", "US", 0.1))
    agencies = [AgencySpec("dpd", "Denver Police Department", "home", "CO", home, inactive=max(1, home // 20))]
    left = outside
    for index, (kind, state, share) in enumerate(kinds):
        count = left if index == len(kinds) - 1 else round(outside * share)
        left -= count
        parts = min(5, count)
        for n in range(parts):
            size = count // parts + (1 if n < count % parts else 0)
            agencies.append(AgencySpec(f"{kind[:3]}{n}", f"{kind.replace('_', ' ').title()} Agency {n}", kind, state,
                                       size, without_access=1 if kind == "federal" and size > 1 else 0))
    return agencies


def _accounts(agencies: Sequence[AgencySpec]) -> list[tuple[AgencySpec, str, bool, bool]]:
    rows = []
    for agency in agencies:
        for n in range(agency.accounts):
            active = n >= agency.inactive
            access = active and n >= agency.inactive + agency.without_access
            rows.append((agency, f"{agency.id}-u{n}", active, access))
    return rows


def write_roster(path: Path, agencies: Sequence[AgencySpec]) -> int:
    """Write the roster CSV; returns the number of accounts."""
    rows = _accounts(agencies)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_COLUMNS)
        for agency, actor_id, active, access in rows:
            role = "admin" if actor_id.endswith("-u0") else "searcher"
            writer.writerow((actor_id, f"{agency.name} officer {actor_id.rsplit('-u', 1)[1]}", agency.id, agency.name,
                             agency.kind, agency.state, role, "true" if active else "false",
                             "true" if access else "false"))
    return len(rows)


def write_log(path: Path, agencies: Sequence[AgencySpec], spec: LogSpec) -> int:
    """Write the audit-log CSV (entries in time order); returns the number of entries."""
    rng = random.Random(spec.seed)
    usable = [(a, actor) for a, actor, _active, access in _accounts(agencies) if access]
    home = [u for u in usable if u[0].kind == "home"]
    outside = [u for u in usable if u[0].kind != "home"]
    admins = [u for u in outside if u[1].endswith("-u0")]
    span = (spec.end - spec.start).total_seconds()
    step = span / max(1, spec.entries)
    admin_at = set(rng.sample(range(spec.entries), min(spec.outside_admin_entries, spec.entries)))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LOG_COLUMNS)
        for n in range(spec.entries):
            at = (spec.start + timedelta(seconds=n * step)).strftime("%Y-%m-%dT%H:%M:%SZ")
            pool = outside if outside and (not home or rng.random() < spec.outside_search_share) else home
            agency, actor = rng.choice(pool)
            entry_id = f"{spec.id_prefix}{n:09d}"
            if n in admin_at and admins:
                agency, actor = rng.choice(admins)
                writer.writerow((entry_id, at, actor, actor, "admin", agency.id, agency.name, agency.kind,
                                 "create_actor", "", "", "", "", "allowed", "", "", ""))
                continue
            action = "read" if rng.random() < spec.read_share else "search"
            reason = rng.choice(REASONS)
            if rng.random() < spec.prohibited_share:
                reason = rng.choice(PROHIBITED_REASONS)
            if rng.random() < spec.missing_reason_share:
                reason = ""
            case = "" if rng.random() < spec.missing_case_share else f"{spec.start.year % 100}-{rng.randrange(10**6):06d}"
            outcome = "denied" if rng.random() < spec.denied_share else "allowed"
            writer.writerow((entry_id, at, actor, actor, "searcher", agency.id, agency.name, agency.kind, action,
                             f"{QUERY_PREFIX}{n % 9973}", reason, case, rng.choice(OFFENSES), outcome,
                             "" if outcome == "allowed" else "forbidden", rng.randrange(4) if outcome == "allowed" else 0,
                             f"s{n}" if action == "search" else ""))
    return spec.entries
