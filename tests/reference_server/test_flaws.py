"""Each flaw observably changes the server's behaviour in the way it documents, and only that way.

Every test runs the same probe against a flawless server and a flawed one: the flawless answer
is the contract, the flawed answer the documented violation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from conftest import Sandbox, purpose
from harness.reference_server import FLAWS, UnknownFlawError, parse_flaws
from harness.reference_server.app import REDACTED

Probe = Callable[[Sandbox], Any]


def _outside(box: Sandbox, kind: str, agreement: bool = False) -> str:
    agency = box.agency(kind, "TX" if kind == "out_of_state" else "CO")
    if agreement:
        box.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency})
    return box.actor(agency, "searcher")[1]


def _found(box: Sandbox, token: str, **query: str) -> int:
    response = box.search(token, **query, **purpose())
    return len(response.json()["results"]) if response.status_code == 200 else -response.status_code


def share_all(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    instate = _outside(box, "instate")
    return _found(box, instate, plate_pattern="QXF*"), _found(box, _outside(box, "federal"), plate="QXFLAW01")


def national_lookup(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    texan = _outside(box, "out_of_state")
    return (_found(box, texan, plate="QXFLAW01"), _found(box, texan, plate_pattern="QXF*"),
            _found(box, _outside(box, "federal"), plate="QXFLAW01"))


def no_reason_required(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    token = box.actor(box.home_id(), "searcher")[1]
    return (box.search(token, plate="QXFLAW01", **purpose(reason=None)).status_code,
            box.search(token, plate="QXFLAW01", **purpose(case_number=None)).status_code)


def no_case_number(box: Sandbox) -> Any:
    token = box.actor(box.home_id(), "searcher")[1]
    return (box.search(token, plate="QXFLAW01", **purpose(case_number=None)).status_code,
            box.search(token, plate="QXFLAW01", **purpose(case_number="--")).status_code,
            box.search(token, plate="QXFLAW01", **purpose(reason=None)).status_code)


def allow_prohibited_purpose(box: Sandbox) -> Any:
    token = box.actor(box.home_id(), "searcher")[1]
    return box.search(token, plate="QXFLAW01", **purpose(reason="I.C.E. request")).status_code


def audit_gaps(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    token = box.actor(box.home_id(), "searcher")[1]
    box.search(token, plate="QXFLAW01", **purpose("GAP-0001"))
    box.search(token, plate_pattern="QXF*", **purpose("GAP-0002"))
    box.search(token, plate_pattern="Q*", **purpose("GAP-0003"))  # refused: too broad
    return sorted(e["case_number"] for e in box.audit() if e["action"] == "search")


def audit_redacted(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    home = box.actor(box.home_id(), "searcher")[1]
    box.search(home, plate="QXFLAW01", **purpose("RED-0001"))
    box.search(_outside(box, "partner", agreement=True), plate="QXFLAW01", **purpose("RED-0002"))
    entries = {e["case_number"]: e for e in box.audit() if e["action"] == "search"}
    return [(entries[c]["actor_id"] == REDACTED, entries[c]["agency_kind"]) for c in ("RED-0001", "RED-0002")]


def retention_ignored(box: Sandbox) -> Any:
    old = box.ingest("QXFLAW01", age=timedelta(days=30))
    token = box.actor(box.home_id(), "searcher")[1]
    return _found(box, token, plate="QXFLAW01"), box.call("GET", f"/v1/reads/{old}", token).status_code


def no_deletion_on_termination(box: Sandbox) -> Any:
    read_id = box.ingest("QXFLAW01")
    token = box.actor(box.home_id(), "searcher")[1]
    deleted = box.admin("POST", "/v1/termination/delete").json()["deleted"]
    return deleted, _found(box, token, plate="QXFLAW01"), box.call("GET", f"/v1/reads/{read_id}", token).status_code


def federal_access(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    bare = _found(box, _outside(box, "federal"), plate="QXFLAW01")
    agency = box.agency("federal")
    offered = box.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency}).status_code
    return bare, offered, _found(box, box.actor(agency, "searcher")[1], plate="QXFLAW01")


def out_of_state_access(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    bare = _found(box, _outside(box, "out_of_state"), plate="QXFLAW01")
    agency = box.agency("out_of_state", "TX")
    offered = box.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency}).status_code
    return bare, offered, _found(box, box.actor(agency, "searcher")[1], plate="QXFLAW01")


def revocation_delayed(box: Sandbox) -> Any:
    box.ingest("QXFLAW01", age=timedelta(hours=1))
    agency = box.agency("partner")
    token = box.actor(agency, "searcher")[1]
    agreement = box.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency}).json()
    box.admin("DELETE", f"/v1/sharing-agreements/{agreement['id']}")
    right_after = _found(box, token, plate="QXFLAW01")
    box.admin("POST", "/v1/sandbox/clock", json={"advance_seconds": 25 * 3600})
    return right_after, _found(box, token, plate="QXFLAW01")


def idor(box: Sandbox) -> Any:
    read_id = box.ingest("QXFLAW01")
    token = _outside(box, "instate")
    return box.call("GET", f"/v1/reads/{read_id}", token).status_code, _found(box, token, plate="QXFLAW01")


def no_auth(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    return (box.search(None, plate="QXFLAW01", **purpose()).status_code,
            box.search("never-issued-token-0000000000000", plate="QXFLAW01", **purpose()).status_code)


def denied_not_logged(box: Sandbox) -> Any:
    box.ingest("QXFLAW01")
    token = box.actor(box.home_id(), "searcher")[1]
    box.search(token, plate="QXFLAW01", **purpose("DEN-0001"))
    box.search(token, plate="QXFLAW01", **purpose("DEN-0002", reason="ICE"))
    box.call("GET", "/v1/me", "never-issued-token-0000000000000")
    return sorted((e["action"], e["outcome"]) for e in box.audit() if e["action"] in ("search", "login"))


def _realistic_outside(box: Sandbox, kind: str, name: str, *, agreement: bool = False,
                       role: str = "searcher") -> tuple[str, str, str | None]:
    """An outside agency with a real-looking name, one actor's token, and its agreement id."""
    state = "TX" if kind == "out_of_state" else "CO"
    response = box.admin("POST", "/v1/sandbox/agencies", json={"name": name, "kind": kind, "state": state})
    agency = str(response.json()["id"])
    agreement_id = None
    if agreement:
        agreement_id = box.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency}).json()["id"]
    return agency, box.actor(agency, role)[1], agreement_id


REAL = {"offense_type": "robbery", "reason": "Vehicle seen leaving armed robbery on Colfax",
        "case_number": "24-118342"}


def _real_found(box: Sandbox, token: str, **query: str) -> int:
    response = box.search(token, **query, **REAL)
    return len(response.json()["results"]) if response.status_code == 200 else -response.status_code


def probe_test_aware(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    box.ingest("QXFLAW0001")
    _, token, _ = _realistic_outside(box, "instate", "Aurora Police Department")
    return _real_found(box, token, plate="QXF 4411"), _real_found(box, token, plate="QXFLAW0001")


def purpose_whole_field_only(box: Sandbox) -> Any:
    token = box.actor(box.home_id(), "searcher")[1]
    return tuple(box.search(token, plate="QXF4411", **purpose(reason=reason)).status_code
                 for reason in ("ICE", "Assist ICE with a detainer pickup at the jail"))


def purpose_keywords_only(box: Sandbox) -> Any:
    token = box.actor(box.home_id(), "searcher")[1]
    return tuple(box.search(token, plate="QXF4411", **purpose(reason=reason)).status_code
                 for reason in ("I.C.E. request", "immigration"))


def placeholder_case_numbers(box: Sandbox) -> Any:
    token = box.actor(box.home_id(), "searcher")[1]
    return tuple(box.search(token, plate="QXF4411", **purpose(case_number=case), validate=False).status_code
                 for case in ("N/A", "0000", "--x"))


def purpose_home_only(box: Sandbox) -> Any:
    _, outside, _ = _realistic_outside(box, "partner", "Lakewood Police Department", agreement=True)
    home = box.actor(box.home_id(), "searcher")[1]
    return tuple(box.search(token, plate="QXF4411", **purpose(reason="ICE detainer"), validate=False).status_code
                 for token in (home, outside))


def _outside_admin(box: Sandbox) -> tuple[str, str]:
    agency, token, _ = _realistic_outside(box, "partner", "Arvada Police Department", role="admin")
    return agency, token


def outside_admin_provisions(box: Sandbox) -> Any:
    agency, token = _outside_admin(box)
    return box.call("POST", "/v1/sandbox/actors", token, json={"agency_id": agency, "role": "searcher",
                                                               "name": "Ofc. Reyes"}).status_code


def outside_admin_reads_audit(box: Sandbox) -> Any:
    return box.call("GET", "/v1/audit-log", _outside_admin(box)[1]).status_code


def outside_admin_terminates(box: Sandbox) -> Any:
    return box.call("POST", "/v1/termination/export", _outside_admin(box)[1]).status_code


def _revoked_partner(box: Sandbox) -> tuple[str, str]:
    read_id = box.ingest("QXF4411")
    _, token, agreement = _realistic_outside(box, "partner", "Westminster Police Department", agreement=True)
    box.admin("DELETE", f"/v1/sharing-agreements/{agreement}")
    return read_id, token


def revocation_probe(box: Sandbox) -> Any:
    read_id, token = _revoked_partner(box)
    return (_found(box, token, plate_pattern="QXF*"), _found(box, token, plate="QXF4411"),
            box.call("GET", f"/v1/reads/{read_id}", token).status_code)


def _hotlist(box: Sandbox, token: str, share_with: list[str]) -> str:
    body = {"name": "Stolen vehicles", "plates": ["QXF 4411"], "reason": "Stolen vehicle", "case_number": "24-5501",
            "share_with": share_with}
    response = box.call("POST", "/v1/hotlists", token, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _alerts(box: Sandbox, token: str) -> int:
    return len(box.call("GET", "/v1/alerts", token).json()["alerts"])


def revocation_ignored_alerts(box: Sandbox) -> Any:
    _agency, admin, agreement = _realistic_outside(box, "partner", "Englewood Police Department", agreement=True,
                                                  role="admin")
    _hotlist(box, admin, [])
    box.admin("DELETE", f"/v1/sharing-agreements/{agreement}")
    box.ingest("QXF4411")
    return _alerts(box, admin)


def expiry_ignored(box: Sandbox) -> Any:
    read_id = box.ingest("QXF4411")
    agency, token, _ = _realistic_outside(box, "partner", "Golden Police Department")
    expires = (box.now() + timedelta(hours=1)).isoformat()
    box.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency, "expires_at": expires})
    box.admin("POST", "/v1/sandbox/clock", json={"advance_seconds": 7200})
    status = box.admin("GET", "/v1/sharing-agreements").json()["agreements"][0]["status"]
    return _found(box, token, plate="QXF4411"), box.call("GET", f"/v1/reads/{read_id}", token).status_code, status


def deactivated_token_works(box: Sandbox) -> Any:
    actor_id, token = box.actor(box.home_id(), "searcher")
    box.admin("DELETE", f"/v1/sandbox/actors/{actor_id}")
    return box.search(token, plate="QXF4411", **purpose()).status_code


def access_frozen_at_creation(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    agency, before, _ = _realistic_outside(box, "partner", "Thornton Police Department")
    agreement = box.admin("POST", "/v1/sharing-agreements", json={"agency_id": agency}).json()["id"]
    during = box.actor(agency, "searcher")[1]
    box.admin("DELETE", f"/v1/sharing-agreements/{agreement}")
    return _found(box, before, plate="QXF4411"), _found(box, during, plate="QXF4411")


def extra_personal_data(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    token = box.actor(box.home_id(), "searcher")[1]
    result = box.search(token, plate="QXF4411", validate=False, **purpose()).json()["results"][0]
    return sorted(set(result) - {"id", "plate", "captured_at", "camera_id", "agency_id"})


def leaky_refusals(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    _, token, _ = _realistic_outside(box, "instate", "Brighton Police Department")
    body = box.search(token, plate="QXF4411", **purpose()).json()
    return body["code"], "matches" in body, "cam-test" in body["detail"]


def alert_extensions(box: Sandbox) -> Any:
    _hotlist(box, box.admin_token, [])
    box.ingest("QXF4411")
    alerts = box.call("GET", "/v1/alerts", box.admin_token).json()["alerts"]
    return len(alerts), sorted(k for k in alerts[0] if k.startswith("x-"))


def renewal_teaser(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    _, lapsed, agreement = _realistic_outside(box, "partner", "Golden Police Department", agreement=True)
    box.admin("DELETE", f"/v1/sharing-agreements/{agreement}")
    _, stranger, _ = _realistic_outside(box, "instate", "Brighton Police Department")
    return tuple("matches" in box.search(token, plate="QXF4411", **purpose()).json() for token in (lapsed, stranger))


def hotlist_overshare(box: Sandbox) -> Any:
    agency, admin, _ = _realistic_outside(box, "instate", "Commerce City Police Department", role="admin")
    hotlist = _hotlist(box, box.admin_token, [agency])
    box.call("POST", f"/v1/hotlists/{hotlist}/accept", admin)
    box.ingest("QXF4411")
    return _alerts(box, admin), _alerts(box, box.admin_token)


def audit_missing_fetch(box: Sandbox) -> Any:
    read_id = box.ingest("QXF4411")
    token = box.actor(box.home_id(), "searcher")[1]
    box.call("GET", f"/v1/reads/{read_id}", token)
    box.call("GET", "/v1/reads/rd_0000000000000000", token)
    return sorted(e["outcome"] for e in box.audit() if e["action"] == "read")


def audit_page_drop(box: Sandbox) -> Any:
    for plate in ("QXF4411", "QXF4412", "QXF4413"):
        box.ingest(plate)
    full = [e["id"] for e in box.audit()]
    seen, cursor = [], None
    for _ in range(50):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = box.admin("GET", "/v1/audit-log", params=params).json()
        seen.extend(e["id"] for e in page["entries"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return set(full) <= set(seen), len(seen) == len(set(seen))


def audit_misattributed(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    _, token, _ = _realistic_outside(box, "partner", "Littleton Police Department", agreement=True)
    me = box.call("GET", "/v1/me", token).json()["actor"]["id"]
    box.search(token, plate="QXF4411", **purpose("MIS-0001"))
    entry = next(e for e in box.audit() if e["case_number"] == "MIS-0001")
    return entry["actor_id"] == me, entry["agency_kind"]


def audit_time_skew(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    now = box.now()
    entry = next(e for e in box.audit() if e["action"] == "ingest")
    return abs((datetime.fromisoformat(entry["at"]) - now).total_seconds()) < 60


def audit_time_no_zone(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    entry = next(e for e in box.audit(validate=False) if e["action"] == "ingest")
    return entry["at"].endswith("Z")


def audit_editable(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    target = next(e for e in box.audit() if e["action"] == "ingest")["id"]
    status = box.call("DELETE", f"/v1/audit-log/{target}", box.admin_token, validate=False).status_code
    entries = box.audit()
    return status, any(e["id"] == target for e in entries), sum(e["action"] == "audit_delete" for e in entries)


def audit_purged_on_termination(box: Sandbox) -> Any:
    box.ingest("QXF4411")
    box.admin("POST", "/v1/termination/delete")
    return sorted({e["action"] for e in box.audit()} & {"ingest", "delete"})


def termination_export_incomplete(box: Sandbox) -> Any:
    box.ingest("QXF4411", age=timedelta(days=10))
    box.ingest("QXF4412", age=timedelta(days=1))
    body = box.admin("POST", "/v1/termination/export").json()
    return body["count"], sorted(r["plate"] for r in body["reads"])


def roster_missing_deactivated(box: Sandbox) -> Any:
    actor_id, token = box.actor(box.home_id(), "searcher")
    box.search(token, plate="QXF4411", **purpose())
    box.admin("DELETE", f"/v1/sandbox/actors/{actor_id}")
    return any(a["actor_id"] == actor_id for a in box.admin("GET", "/v1/access-roster").json()["accounts"])


def _old_read(box: Sandbox) -> tuple[str, str]:
    return box.ingest("QXF4411", age=timedelta(days=30)), box.actor(box.home_id(), "searcher")[1]


def retention_ignored_wildcard(box: Sandbox) -> Any:
    read_id, token = _old_read(box)
    return (_found(box, token, plate_pattern="QXF*"), _found(box, token, plate="QXF4411"),
            box.call("GET", f"/v1/reads/{read_id}", token).status_code)


def retention_ignored_export(box: Sandbox) -> Any:
    _read_id, token = _old_read(box)
    return _found(box, token, plate="QXF4411"), box.admin("POST", "/v1/termination/export").json()["count"]


def retention_ignored_alerts(box: Sandbox) -> Any:
    _hotlist(box, box.admin_token, [])
    read_id, token = _old_read(box)
    return (_alerts(box, box.admin_token), _found(box, token, plate="QXF4411"),
            box.call("GET", f"/v1/reads/{read_id}", token).status_code)


def vendor_support_access(box: Sandbox) -> Any:
    read_id = box.ingest("QXF4411")
    _, token, _ = _realistic_outside(box, "vendor_support", "Vendor support desk")
    return _found(box, token, plate="QXF4411"), box.call("GET", f"/v1/reads/{read_id}", token).status_code


EXPECTED: dict[str, tuple[Probe, Any, Any]] = {
    # flaw: (probe, flawless answer, flawed answer)
    "share-all": (share_all, (-403, -403), (1, -403)),
    "national-lookup": (national_lookup, (-403, -403, -403), (1, -403, -403)),
    "no-reason-required": (no_reason_required, (400, 400), (200, 400)),
    "no-case-number": (no_case_number, (400, 400, 400), (200, 200, 400)),
    "allow-prohibited-purpose": (allow_prohibited_purpose, 403, 200),
    "audit-gaps": (audit_gaps, ["GAP-0001", "GAP-0002", "GAP-0003"], ["GAP-0001", "GAP-0003"]),
    "audit-redacted": (audit_redacted, [(False, "home"), (False, "partner")], [(False, "home"), (True, "partner")]),
    "retention-ignored": (retention_ignored, (0, 404), (1, 200)),
    "no-deletion-on-termination": (no_deletion_on_termination, (1, 0, 404), (1, 1, 200)),
    "federal-access": (federal_access, (-403, 403, -403), (-403, 201, 1)),
    "out-of-state-access": (out_of_state_access, (-403, 403, -403), (-403, 201, 1)),
    "revocation-delayed": (revocation_delayed, (-403, -403), (1, -403)),
    "idor": (idor, (404, -403), (200, -403)),
    "no-auth": (no_auth, (401, 401), (200, 401)),
    "denied-not-logged": (denied_not_logged, [("login", "denied"), ("search", "allowed"), ("search", "denied")],
                          [("search", "allowed")]),
    "test-aware": (probe_test_aware, (-403, -403), (1, -403)),
    "purpose-whole-field-only": (purpose_whole_field_only, (403, 403), (403, 200)),
    "purpose-keywords-only": (purpose_keywords_only, (403, 403), (200, 403)),
    "placeholder-case-numbers": (placeholder_case_numbers, (400, 400, 400), (200, 200, 400)),
    "purpose-home-only": (purpose_home_only, (403, 403), (403, 200)),
    "outside-admin-provisions": (outside_admin_provisions, 403, 201),
    "outside-admin-reads-audit": (outside_admin_reads_audit, 403, 200),
    "outside-admin-terminates": (outside_admin_terminates, 403, 200),
    "revocation-ignored-wildcard": (revocation_probe, (-403, -403, 404), (1, -403, 404)),
    "revocation-ignored-fetch": (revocation_probe, (-403, -403, 404), (-403, -403, 200)),
    "revocation-ignored-alerts": (revocation_ignored_alerts, 0, 1),
    "expiry-ignored": (expiry_ignored, (-403, 404, "expired"), (1, 200, "expired")),
    "deactivated-token-works": (deactivated_token_works, 401, 200),
    "access-frozen-at-creation": (access_frozen_at_creation, (-403, -403), (-403, 1)),
    "extra-personal-data": (extra_personal_data, [], ["image_url", "owner_address", "registered_owner"]),
    "leaky-refusals": (leaky_refusals, ("no_agreement", False, False), ("no_agreement", True, True)),
    "renewal-teaser": (renewal_teaser, (False, False), (True, False)),
    "alert-extensions": (alert_extensions, (1, []), (1, ["x-image_url", "x-plate", "x-registered_owner"])),
    "hotlist-overshare": (hotlist_overshare, (0, 1), (1, 1)),
    "audit-missing-fetch": (audit_missing_fetch, ["allowed", "denied"], ["denied"]),
    "audit-page-drop": (audit_page_drop, (True, True), (False, True)),
    "audit-misattributed": (audit_misattributed, (True, "partner"), (False, "home")),
    "audit-time-skew": (audit_time_skew, True, False),
    "audit-time-no-zone": (audit_time_no_zone, True, False),
    "audit-editable": (audit_editable, (403, True, 1), (200, False, 0)),
    "audit-purged-on-termination": (audit_purged_on_termination, ["delete", "ingest"], ["delete"]),
    "termination-export-incomplete": (termination_export_incomplete, (2, ["QXF4411", "QXF4412"]), (1, ["QXF4412"])),
    "roster-missing-deactivated": (roster_missing_deactivated, True, False),
    "retention-ignored-wildcard": (retention_ignored_wildcard, (0, 0, 404), (1, 0, 404)),
    "retention-ignored-export": (retention_ignored_export, (0, 0), (0, 1)),
    "retention-ignored-alerts": (retention_ignored_alerts, (0, 0, 404), (1, 0, 404)),
    "vendor-support-access": (vendor_support_access, (-403, 404), (1, 200)),
}


def test_every_flaw_has_a_probe() -> None:
    assert set(EXPECTED) == set(FLAWS)
    assert all(flaw.controls and flaw.behaviour for flaw in FLAWS.values())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_flaw_changes_behaviour_as_documented(name: str, sandbox_factory: Any) -> None:
    probe, flawless, flawed = EXPECTED[name]
    assert probe(sandbox_factory()) == flawless
    assert probe(sandbox_factory(name)) == flawed


def test_unknown_flaw_names_the_known_ones() -> None:
    with pytest.raises(UnknownFlawError, match="share-al.*known flaws: share-all, national-lookup"):
        parse_flaws(["share-al"])
