"""The city's policy file: TOML validated by ``policy.schema.json``, loaded into a frozen :class:`Policy`.

The packaged ``default.toml`` states the Denver terms (see ``docs/policy-model.md``); a city passes
its own file to :func:`load_policy`.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from harness.errors import UserError

DEFAULT_POLICY_PATH = Path(__file__).with_name("default.toml")
SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")


class PolicyError(UserError, ValueError):
    """A policy file that is not TOML, breaks the schema, or contradicts itself."""


@dataclass(frozen=True)
class AgencyKind:
    """What the contract says about one kind of agency."""

    name: str
    in_state: bool | None
    """True: must be in the home state; False: must be outside it; None: anywhere."""
    agreement: bool
    """Whether the home admin may give agencies of this kind a sharing agreement."""
    denial: str | None
    """The problem code refusing this kind's searches and agreements outright, if any."""


@dataclass(frozen=True)
class Policy:
    """The contract terms the model, the reference server and the published API share."""

    name: str
    version: str
    home_name: str
    home_state: str
    retention_days: int
    max_retention_days: int
    audit_retention_days: int
    min_pattern_literals: int
    case_number_pattern: re.Pattern[str]
    case_number_min_length: int
    case_number_max_length: int
    case_number_placeholders: frozenset[str]
    purpose_fields: tuple[str, ...]
    prohibited_categories: tuple[str, ...]
    offense_types: Mapping[str, str]
    """Offense code -> label, in the city's order."""
    agency_kinds: Mapping[str, AgencyKind]

    def kind(self, name: str) -> AgencyKind:
        """The rules of agency kind ``name`` (``KeyError`` if the policy has no such kind)."""
        return self.agency_kinds[name]


@functools.cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")),
                                           format_checker=jsonschema.FormatChecker())


def policy_from_mapping(data: Mapping[str, Any]) -> Policy:
    """Validate parsed TOML against the schema and build the :class:`Policy`; raises :class:`PolicyError`."""
    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]
        raise PolicyError("the policy breaks policy.schema.json:\n  " + "\n  ".join(lines))
    search, retention = data["search"], data["retention"]
    if retention["days"] > retention["max_days"]:
        raise PolicyError("retention.days exceeds retention.max_days")
    if search["case_number_min_length"] > search["case_number_max_length"]:
        raise PolicyError("search.case_number_min_length exceeds search.case_number_max_length")
    codes = [o["code"] for o in data["offense_types"]]
    if len(set(codes)) != len(codes):
        raise PolicyError("offense_types repeats a code")
    try:
        case_pattern = re.compile(search["case_number_pattern"])
    except re.error as exc:
        raise PolicyError(f"search.case_number_pattern: {exc}") from None
    kinds = {name: AgencyKind(name, spec.get("in_state"), spec["agreement"], spec.get("denial"))
             for name, spec in data["agency_kinds"].items()}
    for kind in kinds.values():
        if kind.agreement and kind.denial:
            raise PolicyError(f"agency kind {kind.name} both may receive an agreement and is denied")
    if kinds["home"].agreement:
        raise PolicyError("the home agency cannot receive an agreement from itself")
    return Policy(
        name=data["name"], version=data["version"], home_name=data["home"]["name"],
        home_state=data["home"]["state"], retention_days=retention["days"],
        max_retention_days=retention["max_days"], audit_retention_days=retention["audit_days"],
        min_pattern_literals=search["min_pattern_literals"], case_number_pattern=case_pattern,
        case_number_min_length=search["case_number_min_length"],
        case_number_max_length=search["case_number_max_length"],
        case_number_placeholders=frozenset(search["case_number_placeholders"]),
        purpose_fields=tuple(search["purpose_fields"]),
        prohibited_categories=tuple(search["prohibited_categories"]),
        offense_types={o["code"]: o["label"] for o in data["offense_types"]}, agency_kinds=kinds,
    )


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policy file (default: the packaged Denver terms)."""
    source = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {source}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {source} is not valid TOML: {exc}") from None
    return policy_from_mapping(data)


@functools.cache
def default_policy() -> Policy:
    """The packaged default policy (the Denver terms), loaded once."""
    return load_policy()
