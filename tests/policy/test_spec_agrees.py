"""The published API states the default policy's rules: the spec and the model cannot drift apart."""

from __future__ import annotations


import jsonschema
import pytest

from harness.api import load_spec
from harness.policy import PROBLEMS, default_policy
from harness.policy.rules import OPERATIONS

SCHEMAS = load_spec()["components"]["schemas"]


def _valid(schema_name: str, value: object) -> bool:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": load_spec()["components"]}
    return jsonschema.Draft202012Validator(schema).is_valid(value)


def test_lists_agree() -> None:
    policy = default_policy()
    assert SCHEMAS["OffenseCode"]["enum"] == list(policy.offense_types)
    assert set(SCHEMAS["AgencyKind"]["enum"]) == set(policy.agency_kinds)
    assert set(SCHEMAS["Problem"]["properties"]["code"]["enum"]) == set(PROBLEMS)
    audited = {op for op, permission in OPERATIONS.items() if permission.audited}
    assert set(SCHEMAS["AuditAction"]["enum"]) == audited | {"login"}
    assert SCHEMAS["RetentionUpdate"]["properties"]["days"]["maximum"] == policy.max_retention_days


def test_case_number_format_agrees() -> None:
    policy = default_policy()
    schema = SCHEMAS["CaseNumber"]
    assert schema["pattern"] == policy.case_number_pattern.pattern
    assert (schema["minLength"], schema["maxLength"]) == (policy.case_number_min_length, policy.case_number_max_length)
    for placeholder in (*policy.case_number_placeholders, "N/A", "0000", "CASE-000"):
        assert not _valid("CaseNumber", placeholder), placeholder


def test_home_state_agrees() -> None:
    policy = default_policy()
    rules = SCHEMAS["AgencyCreate"]["oneOf"]
    assert rules[0]["properties"]["state"]["const"] == policy.home_state
    assert rules[1]["properties"]["state"]["not"]["const"] == policy.home_state
    in_state = {k for k, rule in policy.agency_kinds.items() if rule.in_state is True} - {"home"}
    assert set(rules[0]["properties"]["kind"]["enum"]) == in_state


@pytest.mark.parametrize(("text", "ok"), [("ABC-1234", True), ("abc 123", True), ("A", True), ("---", False),
                                          ("ABCDEFGHIJKLM", False), ("AB/12", False)])
def test_plate_rule_agrees(text: str, ok: bool) -> None:
    from harness.policy.rules import Refusal, check_plate

    assert _valid("PlateText", text) == ok
    try:
        check_plate(text)
        accepted = True
    except Refusal:
        accepted = False
    assert accepted == ok


@pytest.mark.parametrize(("pattern", "ok"), [("ABC*", True), ("*B*C*D", True), ("AB*", False), ("***", False),
                                             ("A-B-C", True), ("ab c*", True)])
def test_pattern_rule_agrees(pattern: str, ok: bool) -> None:
    from harness.policy.rules import Refusal, check_pattern

    assert _valid("PlatePattern", pattern) == ok
    try:
        check_pattern(default_policy(), pattern)
        accepted = True
    except Refusal:
        accepted = False
    assert accepted == ok
