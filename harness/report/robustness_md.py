"""The Markdown sections of robustness: "How it degrades" (perturbation sweeps), "Public and sequestered images",
"Memorisation and caching probes" and "Hotlist false alerts" (registered with :mod:`harness.report.markdown`)."""

from __future__ import annotations

from harness.report.markdown import escape, estimate, register_section, table
from harness.report.numbers import number
from harness.scorecard.model import Scorecard


def degrades(card: Scorecard) -> str | None:
    """One table per sweep: exact plate reads and CER at each level, then where each requirement breaks."""
    section = card.results.robustness
    if section is None:
        return None
    base = card.results.accuracy.overall
    parts = [(f"## How it degrades\n\nThe corpus images perturbed with OpenCV (seed {section.seed}; every image's "
             "recipe is in the journal and makes it again bit for bit: `platebench perturb verify RUN_DIR`). "
             f"Without perturbation: exact plate reads {number(base.exact_read_plate.value, 'proportion')} "
             f"(n={base.exact_read_plate.n}).")]
    for name, curve in section.operators.items():
        rows = [[escape(p.key), *estimate(p.figures.exact_read_plate), *estimate(p.figures.cer)[:2],
                 f"{p.not_applicable:,}"] for p in curve.points]
        broken = [f"{escape(b.requirement)}: {escape(b.reason)}" for b in curve.breaking_points]
        parts.append(
            f"### {escape(curve.title)} (`{escape(name)}`)\n\nLevel: {escape(curve.unit)}; {escape(curve.level_meaning)}.\n\n"
            + table(["level", "exact plate reads", "95% CI", "n", "CER", "95% CI", "not applicable"], rows)
            + ("\n\nBreaking points: " + "; ".join(broken) + "." if broken else "")
        )
    return "\n\n".join(parts)


def split(card: Scorecard) -> str | None:
    """Public against sequestered exact plate reads, and the gap test."""
    section = card.results.split
    if section is None:
        return None
    rows = [[name, *estimate(figures.exact_read_plate)]
            for name, figures in (("public", section.public), ("sequestered", section.sequestered))]
    gap = section.gap
    verdict = "significant" if gap.significant else "not significant"
    return ("## Public and sequestered images\n\n"
            + table(["images", "exact plate reads", "95% CI", "n"], rows)
            + f"\n\nGap {number(gap.difference * 100, '')} percentage points, p = {gap.p_value:.3g} "
              f"({escape(gap.test)}): {verdict} at {gap.level:g}.")


def probes(card: Scorecard) -> str | None:
    """Each probe's verdict, p-value and evidence."""
    section = card.results.probes
    if section is None:
        return None
    rows = [[escape(c.id), escape(c.title), c.status.upper() if c.status == "flagged" else c.status,
             "n/a" if c.p_value is None else f"{c.p_value:.3g}", escape(c.evidence)] for c in section.checks.values()]
    flagged = ", ".join(section.flagged) or "none"
    return (f"## Memorisation and caching probes\n\n{section.images} images probed (seed {section.seed}; near-"
            f"duplicates: {escape(', '.join(section.near_duplicates))}), {section.canaries} canaries; each probe flags "
            f"at p < {section.alpha:g} (exact one-sided tests). Flagged: **{escape(flagged)}**.\n\n"
            + table(["probe", "checks", "result", "p", "evidence"], rows))


def hotlist(card: Scorecard) -> str | None:
    """Simulated false alerts per 10,000 confident reads."""
    section = card.results.hotlist
    if section is None:
        return None
    rows = [["all", *estimate(section.false_alerts_per_10000)],
            *([escape(kind), *estimate(rate)] for kind, rate in section.by_kind.items())]
    return ("## Hotlist false alerts\n\nAlerts the reader's confident reads would raise on innocent plates, per "
            f"10,000 confident reads ({section.alerts:,} of {section.confident_reads:,}; {section.listed:,} near-miss "
            f"plates listed). Rule: {escape(section.rule)}.\n\n" + table(["near miss", "per 10,000", "95% CI", "n"], rows))


for _name, _render in (("robustness", degrades), ("split", split), ("probes", probes), ("hotlist", hotlist)):
    register_section(_name, _render, before="requirements")
