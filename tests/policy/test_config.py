"""The policy file: the packaged Denver default loads, and broken files are refused with a clear error."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from harness.policy import DEFAULT_POLICY_PATH, PolicyError, default_policy, load_policy
from harness.policy.config import policy_from_mapping


def test_default_policy_states_the_denver_terms() -> None:
    policy = default_policy()
    assert policy.home_state == "CO"
    assert policy.retention_days == 21
    assert "motor_vehicle_theft" in policy.offense_types
    assert policy.kind("federal").denial == "federal_denied"
    assert policy.kind("partner").agreement and policy.kind("instate").agreement
    assert policy.kind("vendor_support").denial == "vendor_support_denied"


def _default() -> dict:
    return tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def test_schema_violations_are_named(tmp_path: Path) -> None:
    data = _default()
    data["retention"]["days"] = "21"
    del data["home"]["state"]
    with pytest.raises(PolicyError, match=r"(?s)home: .state. is a required.*retention/days"):
        policy_from_mapping(data)


def test_contradictions_are_refused() -> None:
    data = _default()
    data["retention"]["days"] = 400
    with pytest.raises(PolicyError, match="max_days"):
        policy_from_mapping(data)
    data = _default()
    data["agency_kinds"]["federal"]["agreement"] = True
    with pytest.raises(PolicyError, match="federal"):
        policy_from_mapping(data)


def test_unreadable_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(broken)


def test_a_city_can_change_its_terms(tmp_path: Path) -> None:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace('state = "CO"', 'state = "IL"')
    text = text.replace("days = 21 ", "days = 7 ")
    path = tmp_path / "illinois.toml"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path)
    assert (policy.home_state, policy.retention_days) == ("IL", 7)
