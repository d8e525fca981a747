"""The published RFP evaluation API document is valid OpenAPI 3.1 and self-consistent."""

from __future__ import annotations

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from harness.api import SPEC_PATH, api_version, load_spec

SKETCH_PATHS = {
    "/v1/info",
    "/v1/recognize",
    "/v1/sandbox/agencies",
    "/v1/sandbox/actors",
    "/v1/sandbox/reads",
    "/v1/sandbox/clock",
    "/v1/search",
    "/v1/reads/{read_id}",
    "/v1/audit-log",
    "/v1/access-roster",
    "/v1/sharing-agreements",
    "/v1/sharing-agreements/{agreement_id}",
    "/v1/retention",
    "/v1/termination/export",
    "/v1/termination/delete",
}


def test_spec_is_valid_openapi_31() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec, cls=OpenAPIV31SpecValidator)
    assert SPEC_PATH.is_file() and api_version() == "1.0.0"


def test_every_sketch_path_is_present() -> None:
    assert SKETCH_PATHS <= set(load_spec()["paths"])


def test_only_info_and_recognize_are_public() -> None:
    spec = load_spec()
    public = {
        (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op and op.get("security") == []
    }
    assert public == {("/v1/info", "get"), ("/v1/recognize", "post")}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op and (path, method) not in public:
                assert "401" in op["responses"], f"{method.upper()} {path} must document 401"


def test_problem_codes_cover_the_agreed_ones() -> None:
    codes = set(load_spec()["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])
    assert {
        "reason_required",
        "no_agreement",
        "out_of_state_denied",
        "federal_denied",
        "prohibited_purpose",
        "forbidden",
        "not_found",
        "unauthenticated",
    } <= codes


def test_error_responses_are_problem_details() -> None:
    spec = load_spec()
    for name, response in spec["components"]["responses"].items():
        assert set(response["content"]) == {"application/problem+json"}, name
