"""Roadside figures from a bench journal: per camera and route, with n and 95% intervals, by tag.

- ``capture_rate``: passes with an event / passes shown (Wilson);
- ``exact_read_rate``: passes whose event reads the plate exactly / passes shown (Wilson);
- ``duplicates_per_pass``: extra events per shown pass (mean, bootstrap); ``duplicates`` the count;
- ``phantoms_per_hour``: events matching no pass, per hour of bench (exact Poisson interval);
- ``latency_p50/p95/p99_s``: arrival minus paint time (nearest rank, bootstrap);
- ``clock_offset_s``: median of the camera's event time minus paint time (bootstrap), and
  ``clock_spread_s`` its interquartile range; the NTP check passes when |offset| <= tolerance.

No figure carries plate text; the section names passes only by count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _scipy_stats

from harness.bench.journal import BenchRecords
from harness.bench.matching import Matching, PassResult, match
from harness.bench.plan import Pass
from harness.metrics.latency import PERCENTILE_METHOD
from harness.metrics.stats import CONFIDENCE, Estimate, bootstrap, bootstrap_percentile, count, wilson

NTP_TOLERANCE_S = 1.0
"""A camera whose clock is off by more than this fails the NTP check."""
SPEED_BANDS = ((0, 30, "speed<30"), (30, 60, "speed30-60"), (60, 1e9, "speed>=60"))


def _iqr(values: np.ndarray) -> float:
    q75, q25 = np.percentile(values, [75, 25])
    return float(q75 - q25)


def poisson_rate_per_hour(events: int, hours: float) -> Estimate:
    """Events per hour with the exact (Garwood) Poisson interval."""
    if hours <= 0:
        return Estimate(None, events, None, None, "per hour", False, "poisson-exact")
    alpha = 1 - CONFIDENCE
    low = 0.0 if events == 0 else _scipy_stats.chi2.ppf(alpha / 2, 2 * events) / 2
    high = _scipy_stats.chi2.ppf(1 - alpha / 2, 2 * events + 2) / 2
    return Estimate(events / hours, events, float(low / hours), float(high / hours), "per hour", False, "poisson-exact")


def pass_figures(results: Sequence[PassResult]) -> dict[str, Estimate]:
    """Capture and exact-read rates over a set of passes."""
    n = len(results)
    return {
        "capture_rate": wilson(sum(r.captured for r in results), n),
        "exact_read_rate": wilson(sum(r.exact for r in results), n),
    }


def figures(matching: Matching, hours: float) -> dict[str, Estimate]:
    """Every roadside figure of one camera and route."""
    results = matching.passes
    out = pass_figures(results)
    duplicates = [r.duplicates for r in results]
    out["duplicates"] = count(sum(duplicates), len(results), unit="events")
    out["duplicates_per_pass"] = bootstrap(duplicates, unit="events per pass", higher_is_better=False)
    out["phantoms"] = count(len(matching.phantoms), len(results), unit="events")
    out["phantoms_per_hour"] = poisson_rate_per_hour(len(matching.phantoms), hours)
    latencies = [r.latency_s for r in results if r.latency_s is not None]
    for q in (50, 95, 99):
        out[f"latency_p{q}_s"] = bootstrap_percentile(
            latencies, q, method=PERCENTILE_METHOD, unit="s", higher_is_better=False
        )
    offsets = [r.clock_offset_s for r in results if r.clock_offset_s is not None]
    out["clock_offset_s"] = bootstrap(offsets, np.median, unit="s", higher_is_better=None)
    out["clock_spread_s"] = bootstrap(offsets, _iqr, unit="s", higher_is_better=False)
    return out


def _tags(item: Pass, sample_tags: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    tags = dict(sample_tags.get(item.sample or "", {}))
    tags.update(item.tags)
    if item.speed_kmh is not None:
        tags["speed"] = next(name for low, high, name in SPEED_BANDS if low <= item.speed_kmh < high)
    tags["direction"] = item.direction
    return tags


def by_tag(results: Sequence[PassResult], passes: Mapping[str, Pass], sample_tags: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, Any]]:
    """Capture and exact-read rates per tag value (``time=night``, ``speed=speed>=60``...)."""
    groups: dict[str, list[PassResult]] = defaultdict(list)
    for result in results:
        for key, value in _tags(passes[result.pass_id], sample_tags).items():
            groups[f"{key}={value}"].append(result)
    return {name: {k: e.to_json() for k, e in pass_figures(group).items()} for name, group in sorted(groups.items())}


@dataclass(frozen=True)
class RouteScore:
    """One camera's figures through one route."""

    camera: str
    vendor: str
    route: str
    shown: int
    not_shown: int
    figures: dict[str, Estimate]
    tags: dict[str, dict[str, Any]]
    ntp_ok: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "camera": self.camera,
            "vendor": self.vendor,
            "route": self.route,
            "passes_shown": self.shown,
            "passes_not_shown": self.not_shown,
            "figures": {k: e.to_json() for k, e in self.figures.items()},
            "by_tag": self.tags,
            "ntp_check": None if self.ntp_ok is None else ("pass" if self.ntp_ok else "fail"),
        }


def bench_hours(records: BenchRecords) -> float:
    """Length of the bench: first paint minus the window's lead to last paint plus its tail."""
    if not records.paints:
        return 0.0
    settings = records.plan.settings
    start = min(records.paints.values()) - settings.window_before_s
    end = max(records.paints.values()) + settings.window_after_s
    return (end - start) / 3600.0


def score(records: BenchRecords, routes: Sequence[str] | None = None) -> list[RouteScore]:
    """Every (camera, route) pair with events or a configured push format, matched and measured
    (``routes``: only these)."""
    plan, truth, sample_tags = records.plan, records.truth, records.sample_tags
    hours = bench_hours(records)
    by_id = {p.id: p for p in plan.passes}
    pairs: set[tuple[str, str]] = {(e.camera, e.route) for e in records.events if e.camera is not None}
    pairs |= {(c.id, c.format) for c in plan.cameras if c.delivery == "push" and c.format}
    selected = sorted(p for p in pairs if routes is None or p[1] in routes)
    live: dict[tuple[str, str], Matching] = {}
    for camera_id, route in sorted(pairs):
        passes = [p for p in plan.passes if p.camera == camera_id]
        events = [e for e in records.events if e.camera == camera_id and e.route == route and e.arrival is not None]
        live[(camera_id, route)] = match(camera_id, route, passes, truth, records.paints,
                                         sorted(events, key=lambda e: e.arrival or 0.0), plan.settings)
    scores = []
    for camera_id, route in selected:
        camera = plan.camera(camera_id)
        passes = [p for p in plan.passes if p.camera == camera_id]
        exported = [e for e in records.events if e.camera == camera_id and e.route == route and e.arrival is None]
        matching = live[(camera_id, route)]
        if exported:  # exports have no arrival: match on their own time, corrected by the camera's offset
            offset = _median_offset([m for (c, _), m in live.items() if c == camera_id])
            matching = match(camera_id, route, passes, truth, records.paints,
                             sorted(exported, key=lambda e: e.event.event_time or 0.0), plan.settings, offset)
        figs = figures(matching, hours)
        offset_value = figs["clock_offset_s"].value
        scores.append(
            RouteScore(
                camera_id, camera.vendor, route, len(matching.passes), matching.not_shown, figs,
                by_tag(matching.passes, by_id, sample_tags),
                None if offset_value is None else abs(offset_value) <= NTP_TOLERANCE_S,
            )
        )
    return scores


def _median_offset(matchings: Sequence[Matching]) -> float:
    """The camera's clock offset from its live routes (0 when it has none)."""
    offsets = [r.clock_offset_s for m in matchings for r in m.passes if r.clock_offset_s is not None]
    return float(np.median(offsets)) if offsets else 0.0
