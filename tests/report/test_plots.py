"""Plots: one SVG per view, text kept as text, labels shown literally, ids unique across plots."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from scorecard_factory import with_privacy_and_load

from harness.metrics.latency import latency_summary
from harness.report.plots import PLOTS, latency_cdf, privacy_grid, render_plots
from harness.scorecard.model import Scorecard
from harness.scorecard.words import accuracy_pass_timing


def _card(path: Path) -> Scorecard:
    return Scorecard.model_validate(json.loads(path.read_text()))


def test_latency_summary_carries_a_one_percent_cdf_sketch() -> None:
    s = latency_summary(range(1, 101))
    assert len(s["cdf"]) == 101 and s["cdf"][0] == 1 and s["cdf"][50] == 50 and s["cdf"][100] == 100
    assert latency_summary([])["cdf"] is None


def test_every_plot_is_valid_svg_with_unique_ids(card_a: Path, card_b: Path, tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    a.write_bytes(card_a.read_bytes())
    with_privacy_and_load(a, ["PASS", "FAIL"])
    cards = [("Cost $5 <A>", _card(a)), ("B", _card(card_b))]
    plots = render_plots(cards)
    assert list(plots) == [name for name in PLOTS if name != "robustness"]  # these runs swept no perturbation
    ids: list[str] = []
    for name, svg in plots.items():
        ET.fromstring(svg)  # well-formed
        assert "Cost $5 &lt;A&gt;" in svg, name  # no mathtext, text escaped and kept as text
        ids += re.findall(r'\sid="([^"]+)"', svg)
    assert len(ids) == len(set(ids))


def test_latency_cdf_falls_back_to_percentiles_and_draws_load_scenarios(card_a: Path, tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    a.write_bytes(card_a.read_bytes())
    card = _card(with_privacy_and_load(a, ["PASS"], scenario="server"))
    card.results.latency.accuracy_pass.client_ms.cdf = None  # a scorecard from before the sketch
    svg = latency_cdf([("A", card)])
    assert svg is not None and f"A: {accuracy_pass_timing(card)}" in svg and "A: server scenario" in svg


def test_privacy_grid_only_when_controls_were_checked(card_a: Path, tmp_path: Path) -> None:
    card = _card(card_a)
    card.results.privacy = None  # as with --no-privacy (a real run records untested controls as INCONCLUSIVE)
    assert privacy_grid([("A", card)]) is None
    a = tmp_path / "a.json"
    a.write_bytes(card_a.read_bytes())
    svg = privacy_grid(
        [("A", _card(with_privacy_and_load(a, ["PASS", "FAIL", "ATTESTED"])))]
    )
    assert svg is not None and all(code in svg for code in ("PASS", "FAIL", "ATTESTED", "PC-SHR-03"))
