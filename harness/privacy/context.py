"""What a control runs with: the sandbox client, this run's traffic generator, and set-up helpers.

Every value a control sends (plates, agency and officer names, case numbers, reasons, cameras) is
drawn by the run's seed from :mod:`harness.privacy.traffic`, so no request carries a marker a vendor
could recognise. What the harness planted is in ``ctx.traffic.ledger``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.privacy.sandbox import Actor, ApiResult, SandboxClient
from harness.privacy.traffic import Traffic

MAX_PAGES = 2000
"""Bound on the audit-log pages followed (a cursor that never ends is a finding, not a hang)."""


class SetupFailed(Exception):
    """A step a control needs before it can test anything did not work (the control is INCONCLUSIVE)."""


class NotOffered(Exception):
    """The vendor verifiably does not offer what the control tests (the control is NOT-APPLICABLE)."""


def new_seed() -> int:
    """A fresh run seed (recorded with the results, so the run's traffic can be drawn again)."""
    return secrets.randbits(32)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


@dataclass
class Observation:
    """One thing the control saw, in words, pointing at the exchange that shows it."""

    what: str
    exchange: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "exchange": self.exchange}


@dataclass
class ControlContext:
    """State shared by the controls of one run (the sandbox, the traffic, the home agency)."""

    client: SandboxClient
    traffic: Traffic
    home_agency_id: str
    home_state: str
    offense_codes: list[str]
    observations: list[Observation] = field(default_factory=list)
    agency_names: dict[str, str] = field(default_factory=dict)
    """Agency id -> the name the harness gave it."""
    created: list[Actor] = field(default_factory=list)
    """Every actor the harness provisioned this run (the roster must list each)."""
    deactivated: set[str] = field(default_factory=set)
    remembered: dict[str, Any] = field(default_factory=dict)
    """What one control leaves for a later one (e.g. the audit log before the termination drill)."""
    check_collisions: bool = True
    """Look each drawn plate up in the sandbox before planting it (off for a freshly reset sandbox)."""

    @property
    def seed(self) -> int:
        return self.traffic.seed

    # ------------------------------------------------------------------ bookkeeping

    def note(self, what: str, result: ApiResult | None = None) -> None:
        """Record an observation for the current control's evidence."""
        self.observations.append(Observation(what, result.exchange if result else None))

    def plate(self, state: str | None = None) -> str:
        """A fresh plate in a real format, checked not to be in the sandbox already."""
        return self.traffic.plate(state, taken=self._in_sandbox if self.check_collisions else None)

    def _in_sandbox(self, plate: str) -> bool:
        result = self.client.search(self.client.admin, plate=plate, **self.purpose())
        if not result.ok:
            raise SetupFailed(f"looking up a drawn plate as the home admin answered {result.describe()}")
        return bool(result_count(result))

    def pattern(self, plate: str, shape: str | None = None) -> str:
        """A wildcard pattern matching ``plate``."""
        return self.traffic.pattern(plate, shape)

    def case_number(self, actor: Actor | None = None) -> str:
        """A fresh case number in the layout of ``actor``'s agency's records system."""
        return self.traffic.case_number(self.agency_names.get(actor.agency_id, "") if actor else "")

    def purpose(self, actor: Actor | None = None, **overrides: str | None) -> dict[str, str | None]:
        """Purpose fields of a legitimate search (override any, ``None`` drops it)."""
        fields = self.traffic.purpose(self.agency_names.get(actor.agency_id, "") if actor else "")
        fields.update(overrides)
        return fields

    def label_of(self, actor_id: str | None) -> str:
        """The evidence label of an actor the suite created (or says it is someone else)."""
        if not actor_id or actor_id == "-":
            return "no actor"
        for actor in (self.client.admin, *self.created):
            if actor.id == actor_id:
                return actor.label
        return "an actor the suite did not create"

    def random_token(self) -> str:
        """A bearer token that was never issued (looks like any other)."""
        return secrets.token_urlsafe(32)

    # ------------------------------------------------------------------ set-up

    def now(self) -> datetime:
        result = self.client.clock()
        if not result.ok or not isinstance(result.get("now"), str):
            raise SetupFailed(f"GET /v1/sandbox/clock answered {result.describe()}")
        return parse_time(result.body["now"])

    def iso(self, moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    def agency(self, kind: str, label: str) -> str:
        """Create an agency of ``kind`` with a drawn name; returns its id (``label`` is for evidence only)."""
        name, state = self.traffic.agency(kind)
        result = self.client.create_agency(name, kind, state)
        if not result.ok or not result.get("id"):
            raise SetupFailed(f"creating a {kind} agency ({label}) answered {result.describe()}")
        agency_id = str(result.body["id"])
        self.agency_names[agency_id] = name
        return agency_id

    def actor(self, agency_id: str, role: str, label: str) -> Actor:
        """Create an actor with a drawn name and keep its token (only in memory)."""
        made = self.client.create_actor(label, agency_id, role, self.traffic.person(role))
        if isinstance(made, ApiResult):
            raise SetupFailed(f"creating actor {label} answered {made.describe()}")
        self.created.append(made)
        return made

    def deactivate(self, actor: Actor) -> None:
        result = self.client.deactivate_actor(actor.id)
        if not result.ok:
            raise SetupFailed(f"deactivating {actor.label} answered {result.describe()}")
        self.deactivated.add(actor.id)

    def home_actor(self, role: str, label: str | None = None) -> Actor:
        return self.actor(self.home_agency_id, role, label or f"home-{role}")

    def outside_searcher(self, kind: str, label: str | None = None) -> tuple[str, Actor]:
        """A new agency of ``kind`` with one searcher; returns (agency id, actor)."""
        label = label or kind.replace("_", "-")
        agency_id = self.agency(kind, label)
        return agency_id, self.actor(agency_id, "searcher", f"{label}-searcher")

    def ingest(self, actor: Actor, plate: str, captured_at: datetime, camera: str | None = None) -> str:
        """Plant a read as ``actor`` (an admin); returns the read id."""
        result = self.client.ingest_read(actor, plate, self.iso(captured_at), camera or self.traffic.camera())
        if not result.ok or not result.get("id"):
            raise SetupFailed(f"planting a read answered {result.describe()}")
        return str(result.body["id"])

    def planted(self, days_ago: float = 1, state: str | None = None) -> tuple[str, str]:
        """Plant a fresh home read captured ``days_ago``; returns (plate, read id)."""
        plate = self.plate(state)
        return plate, self.ingest(self.client.admin, plate, self.now() - delta(days=days_ago))

    def agreement(self, agency_id: str, expires_at: datetime | None = None) -> str:
        result = self.client.create_agreement(agency_id, self.iso(expires_at) if expires_at else None)
        if not result.ok or not result.get("id"):
            raise SetupFailed(f"creating a sharing agreement answered {result.describe()}")
        return str(result.body["id"])

    def hotlist_body(self, plates: list[str], share_with: list[str]) -> dict[str, Any]:
        """A hotlist as an agency would write one: drawn name, lawful reason and case number."""
        purpose = self.purpose()
        return {"name": f"{purpose['offense_type']} {self.traffic.rng.randint(1, 999)}".replace("_", " "),
                "plates": plates, "reason": purpose["reason"], "case_number": purpose["case_number"],
                **({"share_with": share_with} if share_with else {})}

    def audit_entries(self, auditor: Actor, limit: int | None = None) -> list[dict[str, Any]]:
        """The whole audit log as ``auditor`` sees it: one answer, or every page of ``limit`` entries
        (following ``next_cursor``, at most :data:`MAX_PAGES` pages)."""
        entries: list[dict[str, Any]] = []
        cursor = None
        for _ in range(MAX_PAGES):
            result = self.client.audit_log(auditor, limit=limit, cursor=cursor)
            if not result.ok or not isinstance(result.get("entries"), list):
                raise SetupFailed(f"GET /v1/audit-log as {auditor.label} answered {result.describe()}")
            entries += [e for e in result.body["entries"] if isinstance(e, dict)]
            cursor = result.get("next_cursor")
            if limit is None or not cursor:
                return entries
        raise SetupFailed(f"the audit log's pages of {limit} did not end within {MAX_PAGES} pages")

    def expect_allowed_search(self, actor: Actor, plate: str, what: str) -> ApiResult:
        """A search that must work for the control to be meaningful (a positive control)."""
        result = self.client.search(actor, plate=plate, **self.purpose(actor))
        if not result.ok:
            raise SetupFailed(f"{what}: positive-control search answered {result.describe()}")
        return result


def result_count(result: ApiResult) -> int:
    """How many reads a search answer handed over (0 for refusals)."""
    rows = result.get("results") if result.ok else None
    return len(rows) if isinstance(rows, list) else 0


def delta(days: float = 0, seconds: float = 0) -> timedelta:
    return timedelta(days=days, seconds=seconds)
