"""The run health gate: stop a run whose calls mostly fail, with a diagnosis the user can act on.

A run against a wrong token, a mistyped ``base_url``, an exhausted quota or a service that is down
measures nothing about the vendor's reader; carried on, it would seal a scorecard that looks like a
result. The gate watches the final outcome of every call: once :data:`MIN_CALLS` calls are in,
when at least :data:`MAX_FAILED_SHARE` of the last :data:`WINDOW` failed, the run stops
(:class:`HealthGateTripped`, non-zero exit). The diagnosis names the commonest failure, e.g.
``HTTP 401 (auth) on 10 of the last 10 calls: check the credential (token_env) ...``. The journal
keeps every call; after the fix, ``--resume RUN_ID --retry-failed`` sends the failed samples again.
The same test over the whole run's outcomes keeps the load scenarios from starting while it is red.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable

from harness.outcome import CallOutcome
from harness.runner.executors import RunAborted

WINDOW = 20
"""Calls the gate looks back over."""
MIN_CALLS = 10
"""Calls made before the gate may trip (fewer say too little)."""
MAX_FAILED_SHARE = 0.5
"""Share of failed calls (in the window) at which the run stops."""

_STATUS = re.compile(r"^HTTP (\d{3})\b")
_ADVICE = {
    "auth": "check the credential (token_env in vendors.toml) and that the account may use this API",
    "quota": "HTTP 429 is the vendor's rate limit: set rate_limit_per_s in vendors.toml or lower --concurrency; "
             "HTTP 402 means the account's quota or plan is exhausted",
    "http_status": "check base_url in vendors.toml (a stray path segment gives 404) and the vendor's status",
    "transport": "nothing answers at base_url: check the address and that the service is up",
    "timeout": "the service does not answer in time: check that it is up, or raise --read-timeout",
    "protocol": "the answers are not this vendor's API (an HTML page?): check base_url and the adapter",
    "image_rejected": "the vendor refuses the images: check the corpus's formats and sizes against its limits",
    "adapter_crash": "the adapter fails on the answers: see the journal's error messages",
}


class HealthGateTripped(RunAborted):
    """Too many calls failed for the run to measure anything; the message says why and what to do."""


class HealthGate:
    """Counts final outcomes as they come and trips when too many of the recent ones failed."""

    def __init__(self) -> None:
        self._recent: deque[CallOutcome] = deque(maxlen=WINDOW)
        self.calls = 0

    def observe(self, outcome: CallOutcome) -> None:
        """Take one final outcome; raises :class:`HealthGateTripped` when the gate turns red."""
        self.calls += 1
        self._recent.append(outcome)
        if self.calls >= MIN_CALLS:
            problem = diagnose(self._recent, scope="the first" if self.calls <= WINDOW else "the last")
            if problem:
                raise HealthGateTripped(problem)


def diagnose(outcomes: Iterable[CallOutcome], *, scope: str = "the run's") -> str | None:
    """Why ``outcomes`` are too unhealthy to go on, or ``None`` when they are fine.

    ``scope`` says which calls they are in the message (``the first``, ``the last``, ``the run's``)."""
    outcomes = list(outcomes)
    failed = [o for o in outcomes if not o.ok]
    if len(outcomes) < MIN_CALLS or len(failed) < MAX_FAILED_SHARE * len(outcomes):
        return None
    causes = Counter(_cause(o) for o in failed)
    (kind, status), count = causes.most_common(1)[0]
    what = f"HTTP {status} ({kind})" if status else kind
    where = f"{scope} {len(outcomes)}"
    others = len(failed) - count
    also = f" (and {others} other failures)" if others else ""
    advice = _ADVICE.get(kind, "see the journal's error messages")
    return f"{what} on {count} of {where} calls{also}: {advice}"


def _cause(outcome: CallOutcome) -> tuple[str, str | None]:
    match = _STATUS.match(outcome.error_message or "")
    return outcome.error_kind or "unknown", match.group(1) if match else None
