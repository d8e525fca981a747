"""The deliberate flaws of the reference vendor server: one privacy violation each.

A flaw exists so the conformance suite can be shown to fail when it should: started with
``--flaw NAME``, the server breaks exactly the controls listed here, and nothing else. The
controls are those of the platebench catalogue; ``PC-AUTH-01`` is the authentication check
(missing or foreign token rejected), which the catalogue has no id for, and ``API-CONF-01`` the
suite's conformance check (every exchange matches the published API).
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
            "of state, the vendor's own support agency included, is answered from every agency's reads. "
            "Wildcard searches are still denied.",
            ("PC-SHR-01", "PC-SHR-02", "PC-SHR-03", "PC-SHR-05", "PC-ACC-02"),
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
        Flaw(
            "test-aware",
            "The sharing rule is enforced only on requests that look like a test: a plate longer than 8 "
            "characters, or a reason or case number naming a test, canary, probe, harness or sandbox. An "
            "in-state agency's searcher sending realistic traffic without an agreement gets home reads.",
            ("PC-SHR-01", "PC-SHR-02", "PC-SHR-03"),
        ),
        Flaw(
            "purpose-whole-field-only",
            "The prohibited-purpose filter judges only short fields (one or two words): 'ICE' is refused, "
            "'assist ICE with a detainer pickup' is accepted.",
            ("PC-PUR-03",),
        ),
        Flaw(
            "purpose-keywords-only",
            "The prohibited-purpose filter is a fixed list of English keywords (ice, immigration, "
            "deportation, abortion, protest...) matched as whole words: dotted abbreviations, agency names, "
            "synonyms, other languages and misspellings pass.",
            ("PC-PUR-03",),
        ),
        Flaw(
            "placeholder-case-numbers",
            "Case-number placeholders ('N/A', 'TBD', 'none', '0000', '000-000') are accepted as case "
            "numbers; a missing or otherwise malformed case number is still refused.",
            ("PC-PUR-02",),
        ),
        Flaw(
            "purpose-home-only",
            "The purpose rules (prohibited purpose, reason, offense type, case number) are applied to the "
            "home agency's searchers only: an outside agency's searcher under an agreement searches for any "
            "purpose, or none.",
            ("PC-PUR-01", "PC-PUR-02", "PC-PUR-03"),
        ),
        Flaw(
            "outside-admin-provisions",
            "An outside agency's admin may create actors in its own agency (POST /v1/sandbox/actors).",
            ("PC-ACC-02",),
        ),
        Flaw(
            "outside-admin-reads-audit",
            "An outside agency's admin may read the whole audit log (GET /v1/audit-log).",
            ("PC-ACC-02",),
        ),
        Flaw(
            "outside-admin-terminates",
            "An outside agency's admin may run the termination export (every home read and the audit log).",
            ("PC-ACC-02",),
        ),
        Flaw(
            "revocation-ignored-wildcard",
            "A revoked agreement still grants wildcard (partial-plate) searches; full-plate searches and "
            "fetches by id are refused at once.",
            ("PC-SHR-03",),
        ),
        Flaw(
            "revocation-ignored-fetch",
            "A revoked agreement still grants GET /v1/reads/{id} of home reads; searches are refused at once.",
            ("PC-SHR-03",),
        ),
        Flaw(
            "revocation-ignored-alerts",
            "A revoked agreement still lets the agency's hotlists alert on home reads and list those alerts.",
            ("PC-SHR-08",),
        ),
        Flaw(
            "expiry-ignored",
            "An agreement's expires_at is listed (status 'expired') but not enforced: the agency keeps "
            "searching and fetching home reads after it.",
            ("PC-SHR-03",),
        ),
        Flaw(
            "deactivated-token-works",
            "A deactivated actor's token still authenticates (the roster shows it inactive).",
            ("PC-AUTH-01",),
        ),
        Flaw(
            "access-frozen-at-creation",
            "An account created while its agency had an active agreement keeps home access after the "
            "agreement is revoked or expires; accounts created before it follow it correctly.",
            ("PC-SHR-03",),
        ),
        Flaw(
            "extra-personal-data",
            "Reads in search results and fetches carry registered_owner, owner_address and image_url members "
            "the API does not define (which also breaks the published response schema).",
            ("PC-MIN-01", "API-CONF-01"),
        ),
        Flaw(
            "alert-extensions",
            "Alerts carry the plate, the registered owner and a snapshot URL as x- extension members (which the "
            "published Alert schema admits in general, so the answers still conform).",
            ("PC-MIN-01",),
        ),
        Flaw(
            "leaky-refusals",
            "A sharing refusal (403 no_agreement / out_of_state_denied / federal_denied) says how many reads "
            "matched and the camera that last saw the plate.",
            ("PC-MIN-02",),
        ),
        Flaw(
            "renewal-teaser",
            "A search refused because the agency's agreement was revoked or has expired says how many reads "
            "matched, inviting renewal; refusals of agencies that never had an agreement disclose nothing.",
            ("PC-MIN-02",),
        ),
        Flaw(
            "hotlist-overshare",
            "An agency that accepted a hotlist gets alerts on home reads whether or not it holds an agreement.",
            ("PC-SHR-08",),
        ),
        Flaw(
            "audit-missing-fetch",
            "Allowed fetches by id (GET /v1/reads/{id}) are not logged; searches and denials still are.",
            ("PC-AUD-01",),
        ),
        Flaw(
            "audit-page-drop",
            "The paginated audit log (limit/cursor) skips the first entry of every page after the first; the "
            "unpaginated log is complete.",
            ("PC-AUD-06",),
        ),
        Flaw(
            "audit-misattributed",
            "Actions of outside agencies' actors are logged under the home bootstrap admin's identity (so the "
            "share of searches by outside agencies computed from the log is wrong too).",
            ("PC-AUD-02", "PC-SHR-07"),
        ),
        Flaw(
            "audit-time-skew",
            "Audit timestamps are Denver local time (UTC-7) labelled as UTC.",
            ("PC-AUD-07",),
        ),
        Flaw(
            "audit-time-no-zone",
            "Audit timestamps carry no UTC designator or offset ('2026-03-01T14:05:00'), which also breaks "
            "the published date-time format.",
            ("PC-AUD-07", "API-CONF-01"),
        ),
        Flaw(
            "audit-editable",
            "PATCH and DELETE on /v1/audit-log/{id} by the home admin change or remove the entry, and are not "
            "logged; other roles are still refused. The 200 answer is itself undocumented.",
            ("PC-AUD-05", "API-CONF-01"),
        ),
        Flaw(
            "audit-purged-on-termination",
            "POST /v1/termination/delete also deletes the audit log.",
            ("PC-RET-06",),
        ),
        Flaw(
            "termination-export-incomplete",
            "The termination export holds only the reads of the last 7 days (count consistent with it).",
            ("PC-RET-05",),
        ),
        Flaw(
            "roster-missing-deactivated",
            "The access roster omits deactivated accounts, although their actions stay in the audit log.",
            ("PC-ACC-05",),
        ),
        Flaw(
            "retention-ignored-wildcard",
            "Reads past retention are not deleted and wildcard searches still find them; full-plate searches, "
            "fetches and the export apply retention.",
            ("PC-RET-01",),
        ),
        Flaw(
            "retention-ignored-export",
            "Reads past retention are not deleted and the termination export still holds them; searches and "
            "fetches apply retention.",
            ("PC-RET-01",),
        ),
        Flaw(
            "retention-ignored-alerts",
            "Reads past retention are not deleted and GET /v1/alerts still lists the alerts raised on them (the "
            "alert store is never purged); searches, fetches and the export apply retention.",
            ("PC-RET-01",),
        ),
        Flaw(
            "vendor-support-access",
            "The vendor's support agency searches and fetches home reads without an agreement.",
            ("PC-ACC-02",),
        ),
    )
}
"""Every privacy flaw by name, in documentation order."""

RECOGNITION_FLAWS: dict[str, Flaw] = {
    flaw.name: flaw
    for flaw in (
        Flaw(
            "memorize-public",
            "POST /v1/recognize answers an image of the published copy (``--published``: its exact bytes) with the "
            "published labels, after reading it as usual so the answer takes an honest reader's time (no timing "
            "probe can tell); any other image is read honestly.",
            ("PR-MEM-02",),
        ),
        Flaw(
            "cache-by-hash",
            "POST /v1/recognize answers bytes it has seen before from a cache, at once; new bytes are read honestly.",
            ("PR-CACHE-01", "PR-CACHE-02"),
        ),
    )
}
"""Flaws of the recognition endpoint, by name: what the memorisation and caching probes catch (the probes of
``docs/robustness.md``; drive the server with the ``evalapi`` adapter to see them)."""


class UnknownFlawError(UserError, ValueError):
    """A flaw name the server does not know."""


def parse_flaws(names: Iterable[str]) -> frozenset[str]:
    """Validate flaw names; raises :class:`UnknownFlawError` listing the known ones."""
    chosen = frozenset(names)
    unknown = sorted(chosen - FLAWS.keys() - RECOGNITION_FLAWS.keys())
    if unknown:
        raise UnknownFlawError(
            f"unknown flaw(s) {', '.join(unknown)}; known flaws: {', '.join([*FLAWS, *RECOGNITION_FLAWS])}")
    return chosen
