"""The "At the roadside" section of a scorecard, rendered (Markdown; the HTML report renders the same
rows). Input is ``results.roadside`` (:func:`harness.bench.section.roadside_section`): figures and
counts only, so nothing here can carry plate text; every string is still escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROADSIDE_HEADING = "## At the roadside"
ROUTE_COLUMNS = (
    ("capture_rate", "Capture rate"),
    ("exact_read_rate", "Exact read per pass"),
    ("duplicates_per_pass", "Duplicates per pass"),
    ("phantoms_per_hour", "Phantoms per hour"),
    ("latency_p50_s", "Latency p50 (s)"),
    ("latency_p95_s", "Latency p95 (s)"),
    ("latency_p99_s", "Latency p99 (s)"),
    ("clock_offset_s", "Clock offset (s)"),
    ("clock_spread_s", "Clock spread, IQR (s)"),
)


def route_rows(section: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, Mapping[str, Any] | None]]]]:
    """(camera / route label, [(figure title, estimate)]) per route: what every renderer shows."""
    rows = []
    for route in section.get("routes", []):
        label = f"{route['camera']} ({route['vendor']}, {route['route']})"
        rows.append((label, [(title, route["figures"].get(key)) for key, title in ROUTE_COLUMNS]))
    return rows


def roadside_markdown(roadside: Mapping[str, Any] | None) -> str | None:
    """The section in Markdown, or ``None`` when no bench was run."""
    from harness.scorecard.markdown import escape, estimate, number, table

    if not roadside:
        return None
    summary = (
        f"Camera bench {escape(roadside['plan_name'])} (plan sha256 `{roadside['plan_sha256']}`): "
        f"{roadside['passes_shown']} of {roadside['passes_planned']} passes shown over "
        f"{number(roadside['bench_hours'] * 60)} min; an event counts for a pass when it arrives between "
        f"{number(roadside['window_s'][0])} s before and {number(roadside['window_s'][1])} s after its paint time and "
        f"its text is at least {number(100 * roadside['min_text_similarity'])}% similar to the plate."
    )
    parts = [ROADSIDE_HEADING, summary]
    for label, figures in route_rows(roadside):
        rows = [[escape(title), *estimate(est)] for title, est in figures]
        parts.append(f"### {escape(label)}\n\n" + table(["Figure", "Value", "95% CI", "n"], rows))
    ntp = [f"{escape(r['camera'])}: {r['ntp_check'] or 'not measured'}" for r in roadside.get("routes", [])]
    if ntp:
        parts.append(f"Clock check (|offset| <= {number(roadside['ntp_tolerance_s'])} s): " + "; ".join(ntp) + ".")
    rejected = roadside.get("rejected") or {}
    pushes = roadside.get("pushes") or {}
    if pushes:
        rows = [[escape(route), *(str(counts.get(s, 0)) for s in ("accepted", "ignored", "rejected", "unauthorized"))]
                for route, counts in sorted(pushes.items())]
        parts.append("Pushes received:\n\n" + table(["Route", "Accepted", "Ignored", "Rejected", "Unauthorized"], rows))
    if rejected:
        rows = [[escape(route), escape(reason), str(n)] for route, reasons in sorted(rejected.items())
                for reason, n in sorted(reasons.items())]
        parts.append("Rejected pushes by reason:\n\n" + table(["Route", "Reason", "Count"], rows))
    devices = roadside.get("devices") or {}
    if devices:
        rows = [[escape(cid), escape(d["vendor"]), escape(d.get("format") or d["delivery"]),
                 escape(", ".join(f"{k}: {v}" for k, v in d["reported"].items()) or "none reported"),
                 escape(d["on_device_image_retention"]), escape(d["on_device_encryption"])]
                for cid, d in sorted(devices.items())]
        parts.append("Devices (facts as the cameras' own payloads report them; retention and encryption are the "
                     "vendor's word):\n\n" + table(["Camera", "Vendor", "Route", "Reported", "Image retention",
                                                    "Encryption"], rows))
    return "\n\n".join(parts)
