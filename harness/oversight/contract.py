"""The oversight contract file: what the city checks every period after award, validated by a JSON Schema.

Paths in the file are relative to the file's folder. Thresholds left out take :data:`DEFAULT_THRESHOLDS`.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.schema_check import raise_problems, read_toml, schema_problems

PERIOD = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])$")

DEFAULT_THRESHOLDS: dict[str, float | int | None] = {
    "outside_account_share_max": 50.0,
    "outside_search_share_max": 50.0,
    "outside_share_rise_max": 10.0,
    "prohibited_purpose_max": 0,
    "missing_reason_share_max": 0.0,
    "missing_case_number_share_max": 0.0,
    "outside_administration_max": 0,
    "new_outside_agencies_max": None,
    "unlisted_actors_max": 0,
    "allowed_searches_without_access_max": 0,
    "silent_days_max": 2,
    "entries_outside_period_max": 0,
    "privacy_regressions_max": 0,
    "exact_read_drop_max": None,
}
"""Threshold -> default (``None``: reported as a change, never a breach)."""


class ContractError(UserError):
    """A contract file that cannot be used; the message names the file and the member."""


@dataclass(frozen=True)
class Contract:
    """A validated contract file."""

    path: Path
    sha256: str
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data["contract"]["name"])

    @property
    def home_agency(self) -> str:
        return str(self.data["contract"]["home_agency"])

    @property
    def vendor(self) -> str:
        return str(self.data["vendor"]["name"])

    @property
    def thresholds(self) -> dict[str, float | int | None]:
        return {**DEFAULT_THRESHOLDS, **self.data.get("thresholds", {})}

    @property
    def require_manifest(self) -> bool:
        return bool(self.data["exports"].get("require_manifest", False))

    def file(self, member: str) -> Path | None:
        """The top-level path member ``member`` (``policy``, ``rubric``, ``baseline_scorecard``), resolved."""
        value = self.data.get(member)
        return None if value is None else self.resolve(value)

    def exports_folder(self, period: str) -> Path:
        """Where period ``YYYY-MM``'s exports arrive."""
        return self.resolve(self.data["exports"]["folder"]) / period

    def sandbox(self) -> tuple[str, str] | None:
        """``(base_url, token)`` of the sandbox tenant; ``None`` without one. Raises when the token is unset."""
        sandbox = self.data.get("sandbox")
        if sandbox is None:
            return None
        token = os.environ.get(sandbox["admin_token_env"], "")
        if not token:
            raise ContractError(f"{self.path}: sandbox.admin_token_env names {sandbox['admin_token_env']!r}, "
                                "which is unset or empty")
        return str(sandbox["base_url"]), token

    @property
    def privacy_controls(self) -> list[str] | None:
        """The control ids the monthly privacy pass runs (``None``: all)."""
        controls = self.data.get("privacy", {}).get("controls")
        return None if controls is None else list(controls)

    def resolve(self, value: str) -> Path:
        """A path written in the contract, resolved against the contract file's folder."""
        path = Path(value)
        return path if path.is_absolute() else (self.path.parent / path).resolve()


SCHEMA_PATH = Path(__file__).with_name("contract.schema.json")


def load_contract(path: Path) -> Contract:
    """Read and validate ``path``; raises :class:`ContractError` listing every problem."""
    raw, data = read_toml(path, "contract", ContractError)
    raise_problems(schema_problems(SCHEMA_PATH, data), "contract", path, SCHEMA_PATH, ContractError)
    contract = Contract(path.resolve(), hashlib.sha256(raw).hexdigest(), data)
    for member in ("policy", "rubric", "baseline_scorecard"):
        file = contract.file(member)
        if file is not None and not file.is_file():
            raise ContractError(f"{path}: {member} = {data[member]!r}: no such file ({file})")
    return contract


def check_period(period: str) -> str:
    """``period`` if it is ``YYYY-MM``; else :class:`ContractError`."""
    if not PERIOD.match(period):
        raise ContractError(f"period {period!r} is not YYYY-MM (e.g. 2027-03)")
    return period


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """First instant of month ``YYYY-MM`` and of the next month, in UTC."""
    start = datetime.strptime(check_period(period), "%Y-%m").replace(tzinfo=UTC)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start, start.replace(year=year, month=month)


def file_sha256(path: Path | None) -> str | None:
    """sha256 of a small file (policy, rubric, scorecard), or ``None``."""
    return None if path is None else hashlib.sha256(path.read_bytes()).hexdigest()
