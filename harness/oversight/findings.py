"""Trends and breaches of one period: each rule compares a figure with the contract's threshold.

A *breach* is a finding whose figure exceeds its threshold; a *change* (``breach`` false) records
what moved since the previous period without judging it (new accounts and agencies, controls whose
result changed, a threshold the contract leaves unset). Every finding carries its evidence: the
exports' sha256 and row counts, the rows behind the figure (entry or actor ids, never plate text),
and for a privacy control the evidence file of its request/response transcript.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_EVIDENCE_ROWS = 200
"""Longest list of rows kept in one finding's evidence (the history holds them all)."""
UNTESTED = ("INCONCLUSIVE", "NOT_APPLICABLE", "ATTESTED")
"""Control results that are not a test outcome: untested is not failed."""

RULES: dict[str, str] = {
    "OV-SHARE-ACCOUNTS": "Accounts that can reach home data held outside the contracting agency",
    "OV-SHARE-SEARCHES": "Searches run by agencies outside the contracting agency",
    "OV-SHARE-RISE": "Rise of an outside-access share since the previous period",
    "OV-PURPOSE": "Searches whose reason names a prohibited purpose",
    "OV-REASON": "Searches without a reason",
    "OV-CASE": "Searches without a case number",
    "OV-ADMIN": "Administrative actions by outside agencies (accounts, agencies, agreements created or changed)",
    "OV-AGENCIES": "Outside agencies new on the roster since the previous period",
    "OV-ROSTER": "Actors in the audit log who are not on the access roster",
    "OV-ACCESS": "Allowed searches by accounts the roster says cannot reach home data",
    "OV-LOG-GAP": "Consecutive days of the period without any audit-log entry",
    "OV-LOG-TIME": "Audit-log entries timestamped outside the period or not parseable",
    "OV-PRIVACY": "Privacy controls that passed in the baseline scorecard and fail now",
    "OV-ACCURACY": "Exact plate reads of the period's accuracy re-run below the baseline scorecard's",
    "OV-CHANGE-ACCOUNTS": "Accounts added to or removed from the roster since the previous period",
    "OV-CHANGE-CONTROLS": "Privacy controls whose result differs from the baseline scorecard",
}
"""Rule id -> title, in report order."""


@dataclass
class PeriodFacts:
    """What the rules look at for one period."""

    analysis: dict[str, Any]
    exports: list[dict[str, Any]]
    coverage: dict[str, Any]
    accounts: set[str]
    outside_agencies: dict[str, str]
    """Outside agency id -> name, on this period's roster."""
    controls: list[dict[str, Any]] = field(default_factory=list)
    privacy_tested: bool = False
    accuracy: dict[str, Any] | None = None
    """The accuracy re-run (``run_id``, ``scorecard_sha256``, ``exact``), if the period made one."""


@dataclass
class Previous:
    """What the previous period held (``None`` members: no previous period)."""

    analysis: dict[str, Any] | None = None
    accounts: set[str] | None = None
    outside_agencies: dict[str, str] | None = None


def _finding(rule: str, breach: bool, detail: str, evidence: dict[str, Any], observed: float | None = None,
             threshold: float | None = None) -> dict[str, Any]:
    return {"rule": rule, "breach": breach, "title": RULES[rule], "observed": observed, "threshold": threshold,
            "detail": detail, "evidence": evidence}


def _rows(items: Sequence[Any]) -> dict[str, Any]:
    return {"count": len(items), "rows": list(items[:MAX_EVIDENCE_ROWS]), "truncated": len(items) > MAX_EVIDENCE_ROWS}


def _over(value: float | None, limit: float | None) -> bool:
    return value is not None and limit is not None and value > limit


class _Rules:
    def __init__(self, facts: PeriodFacts, previous: Previous, thresholds: Mapping[str, Any]) -> None:
        self.facts, self.previous, self.limits = facts, previous, thresholds
        self.exports = [{k: e[k] for k in ("kind", "sha256", "rows")} for e in facts.exports]
        self.found: list[dict[str, Any]] = []

    def add(self, rule: str, observed: float | None, limit_key: str, detail: str, rows: Sequence[Any] = (),
            **extra: Any) -> None:
        limit = self.limits.get(limit_key)
        if _over(observed, limit):
            self.found.append(_finding(rule, True, detail, {"exports": self.exports, **_rows(rows), **extra},
                                       observed, limit))

    def change(self, rule: str, detail: str, rows: Sequence[Any], **extra: Any) -> None:
        self.found.append(_finding(rule, False, detail, {"exports": self.exports, **_rows(rows), **extra}))


def _share_text(share: Mapping[str, Any]) -> str:
    return f"{share['percent']}% ({share['count']} of {share['of']})"


def evaluate(facts: PeriodFacts, previous: Previous, thresholds: Mapping[str, Any],
             baseline: Mapping[str, str] | None, baseline_accuracy: Mapping[str, Any] | None = None,
             ) -> list[dict[str, Any]]:
    """Every finding of the period, breaches and changes, in :data:`RULES` order (``baseline``: the baseline
    scorecard's control results; ``baseline_accuracy``: its exact-read estimate)."""
    r = _Rules(facts, previous, thresholds)
    a = facts.analysis
    for rule, section, key in (("OV-SHARE-ACCOUNTS", "accounts", "outside_account_share_max"),
                               ("OV-SHARE-SEARCHES", "searches", "outside_search_share_max")):
        share = a[section]["outside_home"]
        by_kind = {k: v for k, v in a[section]["by_kind"].items() if k != "home"}
        r.add(rule, share["percent"], key, f"{_share_text(share)} outside the contracting agency",
              by_kind=by_kind)
    if previous.analysis is not None:
        for section, noun in (("accounts", "accounts"), ("searches", "searches")):
            now, before = a[section]["outside_home"]["percent"], previous.analysis[section]["outside_home"]["percent"]
            if now is not None and before is not None:
                r.add("OV-SHARE-RISE", round(now - before, 1), "outside_share_rise_max",
                      f"outside share of {noun} rose from {before}% to {now}%")
    pp = a["prohibited_purpose"]
    r.add("OV-PURPOSE", pp["count"], "prohibited_purpose_max",
          f"{pp['count']} search(es) name a prohibited purpose ({pp['allowed']} allowed); by category "
          + ", ".join(f"{k} {v}" for k, v in pp["by_category"].items()),
          [{k: h[k] for k in ("entry_id", "at", "agency_name", "agency_kind", "category", "matched", "outcome")}
           for h in pp["searches"]])
    for rule, key, limit, noun in (("OV-REASON", "missing_reason", "missing_reason_share_max", "reason"),
                                   ("OV-CASE", "missing_case_number", "missing_case_number_share_max", "case number")):
        item = a[key]
        r.add(rule, item["percent"], limit, f"{_share_text(item)} of searches have no {noun} ({item['allowed']} allowed)",
              item["entry_ids"])
    admin = a["outside_administration"]
    allowed_admin = [e for e in admin["entries"] if e["outcome"] == "allowed"]
    r.add("OV-ADMIN", admin["allowed"], "outside_administration_max",
          f"{admin['allowed']} administrative action(s) by outside agencies were allowed: "
          + (", ".join(f"{k} {v}" for k, v in admin["allowed_by_action"].items()) or "none"),
          allowed_admin)
    if previous.outside_agencies is not None:
        new = sorted(set(facts.outside_agencies) - set(previous.outside_agencies))
        names = [facts.outside_agencies[n] for n in new]
        if new:
            limit = thresholds.get("new_outside_agencies_max")
            detail = f"{len(new)} outside agenc{'y' if len(new) == 1 else 'ies'} new on the roster: {', '.join(names)}"
            if limit is None:
                r.change("OV-AGENCIES", detail, new)
            else:
                r.add("OV-AGENCIES", len(new), "new_outside_agencies_max", detail, new)
    recon = a["roster_reconciliation"]
    unlisted = recon["not_on_roster"]["actors"]
    r.add("OV-ROSTER", len(unlisted), "unlisted_actors_max",
          f"{len(unlisted)} actor(s) in the log are not on the roster", unlisted)
    without = recon["allowed_searches_without_access"]
    r.add("OV-ACCESS", sum(w["allowed_searches"] for w in without), "allowed_searches_without_access_max",
          f"{len(without)} account(s) without home-data access had searches allowed", without)
    cov = facts.coverage
    r.add("OV-LOG-GAP", cov["longest_silent_run"], "silent_days_max",
          f"longest run of days without any log entry: {cov['longest_silent_run']} (silent days: "
          f"{', '.join(cov['silent_days'][:31]) or 'none'})", cov["silent_days"])
    r.add("OV-LOG-TIME", cov["outside_period"] + cov["unparseable"], "entries_outside_period_max",
          f"{cov['outside_period']} entries timestamped outside the period, {cov['unparseable']} not parseable",
          cov["examples"])
    if previous.accounts is not None:
        added, removed = sorted(facts.accounts - previous.accounts), sorted(previous.accounts - facts.accounts)
        if added or removed:
            r.change("OV-CHANGE-ACCOUNTS", f"{len(added)} account(s) added, {len(removed)} removed",
                     [{"actor_id": x, "change": "added"} for x in added] +
                     [{"actor_id": x, "change": "removed"} for x in removed])
    if facts.privacy_tested and baseline is not None:
        _privacy(r, facts.controls, baseline)
    if facts.accuracy is not None and baseline_accuracy is not None:
        _accuracy(r, facts.accuracy, baseline_accuracy)
    order = list(RULES)
    return sorted(r.found, key=lambda f: order.index(f["rule"]))


def _privacy(r: _Rules, controls: Sequence[Mapping[str, Any]], baseline: Mapping[str, str]) -> None:
    regressions = [c for c in controls if baseline.get(c["id"]) == "PASS" and c["result"] == "FAIL"]
    r.add("OV-PRIVACY", len(regressions), "privacy_regressions_max",
          f"{len(regressions)} control(s) passed in the baseline scorecard and fail now: "
          + ", ".join(c["id"] for c in regressions),
          [{"control": c["id"], "baseline": "PASS", "now": "FAIL", "message": c["message"]} for c in regressions],
          transcripts=[{"control": c["id"], "file": c.get("evidence_file"), "sha256": c.get("evidence_sha256")}
                       for c in regressions])
    changed = [c for c in controls if baseline.get(c["id"]) not in (None, c["result"])]
    if changed:
        r.change("OV-CHANGE-CONTROLS",
                 f"{len(changed)} control(s) differ from the baseline scorecard"
                 + (f" ({sum(c['result'] in UNTESTED for c in changed)} untested this period: not failed)"
                    if any(c["result"] in UNTESTED for c in changed) else ""),
                 [{"control": c["id"], "baseline": baseline[c["id"]], "now": c["result"]} for c in changed],
                 transcripts=[{"control": c["id"], "file": c.get("evidence_file"), "sha256": c.get("evidence_sha256")}
                              for c in changed])


def _accuracy(r: _Rules, rerun: Mapping[str, Any], baseline: Mapping[str, Any]) -> None:
    """A drop is a breach only when larger than the contract allows *and* significant: the re-run's whole 95%
    interval lies below the baseline figure (a small corpus cannot convict a vendor of a drop it may not have)."""
    now, before = rerun["exact"], baseline
    drop = round(100 * (before["value"] - now["value"]), 1)
    significant = now.get("ci_high") is not None and now["ci_high"] < before["value"]
    detail = (f"exact plate reads {100 * now['value']:.1f}% (95% CI {100 * now['ci_low']:.1f}% to "
              f"{100 * now['ci_high']:.1f}%, n={now['n']}) against {100 * before['value']:.1f}% in the baseline "
              f"scorecard: {drop:+.1f} pp below" + ("" if significant else ", within the re-run's interval"))
    evidence = {"run_id": rerun["run_id"], "scorecard_sha256": rerun["scorecard_sha256"], "now": dict(now),
                "baseline": dict(before)}
    limit = r.limits.get("exact_read_drop_max")
    if limit is not None and significant and drop > limit:
        r.found.append(_finding("OV-ACCURACY", True, detail, {"exports": r.exports, **evidence}, drop, limit))
    elif drop != 0:
        r.change("OV-ACCURACY", detail, [], **evidence)
