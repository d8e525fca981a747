"""The stateful model predicts each answer and the audit entries a conforming vendor must produce."""

from __future__ import annotations

import pytest

from harness.policy import SandboxModel
from harness.policy import actions as a
from harness.policy.actions import HOME, HOME_ADMIN

T0 = 1_790_000_000.0
DAY = 86400
PURPOSE = {"reason": "Vehicle seen leaving armed robbery on Colfax", "case_number": "24-118342",
           "offense_type": "robbery"}


@pytest.fixture
def model() -> SandboxModel:
    m = SandboxModel(now=T0)
    m.run([
        a.CreateAgency(HOME_ADMIN, "aurora", "Aurora Police Department", "partner", "CO"),
        a.CreateAgency(HOME_ADMIN, "dallas", "Dallas Police Department", "out_of_state", "TX"),
        a.CreateAgency(HOME_ADMIN, "hsi", "HSI Denver field office", "federal", "CO"),
        a.CreateAgency(HOME_ADMIN, "vendor", "Vendor support", "vendor_support", "CA"),
        a.CreateActor(HOME_ADMIN, "det", HOME, "searcher", "Det. Alvarez"),
        a.CreateActor(HOME_ADMIN, "auditor", HOME, "auditor", "City auditor"),
        a.CreateActor(HOME_ADMIN, "aur", "aurora", "searcher", "Ofc. Nguyen"),
        a.CreateActor(HOME_ADMIN, "aur-admin", "aurora", "admin", "Sgt. Price"),
        a.CreateActor(HOME_ADMIN, "tx", "dallas", "searcher", "Det. Moore"),
        a.CreateActor(HOME_ADMIN, "fed", "hsi", "searcher", "SA Quinn"),
        a.Ingest(HOME_ADMIN, "r1", "ABC-1234", T0 - 3 * DAY),
        a.Ingest(HOME_ADMIN, "r2", "ABD 1299", T0 - 10 * DAY),
        a.Ingest("aur-admin", "r3", "ABC1234", T0 - DAY),
    ])
    return m


def test_agreement_grants_every_path_until_it_expires(model: SandboxModel) -> None:
    assert model.apply(a.Search("aur", plate="ABC1234", **PURPOSE)).code == "no_agreement"
    assert model.apply(a.CreateAgreement(HOME_ADMIN, "mou", "aurora", expires_at=T0 + DAY)).status == 201
    assert model.apply(a.Search("aur", plate="ABC1234", **PURPOSE)).reads == {"r1", "r3"}
    assert model.apply(a.Search("aur", plate_pattern="AB*12*", **PURPOSE)).reads == {"r1", "r2", "r3"}
    assert model.apply(a.FetchRead("aur", "r2")).outcome == "allowed"
    model.apply(a.CreateActor(HOME_ADMIN, "aur-new", "aurora", "searcher", "Ofc. Lee"))
    model.apply(a.AdvanceClock(HOME_ADMIN, 2 * DAY))
    for who in ("aur", "aur-new"):
        assert model.apply(a.Search(who, plate_pattern="AB*", **PURPOSE)).code in ("no_agreement", "pattern_too_broad")
        assert model.apply(a.Search(who, plate_pattern="ABC*", **PURPOSE)).code == "no_agreement"
        assert model.apply(a.FetchRead(who, "r1")).code == "not_found"
    assert model.apply(a.FetchRead("aur", "r3")).outcome == "allowed"  # its own read


def test_revocation_applies_to_fetch_and_wildcard(model: SandboxModel) -> None:
    model.apply(a.CreateAgreement(HOME_ADMIN, "mou", "aurora"))
    assert model.home_data_access("aur")
    model.apply(a.RevokeAgreement(HOME_ADMIN, "mou"))
    assert model.apply(a.FetchRead("aur", "r1")).status == 404
    assert model.apply(a.Search("aur", plate_pattern="ABC*", **PURPOSE)).code == "no_agreement"
    assert not model.home_data_access("aur")


@pytest.mark.parametrize(("who", "code"), [("tx", "out_of_state_denied"), ("fed", "federal_denied")])
def test_denied_kinds_are_refused_with_their_code(model: SandboxModel, who: str, code: str) -> None:
    prediction = model.apply(a.Search(who, plate="ABC1234", **PURPOSE))
    assert (prediction.outcome, prediction.status, prediction.code) == ("refused", 403, code)
    assert prediction.audit[0].actor == who and prediction.audit[0].outcome == "denied"
    agency = {"tx": "dallas", "fed": "hsi"}[who]
    assert model.apply(a.CreateAgreement(HOME_ADMIN, "x", agency)).code == code


def test_purpose_rules_apply_to_outside_searchers_too(model: SandboxModel) -> None:
    model.apply(a.CreateAgreement(HOME_ADMIN, "mou", "aurora"))
    for who in ("det", "aur"):
        assert model.apply(a.Search(who, plate="ABC1234", reason="ICE detainer follow-up",
                                    case_number="24-1", offense_type="robbery")).code == "prohibited_purpose"
        for placeholder in ("N/A", "TBD", "0000", "na", "CASE-000"):
            assert model.apply(a.Search(who, plate="ABC1234", reason="Follow-up", case_number=placeholder,
                                        offense_type="robbery")).code == "case_number_invalid"
        assert model.apply(a.Search(who, plate="ABC1234", reason="x", case_number="24-118342",
                                    offense_type="curfew_violation")).code == "offense_type_not_authorized"


def test_a_custom_classifier_judges_phrasings_the_default_misses(model: SandboxModel) -> None:
    custom = SandboxModel(now=T0, classifier=lambda text: "immigration" if "la migra" in text.lower() else None)
    reason = {"reason": "Apoyo a La Migra", "case_number": "24-118342", "offense_type": "robbery"}
    assert custom.apply(a.Search(HOME_ADMIN, plate="ABC1234", **reason)).code == "prohibited_purpose"


def test_outside_admins_cannot_administer(model: SandboxModel) -> None:
    for action in (a.CreateActor("aur-admin", "x", "aurora", "searcher", "n"), a.ReadAuditLog("aur-admin"),
                   a.TerminationExport("aur-admin"), a.ReadRoster("aur-admin"), a.SetRetention("aur-admin", 30)):
        assert model.apply(action).code == "forbidden"


def test_deactivated_token_is_refused_and_logged_without_actor(model: SandboxModel) -> None:
    model.apply(a.DeactivateActor(HOME_ADMIN, "det"))
    prediction = model.apply(a.Search("det", plate="ABC1234", **PURPOSE))
    assert prediction.status == 401
    assert prediction.audit[0].action == "login" and prediction.audit[0].actor is None


def test_retention_applies_on_every_path_and_never_returns(model: SandboxModel) -> None:
    model.apply(a.SetRetention(HOME_ADMIN, 5))
    assert model.apply(a.Search("det", plate_pattern="AB*1299", **PURPOSE)).reads == frozenset()
    assert model.apply(a.FetchRead("det", "r2")).status == 404
    assert model.apply(a.TerminationExport(HOME_ADMIN)).reads == {"r1"}
    model.apply(a.SetRetention(HOME_ADMIN, 30))
    assert model.apply(a.FetchRead("det", "r2")).status == 404


def test_audit_is_immutable_and_survives_termination(model: SandboxModel) -> None:
    for who in (HOME_ADMIN, "auditor", "det", "aur-admin"):
        prediction = model.apply(a.DeleteAuditEntry(who))
        assert (prediction.status, prediction.code, prediction.audit[0].action) == (403, "audit_immutable", "audit_delete")
    before = len(model.expected_log())
    export = model.apply(a.TerminationExport(HOME_ADMIN))
    assert export.reads == {"r1", "r2"} and len(export.log or ()) == before
    assert model.apply(a.TerminationDelete(HOME_ADMIN)).audit[0].result_count == 2
    assert model.apply(a.Search("det", plate_pattern="ABC*", **PURPOSE)).reads == frozenset()
    assert len(model.apply(a.ReadAuditLog("auditor")).log or ()) == before + 3


def test_hotlist_alerts_follow_the_sharing_rules(model: SandboxModel) -> None:
    hotlist = a.CreateHotlist("aur-admin", "hl", ("XYZ 987",), "Stolen vehicle", "24-55", share_with=(HOME,))
    assert model.apply(hotlist).status == 201
    model.apply(a.Ingest(HOME_ADMIN, "r4", "XYZ987", T0))
    assert model.apply(a.ListAlerts("aur")).alerts == frozenset()        # no agreement: no alert on home reads
    assert model.apply(a.ListAlerts("det")).alerts == frozenset()        # home has not accepted
    model.apply(a.AcceptHotlist(HOME_ADMIN, "hl"))
    model.apply(a.CreateAgreement(HOME_ADMIN, "mou", "aurora"))
    model.apply(a.Ingest(HOME_ADMIN, "r5", "XYZ987", T0))
    assert model.apply(a.ListAlerts("det")).alerts == {("hl", "r5")}
    assert model.apply(a.ListAlerts("aur")).alerts == {("hl", "r5")}
    model.apply(a.RevokeAgreement(HOME_ADMIN, "mou"))
    assert model.apply(a.ListAlerts("aur")).alerts == frozenset()


def test_boundaries_within_tolerance_are_uncertain() -> None:
    model = SandboxModel(now=T0, tolerance=2.0)
    model.apply(a.Ingest(HOME_ADMIN, "r", "ABC123", T0 - 21 * DAY + 1))
    assert model.apply(a.FetchRead(HOME_ADMIN, "r")).uncertain
    model.apply(a.AdvanceClock(HOME_ADMIN, 10))
    assert not model.apply(a.FetchRead(HOME_ADMIN, "r")).uncertain


def test_roster_lists_every_actor_with_its_access(model: SandboxModel) -> None:
    model.apply(a.CreateAgreement(HOME_ADMIN, "mou", "aurora"))
    roster = {line.actor: line for line in model.apply(a.ReadRoster("auditor")).roster or ()}
    assert roster["aur"].home_data_access and not roster["tx"].home_data_access
    assert not roster["auditor"].home_data_access and roster[HOME_ADMIN].home_data_access
