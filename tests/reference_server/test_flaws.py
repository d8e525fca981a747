"""Each flaw observably changes the server's behaviour in the way it documents, and only that way.

Every test runs the same probe against a flawless server and a flawed one: the flawless answer
is the contract, the flawed answer the documented violation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
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
