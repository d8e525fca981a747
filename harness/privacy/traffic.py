"""Test traffic that looks like real use: plates, agencies, officers, cases, cameras and reasons drawn by seed.

A vendor that enforces its rules only when it recognises the test would pass a suite whose requests
carry a fixed prefix, an impossible plate length, a marker in names or case numbers, or the tool's
name in the reason. So every value the suite sends is drawn from ``data/traffic.toml`` by the run's
seed: plates in the serial formats of the jurisdictions in play, agency names of real places in the
home state (or another state, for out-of-state agencies), officers' names, case numbers in records
systems' layouts, camera ids, and reasons written the way officers write them. Nothing is constant
from run to run, and the same seed draws the same traffic (reproducible).

The harness keeps its own bookkeeping of what it planted (:class:`Ledger`): which plates it
ingested (and under which evidence label), which wildcard patterns it sent, which case numbers it
used. Evidence names planted plates by label (``P3``) instead of text: they are drawn in real formats,
so one could be somebody's plate somewhere else.
"""

from __future__ import annotations

import random
import re
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from harness.policy.phrasings import PhrasingLibrary, PurposeClassifier, Variant, default_library

LETTERS = "".join(ch for ch in string.ascii_uppercase if ch not in "IOQ")
DIGITS = string.digits
MAX_DRAWS = 200
"""Draws before giving up on a fresh value (a pool exhausted: a clear error, never a loop)."""


class TrafficExhausted(RuntimeError):
    """No fresh value could be drawn (every plate, name or case number of a pool is used)."""


@cache
def traffic_data() -> dict[str, Any]:
    """The packaged ``data/traffic.toml``."""
    text = resources.files("harness.privacy").joinpath("data/traffic.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass
class Ledger:
    """What the harness planted in the sandbox during a run (never sent anywhere)."""

    plates: dict[str, str] = field(default_factory=dict)
    """Plate text -> evidence label (``P1``, ``P2``...)."""
    jurisdictions: dict[str, str] = field(default_factory=dict)
    """Plate text -> the state whose format it was drawn in."""
    patterns: dict[str, str] = field(default_factory=dict)
    """Wildcard pattern -> evidence label (``W1 (prefix of P3)``)."""
    case_numbers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def label(self, plate: str) -> str | None:
        return self.plates.get(plate.upper())


def pattern_matches(pattern: str, plate: str) -> bool:
    """Whether a ``*`` wildcard pattern (A-Z, 0-9 and ``*``) matches ``plate`` in full."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.upper().split("*")), plate.upper()) is not None


class Traffic:
    """Draws realistic test traffic by seed for one home agency's state and offense list."""

    def __init__(self, seed: int, home_state: str, offense_codes: Sequence[str], *,
                 library: PhrasingLibrary | None = None, classifier: PurposeClassifier | None = None,
                 prohibited_categories: Sequence[str] | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.data = traffic_data()
        self.home_state = home_state
        self.offense_codes = list(offense_codes)
        if not self.offense_codes:
            raise ValueError("the city's offense list is empty")
        self.library = library or default_library()
        self.classifier = classifier or self.library.classifier()
        """Screens legitimate reasons and case numbers (every category, prohibited here or not)."""
        self.prohibited_categories = list(prohibited_categories or self.library.categories)
        """The categories the city's policy prohibits: the only ones :meth:`prohibited` draws from."""
        self.ledger = Ledger()
        self._agency_formats: dict[str, str] = {}
        others = sorted(s for s in self.data["states"] if s != home_state)
        self.rng.shuffle(others)
        self.other_states = others

    # ------------------------------------------------------------------ plates

    def _state(self, state: str) -> Mapping[str, Any]:
        return self.data["states"].get(state) or self.data["generic"]

    def plate(self, state: str | None = None, taken: Callable[[str], bool] | None = None) -> str:
        """A fresh plate in ``state``'s format (the home state by default), recorded in the ledger.
        ``taken`` may veto a draw (e.g. a plate the sandbox already holds)."""
        state = state or self.home_state
        formats = self._state(state)["formats"]
        for _ in range(MAX_DRAWS):
            layout = self.rng.choice(formats)
            plate = "".join(self.rng.choice(LETTERS) if c == "L" else self.rng.choice(DIGITS) for c in layout)
            if plate in self.ledger.plates or (taken is not None and taken(plate)):
                continue
            self.ledger.plates[plate] = f"P{len(self.ledger.plates) + 1}"
            self.ledger.jurisdictions[plate] = state
            return plate
        raise TrafficExhausted(f"no fresh plate in {state}'s formats after {MAX_DRAWS} draws")

    def pattern(self, plate: str, shape: str | None = None) -> str:
        """A wildcard pattern matching ``plate`` (3+ literal characters): a prefix, suffix, infix or both ends."""
        n = len(plate)
        shapes = {
            "prefix": lambda: plate[: self.rng.randint(3, max(3, n - 1))] + "*",
            "suffix": lambda: "*" + plate[n - self.rng.randint(3, max(3, n - 1)):],
            "infix": lambda: "*" + plate[1:4] + "*",
            "ends": lambda: plate[:2] + "*" + plate[-2:],
        }
        chosen = shape or self.rng.choice(sorted(shapes))
        pattern = shapes[chosen]()
        label = self.ledger.plates.get(plate, "an unplanted plate")
        self.ledger.patterns.setdefault(pattern, f"W{len(self.ledger.patterns) + 1} ({chosen} of {label})")
        return pattern

    def planted_matching(self, pattern: str) -> list[str]:
        """Every planted plate a wildcard pattern matches."""
        return [p for p in self.ledger.plates if pattern_matches(pattern, p)]

    # ------------------------------------------------------------------ agencies and people

    def agency(self, kind: str) -> tuple[str, str]:
        """A fresh (name, state) for an agency of ``kind`` (``partner``, ``instate``, ``out_of_state``, ``federal``,
        ``vendor_support``)."""
        names = self.data["agencies"]
        if kind == "out_of_state":
            state = self.rng.choice(self.other_states[:4] or ["TX"])
            templates = names["police"] + names["sheriff"]
        elif kind == "federal":
            state, templates = self.home_state, names["federal"]
        elif kind == "vendor_support":
            state, templates = self.home_state, names["vendor_support"]
        else:
            state, templates = self.home_state, names["police"] + names["sheriff"] + names["state"]
        place = dict(self._state(state))
        if kind == "federal":  # field offices sit in the state's largest cities
            place["cities"] = place["cities"][:3]
        state_name = self.data["state_names"].get(state, state)
        for attempt in range(MAX_DRAWS):
            name = self.rng.choice(templates).format(
                city=self.rng.choice(place["cities"]), county=self.rng.choice(place["counties"]), state_name=state_name)
            if attempt > MAX_DRAWS // 2:  # the pool is used up: a unit of an agency already drawn
                name += self.rng.choice([" Investigations Division", " Metro Unit", " Patrol Division",
                                          " Special Investigations", " District 2", " Crimes Against Persons"])
            if name not in self.ledger.names:
                self.ledger.names.add(name)
                return name, state
        raise TrafficExhausted(f"no fresh {kind} agency name after {MAX_DRAWS} draws")

    def person(self, role: str) -> str:
        """A fresh officer or staff name as a roster shows it (with a title sometimes)."""
        people = self.data["people"]
        titles = people["titles"].get(role, [""])
        for _ in range(MAX_DRAWS):
            first, last = self.rng.choice(people["first"]), self.rng.choice(people["last"])
            core = f"{first} {last}" if self.rng.random() < 0.8 else f"{first[0]}. {last}"
            if core in self.ledger.names:
                continue
            self.ledger.names.add(core)
            return self.rng.choice(titles) + core
        raise TrafficExhausted(f"no fresh {role} name after {MAX_DRAWS} draws")

    def camera(self) -> str:
        cams = self.data["cameras"]
        a, b = self.rng.sample(cams["streets"], 2)
        return self.rng.choice(cams["formats"]).format(
            a=a, b=b, dir=self.rng.choice(cams["directions"]), n=self.rng.randint(1, 4),
            nnn=f"{self.rng.randint(1, 999):03d}", nnnn=f"{self.rng.randint(1, 9999):04d}")

    # ------------------------------------------------------------------ purpose fields

    def case_number(self, agency_key: str = "", year: int = 2026) -> str:
        """A fresh case number in the layout of ``agency_key``'s records system (drawn once per agency)."""
        layout = self._agency_formats.setdefault(agency_key, self.rng.choice(self.data["case_numbers"]["formats"]))
        abbr = "".join(w[0] for w in agency_key.split() if w[:1].isalpha()).upper()[:4] or "".join(
            self.rng.choice(LETTERS) for _ in range(3))
        for _ in range(MAX_DRAWS):
            text = layout.replace("{yyyy}", str(year)).replace("{yy}", str(year)[2:]).replace("{abbr}", abbr)
            text = "".join(self.rng.choice(DIGITS) if c == "D" else c for c in text)
            if text in self.ledger.case_numbers or self.classifier.judge(text):
                if self.classifier.judge(text):  # an agency whose initials spell a purpose tag
                    layout = self._agency_formats[agency_key] = self.rng.choice(["{yyyy}-DDDDDD", "{yy}-DDDDDD"])
                continue
            self.ledger.case_numbers.add(text)
            return text
        raise TrafficExhausted(f"no fresh case number after {MAX_DRAWS} draws")

    def offense(self) -> str:
        return self.rng.choice(self.offense_codes)

    def _fill(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.data["reason_fill"].items()}

    def reason(self, offense: str) -> str:
        """A reason for ``offense`` as an officer types it (never one the classifier flags)."""
        reasons = self.data["reasons"]
        pool = reasons.get(offense) or reasons["generic"]
        fill = self._fill()
        for _ in range(MAX_DRAWS):
            text = self.rng.choice(pool).format(**{k: self.rng.choice(v) for k, v in fill.items()})
            if self.rng.random() < 0.2:
                text = text.capitalize()
            if not self.classifier.judge(text):
                return text
        raise TrafficExhausted("every drawn reason was flagged by the purpose classifier (library conflict)")

    def purpose(self, agency_key: str = "", **overrides: str | None) -> dict[str, str | None]:
        """Purpose fields of a legitimate search (override any; ``None`` drops it)."""
        offense = self.offense()
        fields: dict[str, str | None] = {"offense_type": offense, "reason": self.reason(offense),
                                         "case_number": self.case_number(agency_key)}
        fields.update(overrides)
        return fields

    def off_list_offense(self, listed: Iterable[str]) -> str:
        """An offense type an officer might type that is not on the city's list."""
        taken = {c.casefold() for c in listed}
        pool = [c for c in self.data["off_list_offenses"]["codes"] if c.casefold() not in taken]
        return self.rng.choice(pool)

    def placeholders(self, count: int) -> list[str]:
        """Case-number placeholders officers type when they have none (``N/A``, ``TBD``, ``0000``...)."""
        pool = list(self.data["case_placeholders"]["values"])
        return self.rng.sample(pool, min(count, len(pool)))

    def prohibited(self, count: int) -> list[Variant]:
        """Phrasings of the policy's prohibited purposes, drawn from the library for this run."""
        return self.library.variants(self.rng, count, categories=self.prohibited_categories, fill=self._fill())

    def fork(self, salt: int) -> Traffic:
        """An independent generator for one sub-run (same data, a seed derived from this one)."""
        return Traffic(self.rng.randrange(2**32) ^ salt, self.home_state, self.offense_codes,
                       library=self.library, classifier=self.classifier,
                       prohibited_categories=self.prohibited_categories)
