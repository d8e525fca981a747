"""Markdown rendering of the auditor's analysis (the dict from :func:`harness.audit.analyze.analyze`)."""

from __future__ import annotations

from typing import Any

KIND_LABELS = {
    "home": "contracting agency",
    "partner": "in-state, agreement",
    "instate": "in-state, no agreement",
    "out_of_state": "out-of-state",
    "federal": "federal",
    "vendor_support": "vendor support",
    "unknown": "unknown kind",
}
MAX_LISTED = 25
"""Longest list of entries printed in Markdown; the JSON output always has them all."""


def _pct(share: dict[str, Any]) -> str:
    value = share["percent"]
    shown = "n/a" if value is None else f"{value:.1f}%"
    return f"{shown} ({share['count']} of {share['of']})"


def _kind_table(by_kind: dict[str, dict[str, Any]], noun: str) -> list[str]:
    lines = [f"| agency kind | {noun} | share |", "| --- | ---: | ---: |"]
    for kind, share in by_kind.items():
        pct = "n/a" if share["percent"] is None else f"{share['percent']:.1f}%"
        lines.append(f"| {KIND_LABELS.get(kind, kind)} | {share['count']} | {pct} |")
    return lines


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    """The analysis as a Markdown document an auditor can attach to a letter."""
    home = report["home"]
    acc, srch = report["accounts"], report["searches"]
    out = [
        f"# Access and audit-log analysis: {home['agency_name'] or home['agency_id']}",
        "",
        f"platebench {report['platebench_version']}; inputs (sha256):",
        "",
    ]
    out += [f"- {name}: `{src['path']}` ({src['format']}, {src['rows']} rows) `{src['sha256']}`"
            for name, src in report["inputs"].items()]
    out += [
        "",
        "## Who can reach the data, and who searched it",
        "",
        f"- **Active accounts outside the contracting agency: {_pct(acc['outside_home'])}**"
        + (f" ({acc['inactive']} inactive accounts not counted)" if acc["inactive"] else ""),
        f"- **Searches from outside the contracting agency: {_pct(srch['outside_home'])}**",
        f"- Allowed searches from outside: {_pct(srch['allowed_outside_home'])}",
        f"- Searches allowed: {_pct(srch['allowed'])}; denied: {_pct(srch['denied'])}",
        "",
        "Accounts by agency kind:",
        "",
        *_kind_table(acc["by_kind"], "active accounts"),
        "",
        "Searches by agency kind:",
        "",
        "| agency kind | searches | share | allowed | denied |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, share in srch["by_kind"].items():
        outcome = srch["outcome_by_kind"][kind]
        pct = "n/a" if share["percent"] is None else f"{share['percent']:.1f}%"
        out.append(f"| {KIND_LABELS.get(kind, kind)} | {share['count']} | {pct} | "
                   f"{outcome['allowed']} | {outcome['denied']} |")

    out += ["", "## Agencies with access or searches but no sharing agreement", ""]
    wa = report["agencies_without_agreement"]
    if not wa["checked"]:
        out.append(f"Not checked: {wa['note']}.")
    elif not wa["agencies"]:
        out.append("None.")
    else:
        out += ["| agency | kind | accounts | searches | allowed |", "| --- | --- | ---: | ---: | ---: |"]
        out += [f"| {_cell(a['agency_name'] or a['agency_id'])} | {KIND_LABELS.get(a['agency_kind'])} | "
                f"{a['accounts']} | {a['searches']} | {a['allowed_searches']} |" for a in wa["agencies"]]

    out += ["", "## Searches without a reason or case number", ""]
    for key, label in (("missing_reason", "without a reason"), ("missing_case_number", "without a case number")):
        item = report[key]
        out.append(f"- Searches {label}: {_pct(item)}, of which allowed: {item['allowed']}")

    pp = report["prohibited_purpose"]
    out += [
        "",
        "## Searches whose reason names a prohibited purpose",
        "",
        f"{_pct(pp)} of searches; allowed: {pp['allowed']}. By category: "
        + ", ".join(f"{cat.replace('_', ' ')} {n}" for cat, n in pp["by_category"].items())
        + ". Keyword matches are leads for review, not findings.",
    ]
    if pp["searches"]:
        out += ["", "| entry | time | account | agency | category | matched | outcome |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        out += [f"| {_cell(h['entry_id'])} | {_cell(h['at'])} | {_cell(h['actor_name'])} | "
                f"{_cell(h['agency_name'])} | {h['category']} | {_cell(h['matched'])}"
                f"{' (fuzzy)' if h['fuzzy'] else ''} | {h['outcome']} |" for h in pp["searches"][:MAX_LISTED]]
        if len(pp["searches"]) > MAX_LISTED:
            out.append(f"\n{len(pp['searches']) - MAX_LISTED} more in the JSON report.")

    out += ["", "## Out-of-state and federal searches", ""]
    for key, label in (("out_of_state_searches", "Out-of-state"), ("federal_searches", "Federal")):
        item = report[key]
        out.append(f"- {label}: {_pct(item)} of searches; allowed {item['allowed']}, denied {item['denied']}")
        out += [f"  - {a['agency_name'] or a['agency_id']}: allowed {a['allowed']}, denied {a['denied']}"
                for a in item["agencies"]]
    actions = ", ".join(f"{name} {n}" for name, n in report["actions"].items()) or "none"
    out += ["", f"Log entries by action: {actions}.", ""]
    return "\n".join(out)
