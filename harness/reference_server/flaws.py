"""The deliberate flaws of the reference vendor server: one privacy violation each.

A flaw exists so the conformance suite can be shown to fail when it should: started with
``--flaw NAME``, the server breaks exactly the controls listed here, and nothing else. The
controls are those of the platebench catalogue; ``PC-AUTH-01`` is the authentication check
(missing or foreign token rejected), which the catalogue has no id for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import UserError


@dataclass(frozen=True)
class Flaw:
    """One injectable violation: what the server then does, and the controls that catches."""

    name: str
    behaviour: str
    controls: tuple[str, ...]


FLAWS: dict[str, Flaw] = {
    flaw.name: flaw
    for flaw in (
        Flaw(
            "share-all",
            "The agreement rule is skipped: any in-state agency (partner or instate) searches home reads "
            "without an agreement, and revoking an agreement changes nothing. Federal and "
            "out-of-state agencies are still denied.",
            ("PC-SHR-01", "PC-SHR-02", "PC-SHR-03"),
        ),
        Flaw(
            "national-lookup",
            "A full-plate (exact) search by any non-federal agency without an agreement, in-state or out "
            "of state, is answered from every agency's reads. Wildcard searches are still denied.",
            ("PC-SHR-01", "PC-SHR-02", "PC-SHR-03", "PC-SHR-05"),
        ),
        Flaw(
            "no-reason-required",
            "A search without a reason (missing or blank) is accepted.",
            ("PC-PUR-01",),
        ),
        Flaw(
            "no-case-number",
            "A search without a case number, or with a malformed one, is accepted.",
            ("PC-PUR-02",),
        ),
        Flaw(
            "allow-prohibited-purpose",
            "The prohibited-purpose filter is off: 'ICE', 'abortion', 'No Kings rally'... are accepted.",
            ("PC-PUR-03",),
        ),
        Flaw(
            "audit-gaps",
            "Allowed wildcard (partial-plate) searches by home-agency actors are not logged; exact-plate "
            "searches, outside agencies' searches and denied attempts still are.",
            ("PC-AUD-01",),
        ),
        Flaw(
            "audit-redacted",
            "The audit-log export replaces actor_id and actor_name with '[redacted]' on entries of actors "
            "outside the home agency; their agency stays visible.",
            ("PC-AUD-02",),
        ),
        Flaw(
            "retention-ignored",
            "Reads are never purged: reads older than the retention period are still searchable and "
            "fetchable. GET /v1/retention still reports the setting.",
            ("PC-RET-01",),
        ),
        Flaw(
            "no-deletion-on-termination",
            "POST /v1/termination/delete reports the reads as deleted but keeps them: searches still find "
            "them and GET /v1/reads/{id} still returns them.",
            ("PC-RET-05",),
        ),
        Flaw(
            "federal-access",
            "Federal agencies are treated like in-state ones: the home admin can give them an agreement, "
            "and under it their actors search home reads. Without an agreement they are still denied.",
            ("PC-SHR-04",),
        ),
        Flaw(
            "revocation-delayed",
            "A revoked agreement keeps granting access for 24 sandbox-hours after the revocation, although "
            "it is listed as revoked at once.",
            ("PC-SHR-03",),
        ),
        Flaw(
            "out-of-state-access",
            "Out-of-state agencies are treated like in-state ones: the home admin can give them an "
            "agreement, and under it their actors search home reads. Without one they are still denied.",
            ("PC-SHR-05",),
        ),
        Flaw(
            "idor",
            "GET /v1/reads/{id} skips the tenant check: any admin or searcher of any agency fetches any "
            "read by id. Searches are unaffected.",
            ("PC-ACC-04",),
        ),
        Flaw(
            "no-auth",
            "A request without an Authorization header is served as the home agency's bootstrap admin. "
            "Unknown tokens are still rejected.",
            ("PC-AUTH-01",),
        ),
        Flaw(
            "denied-not-logged",
            "Denied attempts (refused searches, refused reads, refused shares, failed authentication) "
            "leave no audit entry; allowed actions are still logged.",
            ("PC-AUD-03",),
        ),
    )
}
"""Every flaw by name, in documentation order."""


class UnknownFlawError(UserError, ValueError):
    """A flaw name the server does not know."""


def parse_flaws(names: Iterable[str]) -> frozenset[str]:
    """Validate flaw names; raises :class:`UnknownFlawError` listing the known ones."""
    chosen = frozenset(names)
    unknown = sorted(chosen - FLAWS.keys())
    if unknown:
        raise UnknownFlawError(f"unknown flaw(s) {', '.join(unknown)}; known flaws: {', '.join(FLAWS)}")
    return chosen
