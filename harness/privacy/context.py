"""What a control runs with: the sandbox client, this run's canary plates, and set-up helpers.

Canary plates: ``QX`` + a 4-character run nonce + a 4-character serial, 10 characters of A-Z and
0-9 (e.g. ``QXK7R2A0C4``). No US state issues plates longer than 8 characters and no European
format has 10 alphanumerics, so a canary cannot be a real plate; the ``QX`` prefix and the nonce
make every run's canaries distinct from every other run's, and ``QX<nonce>*`` finds exactly this
run's canaries with a wildcard search.
"""

from __future__ import annotations

import itertools
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.privacy.sandbox import Actor, ApiResult, SandboxClient

CANARY_LEAD = "QX"
_ALPHABET = string.ascii_uppercase + string.digits


class SetupFailed(Exception):
    """A step a control needs before it can test anything did not work (the control is INCONCLUSIVE)."""


class NotOffered(Exception):
    """The vendor verifiably does not offer what the control tests (the control is NOT-APPLICABLE)."""


def new_nonce() -> str:
    """A 4-character run nonce (A-Z, 0-9)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(4))


def canary_prefix(nonce: str) -> str:
    return f"{CANARY_LEAD}{nonce}"


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
    """State shared by the controls of one run (the sandbox, the nonce, the home agency)."""

    client: SandboxClient
    nonce: str
    home_agency_id: str
    home_state: str
    offense_type: str
    observations: list[Observation] = field(default_factory=list)
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def prefix(self) -> str:
        return canary_prefix(self.nonce)

    # ------------------------------------------------------------------ bookkeeping

    def note(self, what: str, result: ApiResult | None = None) -> None:
        """Record an observation for the current control's evidence."""
        self.observations.append(Observation(what, result.exchange if result else None))

    def tag(self) -> str:
        """A fresh 4-character serial (canary plates, case numbers, names)."""
        n = next(self._serial)
        digits = ""
        while True:
            n, r = divmod(n, len(_ALPHABET))
            digits = _ALPHABET[r] + digits
            if n == 0:
                break
        return digits.rjust(4, "0")

    def canary(self) -> str:
        """A new canary plate of this run."""
        return f"{self.prefix}{self.tag()}"

    def case_number(self) -> str:
        """A well-formed case number carrying the run nonce (so audit entries can be matched)."""
        return f"PB-{self.nonce}-{self.tag()}"

    def purpose(self, **overrides: str | None) -> dict[str, str | None]:
        """Valid purpose fields for a search (override any, ``None`` drops it)."""
        fields: dict[str, str | None] = {
            "offense_type": self.offense_type,
            "reason": "Stolen vehicle report (platebench privacy check)",
            "case_number": self.case_number(),
        }
        fields.update(overrides)
        return fields

    # ------------------------------------------------------------------ set-up

    def now(self) -> datetime:
        result = self.client.clock()
        if not result.ok or not isinstance(result.get("now"), str):
            raise SetupFailed(f"GET /v1/sandbox/clock answered {result.describe()}")
        return parse_time(result.body["now"])

    def iso(self, moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    def agency(self, kind: str, label: str) -> str:
        """Create a test agency of ``kind`` (its name carries the nonce); returns its id."""
        state = self.home_state if kind in ("partner", "instate") else ("TX" if self.home_state != "TX" else "AZ")
        if kind == "federal":
            state = self.home_state
        result = self.client.create_agency(f"PB {self.nonce} {label}", kind, state)
        if not result.ok or not result.get("id"):
            raise SetupFailed(f"creating a {kind} agency answered {result.describe()}")
        return str(result.body["id"])

    def actor(self, agency_id: str, role: str, label: str) -> Actor:
        """Create an actor and keep its token (only in memory)."""
        made = self.client.create_actor(label, agency_id, role, f"PB {self.nonce} {label}")
        if isinstance(made, ApiResult):
            raise SetupFailed(f"creating actor {label} answered {made.describe()}")
        return made

    def home_actor(self, role: str, label: str | None = None) -> Actor:
        return self.actor(self.home_agency_id, role, label or f"home-{role}")

    def outside_searcher(self, kind: str, label: str | None = None) -> tuple[str, Actor]:
        """A new agency of ``kind`` with one searcher; returns (agency id, actor)."""
        label = label or kind.replace("_", "-")
        agency_id = self.agency(kind, label)
        return agency_id, self.actor(agency_id, "searcher", f"{label}-searcher")

    def ingest(self, actor: Actor, plate: str, captured_at: datetime, camera: str = "pb-cam-01") -> str:
        """Ingest a canary read as ``actor`` (an admin); returns the read id."""
        result = self.client.ingest_read(actor, plate, self.iso(captured_at), camera)
        if not result.ok or not result.get("id"):
            raise SetupFailed(f"ingesting a canary read answered {result.describe()}")
        return str(result.body["id"])

    def agreement(self, agency_id: str) -> str:
        result = self.client.create_agreement(agency_id)
        if not result.ok or not result.get("id"):
            raise SetupFailed(f"creating a sharing agreement answered {result.describe()}")
        return str(result.body["id"])

    def audit_entries(self, auditor: Actor) -> list[dict[str, Any]]:
        result = self.client.audit_log(auditor)
        if not result.ok or not isinstance(result.get("entries"), list):
            raise SetupFailed(f"GET /v1/audit-log as the home auditor answered {result.describe()}")
        return [e for e in result.body["entries"] if isinstance(e, dict)]

    def expect_allowed_search(self, actor: Actor, plate: str, what: str) -> ApiResult:
        """A search that must work for the control to be meaningful (a positive control)."""
        result = self.client.search(actor, plate=plate, **self.purpose())
        if not result.ok:
            raise SetupFailed(f"{what}: positive-control search answered {result.describe()}")
        return result


def result_count(result: ApiResult) -> int:
    """How many reads a search answer handed over (0 for refusals)."""
    rows = result.get("results") if result.ok else None
    return len(rows) if isinstance(rows, list) else 0


def delta(days: float = 0, seconds: float = 0) -> timedelta:
    return timedelta(days=days, seconds=seconds)
