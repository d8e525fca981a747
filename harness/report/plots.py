"""Plots for scorecards and comparisons, as standalone SVG strings (matplotlib, Agg, no network).

Each function takes ``[(label, Scorecard), ...]`` (one entry for a single scorecard) and
returns an SVG string, or ``None`` when the scorecards hold nothing to draw. Text stays text in
the SVG (searchable, small); labels are redacted and drawn without mathtext, so a vendor name
with ``$`` signs is shown as written. Element ids are salted per plot, so several SVGs can sit
in one HTML page.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.ticker
from matplotlib.figure import Figure

from harness.metrics.latency import CDF_STEPS
from harness.redact import redact_text
from harness.scorecard.model import LatencySeries, Scorecard
from harness.scorecard.words import CODES, accuracy_pass_timing

_ID = re.compile(r'\b(id)="([^"]+)"')
_HREF = re.compile(r'((?:xlink:)?href)="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_PATH = re.compile(r'\bd="([^"]*)"')
_DECIMALS = re.compile(r"(\d\.\d{2})\d+")
_INDENT = re.compile(r">\n\s+<")
_METADATA = re.compile(r"<metadata>.*?</metadata>\n?", re.DOTALL)
"""SVG size: indentation between tags and the RDF metadata block are dropped, and path coordinates
rounded to 0.01 pt (far below what a screen or printer shows)."""

Cards = Sequence[tuple[str, Scorecard]]
COLORS = ("#1f5fa8", "#d1495b", "#2e8540", "#8d5a97", "#e08e0b", "#4a4a4a")
RESULT_COLORS = {code: c.colour for code, c in CODES.items()}
_RC = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "platebench",
}


def _svg(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element; every id (and reference to one) prefixed with ``name``, so
    several plots can share one HTML page."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": "platebench"})
    plt.close(fig)
    text = out.getvalue()
    text = text[text.index("<svg") :]
    text = _ID.sub(lambda m: f'{m.group(1)}="{name}-{m.group(2)}"', text)
    text = _HREF.sub(lambda m: f'{m.group(1)}="#{name}-{m.group(2)}"', text)
    text = _URL.sub(lambda m: f"url(#{name}-{m.group(1)})", text)
    text = _METADATA.sub("", _INDENT.sub(">\n<", text))
    return _PATH.sub(lambda m: 'd="' + _DECIMALS.sub(r"\1", m.group(1)) + '"', text)


def _plot(name: str, width: float, height: float, draw: Callable[[Figure], None]) -> str:
    with plt.rc_context({**_RC, "svg.hashsalt": f"platebench-{name}"}):
        fig = plt.figure(figsize=(width, height), layout="constrained")
        draw(fig)
        return _svg(fig, name)


def _labels(cards: Cards) -> list[str]:
    return [redact_text(label) for label, _ in cards]


def accuracy_by_tag(cards: Cards, metric: str = "exact_read_plate") -> str | None:
    """Horizontal bars: the metric per tag (and overall), one bar per vendor, 95% CI whiskers."""
    tags: list[str] = ["overall"]
    for _, card in cards:
        for tag in card.results.accuracy.by_tag:
            if tag not in tags:
                tags.append(tag)
    if not any(_est(card, "overall", metric) is not None for _, card in cards):
        return None
    labels = _labels(cards)
    k = len(cards)
    height = 0.28 * len(tags) * max(k, 1) * 0.75 + 1.2

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        bar = 0.8 / k
        for i, (label, (_, card)) in enumerate(zip(labels, cards, strict=True)):
            ys, xs, lo, hi = [], [], [], []
            for t, tag in enumerate(tags):
                est = _est(card, tag, metric)
                if est is None or est.value is None:
                    continue
                ys.append(t + (i - (k - 1) / 2) * bar)
                xs.append(100 * est.value)
                low = est.value if est.ci_low is None else est.ci_low
                high = est.value if est.ci_high is None else est.ci_high
                # whiskers never negative, even for a value outside its own interval
                lo.append(max(0.0, 100 * (est.value - low)))
                hi.append(max(0.0, 100 * (high - est.value)))
            ax.barh(
                ys,
                xs,
                height=bar * 0.9,
                color=COLORS[i % len(COLORS)],
                label=label,
                xerr=[lo, hi],
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#222"},
            )
        ax.set_yticks(range(len(tags)), [redact_text(t) for t in tags])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("plates read exactly (%), bars = 95% confidence interval")
        ax.legend(loc="lower right", fontsize=8, frameon=True)

    return _plot("accuracy-by-tag", 7.0, height, draw)


def _est(card: Scorecard, tag: str, metric: str) -> Any:
    acc = card.results.accuracy
    group = acc.overall if tag == "overall" else acc.by_tag.get(tag)
    return None if group is None else getattr(group, metric, None)


def _cdf_points(figs: LatencySeries | Mapping[str, Any]) -> tuple[list[float], list[float]] | None:
    """(latency ms, cumulative %) from the 1% sketch when present, else the stored percentiles."""
    get = figs.get if isinstance(figs, Mapping) else (lambda name: getattr(figs, name, None))
    cdf = get("cdf")
    if isinstance(cdf, list) and len(cdf) == CDF_STEPS:
        return [float(v) for v in cdf], [100.0 * i / (CDF_STEPS - 1) for i in range(CDF_STEPS)]
    points = (
        [(0.0, get("min"))]
        + [(float(q), get(f"p{q}")) for q in (50, 90, 95, 99)]
        + [(100.0, get("max"))]
    )
    pts = [(float(v), q) for q, v in points if isinstance(v, int | float)]
    return ([v for v, _ in pts], [q for _, q in pts]) if len(pts) >= 2 else None


def latency_cdf(cards: Cards) -> str | None:
    """Cumulative share of answers by latency, per vendor: single-stream (solid) and load scenarios (dashed)."""
    series: list[tuple[str, int, str, list[float], list[float]]] = []
    for i, (label, (_, card)) in enumerate(zip(_labels(cards), cards, strict=True)):
        if (pts := _cdf_points(card.results.latency.accuracy_pass.client_ms)) is not None:
            series.append((f"{label}: {accuracy_pass_timing(card)}", i, "-", *pts))
        for scenario in card.results.load or []:
            if (pts := _cdf_points(scenario.latency_ms)) is not None:
                series.append((f"{label}: {redact_text(scenario.scenario)} scenario", i, "--", *pts))
    if not series:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for name, i, style, xs, ys in series:
            ax.step(
                xs, ys, where="post", linestyle=style, color=COLORS[i % len(COLORS)], label=name, marker=None
            )
        positive = [x for _, _, _, xs, _ in series for x in xs if x > 0]
        if positive and max(positive) / min(positive) > 20:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_ylim(0, 100)
        ax.set_xlabel("latency (ms)")
        ax.set_ylabel("answers at least this fast (%)")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)

    return _plot("latency-cdf", 7.0, 3.4, draw)


def reliability(cards: Cards) -> str | None:
    """Reliability diagram: observed exact-read share against stated confidence, per bin."""
    data = []
    for label, (_, card) in zip(_labels(cards), cards, strict=True):
        bins = card.results.accuracy.calibration.bins
        pts = [(b.mean_confidence, b.accuracy, b.count) for b in bins if b.count]
        if pts:
            data.append((label, pts))
    if not data:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color="#999", linestyle=":", label="perfectly calibrated")
        for i, (label, pts) in enumerate(data):
            total = sum(c for _, _, c in pts)
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                marker="o",
                color=COLORS[i % len(COLORS)],
                label=label,
            )
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                s=[20 + 200 * c / total for _, _, c in pts],
                color=COLORS[i % len(COLORS)],
                alpha=0.3,
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("confidence the reader gave")
        ax.set_ylabel("share of those reads that were right")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)

    return _plot("reliability", 5.0, 4.0, draw)


def precision_recall(cards: Cards) -> str | None:
    """Precision and recall over the confidence threshold; each vendor's declared threshold marked."""
    data = []
    for label, (_, card) in zip(_labels(cards), cards, strict=True):
        cal = card.results.accuracy.calibration
        if cal.threshold_sweep:
            data.append((label, cal.threshold_sweep, cal.declared_threshold))
    if not data:
        return None

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for i, (label, sweep, declared) in enumerate(data):
            color = COLORS[i % len(COLORS)]
            t = [r.threshold for r in sweep]
            ax.plot(t, [_nan(r.precision) for r in sweep], color=color, label=f"{label}: precision")
            ax.plot(t, [_nan(r.recall) for r in sweep], color=color, linestyle="--", label=f"{label}: recall")
            if declared is not None:
                ax.axvline(declared, color=color, linestyle=":", linewidth=1.2)
                ax.annotate(
                    f"declared {declared:g}",
                    (declared, 0.02 + 0.07 * i),
                    color=color,
                    fontsize=8,
                    xytext=(3, 0),
                    textcoords="offset points",
                )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("confidence threshold (reads below it are ignored)")
        ax.set_ylabel("share")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=8)

    return _plot("precision-recall", 7.0, 3.6, draw)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def privacy_grid(cards: Cards) -> str | None:
    """Controls (rows) by vendors (columns), each cell coloured and labelled with its result code."""
    controls: list[tuple[str, str]] = []
    for _, card in cards:
        for c in card.results.privacy.controls if card.results.privacy else []:
            if c.id not in [cid for cid, _ in controls]:
                controls.append((c.id, c.title))
    if not controls:
        return None
    labels = _labels(cards)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for col, (_, card) in enumerate(cards):
            found = {c.id: c.result for c in (card.results.privacy.controls if card.results.privacy else [])}
            for row, (cid, _) in enumerate(controls):
                result = found.get(cid, "not run")
                ax.add_patch(
                    matplotlib.patches.Rectangle(
                        (col, row), 0.96, 0.92, color=RESULT_COLORS.get(result, "#eeeeee")
                    )
                )
                ax.text(
                    col + 0.48,
                    row + 0.46,
                    result,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if result in RESULT_COLORS else "#333",
                )
        ax.set_xlim(0, len(cards))
        ax.set_ylim(len(controls), 0)
        ax.set_xticks([c + 0.48 for c in range(len(cards))], [textwrap.fill(label, 24) for label in labels])
        ax.xaxis.tick_top()
        ax.set_yticks(
            [r + 0.46 for r in range(len(controls))],
            [_wrapped(redact_text(f"{cid} {title}")) for cid, title in controls],
        )
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)

    lines = max((_wrapped(f"{cid} {title}").count("\n") + 1 for cid, title in controls), default=1)
    return _plot("privacy-grid", 5.5 + 1.9 * len(cards), 0.8 + 0.26 * lines * len(controls), draw)


ROBUSTNESS_COLUMNS = 5
"""Panels per row of the robustness plot (13 operators: three rows that fit a page's width)."""


def robustness_curves(cards: Cards) -> str | None:
    """One panel per perturbation sweep: plates read exactly against the level, one line per vendor, with its
    95% interval as a band; the level axis runs from mild to harsh."""
    operators: list[str] = []
    for _, card in cards:
        for name in card.results.robustness.operators if card.results.robustness else {}:
            if name not in operators:
                operators.append(name)
    if not operators:
        return None
    labels = _labels(cards)
    columns = min(len(operators), ROBUSTNESS_COLUMNS)
    rows = math.ceil(len(operators) / columns)

    def draw(fig: Figure) -> None:
        grid = fig.subplots(rows, columns, squeeze=False)
        axes = [ax for row in grid for ax in row]
        for ax in axes[len(operators):]:
            ax.set_visible(False)
        for ax, name in zip(axes, operators, strict=False):
            unit = ""
            for i, (label, (_, card)) in enumerate(zip(labels, cards, strict=True)):
                curve = card.results.robustness.operators.get(name) if card.results.robustness else None
                if curve is None:
                    continue
                unit = curve.unit
                points = [p for p in curve.points if p.figures.exact_read_plate.value is not None]
                xs = list(range(len(points)))
                est = [p.figures.exact_read_plate for p in points]
                color = COLORS[i % len(COLORS)]
                ax.plot(xs, [100 * e.value for e in est], marker="o", color=color, label=label)
                ax.fill_between(xs, [100 * (e.ci_low if e.ci_low is not None else e.value) for e in est],
                                [100 * (e.ci_high if e.ci_high is not None else e.value) for e in est],
                                color=color, alpha=0.15, linewidth=0)
                ax.set_xticks(xs, [p.key for p in points])
            ax.set_title(name, fontsize=9)
            ax.set_xlabel(textwrap.shorten(unit, 30, placeholder="..."), fontsize=7)
            ax.set_ylim(0, 100)
        for row in grid:
            row[0].set_ylabel("plates read exactly (%)", fontsize=8)
        axes[0].legend(loc="lower left", fontsize=7, frameon=True)

    return _plot("robustness", max(4.0, 2.6 * columns), 3.0 * rows, draw)


GRID_LABEL_WIDTH = 48


def _wrapped(text: str) -> str:
    """A control's label on at most three lines, broken between words (never mid-word)."""
    lines = textwrap.wrap(text, GRID_LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
    if len(lines) > 3:
        lines = [*lines[:2], textwrap.shorten(" ".join(lines[2:]), GRID_LABEL_WIDTH, placeholder=" ...")]
    return "\n".join(lines)


PLOTS: dict[str, tuple[str, Callable[[Cards], str | None]]] = {
    "accuracy-by-tag": ("Plates read exactly, overall and by condition", accuracy_by_tag),
    "latency-cdf": ("How quickly answers came back", latency_cdf),
    "reliability": ("Can the reader's confidence be trusted?", reliability),
    "precision-recall": ("What the confidence threshold trades off", precision_recall),
    "privacy-grid": ("Privacy controls, pass or fail", privacy_grid),
    "robustness": ("How it degrades: plates read exactly as the images get harder (bands: 95% CI)", robustness_curves),
}
"""Plot name (also its file name, ``NAME.svg``) -> (plain-language caption, function)."""


def render_plots(cards: Cards) -> dict[str, str]:
    """Every plot that has data, by name (``PLOTS`` order)."""
    out = {}
    for name, (_, fn) in PLOTS.items():
        svg = fn(cards)
        if svg is not None:
            out[name] = svg
    return out
