"""The auditor's analysis as it was computed before DuckDB: plain Python over parsed records.

Kept verbatim (minus file loading) as the independent check of :mod:`harness.audit.analyze`: on a
generated log without the quirks the DuckDB engine handles on top (duplicates, spelling variants,
accounts without home-data access), both must give identical figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.audit.purposes import CATEGORIES, match_prohibited
from harness.audit.records import AGENCY_KINDS, Account, Agreement, AuditInputError, Entry

KINDS: tuple[str, ...] = (*AGENCY_KINDS, "unknown")
"""Agency kinds in report order; ``unknown`` when neither the files nor the rules below say."""


@dataclass
class _Agency:
    id: str
    name: str
    kind: str = ""
    state: str = ""


@dataclass
class Inputs:
    """The parsed inputs of one analysis."""

    accounts: list[Account]
    entries: list[Entry]
    agreements: list[Agreement] | None = None


def percent(part: int, whole: int) -> float | None:
    """``part / whole`` in percent, one decimal; ``None`` when ``whole`` is zero."""
    return round(100.0 * part / whole, 1) if whole else None


def _share(part: int, whole: int) -> dict[str, Any]:
    return {"count": part, "of": whole, "percent": percent(part, whole)}


def _agencies(inputs: Inputs) -> dict[str, _Agency]:
    agencies: dict[str, _Agency] = {}
    records: Iterable[Account | Entry] = [*inputs.accounts, *inputs.entries]
    for rec in records:
        if not rec.agency_id:
            continue  # e.g. a failed login: no agency to attribute
        agency = agencies.setdefault(rec.agency_id, _Agency(rec.agency_id, rec.agency_name))
        agency.name = agency.name or rec.agency_name
        agency.kind = agency.kind or rec.agency_kind
        agency.state = agency.state or getattr(rec, "state", "")
    return agencies


def _find_home(agencies: dict[str, _Agency], home: str) -> _Agency:
    wanted = home.strip().casefold()
    for agency in agencies.values():
        if agency.id.casefold() == wanted or agency.name.casefold() == wanted:
            return agency
    known = ", ".join(sorted(f"{a.name} ({a.id})" if a.name != a.id else a.id for a in agencies.values()))
    raise AuditInputError(f"home agency {home!r} appears in neither the roster nor the log (agencies: {known})")


def _resolve_kinds(agencies: dict[str, _Agency], home: _Agency, covered: set[str] | None) -> None:
    """Fill in every agency's kind: the files' word, else derived (see ``docs/audit-analysis.md``)."""
    for agency in agencies.values():
        if agency is home:
            agency.kind = "home"
        elif agency.kind == "home":
            raise AuditInputError(
                f"agency {agency.name or agency.id!r} is marked agency_kind=home but --home names "
                f"{home.name or home.id!r}"
            )
        elif not agency.kind:
            if agency.state and home.state and agency.state != home.state:
                agency.kind = "out_of_state"
            elif covered is not None:
                agency.kind = "partner" if agency.id in covered else "instate"
            else:
                agency.kind = "unknown"


def _by_kind(counter: Counter[str], whole: int) -> dict[str, dict[str, Any]]:
    return {kind: _share(counter[kind], whole) for kind in KINDS if counter[kind]}


def analyze(inputs: Inputs, home: str) -> dict[str, Any]:
    """The analysis as a JSON-ready dict (see ``docs/audit-analysis.md`` for every field)."""
    agencies = _agencies(inputs)
    home_agency = _find_home(agencies, home)
    covered = None
    if inputs.agreements is not None:
        covered = set()
        for agreement in inputs.agreements:
            if agreement.active:
                covered.update({agreement.agency_id, agreement.agency_name} - {""})
    _resolve_kinds(agencies, home_agency, covered)

    def kind_of(rec: Account | Entry) -> str:
        return agencies[rec.agency_id].kind

    active = [a for a in inputs.accounts if a.active]
    account_kinds = Counter(kind_of(a) for a in active)
    outside_accounts = len(active) - account_kinds["home"]

    searches = [e for e in inputs.entries if e.action == "search"]
    search_kinds = Counter(kind_of(e) for e in searches)
    allowed = [e for e in searches if e.outcome == "allowed"]
    allowed_kinds = Counter(kind_of(e) for e in allowed)
    denied_kinds = Counter(kind_of(e) for e in searches if e.outcome == "denied")

    return {
        "home": {"agency_id": home_agency.id, "agency_name": home_agency.name, "state": home_agency.state},
        "accounts": {
            "active": len(active),
            "inactive": len(inputs.accounts) - len(active),
            "outside_home": _share(outside_accounts, len(active)),
            "by_kind": _by_kind(account_kinds, len(active)),
        },
        "searches": {
            "total": len(searches),
            "outside_home": _share(len(searches) - search_kinds["home"], len(searches)),
            "by_kind": _by_kind(search_kinds, len(searches)),
            "allowed": _share(len(allowed), len(searches)),
            "denied": _share(len(searches) - len(allowed), len(searches)),
            "allowed_outside_home": _share(len(allowed) - allowed_kinds["home"], len(allowed)),
            "outcome_by_kind": {
                kind: {"allowed": allowed_kinds[kind], "denied": denied_kinds[kind]}
                for kind in KINDS
                if search_kinds[kind]
            },
        },
        "actions": dict(sorted(Counter(e.action for e in inputs.entries).items())),
        "agencies_without_agreement": _without_agreement(inputs, agencies, covered),
        "missing_reason": _missing(searches, lambda e: not e.reason, kind_of),
        "missing_case_number": _missing(searches, lambda e: not e.case_number, kind_of),
        "prohibited_purpose": _prohibited(searches, agencies),
        "out_of_state_searches": _kind_searches(searches, agencies, "out_of_state"),
        "federal_searches": _kind_searches(searches, agencies, "federal"),
    }


def _without_agreement(
    inputs: Inputs, agencies: dict[str, _Agency], covered: set[str] | None
) -> dict[str, Any]:
    if covered is None:
        return {"checked": False, "note": "no --agreements file given", "agencies": []}
    accounts = Counter(a.agency_id for a in inputs.accounts if a.active)
    searches = Counter(e.agency_id for e in inputs.entries if e.action == "search")
    allowed = Counter(e.agency_id for e in inputs.entries if e.action == "search" and e.outcome == "allowed")
    rows = [
        {
            "agency_id": agency.id,
            "agency_name": agency.name,
            "agency_kind": agency.kind,
            "accounts": accounts[agency.id],
            "searches": searches[agency.id],
            "allowed_searches": allowed[agency.id],
        }
        for agency in sorted(agencies.values(), key=lambda a: (KINDS.index(a.kind), a.name, a.id))
        if agency.kind != "home"
        and agency.id not in covered
        and agency.name not in covered
        and (accounts[agency.id] or searches[agency.id])
    ]
    return {"checked": True, "agencies": rows}


def _missing(searches: Sequence[Entry], lacks: Any, kind_of: Any) -> dict[str, Any]:
    hits = [e for e in searches if lacks(e)]
    return {
        **_share(len(hits), len(searches)),
        "allowed": sum(e.outcome == "allowed" for e in hits),
        "by_kind": dict(Counter(kind_of(e) for e in hits)),
        "entry_ids": [e.id for e in hits if e.id],
    }


def _prohibited(searches: Sequence[Entry], agencies: dict[str, _Agency]) -> dict[str, Any]:
    hits = []
    for e in searches:
        for field_name in ("reason", "offense_type", "case_number"):
            match = match_prohibited(getattr(e, field_name))
            if match:
                hits.append(
                    {
                        "entry_id": e.id,
                        "at": e.at,
                        "actor_name": e.actor_name,
                        "agency_name": agencies[e.agency_id].name,
                        "agency_kind": agencies[e.agency_id].kind,
                        "category": match.category,
                        "field": field_name,
                        "matched": match.term,
                        "fuzzy": match.fuzzy,
                        "outcome": e.outcome,
                    }
                )
                break
    by_category = Counter(h["category"] for h in hits)
    return {
        **_share(len(hits), len(searches)),
        "allowed": sum(h["outcome"] == "allowed" for h in hits),
        "by_category": {cat: by_category[cat] for cat in CATEGORIES},
        "searches": hits,
    }


def _kind_searches(searches: Sequence[Entry], agencies: dict[str, _Agency], kind: str) -> dict[str, Any]:
    hits = [e for e in searches if agencies[e.agency_id].kind == kind]
    per_agency: dict[str, Counter[str]] = {}
    for e in hits:
        per_agency.setdefault(e.agency_id, Counter())[e.outcome] += 1
    return {
        **_share(len(hits), len(searches)),
        "allowed": sum(e.outcome == "allowed" for e in hits),
        "denied": sum(e.outcome == "denied" for e in hits),
        "agencies": [
            {"agency_id": aid, "agency_name": agencies[aid].name, "allowed": c["allowed"], "denied": c["denied"]}
            for aid, c in sorted(per_agency.items(), key=lambda kv: agencies[kv[0]].name)
        ],
    }
