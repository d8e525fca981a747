"""Stateful, randomised exploration: random action sequences against the sandbox, judged by the policy model.

The fixed controls are the first pass; this is the second. Hypothesis draws a sequence of abstract
steps (plant a read, search it in some shape with some purpose, fetch it, share with an agency,
revoke, deactivate an actor, move the clock, change retention, provision an account, read, edit or
delete the audit log, export, terminate...) taken by actors of every agency kind and role. Each
example starts from a freshly reset sandbox (``POST /v1/sandbox/reset``); the harness performs the
steps over HTTP, feeds the same actions to :class:`harness.policy.SandboxModel`, and compares every
answer (outcome, the exact reads handed over, the roster) and, at the end, the audit log (each
action exactly once, under its actor, with its outcome, at its time). A divergence fails the
controls it touches; Hypothesis then shrinks the sequence, and the shortest sequence seen for each
control, with its redacted transcript, is the evidence.

Seeded (``seed``) and bounded by a :class:`Budget` in actions (requests' worth of steps) and seconds;
once the budget is spent every further example passes at once, so shrinking stops by itself.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from harness.privacy.audit_integrity import TIME_TOLERANCE
from harness.privacy.budget import Budget
from harness.privacy.context import parse_time
from harness.privacy.inspection import exchange_extras
from harness.privacy.sandbox import Actor, ApiResult, SandboxClient, SandboxUnavailable
from harness.privacy.traffic import Traffic
from vendor_adapters.openapi_check import SpecValidator

if TYPE_CHECKING:
    from harness.policy import ExpectedEntry

DAY = 86400
MAX_STEPS = 14
AGENCY_KINDS = {"home": "home", "partner": "partner", "instate": "instate", "oos": "out_of_state", "federal": "federal",
                "vendor": "vendor_support"}
CAST: tuple[tuple[str, str, str], ...] = (
    ("home-admin", "home", "admin"), ("home-searcher", "home", "searcher"), ("home-auditor", "home", "auditor"),
    ("partner-searcher", "partner", "searcher"), ("partner-admin", "partner", "admin"),
    ("instate-searcher", "instate", "searcher"), ("instate-admin", "instate", "admin"),
    ("oos-searcher", "oos", "searcher"), ("federal-searcher", "federal", "searcher"),
    ("home-admin-2", "home", "admin"), ("vendor-admin", "vendor", "admin"),
)
"""Actor handle, agency handle, role: created on first use (``home-admin`` is the bootstrap admin)."""
OUTSIDE = ("partner", "instate", "oos", "federal", "vendor")
SHAPES = ("full", "prefix", "suffix", "infix", "ends", "bounded")
PURPOSES = ("valid", "valid", "valid", "valid", "valid", "valid", "valid", "no_reason", "blank_reason",
            "no_offense", "off_list", "no_case", "placeholder", "prohibited", "prohibited")
DAYS_AGO = (0.2, 3.0, 19.5, 20.6, 40.0)
CLOCK_MOVES = (3600, DAY, 20 * DAY, 366 * DAY)
EXPIRIES = (None, None, 2 * 3600, 2 * DAY)
ROLES = ("searcher", "admin", "auditor")
OPS = ("plant", "search", "fetch", "share", "revoke", "deactivate", "clock", "retention", "provision",
       "audit_read", "audit_edit", "audit_delete", "roster", "export", "terminate", "fetch_missing", "anonymous",
       "hotlist", "accept", "alerts")
"""Step kinds, simplest first (Hypothesis shrinks towards the front). The hotlist steps are skipped when the
vendor declares no hotlist sharing (``/v1/info``)."""
WEIGHTED_OPS = ("plant", "plant", "search", "search", "search", "search", "fetch", "fetch", "share", "share",
                "revoke", "deactivate", "anonymous", *OPS[4:])
"""How often each kind is drawn (reads must exist and be looked for, agreements made, for most rules to bite)."""


class ExplorerUnavailable(Exception):
    """The exploration cannot run (no policy model, or the sandbox offers no reset)."""


class Diverged(Exception):
    """The sandbox and the model part ways: their states no longer match, so the episode ends here."""


@dataclass(frozen=True)
class Step:
    """One abstract step: an operation, who acts (cast index), its target and two variant numbers."""

    op: str
    actor: int
    target: int
    v1: int
    v2: int

    def describe(self) -> str:
        return f"{self.op}(actor={self.actor}, target={self.target}, v1={self.v1}, v2={self.v2})"


SWEEP: tuple[list[Step], ...] = tuple(
    [Step(op, actor, 0, 0, 0)] for op in OPS for actor in ((0, 4, 1) if op in ("search", "fetch") else (0, 4)))
"""Single-step episodes run before the random ones: each operation by the home admin (or searcher) and by an
outside agency's admin (cast index 4), and searches and fetches by an outside searcher."""

STEP = st.builds(Step, st.sampled_from(WEIGHTED_OPS), st.integers(0, 15), st.integers(0, 7),
                 st.integers(0, 14), st.integers(0, 14))


@dataclass
class Divergence:
    """One answer (or the log) differing from the model: the controls it touches and what was seen."""

    controls: tuple[str, ...]
    message: str
    step: int | None
    """Index of the step (``None``: the audit-log comparison at the end)."""


@dataclass
class Finding:
    """The shortest reproducing sequence seen for one control."""

    control: str
    steps: list[Step]
    divergences: list[Divergence]
    actions: list[str]
    """The concrete actions, in words (who did what to which handle; no plate text)."""
    exchanges: list[dict[str, Any]]


@dataclass
class ExplorationReport:
    """What the explorer did and found."""

    seed: int
    budget: Budget
    examples: int = 0
    actions: int = 0
    seconds: float = 0.0
    findings: dict[str, Finding] = field(default_factory=dict)
    unavailable: str | None = None
    model: str = ""
    conformance: list[Any] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"seed": self.seed, "budget": self.budget.as_dict(), "examples": self.examples,
                "actions": self.actions, "seconds": round(self.seconds, 2), "model": self.model,
                "diverged_controls": sorted(self.findings), "unavailable": self.unavailable}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _unix(value: str) -> float:
    return parse_time(value.replace("Z", "+00:00")).timestamp()


class Episode:
    """One example: a reset sandbox, the model beside it, and the steps performed on both."""

    def __init__(self, explorer: Explorer, traffic: Traffic) -> None:
        from harness.policy import SandboxModel
        from harness.policy import actions as a

        self.a = a
        self.ex = explorer
        self.traffic = traffic
        self.client = SandboxClient(explorer.base_url, explorer.admin_token, ledger=traffic.ledger,
                                    client=explorer.http, validator=explorer.validator,
                                    checked_requests=explorer.checked_requests)
        self.client.admin = Actor("home-admin", explorer.admin_id, explorer.home_id, "admin", explorer.admin_token,
                                  explorer.admin_name)
        reset = self.client.reset()
        if not reset.ok:
            raise ExplorerUnavailable(f"POST /v1/sandbox/reset answered {reset.describe()}")
        asked = time.monotonic()
        clock = self.client.clock()
        if not clock.ok or not isinstance(clock.get("now"), str):
            raise ExplorerUnavailable(f"GET /v1/sandbox/clock answered {clock.describe()}")
        start, started = _unix(clock.body["now"]), time.monotonic()
        self.clock_slack = started - asked
        """The clock answer was taken somewhere in this round trip: the model's clock is that uncertain."""
        self.windows: dict[ExpectedEntry, tuple[float, float]] = {}
        """An expected audit entry -> the model-clock interval in which its action was sent and answered (keyed by
        value, not by ``id()``: a purged entry's id may be reused by a new one)."""
        self.model = SandboxModel(explorer.policy, explorer.classifier, now=lambda: start + time.monotonic() - started)
        self.actors: dict[str, Actor] = {"home-admin": self.client.admin}
        self.agencies: dict[str, str] = {"home": explorer.home_id}
        self.reads: list[str] = []
        self.plates: dict[str, str] = {}
        """Read handle -> plate text (the harness's bookkeeping)."""
        self.read_ids: dict[str, str] = {}
        self.handle_of_read: dict[str, str] = {}
        self.agreements: list[str] = []
        self.agreement_ids: dict[str, str] = {}
        self.hotlists: list[str] = []
        self.hotlist_ids: dict[str, str] = {}
        self.hotlist_plates: list[str] = []
        self.hotlist_offers: dict[str, tuple[str, ...]] = {}
        self.extra_actors: list[tuple[str, str, str]] = []
        self.terminated: set[str] = set()
        self.logged_at_termination = 0
        """How many of the model's log entries existed at the last termination delete (they must outlive it)."""
        self.deactivated: set[str] = set()
        self.entry_id: str | None = None
        self.divergences: list[Divergence] = []
        self.words: list[str] = []
        self.step_index: int | None = None
        self.actions = 0

    # ------------------------------------------------------------------ the cast

    def cast(self) -> list[tuple[str, str, str]]:
        return [*CAST, *self.extra_actors]

    def agency(self, handle: str) -> str:
        if handle not in self.agencies:
            kind = AGENCY_KINDS[handle]
            name, state = self.traffic.agency(kind)
            self.perform(self.a.CreateAgency("home-admin", handle, name, kind, state),
                         lambda: self.client.create_agency(name, kind, state), created=("agency", handle))
        return handle

    def actor(self, index: int) -> str:
        handle, agency, role = self.cast()[index % len(self.cast())]
        if handle not in self.actors:
            self.agency(agency)
            name = self.traffic.person(role)
            act = self.a.CreateActor("home-admin", handle, agency, role, name)
            self.perform(act, lambda: self.client.call("POST", "/v1/sandbox/actors", self.client.admin,
                                                       body={"agency_id": self.agencies.get(agency, agency),
                                                             "role": role, "name": name}), created=("actor", handle))
        return handle

    # ------------------------------------------------------------------ performing

    def perform(self, action: Any, call: Callable[[], ApiResult], *, created: tuple[str, str] | None = None,
                read_handles: Callable[[ApiResult], list[str]] | None = None) -> ApiResult:
        """Send ``call``, predict ``action`` with the model, compare, and keep ids of what was created."""
        before = self.model.now()
        result = call()
        self.actions += 1
        prediction = self.model.apply(action)
        for entry in prediction.audit:  # equal entries (same everything, time too) keep the widest window
            earliest = self.windows.get(entry, (before,))[0]
            self.windows[entry] = (min(before, earliest), entry.at)
        self.words.append(self._words(action, result))
        if created is not None and result.ok:
            self._keep(created, result)
        elif created is not None and prediction.outcome == "allowed" and not result.ok:
            self._keep_placeholder(created)
        if not prediction.uncertain:
            self._compare(action, prediction, result, read_handles)
        exchange = self.client.transcript[result.exchange]
        extras = exchange_extras(exchange)
        if extras:
            self.diverge(("PC-MIN-01",), f"{exchange.method} {exchange.path} answered with members beyond the "
                                          f"published API: {', '.join(sorted(set(extras))[:5])}; expected only the published members")
        if self.divergences:
            raise Diverged()
        return result

    def _keep(self, created: tuple[str, str], result: ApiResult) -> None:
        kind, handle = created
        new_id = str(result.get("id"))
        if kind == "agency":
            self.agencies[handle] = new_id
        elif kind == "actor":
            token = result.get("token")
            role = next(r for h, _, r in self.cast() if h == handle)
            agency = next(g for h, g, _ in self.cast() if h == handle)
            if isinstance(token, str):
                self.client.redactor.add_secret(token, handle)
                self.client.transcript[result.exchange].response_body = self.client.redactor.value(result.body)
                self.actors[handle] = Actor(handle, new_id, self.agencies.get(agency, ""), role, token)
        elif kind == "read":
            self.read_ids[handle] = new_id
            self.handle_of_read[new_id] = handle
        elif kind == "agreement":
            self.agreement_ids[handle] = new_id
        elif kind == "hotlist":
            self.hotlist_ids[handle] = new_id

    def _keep_placeholder(self, created: tuple[str, str]) -> None:
        """The model created something the vendor refused: keep a dead handle so later steps stay aligned."""
        kind, handle = created
        if kind == "agency":
            self.agencies[handle] = f"missing-{handle}"
        elif kind == "actor":
            self.actors[handle] = Actor(handle, "", "", "searcher", secrets.token_urlsafe(24))

    def diverge(self, controls: tuple[str, ...], message: str) -> None:
        where = f"step {self.step_index + 1}" if self.step_index is not None else "the final audit-log check"
        self.divergences.append(Divergence(controls, f"{where}: {message}", self.step_index))

    def _words(self, action: Any, result: ApiResult) -> str:
        fields = {k: v for k, v in vars(action).items() if v is not None and k not in ("name", "plate", "plate_pattern",
                                                                                       "plates", "reason", "case_number")}
        if getattr(action, "plate", None):
            fields["plate"] = self.traffic.ledger.label(action.plate) or "an absent plate"
        if getattr(action, "plates", None):
            fields["plates"] = ", ".join(self.traffic.ledger.label(p) or "an absent plate" for p in action.plates)
        if getattr(action, "plate_pattern", None):
            fields["pattern"] = self.traffic.ledger.patterns.get(action.plate_pattern, "a pattern")
        for purpose in ("reason", "case_number"):
            if getattr(action, purpose, None) is None and type(action).__name__ == "Search":
                fields[purpose] = "absent"
        return f"{type(action).__name__}({', '.join(f'{k}={v}' for k, v in fields.items())}) -> {result.describe()}"

    # ------------------------------------------------------------------ comparing

    def _compare(self, action: Any, prediction: Any, result: ApiResult,
                 read_handles: Callable[[ApiResult], list[str]] | None) -> None:
        name = type(action).__name__
        expected_ok = prediction.outcome == "allowed"
        if expected_ok and not result.ok:
            self.diverge(self._over_restriction(action),
                         f"{name} by {action.by} answered {result.describe()}; expected {prediction.status} "
                         "(the policy model allows it)")
            return
        if not expected_ok and result.ok:
            self.diverge(self._leak_controls(action, prediction),
                         f"{name} by {action.by} answered {result.describe()}; expected {prediction.status} "
                         f"{prediction.code} (the policy model refuses it)")
            return
        if not expected_ok:
            if prediction.status == 401 and result.status != 401:
                self.diverge(("PC-AUTH-01",), f"{name} by {action.by} answered {result.describe()}; expected 401")
            return
        if prediction.reads is not None and read_handles is not None:
            got = read_handles(result)
            self._compare_reads(action, prediction.reads, got)
        if prediction.roster is not None:
            self._compare_roster(prediction.roster, result)
        if prediction.alerts is not None:
            self._compare_alerts(action, prediction.alerts, result)
        if prediction.log is not None:
            entries = result.get("audit_entries") if name == "TerminationExport" else result.get("entries")
            self.compare_log(prediction.log, entries if isinstance(entries, list) else [], action.by,
                             export=name == "TerminationExport")

    def _compare_reads(self, action: Any, expected: frozenset[str], got: list[str]) -> None:
        name = type(action).__name__
        counts = Counter(got)
        extra = sorted(set(counts) - set(expected))
        missing = sorted(set(expected) - set(counts))
        doubled = sorted(h for h, n in counts.items() if n > 1)
        if extra:
            self.diverge(tuple(sorted({c for h in extra for c in self._why_not_visible(action, h)})),
                         f"{name} by {action.by} handed over {len(extra)} read(s) the policy model withholds "
                         f"({', '.join(extra)}); expected none of them")
        if missing:
            controls = ("PC-RET-05",) if name == "TerminationExport" else self._over_restriction(action)
            self.diverge(controls, f"{name} by {action.by} lacked {len(missing)} read(s) the policy model includes "
                                   f"({', '.join(missing)}); expected each once")
        if doubled:
            self.diverge(("API-CONF-01",), f"{name} by {action.by} listed a read more than once")

    def _compare_alerts(self, action: Any, expected: frozenset[tuple[str, str]], result: ApiResult) -> None:
        """An alert list: exactly the (hotlist, read) pairs the model delivers and still lets the agency see."""
        hotlist_of = {v: k for k, v in self.hotlist_ids.items()}
        got = Counter((hotlist_of.get(str(x.get("hotlist_id")), "<foreign hotlist>"),
                       self.handle_of_read.get(str(x.get("read_id")), "<foreign read>"))
                      for x in result.get("alerts", []) if isinstance(x, dict))
        extra = sorted(set(got) - expected)
        if extra:
            controls = sorted({c for _, read in extra for c in self._why_alerted(read)})
            self.diverge(tuple(controls), f"ListAlerts by {action.by} listed {len(extra)} alert(s) the policy model "
                                          f"withholds ({', '.join(f'{h} on {r}' for h, r in extra)}); expected none of them")
        missing = sorted(expected - set(got))
        if missing:
            self.diverge(("API-CONF-01",), f"ListAlerts by {action.by} lacked {len(missing)} alert(s) the policy model "
                                           f"delivers ({', '.join(f'{h} on {r}' for h, r in missing)}); expected each once")
        if any(n > 1 for n in got.values()):
            self.diverge(("API-CONF-01",), f"ListAlerts by {action.by} listed an alert more than once")

    def _why_alerted(self, read: str) -> tuple[str, ...]:
        """The controls an alert listed against the model touches: a read gone (retention, termination) or one
        the agency may not see, or a list it never made or accepted (hotlist sharing)."""
        if read in self.terminated:
            return ("PC-RET-05",)
        if read in self.read_ids and read not in self.model.reads:
            return ("PC-RET-01",)
        return ("PC-SHR-08",)

    def _why_not_visible(self, action: Any, handle: str) -> tuple[str, ...]:
        """The controls a read handed over against the model touches."""
        if handle.startswith("<foreign"):
            return ("PC-SHR-02",)
        if handle in self.terminated:
            return ("PC-RET-05",)
        if handle not in self.model.reads:
            return ("PC-RET-01",)
        return self._sharing_controls(action.by, owner=self.model.reads[handle].agency)

    def _sharing_controls(self, actor: str, owner: str = "home") -> tuple[str, ...]:
        agency = self.model.actors[actor].agency if actor in self.model.actors else None
        kind = self.model.agencies[agency].kind if agency in self.model.agencies else None
        if owner != "home" or kind == "home":
            return ("PC-ACC-04",)
        if kind == "federal":
            return ("PC-SHR-04",)
        if kind == "out_of_state":
            return ("PC-SHR-05",)
        if kind == "vendor_support":
            return ("PC-ACC-02",)
        had = any(g.agency == agency for g in self.model.agreements.values())
        return ("PC-SHR-03",) if had else ("PC-SHR-01",)

    def _leak_controls(self, action: Any, prediction: Any) -> tuple[str, ...]:
        """Controls touched when the vendor allowed what the model refuses (by the model's reason)."""
        code, name = prediction.code, type(action).__name__
        by_code = {"reason_required": "PC-PUR-01", "offense_type_required": "PC-PUR-01",
                   "offense_type_not_authorized": "PC-PUR-01", "case_number_required": "PC-PUR-02",
                   "case_number_invalid": "PC-PUR-02", "prohibited_purpose": "PC-PUR-03",
                   "unauthenticated": "PC-AUTH-01", "federal_denied": "PC-SHR-04", "out_of_state_denied": "PC-SHR-05",
                   "vendor_support_denied": "PC-ACC-02", "audit_immutable": "PC-AUD-05"}
        if code in by_code:
            return (by_code[code],)
        if name in ("EditAuditEntry", "DeleteAuditEntry"):
            return ("PC-AUD-05",)
        if name == "AcceptHotlist" and code == "not_found":
            return ("PC-SHR-08",)  # joined a list never offered to the agency
        if code == "no_agreement":
            return self._sharing_controls(action.by)
        if code == "not_found" and name == "FetchRead":
            if action.read not in self.read_ids or self._isolation_broken(action.read):
                return ("PC-ACC-04",)
            return self._why_not_visible(action, action.read)
        if code == "forbidden":
            if name == "CreateAgreement" and self.model.actors.get(action.by) is not None \
                    and self.model.actors[action.by].agency != "home":
                return ("PC-SHR-05",)
            return ("PC-ACC-02",)
        return ("API-CONF-01",)

    def _isolation_broken(self, read: str) -> bool:
        """Whether an agency that never had an agreement can fetch ``read`` too (then the fetch that
        diverged is an object-level isolation failure, PC-ACC-04, whatever the caller's agreement)."""
        strangers = [h for h, g, r in CAST if g == "instate" and r == "searcher"]
        if any(g.agency == "instate" for g in self.model.agreements.values()) or not strangers:
            return False
        probe = SandboxClient(self.ex.base_url, self.ex.admin_token, client=self.ex.http, validator=self.ex.validator)
        handle = self.actor(next(i for i, (h, _, _) in enumerate(self.cast()) if h == strangers[0]))
        return probe.get_read(self.actors[handle], self.read_ids[read]).ok

    def _over_restriction(self, action: Any) -> tuple[str, ...]:
        """A request the contract allows was refused: the API as published is not honoured."""
        name = type(action).__name__
        if name in ("Search", "FetchRead") and action.by in self.model.actors:
            agency = self.model.actors[action.by].agency
            if agency != "home" and any(g.agency == agency for g in self.model.agreements.values()):
                return ("PC-SHR-03",)
        return ("API-CONF-01",)

    def _compare_roster(self, expected: Any, result: ApiResult) -> None:
        rows = {str(a.get("actor_id")): a for a in result.get("accounts", []) if isinstance(a, dict)}
        for line in expected:
            actor = self.actors.get(line.actor)
            if actor is None or not actor.id:
                continue
            row = rows.get(actor.id)
            if row is None:
                self.diverge(("PC-ACC-05",), f"the access roster lacks {line.actor}; expected every account listed")
            elif row.get("active") is not line.active or row.get("role") != line.role:
                self.diverge(("PC-ACC-05",), f"the access roster lists {line.actor} as {row.get('role')}, active "
                                             f"{row.get('active')}; expected {line.role}, active {line.active}")
            elif row.get("home_data_access") is not line.home_data_access:
                self.diverge(("PC-SHR-02",), f"the access roster says {line.actor} has home data access "
                                             f"{row.get('home_data_access')}; expected {line.home_data_access}")

    def compare_log(self, expected: Any, entries: list[Any], reader: str, *, export: bool = False) -> None:
        """Each expected entry exactly once, under its actor, with its outcome and time; nothing else
        (the reader's own ``audit_export`` aside)."""
        ids = {h: a.id for h, a in self.actors.items() if a.id}
        def key(action: str, actor_id: str | None, outcome: str) -> tuple[str, str, str]:
            return action, actor_id or "-", outcome
        want: Counter[tuple[str, str, str]] = Counter(
            key(e.action, ids.get(e.actor) if e.actor else None, e.outcome) for e in expected)
        got: Counter[tuple[str, str, str]] = Counter(
            key(str(e.get("action")), e.get("actor_id"), str(e.get("outcome"))) for e in entries if isinstance(e, dict))
        ever: Counter[tuple[str, str, str]] = Counter(
            key(e.action, ids.get(e.actor) if e.actor else None, e.outcome) for e in self.model.log)
        own = key("export" if export else "audit_export", ids.get(reader), "allowed")
        if got[own] == want[own] + 1:
            got[own] -= 1
        handles = {v: k for k, v in ids.items()}
        wrong = [k for k in sorted(set(want) | set(got))
                 # entries past the audit retention may be kept or dropped; nothing else may differ
                 if not want[k] <= got[k] <= max(want[k], ever[k] - (1 if k == own else 0))]
        short = {(a_, o) for a_, _, o in wrong if got[(a_, _, o)] < want[(a_, _, o)]}
        surplus = {(a_, o) for a_, _, o in wrong if got[(a_, _, o)] > want[(a_, _, o)]}
        logged = self._log_now(key) if export and wrong else Counter()
        kept: Counter[tuple[str, str, str]] = Counter(
            key(e.action, ids.get(e.actor) if e.actor else None, e.outcome)
            for e in self.model.log[:self.logged_at_termination])
        for k in wrong:
            action, actor_id, outcome = k
            who = handles.get(actor_id, "no actor" if actor_id == "-" else "an actor the explorer did not create")
            if export and logged[k] != got[k]:
                controls: tuple[str, ...] = ("PC-RET-05",)  # the export differs from the sandbox's own log
            elif got[k] < min(want[k], kept[k]):
                controls = ("PC-RET-06",)  # entries that existed at termination are gone
            elif (action, outcome) in short and (action, outcome) in surplus:
                controls = ("PC-AUD-02",)  # logged, but under someone else
            elif outcome == "denied":
                controls = ("PC-AUD-03",)
            elif action in ("search", "read"):
                controls = ("PC-AUD-01",)
            else:
                controls = ("PC-AUD-04",)
            self.diverge(controls, f"the {'termination export' if export else 'audit log'} shows {got[k]} "
                                   f"{outcome} {action} entr{'y' if got[k] == 1 else 'ies'} by {who}; expected "
                                   f"{want[k]} (policy model)")
        self._compare_times(expected, entries, ids)

    def _log_now(self, key: Callable[[str, str | None, str], tuple[str, str, str]]) -> Counter[tuple[str, str, str]]:
        """The sandbox's own audit log, counted like the export (read once a termination export diverged: an
        export that matches the log is complete, and what both lack is the log's fault, not the export's)."""
        probe = SandboxClient(self.ex.base_url, self.ex.admin_token, client=self.ex.http, validator=self.ex.validator)
        entries = probe.audit_log(probe.admin).get("entries")
        return Counter(key(str(e.get("action")), e.get("actor_id"), str(e.get("outcome")))
                       for e in (entries if isinstance(entries, list) else []) if isinstance(e, dict))

    def _compare_times(self, expected: Any, entries: list[Any], ids: dict[str, str]) -> None:
        by_key: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for e in expected:
            window = self.windows.get(e, (e.at, e.at))
            by_key.setdefault((e.action, ids.get(e.actor, "-") if e.actor else "-"), []).append(window)
        tolerance = TIME_TOLERANCE.total_seconds() + self.model.tolerance + self.clock_slack
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            at = entry.get("at")
            if not isinstance(at, str) or not re.search(r"(Z|[+-]00:?00)$", at):
                self.diverge(("PC-AUD-07",), f"an audit entry's time {at!r} has no explicit UTC offset; expected 'Z' or "
                                             "'+00:00'")
                return
            windows = by_key.get((str(entry.get("action")), entry.get("actor_id") or "-"), [])
            moment = _unix(at)
            if windows and min(max(lo - moment, moment - hi, 0.0) for lo, hi in windows) > tolerance:
                self.diverge(("PC-AUD-07",), f"an audit entry ({entry.get('action')}) is timed more than "
                                             f"{tolerance:.1f} s outside the interval in which its action was sent "
                                             "and answered; expected within that")
                return


class Explorer:
    """Runs the exploration against one sandbox (reset between examples)."""

    def __init__(self, base_url: str, admin_token: str, *, seed: int, budget: Budget,
                 http: httpx.Client | None = None, validator: SpecValidator | None = None,
                 policy: Any = None, classifier: Any = None) -> None:
        from harness.policy import default_policy
        from harness.policy.phrasings import default_library

        self.base_url, self.admin_token = base_url, admin_token
        self.seed, self.budget = seed, budget
        self.http = http or httpx.Client(timeout=httpx.Timeout(15.0))
        self.validator = validator or SpecValidator()
        self.policy = policy or default_policy()
        self.classifier = classifier or default_library().classifier()
        self.report = ExplorationReport(seed, budget, model=f"{self.policy.name} ({self.policy.version})")
        self.admin_id = self.home_id = self.admin_name = ""
        self.offense_codes: list[str] = []
        self.home_state = ""
        self.checked_requests: set[tuple[Any, ...]] = set()
        self.hotlists = False
        """Whether the vendor declares hotlist sharing (``/v1/info``): the hotlist steps run only then."""

    def _identify(self) -> None:
        probe = SandboxClient(self.base_url, self.admin_token, client=self.http, validator=self.validator)
        me = probe.me(probe.admin)
        offenses = probe.offense_types(probe.admin)
        if not me.ok or not offenses.ok:
            raise ExplorerUnavailable(f"GET /v1/me answered {me.describe()}, GET /v1/offense-types {offenses.describe()}")
        self.admin_id = str(me.body["actor"]["id"])
        self.admin_name = str(me.body["actor"].get("name", ""))
        self.home_id = str(me.body["agency"]["id"])
        self.home_state = str(me.body["agency"].get("state", ""))
        self.offense_codes = [str(o["code"]) for o in offenses.body.get("offense_types", []) if isinstance(o, dict)]
        info = probe.info()
        self.hotlists = info.ok and bool((info.get("capabilities") or {}).get("hotlist_sharing"))

    def run(self) -> ExplorationReport:
        """Explore until the budget is spent; never raises on vendor behaviour."""
        started = time.monotonic()
        deadline = started + self.budget.seconds
        try:
            self._identify()
        except (ExplorerUnavailable, SandboxUnavailable, KeyError, TypeError) as exc:
            self.report.unavailable = str(exc)
            return self.report
        origin: dict[str, type[Exception]] = {}

        def spent() -> bool:
            return self.report.actions >= self.budget.actions or time.monotonic() >= deadline

        @settings(max_examples=max(1, self.budget.actions), deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=True,
                  phases=(Phase.generate, Phase.shrink), print_blob=False, verbosity=Verbosity.quiet)
        @hypothesis_seed(self.seed)
        @given(st.lists(STEP, min_size=1, max_size=MAX_STEPS))
        def example(steps: list[Step]) -> None:
            if spent() or self.report.unavailable:
                return
            episode = self._episode(steps)
            if episode is None or not episode.divergences:
                return
            self._record(steps, episode)
            primary = episode.divergences[0].controls[0]
            raise origin.setdefault(primary, type(f"Diverged_{primary.replace('-', '_')}", (AssertionError,), {}))(
                episode.divergences[0].message)

        for steps in SWEEP:  # every operation once, whatever the seed: a flaw in one call is never left to chance
            if spent() or self.report.unavailable:
                break
            episode = self._episode(steps)
            if episode is not None and episode.divergences:
                self._record(steps, episode)
        try:
            example()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
        self.report.seconds = time.monotonic() - started
        return self.report

    def _episode(self, steps: list[Step]) -> Episode | None:
        for attempt in range(2):  # one retry: a busy sandbox may drop a connection
            traffic = Traffic(self.seed, self.home_state, self.offense_codes,
                              prohibited_categories=self.policy.prohibited_categories)
            try:
                episode = Episode(self, traffic)
                break
            except ExplorerUnavailable as exc:
                self.report.unavailable = str(exc)
                return None
            except SandboxUnavailable as exc:
                if attempt:
                    self.report.unavailable = f"sandbox unreachable: {exc}"
                    return None
        self.report.examples += 1
        try:
            for i, step in enumerate(steps):
                episode.step_index = i
                run_step(episode, step)
            episode.step_index = None
            reader = episode.actor(0)
            episode.perform(episode.a.ReadAuditLog(reader), lambda: episode.client.audit_log(episode.client.admin))
        except Diverged:
            pass
        except SandboxUnavailable as exc:
            episode.diverge(("API-CONF-01",), f"the sandbox stopped answering: {exc}")
        finally:
            self.report.actions += episode.actions
            self.report.conformance += [f for f in episode.client.conformance_failures if f.direction == "response"]
        return episode

    def _record(self, steps: list[Step], episode: Episode) -> None:
        for control in {c for d in episode.divergences for c in d.controls}:
            best = self.report.findings.get(control)
            if best is None or len(steps) < len(best.steps):
                self.report.findings[control] = Finding(
                    control, list(steps), [d for d in episode.divergences if control in d.controls],
                    list(episode.words), episode.client.exchanges_since(0))


# --------------------------------------------------------------------------- the steps


SEEKERS = ("home-searcher", "partner-searcher", "instate-searcher", "partner-searcher", "home-searcher",
           "oos-searcher", "federal-searcher", "home-auditor", "partner-admin", "vendor-admin", "home-admin",
           "instate-admin")
"""Who searches and fetches, weighted towards outside searchers (cast handles)."""
SHARE_TARGETS = ("partner", "partner", "instate", "oos", "federal", "vendor")


def _seeker(ep: Episode, index: int) -> str:
    """A searching actor: the cast's seekers, accounts provisioned in the episode, and deactivated ones
    (whose old tokens must no longer work)."""
    pool = [*SEEKERS, *(h for h, _, _ in ep.extra_actors), *sorted(ep.deactivated)]
    handle = pool[index % len(pool)]
    return ep.actor(next(i for i, (h, _, _) in enumerate(ep.cast()) if h == handle))


def _plant(ep: Episode, step: Step, owner: str | None = None) -> None:
    a, client, traffic = ep.a, ep.client, ep.traffic
    owner = owner or (ep.actor(0) if step.actor % 3 else ep.actor(6))  # mostly home reads, some a tenant's
    listed = ep.hotlist_plates and step.v2 % 2 == 0  # a camera reads a hotlisted plate: alerts are due
    plate = ep.hotlist_plates[step.target % len(ep.hotlist_plates)] if listed else traffic.plate()
    captured = ep.model.now() - DAYS_AGO[step.v1 % len(DAYS_AGO)] * DAY
    camera = traffic.camera()
    handle = f"read-{len(ep.reads) + 1}"
    ep.reads.append(handle)
    ep.plates[handle] = plate
    actor = ep.actors[owner]
    ep.perform(a.Ingest(owner, handle, plate, captured, camera),
               lambda: client.ingest_read(actor, plate, _iso(captured), camera), created=("read", handle))


def _share(ep: Episode, who: str, target: str, expires: float | None) -> None:
    target = ep.agency(target)
    at = ep.model.now() + expires if expires else None
    handle = f"agreement-{len(ep.agreements) + 1}"
    ep.agreements.append(handle)
    ep.perform(ep.a.CreateAgreement(who, handle, target, at),
               lambda: ep.client.create_agreement(ep.agencies[target], _iso(at) if at else None, actor=ep.actors[who]),
               created=("agreement", handle))


def run_step(ep: Episode, step: Step) -> None:
    """Perform one abstract step on the sandbox and the model (with what it needs first: a read to look
    for, an agreement to revoke)."""
    a, client, traffic = ep.a, ep.client, ep.traffic
    op = step.op
    if op in ("search", "fetch") and not ep.reads:
        _plant(ep, Step("plant", 1, 0, 0, 0))
    if op == "revoke" and not ep.agreements:
        _share(ep, "home-admin", "partner", None)
    if op == "plant":
        _plant(ep, step)
    elif op == "search":
        _search(ep, _seeker(ep, step.actor), step)
    elif op in ("fetch", "fetch_missing"):
        who = _seeker(ep, step.actor)
        if op == "fetch":
            handle = ep.reads[step.target % len(ep.reads)]
            read_id = ep.read_ids.get(handle, secrets.token_hex(8))
        else:
            handle, read_id = f"ghost-{step.v1}", secrets.token_hex(8)
        ep.perform(a.FetchRead(who, handle), lambda: client.get_read(ep.actors[who], read_id),
                   read_handles=lambda r: [ep.handle_of_read.get(str(r.get("id")), "<foreign read>")])
    elif op == "share":
        who = ep.actor(0 if step.actor % 4 else step.actor)  # mostly the home admin
        _share(ep, who, SHARE_TARGETS[step.target % len(SHARE_TARGETS)], EXPIRIES[step.v1 % len(EXPIRIES)])
    elif op == "revoke":
        who = ep.actor(0 if step.actor % 3 else step.actor)
        handle = ep.agreements[step.target % len(ep.agreements)]
        agreement_id = ep.agreement_ids.get(handle, secrets.token_hex(6))
        ep.perform(a.RevokeAgreement(who, handle),
                   lambda: client.call("DELETE", f"/v1/sharing-agreements/{agreement_id}", ep.actors[who]))
    elif op == "deactivate":
        target = _seeker(ep, step.target)
        if target == "home-admin":
            return
        target_id = ep.actors[target].id or secrets.token_hex(6)
        result = ep.perform(a.DeactivateActor("home-admin", target), lambda: client.deactivate_actor(target_id))
        if result.ok:
            ep.deactivated.add(target)
    elif op == "clock":
        seconds = CLOCK_MOVES[step.v1 % len(CLOCK_MOVES)]
        ep.perform(a.AdvanceClock("home-admin", seconds), lambda: client.advance_clock(seconds))
    elif op == "retention":
        who = ep.actor(0 if step.actor % 2 else step.actor)
        cap = ep.ex.policy.max_retention_days
        days = (1, 7, 21, cap, cap + 1)[step.v1 % 5]
        ep.perform(a.SetRetention(who, days), lambda: client.set_retention(days, actor=ep.actors[who]))
    elif op == "provision":
        who = ep.actor(0 if step.actor % 3 == 0 else step.actor)
        agency = ep.agency(("partner", "home", "instate", "oos", "federal", "vendor")[step.target % 6])
        role = ROLES[step.v1 % 3]
        handle = f"account-{len(ep.extra_actors) + 1}"
        ep.extra_actors.append((handle, agency, role))
        name = traffic.person(role)
        ep.perform(a.CreateActor(who, handle, agency, role, name),
                   lambda: client.call("POST", "/v1/sandbox/actors", ep.actors[who],
                                       body={"agency_id": ep.agencies[agency], "role": role, "name": name}),
                   created=("actor", handle))
    elif op == "audit_read":
        who = ep.actor(step.actor)
        result = ep.perform(a.ReadAuditLog(who), lambda: client.audit_log(ep.actors[who]))
        entries = result.get("entries") if result.ok else None
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            ep.entry_id = str(entries[step.v1 % len(entries)].get("id"))
    elif op in ("audit_edit", "audit_delete"):
        if ep.entry_id is None:  # an entry to aim at: the home admin reads the log first
            run_step(ep, Step("audit_read", 0, 0, step.v1, 0))
        who = ep.actor(0 if step.actor % 2 else step.actor)  # mostly the home admin, who may read but not edit
        entry = ep.entry_id or secrets.token_hex(6)
        if op == "audit_edit":
            change = {"outcome": "allowed", "reason": traffic.reason(traffic.offense())}
            ep.perform(a.EditAuditEntry(who), lambda: client.edit_audit_entry(ep.actors[who], entry, change))
        else:
            ep.perform(a.DeleteAuditEntry(who), lambda: client.delete_audit_entry(ep.actors[who], entry))
    elif op == "roster":
        who = ep.actor(step.actor)
        ep.perform(a.ReadRoster(who), lambda: client.access_roster(ep.actors[who]))
    elif op == "export":
        who = ep.actor(0 if step.actor % 2 else step.actor)
        ep.perform(a.TerminationExport(who), lambda: client.termination_export(actor=ep.actors[who]),
                   read_handles=lambda r: [ep.handle_of_read.get(str(x.get("id")), "<foreign read>")
                                           for x in r.get("reads", []) if isinstance(x, dict)])
    elif op == "terminate":
        who = ep.actor(0 if step.actor % 2 else step.actor)
        home = {h for h, r in ep.model.reads.items() if r.agency == "home"}
        result = ep.perform(a.TerminationDelete(who),
                            lambda: client.call("POST", "/v1/termination/delete", ep.actors[who]))
        if result.ok:
            ep.terminated |= home
            ep.logged_at_termination = len(ep.model.log)
    elif op == "anonymous":
        _anonymous(ep, step)
    elif op in ("hotlist", "accept", "alerts") and ep.ex.hotlists:
        _hotlist_step(ep, step)


HOTLISTERS = ("home-admin", "partner-admin", "instate-admin", "home-admin", "vendor-admin")
"""Who makes and accepts hotlists (cast handles): admins of every kind of agency there is one of."""
HOTLIST_SHARES: tuple[tuple[str, ...], ...] = ((), ("home",), ("partner",), ("instate",), ("home", "instate"))
"""Whom a new hotlist is offered to (agency handles)."""
ADMIN_OF = {"home": "home-admin", "partner": "partner-admin", "instate": "instate-admin"}


def _hotlist_step(ep: Episode, step: Step) -> None:
    """Make a hotlist (a planted read's plate or a fresh one; offered to some agencies; now and then for a
    prohibited purpose), accept one, or list alerts."""
    a, client, traffic = ep.a, ep.client, ep.traffic
    if step.op == "alerts":
        who = _seeker(ep, step.actor)
        ep.perform(a.ListAlerts(who), lambda: client.alerts(ep.actors[who]))
        return
    maker = _by_handle(ep, HOTLISTERS[step.actor % len(HOTLISTERS)])
    if step.op == "accept":
        if not ep.hotlists:  # a list to accept: another agency makes one first
            _hotlist_step(ep, Step("hotlist", step.actor + 1, step.target, step.v1 + 1, step.v2))
        offered = ep.hotlist_offers[ep.hotlists[step.target % len(ep.hotlists)]]
        if offered and step.v2 % 3:  # mostly an agency it was offered to
            maker = _by_handle(ep, ADMIN_OF[offered[step.v1 % len(offered)]])
        handle = ep.hotlists[step.target % len(ep.hotlists)]
        hotlist_id = ep.hotlist_ids.get(handle, secrets.token_hex(6))
        ep.perform(a.AcceptHotlist(maker, handle), lambda: client.accept_hotlist(ep.actors[maker], hotlist_id))
        return
    plate = ep.plates[ep.reads[step.target % len(ep.reads)]] if ep.reads and step.v1 % 3 else traffic.plate()
    share = tuple(ep.agency(h) for h in HOTLIST_SHARES[step.v1 % len(HOTLIST_SHARES)])
    purpose = traffic.purpose()
    if step.v2 % 5 == 4:
        variant = traffic.prohibited(1)[0]
        purpose[variant.field] = variant.text
    handle = f"hotlist-{len(ep.hotlists) + 1}"
    ep.hotlists.append(handle)
    ep.hotlist_plates.append(plate)
    ep.hotlist_offers[handle] = share
    body = {"name": f"{purpose['offense_type']} {traffic.rng.randint(1, 999)}".replace("_", " "), "plates": [plate],
            "reason": purpose["reason"], "case_number": purpose["case_number"],
            **({"share_with": [ep.agencies[h] for h in share]} if share else {})}
    ep.perform(a.CreateHotlist(maker, handle, (plate,), purpose["reason"], purpose["case_number"], share),
               lambda: client.create_hotlist(ep.actors[maker], body), created=("hotlist", handle))


def _by_handle(ep: Episode, handle: str) -> str:
    return ep.actor(next(i for i, (h, _, _) in enumerate(ep.cast()) if h == handle))


def _anonymous(ep: Episode, step: Step) -> None:
    """A request without a token, or with one never issued: search, fetch or audit read."""
    a, client = ep.a, ep.client
    foreign = step.v2 % 2 == 1
    who = a.FOREIGN if foreign else a.ANONYMOUS
    token = secrets.token_urlsafe(32) if foreign else None
    kind = step.v1 % 3
    if kind == 0 and ep.reads:
        handle = ep.reads[step.target % len(ep.reads)]
        read_id = ep.read_ids.get(handle, secrets.token_hex(8))
        ep.perform(a.FetchRead(who, handle), lambda: client.get_read(None, read_id, token=token, deliberate=True))
    elif kind == 1:
        ep.perform(a.ReadAuditLog(who), lambda: client.audit_log(None, token=token, deliberate=True))  # type: ignore[arg-type]
    else:
        plate = ep.plates[ep.reads[step.target % len(ep.reads)]] if ep.reads else ep.traffic.plate()
        purpose = ep.traffic.purpose()
        ep.perform(a.Search(who, plate=plate, **purpose),
                   lambda: client.search(None, plate=plate, token=token, deliberate=True, **purpose))


def _search(ep: Episode, who: str, step: Step) -> None:
    traffic, a = ep.traffic, ep.a
    plate = ep.plates[ep.reads[step.target % len(ep.reads)]] if ep.reads else traffic.plate()
    shape = SHAPES[step.v1 % len(SHAPES)]
    body: dict[str, Any] = {}
    since = until = None
    if shape in ("full", "bounded"):
        body["plate"] = plate
        if shape == "bounded":
            until = ep.model.now()
            since = until - (2 + step.v2 % 30) * DAY
            body["from_"], body["to"] = _iso(since), _iso(until)
    else:
        body["plate_pattern"] = traffic.pattern(plate, shape)
    purpose = dict(traffic.purpose(who))
    kind = PURPOSES[step.v2 % len(PURPOSES)]
    if kind == "no_reason":
        purpose["reason"] = None
    elif kind == "blank_reason":
        purpose["reason"] = "  "
    elif kind == "no_offense":
        purpose["offense_type"] = None
    elif kind == "off_list":
        purpose["offense_type"] = traffic.off_list_offense(ep.ex.offense_codes)
    elif kind == "no_case":
        purpose["case_number"] = None
    elif kind == "placeholder":
        purpose["case_number"] = traffic.placeholders(1)[0]
    elif kind == "prohibited":
        variant = traffic.prohibited(1)[0]
        purpose[variant.field] = variant.text
    action = a.Search(who, plate=body.get("plate"), plate_pattern=body.get("plate_pattern"),
                      reason=purpose["reason"], case_number=purpose["case_number"],
                      offense_type=purpose["offense_type"], since=since, until=until)
    ep.perform(action, lambda: ep.client.search(ep.actors[who], **body, **purpose),
               read_handles=lambda r: [ep.handle_of_read.get(str(x.get("id")), "<foreign read>")
                                       for x in r.get("results", []) if isinstance(x, dict)])



# --------------------------------------------------------------------------- results


def merge_exploration(reports: list[Any], exploration: ExplorationReport) -> None:
    """Fail each control a divergence touched (the fixed pass's verdict stays in the message), with the
    shortest reproducing sequence in its evidence."""
    by_id = {r.id: r for r in reports}
    for control, finding in sorted(exploration.findings.items()):
        report = by_id.get(control)
        if report is None:
            continue
        said = finding.divergences[0].message
        note = (f"exploration (seed {exploration.seed}) diverged from the policy model in a sequence of "
                f"{len(finding.steps)} step(s): {said}")
        report.message = note if report.result != "FAIL" else f"{report.message}; {note}"
        report.result = "FAIL"
        report.evidence["result"], report.evidence["message"] = report.result, report.message
        report.evidence["exploration"] = finding_evidence(finding)


def finding_evidence(finding: Finding) -> dict[str, Any]:
    return {"control": finding.control, "steps": [s.describe() for s in finding.steps],
            "actions": finding.actions, "divergences": [d.message for d in finding.divergences],
            "exchanges": finding.exchanges}


def exploration_evidence(exploration: ExplorationReport) -> dict[str, Any]:
    """``exploration.json``: the summary (also in the scorecard) and every control's minimal sequence."""
    return {"summary": exploration.summary(),
            "findings": {c: finding_evidence(f) for c, f in sorted(exploration.findings.items())}}
