"""Plots of the oversight report, as inline SVG: outside-access shares over time and searches by kind.

Periods with a breach are marked (a red triangle above the period); thresholds are dashed lines.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

KIND_COLORS = {"home": "#1f5fa8", "partner": "#2e8540", "instate": "#8d5a97", "out_of_state": "#e08e0b",
               "federal": "#d1495b", "unknown": "#9e9e9e"}
BREACH = "#b3261e"


def _svg(name: str, width: float, height: float, draw: Callable[[Figure], None]) -> str:
    rc = {"svg.fonttype": "none", "text.parse_math": False, "font.size": 9, "axes.spines.top": False,
          "axes.spines.right": False, "svg.hashsalt": f"oversight-{name}"}
    with plt.rc_context(rc):
        fig = plt.figure(figsize=(width, height), layout="constrained")
        draw(fig)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": "platebench"})
        plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg"):]


def _mark_breaches(ax: Any, labels: list[str], breached: list[bool], top: float) -> None:
    xs = [i for i, b in enumerate(breached) if b]
    if xs:
        ax.scatter(xs, [top] * len(xs), marker="v", s=46, color=BREACH, zorder=5, label="period with a breach")


def outside_share(doc: Mapping[str, Any]) -> str | None:
    """Outside-access share of accounts and searches per period, with 95% intervals and the thresholds."""
    periods = doc["periods"]
    if not periods:
        return None
    labels = [p["period"] for p in periods]
    thresholds = {}
    for p in periods:
        for f in p["breaches"]:
            if f["rule"] in ("OV-SHARE-ACCOUNTS", "OV-SHARE-SEARCHES") and f["threshold"] is not None:
                thresholds[f["rule"]] = f["threshold"]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        xs = list(range(len(labels)))
        for key, label, color in (("accounts_outside", "accounts that can reach home data", "#1f5fa8"),
                                  ("searches_outside", "searches", "#e08e0b")):
            values = [p[key]["percent"] for p in periods]
            pts = [(x, v, p[key]["low"], p[key]["high"]) for x, v, p in zip(xs, values, periods) if v is not None]
            if pts:
                ax.plot([q[0] for q in pts], [q[1] for q in pts], marker="o", color=color, label=f"outside share of {label}")
                ax.fill_between([q[0] for q in pts], [q[2] for q in pts], [q[3] for q in pts], color=color, alpha=0.15)
        by_value: dict[float, list[str]] = {}
        for rule, value in thresholds.items():
            by_value.setdefault(value, []).append("accounts" if rule.endswith("ACCOUNTS") else "searches")
        for value, nouns in by_value.items():
            ax.axhline(value, color="#5b6774", linestyle="--", linewidth=0.9)
            ax.annotate(f"threshold {value:g}% ({' and '.join(nouns)})", (len(labels) - 1, value), xytext=(0, -11),
                        textcoords="offset points", fontsize=8, color="#5b6774", ha="right")
        _mark_breaches(ax, labels, [bool(p["breaches"]) for p in periods], 104)
        ax.set_ylim(0, 108)
        ax.set_ylabel("% outside the contracting agency")
        ax.set_xticks(xs, labels, rotation=45, ha="right")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.grid(axis="y", alpha=0.3)

    return _svg("share", 7.2, 3.4, draw)


def searches_by_kind(doc: Mapping[str, Any]) -> str | None:
    """Searches per period, stacked by agency kind; periods with a breach marked."""
    periods = doc["periods"]
    if not periods or not any(p["searches_by_kind"] for p in periods):
        return None
    labels = [p["period"] for p in periods]
    kinds = [k for k in KIND_COLORS if any(p["searches_by_kind"].get(k) for p in periods)]

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        xs = list(range(len(labels)))
        bottom = [0] * len(labels)
        for kind in kinds:
            values = [p["searches_by_kind"].get(kind, 0) for p in periods]
            ax.bar(xs, values, bottom=bottom, color=KIND_COLORS[kind], label=kind.replace("_", "-"), width=0.7)
            bottom = [b + v for b, v in zip(bottom, values)]
        top = max(bottom) * 1.08 if max(bottom) else 1
        _mark_breaches(ax, labels, [bool(p["breaches"]) for p in periods], top)
        ax.set_ylim(0, top * 1.06)
        ax.set_ylabel("searches")
        ax.set_xticks(xs, labels, rotation=45, ha="right")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
        ax.grid(axis="y", alpha=0.3)

    return _svg("kinds", 8.2, 3.4, draw)


def render_plots(doc: Mapping[str, Any]) -> dict[str, str]:
    """Plot name -> SVG, for the plots that have data."""
    plots = {"outside_share": outside_share(doc), "searches_by_kind": searches_by_kind(doc)}
    return {k: v for k, v in plots.items() if v}
