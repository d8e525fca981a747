"""vendors.toml: adapters by name or target, secrets only by environment-variable name."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.vendors_config import resolve_vendor
from vendor_adapters.errors import ConfigurationError


def vendors(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vendors.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_reference_needs_no_entry() -> None:
    spec = resolve_vendor("reference", None)
    assert (spec.name, spec.adapter, dict(spec.config)) == ("reference", "reference", {})


def test_entry_maps_a_name_to_an_adapter_with_options(tmp_path: Path) -> None:
    path = vendors(tmp_path, '[vendors.acme]\nadapter = "platerecognizer"\nbase_url = "http://127.0.0.1:9"\ntoken_env = "ACME_TOKEN"\n')
    spec = resolve_vendor("acme", path)
    assert spec.adapter == "platerecognizer" and dict(spec.config) == {"base_url": "http://127.0.0.1:9", "token_env": "ACME_TOKEN"}


@pytest.mark.parametrize("key", ["token", "api_key", "password", "secret", "apiKey"])
def test_inline_secrets_are_refused_without_echoing_them(tmp_path: Path, key: str) -> None:
    path = vendors(tmp_path, f'[vendors.acme]\nadapter = "platerecognizer"\n{key} = "s3cr3t-value"\n')
    with pytest.raises(ConfigurationError, match="looks like a secret") as info:
        resolve_vendor("acme", path)
    assert "s3cr3t-value" not in str(info.value) and "_env" in str(info.value)


def test_env_field_must_hold_a_variable_name_not_a_key(tmp_path: Path) -> None:
    path = vendors(tmp_path, '[vendors.acme]\nadapter = "platerecognizer"\ntoken_env = "sk-live 123/abc"\n')
    with pytest.raises(ConfigurationError, match="NAME of an environment variable"):
        resolve_vendor("acme", path)


def test_unknown_names_suggest_the_closest(tmp_path: Path) -> None:
    path = vendors(tmp_path, '[vendors.acme-lpr]\nadapter = "platerecogniser"\n')
    with pytest.raises(ConfigurationError, match="Did you mean 'platerecognizer'"):
        resolve_vendor("acme-lpr", path)
    with pytest.raises(ConfigurationError, match=r"Did you mean 'acme-lpr'.*vendors in"):
        resolve_vendor("acme-lp", path)


def test_missing_credential_is_found_before_any_request(tmp_path: Path) -> None:
    path = vendors(tmp_path, '[vendors.acme]\nadapter = "platerecognizer"\ntoken_env = "PLATEBENCH_TEST_UNSET_TOKEN"\n')
    with pytest.raises(ConfigurationError, match="PLATEBENCH_TEST_UNSET_TOKEN"):
        resolve_vendor("acme", path).create(env={})


def test_every_problem_is_reported_with_its_place_and_no_value_is_echoed(tmp_path: Path) -> None:
    path = vendors(
        tmp_path,
        '[vendors."bad name"]\nadapter = "reference"\n\n'
        '[vendors.acme]\nadapter = "platerecognizer"\napi_key = "s3cr3t-value"\ntoken_env = "s3cr3t value"\n'
        'read_timeout = -1\n\n[extra]\nx = 1\n',
    )
    with pytest.raises(ConfigurationError) as info:
        resolve_vendor("acme", path)
    message = str(info.value)
    assert "has 5 problem(s) (schema: vendors.schema.json)" in message
    for expected in (
        "top level: Additional properties are not allowed ('extra' was unexpected)",
        "vendors key 'bad name': a vendor name is 1-64 letters",
        "vendors.acme key 'api_key': looks like a secret",
        "vendors.acme.read_timeout: must be a positive number of seconds",
        "vendors.acme.token_env: must be the NAME of an environment variable",
    ):
        assert expected in message
    assert "s3cr3t" not in message
