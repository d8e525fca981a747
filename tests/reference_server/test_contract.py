"""The rules the policy model added to the API, end to end on a real reference server."""

from __future__ import annotations

from datetime import timedelta

import httpx

from conftest import Sandbox, purpose


def test_retention_accepts_integral_numbers_and_stays_healthy(sandbox: Sandbox) -> None:
    read_id = sandbox.ingest("QXRET001")
    assert sandbox.admin("PUT", "/v1/retention", json={"days": 326.0}).json()["days"] == 326
    assert sandbox.admin("GET", "/v1/retention").json() == {"days": 326, "max_days": 365}
    assert sandbox.admin("GET", f"/v1/reads/{read_id}").status_code == 200
    assert sandbox.admin("PUT", "/v1/retention", json={"days": 26.5}).json()["code"] == "invalid_request"
    assert sandbox.admin("PUT", "/v1/retention", json={"days": 400}).json()["code"] == "retention_exceeds_cap"
    assert sandbox.admin("PUT", "/v1/retention", json={"days": True}).json()["code"] == "invalid_request"


def test_a_path_answers_405_with_allow(sandbox: Sandbox) -> None:
    response = sandbox.call("PUT", "/v1/sharing-agreements", sandbox.admin_token, json={}, validate=False)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_audit_entries_are_immutable_and_attempts_are_logged(sandbox: Sandbox) -> None:
    sandbox.ingest("QXAUD001")
    target = sandbox.audit()[0]
    _, searcher = sandbox.actor(sandbox.home_id(), "searcher")
    for token in (sandbox.admin_token, searcher):
        edit = sandbox.call("PATCH", f"/v1/audit-log/{target['id']}", token, json={"outcome": "denied"})
        delete = sandbox.call("DELETE", f"/v1/audit-log/{target['id']}", token)
        assert [edit.json()["code"], delete.json()["code"]] == ["audit_immutable"] * 2
    entries = sandbox.audit()
    assert entries[0] == target
    attempts = [(e["action"], e["query"]["entry_id"]) for e in entries if e["action"] in ("audit_edit", "audit_delete")]
    assert attempts == [("audit_edit", target["id"]), ("audit_delete", target["id"])] * 2


def test_the_paginated_log_holds_every_entry_once(sandbox: Sandbox) -> None:
    for plate in ("QXPAG001", "QXPAG002", "QXPAG003", "QXPAG004"):
        sandbox.ingest(plate)
    whole = [e["id"] for e in sandbox.audit()]
    seen, cursor = [], None
    for _ in range(20):
        page = sandbox.admin("GET", "/v1/audit-log", params={"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        seen += [e["id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[:len(whole)] == whole and len(seen) == len(set(seen))
    assert sandbox.admin("GET", "/v1/audit-log", params={"cursor": "nonsense"}).json()["code"] == "invalid_request"


def test_agreement_expiry_and_revocation_apply_on_every_path(sandbox: Sandbox) -> None:
    read_id = sandbox.ingest("QXEXP001")
    agency = sandbox.agency("partner")
    _, before = sandbox.actor(agency, "searcher")
    expires = (sandbox.now() + timedelta(hours=1)).isoformat()
    sandbox.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency, "expires_at": expires})
    _, during = sandbox.actor(agency, "searcher")
    for token in (before, during):
        assert len(sandbox.search(token, plate_pattern="QXE*", **purpose()).json()["results"]) == 1
        assert sandbox.call("GET", f"/v1/reads/{read_id}", token).status_code == 200
    sandbox.admin("POST", "/v1/sandbox/clock", json={"advance_seconds": 7200})
    for token in (before, during):
        assert sandbox.search(token, plate_pattern="QXE*", **purpose()).json()["code"] == "no_agreement"
        assert sandbox.search(token, plate="QXEXP001", **purpose()).json()["code"] == "no_agreement"
        assert sandbox.call("GET", f"/v1/reads/{read_id}", token).status_code == 404
    assert sandbox.admin("GET", "/v1/sharing-agreements").json()["agreements"][0]["status"] == "expired"


def test_hotlist_alerts_are_opt_in_both_ways(sandbox: Sandbox) -> None:
    agency = sandbox.agency("partner")
    _, partner_admin = sandbox.actor(agency, "admin")
    body = {"name": "Stolen", "plates": ["QX-HOT 01"], "reason": "Stolen vehicle", "case_number": "24-7781",
            "share_with": [sandbox.home_id()]}
    hotlist = sandbox.call("POST", "/v1/hotlists", partner_admin, json=body).json()
    sandbox.ingest("QXHOT01")
    assert sandbox.call("GET", "/v1/alerts", partner_admin).json()["alerts"] == []  # no agreement
    assert sandbox.admin("GET", "/v1/alerts").json()["alerts"] == []                 # not accepted
    assert sandbox.admin("POST", f"/v1/hotlists/{hotlist['id']}/accept").json()["accepted_by"] == [sandbox.home_id()]
    agreement = sandbox.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency}).json()
    read_id = sandbox.ingest("QXHOT01")
    assert [a["read_id"] for a in sandbox.admin("GET", "/v1/alerts").json()["alerts"]] == [read_id]
    assert [a["read_id"] for a in sandbox.call("GET", "/v1/alerts", partner_admin).json()["alerts"]] == [read_id]
    sandbox.admin("DELETE", f"/v1/sharing-agreements/{agreement['id']}")
    assert sandbox.call("GET", "/v1/alerts", partner_admin).json()["alerts"] == []
    bad = dict(body, reason="ICE detainer list")
    assert sandbox.call("POST", "/v1/hotlists", partner_admin, json=bad).json()["code"] == "prohibited_purpose"


def test_vendor_support_and_outside_admins_are_kept_out(sandbox: Sandbox) -> None:
    sandbox.ingest("QXVEN001")
    vendor = sandbox.agency("vendor_support", "CA")
    _, support = sandbox.actor(vendor, "searcher")
    assert sandbox.search(support, plate="QXVEN001", **purpose()).json()["code"] == "vendor_support_denied"
    assert sandbox.admin("POST", "/v1/sharing-agreements", json={"agency_id": vendor}).json()["code"] == "vendor_support_denied"
    _, partner_admin = sandbox.actor(sandbox.agency("partner"), "admin")
    for method, path in (("POST", "/v1/termination/export"), ("GET", "/v1/audit-log"), ("POST", "/v1/sandbox/reset")):
        assert sandbox.call(method, path, partner_admin).json()["code"] == "forbidden", path


def test_reset_returns_the_initial_sandbox(sandbox: Sandbox) -> None:
    sandbox.ingest("QXRES001")
    sandbox.actor(sandbox.agency("partner"), "searcher")
    before = sandbox.now()
    assert httpx.post(f"{sandbox.base_url}/v1/sandbox/reset",
                      headers={"Authorization": f"Bearer {sandbox.admin_token}"}).status_code == 200
    assert [a["kind"] for a in sandbox.admin("GET", "/v1/sandbox/agencies").json()["agencies"]] == ["home"]
    assert len(sandbox.admin("GET", "/v1/access-roster").json()["accounts"]) == 1
    assert [e["action"] for e in sandbox.audit()] == ["access_roster"]
    assert sandbox.now() >= before
