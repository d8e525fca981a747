"""A scripted tour of every endpoint of the flawless reference server, each response validated
against the published spec with openapi-core (``Sandbox.call`` raises on any mismatch)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from conftest import Sandbox, purpose


def test_public_endpoints_and_identity(sandbox: Sandbox) -> None:
    info = sandbox.call("GET", "/v1/info").json()
    assert info["api_version"] == "1.0.0" and 0 <= info["declared_threshold"] <= 1
    me = sandbox.admin("GET", "/v1/me").json()
    assert me["agency"]["kind"] == "home" and me["actor"]["role"] == "admin"
    codes = {o["code"] for o in sandbox.admin("GET", "/v1/offense-types").json()["offense_types"]}
    assert "motor_vehicle_theft" in codes
    agencies = sandbox.admin("GET", "/v1/sandbox/agencies").json()["agencies"]
    assert [a["kind"] for a in agencies] == ["home"]


def test_sandbox_setup_rules(sandbox: Sandbox) -> None:
    home = sandbox.admin("POST", "/v1/sandbox/agencies", json={"name": "x", "kind": "home", "state": "CO"})
    assert (home.status_code, home.json()["code"]) == (400, "invalid_request")  # the spec's enum excludes home
    wrong_state = sandbox.admin("POST", "/v1/sandbox/agencies", json={"name": "x", "kind": "instate", "state": "TX"})
    assert (wrong_state.status_code, wrong_state.json()["code"]) == (400, "agency_state_mismatch")
    unknown_field = sandbox.admin("POST", "/v1/sandbox/agencies", json={"name": "x", "kind": "partner", "state": "CO", "extra": 1})
    assert unknown_field.json()["code"] == "invalid_request"
    unknown = sandbox.admin("POST", "/v1/sandbox/actors", json={"agency_id": "ag_none", "role": "searcher", "name": "n"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_agency")
    before = sandbox.now()
    after = sandbox.admin("POST", "/v1/sandbox/clock", json={"advance_seconds": 3600}).json()["now"]
    assert (sandbox.now() - before) >= timedelta(hours=1) and after
    assert sandbox.admin("POST", "/v1/sandbox/clock", json={"advance_seconds": -1}).status_code == 400
    agency = sandbox.agency("partner")
    actor_id, token = sandbox.actor(agency, "searcher")
    assert sandbox.call("GET", "/v1/me", token).json()["actor"]["id"] == actor_id
    assert sandbox.admin("DELETE", f"/v1/sandbox/actors/{actor_id}").json()["active"] is False
    assert sandbox.call("GET", "/v1/me", token).status_code == 401


def test_search_rules_and_audit(sandbox: Sandbox) -> None:
    _, searcher = sandbox.actor(sandbox.home_id(), "searcher")
    _, auditor = sandbox.actor(sandbox.home_id(), "auditor")
    read_id = sandbox.ingest("QXTOUR01")
    full = sandbox.search(searcher, plate="qx-tour-01", **purpose("CASE-0001"))
    assert full.status_code == 200 and [r["id"] for r in full.json()["results"]] == [read_id]
    pattern = sandbox.search(searcher, plate_pattern="QXT*", **purpose())
    assert [r["plate"] for r in pattern.json()["results"]] == ["QXTOUR01"]
    now = sandbox.now()
    window = sandbox.search(searcher, plate="QXTOUR01", **{"from": (now - timedelta(hours=1)).isoformat()}, **purpose())
    assert window.json()["results"] == []
    refusals = {
        "reason_required": purpose(reason=None),
        "offense_type_required": purpose(offense_type=None),
        "offense_type_not_authorized": purpose(offense_type="jaywalking"),
        "case_number_required": purpose(case_number=None),
        "case_number_invalid": purpose(case_number="--"),
    }
    for code, fields in refusals.items():
        response = sandbox.search(searcher, plate="QXTOUR01", **fields)
        assert (response.status_code, response.json()["code"]) == (400, code)
        assert response.json()["search_id"]
    for reason in ("ICE", "I.C.E. request", "inmigración", "imigration check", "abortion investigation", "No Kings rally"):
        response = sandbox.search(searcher, plate="QXTOUR01", **purpose(reason=reason))
        assert (response.status_code, response.json()["code"]) == (403, "prohibited_purpose"), reason
    assert sandbox.search(searcher, plate_pattern="Q*", **purpose()).json()["code"] == "pattern_too_broad"
    assert sandbox.search(searcher, **purpose()).json()["code"] == "invalid_request"
    assert sandbox.search(auditor, plate="QXTOUR01", **purpose()).json()["code"] == "forbidden"
    searches = [e for e in sandbox.audit() if e["action"] == "search"]
    assert len(searches) == 3 + len(refusals) + 6 + 3
    first = next(e for e in searches if e["case_number"] == "CASE-0001")
    assert first["outcome"] == "allowed" and first["result_count"] == 1 and first["search_id"] == full.json()["search_id"]
    assert first["query"]["plate"] == "qx-tour-01" and first["actor_role"] == "searcher"
    assert sum(e["outcome"] == "denied" for e in searches) == len(refusals) + 6 + 3


def test_sharing_agreements_and_kinds(sandbox: Sandbox) -> None:
    sandbox.ingest("QXSHARE1")
    partner = sandbox.agency("partner")
    _, partner_searcher = sandbox.actor(partner, "searcher")
    partner_admin_id, partner_admin = sandbox.actor(partner, "admin")
    _, instate = sandbox.actor(sandbox.agency("instate"), "searcher")
    federal = sandbox.agency("federal", "CO")
    _, fed = sandbox.actor(federal, "searcher")
    oos = sandbox.agency("out_of_state", "TX")
    _, texan = sandbox.actor(oos, "searcher")
    assert sandbox.search(partner_searcher, plate="QXSHARE1", **purpose()).json()["code"] == "no_agreement"
    agreement = sandbox.admin("POST", "/v1/sharing-agreements", json={"agency_id": partner})
    assert agreement.status_code == 201 and agreement.json()["status"] == "active"
    assert sandbox.admin("POST", "/v1/sharing-agreements", json={"agency_id": partner}).json()["code"] == "conflict"
    assert len(sandbox.search(partner_searcher, plate="QXSHARE1", **purpose()).json()["results"]) == 1
    assert sandbox.search(instate, plate="QXSHARE1", **purpose()).json()["code"] == "no_agreement"
    assert sandbox.admin("POST", "/v1/sharing-agreements", json={"agency_id": federal}).json()["code"] == "federal_denied"
    assert sandbox.admin("POST", "/v1/sharing-agreements", json={"agency_id": oos}).json()["code"] == "out_of_state_denied"
    assert sandbox.search(fed, plate="QXSHARE1", **purpose()).json()["code"] == "federal_denied"
    assert sandbox.search(texan, plate_pattern="QXS*", **purpose()).json()["code"] == "out_of_state_denied"
    reshare = sandbox.call("POST", "/v1/sharing-agreements", partner_admin, json={"agency_id": partner})
    assert reshare.json()["code"] == "forbidden" and partner_admin_id
    roster = {a["agency_kind"]: a["home_data_access"] for a in sandbox.admin("GET", "/v1/access-roster").json()["accounts"]
              if a["role"] == "searcher"}
    assert roster == {"partner": True, "instate": False, "federal": False, "out_of_state": False}
    revoked = sandbox.admin("DELETE", f"/v1/sharing-agreements/{agreement.json()['id']}")
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"]
    assert sandbox.search(partner_searcher, plate="QXSHARE1", **purpose()).json()["code"] == "no_agreement"
    assert sandbox.admin("DELETE", "/v1/sharing-agreements/sa_none").status_code == 404
    listed = sandbox.admin("GET", "/v1/sharing-agreements").json()["agreements"]
    assert [a["status"] for a in listed] == ["revoked"]
    actions = [e["action"] for e in sandbox.audit()]
    assert actions.count("share") == 5 and actions.count("revoke") == 2  # one refused: unknown id


def test_reads_by_id_are_tenant_checked(sandbox: Sandbox) -> None:
    home_read = sandbox.ingest("QXIDOR01")
    other = sandbox.agency("instate")
    _, other_admin = sandbox.actor(other, "admin")
    other_read = sandbox.ingest("QXIDOR02", token=other_admin)
    _, home_searcher = sandbox.actor(sandbox.home_id(), "searcher")
    assert sandbox.call("GET", f"/v1/reads/{home_read}", home_searcher).json()["plate"] == "QXIDOR01"
    assert sandbox.call("GET", f"/v1/reads/{other_read}", home_searcher).json()["code"] == "not_found"
    assert sandbox.call("GET", f"/v1/reads/{home_read}", other_admin).status_code == 404
    assert sandbox.call("GET", "/v1/reads/rd_missing", home_searcher).status_code == 404
    reads = [e for e in sandbox.audit() if e["action"] == "read"]
    assert [e["outcome"] for e in reads] == ["allowed", "denied", "denied", "denied"]


def test_retention_is_enforced_by_the_sandbox_clock(sandbox: Sandbox) -> None:
    assert sandbox.admin("GET", "/v1/retention").json() == {"days": 21, "max_days": 365}
    assert sandbox.admin("PUT", "/v1/retention", json={"days": 400}).json()["code"] == "retention_exceeds_cap"
    assert sandbox.admin("PUT", "/v1/retention", json={"days": 10}).json()["days"] == 10
    _, searcher = sandbox.actor(sandbox.home_id(), "searcher")
    young = sandbox.ingest("QXRETAIN", age=timedelta(days=8))
    old = sandbox.ingest("QXRETOLD", age=timedelta(days=9, hours=12))
    assert sandbox.call("GET", f"/v1/reads/{old}", searcher).status_code == 200
    sandbox.admin("POST", "/v1/sandbox/clock", json={"advance_seconds": 86400})
    assert sandbox.search(searcher, plate_pattern="QXRET*", **purpose()).json()["results"][0]["id"] == young
    assert len(sandbox.search(searcher, plate_pattern="QXRET*", **purpose()).json()["results"]) == 1
    assert sandbox.call("GET", f"/v1/reads/{old}", searcher).status_code == 404


def test_termination_exports_then_deletes(sandbox: Sandbox) -> None:
    read_id = sandbox.ingest("QXTERM01")
    _, searcher = sandbox.actor(sandbox.home_id(), "searcher")
    sandbox.search(searcher, plate="QXTERM01", **purpose())
    export = sandbox.admin("POST", "/v1/termination/export").json()
    assert export["count"] == 1 and export["reads"][0]["id"] == read_id
    assert any(e["action"] == "search" for e in export["audit_entries"])
    assert sandbox.admin("POST", "/v1/termination/delete").json() == {"deleted": 1}
    assert sandbox.search(searcher, plate="QXTERM01", **purpose()).json()["results"] == []
    assert sandbox.call("GET", f"/v1/reads/{read_id}", searcher).status_code == 404
    assert [e["action"] for e in sandbox.audit()][-4:] == ["export", "delete", "search", "read"]


def test_oversight_endpoints_are_home_admin_or_auditor_only(sandbox: Sandbox) -> None:
    _, searcher = sandbox.actor(sandbox.home_id(), "searcher")
    _, auditor = sandbox.actor(sandbox.home_id(), "auditor")
    _, partner_admin = sandbox.actor(sandbox.agency("partner"), "admin")
    for path in ("/v1/audit-log", "/v1/access-roster", "/v1/sharing-agreements", "/v1/retention", "/v1/sandbox/agencies"):
        assert sandbox.call("GET", path, auditor).status_code == 200, path
        assert sandbox.call("GET", path, searcher).json()["code"] == "forbidden", path
        assert sandbox.call("GET", path, partner_admin).json()["code"] == "forbidden", path
    assert sandbox.call("PUT", "/v1/retention", auditor, json={"days": 5}).status_code == 403
    assert sandbox.call("POST", "/v1/termination/delete", auditor).status_code == 403
    assert sandbox.call("POST", "/v1/hotlists", searcher, json={"name": "h", "plates": ["A"], "reason": "r",
                                                                "case_number": "C-1"}).json()["code"] == "forbidden"
    assert sandbox.call("GET", "/v1/alerts", searcher).json() == {"alerts": []}
    assert sandbox.call("GET", "/v1/alerts", auditor).json()["code"] == "forbidden"


def test_authentication_rejects_missing_and_unknown_tokens(sandbox: Sandbox) -> None:
    for token in (None, "not-a-token-issued-here-000000000"):
        for method, path in (("GET", "/v1/audit-log"), ("POST", "/v1/search"), ("GET", "/v1/reads/rd_x")):
            response = sandbox.call(method, path, token, json={} if method == "POST" else None)
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
            assert response.json()["code"] == "unauthenticated"
    logins = [e for e in sandbox.audit() if e["action"] == "login"]
    assert len(logins) == 6 and all(e["actor_id"] is None and e["outcome"] == "denied" for e in logins)
    assert httpx.get(f"{sandbox.base_url}/v1/nowhere").json()["code"] == "not_found"


def test_server_state_survives_in_a_database_file(tmp_path, openapi) -> None:
    from harness.reference_server import running_reference_server

    db = tmp_path / "sandbox.sqlite"
    with running_reference_server(db=db, admin_token="a-fixed-admin-token-0123456789") as first:
        box = Sandbox(first.base_url, first.admin_token, openapi)
        read_id = box.ingest("QXKEEP01")
    with running_reference_server(db=db, admin_token="a-fixed-admin-token-0123456789") as second:
        box = Sandbox(second.base_url, second.admin_token, openapi)
        assert box.admin("GET", f"/v1/reads/{read_id}").json()["plate"] == "QXKEEP01"
        assert len(box.admin("GET", "/v1/sandbox/agencies").json()["agencies"]) == 1
